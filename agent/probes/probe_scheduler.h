// Runs periodic tasks (probes, heartbeats) at their own interval with jitter, on one thread,
// with time from an injected Clock.
//
//   ProbeScheduler scheduler(clock);
//   scheduler.Add("probe demo", absl::Seconds(30), absl::Seconds(2), [&](absl::Time now) {...});
//   scheduler.Start();  ...  scheduler.Stop();
#ifndef PANTAU_AGENT_PROBES_PROBE_SCHEDULER_H_
#define PANTAU_AGENT_PROBES_PROBE_SCHEDULER_H_

#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"

namespace pantau::agent {

// Add() before Start(); Start/Stop from one thread (thread-compatible). Tasks run on the
// scheduler's thread, one at a time. `clock` must outlive this object.
class ProbeScheduler {
 public:
  using Task = std::function<void(absl::Time now)>;

  explicit ProbeScheduler(const Clock& clock, uint64_t seed = std::random_device{}())
      : clock_(clock), rng_(seed) {}
  ~ProbeScheduler() { Stop(); }

  // The first run comes after a random part of `jitter`; then every `interval`, each run
  // moved by a fresh random amount in [0, jitter]. The schedule does not drift when a task
  // runs late; a run that is more than one interval late is skipped, not run twice.
  void Add(std::string name, absl::Duration interval, absl::Duration jitter, Task task);

  void Start();
  // Requests stop, waits for the task that is running to end, joins.
  void Stop();

 private:
  struct Entry {
    std::string name;
    absl::Duration interval;
    absl::Duration jitter;
    Task task;
    absl::Time base;  // the unjittered slot
    absl::Time due;   // base + this run's jitter
  };
  absl::Duration Jitter(absl::Duration max);
  void Loop();

  const Clock& clock_;
  std::mt19937_64 rng_;
  std::vector<Entry> entries_;
  StopToken stop_;
  std::thread thread_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_PROBES_PROBE_SCHEDULER_H_
