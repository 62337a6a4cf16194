// pantauctl in-process: renderings, argument handling and the operator token against a fake
// OperatorService; every command against a real collector (CollectorApp on a throwaway
// PostgreSQL, incidents inserted as the engine would open them).
#include "collector/ctl/ctl.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/app/collector_app.h"
#include "collector/config/collector_config.h"
#include "collector/ctl/command.h"
#include "collector/incidents/incident_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pantau/v1/operator_service.grpc.pb.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_test.h"
#include "tests/testing/temp_dir.h"

namespace pantau::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::GetStatusResponse TwoSites() {
  v1::GetStatusResponse r;
  r.set_now_unix_ms(1795600060000);
  v1::SiteStatus* up = r.add_sites();
  up->set_site("pn-contoh-www");
  up->set_url("https://pn-contoh.go.id/");
  up->set_court_id("PN-CONTOH");
  up->set_agent_id("a1");
  up->set_up(true);
  up->set_http_status(200);
  up->set_latency_ms(12.5);
  up->set_last_probe_unix_ms(1795600000000);
  up->set_last_probe_age_seconds(60);
  v1::SiteStatus* down = r.add_sites();
  down->set_site("sipp");
  down->set_url("http://sipp.pn-contoh.go.id/");
  down->set_court_id("PN-CONTOH");
  down->set_error("Connection refused \"quoted\"");
  down->set_last_probe_age_seconds(7200);
  return r;
}

v1::OpenFinding* AddFinding(v1::SiteStatus* site, const std::string& check,
                            const std::string& kind, v1::Finding::Severity severity) {
  v1::OpenFinding* f = site->add_open_findings();
  f->set_check(check);
  f->mutable_finding()->set_kind(kind);
  f->mutable_finding()->set_severity(severity);
  f->mutable_finding()->set_detail(kind + " found");
  f->mutable_finding()->set_evidence("slot \"gacor\"");
  f->set_first_seen_unix_ms(1795500000000);
  f->set_last_seen_unix_ms(1795600000000);
  return f;
}

// TwoSites with a certificate, content age and findings on the first site: an expired,
// unverified certificate on the second.
v1::GetStatusResponse WithChecks(v1::Finding::Severity worst) {
  v1::GetStatusResponse r = TwoSites();
  v1::SiteStatus* www = r.mutable_sites(0);
  www->set_tls_checked(true);
  www->set_tls_verified(true);
  www->set_tls_days_left_known(true);
  www->set_tls_days_left(45);
  www->set_content_age_known(true);
  www->set_content_age_days(12.75);
  www->set_content_age_source("wp_json");
  AddFinding(www, "content", "gambling_spam", worst);
  AddFinding(www, "cloaking", "cloaking", v1::Finding::WARNING);
  AddFinding(www, "content", "gambling_spam", v1::Finding::WARNING)
      ->mutable_finding()
      ->set_key("2");
  v1::SiteStatus* sipp = r.mutable_sites(1);
  sipp->set_tls_checked(true);
  sipp->set_tls_verified(false);
  sipp->set_tls_error("certificate has expired");
  return r;
}

TEST(StatusJson, HasTheDocumentedFieldsWithNumbersAsNumbers) {
  const std::string json = StatusJson(TwoSites());
  EXPECT_THAT(json, HasSubstr("{\"sites\":[{\"site\":\"pn-contoh-www\",\"url\":\"https://pn-contoh.go.id/\""));
  EXPECT_THAT(json, HasSubstr("\"up\":true"));
  EXPECT_THAT(json, HasSubstr("\"last_probe_age_seconds\":60,"));
  EXPECT_THAT(json, HasSubstr("\"latency_ms\":12.5"));
  EXPECT_THAT(json, HasSubstr("\"up\":false"));
  EXPECT_THAT(json, HasSubstr("\"error\":\"Connection refused \\\"quoted\\\"\""));
  EXPECT_THAT(json, HasSubstr("\"now_unix_ms\":1795600060000}"));
}

TEST(StatusTable, ShowsDownSitesWithTheirErrorAndReadableAges) {
  const std::string table = StatusTable(TwoSites());
  EXPECT_THAT(table, HasSubstr("pn-contoh-www"));
  EXPECT_THAT(table, HasSubstr("DOWN"));
  EXPECT_THAT(table, HasSubstr("(Connection refused"));
  EXPECT_THAT(table, HasSubstr("2h"));
  EXPECT_THAT(StatusTable(v1::GetStatusResponse()), HasSubstr("no sites have reported yet"));
}

TEST(StatusTable, ShowsTheAgeOfTheLastVerifiedBackupWithADashWhenNoneAndAMarkWhenOverdue) {
  v1::GetStatusResponse r = TwoSites();
  v1::SiteStatus* www = r.mutable_sites(0);
  www->set_last_backup_unix_ms(1795590000000);
  www->set_last_verified_backup_known(true);
  www->set_last_verified_backup_age_seconds(3 * 3600 + 5);
  v1::SiteStatus* sipp = r.mutable_sites(1);
  sipp->set_last_backup_unix_ms(1795590000000);
  sipp->set_last_backup_error("medium not mounted");
  sipp->set_backup_overdue(true);  // and never verified
  const std::string table = StatusTable(r);
  EXPECT_THAT(table, HasSubstr(" BACKUP  URL / ERROR"));
  EXPECT_THAT(table, HasSubstr("     3h  https://pn-contoh.go.id/"));
  EXPECT_THAT(table, HasSubstr("     \xE2\x80\x94!  "));  // "—!" right-aligned like the others
  EXPECT_THAT(StatusTable(TwoSites()), HasSubstr("      -  https://pn-contoh.go.id/"));
}

TEST(BackupsTable, ListsRunsThenTheStateOfEachSite) {
  v1::ListBackupsResponse r;
  v1::BackupInfo* b = r.add_backups();
  b->set_court_id("PN-X");
  v1::BackupSummary* s = b->mutable_summary();
  s->set_site("pn-x");
  s->set_backup_id("pn-x-20261126T030000Z");
  s->set_kind("incremental");
  s->set_started_unix_ms(1795662000000);  // 10.00 WIB
  s->set_finished_unix_ms(1795662095000);
  s->set_bytes(3 << 20);
  s->set_files(1234);
  s->set_verified(false);
  s->set_error("medium full");
  v1::BackupSiteState* st = r.add_sites();
  st->set_court_id("PN-X");
  st->set_site("pn-x");
  st->set_last_backup_error("medium full");
  st->set_backup_overdue(true);
  const std::string table = BackupsTable(r);
  EXPECT_THAT(table, HasSubstr("pn-x-20261126T030000Z"));
  EXPECT_THAT(table, HasSubstr("incremental 2026-11-26 10:00 WIB"));
  EXPECT_THAT(table, HasSubstr("1m35s"));
  EXPECT_THAT(table, HasSubstr("3.0M"));
  EXPECT_THAT(table, HasSubstr("NO        medium full"));
  EXPECT_THAT(table, HasSubstr("none"));
  EXPECT_THAT(table, HasSubstr("6h (SOP)  OVERDUE; FAILED: medium full"));
  EXPECT_EQ(BackupProblems(r), 1);
  r.mutable_sites(0)->clear_last_backup_error();
  r.mutable_sites(0)->set_backup_overdue(false);
  EXPECT_EQ(BackupProblems(r), 0);
  EXPECT_THAT(BackupsTable(v1::ListBackupsResponse()), HasSubstr("no backups reported"));
}

TEST(StatusJson, HasCertificateContentAgeAndFindings) {
  const std::string json = StatusJson(WithChecks(v1::Finding::CRITICAL));
  EXPECT_THAT(json, HasSubstr("\"tls\":{\"checked\":true,\"days_left\":45,\"verified\":true,"
                              "\"error\":\"\"}"));
  EXPECT_THAT(json, HasSubstr("\"tls\":{\"checked\":true,\"days_left\":null,"
                              "\"verified\":false,\"error\":\"certificate has expired\"}"));
  EXPECT_THAT(json, HasSubstr("\"content_age_days\":12.75,\"content_age_source\":\"wp_json\""));
  EXPECT_THAT(json, HasSubstr("\"content_age_days\":null,\"content_age_source\":\"\""));
  EXPECT_THAT(json, HasSubstr("\"findings\":[{\"check\":\"content\",\"kind\":\"gambling_spam\","
                              "\"key\":\"\",\"severity\":\"critical\",\"detail\":"
                              "\"gambling_spam found\",\"evidence\":\"slot \\\"gacor\\\"\","
                              "\"first_seen_unix_ms\":1795500000000,"
                              "\"last_seen_unix_ms\":1795600000000}"));
  EXPECT_THAT(json, HasSubstr("\"findings\":[]"));
}

TEST(StatusTable, ShowsCertificateContentAgeAndFindingKinds) {
  const std::string table = StatusTable(WithChecks(v1::Finding::CRITICAL));
  EXPECT_THAT(table, HasSubstr("CERT"));
  EXPECT_THAT(table, HasSubstr("CONTENT"));
  EXPECT_THAT(table, HasSubstr("FINDINGS"));
  EXPECT_THAT(table, HasSubstr(" 45d "));
  EXPECT_THAT(table, HasSubstr(" 12d "));
  // Three findings of two kinds, each kind once.
  EXPECT_THAT(table, HasSubstr(" 3 gambling_spam,cloaking "));
  EXPECT_THAT(table, HasSubstr(" invalid "));
  v1::GetStatusResponse unverified = WithChecks(v1::Finding::WARNING);
  unverified.mutable_sites(0)->set_tls_verified(false);
  EXPECT_THAT(StatusTable(unverified), HasSubstr(" 45d! "));
  // Many kinds are cut to the column's width.
  v1::GetStatusResponse many = TwoSites();
  for (const char* kind : {"required_page_missing", "sitemap_injected", "keyword_missing"}) {
    AddFinding(many.mutable_sites(0), "content", kind, v1::Finding::INFO);
  }
  EXPECT_THAT(StatusTable(many), HasSubstr(" 3 required_page_missing,s... "));
}

TEST(CriticalFindings, CountsOnlyCriticalOnes) {
  EXPECT_EQ(CriticalFindings(WithChecks(v1::Finding::CRITICAL)), 1);
  EXPECT_EQ(CriticalFindings(WithChecks(v1::Finding::WARNING)), 0);
  EXPECT_EQ(CriticalFindings(TwoSites()), 0);
}

// The environment of a test: nothing from the process, the token given.
CtlEnvironment WithToken(const std::string& token) {
  CtlEnvironment env;
  env.token = token;
  return env;
}

constexpr char kFakeToken[] = "pantau_fake";

// A collector that answers GetStatus with a fixed response to callers with kFakeToken, on a
// loopback port; it records the authorization metadata it was sent.
class FakeOperatorService final : public v1::OperatorService::Service {
 public:
  explicit FakeOperatorService(v1::GetStatusResponse response) : response_(std::move(response)) {}
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                         v1::GetStatusResponse* response) override {
    const auto& metadata = context->client_metadata();
    auto it = metadata.find("authorization");
    authorization_ =
        it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
    if (authorization_ != absl::StrCat("Bearer ", kFakeToken)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown or revoked operator token");
    }
    *response = response_;
    return grpc::Status::OK;
  }
  const std::string& authorization() const { return authorization_; }

 private:
  const v1::GetStatusResponse response_;
  std::string authorization_;
};

// Runs `pantauctl [global...] status [extra...]` against a FakeOperatorService.
int RunStatusAgainst(const v1::GetStatusResponse& answer, const std::vector<std::string>& extra,
                     std::string* out_text, std::string* err_text,
                     const CtlEnvironment& env = WithToken(kFakeToken),
                     const std::vector<std::string>& global = {},
                     std::string* authorization = nullptr) {
  FakeOperatorService service(answer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  EXPECT_NE(server, nullptr);
  if (server == nullptr) return -1;
  std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", port), "--insecure"};
  args.insert(args.end(), global.begin(), global.end());
  args.push_back("status");
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out, err;
  const int code = RunCtl(args, env, out, err);
  server->Shutdown();
  *out_text = out.str();
  *err_text = err.str();
  if (authorization != nullptr) *authorization = service.authorization();
  return code;
}

TEST(RunCtl, StatusExitsWithOneWhileACriticalFindingIsOpen) {
  std::string out, err;
  EXPECT_EQ(RunStatusAgainst(WithChecks(v1::Finding::CRITICAL), {}, &out, &err), 1);
  EXPECT_THAT(out, HasSubstr("gambling_spam"));  // the table is still printed
  EXPECT_THAT(err, HasSubstr("1 critical finding open"));
  EXPECT_EQ(RunStatusAgainst(WithChecks(v1::Finding::CRITICAL), {"--json"}, &out, &err), 1);
  EXPECT_THAT(out, HasSubstr("\"severity\":\"critical\""));
  // Warnings, down sites and bad certificates alone keep exit code 0.
  EXPECT_EQ(RunStatusAgainst(WithChecks(v1::Finding::WARNING), {}, &out, &err), 0);
  EXPECT_EQ(err, "");
}

TEST(RunCtl, UsageErrorsExitWithTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCtl({}, out, err), 2);
  EXPECT_EQ(RunCtl({"frobnicate"}, out, err), 2);
  EXPECT_EQ(RunCtl({"status", "--bogus"}, out, err), 2);
  EXPECT_EQ(RunCtl({"--timeout", "-1", "status"}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("usage: pantauctl"));
  std::ostringstream help_out, help_err;
  EXPECT_EQ(RunCtl({"--help"}, help_out, help_err), 0);
  EXPECT_THAT(help_out.str(), HasSubstr("status [--json]"));
}

TEST(RunCtl, UnreachableCollectorExitsWithOneAndSaysWhere) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCtl({"--collector", "127.0.0.1:1", "--insecure", "--timeout", "2", "status"},
                   WithToken(kFakeToken), out, err),
            1);
  EXPECT_THAT(err.str(), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(err.str(), HasSubstr("UNAVAILABLE"));
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCtl({"--ca-file", "/nonexistent/ca.pem", "status"}, WithToken(kFakeToken), out2,
                   err2),
            1);
  EXPECT_THAT(err2.str(), HasSubstr("cannot read CA file"));
}

v1::ListLogAlertsResponse TwoAlerts() {
  v1::ListLogAlertsResponse r;
  r.set_now_unix_ms(1795600060000);
  v1::StoredLogAlert* s = r.add_alerts();
  s->set_court_id("PN-CONTOH");
  s->set_agent_id("a1");
  v1::LogAlert* a = s->mutable_alert();
  a->set_site("pn-contoh-www");
  a->set_alert_id("a-1");
  a->set_rule("wp_login_bruteforce");
  a->set_family("brute_force");
  a->set_severity(v1::Finding::CRITICAL);
  a->set_client("203.0.113.7");
  a->set_country("ID");
  a->set_count(240);
  a->set_first_seen_unix_ms(1795596460000);  // 1h before now
  a->set_last_seen_unix_ms(1795600000000);   // 60s before now
  a->set_description("Percobaan menebak kata sandi WordPress (wp-login.php)");
  a->set_action("Blokir alamat IP ini dan aktifkan 2FA");
  a->add_sample_lines("POST /wp-login.php \"quoted\"");
  s = r.add_alerts();
  a = s->mutable_alert();
  a->set_site("pn-contoh-www");
  a->set_rule("ua_sqlmap");
  a->set_family("scanner");
  a->set_severity(v1::Finding::WARNING);
  a->set_client("198.51.100.9");
  a->set_count(3);
  a->set_closed(true);
  a->set_description("Alat pemindai sqlmap");
  return r;
}

TEST(AlertsTable, ShowsSeverityFamilyRuleClientCountAgesStateAndIndonesianDescription) {
  const std::string table = AlertsTable(TwoAlerts());
  EXPECT_THAT(table, HasSubstr("SEVERITY"));
  EXPECT_THAT(table, HasSubstr("DESCRIPTION"));
  EXPECT_THAT(table, HasSubstr("critical brute_force"));
  EXPECT_THAT(table, HasSubstr("wp_login_bruteforce"));
  EXPECT_THAT(table, HasSubstr("203.0.113.7 (ID)"));
  EXPECT_THAT(table, HasSubstr("    240    60m    60s OPEN    Percobaan menebak kata sandi"));
  EXPECT_THAT(table, HasSubstr("closed  Alat pemindai sqlmap"));
  EXPECT_THAT(AlertsTable(v1::ListLogAlertsResponse()), HasSubstr("no log alerts"));
  std::cout << table;  // an example for the documentation
  v1::ListLogAlertsResponse more = TwoAlerts();
  more.set_truncated(true);
  EXPECT_THAT(AlertsTable(more), HasSubstr("more alerts match"));
}

TEST(AlertsJson, HasEveryFieldWithSeverityAsAName) {
  const std::string json = AlertsJson(TwoAlerts());
  EXPECT_THAT(json, HasSubstr("{\"alerts\":[{\"court_id\":\"PN-CONTOH\",\"agent_id\":\"a1\","
                              "\"site\":\"pn-contoh-www\",\"alert_id\":\"a-1\","
                              "\"rule\":\"wp_login_bruteforce\",\"family\":\"brute_force\","
                              "\"severity\":\"critical\",\"client\":\"203.0.113.7\","
                              "\"country\":\"ID\",\"count\":240,"));
  EXPECT_THAT(json, HasSubstr("\"closed\":false,\"description\":\"Percobaan menebak"));
  EXPECT_THAT(json, HasSubstr("\"action\":\"Blokir alamat IP ini dan aktifkan 2FA\""));
  EXPECT_THAT(json, HasSubstr("\"sample_lines\":[\"POST /wp-login.php \\\"quoted\\\"\"]"));
  EXPECT_THAT(json, HasSubstr("\"truncated\":false,\"now_unix_ms\":1795600060000}"));
}

TEST(OpenCriticalAlerts, CountsOnlyOpenCriticalOnes) {
  v1::ListLogAlertsResponse r = TwoAlerts();
  EXPECT_EQ(OpenCriticalAlerts(r), 1);
  r.mutable_alerts(0)->mutable_alert()->set_closed(true);
  EXPECT_EQ(OpenCriticalAlerts(r), 0);
}

v1::GetVisitorStatsResponse TwoMinutes() {
  v1::GetVisitorStatsResponse r;
  r.set_from_unix_s(1767225600 - 3540);
  r.set_to_unix_s(1767225660);
  r.set_now_unix_ms(1767225630000);
  for (int i = 0; i < 2; ++i) {
    v1::VisitorStats* m = r.add_minutes();
    m->set_site("www");
    m->set_minute_unix_s(1767225540 + 60 * i);
    m->set_requests(100 + i);
    m->set_unique_visitors(10 + i);
    m->set_status_2xx(90);
    m->set_status_5xx(10 + i);
    m->set_bytes(1536 * 1024);
  }
  v1::VisitorStats* t = r.mutable_totals();
  t->set_site("www");
  t->set_requests(201);
  t->set_unique_visitors(11);
  t->set_status_2xx(180);
  t->set_status_5xx(21);
  t->set_bytes(3 * 1536 * 1024);
  v1::KeyCount* page = t->add_top_pages();
  page->set_key("/berita?id=12&order=desc");
  page->set_count(77);
  v1::KeyCount* country = t->add_countries();
  country->set_key("ID");
  country->set_count(200);
  return r;
}

TEST(VisitorsTable, ShowsMinutesInTheGivenZoneTotalsAndTopPages) {
  const std::string table = VisitorsTable(TwoMinutes(), absl::FixedTimeZone(7 * 3600));
  EXPECT_THAT(table, HasSubstr("site www, 2026-01-01 06:01 - 07:01"));
  EXPECT_THAT(table, HasSubstr("MINUTE  REQUESTS"));
  EXPECT_THAT(table, HasSubstr("06:59        100       10"));
  EXPECT_THAT(table, HasSubstr("07:00        101       11"));
  EXPECT_THAT(table, HasSubstr("TOTAL        201       11"));
  EXPECT_THAT(table, HasSubstr("1.5M"));
  EXPECT_THAT(table, HasSubstr("TOP PAGES\n         77  /berita?id=12&order=desc\n"));
  EXPECT_THAT(table, HasSubstr("COUNTRIES\n        200  ID\n"));
  std::cout << table;  // an example for the documentation
  v1::GetVisitorStatsResponse empty = TwoMinutes();
  empty.clear_minutes();
  EXPECT_THAT(VisitorsTable(empty, absl::UTCTimeZone()), HasSubstr("no visitor statistics"));
}

TEST(VisitorsJson, HasMinutesTotalsAndTopLists) {
  const std::string json = VisitorsJson(TwoMinutes());
  EXPECT_THAT(json, HasSubstr("{\"site\":\"www\",\"from_unix_s\":1767222060,"
                              "\"to_unix_s\":1767225660,\"minutes\":[{\"minute_unix_s\":"
                              "1767225540,\"requests\":100,\"unique_visitors\":10,"));
  EXPECT_THAT(json, HasSubstr("\"top_pages\":[{\"key\":\"/berita?id=12&order=desc\","
                              "\"count\":77}],\"top_clients\":[],\"countries\":[{\"key\":\"ID\","
                              "\"count\":200}]}"));
}

TEST(RunCtl, LogwatchUsageErrorsExitWithTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCtl({"visitors"}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--site SITE is required"));
  EXPECT_EQ(RunCtl({"visitors", "--site", "www", "--minutes", "1441"}, out, err), 2);
  EXPECT_EQ(RunCtl({"visitors", "--site", "www", "--minutes", "x"}, out, err), 2);
  EXPECT_EQ(RunCtl({"visitors", "--site", "www", "--all"}, out, err), 2);
  EXPECT_EQ(RunCtl({"alerts", "--limit", "0"}, out, err), 2);
  EXPECT_EQ(RunCtl({"alerts", "--minutes", "5"}, out, err), 2);
  EXPECT_EQ(RunCtl({"status", "--site", "www"}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("--minutes needs a number from 1 to 1440"));
  EXPECT_THAT(err.str(), HasSubstr("--limit needs a number from 1 to 1000"));
}


// --- the operator token ----------------------------------------------------------------------

TEST(RunCtl, SendsTheTokenAsBearerMetadata) {
  std::string out, err, authorization;
  EXPECT_EQ(RunStatusAgainst(TwoSites(), {}, &out, &err, WithToken("  pantau_fake \n"), {},
                             &authorization),
            0)
      << err;
  EXPECT_EQ(authorization, "Bearer pantau_fake");  // trimmed
  EXPECT_THAT(out, HasSubstr("pn-contoh-www"));
}

TEST(RunCtl, FindsTheTokenInOrderFlagFileEnvironmentFileEnvironmentHome) {
  pantau::testing::ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(dir.path(), "/", name);
    std::ofstream(path) << text;
    return path;
  };
  const std::string flag_file = write("flag", "pantau_fake\nsecond line\n");
  const std::string env_file = write("env", "  pantau_fake  \n");
  std::filesystem::create_directories(dir.path() + "/home/.config/pantau");
  write("home/.config/pantau/token", "pantau_fake\n");
  std::string out, err, authorization;

  CtlEnvironment env;
  env.token_file = write("wrong-env", "wrong_env_file\n");
  env.token = "wrong_env";
  env.home = dir.path() + "/home";
  // --token-file beats everything: its first line.
  EXPECT_EQ(RunStatusAgainst(TwoSites(), {}, &out, &err, env, {"--token-file", flag_file}), 0)
      << err;
  // Then $PANTAU_TOKEN_FILE.
  env.token_file = env_file;
  EXPECT_EQ(RunStatusAgainst(TwoSites(), {}, &out, &err, env), 0) << err;
  env.token_file = write("wrong-env", "wrong_env_file\n");
  EXPECT_EQ(RunStatusAgainst(TwoSites(), {}, &out, &err, env), 1);
  EXPECT_THAT(err, HasSubstr("unknown or revoked operator token"));
  EXPECT_THAT(err, Not(HasSubstr("wrong_env_file")));  // the token is never printed
  // Then $PANTAU_TOKEN.
  env.token_file.clear();
  env.token = "pantau_fake";
  EXPECT_EQ(RunStatusAgainst(TwoSites(), {}, &out, &err, env, {}, &authorization), 0) << err;
  // Then ~/.config/pantau/token.
  env.token.clear();
  EXPECT_EQ(RunStatusAgainst(TwoSites(), {}, &out, &err, env, {}, &authorization), 0) << err;
  EXPECT_EQ(authorization, "Bearer pantau_fake");
}

TEST(RunCtl, WithoutATokenExitsWithTwoAndSaysHowToGiveOne) {
  std::ostringstream out, err;
  CtlEnvironment env;
  env.home = "/nonexistent";
  EXPECT_EQ(RunCtl({"--insecure", "status"}, env, out, err), 2);
  EXPECT_EQ(err.str(),
            "pantauctl: no operator token: pass --token-file FILE or set PANTAU_TOKEN_FILE\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCtl({"--token-file", "/nonexistent/token", "whoami"}, env, out2, err2), 2);
  EXPECT_THAT(err2.str(), HasSubstr("cannot read token file /nonexistent/token"));
  std::ostringstream out3, err3;
  EXPECT_EQ(RunCtl({"whoami"}, WithToken("two words"), out3, err3), 2);
  EXPECT_THAT(err3.str(), HasSubstr("not one word of printable ASCII"));
  EXPECT_THAT(err3.str(), Not(HasSubstr("two words")));
}

// --- usage of the new commands ---------------------------------------------------------------

TEST(RunCtl, IncidentAndOrganisationUsageErrorsExitWithTwoAndSayWhat) {
  const CtlEnvironment env = WithToken(kFakeToken);
  auto run = [&env](const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = RunCtl(args, env, out, err);
    EXPECT_EQ(code, 2) << absl::StrJoin(args, " ");
    const std::string text = err.str();
    return text.substr(0, text.find('\n'));
  };
  EXPECT_EQ(run({"incidents", "frob"}),
            "pantauctl incidents: unknown subcommand 'frob' (list, show, ack, note, handoff or "
            "resolve)");
  EXPECT_EQ(run({"incidents", "ack"}), "pantauctl incidents ack: missing incident ID");
  EXPECT_EQ(run({"incidents", "show", "12x"}),
            "pantauctl incidents show: incident ID must be a positive number, not '12x'");
  EXPECT_EQ(run({"incidents", "ack", "0"}),
            "pantauctl incidents ack: incident ID must be a positive number, not '0'");
  EXPECT_EQ(run({"incidents", "ack", "1", "2"}),
            "pantauctl incidents ack: unexpected argument '2'");
  EXPECT_EQ(run({"incidents", "note", "1"}),
            "pantauctl incidents note: the note's TEXT is missing");
  EXPECT_EQ(run({"incidents", "resolve", "1"}),
            "pantauctl incidents resolve: --note TEXT is required: how the problem was solved");
  EXPECT_EQ(run({"incidents", "--limit", "0"}),
            "pantauctl incidents: --limit needs a number from 1 to 1000");
  EXPECT_EQ(run({"incidents", "handoff", "1", "--vendor", "V"}),
            "pantauctl incidents handoff: --vendor, --ticket and --contact are required (or "
            "--ticket-closed)");
  EXPECT_EQ(run({"incidents", "handoff", "1", "--ticket-closed", "--vendor", "V"}),
            "pantauctl incidents handoff: --ticket-closed records the third party's closing: "
            "only --note goes with it");
  EXPECT_EQ(run({"incidents", "handoff", "1", "--vendor", "V", "--ticket", "T", "--contact", "C",
                 "--sla", "besok"}),
            "pantauctl incidents handoff: --sla: 'besok' is not a time: use \"YYYY-MM-DD HH:MM\" "
            "(WIB), add \" WITA\" or \" WIT\", or an offset as in \"2026-11-27T10:00+08:00\"");
  EXPECT_EQ(run({"incidents", "handoff", "1", "--vendor", "V", "--ticket", "T", "--contact", "C",
                 "--sla", "2026-01-01 10:00", "--sla-hours", "4"}),
            "pantauctl incidents handoff: give --sla or --sla-hours, not both");
  EXPECT_EQ(run({"maintenance", "add", "--minutes", "30", "--reason", "r"}),
            "pantauctl maintenance add: --court CODE is required");
  EXPECT_EQ(run({"maintenance", "add", "--court", "PN-A", "--reason", "r"}),
            "pantauctl maintenance add: give how long: --minutes N or --until TIME");
  EXPECT_EQ(run({"maintenance", "add", "--court", "PN-A", "--minutes", "30"}),
            "pantauctl maintenance add: --reason TEXT is required");
  EXPECT_EQ(run({"maintenance", "add", "--court", "PN-A", "--minutes", "0", "--reason", "r"}),
            "pantauctl maintenance add: --minutes needs a number from 1 to 20160");
  EXPECT_EQ(run({"maintenance", "end"}),
            "pantauctl maintenance end: missing maintenance window ID");
  EXPECT_EQ(run({"maintenance", "stop", "1"}),
            "pantauctl maintenance: unknown subcommand 'stop' (add, list or end)");
  EXPECT_EQ(run({"org"}), "pantauctl org: missing subcommand: org apply FILE [--dry-run]");
  EXPECT_EQ(run({"org", "apply"}), "pantauctl org apply: missing FILE (the organisation file)");
  EXPECT_EQ(run({"token", "issue"}), "pantauctl token issue: missing PERSON (a person id)");
  EXPECT_EQ(run({"token", "revoke", "budi"}),
            "pantauctl token: unknown subcommand 'revoke' (issue)");
  EXPECT_EQ(run({"whoami", "--all"}), "pantauctl whoami: unknown argument '--all'");
  EXPECT_EQ(run({"people", "--court"}), "pantauctl people: --court needs a value");
}

TEST(ParseOperatorTime, TakesWibUnlessTheTextCarriesItsZone) {
  const absl::Time utc_3am = absl::FromCivil(absl::CivilMinute(2026, 11, 27, 3, 0),
                                             absl::UTCTimeZone());
  absl::Time t;
  std::string error;
  EXPECT_TRUE(ParseOperatorTime("2026-11-27 10:00", &t, &error));
  EXPECT_EQ(t, utc_3am);
  EXPECT_TRUE(ParseOperatorTime("2026-11-27T10:00:00", &t, &error));
  EXPECT_EQ(t, utc_3am);
  EXPECT_TRUE(ParseOperatorTime("2026-11-27 11:00 WITA", &t, &error));
  EXPECT_EQ(t, utc_3am);
  EXPECT_TRUE(ParseOperatorTime("2026-11-27 12:00 WIT", &t, &error));
  EXPECT_EQ(t, utc_3am);
  EXPECT_TRUE(ParseOperatorTime("2026-11-27T11:00+08:00", &t, &error));
  EXPECT_EQ(t, utc_3am);
  EXPECT_TRUE(ParseOperatorTime("2026-11-27T03:00:00Z", &t, &error));
  EXPECT_EQ(t, utc_3am);
  EXPECT_FALSE(ParseOperatorTime("27/11/2026 10:00", &t, &error));
  EXPECT_THAT(error, HasSubstr("'27/11/2026 10:00' is not a time"));
  EXPECT_FALSE(ParseOperatorTime("2026-11-27", &t, &error));
}

// --- incident renderings ---------------------------------------------------------------------

constexpr int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z

v1::Incident AnIncident() {
  v1::Incident i;
  i.set_id(42);
  i.set_court_id("PN-MAKASSAR");
  i.set_court_name("Pengadilan Negeri Makassar");
  i.set_time_zone("Asia/Makassar");
  i.set_site("pn-makassar");
  i.set_kind("site_down");
  i.set_severity("critical");
  i.set_state("acknowledged");
  i.set_title("Situs tidak dapat diakses");
  i.set_detail("connect: connection refused");
  i.set_opened_unix_ms(kNow - 3 * 3600 * 1000);
  i.set_last_signal_unix_ms(kNow - 60 * 1000);
  i.set_acknowledged_unix_ms(kNow - 3600 * 1000);
  i.set_acknowledged_by("budi");
  i.set_escalation_step(2);
  i.set_escalation_role("kasubbag");
  return i;
}

TEST(IncidentsTable, ShowsIdSeverityStateCourtSiteKindAgeStepAndHolder) {
  v1::ListIncidentsResponse list;
  list.set_now_unix_ms(kNow);
  *list.add_incidents() = AnIncident();
  v1::Incident* handed = list.add_incidents();
  *handed = AnIncident();
  handed->set_id(7);
  handed->set_severity("major");
  handed->set_state("handed_off");
  handed->set_vendor("Telkom");
  handed->set_vendor_ticket("T-1");
  handed->set_vendor_ticket_open(true);
  handed->set_in_maintenance(true);
  const std::string table = IncidentsTable(list, false);
  EXPECT_THAT(table, HasSubstr("    ID SEVERITY STATE        COURT          SITE"));
  EXPECT_THAT(table, HasSubstr("ACK BY / VENDOR"));
  EXPECT_THAT(table, HasSubstr("    42 critical acknowledged PN-MAKASSAR    pn-makassar          "
                               "site_down                  3h 2 kasubbag     budi"));
  EXPECT_THAT(table, HasSubstr("Telkom T-1"));
  EXPECT_THAT(table, HasSubstr("[maintenance] Situs tidak dapat diakses"));
  std::cout << table;  // an example for the documentation
  EXPECT_EQ(UnresolvedCriticalIncidents(list), 1);
  list.mutable_incidents(0)->set_state("resolved");
  EXPECT_EQ(UnresolvedCriticalIncidents(list), 0);
  EXPECT_EQ(IncidentsTable(v1::ListIncidentsResponse(), false),
            "no open incidents (--all lists resolved ones too)\n");
  EXPECT_EQ(IncidentsTable(v1::ListIncidentsResponse(), true), "no incidents\n");
  list.set_truncated(true);
  EXPECT_THAT(IncidentsTable(list, true), HasSubstr("more incidents match"));
  EXPECT_THAT(IncidentsJson(list),
              HasSubstr("{\"incidents\":[{\"id\":42,\"court_id\":\"PN-MAKASSAR\","
                        "\"court_name\":\"Pengadilan Negeri Makassar\",\"time_zone\":"
                        "\"Asia/Makassar\",\"site\":\"pn-makassar\",\"kind\":\"site_down\","
                        "\"severity\":\"critical\",\"state\":\"resolved\""));
  EXPECT_THAT(IncidentsJson(list), HasSubstr("\"truncated\":true,\"now_unix_ms\":1767225600000}"));
}

TEST(IncidentDetail, NamesTheLastCleanBackupAndItsRestoreCommandOfAnIntegrityIncident) {
  v1::GetIncidentResponse r;
  r.set_now_unix_ms(kNow);
  *r.mutable_incident() = AnIncident();
  r.mutable_incident()->set_kind("web_root_compromised");
  EXPECT_THAT(IncidentDetail(r), Not(HasSubstr("Cadangan")));
  r.mutable_incident()->set_restore_known(true);
  EXPECT_THAT(IncidentDetail(r),
              HasSubstr("\nBelum ada cadangan terverifikasi sebelum temuan pertama.\n"));
  r.mutable_incident()->set_last_clean_backup_id("pn-x-20261126T000000Z");
  r.mutable_incident()->set_last_clean_backup_unix_ms(1795651200000);  // 00:00 UTC
  r.mutable_incident()->set_restore_command("pantau-agent backup restore pn-x-20261126T000000Z --to DIR");
  const std::string text = IncidentDetail(r);
  EXPECT_THAT(text, HasSubstr("Cadangan bersih terakhir: pn-x-20261126T000000Z (2026-11-26 08:00 "
                              "WITA)\nPerintah pemulihan: pantau-agent backup restore "
                              "pn-x-20261126T000000Z --to DIR\n"));
  EXPECT_THAT(IncidentJson(r), HasSubstr("\"restore\":{\"last_clean_backup_id\":"
                                         "\"pn-x-20261126T000000Z\""));
}

TEST(IncidentDetail, ShowsRunbookStepsTimelineInTheCourtZoneAndNotifications) {
  v1::GetIncidentResponse r;
  r.set_now_unix_ms(kNow);
  *r.mutable_incident() = AnIncident();
  r.mutable_runbook()->set_title("Situs tidak dapat diakses");
  r.mutable_runbook()->set_summary("Pemeriksaan HTTP gagal.");
  r.mutable_runbook()->add_steps("Buka situs dari perangkat lain.");
  r.mutable_runbook()->add_steps("Periksa panel hosting.");
  r.mutable_runbook()->set_third_party("Penyedia hosting");
  v1::IncidentEvent* e = r.add_events();
  e->set_at_unix_ms(kNow - 3 * 3600 * 1000);  // 2025-12-31 21:00 UTC = 2026-01-01 05:00 WITA
  e->set_actor("pantau");
  e->set_action("opened");
  e->set_note("connect: connection refused");
  v1::NotificationRecord* n = r.add_notifications();
  n->set_channel("telegram");
  n->set_person_id("budi");
  n->set_message_kind("opened");
  n->set_state("failed");
  n->set_attempts(5);
  n->set_last_error("chat not found");
  const std::string text = IncidentDetail(r);
  EXPECT_THAT(text, HasSubstr("incident 42: Situs tidak dapat diakses\n"));
  EXPECT_THAT(text, HasSubstr("  court        PN-MAKASSAR (Pengadilan Negeri Makassar)\n"));
  EXPECT_THAT(text, HasSubstr("  state        acknowledged, acknowledged by budi at 2026-01-01 "
                              "07:00 WITA\n"));
  EXPECT_THAT(text, HasSubstr("  escalation   step 2 (kasubbag)\n"));
  EXPECT_THAT(text, HasSubstr("Alternatif pemecahan masalah:\n"
                              "   1. Buka situs dari perangkat lain.\n"
                              "   2. Periksa panel hosting.\n"));
  EXPECT_THAT(text, HasSubstr("Pihak ketiga:\n  Penyedia hosting\n"));
  EXPECT_THAT(text, HasSubstr("Timeline (WITA):\n  2026-01-01 05:00  pantau               opened"
                              "         connect: connection refused\n"));
  EXPECT_THAT(text, HasSubstr("telegram   budi             opened         failed          5"));
  EXPECT_THAT(text, HasSubstr("chat not found"));
  std::cout << text;  // an example for the documentation
  const std::string json = IncidentJson(r);
  EXPECT_THAT(json, HasSubstr("\"runbook\":{\"title\":\"Situs tidak dapat diakses\","
                              "\"summary\":\"Pemeriksaan HTTP gagal.\",\"steps\":[\"Buka situs "
                              "dari perangkat lain.\",\"Periksa panel hosting.\"],"
                              "\"third_party\":\"Penyedia hosting\"}"));
  EXPECT_THAT(json, HasSubstr("\"events\":[{\"at_unix_ms\":1767214800000,\"actor\":\"pantau\","
                              "\"action\":\"opened\""));
  EXPECT_THAT(json, HasSubstr("\"state\":\"failed\",\"attempts\":5,\"last_error\":"
                              "\"chat not found\""));
}

TEST(IncidentStateLine, SaysTheStateInOneLine) {
  v1::Incident i = AnIncident();
  EXPECT_EQ(IncidentStateLine(i), "incident 42: acknowledged by budi");
  i.set_state("handed_off");
  i.set_vendor("PT Hosting");
  i.set_vendor_ticket("T-9");
  EXPECT_EQ(IncidentStateLine(i), "incident 42: handed off to PT Hosting, ticket T-9");
  i.set_state("resolved");
  i.set_resolved_by("siti");
  EXPECT_EQ(IncidentStateLine(i), "incident 42: resolved by siti");
  i.set_state("open");
  EXPECT_EQ(IncidentStateLine(i), "incident 42: open");
}

// --- against a real collector ----------------------------------------------------------------

// Two courts (PN-A in WIB, PN-B in WITA, both below PT-X which is not in the file), three
// people, a Plh. and a policy.
constexpr char kRegion[] = R"(courts:
  - code: PN-A
    name: Pengadilan Negeri A
    type: PN
    sites:
      - {id: www, url: "https://pn-a.go.id/"}
      - {id: sipp}
  - code: PN-B
    name: Pengadilan Negeri B
    type: PN
    time_zone: Asia/Makassar
    sites:
      - {id: pn-b}
people:
  - {id: budi, name: Budi Santoso, role: staf, courts: [PN-A], email: budi@pn-a.go.id}
  - {id: siti, name: Siti Rahma, role: kasubbag, courts: [PN-A, PN-B], telegram_chat_id: "123"}
  - {id: rina, name: Rina Wulandari, role: sekretaris, courts: [PN-B]}
acting:
  - {person: rina, court: PN-A, role: sekretaris, title: Plh., from: 2025-12-31, to: 2026-01-02}
policies:
  - court: PN-A
    steps:
      - {role: staf, after_minutes: 0}
      - {role: kasubbag, after_minutes: 10}
      - {role: sekretaris, after_minutes: 30, until: unresolved}
)";

class CtlCollectorTest : public pantau::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_FALSE(dir_.path().empty());
    collector::CollectorConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "";
    config.insecure = true;
    config.database = conninfo_;
    config.database_pool_size = 2;
    config.data_dir = PANTAU_SOURCE_DIR "/data";
    // Nothing but the commands changes incidents: no sweeps or full evaluations meanwhile.
    config.incidents.sweep_interval = absl::Hours(24);
    config.incidents.full_evaluation_interval = absl::ZeroDuration();
    absl::StatusOr<std::unique_ptr<collector::CollectorApp>> app =
        collector::CollectorApp::Create(config, clock_);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(*app);
    absl::Status started = app_->Start();
    ASSERT_TRUE(started.ok()) << started;
    absl::StatusOr<std::string> token = app_->engine().BootstrapAdmin("admin", "Admin Pusat");
    ASSERT_TRUE(token.ok()) << token.status();
    admin_token_file_ = Write("admin.token", *token + "\n");
  }
  void TearDown() override {
    if (app_ != nullptr) app_->Shutdown();
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(dir_.path(), "/", name);
    std::ofstream(path) << text;
    return path;
  }

  // pantauctl against the collector with the admin's token (or `token`); out and err of the
  // run in `out` and `err`.
  int Run(const std::vector<std::string>& command, std::string* out, std::string* err,
          const std::string& token = "") {
    std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", app_->grpc_port()),
                                     "--insecure"};
    if (token.empty()) {
      args.push_back("--token-file");
      args.push_back(admin_token_file_);
    }
    args.insert(args.end(), command.begin(), command.end());
    CtlEnvironment env;
    env.token = token;
    env.clock = &clock_;
    std::ostringstream out_stream, err_stream;
    const int code = RunCtl(args, env, out_stream, err_stream);
    *out = out_stream.str();
    *err = err_stream.str();
    return code;
  }

  // Applies kRegion and issues a token for `person`.
  std::string SetUpRegionAndTokenFor(const std::string& person) {
    std::string out, err;
    EXPECT_EQ(Run({"org", "apply", Write("region.yaml", kRegion)}, &out, &err), 0) << err;
    EXPECT_EQ(Run({"token", "issue", person}, &out, &err), 0) << err;
    return std::string(absl::StripAsciiWhitespace(out));
  }

  // Inserts an open incident as the engine would have opened it; returns its id.
  int64_t InsertIncident(const std::string& court, const std::string& site,
                         const std::string& kind, int severity) {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    const int64_t now_us = absl::ToUnixMicros(clock_.Now());
    pqxx::row r = txn.exec_params1(
        "INSERT INTO incidents (court_id, site, kind, severity, state, detail, opened_at, "
        "last_signal_at) VALUES ($1, $2, $3, $4, 'open', 'connect: connection refused', "
        "to_timestamp($5::bigint / 1000000.0), to_timestamp($6::bigint / 1000000.0)) "
        "RETURNING incident_id",
        court, site, kind, severity, now_us - int64_t{3600} * 1000000, now_us);
    const int64_t id = r[0].as<int64_t>();
    txn.exec_params("INSERT INTO incident_events (incident_id, court_id, at, actor, action, note) "
                    "VALUES ($1, $2, to_timestamp($3::bigint / 1000000.0), 'pantau', 'opened', "
                    "'connect: connection refused')",
                    id, court, now_us - int64_t{3600} * 1000000);
    txn.commit();
    return id;
  }

  pantau::testing::FakeClock clock_;  // 2026-01-01T00:00:00Z = 07:00 WIB
  pantau::testing::ScopedTempDir dir_;
  std::unique_ptr<collector::CollectorApp> app_;
  std::string admin_token_file_;
};

TEST_F(CtlCollectorTest, ExistingCommandsWorkWithAnAdminToken) {
  std::string out, err;
  EXPECT_EQ(Run({"status"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("no sites have reported yet"));
  EXPECT_EQ(Run({"alerts"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("no log alerts"));
  EXPECT_EQ(Run({"whoami"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "admin (Admin Pusat)\n  role     admin\n  courts   * (every court)\n");
  EXPECT_EQ(Run({"whoami", "--json"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "{\"person_id\":\"admin\",\"name\":\"Admin Pusat\",\"role\":\"admin\","
                 "\"courts\":[\"*\"],\"visible_courts\":[\"*\"],\"acting\":[]}\n");
}

TEST_F(CtlCollectorTest, AnUnknownTokenIsRefusedWithExitOne) {
  std::string out, err;
  EXPECT_EQ(Run({"status"}, &out, &err, "pantau_0000"), 1);
  EXPECT_EQ(err, "pantauctl: unknown or revoked operator token (the token in PANTAU_TOKEN)\n");
  EXPECT_EQ(out, "");
  EXPECT_EQ(Run({"incidents"}, &out, &err, "pantau_0000"), 1);
  EXPECT_THAT(err, HasSubstr("unknown or revoked operator token"));
}

TEST_F(CtlCollectorTest, OrgApplyPrintsTheChangesAndIsIdempotent) {
  const std::string file = Write("region.yaml", kRegion);
  std::string out, err;
  EXPECT_EQ(Run({"org", "apply", file}, &out, &err), 0) << err;
  EXPECT_EQ(out,
            "court PN-A added\n"
            "site PN-A/www added\n"
            "site PN-A/sipp added\n"
            "court PN-B added\n"
            "site PN-B/pn-b added\n"
            "person budi added\n"
            "person siti added\n"
            "person rina added\n"
            "acting Plh. sekretaris@PN-A rina added\n"
            "policy PN-A added\n"
            "2 courts, 3 sites, 3 people, 1 acting, 1 policy\n");
  // Again: nothing changes.
  EXPECT_EQ(Run({"org", "apply", file}, &out, &err), 0) << err;
  EXPECT_EQ(out, "no changes\n2 courts, 3 sites, 3 people, 1 acting, 1 policy\n");

  EXPECT_EQ(Run({"people"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("ID               NAME                     ROLE       COURTS"));
  EXPECT_THAT(out, HasSubstr("budi             Budi Santoso             staf       PN-A     "));
  EXPECT_THAT(out, HasSubstr("siti             Siti Rahma               kasubbag   PN-A,PN-B"));
  EXPECT_THAT(out, HasSubstr("rina             Rina Wulandari           sekretaris PN-B"));
  EXPECT_THAT(out, HasSubstr("admin            Admin Pusat              admin      *"));
  EXPECT_EQ(Run({"people", "--court", "PN-B", "--json"}, &out, &err), 0) << err;
  EXPECT_EQ(out, "{\"people\":[{\"id\":\"rina\",\"name\":\"Rina Wulandari\",\"role\":"
                 "\"sekretaris\",\"courts\":[\"PN-B\"],\"channels\":[],\"active\":true,"
                 "\"has_token\":false},{\"id\":\"siti\",\"name\":\"Siti Rahma\",\"role\":"
                 "\"kasubbag\",\"courts\":[\"PN-A\",\"PN-B\"],\"channels\":[\"telegram\"],"
                 "\"active\":true,\"has_token\":false}]}\n");
}

TEST_F(CtlCollectorTest, OrgApplyDryRunChangesNothing) {
  std::string out, err;
  EXPECT_EQ(Run({"org", "apply", Write("region.yaml", kRegion), "--dry-run"}, &out, &err), 0)
      << err;
  EXPECT_THAT(out, HasSubstr("person budi added\n"));
  EXPECT_THAT(out, HasSubstr("1 policy (dry run: nothing changed)\n"));
  EXPECT_EQ(Run({"people"}, &out, &err), 0) << err;
  EXPECT_THAT(out, Not(HasSubstr("budi")));
  EXPECT_EQ(Run({"org", "apply", Write("region.yaml", kRegion)}, &out, &err), 0) << err;
  std::string renamed = kRegion;
  renamed.replace(renamed.find("Budi Santoso"), 12, "Budi S.");
  EXPECT_EQ(Run({"org", "apply", "--dry-run", Write("renamed.yaml", renamed)}, &out, &err), 0)
      << err;
  EXPECT_EQ(out, "person budi updated\n2 courts, 3 sites, 3 people, 1 acting, 1 policy "
                 "(dry run: nothing changed)\n");
  EXPECT_EQ(Run({"people", "--court", "PN-A"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("Budi Santoso"));
}

TEST_F(CtlCollectorTest, OrgApplyErrorsNameTheFileAndLine) {
  std::string out, err;
  std::string bad = kRegion;
  bad.replace(bad.find("type: PN"), 8, "typo: PN");
  const std::string file = Write("bad.yaml", bad);
  EXPECT_EQ(Run({"org", "apply", file}, &out, &err), 1);
  EXPECT_EQ(err, absl::StrCat("pantauctl: ", file, ":2: court 'PN-A'.type: is required\n"));
  EXPECT_EQ(out, "");
  // Checks against the database name the file too.
  const std::string orphan = Write("orphan.yaml",
                                   "people:\n  - {id: joko, name: Joko, role: staf, courts: "
                                   "[PN-NOWHERE]}\n");
  EXPECT_EQ(Run({"org", "apply", orphan}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(absl::StrCat(orphan, ": line 2: person joko: court PN-NOWHERE is "
                                          "not known")));
  EXPECT_EQ(Run({"org", "apply", dir_.path() + "/missing.yaml"}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(absl::StrCat("cannot read ", dir_.path(), "/missing.yaml")));
  std::string huge(4 * 1024 * 1024 + 1, '#');
  EXPECT_EQ(Run({"org", "apply", Write("huge.yaml", huge)}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("huge.yaml is larger than 4 MiB"));
}

TEST_F(CtlCollectorTest, AnIssuedTokenWorksForWhoAmIAndTheOldOneStops) {
  const std::string budi = SetUpRegionAndTokenFor("budi");
  ASSERT_THAT(budi, ::testing::StartsWith("pantau_"));
  std::string out, err;
  EXPECT_EQ(Run({"whoami"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, "budi (Budi Santoso)\n  role     staf\n  courts   PN-A\n  sees     PN-A\n");
  // Issuing shows the token once on stdout, the advice on stderr.
  EXPECT_EQ(Run({"token", "issue", "rina"}, &out, &err), 0) << err;
  const std::string rina = std::string(absl::StripAsciiWhitespace(out));
  EXPECT_EQ(out, rina + "\n");
  EXPECT_THAT(err, HasSubstr("store it now: it is shown once"));
  EXPECT_EQ(Run({"whoami"}, &out, &err, rina), 0) << err;
  EXPECT_THAT(out, HasSubstr("  role     sekretaris\n"));
  EXPECT_THAT(out, HasSubstr("  acting   sekretaris@PN-A (Plh.)\n"));
  // A new token for rina: the first stops working.
  EXPECT_EQ(Run({"token", "issue", "rina"}, &out, &err), 0) << err;
  EXPECT_EQ(Run({"whoami"}, &out, &err, rina), 1);
  EXPECT_THAT(err, HasSubstr("unknown or revoked operator token"));
  // A staf may not issue tokens; an unknown person is not found.
  EXPECT_EQ(Run({"token", "issue", "siti"}, &out, &err, budi), 1);
  EXPECT_EQ(err, "pantauctl: only an admin may issue tokens\n");
  EXPECT_EQ(Run({"token", "issue", "nobody"}, &out, &err), 1);
  EXPECT_EQ(err, "pantauctl: person nobody not found\n");
}

TEST_F(CtlCollectorTest, AStafSeesOnlyTheirCourt) {
  const std::string budi = SetUpRegionAndTokenFor("budi");
  std::string out, err;
  EXPECT_EQ(Run({"incidents"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, "no open incidents (--all lists resolved ones too)\n");
  EXPECT_EQ(Run({"incidents", "--court", "PN-B"}, &out, &err, budi), 1);
  EXPECT_EQ(err, "pantauctl: no access to court PN-B\n");
  EXPECT_EQ(Run({"maintenance", "add", "--court", "PN-B", "--minutes", "30", "--reason", "x"},
                &out, &err, budi),
            1);
  EXPECT_EQ(err, "pantauctl: no access to court PN-B\n");
  EXPECT_EQ(Run({"maintenance", "list", "--court", "PN-B"}, &out, &err, budi), 1);
  EXPECT_EQ(err, "pantauctl: no access to court PN-B\n");
  EXPECT_EQ(Run({"status", "--court", "PN-B"}, &out, &err, budi), 1);
  EXPECT_EQ(err, "pantauctl: no access to court PN-B\n");
  EXPECT_EQ(Run({"org", "apply", Write("again.yaml", kRegion)}, &out, &err, budi), 1);
  EXPECT_EQ(err, "pantauctl: only an admin may apply the organisation\n");
  // An incident of PN-B does not exist for budi.
  const int64_t id = InsertIncident("PN-B", "pn-b", "site_down", 3);
  EXPECT_EQ(Run({"incidents", "show", absl::StrCat(id)}, &out, &err, budi), 1);
  EXPECT_EQ(err, absl::StrCat("pantauctl: incident ", id, " not found\n"));
  EXPECT_EQ(Run({"incidents", "ack", absl::StrCat(id)}, &out, &err, budi), 1);
  EXPECT_EQ(err, absl::StrCat("pantauctl: incident ", id, " not found\n"));
  EXPECT_EQ(Run({"incidents"}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr("no open incidents"));
}

TEST_F(CtlCollectorTest, MaintenanceAddListEnd) {
  const std::string budi = SetUpRegionAndTokenFor("budi");
  std::string out, err;
  EXPECT_EQ(Run({"maintenance", "list"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, "no current or planned maintenance windows (--all lists past ones too)\n");
  // Now (07:00 WIB) for 90 minutes.
  EXPECT_EQ(Run({"maintenance", "add", "--court", "PN-A", "--minutes", "90", "--reason",
                 "Migrasi server"},
                &out, &err, budi),
            0)
      << err;
  EXPECT_EQ(out, "maintenance window 1: PN-A (every site) from 2026-01-01 07:00 WIB until "
                 "2026-01-01 08:30 WIB: Migrasi server\n");
  // Tomorrow 08:00 WIB until 11:00 WITA (10:00 WIB), one site.
  EXPECT_EQ(Run({"maintenance", "add", "--court", "PN-A", "--site", "sipp", "--from",
                 "2026-01-02 08:00", "--until", "2026-01-02 11:00 WITA", "--reason",
                 "Pembaruan SIPP"},
                &out, &err, budi),
            0)
      << err;
  EXPECT_EQ(out, "maintenance window 2: PN-A/sipp from 2026-01-02 08:00 WIB until 2026-01-02 "
                 "10:00 WIB: Pembaruan SIPP\n");
  EXPECT_EQ(Run({"maintenance", "list"}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr("    ID COURT          SITE                 FROM"));
  EXPECT_THAT(out, HasSubstr("     2 PN-A           sipp                 2026-01-02 08:00 WIB "
                             "2026-01-02 10:00 WIB planned  budi              Pembaruan SIPP\n"));
  EXPECT_THAT(out, HasSubstr("     1 PN-A           *                    2026-01-01 07:00 WIB "
                             "2026-01-01 08:30 WIB active   budi              Migrasi server\n"));
  // The server refuses windows in the past.
  EXPECT_EQ(Run({"maintenance", "add", "--court", "PN-A", "--until", "2025-12-31 10:00",
                 "--reason", "x"},
                &out, &err, budi),
            1);
  EXPECT_THAT(err, HasSubstr("the window must end after it starts"));
  EXPECT_EQ(Run({"maintenance", "end", "1"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, "maintenance window 1: PN-A (every site) ended at 2026-01-01 07:00 WIB\n");
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Run({"maintenance", "list", "--json"}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr("{\"windows\":[{\"id\":2,\"court_id\":\"PN-A\",\"site\":\"sipp\","
                             "\"starts_unix_ms\":1767315600000,\"ends_unix_ms\":1767322800000,"
                             "\"state\":\"planned\",\"reason\":\"Pembaruan SIPP\","
                             "\"created_by\":\"budi\"}],\"now_unix_ms\":1767225660000}"));
  EXPECT_EQ(Run({"maintenance", "list", "--all"}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr(" ended "));
  EXPECT_EQ(Run({"maintenance", "end", "99"}, &out, &err, budi), 1);
  EXPECT_EQ(err, "pantauctl: maintenance window 99 not found\n");
}

TEST_F(CtlCollectorTest, AnIncidentFromListToResolvedWithAThirdParty) {
  const std::string budi = SetUpRegionAndTokenFor("budi");
  const int64_t id = InsertIncident("PN-A", "www", "site_down", 3);
  const std::string ids = absl::StrCat(id);
  std::string out, err;
  // An unresolved critical incident: listed, exit 1.
  EXPECT_EQ(Run({"incidents"}, &out, &err, budi), 1);
  EXPECT_THAT(out, HasSubstr(absl::StrFormat("%6d critical open         PN-A           www     "
                                             "             site_down                 60m -  ",
                                             id)));
  EXPECT_THAT(out, HasSubstr("Situs tidak dapat diakses"));
  EXPECT_EQ(err, "pantauctl: 1 critical incident not resolved\n");
  EXPECT_EQ(Run({"incidents", "list", "--json", "--site", "www"}, &out, &err, budi), 1);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("{\"incidents\":[{\"id\":", id,
                                          ",\"court_id\":\"PN-A\",\"court_name\":"
                                          "\"Pengadilan Negeri A\",\"time_zone\":"
                                          "\"Asia/Jakarta\"")));
  EXPECT_EQ(Run({"incidents", "show", ids}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("incident ", id, ": Situs tidak dapat diakses\n")));
  EXPECT_THAT(out, HasSubstr("Alternatif pemecahan masalah:\n   1. Buka situs dari perangkat"));
  EXPECT_THAT(out, HasSubstr("Timeline (WIB):\n  2026-01-01 06:00  pantau               opened"));

  EXPECT_EQ(Run({"incidents", "ack", ids, "--note", "sedang dicek"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, absl::StrCat("incident ", id, ": acknowledged by budi\n"));
  EXPECT_EQ(Run({"incidents", "note", ids, "server", "dinyalakan", "ulang"}, &out, &err, budi), 0)
      << err;
  EXPECT_EQ(out, absl::StrCat("incident ", id, ": acknowledged by budi (note added)\n"));
  EXPECT_EQ(Run({"incidents", "handoff", ids, "--vendor", "PT Hosting", "--ticket", "T-77",
                 "--contact", "cs@hosting.id", "--sla", "2026-01-01 12:00"},
                &out, &err, budi),
            0)
      << err;
  EXPECT_EQ(out, absl::StrCat("incident ", id, ": handed off to PT Hosting, ticket T-77\n"));
  // Not resolvable while the third party's ticket is open.
  EXPECT_EQ(Run({"incidents", "resolve", ids, "--note", "pulih"}, &out, &err, budi), 1);
  EXPECT_EQ(err, absl::StrCat("pantauctl: incident ", id, " has an open ticket T-77 with PT "
                              "Hosting: record its closing first (pantauctl incidents handoff ",
                              id, " --ticket-closed)\n"));
  EXPECT_EQ(Run({"incidents"}, &out, &err, budi), 1);
  EXPECT_THAT(out, HasSubstr("handed_off"));
  EXPECT_THAT(out, HasSubstr("PT Hosting T-77"));
  EXPECT_EQ(Run({"incidents", "handoff", ids, "--ticket-closed"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, absl::StrCat("incident ", id,
                              ": acknowledged by budi (third-party ticket closed)\n"));
  EXPECT_EQ(Run({"incidents", "resolve", ids, "--note", "hosting memperbaiki disk penuh"}, &out,
                &err, budi),
            0)
      << err;
  EXPECT_EQ(out, absl::StrCat("incident ", id, ": resolved by budi\n"));

  EXPECT_EQ(Run({"incidents", "show", ids}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr("acknowledged   sedang dicek"));
  EXPECT_THAT(out, HasSubstr("note           server dinyalakan ulang"));
  EXPECT_THAT(out, HasSubstr("handed_off     pihak ketiga: PT Hosting, tiket: T-77, kontak: "
                             "cs@hosting.id, janji selesai: 2026-01-01T05:00Z"));
  EXPECT_THAT(out, HasSubstr("ticket_closed  tiket T-77 (PT Hosting) ditutup"));
  EXPECT_THAT(out, HasSubstr("resolved       hosting memperbaiki disk penuh"));
  EXPECT_THAT(out, HasSubstr("  third party  PT Hosting, ticket T-77, contact cs@hosting.id, "
                             "promised by 2026-01-01 12:00 WIB (ticket closed)\n"));
  EXPECT_THAT(out, HasSubstr("  resolved     2026-01-01 07:00 WIB by budi: hosting memperbaiki "
                             "disk penuh\n"));
  EXPECT_EQ(Run({"incidents"}, &out, &err, budi), 0) << err;
  EXPECT_EQ(out, "no open incidents (--all lists resolved ones too)\n");
  EXPECT_EQ(Run({"incidents", "--all"}, &out, &err, budi), 0) << err;
  EXPECT_THAT(out, HasSubstr("critical resolved"));
  EXPECT_EQ(Run({"incidents", "ack", ids}, &out, &err, budi), 1);
  EXPECT_EQ(err, absl::StrCat("pantauctl: incident ", id, " is already resolved\n"));
}

TEST_F(CtlCollectorTest, IncidentTimesAreShownInTheCourtZone) {
  SetUpRegionAndTokenFor("budi");
  const int64_t id = InsertIncident("PN-B", "pn-b", "site_down", 2);
  std::string out, err;
  EXPECT_EQ(Run({"incidents", "show", absl::StrCat(id)}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("  court        PN-B (Pengadilan Negeri B)\n"));
  EXPECT_THAT(out, HasSubstr("  kind         site_down, severity major\n"));
  EXPECT_THAT(out, HasSubstr("  opened       2026-01-01 07:00 WITA (60m ago)"));
  EXPECT_THAT(out, HasSubstr("Timeline (WITA):\n  2026-01-01 07:00  pantau"));
  EXPECT_EQ(Run({"incidents", "show", absl::StrCat(id), "--json"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("\"time_zone\":\"Asia/Makassar\""));
  EXPECT_THAT(out, HasSubstr("\"runbook\":{\"title\":\"Situs tidak dapat diakses\""));
  // Major only: exit 0.
  EXPECT_EQ(Run({"incidents"}, &out, &err), 0) << err;
}

}  // namespace
}  // namespace pantau::ctl
