#include "common/backoff.h"

#include <algorithm>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau {
namespace {

using ::testing::AllOf;
using ::testing::Ge;
using ::testing::Le;

constexpr uint64_t kSeed = 7;

// A delay drawn from the level `d` lies in [d/2, d].
::testing::Matcher<absl::Duration> Within(absl::Duration d) { return AllOf(Ge(d / 2), Le(d)); }

TEST(Backoff, DoublesEachDelayFromTheInitialOne) {
  Backoff backoff(absl::Milliseconds(500), absl::Seconds(60), kSeed);
  absl::Duration level = absl::Milliseconds(500);
  for (int i = 0; i < 7; ++i) {  // 0.5, 1, 2, 4, 8, 16, 32 s
    SCOPED_TRACE(i);
    EXPECT_THAT(backoff.Next(), Within(level));
    level *= 2;
  }
}

TEST(Backoff, StopsGrowingAtTheMaximum) {
  Backoff backoff(absl::Milliseconds(500), absl::Seconds(60), kSeed);
  for (int i = 0; i < 8; ++i) backoff.Next();  // 0.5 ... 64 s: the cap is reached
  for (int i = 0; i < 100; ++i) {
    SCOPED_TRACE(i);
    EXPECT_THAT(backoff.Next(), Within(absl::Seconds(60)));
  }
}

TEST(Backoff, DoesNotOverflowAfterManyFailures) {
  Backoff backoff(absl::Milliseconds(500), absl::Hours(1), kSeed);
  for (int i = 0; i < 10000; ++i) backoff.Next();
  EXPECT_THAT(backoff.Next(), Within(absl::Hours(1)));
}

TEST(Backoff, SpreadsDelaysOverTheWholeJitterRange) {
  Backoff backoff(absl::Seconds(10), absl::Seconds(10), kSeed);
  absl::Duration lowest = absl::InfiniteDuration();
  absl::Duration highest = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration d = backoff.Next();
    ASSERT_THAT(d, Within(absl::Seconds(10)));
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  // 1000 uniform draws from [5 s, 10 s] reach close to both ends.
  EXPECT_LT(lowest, absl::Milliseconds(5500));
  EXPECT_GT(highest, absl::Milliseconds(9500));
}

TEST(Backoff, ResetStartsAgainFromTheInitialDelay) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(60), kSeed);
  for (int i = 0; i < 10; ++i) backoff.Next();
  backoff.Reset();
  EXPECT_THAT(backoff.Next(), Within(absl::Seconds(1)));
  EXPECT_THAT(backoff.Next(), Within(absl::Seconds(2)));
}

TEST(Backoff, SameSeedGivesTheSameDelays) {
  Backoff a(absl::Seconds(1), absl::Seconds(60), kSeed);
  Backoff b(absl::Seconds(1), absl::Seconds(60), kSeed);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.Next(), b.Next());
}

// DISABLED: fails against the current backoff.h (reported). When initial > max the first
// delay is drawn from [initial/2, initial], above max. The agent config allows this
// (collector.backoff_initial_seconds up to 60, backoff_max_seconds down to 1).
TEST(Backoff, NeverExceedsTheMaximumEvenWhenInitialIsLarger) {
  Backoff backoff(absl::Seconds(10), absl::Seconds(1), kSeed);
  for (int i = 0; i < 5; ++i) EXPECT_LE(backoff.Next(), absl::Seconds(1));
}

}  // namespace
}  // namespace pantau
