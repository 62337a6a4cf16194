#include "collector/ingest/agent_service.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "collector/ingest/validate.h"
#include "common/grpc_status.h"
#include "common/ids.h"
#include "common/log.h"

namespace pantau::collector {

grpc::Status AgentServiceImpl::Push(grpc::ServerContext* /*context*/,
                                    const v1::PushRequest* request, v1::PushResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status valid = ValidatePush(*request, limits_);
  if (!valid.ok()) {
    metrics_.CountPush(absl::IsResourceExhausted(valid) ? "too_large" : "invalid");
    // The id is escaped and cut: it is untrusted input going into our log.
    PANTAU_LOG(WARNING) << "refused batch " << request->batch_seq() << " from agent '"
                        << absl::CHexEscape(request->agent_id().substr(0, 128))
                        << "': " << valid.message();
    return ToGrpcStatus(valid);
  }
  absl::StatusOr<BatchOutcome> outcome = store_.StoreBatch(*request);
  if (!outcome.ok()) {
    PANTAU_LOG(WARNING) << outcome.status().message();
    // Internal details stay in our log; the agent learns whether to retry.
    if (absl::IsUnavailable(outcome.status())) {
      metrics_.CountPush("unavailable");
      return ToGrpcStatus(absl::UnavailableError("storage unavailable, retry later"));
    }
    if (absl::IsInvalidArgument(outcome.status())) {
      metrics_.CountPush("invalid");
      return ToGrpcStatus(absl::InvalidArgumentError(
          "the database refused the batch's data (see the collector log)"));
    }
    metrics_.CountPush("error");
    return ToGrpcStatus(absl::InternalError("storing the batch failed"));
  }
  response->set_acked_seq(outcome->acked_seq);
  metrics_.ObservePushSeconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (outcome->duplicate) {
    metrics_.CountPush("duplicate");
    return grpc::Status::OK;
  }
  metrics_.CountPush("ok");
  if (on_stored_) on_stored_(*request);
  const std::string& court = request->court_id();
  double probes = 0, heartbeats = 0, checks = 0, log_alerts = 0, visitor_stats = 0, bans = 0,
         backups = 0;
  for (const v1::Event& e : request->events()) {
    if (e.has_probe()) ++probes;
    if (e.has_heartbeat()) ++heartbeats;
    if (e.has_check()) ++checks;
    if (e.has_log_alert()) ++log_alerts;
    if (e.has_visitor_stats()) {
      ++visitor_stats;
      metrics_.CountVisitorStats(court, e.visitor_stats());
    }
    if (e.has_ban()) {
      ++bans;
      metrics_.CountBan(court, e.ban());
    }
    if (e.has_backup()) {
      ++backups;
      metrics_.CountBackup(court, e.backup());
    }
  }
  if (probes > 0) metrics_.CountEvents("probe", probes);
  if (heartbeats > 0) metrics_.CountEvents("heartbeat", heartbeats);
  if (checks > 0) metrics_.CountEvents("check", checks);
  if (log_alerts > 0) metrics_.CountEvents("log_alert", log_alerts);
  if (visitor_stats > 0) metrics_.CountEvents("visitor_stats", visitor_stats);
  if (bans > 0) metrics_.CountEvents("ban", bans);
  if (backups > 0) metrics_.CountEvents("backup", backups);
  metrics_.RefreshBackupAges(clock_.Now());
  for (const NewLogAlert& a : outcome->new_log_alerts) {
    metrics_.CountNewLogAlert(court, a.site, a.family, a.severity);
  }
  for (const auto& [site, p] : NewestHttpProbePerSite(*request)) metrics_.SetSite(court, *p);
  for (const CheckRun& run : NewestCheckRuns(*request)) {
    metrics_.SetFindings(court, *run.site, run.check, run.started_unix_ms, *run.findings);
  }
  for (const auto& [site, report] : NewestContentAgePerSite(*request)) {
    metrics_.SetContentAge(court, site, report->started_unix_ms(), report->content_age_days());
  }
  return grpc::Status::OK;
}

grpc::Status AgentServiceImpl::GetConfig(grpc::ServerContext* /*context*/,
                                         const v1::GetConfigRequest* request,
                                         v1::GetConfigResponse* response) {
  if (!IsValidId(request->agent_id())) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        "agent_id must be 1..128 bytes of letters, digits, '.', '_' or '-'"));
  }
  absl::StatusOr<std::vector<v1::ProbeTarget>> targets = store_.ProbeTargets(request->agent_id());
  if (!targets.ok()) {
    PANTAU_LOG(WARNING) << targets.status().message();
    return ToGrpcStatus(absl::UnavailableError("storage unavailable, retry later"));
  }
  for (v1::ProbeTarget& t : *targets) *response->add_targets() = std::move(t);
  return grpc::Status::OK;
}

}  // namespace pantau::collector
