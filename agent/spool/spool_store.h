// The agent's durable outbox in SQLite. Every event is written here first; batches are formed
// here and keep their seq until the collector acknowledges it, so a batch that was sent but
// whose answer was lost (crash, network) is sent again unchanged and the collector recognises
// it. Events are deleted only after the acknowledgement.
//
//   PANTAU_ASSIGN_OR_RETURN(auto spool, SpoolStore::Open(dir + "/spool.db", options));
//   spool->Append(event, EventPriority::kProbe);
//   PANTAU_ASSIGN_OR_RETURN(auto batch, spool->NextBatch(500));
//   if (batch) { ... push ...; spool->Acknowledge(response.acked_seq()); }
#ifndef PANTAU_AGENT_SPOOL_SPOOL_STORE_H_
#define PANTAU_AGENT_SPOOL_SPOOL_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/optional.h"
#include "pantau/v1/events.pb.h"

struct sqlite3;

namespace pantau::agent {

// What goes first when the spool is full: lowest value first.
enum class EventPriority {
  kStatistics = 0,  // metrics, visitor statistics
  kProbe = 1,       // probe results, heartbeats
  kSecurity = 2,    // log alerts, file-integrity findings, backup results
};

struct SpoolOptions {
  // Most events kept; beyond it the lowest-priority, oldest events not yet in a batch are
  // dropped. Default 100000.
  int64_t max_events = 100000;
  // Told of every drop (priority, agent_event_id), e.g. to count it in a metric. Optional.
  std::function<void(EventPriority, uint64_t)> on_drop;
};

struct SpoolBatch {
  uint64_t seq = 0;
  // Each event carries its agent_event_id (the spool row id).
  std::vector<v1::Event> events;
};

// Thread-safe (one SQLite connection behind a mutex).
class SpoolStore {
 public:
  // Opens or creates the database (WAL, synchronous=FULL: an appended event survives a crash
  // or power loss). InvalidArgument/Internal with the SQLite message when it cannot.
  static absl::StatusOr<std::unique_ptr<SpoolStore>> Open(const std::string& path,
                                                          SpoolOptions options = {});
  ~SpoolStore();

  // Stores one event (its agent_event_id is assigned here and returned). When the spool is
  // full and this event is the least important one, it is itself dropped (on_drop is told).
  absl::StatusOr<uint64_t> Append(const v1::Event& event, EventPriority priority);
  // Stores several events and runs `in_transaction` (may be empty) on the spool's database in
  // the same SQLite transaction: either all of it commits or nothing does. Log watching uses
  // it to commit read positions together with the events those lines produced, so a crash
  // neither loses nor repeats them. `ids` (optional) receives the events' agent_event_ids.
  absl::Status AppendAll(const std::vector<std::pair<v1::Event, EventPriority>>& events,
                         const std::function<absl::Status(sqlite3*)>& in_transaction,
                         std::vector<uint64_t>* ids = nullptr);
  // Runs `fn` on the spool's database under its lock (e.g. creating and reading the tables
  // that AppendAll's hook writes).
  absl::Status WithDatabase(const std::function<absl::Status(sqlite3*)>& fn);

  // The oldest batch not yet acknowledged: a batch formed earlier comes back unchanged (same
  // seq, same events); otherwise up to `max_events` waiting events, most important first, form
  // a new batch under the next seq (`max_events` below 1 counts as 1). nullopt when nothing
  // waits.
  absl::StatusOr<absl::optional<SpoolBatch>> NextBatch(int max_events);

  // The collector stored every batch up to `acked_seq`: delete their events, and never hand
  // out a seq at or below it again.
  absl::Status Acknowledge(uint64_t acked_seq);

  // Returns a formed batch's events to the waiting pool (the collector refused the batch as
  // too large, so nothing of it was stored); they go into new, smaller batches.
  absl::Status Unbatch(uint64_t seq);

  // Deletes a batch the collector refused as invalid (it will never be accepted). Returns how
  // many events were dropped.
  absl::StatusOr<int64_t> DropBatch(uint64_t seq);

  int64_t size() const;
  int64_t dropped_total() const;

 private:
  SpoolStore(sqlite3* db, SpoolOptions options);
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(const char* what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the least important waiting events beyond max_events; reports them in `drops`
  // (counted and announced by the caller once the transaction has committed).
  absl::Status DropOverflow(std::vector<std::pair<EventPriority, uint64_t>>* drops)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<v1::Event>> LoadBatch(int64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SpoolOptions options_;
  mutable absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_SPOOL_SPOOL_STORE_H_
