// Time as a seam: every component that reads the time or waits takes a Clock&, so tests can
// drive time with tests/testing/fake_clock.h instead of sleeping.
//
//   pantau::RealClock clock;
//   pantau::StopToken stop;
//   while (!clock.WaitUntil(clock.Now() + absl::Seconds(30), stop)) { DoWork(); }
#ifndef PANTAU_COMMON_CLOCK_H_
#define PANTAU_COMMON_CLOCK_H_

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace pantau {

// A one-shot stop signal shared by a component's loops. Thread-safe.
class StopToken {
 public:
  void RequestStop() {
    if (!notification_.HasBeenNotified()) notification_.Notify();
  }
  bool StopRequested() const { return notification_.HasBeenNotified(); }
  // Used by clocks to wait; returns true once stop was requested.
  bool WaitWithDeadline(absl::Time deadline) const {
    return notification_.WaitForNotificationWithDeadline(deadline);
  }

 private:
  absl::Notification notification_;
};

// Source of the current time and of interruptible waits. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Blocks until `deadline` has passed or `stop` is requested, whichever comes first.
  // Returns true when stop was requested (callers then end their loop).
  virtual bool WaitUntil(absl::Time deadline, const StopToken& stop) const = 0;
  bool WaitFor(absl::Duration d, const StopToken& stop) const {
    return WaitUntil(Now() + d, stop);
  }
};

// The wall clock. Thread-safe.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool WaitUntil(absl::Time deadline, const StopToken& stop) const override {
    return stop.WaitWithDeadline(deadline);
  }
};

}  // namespace pantau

#endif  // PANTAU_COMMON_CLOCK_H_
