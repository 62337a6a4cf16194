#include "agent/probes/probe_scheduler.h"

#include <algorithm>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::FakeClock;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Le;
using ::testing::SizeIs;

constexpr uint64_t kSeed = 20260101;

// Remembers the `now` of every run of one task. Thread-safe.
class RunLog {
 public:
  ProbeScheduler::Task Task() {
    return [this](absl::Time now) {
      absl::MutexLock lock(&mu_);
      times_.push_back(now);
    };
  }
  std::vector<absl::Time> times() const {
    absl::MutexLock lock(&mu_);
    return times_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<absl::Time> times_ ABSL_GUARDED_BY(mu_);
};

// Moves the fake time forward `total` in steps of `step`; after each step waits until the
// scheduler has run everything due and is parked again (it never sleeps).
void AdvanceInSteps(FakeClock& clock, absl::Duration total, absl::Duration step) {
  for (absl::Duration done; done < total; done += step) {
    clock.Advance(step);
    clock.AwaitWaiters(1);
  }
}

std::vector<absl::Time> Slots(absl::Time start, absl::Duration interval, int count) {
  std::vector<absl::Time> slots;
  for (int i = 0; i < count; ++i) slots.push_back(start + i * interval);
  return slots;
}

TEST(ProbeScheduler, RunsATaskAtEveryInterval) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  RunLog log;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe www", absl::Seconds(10), absl::ZeroDuration(), log.Task());
  scheduler.Start();
  clock.AwaitWaiters(1);  // the first run (at once, no jitter) is done
  EXPECT_THAT(log.times(), ElementsAre(start));

  AdvanceInSteps(clock, absl::Seconds(60), absl::Seconds(1));
  scheduler.Stop();
  EXPECT_THAT(log.times(), ElementsAreArray(Slots(start, absl::Seconds(10), 7)));
}

TEST(ProbeScheduler, RunsTwoTasksEachAtItsOwnInterval) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  RunLog fast;
  RunLog slow;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe fast", absl::Seconds(10), absl::ZeroDuration(), fast.Task());
  scheduler.Add("probe slow", absl::Seconds(15), absl::ZeroDuration(), slow.Task());
  scheduler.Start();
  clock.AwaitWaiters(1);

  AdvanceInSteps(clock, absl::Minutes(2), absl::Seconds(1));
  scheduler.Stop();
  // 0, 10, ..., 120 s and 0, 15, ..., 120 s.
  EXPECT_THAT(fast.times(), ElementsAreArray(Slots(start, absl::Seconds(10), 13)));
  EXPECT_THAT(slow.times(), ElementsAreArray(Slots(start, absl::Seconds(15), 9)));
}

TEST(ProbeScheduler, KeepsEachRunWithinJitterOfItsSlot) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  const absl::Duration interval = absl::Seconds(10);
  const absl::Duration jitter = absl::Seconds(3);
  const absl::Duration step = absl::Milliseconds(10);
  RunLog log;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe www", interval, jitter, log.Task());
  scheduler.Start();
  clock.AwaitWaiters(1);

  AdvanceInSteps(clock, absl::Seconds(200), step);
  scheduler.Stop();
  const std::vector<absl::Time> times = log.times();
  // Slots 0..19 lie wholly inside the 200 s; slot 20 runs only if its jitter was 0.
  ASSERT_GE(times.size(), 20u);
  ASSERT_LE(times.size(), 21u);
  std::vector<absl::Duration> offsets;
  for (size_t i = 0; i < times.size(); ++i) {
    const absl::Duration offset = times[i] - (start + static_cast<int64_t>(i) * interval);
    SCOPED_TRACE(i);
    EXPECT_GE(offset, absl::ZeroDuration());
    // A run is seen at the first step at or after its due time.
    EXPECT_LT(offset, jitter + step);
    offsets.push_back(offset);
  }
  // The jitter is really drawn: the runs do not all sit at the same offset.
  const auto [lowest, highest] = std::minmax_element(offsets.begin(), offsets.end());
  EXPECT_GT(*highest - *lowest, absl::Seconds(1));
}

TEST(ProbeScheduler, DoesNotDriftWhenRunsAreLate) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  RunLog log;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe www", absl::Seconds(10), absl::ZeroDuration(), log.Task());
  scheduler.Start();
  clock.AwaitWaiters(1);

  // Time moves in 3 s steps, so most runs happen 1 or 2 s after their slot; the following
  // slots stay on the 10 s grid.
  AdvanceInSteps(clock, absl::Seconds(120), absl::Seconds(3));
  scheduler.Stop();
  const std::vector<absl::Time> times = log.times();
  ASSERT_THAT(times, SizeIs(13));
  for (size_t i = 0; i < times.size(); ++i) {
    SCOPED_TRACE(i);
    const absl::Duration late = times[i] - (start + static_cast<int64_t>(i) * absl::Seconds(10));
    EXPECT_GE(late, absl::ZeroDuration());
    EXPECT_LT(late, absl::Seconds(3));
  }
}

// DISABLED: fails against the current probe_scheduler.cc (reported). After a gap of 3.5
// intervals the task runs twice at the same instant: the overdue slot (25 s late) runs first
// and only then are missed slots skipped, which lands on slot 30 s, also due at once.
TEST(ProbeScheduler, SkipsRunsMoreThanOneIntervalLateInsteadOfRunningTwice) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  RunLog log;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe www", absl::Seconds(10), absl::ZeroDuration(), log.Task());
  scheduler.Start();
  clock.AwaitWaiters(1);

  clock.Advance(absl::Seconds(35));  // e.g. the host was suspended
  clock.AwaitWaiters(1);
  clock.Advance(absl::Seconds(5));
  clock.AwaitWaiters(1);
  scheduler.Stop();
  // Slots 10 s and 20 s are more than one interval late and skipped; slot 30 s runs late, once.
  EXPECT_THAT(log.times(),
              ElementsAre(start, start + absl::Seconds(35), start + absl::Seconds(40)));
}

TEST(ProbeScheduler, StopReturnsPromptlyWhileWaitingOnAFakeClock) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  RunLog log;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe www", absl::Hours(1), absl::ZeroDuration(), log.Task());
  scheduler.Start();
  clock.AwaitWaiters(1);  // parked until start + 1 h of fake time, which never comes

  const absl::Time before = absl::Now();
  scheduler.Stop();
  // A generous bound: the fake clock notices a stop within ~5 ms of real time.
  EXPECT_THAT(absl::Now() - before, Le(absl::Seconds(10)));
  EXPECT_EQ(clock.Now(), start);
  EXPECT_THAT(log.times(), ElementsAre(start));
}

TEST(ProbeScheduler, StopInterruptsAWaitOnTheRealClock) {
  RealClock clock;
  absl::Notification first_run;
  ProbeScheduler scheduler(clock, kSeed);
  scheduler.Add("probe www", absl::Hours(1), absl::ZeroDuration(), [&](absl::Time) {
    if (!first_run.HasBeenNotified()) first_run.Notify();
  });
  scheduler.Start();
  first_run.WaitForNotification();

  const absl::Time before = absl::Now();
  scheduler.Stop();
  EXPECT_THAT(absl::Now() - before, Le(absl::Seconds(10)));
}

TEST(ProbeScheduler, StopWithoutStartAndTwiceIsHarmless) {
  FakeClock clock;
  RunLog log;
  {
    ProbeScheduler scheduler(clock, kSeed);
    scheduler.Add("probe www", absl::Seconds(10), absl::ZeroDuration(), log.Task());
    scheduler.Stop();
    scheduler.Stop();
  }  // and the destructor stops once more
  EXPECT_THAT(log.times(), SizeIs(0));
}

TEST(ProbeScheduler, DestructorStopsARunningScheduler) {
  FakeClock clock;
  RunLog log;
  {
    ProbeScheduler scheduler(clock, kSeed);
    scheduler.Add("probe www", absl::Seconds(10), absl::ZeroDuration(), log.Task());
    scheduler.Start();
    clock.AwaitWaiters(1);
  }
  clock.Advance(absl::Seconds(30));
  // The thread is gone: time moving on runs nothing more.
  EXPECT_THAT(log.times(), SizeIs(1));
}

}  // namespace
}  // namespace pantau::agent
