#include "common/signal_stop.h"

#include <pthread.h>
#include <signal.h>

#include "common/log.h"

namespace pantau {
namespace {
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);  // internal: wakes the watcher at destruction
  return set;
}
}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed pipe (a collector going away mid-write) must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

SignalWatcher::SignalWatcher(StopToken& stop) {
  thread_ = std::thread([&stop] {
    sigset_t set = StopSignals();
    int signal_number = 0;
    while (sigwait(&set, &signal_number) == 0) {
      if (signal_number == SIGUSR2) return;
      PANTAU_LOG(INFO) << "received " << (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
                       << ", stopping";
      stop.RequestStop();
      return;
    }
  });
}

SignalWatcher::~SignalWatcher() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

}  // namespace pantau
