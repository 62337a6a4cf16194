// Loopback ports for tests.
#ifndef PANTAU_TESTS_TESTING_PORTS_H_
#define PANTAU_TESTS_TESTING_PORTS_H_

#include "absl/status/statusor.h"

namespace pantau::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
// Another process may take it before the caller binds it: callers that start servers retry
// with a new one, tests that only need "nothing listens here" accept the small race.
absl::StatusOr<int> PickFreePort();

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_PORTS_H_
