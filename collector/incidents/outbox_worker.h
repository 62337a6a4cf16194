// Delivers the outbox: claims due pages with a lease (FOR UPDATE SKIP LOCKED, so two
// collectors never send the same row at once), sends each through collector/notify, and marks
// it sent, or schedules a retry with exponential backoff (an endpoint that is down delays a
// page, never drops it), or marks it failed when the endpoint refuses it for good (recorded
// on the incident's timeline). Also polls Telegram's getUpdates for the "Tindak lanjuti"
// button, one collector at a time (the offset row is claimed with SKIP LOCKED).
//
// A crash after the commit that wrote a page and before it was sent loses nothing: the row is
// still pending. A crash after the server accepted it and before it was marked sent sends it
// once more when the lease expires, with the same idempotency key (the email's Message-ID, the
// webhook's Idempotency-Key), so receivers can drop the repeat.
//
//   OutboxWorker worker(engine, notifiers, options, &registry);
//   worker.Start();  ...  worker.Wake();  ...  worker.Stop();
#ifndef PANTAU_COLLECTOR_INCIDENTS_OUTBOX_WORKER_H_
#define PANTAU_COLLECTOR_INCIDENTS_OUTBOX_WORKER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/incidents/incident_engine.h"
#include "collector/notify/notifier.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
}  // namespace prometheus

namespace pantau::collector {

struct OutboxOptions {
  // Real time between looks at the outbox when nobody wakes the worker.
  absl::Duration poll_interval = absl::Seconds(1);
  // How long a claimed row stays ours; a crashed sender's rows are taken over after it.
  absl::Duration lease = absl::Minutes(5);
  // Retry delays: initial, doubling, at most max (each drawn from [d/2, d]).
  absl::Duration retry_initial = absl::Seconds(10);
  absl::Duration retry_max = absl::Minutes(10);
  // Rows claimed per round.
  int batch = 20;
  // Poll Telegram's getUpdates for the acknowledge button (notify.telegram.poll_updates), with
  // this long-poll timeout (poll_timeout_seconds); Stop() waits for a poll in flight.
  bool poll_telegram = true;
  absl::Duration telegram_poll_timeout = absl::Seconds(20);
};

// Thread-safe. `engine`, `notifiers` and `registry` must outlive it.
class OutboxWorker {
 public:
  OutboxWorker(IncidentEngine& engine, Notifiers& notifiers, OutboxOptions options,
               prometheus::Registry* registry);
  ~OutboxWorker();

  void Start();
  void Stop();
  // Look at the outbox now (after a transaction wrote pages).
  void Wake();

  // One round: claims due rows, sends them, records the outcome. Returns rows handled.
  absl::StatusOr<int> DeliverDue();
  // One getUpdates round (no-op without Telegram or when another collector polls).
  absl::Status PollTelegram(absl::Duration timeout);

 private:
  void Loop();
  void TelegramLoop();

  IncidentEngine& engine_;
  Notifiers& notifiers_;
  const OutboxOptions options_;
  prometheus::Family<prometheus::Counter>* sent_ = nullptr;
  prometheus::Family<prometheus::Gauge>* pending_ = nullptr;

  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  std::thread telegram_thread_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INCIDENTS_OUTBOX_WORKER_H_
