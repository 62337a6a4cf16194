#include "agent/spool/spool_store.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "common/sqlite.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// A probe event for `site`; tests recognise events by their site.
v1::Event Probe(const std::string& site) {
  v1::Event e;
  e.set_observed_unix_ms(1767225600000);
  v1::ProbeResult* p = e.mutable_probe();
  p->set_site(site);
  p->set_url("https://" + site + ".example/");
  p->set_started_unix_ms(1767225600000);
  p->set_http_status(200);
  p->set_up(true);
  p->set_total_us(1234);
  return e;
}

std::vector<uint64_t> Ids(const SpoolBatch& batch) {
  std::vector<uint64_t> ids;
  for (const v1::Event& e : batch.events) ids.push_back(e.agent_event_id());
  return ids;
}

std::vector<std::string> Sites(const SpoolBatch& batch) {
  std::vector<std::string> sites;
  for (const v1::Event& e : batch.events) sites.push_back(e.probe().site());
  return sites;
}

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = absl::StrCat(::testing::TempDir(), "/spool_store_test.XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/spool.db";
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<SpoolStore> OpenOrDie(SpoolOptions options = {}) {
    absl::StatusOr<std::unique_ptr<SpoolStore>> spool = SpoolStore::Open(path_, std::move(options));
    EXPECT_THAT(spool, IsOk());
    return spool.ok() ? std::move(*spool) : nullptr;
  }

  // Appends and returns the assigned id (0 on failure, which also fails the test).
  static uint64_t Append(SpoolStore& spool, const std::string& site,
                         EventPriority priority = EventPriority::kProbe) {
    absl::StatusOr<uint64_t> id = spool.Append(Probe(site), priority);
    EXPECT_THAT(id, IsOk());
    return id.ok() ? *id : 0;
  }

  // The next batch, which the test expects to exist.
  static SpoolBatch Next(SpoolStore& spool, int max_events) {
    absl::StatusOr<absl::optional<SpoolBatch>> batch = spool.NextBatch(max_events);
    EXPECT_THAT(batch, IsOk());
    if (!batch.ok()) return {};
    EXPECT_TRUE(batch->has_value()) << "no batch";
    return batch->has_value() ? std::move(**batch) : SpoolBatch{};
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SpoolTest, AppendAssignsStrictlyIncreasingIds) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  const uint64_t a = Append(*spool, "a");
  const uint64_t b = Append(*spool, "b");
  const uint64_t c = Append(*spool, "c");
  EXPECT_GE(a, 1u);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(spool->size(), 3);
}

TEST_F(SpoolTest, AppendAllCommitsEventsAndTheHookTogether) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  ASSERT_THAT(spool->WithDatabase([](sqlite3* db) {
    return ExecSqlite(db, "CREATE TABLE marks (n INTEGER)");
  }),
              IsOk());
  std::vector<uint64_t> ids;
  ASSERT_THAT(spool->AppendAll({{Probe("a"), EventPriority::kProbe},
                                {Probe("b"), EventPriority::kStatistics}},
                               [](sqlite3* db) { return ExecSqlite(db, "INSERT INTO marks VALUES (1)"); },
                               &ids),
              IsOk());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_EQ(spool->size(), 2);

  // A failing hook rolls back the events as well.
  absl::Status failed = spool->AppendAll(
      {{Probe("c"), EventPriority::kProbe}},
      [](sqlite3* db) {
        EXPECT_THAT(ExecSqlite(db, "INSERT INTO marks VALUES (2)"), IsOk());
        return absl::InternalError("disk on fire");
      });
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kInternal, HasSubstr("disk on fire")));
  EXPECT_EQ(spool->size(), 2);
  int64_t marks = -1;
  ASSERT_THAT(spool->WithDatabase([&](sqlite3* db) {
    SqliteStatement count(db, "SELECT COUNT(*), SUM(n) FROM marks");
    if (!count.ok() || count.Step() != SQLITE_ROW) return absl::InternalError("count");
    marks = sqlite3_column_int64(count.get(), 0) * 100 + sqlite3_column_int64(count.get(), 1);
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_EQ(marks, 101);  // one row, holding 1
  SpoolBatch batch = Next(*spool, 10);
  ASSERT_EQ(batch.events.size(), 2u);
}

TEST_F(SpoolTest, NeverReusesAnIdAfterAcknowledgeOrRestart) {
  uint64_t last = 0;
  {
    std::unique_ptr<SpoolStore> spool = OpenOrDie();
    ASSERT_NE(spool, nullptr);
    Append(*spool, "a");
    last = Append(*spool, "b");
    SpoolBatch batch = Next(*spool, 10);
    ASSERT_OK(spool->Acknowledge(batch.seq));
    ASSERT_EQ(spool->size(), 0);
  }
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  EXPECT_GT(Append(*spool, "c"), last);
}

TEST_F(SpoolTest, NextBatchIsEmptyWhenNothingWaits) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  ASSERT_OK_AND_ASSIGN(absl::optional<SpoolBatch> batch, spool->NextBatch(10));
  EXPECT_FALSE(batch.has_value());
}

TEST_F(SpoolTest, BatchCarriesTheEventsWithTheirIds) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  const uint64_t a = Append(*spool, "a");
  const uint64_t b = Append(*spool, "b");
  SpoolBatch batch = Next(*spool, 10);
  EXPECT_EQ(batch.seq, 1u);
  EXPECT_THAT(Ids(batch), ElementsAre(a, b));
  ASSERT_EQ(batch.events.size(), 2u);
  v1::Event expected = Probe("a");
  expected.set_agent_event_id(a);
  EXPECT_EQ(batch.events[0].SerializeAsString(), expected.SerializeAsString());
}

TEST_F(SpoolTest, NextBatchReturnsTheSameBatchUntilAcknowledged) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  Append(*spool, "a");
  Append(*spool, "b");
  const SpoolBatch first = Next(*spool, 10);
  // New events and a smaller limit do not change a batch already formed.
  const uint64_t c = Append(*spool, "c");
  const SpoolBatch again = Next(*spool, 1);
  EXPECT_EQ(again.seq, first.seq);
  EXPECT_EQ(Ids(again), Ids(first));
  EXPECT_EQ(Sites(again), Sites(first));

  ASSERT_OK(spool->Acknowledge(first.seq));
  const SpoolBatch next = Next(*spool, 10);
  EXPECT_GT(next.seq, first.seq);
  EXPECT_THAT(Ids(next), ElementsAre(c));
}

TEST_F(SpoolTest, AcknowledgeBelowThePendingSeqKeepsTheBatch) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  ASSERT_OK(spool->Acknowledge(4));  // the collector already holds batches 1..4
  Append(*spool, "a");
  const SpoolBatch batch = Next(*spool, 10);
  ASSERT_EQ(batch.seq, 5u);
  ASSERT_OK(spool->Acknowledge(4));
  EXPECT_EQ(spool->size(), 1);
  const SpoolBatch again = Next(*spool, 10);
  EXPECT_EQ(again.seq, 5u);
  EXPECT_EQ(Ids(again), Ids(batch));
}

TEST_F(SpoolTest, DeletesOnlyAcknowledgedBatches) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  const uint64_t a = Append(*spool, "a");
  const uint64_t b = Append(*spool, "b");
  const uint64_t c = Append(*spool, "c");
  const SpoolBatch batch = Next(*spool, 2);
  ASSERT_THAT(Ids(batch), ElementsAre(a, b));

  // Even an acknowledgement far ahead deletes only batched events, never waiting ones.
  ASSERT_OK(spool->Acknowledge(batch.seq + 100));
  EXPECT_EQ(spool->size(), 1);
  const SpoolBatch rest = Next(*spool, 10);
  EXPECT_THAT(Ids(rest), ElementsAre(c));
  EXPECT_GT(rest.seq, batch.seq + 100);
}

TEST_F(SpoolTest, RestartKeepsUnacknowledgedEventsAndThePendingBatch) {
  SpoolBatch before;
  uint64_t waiting = 0;
  {
    std::unique_ptr<SpoolStore> spool = OpenOrDie();
    ASSERT_NE(spool, nullptr);
    ASSERT_OK(spool->Acknowledge(6));
    Append(*spool, "a");
    Append(*spool, "b");
    before = Next(*spool, 2);
    ASSERT_EQ(before.seq, 7u);
    waiting = Append(*spool, "c");
  }  // the agent stops (or crashes) before the collector answered

  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->size(), 3);
  const SpoolBatch after = Next(*spool, 10);
  EXPECT_EQ(after.seq, before.seq);
  EXPECT_EQ(Ids(after), Ids(before));
  EXPECT_EQ(Sites(after), Sites(before));

  ASSERT_OK(spool->Acknowledge(after.seq));
  const SpoolBatch next = Next(*spool, 10);
  EXPECT_EQ(next.seq, 8u);
  EXPECT_THAT(Ids(next), ElementsAre(waiting));
}

TEST_F(SpoolTest, AcknowledgeOnAnEmptySpoolMovesTheNextSeqPastIt) {
  {
    std::unique_ptr<SpoolStore> spool = OpenOrDie();
    ASSERT_NE(spool, nullptr);
    ASSERT_OK(spool->Acknowledge(500));
    Append(*spool, "a");
    EXPECT_EQ(Next(*spool, 10).seq, 501u);
    ASSERT_OK(spool->Acknowledge(501));
  }
  // The high-water mark survives a restart even though no event is left.
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  Append(*spool, "b");
  EXPECT_EQ(Next(*spool, 10).seq, 502u);
}

TEST_F(SpoolTest, AnOlderAcknowledgementDoesNotMoveTheSeqBack) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  ASSERT_OK(spool->Acknowledge(10));
  ASSERT_OK(spool->Acknowledge(3));
  Append(*spool, "a");
  EXPECT_EQ(Next(*spool, 10).seq, 11u);
}

TEST_F(SpoolTest, FullSpoolDropsLowestPriorityOldestFirst) {
  std::vector<std::pair<EventPriority, uint64_t>> drops;
  SpoolOptions options;
  options.max_events = 3;
  options.on_drop = [&drops](EventPriority p, uint64_t id) { drops.emplace_back(p, id); };
  std::unique_ptr<SpoolStore> spool = OpenOrDie(options);
  ASSERT_NE(spool, nullptr);

  const uint64_t s1 = Append(*spool, "s1", EventPriority::kSecurity);
  const uint64_t p1 = Append(*spool, "p1", EventPriority::kProbe);
  const uint64_t t1 = Append(*spool, "t1", EventPriority::kStatistics);
  EXPECT_TRUE(drops.empty());

  const uint64_t t2 = Append(*spool, "t2", EventPriority::kStatistics);  // drops t1 (older)
  const uint64_t p2 = Append(*spool, "p2", EventPriority::kProbe);       // drops t2
  const uint64_t s2 = Append(*spool, "s2", EventPriority::kSecurity);    // drops p1 (older)
  const uint64_t p3 = Append(*spool, "p3", EventPriority::kProbe);       // drops p2
  EXPECT_THAT(
      drops, ElementsAre(Pair(EventPriority::kStatistics, t1), Pair(EventPriority::kStatistics, t2),
                         Pair(EventPriority::kProbe, p1), Pair(EventPriority::kProbe, p2)));
  EXPECT_EQ(spool->size(), 3);
  EXPECT_EQ(spool->dropped_total(), 4);
  const SpoolBatch kept = Next(*spool, 10);
  EXPECT_THAT(Ids(kept), UnorderedElementsAre(s1, s2, p3));

  // Security events go only when nothing less important is left.
  ASSERT_OK(spool->Acknowledge(kept.seq));
  drops.clear();
  const uint64_t s3 = Append(*spool, "s3", EventPriority::kSecurity);
  const uint64_t s4 = Append(*spool, "s4", EventPriority::kSecurity);
  const uint64_t s5 = Append(*spool, "s5", EventPriority::kSecurity);
  const uint64_t s6 = Append(*spool, "s6", EventPriority::kSecurity);
  EXPECT_THAT(drops, ElementsAre(Pair(EventPriority::kSecurity, s3)));
  EXPECT_THAT(Ids(Next(*spool, 10)), UnorderedElementsAre(s4, s5, s6));
}

TEST_F(SpoolTest, FullSpoolNeverDropsEventsAlreadyInABatch) {
  std::vector<std::pair<EventPriority, uint64_t>> drops;
  SpoolOptions options;
  options.max_events = 2;
  options.on_drop = [&drops](EventPriority p, uint64_t id) { drops.emplace_back(p, id); };
  std::unique_ptr<SpoolStore> spool = OpenOrDie(options);
  ASSERT_NE(spool, nullptr);

  const uint64_t t1 = Append(*spool, "t1", EventPriority::kStatistics);
  const uint64_t t2 = Append(*spool, "t2", EventPriority::kStatistics);
  const SpoolBatch batch = Next(*spool, 10);
  ASSERT_THAT(Ids(batch), ElementsAre(t1, t2));

  // The batch may already be on the wire: its less important events stay, and the only event
  // outside it goes.
  const uint64_t s1 = Append(*spool, "s1", EventPriority::kSecurity);
  EXPECT_THAT(drops, ElementsAre(Pair(EventPriority::kSecurity, s1)));
  EXPECT_EQ(spool->size(), 2);
  const SpoolBatch again = Next(*spool, 10);
  EXPECT_EQ(again.seq, batch.seq);
  EXPECT_THAT(Ids(again), ElementsAre(t1, t2));
}

TEST_F(SpoolTest, BatchTakesTheMostImportantEventsFirst) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  const uint64_t t1 = Append(*spool, "t1", EventPriority::kStatistics);
  const uint64_t p1 = Append(*spool, "p1", EventPriority::kProbe);
  const uint64_t s1 = Append(*spool, "s1", EventPriority::kSecurity);
  const uint64_t p2 = Append(*spool, "p2", EventPriority::kProbe);

  SpoolBatch first = Next(*spool, 1);
  EXPECT_THAT(Ids(first), ElementsAre(s1));
  ASSERT_OK(spool->Acknowledge(first.seq));
  SpoolBatch second = Next(*spool, 2);
  EXPECT_THAT(Ids(second), UnorderedElementsAre(p1, p2));
  ASSERT_OK(spool->Acknowledge(second.seq));
  EXPECT_THAT(Ids(Next(*spool, 2)), ElementsAre(t1));
}

TEST_F(SpoolTest, BatchHoldsAtMostMaxEvents) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Append(*spool, absl::StrCat("site", i)));

  std::vector<uint64_t> sent;
  std::vector<size_t> sizes;
  for (int round = 0; round < 3; ++round) {
    const SpoolBatch batch = Next(*spool, 2);
    sizes.push_back(batch.events.size());
    for (uint64_t id : Ids(batch)) sent.push_back(id);
    ASSERT_OK(spool->Acknowledge(batch.seq));
  }
  EXPECT_THAT(sizes, ElementsAre(2u, 2u, 1u));
  EXPECT_THAT(sent, ElementsAreArray(ids));
  ASSERT_OK_AND_ASSIGN(absl::optional<SpoolBatch> none, spool->NextBatch(2));
  EXPECT_FALSE(none.has_value());
}

TEST_F(SpoolTest, UnbatchReturnsEventsToBeSentUnderANewHigherSeq) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Append(*spool, absl::StrCat("site", i)));
  const SpoolBatch big = Next(*spool, 4);
  ASSERT_EQ(big.events.size(), 4u);

  // The collector refused the batch as too large: nothing of it was stored.
  ASSERT_OK(spool->Unbatch(big.seq));
  EXPECT_EQ(spool->size(), 4);
  const SpoolBatch small1 = Next(*spool, 2);
  EXPECT_GT(small1.seq, big.seq);
  EXPECT_THAT(Ids(small1), ElementsAre(ids[0], ids[1]));
  ASSERT_OK(spool->Acknowledge(small1.seq));
  const SpoolBatch small2 = Next(*spool, 2);
  EXPECT_GT(small2.seq, small1.seq);
  EXPECT_THAT(Ids(small2), ElementsAre(ids[2], ids[3]));
}

TEST_F(SpoolTest, DropBatchDeletesItAndCountsItsEventsAsDropped) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  Append(*spool, "a");
  Append(*spool, "b");
  const uint64_t c = Append(*spool, "c");
  const SpoolBatch bad = Next(*spool, 2);

  ASSERT_OK_AND_ASSIGN(int64_t dropped, spool->DropBatch(bad.seq));
  EXPECT_EQ(dropped, 2);
  EXPECT_EQ(spool->dropped_total(), 2);
  EXPECT_EQ(spool->size(), 1);
  const SpoolBatch next = Next(*spool, 10);
  EXPECT_GT(next.seq, bad.seq);
  EXPECT_THAT(Ids(next), ElementsAre(c));
}

TEST_F(SpoolTest, ConcurrentAppendsGetDistinctIds) {
  std::unique_ptr<SpoolStore> spool = OpenOrDie();
  ASSERT_NE(spool, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> id = spool->Append(Probe("x"), EventPriority::kProbe);
        ids[t].push_back(id.ok() ? *id : 0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<uint64_t> all;
  for (const auto& v : ids) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "an id was handed out twice";
  EXPECT_THAT(all.front(), Gt(0u));
  EXPECT_EQ(spool->size(), kThreads * kPerThread);
}

TEST_F(SpoolTest, OpenFailsForAFileInAMissingDirectory) {
  EXPECT_THAT(SpoolStore::Open(dir_ + "/missing/dir/spool.db"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace pantau::agent
