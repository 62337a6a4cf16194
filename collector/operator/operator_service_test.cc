// OperatorService.GetStatus over a real PostgreSQL, fed through AgentService.Push in-process:
// what an agent sends is what pantauctl gets, and what Prometheus scrapes.
#include "collector/operator/operator_service.h"

#include <memory>
#include <string>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "collector/ingest/agent_service.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_server.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::FakeClock;
using ::pantau::testing::PostgresServer;
using ::testing::HasSubstr;

class OperatorServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(pg_, nullptr);
    auto db = pg_->CreateDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    auto store = Store::Create(*db, 2);
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

  static PostgresServer* pg_;
  FakeClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IngestMetrics> metrics_;
  std::unique_ptr<AgentServiceImpl> agents_;
  std::unique_ptr<OperatorServiceImpl> operators_;
};
PostgresServer* OperatorServiceTest::pg_ = nullptr;

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

}  // namespace
}  // namespace pantau::collector
