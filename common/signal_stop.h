// Turns SIGTERM and SIGINT into a StopToken request, for main(). Call BlockStopSignals()
// before any thread starts (threads inherit the mask), then StopOnSignal() to watch for them.
//
//   pantau::BlockStopSignals();
//   pantau::StopToken stop;
//   pantau::SignalWatcher watcher(stop);   // a thread sigwait()s; stop is requested on signal
#ifndef PANTAU_COMMON_SIGNAL_STOP_H_
#define PANTAU_COMMON_SIGNAL_STOP_H_

#include <thread>

#include "common/clock.h"

namespace pantau {

void BlockStopSignals();

// Not thread-safe; one per process. `stop` must outlive it.
class SignalWatcher {
 public:
  explicit SignalWatcher(StopToken& stop);
  // Wakes the watcher thread and joins it.
  ~SignalWatcher();

 private:
  std::thread thread_;
};

}  // namespace pantau

#endif  // PANTAU_COMMON_SIGNAL_STOP_H_
