// OperatorService: what pantauctl and the web console read.
#ifndef PANTAU_COLLECTOR_OPERATOR_OPERATOR_SERVICE_H_
#define PANTAU_COLLECTOR_OPERATOR_OPERATOR_SERVICE_H_

#include "collector/store/store.h"
#include "common/clock.h"
#include "pantau/v1/operator_service.grpc.pb.h"

namespace pantau::collector {

// Thread-safe. `store` and `clock` must outlive this object.
class OperatorServiceImpl final : public v1::OperatorService::Service {
 public:
  OperatorServiceImpl(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::GetStatusResponse* response) override;
  // INVALID_ARGUMENT for a limit outside 0..1000 or over-long court/site.
  grpc::Status ListLogAlerts(grpc::ServerContext* context, const v1::ListLogAlertsRequest* request,
                             v1::ListLogAlertsResponse* response) override;
  // INVALID_ARGUMENT without a site or with minutes outside 0..1440.
  grpc::Status GetVisitorStats(grpc::ServerContext* context,
                               const v1::GetVisitorStatsRequest* request,
                               v1::GetVisitorStatsResponse* response) override;

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_OPERATOR_OPERATOR_SERVICE_H_
