#include "collector/operator/operator_service.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/incidents/org_spec.h"
#include "common/grpc_status.h"
#include "common/log.h"

namespace pantau::collector {
namespace {

constexpr int kDefaultAlertLimit = 100;
constexpr int kMaxAlertLimit = 1000;
constexpr int kDefaultMinutes = 60;
constexpr int kMaxMinutes = 1440;

// Start of the minute holding `t`, Unix seconds.
int64_t MinuteStart(absl::Time t) {
  const int64_t s = absl::ToUnixSeconds(t);
  return s - ((s % 60) + 60) % 60;
}

grpc::Status StorageError(const absl::Status& status) {
  PANTAU_LOG(WARNING) << status.message();
  if (absl::IsInvalidArgument(status)) return ToGrpcStatus(status);
  return ToGrpcStatus(absl::UnavailableError("storage unavailable, retry later"));
}

// Errors of the engine: storage trouble is hidden behind a retry hint, the rest (NotFound,
// PermissionDenied, InvalidArgument, FailedPrecondition) goes to the operator as it is.
grpc::Status EngineError(const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsInternal(status) || absl::IsUnknown(status)) {
    return StorageError(status);
  }
  return ToGrpcStatus(status);
}

// A site's backup state as SiteStatus / BackupSiteState report it; `Out` is either.
template <typename Out>
void SetBackupState(const SiteBackupState& b, const IncidentCatalog& catalog, absl::Time now,
                    Out* out) {
  out->set_last_backup_unix_ms(absl::ToUnixMillis(b.last_finished));
  out->set_last_backup_verified(b.last_verified);
  out->set_last_backup_error(b.last_error);
  out->set_backup_interval_seconds(b.interval_seconds);
  if (b.last_verified_finished.has_value()) {
    out->set_last_verified_backup_known(true);
    out->set_last_verified_backup_unix_ms(absl::ToUnixMillis(*b.last_verified_finished));
    out->set_last_verified_backup_age_seconds(
        std::max<int64_t>(0, absl::ToInt64Seconds(now - *b.last_verified_finished)));
  }
  // The backup_overdue rule's test (incident_engine.cc).
  const absl::Time since = b.last_verified_finished.value_or(b.first_finished);
  out->set_backup_overdue(now - since > BackupOverdueAfter(catalog, b.interval_seconds));
}

grpc::Status NoAccess(const std::string& court) {
  return ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat("no access to court ", court)));
}

}  // namespace

absl::StatusOr<Principal> OperatorServiceImpl::Caller(grpc::ServerContext* context) {
  std::string token;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (absl::StartsWithIgnoreCase(value, "bearer ")) token = std::string(value.substr(7));
  }
  absl::StatusOr<Principal> who = engine_.Authenticate(token);
  if (!who.ok() && absl::IsUnauthenticated(who.status())) {
    PANTAU_LOG(WARNING) << "operator call from " << context->peer() << " refused: "
                        << who.status().message();
  }
  return who;
}

#define PANTAU_CALLER(who)                                      \
  absl::StatusOr<Principal> who##_or = Caller(context);         \
  if (!who##_or.ok()) return EngineError(who##_or.status());    \
  const Principal& who = *who##_or;

grpc::Status OperatorServiceImpl::GetStatus(grpc::ServerContext* context,
                                            const v1::GetStatusRequest* request,
                                            v1::GetStatusResponse* response) {
  if (request->court_id().size() > 64) {
    return ToGrpcStatus(absl::InvalidArgumentError("court_id is longer than 64 bytes"));
  }
  PANTAU_CALLER(who);
  if (!request->court_id().empty() && !who.CanSee(request->court_id())) {
    return NoAccess(request->court_id());
  }
  absl::StatusOr<std::vector<SiteLatest>> sites = store_.LatestBySite(request->court_id());
  if (!sites.ok()) return StorageError(sites.status());
  const absl::Time now = clock_.Now();
  response->set_now_unix_ms(absl::ToUnixMillis(now));
  // The current minute and the 59 before it.
  absl::StatusOr<std::map<std::pair<std::string, std::string>, SiteActivity>> activity =
      store_.ActivityBySite(request->court_id(), absl::FromUnixSeconds(MinuteStart(now) - 59 * 60));
  if (!activity.ok()) return StorageError(activity.status());
  absl::StatusOr<std::vector<SiteBackupState>> backups =
      store_.BackupStates(request->court_id(), "");
  if (!backups.ok()) return StorageError(backups.status());
  std::map<std::pair<std::string, std::string>, const SiteBackupState*> backup_of;
  for (const SiteBackupState& b : *backups) backup_of[{b.court_id, b.site}] = &b;
  for (const SiteLatest& s : *sites) {
    if (!who.CanSee(s.court_id)) continue;
    v1::SiteStatus* out = response->add_sites();
    out->set_site(s.site);
    out->set_url(s.url);
    out->set_court_id(s.court_id);
    out->set_agent_id(s.agent_id);
    out->set_up(s.up);
    out->set_http_status(s.http_status);
    out->set_latency_ms(s.total_us / 1000.0);
    out->set_error(s.error);
    out->set_last_probe_unix_ms(absl::ToUnixMillis(s.started_at));
    out->set_last_probe_age_seconds(
        std::max<int64_t>(0, absl::ToInt64Seconds(now - s.started_at)));
    out->set_tls_checked(s.tls_checked);
    out->set_tls_verified(s.tls_verified);
    out->set_tls_error(s.tls_error);
    if (s.tls_days_left.has_value()) {
      out->set_tls_days_left_known(true);
      out->set_tls_days_left(*s.tls_days_left);
    }
    if (s.content_age_days.has_value()) {
      out->set_content_age_known(true);
      out->set_content_age_days(*s.content_age_days);
      out->set_content_age_source(s.content_age_source);
    }
    if (auto it = activity->find({s.court_id, s.site}); it != activity->end()) {
      out->set_open_log_alerts(it->second.open_log_alerts);
      out->set_requests_last_hour(it->second.recent_requests);
    }
    if (auto it = backup_of.find({s.court_id, s.site}); it != backup_of.end()) {
      SetBackupState(*it->second, engine_.catalog(), now, out);
    }
    for (const OpenFinding& f : s.open_findings) {  // already most severe first
      v1::OpenFinding* o = out->add_open_findings();
      o->set_check(f.check);
      *o->mutable_finding() = f.finding;
      o->set_first_seen_unix_ms(absl::ToUnixMillis(f.first_seen));
      o->set_last_seen_unix_ms(absl::ToUnixMillis(f.last_seen));
    }
  }
  return grpc::Status::OK;
}

namespace {

// The court, site and limit of a list request (alerts, backups); InvalidArgument naming the
// field.
absl::Status CheckListScope(const std::string& court_id, const std::string& site, int64_t limit) {
  if (court_id.size() > 64) return absl::InvalidArgumentError("court_id is longer than 64 bytes");
  if (site.size() > 128) return absl::InvalidArgumentError("site is longer than 128 bytes");
  if (limit < 0 || limit > kMaxAlertLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit ", limit, " is not 1..", kMaxAlertLimit,
                                                   " (0 means ", kDefaultAlertLimit, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status OperatorServiceImpl::ListLogAlerts(grpc::ServerContext* context,
                                                const v1::ListLogAlertsRequest* request,
                                                v1::ListLogAlertsResponse* response) {
  if (absl::Status bad = CheckListScope(request->court_id(), request->site(), request->limit());
      !bad.ok()) {
    return ToGrpcStatus(bad);
  }
  if (request->since_unix_ms() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("since_unix_ms is negative"));
  }
  PANTAU_CALLER(who);
  if (!request->court_id().empty() && !who.CanSee(request->court_id())) {
    return NoAccess(request->court_id());
  }
  LogAlertQuery query;
  query.court_id = request->court_id();
  query.site = request->site();
  query.open_only = request->open_only();
  if (request->since_unix_ms() > 0) query.since = absl::FromUnixMillis(request->since_unix_ms());
  const int limit = request->limit() == 0 ? kDefaultAlertLimit : request->limit();
  // One more than asked, to tell whether the answer is complete.
  query.limit = limit + 1;
  absl::StatusOr<std::vector<StoredLogAlert>> alerts = store_.LogAlerts(query);
  if (!alerts.ok()) return StorageError(alerts.status());
  response->set_now_unix_ms(absl::ToUnixMillis(clock_.Now()));
  response->set_truncated(alerts->size() > static_cast<size_t>(limit));
  if (response->truncated()) alerts->pop_back();
  for (StoredLogAlert& a : *alerts) {
    // Courts outside the caller's are left out (the answer may then hold fewer than `limit`).
    if (!who.CanSee(a.court_id)) continue;
    v1::StoredLogAlert* out = response->add_alerts();
    out->set_court_id(a.court_id);
    out->set_agent_id(a.agent_id);
    *out->mutable_alert() = std::move(a.alert);
    out->set_created_unix_ms(absl::ToUnixMillis(a.created_at));
    out->set_updated_unix_ms(absl::ToUnixMillis(a.updated_at));
  }
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ListBackups(grpc::ServerContext* context,
                                              const v1::ListBackupsRequest* request,
                                              v1::ListBackupsResponse* response) {
  if (absl::Status bad = CheckListScope(request->court_id(), request->site(), request->limit());
      !bad.ok()) {
    return ToGrpcStatus(bad);
  }
  PANTAU_CALLER(who);
  if (!request->court_id().empty() && !who.CanSee(request->court_id())) {
    return NoAccess(request->court_id());
  }
  BackupQuery query;
  query.court_id = request->court_id();
  query.site = request->site();
  const int limit = request->limit() == 0 ? kDefaultAlertLimit : request->limit();
  query.limit = limit + 1;  // one more than asked, to tell whether the answer is complete
  absl::StatusOr<std::vector<StoredBackup>> backups = store_.Backups(query);
  if (!backups.ok()) return StorageError(backups.status());
  absl::StatusOr<std::vector<SiteBackupState>> states =
      store_.BackupStates(request->court_id(), request->site());
  if (!states.ok()) return StorageError(states.status());
  const absl::Time now = clock_.Now();
  response->set_now_unix_ms(absl::ToUnixMillis(now));
  response->set_truncated(backups->size() > static_cast<size_t>(limit));
  if (response->truncated()) backups->pop_back();
  for (StoredBackup& b : *backups) {
    // Courts outside the caller's are left out (the answer may then hold fewer than `limit`).
    if (!who.CanSee(b.court_id)) continue;
    v1::BackupInfo* out = response->add_backups();
    out->set_court_id(b.court_id);
    out->set_agent_id(b.agent_id);
    *out->mutable_summary() = std::move(b.summary);
    out->set_received_unix_ms(absl::ToUnixMillis(b.received_at));
  }
  for (const SiteBackupState& s : *states) {
    if (!who.CanSee(s.court_id)) continue;
    v1::BackupSiteState* out = response->add_sites();
    out->set_court_id(s.court_id);
    out->set_site(s.site);
    SetBackupState(s, engine_.catalog(), now, out);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::GetVisitorStats(grpc::ServerContext* context,
                                                  const v1::GetVisitorStatsRequest* request,
                                                  v1::GetVisitorStatsResponse* response) {
  if (request->site().empty() || request->site().size() > 128) {
    return ToGrpcStatus(absl::InvalidArgumentError("site must be 1..128 bytes"));
  }
  if (request->court_id().size() > 64) {
    return ToGrpcStatus(absl::InvalidArgumentError("court_id is longer than 64 bytes"));
  }
  if (request->minutes() < 0 || request->minutes() > kMaxMinutes) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("minutes ", request->minutes(), " is not 1..", kMaxMinutes, " (0 means ",
                     kDefaultMinutes, ")")));
  }
  PANTAU_CALLER(who);
  std::string court = request->court_id();
  if (court.empty() && !who.all_courts) {
    // Summing a site id over courts is only for those who see every court.
    if (who.visible.size() != 1) {
      return ToGrpcStatus(absl::InvalidArgumentError("court_id is required"));
    }
    court = *who.visible.begin();
  }
  if (!court.empty() && !who.CanSee(court)) return NoAccess(court);
  const int minutes = request->minutes() == 0 ? kDefaultMinutes : request->minutes();
  const absl::Time now = clock_.Now();
  const int64_t to = MinuteStart(now) + 60;
  const int64_t from = to - int64_t{60} * minutes;
  absl::StatusOr<VisitorRange> range = store_.VisitorStatsRange(
      court, request->site(), absl::FromUnixSeconds(from), absl::FromUnixSeconds(to));
  if (!range.ok()) return StorageError(range.status());
  for (v1::VisitorStats& m : range->minutes) *response->add_minutes() = std::move(m);
  *response->mutable_totals() = std::move(range->totals);
  response->set_from_unix_s(from);
  response->set_to_unix_s(to);
  response->set_now_unix_ms(absl::ToUnixMillis(now));
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::WhoAmI(grpc::ServerContext* context,
                                         const v1::WhoAmIRequest* /*request*/,
                                         v1::WhoAmIResponse* response) {
  PANTAU_CALLER(who);
  response->set_person_id(who.person_id);
  response->set_name(who.name);
  response->set_role(who.role);
  for (const std::string& c : who.courts) response->add_courts(c);
  for (const std::string& c : who.visible) response->add_visible_courts(c);
  for (const std::string& a : who.acting) response->add_acting(a);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ListIncidents(grpc::ServerContext* context,
                                                const v1::ListIncidentsRequest* request,
                                                v1::ListIncidentsResponse* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<v1::ListIncidentsResponse> out = engine_.ListIncidents(who, *request);
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::GetIncident(grpc::ServerContext* context,
                                              const v1::GetIncidentRequest* request,
                                              v1::GetIncidentResponse* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<v1::GetIncidentResponse> out = engine_.GetIncident(who, request->id());
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

namespace {

grpc::Status Answer(const absl::StatusOr<v1::Incident>& incident, v1::IncidentResponse* response) {
  if (!incident.ok()) return EngineError(incident.status());
  *response->mutable_incident() = *incident;
  return grpc::Status::OK;
}

}  // namespace

grpc::Status OperatorServiceImpl::AckIncident(grpc::ServerContext* context,
                                              const v1::IncidentActionRequest* request,
                                              v1::IncidentResponse* response) {
  PANTAU_CALLER(who);
  return Answer(engine_.Acknowledge(who, request->id(), request->note()), response);
}

grpc::Status OperatorServiceImpl::AddIncidentNote(grpc::ServerContext* context,
                                                  const v1::IncidentActionRequest* request,
                                                  v1::IncidentResponse* response) {
  PANTAU_CALLER(who);
  return Answer(engine_.AddNote(who, request->id(), request->note()), response);
}

grpc::Status OperatorServiceImpl::HandOffIncident(grpc::ServerContext* context,
                                                  const v1::HandOffIncidentRequest* request,
                                                  v1::IncidentResponse* response) {
  PANTAU_CALLER(who);
  return Answer(engine_.HandOff(who, *request), response);
}

grpc::Status OperatorServiceImpl::ResolveIncident(grpc::ServerContext* context,
                                                  const v1::IncidentActionRequest* request,
                                                  v1::IncidentResponse* response) {
  PANTAU_CALLER(who);
  return Answer(engine_.Resolve(who, request->id(), request->note()), response);
}

grpc::Status OperatorServiceImpl::AddMaintenance(grpc::ServerContext* context,
                                                 const v1::AddMaintenanceRequest* request,
                                                 v1::MaintenanceWindow* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<v1::MaintenanceWindow> out = engine_.AddMaintenance(who, *request);
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ListMaintenance(grpc::ServerContext* context,
                                                  const v1::ListMaintenanceRequest* request,
                                                  v1::ListMaintenanceResponse* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<v1::ListMaintenanceResponse> out = engine_.ListMaintenance(who, *request);
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::EndMaintenance(grpc::ServerContext* context,
                                                 const v1::EndMaintenanceRequest* request,
                                                 v1::MaintenanceWindow* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<v1::MaintenanceWindow> out = engine_.EndMaintenance(who, request->id());
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ApplyOrg(grpc::ServerContext* context,
                                           const v1::ApplyOrgRequest* request,
                                           v1::ApplyOrgResponse* response) {
  PANTAU_CALLER(who);
  if (request->yaml().size() > (4 << 20)) {
    return ToGrpcStatus(absl::InvalidArgumentError("the organisation file is larger than 4 MiB"));
  }
  absl::StatusOr<OrgSpec> org = ParseOrgSpec(
      request->yaml(), request->source_name().empty() ? "org.yaml" : request->source_name());
  if (!org.ok()) return ToGrpcStatus(org.status());
  absl::StatusOr<v1::ApplyOrgResponse> out = engine_.ApplyOrg(who, *org, request->dry_run());
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ListPeople(grpc::ServerContext* context,
                                             const v1::ListPeopleRequest* request,
                                             v1::ListPeopleResponse* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<v1::ListPeopleResponse> out = engine_.ListPeople(who, request->court_id());
  if (!out.ok()) return EngineError(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::IssueToken(grpc::ServerContext* context,
                                             const v1::IssueTokenRequest* request,
                                             v1::IssueTokenResponse* response) {
  PANTAU_CALLER(who);
  absl::StatusOr<std::string> token = engine_.IssueToken(who, request->person_id());
  if (!token.ok()) return EngineError(token.status());
  response->set_token(*token);
  return grpc::Status::OK;
}

#undef PANTAU_CALLER

}  // namespace pantau::collector
