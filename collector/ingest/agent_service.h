// AgentService: the gRPC endpoint agents push batches to and pull their probe list from.
#ifndef PANTAU_COLLECTOR_INGEST_AGENT_SERVICE_H_
#define PANTAU_COLLECTOR_INGEST_AGENT_SERVICE_H_

#include <functional>

#include "collector/config/collector_config.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "pantau/v1/agent_service.grpc.pb.h"

namespace pantau::collector {

// Thread-safe. `store`, `metrics` and `clock` must outlive this object. `clock` dates the
// backup age gauges.
class AgentServiceImpl final : public v1::AgentService::Service {
 public:
  // `on_stored` (may be empty) is called after a new batch was committed, before answering:
  // the incident engine queues the batch's sites for evaluation. It must not block.
  AgentServiceImpl(Store& store, IngestMetrics& metrics, IngestLimits limits, const Clock& clock,
                   std::function<void(const v1::PushRequest&)> on_stored = nullptr)
      : store_(store),
        metrics_(metrics),
        limits_(limits),
        clock_(clock),
        on_stored_(std::move(on_stored)) {}

  // Answers only after the batch is committed (or found already stored).
  grpc::Status Push(grpc::ServerContext* context, const v1::PushRequest* request,
                    v1::PushResponse* response) override;
  grpc::Status GetConfig(grpc::ServerContext* context, const v1::GetConfigRequest* request,
                         v1::GetConfigResponse* response) override;

 private:
  Store& store_;
  IngestMetrics& metrics_;
  const IngestLimits limits_;
  const Clock& clock_;
  const std::function<void(const v1::PushRequest&)> on_stored_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_AGENT_SERVICE_H_
