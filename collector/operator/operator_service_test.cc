// OperatorService over a real PostgreSQL, fed through AgentService.Push in-process and asked
// over real gRPC on loopback with an operator token: what an agent sends is what pantauctl gets
// (for the courts the caller may see), and what Prometheus scrapes.
#include "collector/operator/operator_service.h"

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"
#include "collector/ctl/ctl.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/incident_engine.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/postgres_test.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::FakeClock;
using ::pantau::testing::PostgresServer;
using ::testing::HasSubstr;
using Stub = v1::OperatorService::Stub;

class OperatorServiceTest : public ::pantau::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_OK_AND_ASSIGN(store_, Store::Create(conninfo_, 2));
    ASSERT_OK_AND_ASSIGN(IncidentCatalog catalog,
                         LoadIncidentCatalog(PANTAU_SOURCE_DIR "/data/incidents/rules.yaml",
                                             PANTAU_SOURCE_DIR "/data/incidents/runbooks.yaml"));
    ASSERT_OK_AND_ASSIGN(engine_, IncidentEngine::Create(conninfo_, 2, std::move(catalog),
                                                         EngineOptions{}, clock_));
    ASSERT_OK_AND_ASSIGN(admin_token_, engine_->BootstrapAdmin("admin", "Admin Pantau"));
    metrics_ = std::make_unique<IngestMetrics>(registry_);
    agents_ = std::make_unique<AgentServiceImpl>(*store_, *metrics_, IngestLimits{}, clock_);
    operators_ = std::make_unique<OperatorServiceImpl>(*store_, *engine_, clock_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(operators_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::OperatorService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Push(const v1::PushRequest& request) {
    v1::PushResponse response;
    return agents_->Push(nullptr, &request, &response);
  }

  // One OperatorService call over gRPC with `token` ("" = no authorization metadata).
  template <typename Request, typename Response>
  grpc::Status CallAs(const std::string& token,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                      const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    response->Clear();
    return (stub_.get()->*method)(&context, request, response);
  }
  // The same as the bootstrapped admin (every court).
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    return CallAs(admin_token_, method, request, response);
  }

  // Applies an organisation file as the admin; the call's status.
  grpc::Status ApplyOrg(const std::string& yaml, const std::string& source_name = "org.yaml") {
    v1::ApplyOrgRequest request;
    request.set_yaml(yaml);
    request.set_source_name(source_name);
    v1::ApplyOrgResponse response;
    return Call(&Stub::ApplyOrg, request, &response);
  }
  // A fresh token for `person`, issued by the admin over gRPC.
  std::string TokenOf(const std::string& person) {
    v1::IssueTokenRequest request;
    request.set_person_id(person);
    v1::IssueTokenResponse response;
    const grpc::Status status = Call(&Stub::IssueToken, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.token();
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IncidentEngine> engine_;
  std::string admin_token_;
  std::unique_ptr<IngestMetrics> metrics_;
  std::unique_ptr<AgentServiceImpl> agents_;
  std::unique_ptr<OperatorServiceImpl> operators_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<Stub> stub_;
};

constexpr int64_t kT0 = 1767225600000;  // FakeClock's start, 2026-01-01

v1::PushRequest CheckedBatch() {
  v1::PushRequest r;
  r.set_agent_id("a1");
  r.set_court_id("PN-X");
  r.set_batch_seq(1);
  v1::Event* e = r.add_events();
  e->set_agent_event_id(1);
  v1::ProbeResult* p = e->mutable_probe();
  p->set_site("www");
  p->set_url("https://pn-x.go.id/");
  p->set_started_unix_ms(kT0 - 60000);
  p->set_up(true);
  p->set_http_status(200);
  p->set_tls_checked(true);
  p->set_tls_verified(true);
  p->set_tls_days_left_known(true);
  p->set_tls_days_left(20);
  v1::Finding* tls = p->add_findings();
  tls->set_kind("tls_expiring");
  tls->set_severity(v1::Finding::WARNING);
  e = r.add_events();
  e->set_agent_event_id(2);
  v1::CheckReport* c = e->mutable_check();
  c->set_site("www");
  c->set_check("content");
  c->set_started_unix_ms(kT0 - 50000);
  v1::Finding* spam = c->add_findings();
  spam->set_kind("gambling_spam");
  spam->set_severity(v1::Finding::CRITICAL);
  spam->set_detail("gambling words in the page");
  spam->set_evidence("slot gacor");
  e = r.add_events();
  e->set_agent_event_id(3);
  c = e->mutable_check();
  c->set_site("www");
  c->set_check("freshness");
  c->set_started_unix_ms(kT0 - 40000);
  c->set_content_age_known(true);
  c->set_content_age_days(3.5);
  c->set_content_age_source("feed");
  return r;
}

TEST_F(OperatorServiceTest, GetStatusReportsCertificateContentAgeAndOpenFindings) {
  ASSERT_TRUE(Push(CheckedBatch()).ok());
  v1::GetStatusRequest request;
  v1::GetStatusResponse response;
  ASSERT_TRUE(Call(&Stub::GetStatus, request, &response).ok());
  ASSERT_EQ(response.sites_size(), 1);
  const v1::SiteStatus& s = response.sites(0);
  EXPECT_TRUE(s.tls_checked());
  EXPECT_TRUE(s.tls_verified());
  EXPECT_TRUE(s.tls_days_left_known());
  EXPECT_EQ(s.tls_days_left(), 20);
  EXPECT_TRUE(s.content_age_known());
  EXPECT_EQ(s.content_age_days(), 3.5);
  EXPECT_EQ(s.content_age_source(), "feed");
  EXPECT_EQ(s.last_probe_age_seconds(), 60);
  ASSERT_EQ(s.open_findings_size(), 2);
  EXPECT_EQ(s.open_findings(0).check(), "content");  // critical first
  EXPECT_EQ(s.open_findings(0).finding().kind(), "gambling_spam");
  EXPECT_EQ(s.open_findings(0).finding().severity(), v1::Finding::CRITICAL);
  EXPECT_EQ(s.open_findings(0).finding().evidence(), "slot gacor");
  EXPECT_EQ(s.open_findings(0).first_seen_unix_ms(), kT0 - 50000);
  EXPECT_EQ(s.open_findings(1).check(), "http");
  EXPECT_EQ(s.open_findings(1).finding().kind(), "tls_expiring");

  const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(metrics, HasSubstr("pantau_site_tls_days_left{court=\"PN-X\",site=\"www\"} 20"));
  EXPECT_THAT(metrics, HasSubstr("pantau_site_content_age_days{court=\"PN-X\",site=\"www\"} 3.5"));
  EXPECT_THAT(metrics, HasSubstr("pantau_site_open_findings{court=\"PN-X\",kind=\"gambling_spam\","
                                 "site=\"www\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_ingested_events_total{kind=\"check\"} 2"));
}

TEST_F(OperatorServiceTest, AnInvalidFindingIsRefusedNamingEventAndField) {
  v1::PushRequest bad = CheckedBatch();
  bad.mutable_events(1)->mutable_check()->mutable_findings(0)->set_kind("Gambling Spam");
  const grpc::Status status = Push(bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("event 1: check.findings[0].kind"));
  v1::GetStatusRequest request;
  v1::GetStatusResponse response;
  ASSERT_TRUE(Call(&Stub::GetStatus, request, &response).ok());
  EXPECT_EQ(response.sites_size(), 0);
}

// Agent logwatch: alerts, visitor statistics and bans, pushed as an agent does.

v1::PushRequest LogwatchBatch(uint64_t seq) {
  v1::PushRequest r;
  r.set_agent_id("a1");
  r.set_court_id("PN-X");
  r.set_batch_seq(seq);
  uint64_t id = seq * 100;
  auto alert = [&](const std::string& alert_id, int64_t count, bool closed,
                   v1::Finding::Severity severity, const std::string& family) {
    v1::Event* e = r.add_events();
    e->set_agent_event_id(++id);
    v1::LogAlert* a = e->mutable_log_alert();
    a->set_site("www");
    a->set_alert_id(alert_id);
    a->set_rule(family == "scanner" ? "ua_sqlmap" : "sqli_union");
    a->set_family(family);
    a->set_severity(severity);
    a->set_client("203.0.113.7");
    a->set_first_seen_unix_ms(kT0 - 120000);
    a->set_last_seen_unix_ms(kT0 - 120000 + count * 1000);
    a->set_count(count);
    a->add_sample_lines("GET /?id=1%20UNION%20SELECT");
    a->set_description("Percobaan injeksi SQL");
    a->set_closed(closed);
  };
  auto stats = [&](int64_t minute, int64_t requests, int64_t unique) {
    v1::Event* e = r.add_events();
    e->set_agent_event_id(++id);
    v1::VisitorStats* v = e->mutable_visitor_stats();
    v->set_site("www");
    v->set_minute_unix_s(minute);
    v->set_requests(requests);
    v->set_unique_visitors(unique);
    v->set_page_views(requests - 1);
    v->set_bot_requests(1);
    v->set_status_2xx(requests - 1);
    v->set_status_5xx(1);
    v->set_bytes(100 * requests);
    v1::KeyCount* page = v->add_top_pages();
    page->set_key("/berita");
    page->set_count(requests - 1);
  };
  const int64_t now_minute = kT0 / 1000;
  alert("A", 2, false, v1::Finding::CRITICAL, "sql_injection");
  alert("A", 5, false, v1::Finding::CRITICAL, "sql_injection");
  alert(absl::StrCat("S", seq), 1, seq > 2, v1::Finding::WARNING, "scanner");
  stats(now_minute - 60, 10, 3);
  stats(now_minute - 60, 5, 4);
  stats(now_minute - 7200, 1000, 9);  // two hours ago: outside the default range
  v1::Event* e = r.add_events();
  e->set_agent_event_id(++id);
  v1::BanEvent* b = e->mutable_ban();
  b->set_site("www");
  b->set_client("203.0.113.7");
  b->set_rule("sqli_union");
  b->set_until_unix_ms(kT0 + 3600000);
  b->set_outcome(v1::BanEvent::BANNED);
  return r;
}

TEST_F(OperatorServiceTest, LogAlertsVisitorStatsAndBansReachOperatorsAndMetrics) {
  ASSERT_TRUE(Push(CheckedBatch()).ok());  // the site's probe, so GetStatus lists it
  v1::PushRequest first = LogwatchBatch(2);
  ASSERT_TRUE(Push(first).ok());
  v1::PushRequest second = LogwatchBatch(3);
  second.mutable_events(1)->mutable_log_alert()->set_count(9);
  second.mutable_events(1)->mutable_log_alert()->set_closed(true);
  ASSERT_TRUE(Push(second).ok());
  ASSERT_TRUE(Push(second).ok());  // a retry: stored and counted once

  v1::ListLogAlertsRequest list;
  v1::ListLogAlertsResponse alerts;
  ASSERT_TRUE(Call(&Stub::ListLogAlerts, list, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 3);  // A, S2, S3
  EXPECT_FALSE(alerts.truncated());
  EXPECT_EQ(alerts.now_unix_ms(), kT0);
  const v1::StoredLogAlert& a = alerts.alerts(0);  // last seen latest
  EXPECT_EQ(a.alert().alert_id(), "A");
  EXPECT_EQ(a.alert().count(), 9);
  EXPECT_TRUE(a.alert().closed());
  EXPECT_EQ(a.alert().description(), "Percobaan injeksi SQL");
  EXPECT_EQ(a.court_id(), "PN-X");
  list.set_open_only(true);
  alerts.Clear();
  ASSERT_TRUE(Call(&Stub::ListLogAlerts, list, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(alerts.alerts(0).alert().alert_id(), "S2");
  list.set_open_only(false);
  list.set_limit(2);
  alerts.Clear();
  ASSERT_TRUE(Call(&Stub::ListLogAlerts, list, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 2);
  EXPECT_TRUE(alerts.truncated());

  v1::GetVisitorStatsRequest ask;
  ask.set_site("www");
  v1::GetVisitorStatsResponse stats;
  ASSERT_TRUE(Call(&Stub::GetVisitorStats, ask, &stats).ok());
  ASSERT_EQ(stats.minutes_size(), 1);
  EXPECT_EQ(stats.minutes(0).minute_unix_s(), kT0 / 1000 - 60);
  EXPECT_EQ(stats.minutes(0).requests(), 30);  // (10 + 5) twice, the retry not counted
  EXPECT_EQ(stats.minutes(0).unique_visitors(), 4);
  EXPECT_EQ(stats.totals().requests(), 30);
  ASSERT_EQ(stats.totals().top_pages_size(), 1);
  EXPECT_EQ(stats.totals().top_pages(0).count(), 26);
  EXPECT_EQ(stats.to_unix_s(), kT0 / 1000 + 60);
  EXPECT_EQ(stats.from_unix_s(), kT0 / 1000 - 59 * 60);
  ask.set_minutes(1440);
  stats.Clear();
  ASSERT_TRUE(Call(&Stub::GetVisitorStats, ask, &stats).ok());
  EXPECT_EQ(stats.totals().requests(), 2030);

  v1::GetStatusRequest status_request;
  v1::GetStatusResponse status;
  ASSERT_TRUE(Call(&Stub::GetStatus, status_request, &status).ok());
  ASSERT_EQ(status.sites_size(), 1);
  EXPECT_EQ(status.sites(0).open_log_alerts(), 1);
  EXPECT_EQ(status.sites(0).requests_last_hour(), 30);

  const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(metrics, HasSubstr("pantau_visitor_requests_total{court=\"PN-X\",site=\"www\","
                                 "status_class=\"2xx\"} 2024"));
  EXPECT_THAT(metrics, HasSubstr("pantau_visitor_requests_total{court=\"PN-X\",site=\"www\","
                                 "status_class=\"5xx\"} 6"));
  EXPECT_THAT(metrics, HasSubstr("pantau_visitor_bytes_total{court=\"PN-X\",site=\"www\"} 203000"));
  EXPECT_THAT(metrics, HasSubstr("pantau_visitor_page_views_total{court=\"PN-X\",site=\"www\"} 2024"));
  EXPECT_THAT(metrics, HasSubstr("pantau_visitor_bot_requests_total{court=\"PN-X\",site=\"www\"} 6"));
  // Once per alert: A (updated four times), S2 and S3.
  EXPECT_THAT(metrics, HasSubstr("pantau_log_alerts_total{court=\"PN-X\",family=\"sql_injection\","
                                 "severity=\"critical\",site=\"www\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("pantau_log_alerts_total{court=\"PN-X\",family=\"scanner\","
                                 "severity=\"warning\",site=\"www\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("pantau_bans_total{court=\"PN-X\",outcome=\"banned\","
                                 "site=\"www\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_ingested_events_total{kind=\"visitor_stats\"} 6"));
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("203.0.113.7")));
}

TEST_F(OperatorServiceTest, LogwatchQueriesEnforceTheirLimits) {
  v1::ListLogAlertsRequest list;
  v1::ListLogAlertsResponse alerts;
  list.set_limit(1001);
  grpc::Status status = Call(&Stub::ListLogAlerts, list, &alerts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit 1001 is not 1..1000"));
  list.set_limit(1000);  // the largest allowed (the store is asked for one more)
  EXPECT_TRUE(Call(&Stub::ListLogAlerts, list, &alerts).ok());
  list.set_limit(0);
  list.set_site(std::string(129, 's'));
  EXPECT_EQ(Call(&Stub::ListLogAlerts, list, &alerts).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetVisitorStatsRequest ask;
  v1::GetVisitorStatsResponse stats;
  status = Call(&Stub::GetVisitorStats, ask, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("site must be"));
  ask.set_site("www");
  ask.set_minutes(1441);
  status = Call(&Stub::GetVisitorStats, ask, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("minutes 1441 is not 1..1440"));
  ask.set_minutes(-1);
  EXPECT_EQ(Call(&Stub::GetVisitorStats, ask, &stats).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ask.set_minutes(0);
  EXPECT_TRUE(Call(&Stub::GetVisitorStats, ask, &stats).ok());
  EXPECT_EQ(stats.minutes_size(), 0);
}

TEST_F(OperatorServiceTest, AnInvalidLogwatchEventRefusesTheWholeBatch) {
  v1::PushRequest bad = LogwatchBatch(1);
  bad.mutable_events(3)->mutable_visitor_stats()->set_minute_unix_s(kT0 / 1000 + 1);
  const grpc::Status status = Push(bad);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("event 3: visitor_stats.minute_unix_s 1767225601 is not the start"));
  v1::ListLogAlertsRequest list;
  v1::ListLogAlertsResponse alerts;
  ASSERT_TRUE(Call(&Stub::ListLogAlerts, list, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 0);  // nothing of the batch was stored
  const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_push_requests_total{result=\"invalid\"} 1"));
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("pantau_log_alerts_total{")));
}

// pantauctl alerts / visitors against this service over gRPC, on a real database.
TEST_F(OperatorServiceTest, PantauctlShowsAlertsAndVisitorsFromTheDatabase) {
  ASSERT_TRUE(Push(LogwatchBatch(2)).ok());
  ctl::CtlEnvironment env;  // hermetic: no $HOME token file, no process environment
  env.token = admin_token_;
  auto run = [&](std::vector<std::string> command, std::string* out_text) {
    std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", port_),
                                     "--insecure"};
    args.insert(args.end(), command.begin(), command.end());
    std::ostringstream out, err;
    const int code = ctl::RunCtl(args, env, out, err);
    *out_text = out.str() + err.str();
    return code;
  };
  std::string text;
  // An open critical alert: listed, and exit code 1.
  EXPECT_EQ(run({"alerts", "--site", "www"}, &text), 1);
  EXPECT_THAT(text, HasSubstr("critical sql_injection"));
  EXPECT_THAT(text, HasSubstr("Percobaan injeksi SQL"));
  EXPECT_THAT(text, HasSubstr("1 critical log alert open"));
  EXPECT_EQ(run({"alerts", "--site", "sipp", "--json"}, &text), 0);
  EXPECT_THAT(text, HasSubstr("{\"alerts\":[],\"truncated\":false"));
  EXPECT_EQ(run({"alerts", "--all", "--json", "--limit", "1"}, &text), 1);
  EXPECT_THAT(text, HasSubstr("\"alert_id\":\"A\",\"rule\":\"sqli_union\""));
  EXPECT_THAT(text, HasSubstr("\"truncated\":true"));
  EXPECT_EQ(run({"visitors", "--site", "www"}, &text), 0);
  EXPECT_THAT(text, HasSubstr("TOTAL"));
  EXPECT_THAT(text, HasSubstr("/berita"));
  EXPECT_EQ(run({"visitors", "--site", "www", "--minutes", "1440", "--json"}, &text), 0);
  EXPECT_THAT(text, HasSubstr("\"totals\":{\"minute_unix_s\":1767139260,\"requests\":1015,"));
  EXPECT_EQ(run({"visitors", "--site", "www", "--court", std::string(65, 'c')}, &text), 1);
  EXPECT_THAT(text, HasSubstr("court_id is longer than 64 bytes"));

  // Without a token pantauctl refuses before calling (usage error); with a stranger's token
  // the collector refuses.
  env.token.clear();
  EXPECT_EQ(run({"alerts"}, &text), 2);
  EXPECT_THAT(text, HasSubstr("no operator token"));
  env.token = "not-a-token-anyone-was-given";
  EXPECT_EQ(run({"alerts"}, &text), 1);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("not-a-token-anyone-was-given")));
}

// --- authentication and court scoping --------------------------------------------------------

TEST_F(OperatorServiceTest, CallsWithoutAValidTokenAreUnauthenticated) {
  ASSERT_TRUE(Push(CheckedBatch()).ok());
  v1::GetStatusRequest request;
  v1::GetStatusResponse response;
  grpc::Status status = CallAs("", &Stub::GetStatus, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_EQ(response.sites_size(), 0);
  status = CallAs("not-a-token-anyone-was-given", &Stub::GetStatus, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();

  // Another scheme than Bearer carries no token.
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Basic ", admin_token_));
  status = stub_->GetStatus(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();

  // Every kind of call is guarded, reads and writes alike.
  v1::ListLogAlertsResponse alerts;
  EXPECT_EQ(CallAs("", &Stub::ListLogAlerts, v1::ListLogAlertsRequest(), &alerts).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::GetVisitorStatsRequest ask;
  ask.set_site("www");
  v1::GetVisitorStatsResponse stats;
  EXPECT_EQ(CallAs("", &Stub::GetVisitorStats, ask, &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::WhoAmIResponse me;
  EXPECT_EQ(CallAs("", &Stub::WhoAmI, v1::WhoAmIRequest(), &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::ApplyOrgRequest org;
  org.set_yaml("courts: []\n");
  v1::ApplyOrgResponse applied;
  EXPECT_EQ(CallAs("", &Stub::ApplyOrg, org, &applied).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::IssueTokenRequest issue;
  issue.set_person_id("admin");
  v1::IssueTokenResponse issued;
  EXPECT_EQ(CallAs("", &Stub::IssueToken, issue, &issued).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(issued.token().empty());

  // The bootstrapped admin's token works.
  status = Call(&Stub::WhoAmI, v1::WhoAmIRequest(), &me);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(me.person_id(), "admin");
  EXPECT_EQ(me.role(), "admin");
  EXPECT_THAT(me.courts(), ::testing::ElementsAre("*"));
}

// Two courts whose agents both call their site "www" (site ids are per court; the file lists
// no sites, which is allowed: they are known from the agents).
constexpr char kTwoCourts[] = R"(courts:
  - {code: PN-A, name: Pengadilan Negeri A, type: PN}
  - {code: PN-B, name: Pengadilan Negeri B, type: PN}
people:
  - {id: staf-a, name: Staf A, role: staf, courts: [PN-A], email: staf@pn-a.go.id}
  - {id: staf-b, name: Staf B, role: staf, courts: [PN-B], email: staf@pn-b.go.id}
)";

// The same batches as CheckedBatch/LogwatchBatch, from an agent of `court`.
v1::PushRequest FromCourt(v1::PushRequest batch, const std::string& court) {
  batch.set_agent_id(absl::StrCat("agent-", court));
  batch.set_court_id(court);
  return batch;
}

TEST_F(OperatorServiceTest, AStafSeesOnlyTheirOwnCourt) {
  {
    const grpc::Status applied = ApplyOrg(kTwoCourts);
    ASSERT_TRUE(applied.ok()) << applied.error_message();
  }
  for (const std::string court : {"PN-A", "PN-B"}) {
    ASSERT_TRUE(Push(FromCourt(CheckedBatch(), court)).ok());
    ASSERT_TRUE(Push(FromCourt(LogwatchBatch(2), court)).ok());
  }
  const std::string staf = TokenOf("staf-a");
  ASSERT_FALSE(staf.empty());

  v1::WhoAmIResponse me;
  ASSERT_TRUE(CallAs(staf, &Stub::WhoAmI, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.person_id(), "staf-a");
  EXPECT_EQ(me.role(), "staf");
  EXPECT_THAT(me.visible_courts(), ::testing::ElementsAre("PN-A"));

  // GetStatus: only court A's site, with or without asking for court A; court B is refused.
  v1::GetStatusRequest request;
  v1::GetStatusResponse response;
  grpc::Status status = CallAs(staf, &Stub::GetStatus, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.sites_size(), 1);
  EXPECT_EQ(response.sites(0).court_id(), "PN-A");
  request.set_court_id("PN-A");
  ASSERT_TRUE(CallAs(staf, &Stub::GetStatus, request, &response).ok());
  EXPECT_EQ(response.sites_size(), 1);
  request.set_court_id("PN-B");
  status = CallAs(staf, &Stub::GetStatus, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("PN-B"));
  EXPECT_EQ(response.sites_size(), 0);
  // The admin sees both.
  request.clear_court_id();
  ASSERT_TRUE(Call(&Stub::GetStatus, request, &response).ok());
  EXPECT_EQ(response.sites_size(), 2);

  // ListLogAlerts: court A's alerts only; court B refused.
  v1::ListLogAlertsRequest list;
  v1::ListLogAlertsResponse alerts;
  ASSERT_TRUE(CallAs(staf, &Stub::ListLogAlerts, list, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 2);  // A and S2 of court A
  for (const v1::StoredLogAlert& a : alerts.alerts()) EXPECT_EQ(a.court_id(), "PN-A");
  list.set_court_id("PN-B");
  status = CallAs(staf, &Stub::ListLogAlerts, list, &alerts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(alerts.alerts_size(), 0);

  // GetVisitorStats without court_id: a person of one court gets that court's numbers, where
  // the admin gets the site id summed over every court.
  v1::GetVisitorStatsRequest ask;
  ask.set_site("www");
  v1::GetVisitorStatsResponse stats;
  status = CallAs(staf, &Stub::GetVisitorStats, ask, &stats);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stats.totals().requests(), 15);
  ASSERT_TRUE(Call(&Stub::GetVisitorStats, ask, &stats).ok());
  EXPECT_EQ(stats.totals().requests(), 30);
  ask.set_court_id("PN-B");
  status = CallAs(staf, &Stub::GetVisitorStats, ask, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();

  // Admin-only calls are refused to a staf.
  v1::IssueTokenRequest issue;
  issue.set_person_id("staf-b");
  v1::IssueTokenResponse issued;
  status = CallAs(staf, &Stub::IssueToken, issue, &issued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(issued.token().empty());
  v1::ApplyOrgRequest org;
  org.set_yaml(kTwoCourts);
  v1::ApplyOrgResponse applied;
  status = CallAs(staf, &Stub::ApplyOrg, org, &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();

  // A new token replaces the old one.
  const std::string again = TokenOf("staf-a");
  EXPECT_NE(again, staf);
  EXPECT_EQ(CallAs(staf, &Stub::WhoAmI, v1::WhoAmIRequest(), &me).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(CallAs(again, &Stub::WhoAmI, v1::WhoAmIRequest(), &me).ok());
}

TEST_F(OperatorServiceTest, ABrokenOrganisationFileIsRefusedNamingTheLine) {
  // An unknown key on line 5.
  grpc::Status status = ApplyOrg(
      "courts:\n"
      "  - code: PN-A\n"
      "    name: Pengadilan Negeri A\n"
      "    type: PN\n"
      "    typo: x\n",
      "region.yaml");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("region.yaml:5"));
  EXPECT_THAT(status.error_message(), HasSubstr("typo"));
  // Not YAML at all: a flow sequence opened on line 3 and never closed, reported where the
  // parser gives up (line 4, the end of the file).
  status = ApplyOrg("courts:\n  - code: PN-A\n    sites: [{id: www}\n", "region.yaml");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("region.yaml:4:"));
  // Nothing was applied: nobody was added.
  v1::ListPeopleRequest people_request;
  v1::ListPeopleResponse people;
  ASSERT_TRUE(Call(&Stub::ListPeople, people_request, &people).ok());
  EXPECT_EQ(people.people_size(), 1);  // the admin only
  // A valid file goes through.
  status = ApplyOrg(kTwoCourts, "region.yaml");
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Call(&Stub::ListPeople, people_request, &people).ok());
  EXPECT_EQ(people.people_size(), 3);
}


// --- backups ---------------------------------------------------------------------------------

// A batch of an agent of `court`: an up HTTP probe of site "www" and one backup summary of
// it, started at `started_ms` and finished a minute later.
v1::PushRequest BackupBatch(const std::string& court, uint64_t seq, const std::string& id,
                            int64_t started_ms, bool verified, const std::string& error,
                            int64_t interval_seconds = 21600) {
  v1::PushRequest r;
  r.set_agent_id(absl::StrCat("agent-", court));
  r.set_court_id(court);
  r.set_batch_seq(seq);
  v1::Event* e = r.add_events();
  e->set_agent_event_id(seq * 10);
  v1::ProbeResult* p = e->mutable_probe();
  p->set_site("www");
  p->set_url("https://www.example/");
  p->set_started_unix_ms(kT0 - 1000 + static_cast<int64_t>(seq));
  p->set_up(true);
  p->set_http_status(200);
  e = r.add_events();
  e->set_agent_event_id(seq * 10 + 1);
  v1::BackupSummary* b = e->mutable_backup();
  b->set_site("www");
  b->set_backup_id(id);
  b->set_kind("full");
  b->set_started_unix_ms(started_ms);
  b->set_finished_unix_ms(started_ms + 60000);
  b->set_bytes(5 << 20);
  b->set_files(1500);
  b->set_files_copied(1500);
  b->set_source_bytes(20 << 20);
  b->add_media("/mnt/usb");
  b->set_verified(verified);
  b->set_error(error);
  b->set_interval_seconds(interval_seconds);
  return r;
}

TEST_F(OperatorServiceTest, BackupsReachStatusListBackupsPantauctlAndMetricsScopedByCourt) {
  {
    const grpc::Status applied = ApplyOrg(kTwoCourts);
    ASSERT_TRUE(applied.ok()) << applied.error_message();
  }
  constexpr int64_t kHour = 3600000;
  // Court A: a verified backup 3 h ago, then a failed one. Court B: verified 10 h ago with a
  // 1 h interval: overdue (1 h + 1 h grace).
  ASSERT_TRUE(Push(BackupBatch("PN-A", 1, "www-a1", kT0 - 3 * kHour, true, "")).ok());
  ASSERT_TRUE(Push(BackupBatch("PN-A", 2, "www-a2", kT0 - kHour, false, "medium full")).ok());
  ASSERT_TRUE(Push(BackupBatch("PN-B", 1, "www-b1", kT0 - 10 * kHour, true, "", 3600)).ok());

  v1::ListBackupsRequest list;
  v1::ListBackupsResponse backups;
  ASSERT_TRUE(Call(&Stub::ListBackups, list, &backups).ok());
  ASSERT_EQ(backups.backups_size(), 3);
  EXPECT_EQ(backups.backups(0).summary().backup_id(), "www-a2");  // newest first
  EXPECT_EQ(backups.backups(0).court_id(), "PN-A");
  ASSERT_EQ(backups.sites_size(), 2);
  EXPECT_EQ(backups.sites(0).court_id(), "PN-A");
  EXPECT_EQ(backups.sites(0).last_backup_error(), "medium full");
  EXPECT_TRUE(backups.sites(0).last_verified_backup_known());
  EXPECT_EQ(backups.sites(0).last_verified_backup_age_seconds(), 3 * 3600 - 60);
  EXPECT_FALSE(backups.sites(0).backup_overdue());
  EXPECT_TRUE(backups.sites(1).backup_overdue());
  list.set_limit(1);
  ASSERT_TRUE(Call(&Stub::ListBackups, list, &backups).ok());
  EXPECT_EQ(backups.backups_size(), 1);
  EXPECT_TRUE(backups.truncated());
  list.set_limit(1001);
  EXPECT_EQ(Call(&Stub::ListBackups, list, &backups).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // A staf of court A sees court A's backups only; court B is refused.
  const std::string staf = TokenOf("staf-a");
  list.Clear();
  ASSERT_TRUE(CallAs(staf, &Stub::ListBackups, list, &backups).ok());
  ASSERT_EQ(backups.backups_size(), 2);
  for (const v1::BackupInfo& b : backups.backups()) EXPECT_EQ(b.court_id(), "PN-A");
  ASSERT_EQ(backups.sites_size(), 1);
  EXPECT_EQ(backups.sites(0).court_id(), "PN-A");
  list.set_court_id("PN-B");
  const grpc::Status refused = CallAs(staf, &Stub::ListBackups, list, &backups);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(backups.backups_size(), 0);

  // GetStatus carries the same state.
  v1::GetStatusResponse status;
  ASSERT_TRUE(Call(&Stub::GetStatus, v1::GetStatusRequest(), &status).ok());
  ASSERT_EQ(status.sites_size(), 2);
  EXPECT_EQ(status.sites(0).last_backup_unix_ms(), kT0 - kHour + 60000);
  EXPECT_FALSE(status.sites(0).last_backup_verified());
  EXPECT_EQ(status.sites(0).last_backup_error(), "medium full");
  EXPECT_EQ(status.sites(0).last_verified_backup_unix_ms(), kT0 - 3 * kHour + 60000);
  EXPECT_EQ(status.sites(0).backup_interval_seconds(), 21600);
  EXPECT_FALSE(status.sites(0).backup_overdue());
  EXPECT_TRUE(status.sites(1).backup_overdue());

  ctl::CtlEnvironment env;
  env.token = admin_token_;
  auto run = [&](std::vector<std::string> command, std::string* out_text) {
    std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", port_),
                                     "--insecure"};
    args.insert(args.end(), command.begin(), command.end());
    std::ostringstream out, err;
    const int code = ctl::RunCtl(args, env, out, err);
    *out_text = out.str() + err.str();
    return code;
  };
  std::string text;
  // Court A's newest failed, court B overdue: exit 1.
  EXPECT_EQ(run({"backups"}, &text), 1);
  EXPECT_THAT(text, HasSubstr("SITE                 ID"));
  EXPECT_THAT(text, HasSubstr("www-a2"));
  EXPECT_THAT(text, HasSubstr("medium full"));
  EXPECT_THAT(text, HasSubstr("1m"));      // duration
  EXPECT_THAT(text, HasSubstr("5.0M"));    // size
  EXPECT_THAT(text, HasSubstr("OVERDUE"));
  EXPECT_THAT(text, HasSubstr("2 sites with a failed or overdue backup"));
  EXPECT_EQ(run({"backups", "--court", "PN-B", "--json"}, &text), 1);
  EXPECT_THAT(text, HasSubstr("\"backup_id\":\"www-b1\""));
  EXPECT_THAT(text, HasSubstr("\"overdue\":true"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("www-a")));
  // A good backup of court A: its listing is clean again.
  ASSERT_TRUE(Push(BackupBatch("PN-A", 3, "www-a3", kT0 - kHour / 2, true, "")).ok());
  EXPECT_EQ(run({"backups", "--court", "PN-A", "--site", "www"}, &text), 0) << text;
  EXPECT_THAT(text, HasSubstr("www-a3"));
  EXPECT_EQ(run({"backups", "--limit", "0"}, &text), 2);

  // status: BACKUP is the age of the last verified backup, "!" when overdue.
  EXPECT_EQ(run({"status"}, &text), 0) << text;
  EXPECT_THAT(text, HasSubstr("BACKUP"));
  EXPECT_THAT(text, ::testing::ContainsRegex("PN-A .* 29m  https://www.example/"));
  EXPECT_THAT(text, ::testing::ContainsRegex("PN-B .* 9h!  https://www.example/"));
  EXPECT_EQ(run({"status", "--json"}, &text), 0);
  EXPECT_THAT(text, HasSubstr("\"interval_seconds\":3600,\"overdue\":true"));

  const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(metrics, HasSubstr("pantau_backups_total{court=\"PN-A\",outcome=\"failed\","
                                 "site=\"www\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("pantau_backups_total{court=\"PN-A\",outcome=\"verified\","
                                 "site=\"www\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("pantau_backups_total{court=\"PN-B\",outcome=\"unverified\","
                                 "site=\"www\"} 0"));
  EXPECT_THAT(metrics, HasSubstr("pantau_backup_last_verified_age_seconds{court=\"PN-B\","
                                 "site=\"www\"} 35940"));
  EXPECT_THAT(metrics, HasSubstr("pantau_backup_last_verified_age_seconds{court=\"PN-A\","
                                 "site=\"www\"} 1740"));
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_ingested_events_total{kind=\"backup\"} 4"));
}

}  // namespace
}  // namespace pantau::collector
