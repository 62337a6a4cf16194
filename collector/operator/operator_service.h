// OperatorService: what pantauctl and the web console read.
#ifndef PANTAU_COLLECTOR_OPERATOR_OPERATOR_SERVICE_H_
#define PANTAU_COLLECTOR_OPERATOR_OPERATOR_SERVICE_H_

#include "collector/incidents/incident_engine.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "pantau/v1/operator_service.grpc.pb.h"

namespace pantau::collector {

// Thread-safe. `store`, `engine` and `clock` must outlive this object. Every call needs an
// operator token ("authorization: Bearer <token>" metadata); what it may see and do is decided
// here by the person's role and courts (IncidentEngine::Authenticate).
class OperatorServiceImpl final : public v1::OperatorService::Service {
 public:
  OperatorServiceImpl(Store& store, IncidentEngine& engine, const Clock& clock)
      : store_(store), engine_(engine), clock_(clock) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::GetStatusResponse* response) override;
  // INVALID_ARGUMENT for a limit outside 0..1000 or over-long court/site.
  grpc::Status ListLogAlerts(grpc::ServerContext* context, const v1::ListLogAlertsRequest* request,
                             v1::ListLogAlertsResponse* response) override;
  // INVALID_ARGUMENT without a site or with minutes outside 0..1440.
  grpc::Status GetVisitorStats(grpc::ServerContext* context,
                               const v1::GetVisitorStatsRequest* request,
                               v1::GetVisitorStatsResponse* response) override;

  // INVALID_ARGUMENT for a limit outside 0..1000 or over-long court/site; PERMISSION_DENIED
  // for a court outside the caller's. Other courts' backups are never listed.
  grpc::Status ListBackups(grpc::ServerContext* context, const v1::ListBackupsRequest* request,
                           v1::ListBackupsResponse* response) override;

  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest* request,
                      v1::WhoAmIResponse* response) override;
  grpc::Status ListIncidents(grpc::ServerContext* context, const v1::ListIncidentsRequest* request,
                             v1::ListIncidentsResponse* response) override;
  grpc::Status GetIncident(grpc::ServerContext* context, const v1::GetIncidentRequest* request,
                           v1::GetIncidentResponse* response) override;
  grpc::Status AckIncident(grpc::ServerContext* context, const v1::IncidentActionRequest* request,
                           v1::IncidentResponse* response) override;
  grpc::Status AddIncidentNote(grpc::ServerContext* context,
                               const v1::IncidentActionRequest* request,
                               v1::IncidentResponse* response) override;
  grpc::Status HandOffIncident(grpc::ServerContext* context,
                               const v1::HandOffIncidentRequest* request,
                               v1::IncidentResponse* response) override;
  grpc::Status ResolveIncident(grpc::ServerContext* context,
                               const v1::IncidentActionRequest* request,
                               v1::IncidentResponse* response) override;
  grpc::Status AddMaintenance(grpc::ServerContext* context,
                              const v1::AddMaintenanceRequest* request,
                              v1::MaintenanceWindow* response) override;
  grpc::Status ListMaintenance(grpc::ServerContext* context,
                               const v1::ListMaintenanceRequest* request,
                               v1::ListMaintenanceResponse* response) override;
  grpc::Status EndMaintenance(grpc::ServerContext* context,
                              const v1::EndMaintenanceRequest* request,
                              v1::MaintenanceWindow* response) override;
  grpc::Status ApplyOrg(grpc::ServerContext* context, const v1::ApplyOrgRequest* request,
                        v1::ApplyOrgResponse* response) override;
  grpc::Status ListPeople(grpc::ServerContext* context, const v1::ListPeopleRequest* request,
                          v1::ListPeopleResponse* response) override;
  grpc::Status IssueToken(grpc::ServerContext* context, const v1::IssueTokenRequest* request,
                          v1::IssueTokenResponse* response) override;

 private:
  // The caller, from the context's bearer token.
  absl::StatusOr<Principal> Caller(grpc::ServerContext* context);

  Store& store_;
  IncidentEngine& engine_;
  const Clock& clock_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_OPERATOR_OPERATOR_SERVICE_H_
