// The daemon life cycle shared by pantau-agent and pantau-collector: load the config, set
// the log level, create the app, start it, run until SIGTERM/SIGINT, shut it down.
//
//   int RunCollector(const std::string& path) {
//     BlockStopSignals();
//     return RunUntilStopSignal<CollectorApp>(LoadCollectorConfig(path));
//   }
//
// `App` provides: static absl::StatusOr<std::unique_ptr<App>> Create(const Config&, const Clock&),
// absl::Status Start(), void Shutdown(). `Config` has a `log_level` string.
#ifndef PANTAU_COMMON_RUN_APP_H_
#define PANTAU_COMMON_RUN_APP_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/signal_stop.h"

namespace pantau {

// Returns the process exit code: 0 after a clean stop, 1 when the config or start-up failed
// (the reason is logged). Call BlockStopSignals() first, before any thread exists.
// `after_shutdown`, when set, is called after Shutdown() with the app (for a last log line).
template <typename App, typename Config>
int RunUntilStopSignal(const absl::StatusOr<Config>& config,
                       const std::function<void(App&)>& after_shutdown = nullptr) {
  if (!config.ok()) {
    PANTAU_LOG(ERROR) << "bad configuration: " << config.status().message();
    return 1;
  }
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(config->log_level, &level);
  SetMinLogLevel(level);
  RealClock clock;
  StopToken stop;
  SignalWatcher watcher(stop);
  absl::StatusOr<std::unique_ptr<App>> app = App::Create(*config, clock);
  if (!app.ok()) {
    PANTAU_LOG(ERROR) << "cannot start: " << app.status().message();
    return 1;
  }
  if (absl::Status started = (*app)->Start(); !started.ok()) {
    PANTAU_LOG(ERROR) << "cannot start: " << started.message();
    return 1;
  }
  while (!clock.WaitFor(absl::Hours(24), stop)) {
  }
  (*app)->Shutdown();
  if (after_shutdown) after_shutdown(**app);
  return 0;
}

}  // namespace pantau

#endif  // PANTAU_COMMON_RUN_APP_H_
