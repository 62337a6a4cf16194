// A Clock whose time only moves when the test says so, for testing timeouts, backoff and
// periodic loops without sleeping.
//
//   FakeClock clock;                       // 2026-01-01T00:00:00Z
//   StopToken stop;
//   std::thread loop([&] { while (!clock.WaitFor(absl::Seconds(30), stop)) ++ticks; });
//   clock.AwaitWaiters(1);                 // the loop is parked in WaitFor
//   clock.Advance(absl::Seconds(30));      // releases it: one tick...
//   clock.AwaitWaiters(1);                 // ...and it is parked again with a new deadline
//   stop.RequestStop();                    // WaitFor returns true, the loop ends
//   loop.join();
#ifndef PANTAU_TESTS_TESTING_FAKE_CLOCK_H_
#define PANTAU_TESTS_TESTING_FAKE_CLOCK_H_

#include <iterator>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace pantau::testing {

// A manually driven Clock. Thread-safe: any thread may read or move the time while others
// wait in WaitUntil(). Must outlive every thread waiting on it.
class FakeClock : public Clock {
 public:
  // 2026-01-01T00:00:00Z, the default start time.
  static absl::Time DefaultStart() {
    return absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  }

  FakeClock() : FakeClock(DefaultStart()) {}
  explicit FakeClock(absl::Time start) : now_(start) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  // Blocks until the fake time reaches `deadline` (through Advance()/SetTime()) or `stop` is
  // requested. Returns true when stop was requested, like RealClock. A stop request is seen
  // within a few milliseconds of real time (StopToken cannot wake us, so we poll it).
  bool WaitUntil(absl::Time deadline, const StopToken& stop) const override {
    absl::MutexLock lock(&mu_);
    if (stop.StopRequested()) return true;
    if (now_ >= deadline) return false;
    auto registered = deadlines_.insert(deadline);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return now_ >= deadline || stop.StopRequested();
    };
    // Re-evaluated whenever mu_ is released (Advance/SetTime) and every 5 ms for `stop`.
    while (!mu_.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(5))) {
    }
    deadlines_.erase(registered);
    return stop.StopRequested();
  }

  // Moves the time forward by `d` (must be >= 0) and releases waiters that are now due.
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

  // Sets the time; it may also go backwards (a clock step), which delays pending waiters.
  void SetTime(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

  // Number of threads blocked in WaitUntil() whose deadline is still in the fake future.
  // A waiter released by Advance() stops counting at once, even before its thread runs, so
  // after Advance() `AwaitWaiters(n)` waits for the loops to finish their work and park again.
  // (A waiter released by a stop request keeps counting for up to ~5 ms.)
  int waiters() const {
    absl::MutexLock lock(&mu_);
    return PendingWaiters();
  }

  // Blocks until waiters() >= n. No timeout: a test that waits for a loop that never parks
  // hangs until ctest's timeout, which then names the test.
  void AwaitWaiters(int n) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return PendingWaiters() >= n; };
    mu_.Await(absl::Condition(&enough));
  }

 private:
  int PendingWaiters() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(std::distance(deadlines_.upper_bound(now_), deadlines_.end()));
  }

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  // Deadlines of the threads inside WaitUntil().
  mutable std::multiset<absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_FAKE_CLOCK_H_
