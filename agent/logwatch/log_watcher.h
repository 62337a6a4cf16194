// The agent's log watching, live: follows every configured log of every site (LogTailer),
// analyses each line (SiteLogAnalysis), and at each checkpoint commits to the spool, in one
// SQLite transaction, the alerts and visitor statistics produced since the last one together
// with the read positions that produced them. So a crash or restart neither loses nor counts
// twice a line: after a crash the agent re-reads from the last checkpoint, whose statistics
// were never sent. When a commit fails (disk full), reading pauses until it succeeds. Alerts that open for brute force or scanners may lead to a ban (active
// response, off by default).
//
//   PANTAU_ASSIGN_OR_RETURN(auto watcher, LogWatcher::Create(config, spool, clock, registry));
//   watcher->Start();  ...  watcher->Stop();
#ifndef PANTAU_AGENT_LOGWATCH_LOG_WATCHER_H_
#define PANTAU_AGENT_LOGWATCH_LOG_WATCHER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/config/agent_config.h"
#include "agent/spool/spool_store.h"
#include "common/clock.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace pantau::agent::logwatch {

struct LogWatcherCounters {
  int64_t lines = 0;
  int64_t malformed = 0;
  int64_t alerts_opened = 0;
  int64_t checkpoints = 0;
  int64_t events_spooled = 0;
};

// Thread-compatible; Start() runs the work on a thread of its own. `spool`, `clock` and
// `registry` must outlive it.
class LogWatcher {
 public:
  // Loads the rule files (data_dir/logwatch/rules.yaml, then logwatch.rules_files), the GeoIP
  // database when configured, sets up nftables when active response is enabled, and reads the
  // saved positions from the spool's database. InvalidArgument/NotFound name the file.
  // `on_spooled` (optional) is called after events were committed (wakes the sender).
  static absl::StatusOr<std::unique_ptr<LogWatcher>> Create(
      const AgentConfig& config, SpoolStore& spool, const Clock& clock,
      prometheus::Registry& registry, std::function<void()> on_spooled = nullptr);
  ~LogWatcher();

  // Number of log sources (0 = nothing to watch; Start then does nothing).
  size_t sources() const;
  void Start();
  // Stops the thread after a last checkpoint (open minutes sent, positions saved). Idempotent.
  void Stop();

  // One round on the caller's thread (tests): read what is new, then checkpoint if `checkpoint`.
  absl::Status RunOnce(bool checkpoint);
  LogWatcherCounters counters() const;

  struct State;

 private:
  explicit LogWatcher(std::unique_ptr<State> state);
  void Loop();

  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_LOG_WATCHER_H_
