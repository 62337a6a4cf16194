// `pantau-agent probe URL`: one run of every check against one URL, for troubleshooting from
// a terminal — a readable report, or JSON for scripts (documented in docs/PROBES.md).
//
//   ProbeCommand command;
//   command.url = "https://pn-contoh.go.id/";
//   PANTAU_ASSIGN_OR_RETURN(OneShotResult r, RunOneShot(command, clock));
//   std::cout << (json ? OneShotJson(r) : OneShotText(r));
//   return OneShotExitCode(r);   // 0 every check passed, 1 one failed
#ifndef PANTAU_AGENT_CHECKS_PROBE_REPORT_H_
#define PANTAU_AGENT_CHECKS_PROBE_REPORT_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent {

struct ProbeCommand {
  std::string url;
  std::string court_type;  // enables the required-pages checklist
  std::string data_dir = "/usr/share/pantau/data";
  std::string ca_file;                      // extra CA bundle for the site's certificate
  std::vector<std::string> resolvers;       // enables the DNS comparison
  std::vector<std::string> must_contain;
  absl::Duration timeout = absl::Seconds(15);
  int64_t max_body_bytes = 5 << 20;
};

struct OneShotResult {
  v1::ProbeResult http;
  std::optional<v1::ProbeResult> dns;
  std::vector<v1::CheckReport> reports;
};

// InvalidArgument for a bad URL or option, FailedPrecondition when the data files are
// missing; otherwise the results, whatever the site did.
absl::StatusOr<OneShotResult> RunOneShot(const ProbeCommand& command, const Clock& clock);

// JSON object: url, up, status, http_version, redirects, final_url, error,
// timings_ms {dns, connect, tls, first_byte, total}, tls {checked, verified, days_left,
// issuer, error} (null on http), content_age_days (null when unknown), content_age_source,
// dns {resolved, answers} (when resolvers were given), findings [{check, kind, severity,
// detail, evidence}], checks [{check, ran, error}].
std::string OneShotJson(const OneShotResult& result);
// The same for people: one line per fact, findings last.
std::string OneShotText(const OneShotResult& result);
// 0 when the site is up and no check found anything or failed to run; 1 otherwise.
int OneShotExitCode(const OneShotResult& result);

// The whole subcommand after "probe": parses args (usage errors → 2), runs, prints.
int RunProbeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CHECKS_PROBE_REPORT_H_
