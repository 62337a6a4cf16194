// PostgreSQL storage for everything agents send and operators read. All state lives here, so
// any number of collectors can serve the same database.
//
//   PANTAU_ASSIGN_OR_RETURN(auto store, Store::Create(conninfo, /*pool_size=*/8));
//   PANTAU_ASSIGN_OR_RETURN(BatchOutcome out, store->StoreBatch(request));
#ifndef PANTAU_COLLECTOR_STORE_STORE_H_
#define PANTAU_COLLECTOR_STORE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pantau/v1/agent_service.pb.h"

namespace pantau::collector {

class PgPool;

struct BatchOutcome {
  // Highest batch_seq stored for the agent after the call.
  uint64_t acked_seq = 0;
  // True when the batch was at or below the stored seq and so not stored again.
  bool duplicate = false;
};

// The latest probe of one site, as GetStatus and the per-site gauges report it.
struct SiteLatest {
  std::string court_id;
  std::string site;
  std::string agent_id;
  std::string url;
  bool up = false;
  int http_status = 0;
  int64_t total_us = 0;
  std::string error;
  absl::Time started_at;
};

// The newest probe result of each site in a batch (by started_unix_ms), keyed by site id.
// Pointers point into `request`.
std::map<std::string, const v1::ProbeResult*> NewestProbePerSite(const v1::PushRequest& request);

// Thread-safe (each call takes its own pooled connection).
class Store {
 public:
  // Applies pending migrations, then opens the pool. Unavailable when PostgreSQL is down.
  static absl::StatusOr<std::unique_ptr<Store>> Create(const std::string& conninfo, int pool_size);
  ~Store();

  // Stores the batch's events and the agent's new last_seq in one transaction, so a batch is
  // stored exactly once however often it is pushed. The request must have been validated
  // (collector/ingest/validate.h). Probe results go in with COPY. Unavailable when PostgreSQL
  // is down or the connection broke (nothing was committed, or the commit's fate is unknown:
  // either way a retry of the same batch is safe); InvalidArgument when PostgreSQL refuses the
  // data itself.
  absl::StatusOr<BatchOutcome> StoreBatch(const v1::PushRequest& request);

  // Latest probe per site, sorted by court then site; all courts when `court_id` is empty.
  absl::StatusOr<std::vector<SiteLatest>> LatestBySite(const std::string& court_id);

  // Central probe list of an agent (probe_targets); empty when none is set.
  absl::StatusOr<std::vector<v1::ProbeTarget>> ProbeTargets(const std::string& agent_id);

 private:
  explicit Store(std::unique_ptr<PgPool> pool);
  absl::StatusOr<BatchOutcome> StoreBatchOnce(const v1::PushRequest& request);
  std::unique_ptr<PgPool> pool_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_STORE_H_
