// Child processes: start, signal, wait, and run-to-completion with captured output.
// Used by the test harness (PostgreSQL, nginx, the pantau binaries) and the benchmarks.
//
//   PANTAU_ASSIGN_OR_RETURN(auto result, RunCommand({"initdb", "-D", dir}));
//   if (result.exit_code != 0) ... result.output ...
#ifndef PANTAU_COMMON_SUBPROCESS_H_
#define PANTAU_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pantau {

struct SpawnOptions {
  // When set, stdout and stderr of the child go to this file (appended); otherwise inherited.
  std::string output_path;
  // When set and we are root, the child runs as this user (with its primary group).
  std::string run_as_user;
  // Extra environment entries "KEY=VALUE" added to the inherited environment.
  std::vector<std::string> extra_env;
};

// One child process. Not thread-safe. The destructor kills (SIGKILL) and reaps a child that
// is still running, so a failing test never leaves servers behind.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(const std::vector<std::string>& argv,
                                                           const SpawnOptions& options = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return !exited_; }
  absl::Status Signal(int signal);
  // Waits until the child exits, at most `timeout`. Returns its exit code, or 128+signal when
  // a signal ended it; DeadlineExceeded when it is still running at the deadline.
  absl::StatusOr<int> Wait(absl::Duration timeout = absl::InfiniteDuration());

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool exited_ = false;
  int exit_code_ = 0;
};

struct CommandResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr interleaved
};

// Runs argv to completion (at most `timeout`), capturing its output.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const SpawnOptions& options = {},
                                         absl::Duration timeout = absl::Minutes(5));

}  // namespace pantau

#endif  // PANTAU_COMMON_SUBPROCESS_H_
