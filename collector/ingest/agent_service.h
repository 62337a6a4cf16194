// AgentService: the gRPC endpoint agents push batches to and pull their probe list from.
#ifndef PANTAU_COLLECTOR_INGEST_AGENT_SERVICE_H_
#define PANTAU_COLLECTOR_INGEST_AGENT_SERVICE_H_

#include "collector/config/collector_config.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/store/store.h"
#include "pantau/v1/agent_service.grpc.pb.h"

namespace pantau::collector {

// Thread-safe. `store` and `metrics` must outlive this object.
class AgentServiceImpl final : public v1::AgentService::Service {
 public:
  AgentServiceImpl(Store& store, IngestMetrics& metrics, IngestLimits limits)
      : store_(store), metrics_(metrics), limits_(limits) {}

  // Answers only after the batch is committed (or found already stored).
  grpc::Status Push(grpc::ServerContext* context, const v1::PushRequest* request,
                    v1::PushResponse* response) override;
  grpc::Status GetConfig(grpc::ServerContext* context, const v1::GetConfigRequest* request,
                         v1::GetConfigResponse* response) override;

 private:
  Store& store_;
  IngestMetrics& metrics_;
  const IngestLimits limits_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_AGENT_SERVICE_H_
