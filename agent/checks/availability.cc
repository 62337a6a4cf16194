#include "agent/checks/availability.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/url.h"

namespace pantau::agent {
namespace {

constexpr size_t kMaxErrorBytes = 1000;
constexpr size_t kMaxDetailBytes = 1024;
constexpr size_t kMaxKeyBytes = 256;
constexpr int kMaxFindings = 100;

bool IsExpected(const SiteConfig& site, int status) {
  if (site.expected_status.empty()) return status >= 200 && status < 400;
  return std::find(site.expected_status.begin(), site.expected_status.end(), status) !=
         site.expected_status.end();
}

// Cuts at a UTF-8 boundary so the collector never sees half a character.
std::string Cut(absl::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

bool OwnHost(const SiteConfig& site, absl::string_view site_host, absl::string_view host) {
  if (SameSite(host, site_host)) return true;
  return std::any_of(site.content.own_hosts.begin(), site.content.own_hosts.end(),
                     [&](const std::string& own) { return SameSite(host, own); });
}

}  // namespace

void AddFinding(google::protobuf::RepeatedPtrField<v1::Finding>* findings,
                absl::string_view kind, v1::Finding::Severity severity, absl::string_view detail,
                absl::string_view evidence, absl::string_view key) {
  if (findings->size() >= kMaxFindings) return;
  v1::Finding* f = findings->Add();
  f->set_kind(std::string(kind));
  f->set_severity(severity);
  // Findings quote URLs from the site (redirect targets, links); none may carry credentials.
  f->set_detail(Cut(RedactUrlUserinfoInText(detail), kMaxDetailBytes));
  f->set_evidence(Cut(RedactUrlUserinfoInText(evidence), kMaxDetailBytes));
  f->set_key(Cut(key, kMaxKeyBytes));
}

FetchRequest AvailabilityRequest(const SiteConfig& site, int64_t max_body_bytes) {
  FetchRequest r;
  r.url = site.url;
  r.timeout = site.timeout;
  r.max_redirects = site.max_redirects;
  r.max_body_bytes = max_body_bytes;
  r.keep_body = false;
  r.inspect_tls = true;
  return r;
}

v1::ProbeResult AvailabilityResult(const SiteConfig& site, const FetchResult& fetch,
                                   absl::Time started, absl::Time now) {
  v1::ProbeResult result;
  result.set_site(site.id);
  result.set_url(RedactUrlUserinfo(site.url));
  result.set_probe_kind("http");
  result.set_started_unix_ms(absl::ToUnixMillis(started));
  result.set_http_status(fetch.status);
  result.set_dns_us(fetch.dns_us);
  result.set_connect_us(fetch.connect_us);
  result.set_tls_us(fetch.tls_us);
  result.set_first_byte_us(fetch.first_byte_us);
  result.set_total_us(fetch.total_us);
  result.set_body_bytes(fetch.body_bytes);
  result.set_http_version(Cut(fetch.http_version, 8));
  result.set_redirect_count(fetch.hops.empty() ? 0 : static_cast<int>(fetch.hops.size()) - 1);
  result.set_final_url(Cut(RedactUrlUserinfo(fetch.final_url), 2048));

  if (fetch.tls) {
    result.set_tls_checked(true);
    result.set_tls_verified(fetch.tls_verified);
    result.set_tls_issuer(Cut(fetch.cert_issuer, 512));
    result.set_tls_error(Cut(fetch.tls_error, kMaxErrorBytes));
    if (fetch.cert_not_after.has_value()) {
      const double days = absl::FDivDuration(*fetch.cert_not_after - now, absl::Hours(24));
      const int whole = static_cast<int>(std::clamp(std::floor(days), -36500.0, 36500.0));
      result.set_tls_days_left(whole);
      result.set_tls_days_left_known(true);
      if (fetch.tls_verified && whole < site.tls_min_days) {
        AddFinding(result.mutable_findings(), "tls_expiring",
                   whole < 3 ? v1::Finding::CRITICAL : v1::Finding::WARNING,
                   absl::StrCat("the certificate expires in ", whole, " days (",
                                absl::FormatTime("%Y-%m-%d", *fetch.cert_not_after,
                                                 absl::UTCTimeZone()),
                                ")"),
                   fetch.cert_subject);
      }
    }
    if (!fetch.tls_verified) {
      AddFinding(result.mutable_findings(), "tls_invalid", v1::Finding::CRITICAL,
                 absl::StrCat("the certificate does not verify: ", fetch.tls_error),
                 fetch.cert_subject);
    }
  }

  const std::optional<UrlParts> site_url = ParseHttpUrl(site.url);
  if (site_url.has_value()) {
    for (const FetchHop& hop : fetch.hops) {
      if (hop.location.empty()) continue;
      const std::optional<UrlParts> target = ParseHttpUrl(hop.location);
      if (target.has_value() && !OwnHost(site, site_url->host, target->host)) {
        AddFinding(result.mutable_findings(), "redirect_offsite", v1::Finding::CRITICAL,
                   absl::StrCat("redirect from ", RedactUrlUserinfo(hop.url), " to another site ",
                                target->host),
                   RedactUrlUserinfo(hop.location), target->host);
        break;
      }
    }
  }

  if (!fetch.transfer_ok) {
    result.set_error(Cut(fetch.error.empty() ? "no response" : fetch.error, kMaxErrorBytes));
    return result;
  }
  if (!IsExpected(site, fetch.status)) {
    result.set_error(absl::StrCat("unexpected HTTP status ", fetch.status));
    return result;
  }
  result.set_up(true);
  return result;
}

FetchRequest TcpRequest(const SiteConfig& site, int port) {
  FetchRequest r;
  const std::optional<UrlParts> url = ParseHttpUrl(site.url);
  const std::string host = url.has_value() ? url->host : "invalid";
  const bool v6 = host.find(':') != std::string::npos;
  r.url = absl::StrCat("tcp://", v6 ? absl::StrCat("[", host, "]") : host, ":", port);
  r.connect_only = true;
  r.timeout = site.tcp.timeout;
  r.inspect_tls = false;
  return r;
}

v1::ProbeResult TcpResult(const SiteConfig& site,
                          const std::vector<std::pair<int, FetchResult>>& ports,
                          absl::Time started) {
  v1::ProbeResult result;
  result.set_site(site.id);
  result.set_probe_kind("tcp");
  const std::optional<UrlParts> url = ParseHttpUrl(site.url);
  std::string target = absl::StrCat("tcp://", url.has_value() ? url->host : "invalid", ":");
  std::string closed;
  for (size_t i = 0; i < ports.size(); ++i) {
    const auto& [port, fetch] = ports[i];
    absl::StrAppend(&target, i == 0 ? "" : ",", port);
    if (fetch.total_us >= result.total_us()) {
      result.set_dns_us(fetch.dns_us);
      result.set_connect_us(fetch.connect_us);
      result.set_total_us(fetch.total_us);
    }
    if (!fetch.transfer_ok) {
      absl::StrAppend(&closed, closed.empty() ? "" : "; ", port, ": ", fetch.error);
      AddFinding(result.mutable_findings(), "tcp_closed", v1::Finding::WARNING,
                 absl::StrCat("port ", port, " does not accept connections: ", fetch.error), "",
                 absl::StrCat(port));
    }
  }
  result.set_url(Cut(target, 2048));
  result.set_started_unix_ms(absl::ToUnixMillis(started));
  if (!closed.empty()) {
    result.set_error(Cut(absl::StrCat("closed ports: ", closed), kMaxErrorBytes));
    return result;
  }
  result.set_up(!ports.empty());
  return result;
}

DnsProbeSpec DnsSpec(const SiteConfig& site) {
  DnsProbeSpec spec;
  const std::optional<UrlParts> url = ParseHttpUrl(site.url);
  spec.host = url.has_value() ? url->host : "";
  spec.resolvers = site.dns.resolvers;
  spec.expected_addresses = site.dns.expected_addresses;
  spec.timeout = site.dns.timeout;
  return spec;
}

v1::ProbeResult DnsResult(const SiteConfig& site, const absl::StatusOr<DnsProbeResult>& dns,
                          absl::Time started) {
  v1::ProbeResult result;
  result.set_site(site.id);
  result.set_probe_kind("dns");
  result.set_url(Cut(absl::StrCat("dns://", DnsSpec(site).host), 2048));
  result.set_started_unix_ms(absl::ToUnixMillis(started));
  if (!dns.ok()) {
    result.set_error(Cut(dns.status().message(), kMaxErrorBytes));
    return result;
  }
  result.set_total_us(dns->total_us);
  if (!dns->answers.empty()) result.set_dns_us(dns->answers[0].elapsed_us);
  constexpr int kMaxAnswers = 64;
  std::string errors;
  for (const DnsAnswerSet& answer : dns->answers) {
    for (const std::string& address : answer.addresses) {
      if (result.dns_answers_size() >= kMaxAnswers) break;
      result.add_dns_answers(Cut(absl::StrCat(answer.resolver, "=", address), 128));
    }
    if (!answer.error.empty()) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", answer.resolver, ": ", answer.error);
    }
  }
  for (const DnsFinding& f : dns->findings) {
    AddFinding(result.mutable_findings(), f.kind,
               f.severity == DnsFindingSeverity::kCritical ? v1::Finding::CRITICAL
                                                           : v1::Finding::WARNING,
               f.detail, f.evidence, f.resolver);
  }
  if (!dns->resolved) {
    result.set_error(Cut(absl::StrCat("the name does not resolve: ", errors), kMaxErrorBytes));
    return result;
  }
  result.set_up(true);
  return result;
}

}  // namespace pantau::agent
