// Exponential backoff with jitter for retry loops.
//
//   Backoff backoff(absl::Milliseconds(500), absl::Seconds(60));
//   while (!Send().ok()) { if (clock.WaitFor(backoff.Next(), stop)) return; }
//   backoff.Reset();
#ifndef PANTAU_COMMON_BACKOFF_H_
#define PANTAU_COMMON_BACKOFF_H_

#include <algorithm>
#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace pantau {

// Not thread-safe.
class Backoff {
 public:
  // Delays grow initial, 2×initial, 4×initial ... up to max; each is then drawn uniformly from
  // [d/2, d] so many agents retrying after one outage spread out. An initial above max is
  // taken as max.
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed = std::random_device{}())
      : initial_(std::min(initial, max)), max_(max), current_(initial_), rng_(seed) {}

  absl::Duration Next() {
    const absl::Duration d = current_;
    current_ = std::min(current_ * 2, max_);
    std::uniform_real_distribution<double> spread(0.5, 1.0);
    return d * spread(rng_);
  }
  void Reset() { current_ = initial_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration current_;
  std::mt19937_64 rng_;
};

}  // namespace pantau

#endif  // PANTAU_COMMON_BACKOFF_H_
