// One worker thread running posted tasks in order: keeps slow work (parsing, SQLite writes)
// off threads that must stay responsive, such as the HttpEngine's event loop, whose delays
// would show up as site latency.
//
//   WorkQueue queue("analysis");
//   queue.Start();
//   queue.Post([] { ... });
//   queue.WaitIdle(absl::Seconds(5));
//   queue.Stop();   // runs what was posted, then joins
#ifndef PANTAU_COMMON_WORK_QUEUE_H_
#define PANTAU_COMMON_WORK_QUEUE_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pantau {

// Thread-safe. Tasks run one at a time on the worker thread, in the order posted; a task may
// Post() more. Before Start() and after Stop(), Post() runs the task on the caller's thread.
class WorkQueue {
 public:
  explicit WorkQueue(std::string name) : name_(std::move(name)) {}
  ~WorkQueue() { Stop(); }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Start();
  void Post(std::function<void()> task);
  // Waits until no task is queued or running, or for `timeout`; true when idle.
  bool WaitIdle(absl::Duration timeout);
  // Queued or running tasks.
  int pending() const;
  // Runs what is queued, then joins. Idempotent.
  void Stop();

 private:
  void Loop();

  const std::string name_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace pantau

#endif  // PANTAU_COMMON_WORK_QUEUE_H_
