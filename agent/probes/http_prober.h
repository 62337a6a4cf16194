// One HTTP(S) availability probe with libcurl: status, latency breakdown (DNS, connect, TLS,
// first byte, total), body size (bounded read), and curl's error text when it fails.
//
//   HttpProber prober(/*max_body_bytes=*/5 << 20);
//   v1::ProbeResult r = prober.Probe(site, clock.Now());
#ifndef PANTAU_AGENT_PROBES_HTTP_PROBER_H_
#define PANTAU_AGENT_PROBES_HTTP_PROBER_H_

#include <cstdint>

#include "absl/time/time.h"
#include "agent/config/agent_config.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent {

// Call GlobalInitCurl() once in main() before any thread starts (libcurl's rule).
void GlobalInitCurl();

// Thread-safe: each Probe() call uses its own curl handle.
class HttpProber {
 public:
  explicit HttpProber(int64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  // Probes `site.url`, following up to 5 redirects, within `site.timeout`. Up when the final
  // status is expected (site.expected_status, default 200..399). `started` is recorded as the
  // probe's start time. Never throws; every failure is described in the result's error.
  v1::ProbeResult Probe(const SiteConfig& site, absl::Time started) const;

 private:
  const int64_t max_body_bytes_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_PROBES_HTTP_PROBER_H_
