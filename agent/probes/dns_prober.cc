#include "agent/probes/dns_prober.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace pantau::agent {
namespace {

// Elapsed times and the probe deadline use the monotonic clock, not the Clock seam: they
// bound and measure real socket I/O, which a fake clock cannot drive, and a wall-clock step
// must not cut a probe short or stretch it.
using Steady = std::chrono::steady_clock;

constexpr absl::Duration kMaxTimeout = absl::Seconds(120);
constexpr int kDefaultDnsPort = 53;
// c-ares retries a query once; with one server its timeouts are T then 2T, so T = timeout/3
// lets the retry finish before our own deadline. Never below this floor.
constexpr int kTries = 2;
constexpr int kMinTryTimeoutMs = 50;
constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxLabelLength = 63;

constexpr char kResolverForms[] =
    "expected an IP address with an optional port: \"1.1.1.1\", \"1.1.1.1:53\", "
    "\"2001:db8::1\" or \"[2001:db8::1]:53\" (host names are not accepted)";

int64_t MicrosBetween(Steady::time_point from, Steady::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

// ---------------------------------------------------------------------------------------------
// Parsing and formatting addresses.

struct IpAddress {
  int family = AF_INET;
  unsigned char bytes[16] = {};
};

std::optional<IpAddress> ParseIp(absl::string_view text) {
  // inet_pton wants a NUL-terminated string; a copy also stops at embedded NULs.
  const std::string copy(text);
  if (copy.empty() || copy.size() != std::strlen(copy.c_str())) return std::nullopt;
  IpAddress ip;
  if (::inet_pton(AF_INET, copy.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (::inet_pton(AF_INET6, copy.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

std::string FormatIp(int family, const void* bytes) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, bytes, buffer, sizeof(buffer)) == nullptr) return "";
  return buffer;
}

std::string FormatIp(const IpAddress& ip) { return FormatIp(ip.family, ip.bytes); }

bool IsIpv6Text(absl::string_view address) { return absl::StrContains(address, ':'); }

// A host that is an IP literal, with or without brackets ("[::1]").
std::optional<IpAddress> ParseHostLiteral(absl::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::optional<IpAddress> ip = ParseIp(host.substr(1, host.size() - 2));
    if (ip.has_value() && ip->family == AF_INET6) return ip;
    return std::nullopt;
  }
  return ParseIp(host);
}

absl::Status ValidateHostName(absl::string_view host) {
  if (host.empty()) return absl::InvalidArgumentError("host is empty");
  absl::string_view name = host;
  if (absl::EndsWith(name, ".")) name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxHostLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("host \"", absl::CHexEscape(host), "\" is not a valid host name (length)"));
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    bool ok = !label.empty() && label.size() <= kMaxLabelLength;
    for (char c : label) ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_');
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("host \"", absl::CHexEscape(host),
                       "\" is not a valid host name (labels of 1-63 letters, digits, '-' or '_')"));
    }
  }
  return absl::OkStatus();
}

struct ResolverAddress {
  IpAddress ip;
  int port = kDefaultDnsPort;
};

absl::StatusOr<ResolverAddress> ParseResolver(absl::string_view text) {
  auto bad = [&text](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("resolver \"", absl::CHexEscape(text), "\": ", why, "; ", kResolverForms));
  };
  if (text.empty()) return bad("empty");
  absl::string_view host = text;
  absl::string_view port_text;
  bool has_port = false;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return bad("missing ']'");
    host = text.substr(1, close - 1);
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("unexpected text after ']'");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    has_port = true;
  }
  std::optional<IpAddress> ip = ParseIp(host);
  if (!ip.has_value()) return bad("not an IP address");
  if (text.front() == '[' && ip->family != AF_INET6) return bad("brackets are for IPv6 only");
  ResolverAddress resolver;
  resolver.ip = *ip;
  if (has_port) {
    int port = 0;
    const bool digits_only =
        !port_text.empty() && std::all_of(port_text.begin(), port_text.end(),
                                          [](char c) { return absl::ascii_isdigit(c); });
    if (!digits_only || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return bad("port must be 1-65535");
    }
    resolver.port = port;
  }
  return resolver;
}

// ---------------------------------------------------------------------------------------------
// c-ares plumbing.

absl::Status InitOnce() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);  // thread-safe static init
  if (status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_library_init: ", ares_strerror(status)));
  }
  return absl::OkStatus();
}

struct Source;

// One A or AAAA query. Written only by OnReply (called from inside c-ares on the probe's own
// thread).
struct Query {
  Source* source = nullptr;
  int type = ns_t_a;
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> addresses;
  bool truncated = false;
};

// One source (system or a configured resolver): its own channel and its two queries.
struct Source {
  explicit Source(std::string label) : label(std::move(label)) {
    queries[0].source = this;
    queries[0].type = ns_t_a;
    queries[1].source = this;
    queries[1].type = ns_t_aaaa;
  }
  // ares_destroy runs the callbacks of unfinished queries (ARES_EDESTRUCTION); the queries are
  // still alive during the destructor body.
  ~Source() {
    if (channel != nullptr) ares_destroy(channel);
  }
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  const std::string label;
  ares_channel channel = nullptr;
  std::string init_error;  // non-empty: no channel, nothing was queried
  Query queries[2];
  int pending = 0;
  Steady::time_point finished;
};

void ParseAddresses(Query* query, const unsigned char* abuf, int alen) {
  // One slot more than we keep, to tell "exactly the limit" from "more than the limit".
  constexpr int kSlots = kMaxAddressesPerResolver + 1;
  int count = kSlots;
  if (query->type == ns_t_a) {
    ares_addrttl records[kSlots];
    query->status = ares_parse_a_reply(abuf, alen, nullptr, records, &count);
    if (query->status != ARES_SUCCESS) return;
    for (int i = 0; i < count && i < kMaxAddressesPerResolver; ++i) {
      query->addresses.push_back(FormatIp(AF_INET, &records[i].ipaddr));
    }
  } else {
    ares_addr6ttl records[kSlots];
    query->status = ares_parse_aaaa_reply(abuf, alen, nullptr, records, &count);
    if (query->status != ARES_SUCCESS) return;
    for (int i = 0; i < count && i < kMaxAddressesPerResolver; ++i) {
      query->addresses.push_back(FormatIp(AF_INET6, &records[i].ip6addr));
    }
  }
  query->truncated = count > kMaxAddressesPerResolver;
}

void OnReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* query = static_cast<Query*>(arg);
  if (query->done) return;
  query->done = true;
  query->status = status;
  if (status == ARES_SUCCESS) ParseAddresses(query, abuf, alen);
  Source* source = query->source;
  if (--source->pending == 0) source->finished = Steady::now();
}

std::string ErrorText(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
      return "NXDOMAIN";
    case ARES_ENODATA:
      return "NODATA";
    case ARES_ESERVFAIL:
      return "SERVFAIL";
    case ARES_EREFUSED:
      return "REFUSED";
    case ARES_EFORMERR:
      return "FORMERR";
    case ARES_ENOTIMP:
      return "NOTIMP";
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:  // we cancel at the probe deadline
    case ARES_EDESTRUCTION:
      return "timeout";
    case ARES_ECONNREFUSED:
      return "connection refused";
    case ARES_EBADRESP:
      return "bad response";
    default:
      return ares_strerror(status);
  }
}

// The error of a source that returned no address: NXDOMAIN wins (it is about the name, for
// both types), then the first real failure, then NODATA.
std::string SourceError(const Source& source) {
  for (const Query& query : source.queries) {
    if (query.status == ARES_ENOTFOUND) return ErrorText(ARES_ENOTFOUND);
  }
  for (const Query& query : source.queries) {
    if (query.status != ARES_SUCCESS && query.status != ARES_ENODATA) {
      return ErrorText(query.status);
    }
  }
  return ErrorText(ARES_ENODATA);
}

int TryTimeoutMs(absl::Duration timeout) {
  return std::max<int>(kMinTryTimeoutMs,
                       static_cast<int>(absl::ToInt64Milliseconds(timeout) / (kTries + 1)));
}

int CountServers(ares_channel channel) {
  ares_addr_port_node* servers = nullptr;
  if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return 0;
  int count = 0;
  for (const ares_addr_port_node* node = servers; node != nullptr; node = node->next) ++count;
  ares_free_data(servers);
  return count;
}

// Creates the channel of the system source: nameservers and options from resolv.conf, except
// timeouts, which are ours.
//
// c-ares 1.18 treats a SERVFAIL / REFUSED / NOTIMP reply like an unreachable server: it moves
// to the next server and, when none is left, reports ARES_ECONNREFUSED. ARES_FLAG_NOCHECKRESP
// hands such replies to us instead, so the error says what the server said. With one
// nameserver nothing is lost by it; with several we keep c-ares' fail-over (as glibc does) and
// accept the coarser error.
std::string InitSystemChannel(const DnsProberOptions& options, absl::Duration timeout,
                              ares_channel* channel) {
  ares_options opts;
  std::memset(&opts, 0, sizeof(opts));
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_RESOLVCONF;
  opts.timeout = TryTimeoutMs(timeout);
  opts.tries = kTries;
  std::string path = options.resolv_conf_path;
  opts.resolvconf_path = path.data();
  if (options.system_port > 0) {
    mask |= ARES_OPT_UDP_PORT | ARES_OPT_TCP_PORT;
    opts.udp_port = static_cast<unsigned short>(options.system_port);
    opts.tcp_port = static_cast<unsigned short>(options.system_port);
  }
  int status = ares_init_options(channel, &opts, mask);
  if (status == ARES_SUCCESS && CountServers(*channel) == 1) {
    ares_destroy(*channel);
    opts.flags = ARES_FLAG_NOCHECKRESP;
    status = ares_init_options(channel, &opts, mask | ARES_OPT_FLAGS);
  }
  if (status != ARES_SUCCESS) {
    *channel = nullptr;
    return absl::StrCat("c-ares init: ", ares_strerror(status));
  }
  return "";
}

// Creates a channel that asks exactly one resolver. It reads no system files: resolv.conf is
// /dev/null and the lookup order is "DNS only", so the host's config cannot leak in. With one
// server there is nothing to fail over to: NOCHECKRESP (see above) keeps its exact rcode.
std::string InitResolverChannel(const ResolverAddress& resolver, absl::Duration timeout,
                                ares_channel* channel) {
  ares_options opts;
  std::memset(&opts, 0, sizeof(opts));
  const int mask =
      ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF;
  opts.timeout = TryTimeoutMs(timeout);
  opts.tries = kTries;
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
  std::string lookups = "b";
  opts.lookups = lookups.data();
  std::string path = "/dev/null";
  opts.resolvconf_path = path.data();
  int status = ares_init_options(channel, &opts, mask);
  if (status != ARES_SUCCESS) {
    *channel = nullptr;
    return absl::StrCat("c-ares init: ", ares_strerror(status));
  }
  ares_addr_port_node server;
  std::memset(&server, 0, sizeof(server));
  server.next = nullptr;
  server.family = resolver.ip.family;
  if (resolver.ip.family == AF_INET) {
    std::memcpy(&server.addr.addr4, resolver.ip.bytes, sizeof(server.addr.addr4));
  } else {
    std::memcpy(&server.addr.addr6, resolver.ip.bytes, sizeof(server.addr.addr6));
  }
  server.udp_port = resolver.port;
  server.tcp_port = resolver.port;
  status = ares_set_servers_ports(*channel, &server);
  if (status != ARES_SUCCESS) {
    ares_destroy(*channel);
    *channel = nullptr;
    return absl::StrCat("c-ares set server: ", ares_strerror(status));
  }
  return "";
}

int TimevalToPollMs(const timeval& tv) {
  // Rounded up, so a sub-millisecond timeout does not turn into a busy loop of poll(0).
  const int64_t ms = static_cast<int64_t>(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000;
  return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

// Drives every channel until all queries finished or `deadline`; then cancels what is left.
void RunQueries(const std::vector<std::unique_ptr<Source>>& sources, Steady::time_point deadline) {
  std::vector<pollfd> fds;
  std::vector<ares_channel> owners;  // owners[i] is the channel of fds[i]
  while (true) {
    const Steady::time_point now = Steady::now();
    bool any_pending = false;
    for (const auto& source : sources) any_pending = any_pending || source->pending > 0;
    if (!any_pending || now >= deadline) break;

    const int64_t left_us = MicrosBetween(now, deadline);
    timeval max_tv;
    max_tv.tv_sec = static_cast<time_t>(left_us / 1000000);
    max_tv.tv_usec = static_cast<suseconds_t>(left_us % 1000000);
    int wait_ms = TimevalToPollMs(max_tv);
    fds.clear();
    owners.clear();
    for (const auto& source : sources) {
      if (source->pending == 0) continue;
      ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
      const int bits = ares_getsock(source->channel, sockets, ARES_GETSOCK_MAXNUM);
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        const bool readable = ARES_GETSOCK_READABLE(bits, i);
        const bool writable = ARES_GETSOCK_WRITABLE(bits, i);
        if (!readable && !writable) continue;
        pollfd fd{};
        fd.fd = sockets[i];
        fd.events = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
        fds.push_back(fd);
        owners.push_back(source->channel);
      }
      timeval tv;
      const timeval* next = ares_timeout(source->channel, &max_tv, &tv);
      if (next != nullptr) wait_ms = std::min(wait_ms, TimevalToPollMs(*next));
    }
    const int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno != EINTR) break;  // cannot happen with valid fds; cancel below
    if (ready > 0) {
      for (size_t i = 0; i < fds.size(); ++i) {
        const short events = fds[i].revents;
        if (events == 0) continue;
        const bool read = (events & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) != 0;
        const bool write = (events & POLLOUT) != 0;
        ares_process_fd(owners[i], read ? fds[i].fd : ARES_SOCKET_BAD,
                        write ? fds[i].fd : ARES_SOCKET_BAD);
      }
    }
    // Lets c-ares handle its own timeouts (retries, next server) for every channel.
    for (const auto& source : sources) {
      if (source->pending > 0) ares_process_fd(source->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
  }
  // Deadline (or a poll failure): the callbacks of unfinished queries run with
  // ARES_ECANCELLED, reported as "timeout".
  for (const auto& source : sources) {
    if (source->pending > 0) ares_cancel(source->channel);
  }
}

DnsAnswerSet Collect(const Source& source, Steady::time_point start) {
  DnsAnswerSet answer;
  answer.resolver = source.label;
  if (!source.init_error.empty()) {
    answer.error = source.init_error;
    return answer;
  }
  std::set<std::string> unique;
  for (const Query& query : source.queries) {
    unique.insert(query.addresses.begin(), query.addresses.end());
    answer.truncated = answer.truncated || query.truncated;
  }
  answer.addresses.assign(unique.begin(), unique.end());
  if (answer.addresses.size() > static_cast<size_t>(kMaxAddressesPerResolver)) {
    answer.addresses.resize(kMaxAddressesPerResolver);
    answer.truncated = true;
  }
  if (answer.addresses.empty()) answer.error = SourceError(source);
  answer.elapsed_us = MicrosBetween(start, source.finished);
  return answer;
}

// ---------------------------------------------------------------------------------------------
// Findings.

std::string Describe(const DnsAnswerSet& answer) {
  if (!answer.error.empty()) return absl::StrCat(answer.resolver, ": ", answer.error);
  return absl::StrCat(answer.resolver, ": ", absl::StrJoin(answer.addresses, " "),
                      answer.truncated ? " ..." : "");
}

std::vector<std::string> OfFamily(const std::vector<std::string>& addresses, bool ipv6) {
  std::vector<std::string> out;
  for (const std::string& address : addresses) {
    if (IsIpv6Text(address) == ipv6) out.push_back(address);
  }
  return out;
}

bool Intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const std::string& address : a) {
    if (std::find(b.begin(), b.end(), address) != b.end()) return true;
  }
  return false;
}

// The families ("IPv4", "IPv6") that both answers returned and that share no address.
std::vector<std::string> DisjointFamilies(const DnsAnswerSet& a, const DnsAnswerSet& b) {
  std::vector<std::string> disjoint;
  for (bool ipv6 : {false, true}) {
    const std::vector<std::string> in_a = OfFamily(a.addresses, ipv6);
    const std::vector<std::string> in_b = OfFamily(b.addresses, ipv6);
    if (!in_a.empty() && !in_b.empty() && !Intersects(in_a, in_b)) {
      disjoint.push_back(ipv6 ? "IPv6" : "IPv4");
    }
  }
  return disjoint;
}

void AddFindings(const std::vector<std::string>& expected, DnsProbeResult* result) {
  const DnsAnswerSet* reference = nullptr;
  for (const DnsAnswerSet& answer : result->answers) {
    if (!answer.addresses.empty()) {
      reference = &answer;
      break;
    }
  }
  for (const DnsAnswerSet& answer : result->answers) {
    if (!answer.addresses.empty() && !expected.empty()) {
      std::vector<std::string> unexpected;
      for (const std::string& address : answer.addresses) {
        if (std::find(expected.begin(), expected.end(), address) == expected.end()) {
          unexpected.push_back(address);
        }
      }
      if (!unexpected.empty()) {
        DnsFinding finding;
        finding.kind = kFindingUnexpectedAddress;
        finding.severity = DnsFindingSeverity::kCritical;
        finding.resolver = answer.resolver;
        finding.detail =
            absl::StrCat(answer.resolver, " returned ", absl::StrJoin(unexpected, ", "),
                         ", not among the expected addresses");
        finding.evidence =
            absl::StrCat(Describe(answer), "; expected: ", absl::StrJoin(expected, " "));
        result->findings.push_back(std::move(finding));
      }
    }
    if (reference == nullptr) continue;  // nothing answered: no comparison, no dns_failure
    if (!answer.error.empty()) {
      DnsFinding finding;
      finding.kind = kFindingFailure;
      finding.resolver = answer.resolver;
      finding.detail = absl::StrCat(answer.resolver, " failed (", answer.error, ") while ",
                                    reference->resolver, " answered");
      finding.evidence = absl::StrCat(Describe(answer), "; ", Describe(*reference));
      result->findings.push_back(std::move(finding));
      continue;
    }
    if (&answer == reference) continue;
    const std::vector<std::string> disjoint = DisjointFamilies(*reference, answer);
    if (!disjoint.empty()) {
      DnsFinding finding;
      finding.kind = kFindingMismatch;
      finding.resolver = answer.resolver;
      finding.detail =
          absl::StrCat(answer.resolver, " and ", reference->resolver, " returned disjoint ",
                       absl::StrJoin(disjoint, " and "), " address sets");
      finding.evidence = absl::StrCat(Describe(*reference), "; ", Describe(answer));
      result->findings.push_back(std::move(finding));
    }
  }
}

}  // namespace

absl::Status GlobalInitDns() { return InitOnce(); }

DnsProber::DnsProber(DnsProberOptions options) : options_(std::move(options)) {}

absl::Status DnsProber::ValidateResolver(absl::string_view resolver) {
  return ParseResolver(resolver).status();
}

absl::Status DnsProber::ValidateSpec(const DnsProbeSpec& spec) {
  if (!ParseHostLiteral(spec.host).has_value()) {
    absl::Status host = ValidateHostName(spec.host);
    if (!host.ok()) return host;
  }
  if (spec.resolvers.size() > static_cast<size_t>(kMaxResolvers)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "at most ", kMaxResolvers, " resolvers per probe, got ", spec.resolvers.size()));
  }
  std::set<std::string> seen;
  for (const std::string& resolver : spec.resolvers) {
    absl::Status status = ValidateResolver(resolver);
    if (!status.ok()) return status;
    if (!seen.insert(resolver).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("resolver \"", resolver, "\" is listed twice"));
    }
  }
  if (spec.resolvers.empty() && !spec.include_system) {
    return absl::InvalidArgumentError("no source: include_system is false and no resolvers given");
  }
  for (const std::string& address : spec.expected_addresses) {
    if (!ParseIp(address).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected address \"", absl::CHexEscape(address), "\" is not an IPv4/IPv6 address"));
    }
  }
  if (spec.timeout <= absl::ZeroDuration() || spec.timeout > kMaxTimeout) {
    return absl::InvalidArgumentError(absl::StrCat("timeout must be in (0, ",
                                                   absl::FormatDuration(kMaxTimeout), "], got ",
                                                   absl::FormatDuration(spec.timeout)));
  }
  return absl::OkStatus();
}

absl::StatusOr<DnsProbeResult> DnsProber::Probe(const DnsProbeSpec& spec) const {
  absl::Status valid = ValidateSpec(spec);
  if (!valid.ok()) return valid;
  const Steady::time_point start = Steady::now();

  std::vector<std::string> expected;
  for (const std::string& address : spec.expected_addresses) {
    expected.push_back(FormatIp(*ParseIp(address)));  // canonical: "0:0::10" == "::10"
  }

  DnsProbeResult result;
  if (std::optional<IpAddress> literal = ParseHostLiteral(spec.host)) {
    DnsAnswerSet answer;
    answer.resolver = kLiteralResolver;
    answer.addresses.push_back(FormatIp(*literal));
    result.answers.push_back(std::move(answer));
    result.resolved = true;
    AddFindings(expected, &result);
    result.total_us = MicrosBetween(start, Steady::now());
    return result;
  }

  // Sources live on the heap: queries point at their Source, so addresses must stay put.
  std::vector<std::unique_ptr<Source>> sources;
  const absl::Status init = InitOnce();
  if (spec.include_system) {
    auto source = std::make_unique<Source>(kSystemResolver);
    source->init_error = init.ok() ? InitSystemChannel(options_, spec.timeout, &source->channel)
                                   : std::string(init.message());
    sources.push_back(std::move(source));
  }
  for (const std::string& resolver : spec.resolvers) {
    auto source = std::make_unique<Source>(resolver);
    source->init_error =
        init.ok() ? InitResolverChannel(*ParseResolver(resolver), spec.timeout, &source->channel)
                  : std::string(init.message());
    sources.push_back(std::move(source));
  }

  std::string name = spec.host;
  if (absl::EndsWith(name, ".")) name.pop_back();
  for (const auto& source : sources) {
    if (source->channel == nullptr) continue;
    source->pending = 2;
    // ares_query (unlike ares_search / getaddrinfo) applies no search domains and no
    // /etc/hosts: we want what DNS says. A callback may run right here on an early failure.
    for (Query& query : source->queries) {
      ares_query(source->channel, name.c_str(), ns_c_in, query.type, OnReply, &query);
    }
  }
  const Steady::time_point deadline =
      start + std::chrono::microseconds(absl::ToInt64Microseconds(spec.timeout));
  RunQueries(sources, deadline);

  for (const auto& source : sources) result.answers.push_back(Collect(*source, start));
  result.resolved = !result.answers.empty() && !result.answers.front().addresses.empty();
  AddFindings(expected, &result);
  sources.clear();  // closes channels and sockets before the total is taken
  result.total_us = MicrosBetween(start, Steady::now());
  return result;
}

}  // namespace pantau::agent
