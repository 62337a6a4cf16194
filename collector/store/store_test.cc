#include "collector/store/store.h"

#include <pqxx/pqxx>

#include "collector/store/migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::PostgresServer;

class StoreTest : public ::testing::Test {
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
    if (!pg_->running()) {
    ASSERT_TRUE(pg_->Restart().ok());
  }
    auto db = pg_->CreateDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    conninfo_ = *db;
  }
  int64_t Count(const std::string& sql) {
    pqxx::connection conn(conninfo_);
    pqxx::work txn(conn);
    return txn.exec1(sql)[0].as<int64_t>();
  }
  static v1::PushRequest Batch(uint64_t seq, std::vector<std::pair<std::string, int64_t>> probes) {
    v1::PushRequest r;
    r.set_agent_id("a1");
    r.set_court_id("PA-XYZ");
    r.set_batch_seq(seq);
    uint64_t id = seq * 100;
    for (const auto& [site, started_ms] : probes) {
      v1::Event* e = r.add_events();
      e->set_agent_event_id(++id);
      v1::ProbeResult* p = e->mutable_probe();
      p->set_site(site);
      p->set_url("http://" + site + "/");
      p->set_started_unix_ms(started_ms);
      p->set_up(started_ms % 2 == 0);
      p->set_http_status(started_ms % 2 == 0 ? 200 : 503);
      p->set_total_us(started_ms % 1000);
      p->set_error("it's \"quoted\"\ttab\\backslash\nnewline");  // COPY escaping
    }
    return r;
  }
  static PostgresServer* pg_;
  std::string conninfo_;
};
PostgresServer* StoreTest::pg_ = nullptr;

TEST_F(StoreTest, MigrationsApplyOnceAndAreRecorded) {
  auto first = ApplyMigrations(conninfo_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, static_cast<int>(AllMigrations().size()));
  auto second = ApplyMigrations(conninfo_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(AllMigrations().size()));
}

TEST_F(StoreTest, BatchIsStoredOnceAndAdvancesLastSeq) {
  auto store = Store::Create(conninfo_, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  auto out = (*store)->StoreBatch(Batch(1, {{"s1", 1000}, {"s2", 1001}, {"s1", 1002}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->acked_seq, 1u);
  EXPECT_FALSE(out->duplicate);
  auto again = (*store)->StoreBatch(Batch(1, {{"s1", 1000}}));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->acked_seq, 1u);
  // The handshake (seq 0, no events) reports the stored seq and changes nothing.
  v1::PushRequest hello;
  hello.set_agent_id("a1");
  auto hs = (*store)->StoreBatch(hello);
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(hs->acked_seq, 1u);
  EXPECT_FALSE(hs->duplicate);

  EXPECT_EQ(Count("SELECT count(*) FROM probe_results"), 3);
  EXPECT_EQ(Count("SELECT last_seq FROM agents WHERE agent_id = 'a1'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM probe_results WHERE error = "
                  "E'it''s \"quoted\"\\ttab\\\\backslash\\nnewline'"),
            3);
  EXPECT_EQ(Count("SELECT (extract(epoch from started_at) * 1000)::bigint FROM probe_results "
                  "WHERE agent_event_id = 101"),
            1000);
}

TEST_F(StoreTest, LatestBySiteKeepsTheNewestProbeEvenWhenBatchesArriveOutOfOrder) {
  auto store = Store::Create(conninfo_, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->StoreBatch(Batch(1, {{"s1", 5000}, {"s1", 4000}})).ok());
  // An older probe in a later batch (an agent's backlog) does not override the newer one.
  ASSERT_TRUE((*store)->StoreBatch(Batch(2, {{"s1", 3001}, {"s2", 7001}})).ok());
  auto latest = (*store)->LatestBySite("");
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].site, "s1");
  EXPECT_EQ(absl::ToUnixMillis((*latest)[0].started_at), 5000);
  EXPECT_TRUE((*latest)[0].up);
  EXPECT_EQ((*latest)[1].site, "s2");
  EXPECT_FALSE((*latest)[1].up);
  EXPECT_EQ((*latest)[1].http_status, 503);
  auto other_court = (*store)->LatestBySite("PN-OTHER");
  ASSERT_TRUE(other_court.ok());
  EXPECT_TRUE(other_court->empty());
}

TEST_F(StoreTest, DatabaseDownIsUnavailableAndRecoversAfterRestart) {
  auto store = Store::Create(conninfo_, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->StoreBatch(Batch(1, {{"s1", 1000}})).ok());
  ASSERT_TRUE(pg_->Stop().ok());
  EXPECT_THAT((*store)->StoreBatch(Batch(2, {{"s1", 2000}})).status(),
              pantau::testing::StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*store)->StoreBatch(Batch(2, {{"s1", 2000}})).status(),
              pantau::testing::StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(pg_->Restart().ok());
  auto out = (*store)->StoreBatch(Batch(2, {{"s1", 2000}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->acked_seq, 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM probe_results"), 2);
}

TEST_F(StoreTest, CreateFailsClearlyWhenTheDatabaseCannotBeReached) {
  auto store = Store::Create("host=/nonexistent-dir port=1 dbname=x user=y connect_timeout=2", 1);
  EXPECT_THAT(store.status(), pantau::testing::StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(StoreTest, ProbeTargetsComeFromTheCentralList) {
  auto store = Store::Create(conninfo_, 1);
  ASSERT_TRUE(store.ok()) << store.status();
  {
    pqxx::connection conn(conninfo_);
    pqxx::work txn(conn);
    txn.exec("INSERT INTO probe_targets (agent_id, site, url, interval_seconds, timeout_ms, "
             "expected_status) VALUES ('a1', 'www', 'https://pn-x.go.id/', 30, 5000, '{200,301}')");
    txn.commit();
  }
  auto targets = (*store)->ProbeTargets("a1");
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].url(), "https://pn-x.go.id/");
  EXPECT_EQ((*targets)[0].interval_seconds(), 30);
  EXPECT_THAT((*targets)[0].expected_status(), ::testing::ElementsAre(200, 301));
  auto none = (*store)->ProbeTargets("a2");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace pantau::collector
