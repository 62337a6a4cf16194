// OperatorService.GetStatus over a real PostgreSQL, fed through AgentService.Push in-process:
// what an agent sends is what pantauctl gets, and what Prometheus scrapes.
#include "collector/operator/operator_service.h"

#include <memory>
#include <sstream>
#include <vector>
#include <string>

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"
#include "collector/ctl/ctl.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/postgres_test.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::FakeClock;
using ::pantau::testing::PostgresServer;
using ::testing::HasSubstr;

class OperatorServiceTest : public ::pantau::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    auto store = Store::Create(conninfo_, 2);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    metrics_ = std::make_unique<IngestMetrics>(registry_);
    agents_ = std::make_unique<AgentServiceImpl>(*store_, *metrics_, IngestLimits{});
    operators_ = std::make_unique<OperatorServiceImpl>(*store_, clock_);
  }
  grpc::Status Push(const v1::PushRequest& request) {
    v1::PushResponse response;
    return agents_->Push(nullptr, &request, &response);
  }

  FakeClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IngestMetrics> metrics_;
  std::unique_ptr<AgentServiceImpl> agents_;
  std::unique_ptr<OperatorServiceImpl> operators_;
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
  ASSERT_TRUE(operators_->GetStatus(nullptr, &request, &response).ok());
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
  ASSERT_TRUE(operators_->GetStatus(nullptr, &request, &response).ok());
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
  ASSERT_TRUE(operators_->ListLogAlerts(nullptr, &list, &alerts).ok());
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
  ASSERT_TRUE(operators_->ListLogAlerts(nullptr, &list, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(alerts.alerts(0).alert().alert_id(), "S2");
  list.set_open_only(false);
  list.set_limit(2);
  alerts.Clear();
  ASSERT_TRUE(operators_->ListLogAlerts(nullptr, &list, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 2);
  EXPECT_TRUE(alerts.truncated());

  v1::GetVisitorStatsRequest ask;
  ask.set_site("www");
  v1::GetVisitorStatsResponse stats;
  ASSERT_TRUE(operators_->GetVisitorStats(nullptr, &ask, &stats).ok());
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
  ASSERT_TRUE(operators_->GetVisitorStats(nullptr, &ask, &stats).ok());
  EXPECT_EQ(stats.totals().requests(), 2030);

  v1::GetStatusRequest status_request;
  v1::GetStatusResponse status;
  ASSERT_TRUE(operators_->GetStatus(nullptr, &status_request, &status).ok());
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
  grpc::Status status = operators_->ListLogAlerts(nullptr, &list, &alerts);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("limit 1001 is not 1..1000"));
  list.set_limit(1000);  // the largest allowed (the store is asked for one more)
  EXPECT_TRUE(operators_->ListLogAlerts(nullptr, &list, &alerts).ok());
  list.set_limit(0);
  list.set_site(std::string(129, 's'));
  EXPECT_EQ(operators_->ListLogAlerts(nullptr, &list, &alerts).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetVisitorStatsRequest ask;
  v1::GetVisitorStatsResponse stats;
  status = operators_->GetVisitorStats(nullptr, &ask, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("site must be"));
  ask.set_site("www");
  ask.set_minutes(1441);
  status = operators_->GetVisitorStats(nullptr, &ask, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("minutes 1441 is not 1..1440"));
  ask.set_minutes(-1);
  EXPECT_EQ(operators_->GetVisitorStats(nullptr, &ask, &stats).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ask.set_minutes(0);
  EXPECT_TRUE(operators_->GetVisitorStats(nullptr, &ask, &stats).ok());
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
  ASSERT_TRUE(operators_->ListLogAlerts(nullptr, &list, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 0);  // nothing of the batch was stored
  const std::string metrics = prometheus::TextSerializer().Serialize(registry_.Collect());
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_push_requests_total{result=\"invalid\"} 1"));
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("pantau_log_alerts_total{")));
}

// pantauctl alerts / visitors against this service over gRPC, on a real database.
TEST_F(OperatorServiceTest, PantauctlShowsAlertsAndVisitorsFromTheDatabase) {
  ASSERT_TRUE(Push(LogwatchBatch(2)).ok());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(operators_.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto run = [&](std::vector<std::string> command, std::string* out_text) {
    std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", port),
                                     "--insecure"};
    args.insert(args.end(), command.begin(), command.end());
    std::ostringstream out, err;
    const int code = ctl::RunCtl(args, out, err);
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
  server->Shutdown();
}

}  // namespace
}  // namespace pantau::collector
