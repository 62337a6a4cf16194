#include "agent/probes/probe_scheduler.h"

#include <algorithm>

namespace pantau::agent {

absl::Duration ProbeScheduler::Jitter(absl::Duration max) {
  if (max <= absl::ZeroDuration()) return absl::ZeroDuration();
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  return max * fraction(rng_);
}

void ProbeScheduler::Add(std::string name, absl::Duration interval, absl::Duration jitter,
                         Task task) {
  const absl::Time now = clock_.Now();
  Entry e{std::move(name), interval, jitter, std::move(task), now, now};
  e.due = e.base + Jitter(jitter);
  entries_.push_back(std::move(e));
}

void ProbeScheduler::Start() {
  if (thread_.joinable() || entries_.empty()) return;
  thread_ = std::thread([this] { Loop(); });
}

void ProbeScheduler::Stop() {
  stop_.RequestStop();
  if (thread_.joinable()) thread_.join();
}

void ProbeScheduler::Loop() {
  while (!stop_.StopRequested()) {
    auto next = std::min_element(entries_.begin(), entries_.end(),
                                 [](const Entry& a, const Entry& b) { return a.due < b.due; });
    if (clock_.WaitUntil(next->due, stop_)) return;
    const absl::Time now = clock_.Now();
    if (now - next->base > next->interval) {
      // More than one interval late (a long outage of a target, or another task ran long):
      // run once for the newest slot that has begun, never once per missed slot.
      const int64_t missed = (now - next->base) / next->interval;
      next->base += next->interval * missed;
      next->due = std::max(next->base + Jitter(next->jitter), now);
      if (next->due > now) continue;
    }
    next->task(now);
    next->base += next->interval;
    next->due = next->base + Jitter(next->jitter);
  }
}

}  // namespace pantau::agent
