// Storage of log alerts, visitor statistics and bans against a real PostgreSQL.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "collector/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/postgres_test.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::PostgresServer;
using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kMinute = 1767225600;  // 2026-01-01 00:00 UTC, Unix seconds
constexpr int64_t kT0 = kMinute * 1000;

class LogwatchStoreTest : public ::pantau::testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (HasFatalFailure()) return;
    auto store = Store::Create(conninfo_, 2);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  // One text column of a query, row by row.
  std::vector<std::string> Column(const std::string& sql) {
    pqxx::connection conn(conninfo_);
    pqxx::work txn(conn);
    std::vector<std::string> out;
    for (const pqxx::row& r : txn.exec(sql)) {
      out.push_back(r[0].is_null() ? "NULL" : r[0].as<std::string>());
    }
    return out;
  }
  static v1::PushRequest Batch(uint64_t seq, std::vector<v1::Event> events,
                               const std::string& agent = "a1") {
    v1::PushRequest r;
    r.set_agent_id(agent);
    r.set_court_id("PN-X");
    r.set_batch_seq(seq);
    uint64_t id = seq * 1000;
    for (v1::Event& e : events) {
      e.set_agent_event_id(++id);
      *r.add_events() = std::move(e);
    }
    return r;
  }
  static v1::Event Alert(const std::string& id, int64_t count, int64_t last_seen_ms,
                         bool closed = false, const std::string& site = "www") {
    v1::Event e;
    v1::LogAlert* a = e.mutable_log_alert();
    a->set_site(site);
    a->set_alert_id(id);
    a->set_rule("sqli_union");
    a->set_family("sql_injection");
    a->set_severity(v1::Finding::CRITICAL);
    a->set_client("203.0.113.7");
    a->set_first_seen_unix_ms(kT0);
    a->set_last_seen_unix_ms(last_seen_ms);
    a->set_count(count);
    a->add_sample_lines(absl::StrCat("GET /?id=", count, " UNION SELECT \"x\",{a}\\ NULL"));
    a->add_sample_lines("");
    a->set_description("Percobaan injeksi SQL");
    a->set_action("Blokir alamat IP penyerang");
    a->set_log_path("/var/log/nginx/access.log");
    a->set_closed(closed);
    a->set_country("ID");
    return e;
  }
  static v1::Event Stats(int64_t minute, int64_t requests, int64_t unique,
                         std::vector<std::pair<std::string, int64_t>> pages = {},
                         const std::string& site = "www") {
    v1::Event e;
    v1::VisitorStats* v = e.mutable_visitor_stats();
    v->set_site(site);
    v->set_minute_unix_s(minute);
    v->set_requests(requests);
    v->set_unique_visitors(unique);
    v->set_page_views(requests / 2);
    v->set_bot_requests(1);
    v->set_status_2xx(std::max<int64_t>(requests - 2, 0));
    v->set_status_4xx(1);
    v->set_status_5xx(1);
    v->set_bytes(requests * 1000);
    v->set_attack_requests(1);
    for (const auto& [page, n] : pages) {
      v1::KeyCount* k = v->add_top_pages();
      k->set_key(page);
      k->set_count(n);
    }
    v1::KeyCount* c = v->add_top_clients();
    c->set_key("198.51.100.1");
    c->set_count(requests);
    v1::KeyCount* country = v->add_countries();
    country->set_key("ID");
    country->set_count(requests);
    return e;
  }

  std::unique_ptr<Store> store_;
};

TEST_F(LogwatchStoreTest, AlertUpdatesWithinAndAcrossBatchesKeepOneRowWithTheLatestState) {
  // Two updates of A in one batch (the later one wins) and a new alert B.
  ASSERT_OK_AND_ASSIGN(BatchOutcome first,
                       store_->StoreBatch(Batch(1, {Alert("A", 3, kT0 + 1000),
                                                    Alert("A", 7, kT0 + 2000),
                                                    Alert("B", 1, kT0 + 500)})));
  ASSERT_EQ(first.new_log_alerts.size(), 2u);
  EXPECT_EQ(first.new_log_alerts[0].family, "sql_injection");
  EXPECT_EQ(first.new_log_alerts[0].site, "www");
  EXPECT_EQ(first.new_log_alerts[0].severity, v1::Finding::CRITICAL);
  EXPECT_THAT(Column("SELECT alert_id || ' ' || count || ' ' || closed FROM log_alerts "
                     "ORDER BY alert_id"),
              ElementsAre("A 7 false", "B 1 false"));

  // Across batches: A grows and closes; no alert is new any more.
  ASSERT_OK_AND_ASSIGN(BatchOutcome second,
                       store_->StoreBatch(Batch(2, {Alert("A", 10, kT0 + 3000, true)})));
  EXPECT_TRUE(second.new_log_alerts.empty());
  // An update older than the stored state (a late backlog) is ignored.
  ASSERT_OK_AND_ASSIGN(BatchOutcome third,
                       store_->StoreBatch(Batch(3, {Alert("A", 4, kT0 + 1500)})));
  EXPECT_TRUE(third.new_log_alerts.empty());
  EXPECT_THAT(Column("SELECT alert_id || ' ' || count || ' ' || closed || ' ' || "
                     "(extract(epoch from last_seen) * 1000)::bigint FROM log_alerts "
                     "ORDER BY alert_id"),
              ElementsAre(absl::StrCat("A 10 true ", kT0 + 3000), absl::StrCat("B 1 false ", kT0 + 500)));
  // A replayed batch changes nothing.
  ASSERT_OK_AND_ASSIGN(BatchOutcome replay,
                       store_->StoreBatch(Batch(2, {Alert("A", 99, kT0 + 9000)})));
  EXPECT_TRUE(replay.duplicate);
  EXPECT_THAT(Column("SELECT count FROM log_alerts WHERE alert_id = 'A'"), ElementsAre("10"));
  // The same alert_id from another agent is another alert.
  ASSERT_OK_AND_ASSIGN(BatchOutcome other,
                       store_->StoreBatch(Batch(1, {Alert("A", 1, kT0)}, "a2")));
  EXPECT_EQ(other.new_log_alerts.size(), 1u);
  EXPECT_THAT(Column("SELECT count(*) FROM log_alerts"), ElementsAre("3"));
}

TEST_F(LogwatchStoreTest, StoredAlertsReadBackWithAllFields) {
  ASSERT_OK(store_->StoreBatch(Batch(1, {Alert("A", 3, kT0 + 1000)})).status());
  LogAlertQuery query;
  ASSERT_OK_AND_ASSIGN(std::vector<StoredLogAlert> alerts, store_->LogAlerts(query));
  ASSERT_EQ(alerts.size(), 1u);
  const v1::LogAlert expected = Alert("A", 3, kT0 + 1000).log_alert();
  EXPECT_EQ(alerts[0].alert.SerializeAsString(), expected.SerializeAsString())
      << alerts[0].alert.DebugString();
  EXPECT_EQ(alerts[0].court_id, "PN-X");
  EXPECT_EQ(alerts[0].agent_id, "a1");
}

TEST_F(LogwatchStoreTest, LogAlertsFiltersAndSortsNewestFirst) {
  ASSERT_OK(store_->StoreBatch(Batch(1, {Alert("old", 1, kT0 + 1000),
                                         Alert("closed", 1, kT0 + 2000, true),
                                         Alert("new", 1, kT0 + 3000),
                                         Alert("other", 1, kT0 + 4000, false, "sipp")}))
                .status());
  auto ids = [&](const LogAlertQuery& q) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<StoredLogAlert>> alerts = store_->LogAlerts(q);
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    if (alerts.ok()) {
      for (const StoredLogAlert& a : *alerts) out.push_back(a.alert.alert_id());
    }
    return out;
  };
  LogAlertQuery q;
  EXPECT_THAT(ids(q), ElementsAre("other", "new", "closed", "old"));
  q.site = "www";
  EXPECT_THAT(ids(q), ElementsAre("new", "closed", "old"));
  q.open_only = true;
  EXPECT_THAT(ids(q), ElementsAre("new", "old"));
  q.since = absl::FromUnixMillis(kT0 + 2000);
  EXPECT_THAT(ids(q), ElementsAre("new"));
  q = LogAlertQuery();
  q.limit = 2;
  EXPECT_THAT(ids(q), ElementsAre("other", "new"));
  q.court_id = "PN-Y";
  EXPECT_THAT(ids(q), ElementsAre());
  q.limit = 1001;  // the operator API's 1000 plus the one that tells truncation
  EXPECT_THAT(store_->LogAlerts(q).status(), IsOk());
  q.limit = 1002;
  EXPECT_THAT(store_->LogAlerts(q).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit 1002")));
}

TEST_F(LogwatchStoreTest, VisitorDeltasAddUpWithinAndAcrossBatchesAndUniqueKeepsTheMax) {
  ASSERT_OK(store_->StoreBatch(Batch(1, {Stats(kMinute, 10, 3, {{"/a", 2}, {"/b", 1}}),
                                         Stats(kMinute, 5, 4, {{"/a", 3}}),
                                         Stats(kMinute + 60, 1, 1)}))
                .status());
  ASSERT_OK(store_->StoreBatch(Batch(2, {Stats(kMinute, 7, 2, {{"/a", 1}, {"/c", 4}})})).status());
  // A replay adds nothing.
  ASSERT_OK(store_->StoreBatch(Batch(2, {Stats(kMinute, 7, 2, {{"/a", 1}})})).status());
  EXPECT_THAT(
      Column("SELECT requests || ' ' || unique_visitors || ' ' || page_views || ' ' || "
             "bot_requests || ' ' || status_2xx || ' ' || status_4xx || ' ' || status_5xx || "
             "' ' || bytes || ' ' || attack_requests FROM visitor_minutes ORDER BY minute"),
      ElementsAre("22 4 10 3 16 3 3 22000 3", "1 1 0 1 0 1 1 1000 1"));
  EXPECT_THAT(Column("SELECT dimension || ' ' || key || ' ' || count FROM visitor_top "
                     "WHERE minute = to_timestamp(1767225600) ORDER BY dimension, key"),
              ElementsAre("client 198.51.100.1 22", "country ID 22", "page /a 6", "page /b 1",
                          "page /c 4"));
}

TEST_F(LogwatchStoreTest, MergeVisitorStatsSumsPerSiteAndMinute) {
  v1::PushRequest r = Batch(1, {Stats(kMinute, 10, 3, {{"/a", 2}}), Stats(kMinute, 5, 9),
                                Stats(kMinute, 1, 1, {}, "sipp")});
  const std::vector<v1::VisitorStats> merged = MergeVisitorStats(r);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].site(), "sipp");
  EXPECT_EQ(merged[1].requests(), 15);
  EXPECT_EQ(merged[1].unique_visitors(), 9);
  ASSERT_EQ(merged[1].top_clients_size(), 1);
  EXPECT_EQ(merged[1].top_clients(0).count(), 15);
}

TEST_F(LogwatchStoreTest, VisitorStatsRangeHasMinutesTotalsAndTopLists) {
  std::vector<v1::Event> events;
  for (int i = 0; i < 12; ++i) {
    events.push_back(Stats(kMinute + 60 * i, 10 + i, i + 1, {{absl::StrCat("/p", i), 12 - i}}));
  }
  events.push_back(Stats(kMinute + 3600, 1000, 1));  // outside the range asked
  ASSERT_OK(store_->StoreBatch(Batch(1, std::move(events))).status());
  ASSERT_OK_AND_ASSIGN(VisitorRange range,
                       store_->VisitorStatsRange("", "www", absl::FromUnixSeconds(kMinute),
                                                 absl::FromUnixSeconds(kMinute + 3600)));
  ASSERT_EQ(range.minutes.size(), 12u);
  EXPECT_EQ(range.minutes[0].minute_unix_s(), kMinute);
  EXPECT_EQ(range.minutes[11].requests(), 21);
  EXPECT_EQ(range.totals.requests(), 12 * 10 + 66);
  EXPECT_EQ(range.totals.unique_visitors(), 12);
  EXPECT_EQ(range.totals.minute_unix_s(), kMinute);
  ASSERT_EQ(range.totals.top_pages_size(), 10);  // 12 pages, the 10 largest
  EXPECT_EQ(range.totals.top_pages(0).key(), "/p0");
  EXPECT_EQ(range.totals.top_pages(0).count(), 12);
  EXPECT_EQ(range.totals.top_pages(9).key(), "/p9");
  ASSERT_EQ(range.totals.countries_size(), 1);
  EXPECT_EQ(range.totals.countries(0).count(), 186);
  ASSERT_OK_AND_ASSIGN(VisitorRange other_court,
                       store_->VisitorStatsRange("PN-Y", "www", absl::FromUnixSeconds(kMinute),
                                                 absl::FromUnixSeconds(kMinute + 3600)));
  EXPECT_TRUE(other_court.minutes.empty());
  EXPECT_EQ(other_court.totals.requests(), 0);
}

TEST_F(LogwatchStoreTest, ActivityBySiteCountsOpenAlertsAndRecentRequests) {
  ASSERT_OK(store_->StoreBatch(Batch(1, {Alert("A", 1, kT0), Alert("B", 1, kT0, true),
                                         Alert("C", 1, kT0, false, "sipp"),
                                         Stats(kMinute - 60, 100, 1), Stats(kMinute, 5, 1),
                                         Stats(kMinute + 60, 6, 1)}))
                .status());
  ASSERT_OK_AND_ASSIGN(auto activity, store_->ActivityBySite("", absl::FromUnixSeconds(kMinute)));
  ASSERT_EQ(activity.size(), 2u);
  const SiteActivity& www = activity[{"PN-X", "www"}];
  EXPECT_EQ(www.open_log_alerts, 1);
  EXPECT_EQ(www.recent_requests, 11);
  EXPECT_EQ((activity[{"PN-X", "sipp"}].open_log_alerts), 1);
}

TEST_F(LogwatchStoreTest, BansAreAppended) {
  v1::Event ban;
  ban.mutable_ban()->set_site("www");
  ban.mutable_ban()->set_client("203.0.113.7");
  ban.mutable_ban()->set_rule("wp_login_bruteforce");
  ban.mutable_ban()->set_alert_id("A");
  ban.mutable_ban()->set_until_unix_ms(kT0 + 3600000);
  ban.mutable_ban()->set_outcome(v1::BanEvent::BANNED);
  v1::Event allowed = ban;
  allowed.mutable_ban()->set_outcome(v1::BanEvent::ALLOWLISTED);
  allowed.mutable_ban()->set_until_unix_ms(0);
  allowed.set_observed_unix_ms(kT0);
  ASSERT_OK(store_->StoreBatch(Batch(1, {ban, allowed})).status());
  ASSERT_OK(store_->StoreBatch(Batch(2, {ban})).status());
  EXPECT_THAT(Column("SELECT outcome || ' ' || coalesce((extract(epoch from until_at) * 1000)"
                     "::bigint::text, '-') || ' ' || coalesce((extract(epoch from observed_at) "
                     "* 1000)::bigint::text, '-') || ' ' || batch_seq FROM bans "
                     "ORDER BY agent_event_id"),
              ElementsAre(absl::StrCat("banned ", kT0 + 3600000, " - 1"),
                          absl::StrCat("allowlisted - ", kT0, " 1"),
                          absl::StrCat("banned ", kT0 + 3600000, " - 2")));
}

TEST_F(LogwatchStoreTest, ABatchOf500LogwatchEventsIsStoredCorrectly) {
  // The shape of a busy agent's batch: many visitor pieces over few minutes (several for the
  // same minute), alerts with repeated updates, a few bans.
  std::vector<v1::Event> events;
  for (int i = 0; i < 400; ++i) {
    events.push_back(Stats(kMinute + 60 * (i % 20), 3, i % 7,
                           {{absl::StrCat("/p", i % 13), 1}, {"/", 2}}, (i / 20) % 2 ? "www" : "sipp"));
  }
  for (int i = 0; i < 90; ++i) events.push_back(Alert(absl::StrCat("A", i % 30), i, kT0 + i));
  for (int i = 0; i < 10; ++i) {
    v1::Event ban;
    ban.mutable_ban()->set_site("www");
    ban.mutable_ban()->set_client(absl::StrCat("203.0.113.", i));
    ban.mutable_ban()->set_rule("scanner_ua");
    ban.mutable_ban()->set_outcome(v1::BanEvent::FAILED);
    ban.mutable_ban()->set_error("nft: no such set");
    events.push_back(std::move(ban));
  }
  const v1::PushRequest batch = Batch(1, std::move(events));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(BatchOutcome out, store_->StoreBatch(batch));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "stored 500 logwatch events in " << ms << " ms\n";  // informational only
  v1::PushRequest again = batch;
  again.set_batch_seq(2);
  const auto start2 = std::chrono::steady_clock::now();
  ASSERT_OK(store_->StoreBatch(again).status());
  std::cout << "and again (warm, all rows exist) in "
            << std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                         start2)
                   .count()
            << " ms\n";
  EXPECT_EQ(out.new_log_alerts.size(), 30u);
  EXPECT_THAT(Column("SELECT sum(requests) FROM visitor_minutes"), ElementsAre("2400"));
  EXPECT_THAT(Column("SELECT count(*) FROM visitor_minutes"), ElementsAre("40"));
  EXPECT_THAT(Column("SELECT sum(count) FROM visitor_top WHERE dimension = 'page' AND key = '/'"),
              ElementsAre("1600"));
  EXPECT_THAT(Column("SELECT max(unique_visitors) FROM visitor_minutes"), ElementsAre("6"));
  // Each alert holds its last update: A0 got i = 0, 30, 60.
  EXPECT_THAT(Column("SELECT count FROM log_alerts WHERE alert_id = 'A0'"), ElementsAre("60"));
  EXPECT_THAT(Column("SELECT count(*) FROM bans"), ElementsAre("20"));
}

}  // namespace
}  // namespace pantau::collector
