// Small, strict helpers for the URLs and network addresses in configs and probe results.
// Not a general URL library: enough to name a site's host, compare hosts and check input.
//
//   std::optional<UrlParts> u = ParseHttpUrl("https://pn-contoh.go.id:8443/berita?id=1");
//   u->host == "pn-contoh.go.id", u->port == 8443
#ifndef PANTAU_COMMON_URL_H_
#define PANTAU_COMMON_URL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pantau {

struct UrlParts {
  std::string scheme;  // lower-case: "http" or "https"
  std::string host;    // lower-case; an IPv6 literal without brackets
  int port = 0;        // explicit or the scheme's default (80, 443)
  std::string path_and_query;  // from the first '/' or '?' on, "/" when empty; no fragment
};

// http:// or https:// with a non-empty host and a valid port; nullopt otherwise.
std::optional<UrlParts> ParseHttpUrl(absl::string_view url);
inline bool IsHttpUrl(absl::string_view url) { return ParseHttpUrl(url).has_value(); }

// "scheme://host[:port]" of a URL (no path), for building sibling URLs such as /robots.txt.
std::string UrlOrigin(const UrlParts& url);

// True when `host` is `site_host` or a subdomain of it, comparing without a leading "www.":
// www.pn-contoh.go.id and pn-contoh.go.id belong together; evil.example does not.
bool SameSite(absl::string_view host, absl::string_view site_host);

// A textual IPv4 or IPv6 address.
bool IsIpAddress(absl::string_view text);

// A DNS resolver as given in config: "ip", "ip:port" or "[ipv6]:port".
absl::Status ValidateResolverAddress(absl::string_view text);

// The URL with any "user:password@" removed, for logs and stored results.
std::string RedactUrlUserinfo(absl::string_view url);
// The same for every URL inside a longer text (a finding's detail or evidence).
std::string RedactUrlUserinfoInText(absl::string_view text);

}  // namespace pantau

#endif  // PANTAU_COMMON_URL_H_
