// Availability probes of a site: the HTTP(S) probe (status, redirects, timings, certificate)
// and the TCP port probe, as requests for the HttpEngine and the results they become. Pure
// functions: the engine does the I/O, these decide what it means.
//
//   engine.Submit(AvailabilityRequest(site, max_body), [=](FetchResult f) {
//     v1::ProbeResult r = AvailabilityResult(site, f, started);  ...
//   });
#ifndef PANTAU_AGENT_CHECKS_AVAILABILITY_H_
#define PANTAU_AGENT_CHECKS_AVAILABILITY_H_

#include <cstdint>

#include "absl/time/time.h"
#include "agent/config/agent_config.h"
#include "agent/probes/dns_prober.h"
#include "agent/probes/http_engine.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent {

FetchRequest AvailabilityRequest(const SiteConfig& site, int64_t max_body_bytes);

// Up when a response with an expected status (site.expected_status, default 200..399)
// arrived and TLS verified. Findings: "tls_invalid" (critical: visitors get a browser
// warning), "tls_expiring" (fewer than site.tls_min_days left; critical under 3 days),
// "redirect_offsite" (a redirect to a host that is not the site's, nor one of own_hosts).
// `now` is for the certificate's days left.
v1::ProbeResult AvailabilityResult(const SiteConfig& site, const FetchResult& fetch,
                                   absl::Time started, absl::Time now);

FetchRequest TcpRequest(const SiteConfig& site, int port);
// All ports of a site in one result (so its findings are one complete set): probe_kind "tcp",
// url tcp://host:port,port..., up when every port accepted the connection; a "tcp_closed"
// finding (key = the port) per port that did not. Timings are those of the slowest port.
v1::ProbeResult TcpResult(const SiteConfig& site,
                          const std::vector<std::pair<int, FetchResult>>& ports,
                          absl::Time started);

// The DNS probe of a site (site.dns) and its result: probe_kind "dns", url dns://host, up
// when the name resolved, dns_answers "resolver=address", the prober's findings.
DnsProbeSpec DnsSpec(const SiteConfig& site);
v1::ProbeResult DnsResult(const SiteConfig& site, const absl::StatusOr<DnsProbeResult>& dns,
                          absl::Time started);

// Adds a finding (detail and evidence are cut to the wire limits).
void AddFinding(google::protobuf::RepeatedPtrField<v1::Finding>* findings,
                absl::string_view kind, v1::Finding::Severity severity, absl::string_view detail,
                absl::string_view evidence = "", absl::string_view key = "");

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CHECKS_AVAILABILITY_H_
