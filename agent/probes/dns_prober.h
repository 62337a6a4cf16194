// DNS resolution probe for a monitored site: resolves its host name (A and AAAA) through the
// system's nameservers and through each configured resolver at the same time, then compares
// the answers with each other and with the addresses the site is known to have. A court site
// whose name suddenly points elsewhere (registrar or DNS account takeover, poisoned ISP
// resolver, "Internet Positif"-style block page) is found here before anyone opens the page.
//
//   GlobalInitDns();                                  // once in main(), before threads start
//   DnsProber prober;
//   DnsProbeSpec spec;
//   spec.host = "pn-jakartapusat.go.id";
//   spec.resolvers = {"1.1.1.1", "8.8.8.8:53", "[2001:4860:4860::8888]:53"};
//   spec.expected_addresses = {"103.10.20.30"};       // optional
//   absl::StatusOr<DnsProbeResult> result = prober.Probe(spec);
//   if (!result.ok()) ... InvalidArgument: a bad spec (see ValidateSpec) ...
//   if (!result->resolved) ... the site's name does not resolve for us ...
//   for (const DnsFinding& finding : result->findings) ... report ...
//
// All queries of one Probe() run concurrently in one poll(2) loop on the calling thread (one
// c-ares channel per source, no thread per query) and end at spec.timeout at the latest.
//
// Findings (kinds are the kFinding* constants below):
//   dns_unexpected_address (critical): a source answered with an address outside
//       spec.expected_addresses (only checked when that list is non-empty). One finding per
//       source, listing every unexpected address.
//   dns_mismatch (warning): a source's addresses are disjoint from the reference source's
//       (the primary source when it answered, else the first source that did). Compared per
//       address family, and only for families both sources returned: CDNs and round-robin
//       records routinely give overlapping but different sets, so partial overlap is not a
//       finding; an IPv4-only answer beside an IPv6-only one is not comparable either.
//   dns_failure (warning): a source failed (timeout, NXDOMAIN, SERVFAIL, ...) while at least
//       one other source returned addresses. When every source fails there is no finding:
//       `resolved` is false and each answer carries its error.
#ifndef PANTAU_AGENT_PROBES_DNS_PROBER_H_
#define PANTAU_AGENT_PROBES_DNS_PROBER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pantau::agent {

// Initialises c-ares (ares_library_init). Call once in main() before threads start; Probe()
// also calls it, guarded by a once-flag, so tests and tools need not. Returns Internal when
// c-ares cannot initialise (then every probe reports that error).
absl::Status GlobalInitDns();

// Label of the answer set that comes from the system's nameservers (/etc/resolv.conf).
inline constexpr char kSystemResolver[] = "system";
// Label of the single answer set when the host is an IP literal (nothing is queried).
inline constexpr char kLiteralResolver[] = "literal";

inline constexpr char kFindingUnexpectedAddress[] = "dns_unexpected_address";
inline constexpr char kFindingMismatch[] = "dns_mismatch";
inline constexpr char kFindingFailure[] = "dns_failure";

// At most this many addresses are kept per source (A and AAAA together); more are dropped and
// the answer set is marked truncated.
inline constexpr int kMaxAddressesPerResolver = 32;
// At most this many configured resolvers per probe.
inline constexpr int kMaxResolvers = 16;

struct DnsProbeSpec {
  // Host name to resolve ("pn-jakartapusat.go.id", a trailing dot is allowed), or an IPv4 /
  // IPv6 literal (brackets allowed), which resolves to itself without a query. Required.
  std::string host;
  // Resolvers queried besides the system's: an IPv4 or IPv6 address with an optional port
  // (default 53): "1.1.1.1", "1.1.1.1:53", "2001:db8::1", "[2001:db8::1]:53". Host names
  // are not accepted (they would need DNS to find DNS). Default: none.
  std::vector<std::string> resolvers;
  // Also resolve through the system's nameservers. Default true. With no resolvers this must
  // be true.
  bool include_system = true;
  // Addresses the host is known to have (IPv4 / IPv6 text, any spelling). Default: none, no
  // dns_unexpected_address check.
  std::vector<std::string> expected_addresses;
  // Overall deadline for all queries of the probe. Must be in (0, 120 s]. Default 5 s.
  absl::Duration timeout = absl::Seconds(5);
};

// What one source answered.
struct DnsAnswerSet {
  // kSystemResolver, kLiteralResolver, or the resolver string exactly as configured.
  std::string resolver;
  // A and AAAA addresses in canonical text form (inet_ntop), sorted as strings, no duplicates.
  std::vector<std::string> addresses;
  // Empty when at least one address came back (a failed AAAA beside a good A is not an
  // error). Otherwise one of "NXDOMAIN", "NODATA" (the name exists without A/AAAA records),
  // "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "timeout", "connection refused",
  // "bad response", or c-ares' own text for anything rarer.
  std::string error;
  // More than kMaxAddressesPerResolver addresses came back; the extra ones were dropped.
  bool truncated = false;
  // From the start of the probe until this source's last answer (or the deadline).
  int64_t elapsed_us = 0;
};

enum class DnsFindingSeverity { kWarning, kCritical };

struct DnsFinding {
  std::string kind;  // one of the kFinding* constants
  DnsFindingSeverity severity = DnsFindingSeverity::kWarning;
  std::string resolver;  // the source the finding is about (DnsAnswerSet::resolver)
  std::string detail;    // one human-readable sentence
  std::string evidence;  // the answers involved, "system: 1.2.3.4 ::1; 1.1.1.1: 5.6.7.8"
};

struct DnsProbeResult {
  // The primary source (answers[0]) returned at least one address.
  bool resolved = false;
  // One per source: the system's first when spec.include_system, then the configured
  // resolvers in spec order. answers[0] is the primary source.
  std::vector<DnsAnswerSet> answers;
  std::vector<DnsFinding> findings;
  int64_t total_us = 0;
};

struct DnsProberOptions {
  // Where the system's nameservers are read from. Default "/etc/resolv.conf".
  std::string resolv_conf_path = "/etc/resolv.conf";
  // Port used for the system's nameservers. Default 0: the standard port 53 (resolv.conf has
  // no port syntax). Tests set it to reach a dnsmasq on a high port.
  int system_port = 0;
};

// Resolves host names through several sources and compares the answers. Thread-safe: Probe()
// keeps all its state (c-ares channels, sockets) on its own stack, so any number of threads
// may call it at once on one DnsProber.
class DnsProber {
 public:
  explicit DnsProber(DnsProberOptions options = {});

  // OK when `resolver` has one of the forms described at DnsProbeSpec::resolvers; otherwise
  // InvalidArgument naming the resolver and the accepted forms. For config validation.
  static absl::Status ValidateResolver(absl::string_view resolver);
  // OK when Probe(spec) would accept `spec`; otherwise InvalidArgument naming the bad field.
  static absl::Status ValidateSpec(const DnsProbeSpec& spec);

  // Resolves spec.host through every source within spec.timeout (plus a few ms of
  // bookkeeping). InvalidArgument for a bad spec (nothing is queried); every DNS failure is
  // reported in the result, never as an error status.
  absl::StatusOr<DnsProbeResult> Probe(const DnsProbeSpec& spec) const;

 private:
  const DnsProberOptions options_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_PROBES_DNS_PROBER_H_
