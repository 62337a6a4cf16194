// Waiting for a condition that another thread or process makes true, in tests.
//
//   ASSERT_TRUE(Eventually([&] { return CountRows() >= 5; }, absl::Seconds(30)));
//
// This polls the condition (every few milliseconds, backing off to 50 ms) until it holds or the
// deadline passes: it synchronises on the condition itself, not on a guessed sleep, so a busy
// machine only makes it take longer, never fail. Deadlines are generous failure bounds.
#ifndef PANTAU_TESTS_TESTING_EVENTUALLY_H_
#define PANTAU_TESTS_TESTING_EVENTUALLY_H_

#include <algorithm>
#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pantau::testing {

inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(2);
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(50));
  }
}

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_EVENTUALLY_H_
