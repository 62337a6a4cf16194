#include "collector/operator/operator_service.h"

#include <algorithm>

#include "common/grpc_status.h"
#include "common/log.h"

namespace pantau::collector {

grpc::Status OperatorServiceImpl::GetStatus(grpc::ServerContext* /*context*/,
                                            const v1::GetStatusRequest* request,
                                            v1::GetStatusResponse* response) {
  if (request->court_id().size() > 64) {
    return ToGrpcStatus(absl::InvalidArgumentError("court_id is longer than 64 bytes"));
  }
  absl::StatusOr<std::vector<SiteLatest>> sites = store_.LatestBySite(request->court_id());
  if (!sites.ok()) {
    PANTAU_LOG(WARNING) << sites.status().message();
    return ToGrpcStatus(absl::UnavailableError("storage unavailable, retry later"));
  }
  const absl::Time now = clock_.Now();
  response->set_now_unix_ms(absl::ToUnixMillis(now));
  for (const SiteLatest& s : *sites) {
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

}  // namespace pantau::collector
