// Moves spooled events to the collector: forms batches in the spool, pushes them, deletes them
// after the collector's acknowledgement, and retries with backoff while the collector or its
// database is unavailable.
#ifndef PANTAU_AGENT_UPLINK_SENDER_H_
#define PANTAU_AGENT_UPLINK_SENDER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/config/agent_config.h"
#include "agent/spool/spool_store.h"
#include "agent/uplink/uplink_metrics.h"
#include "common/backoff.h"
#include "common/clock.h"
#include "pantau/v1/agent_service.grpc.pb.h"

namespace pantau::agent {

// Thread-safe: Wake() from any thread; Start/Stop from one. `spool`, `clock` and `metrics`
// must outlive this object.
class Sender {
 public:
  // `token` (may be empty) is sent as "authorization: Bearer <token>" on every call.
  Sender(const AgentConfig& config, std::string token,
         std::unique_ptr<v1::AgentService::StubInterface> stub,
         SpoolStore& spool, const Clock& clock, AgentMetrics& metrics);
  ~Sender() { Stop(); }

  void Start();
  // Stops after the push in flight (if any) ends; unsent events stay in the spool.
  void Stop();
  // New events are waiting: send without waiting for the idle poll.
  void Wake();

  // One step of the loop, for tests: handshake if needed, then push one batch.
  // Returns true when a batch was acknowledged, false when there was nothing to send;
  // an error when the push failed (the caller backs off).
  absl::StatusOr<bool> SendOnce();

 private:
  absl::Status Handshake();
  void Loop();
  void Prepare(grpc::ClientContext* context) const;

  const std::string agent_id_;
  const std::string court_id_;
  const CollectorLinkConfig link_;
  int batch_max_events_;
  std::string token_;
  std::unique_ptr<v1::AgentService::StubInterface> stub_;
  SpoolStore& spool_;
  const Clock& clock_;
  AgentMetrics& metrics_;
  Backoff backoff_;
  bool handshake_done_ = false;
  uint64_t last_known_seq_ = 0;  // the collector's last_seq at the latest handshake

  absl::Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  StopToken stop_;
  std::thread thread_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_UPLINK_SENDER_H_
