#include "collector/ctl/ctl.h"

#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "pantau/v1/operator_service.grpc.pb.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::ctl {
namespace {

using ::testing::HasSubstr;

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

// A collector that answers GetStatus with a fixed response, on a loopback port.
class FakeOperatorService final : public v1::OperatorService::Service {
 public:
  explicit FakeOperatorService(v1::GetStatusResponse response) : response_(std::move(response)) {}
  grpc::Status GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                         v1::GetStatusResponse* response) override {
    *response = response_;
    return grpc::Status::OK;
  }

 private:
  const v1::GetStatusResponse response_;
};

int RunStatusAgainst(const v1::GetStatusResponse& answer, const std::vector<std::string>& extra,
                     std::string* out_text, std::string* err_text) {
  FakeOperatorService service(answer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  EXPECT_NE(server, nullptr);
  if (server == nullptr) return -1;
  std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", port), "--insecure",
                                   "status"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::ostringstream out, err;
  const int code = RunCtl(args, out, err);
  server->Shutdown();
  *out_text = out.str();
  *err_text = err.str();
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
  EXPECT_EQ(RunCtl({"--collector", "127.0.0.1:1", "--insecure", "--timeout", "2", "status"}, out,
                   err),
            1);
  EXPECT_THAT(err.str(), HasSubstr("127.0.0.1:1"));
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCtl({"--ca-file", "/nonexistent/ca.pem", "status"}, out2, err2), 1);
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

}  // namespace
}  // namespace pantau::ctl
