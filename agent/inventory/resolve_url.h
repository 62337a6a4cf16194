// Resolving a link against the page it was found on (RFC 3986 section 5.2, for http and https
// links), for the inventory checks. No IDNA, no percent-encoding normalisation: the results
// are compared and fetched, not displayed. (common/url.h parses and checks configured URLs;
// it has no resolver.)
//
//   ResolveUrl("https://pn-x.go.id/berita/index.php", "../jadwal?id=2#top")
//       == "https://pn-x.go.id/jadwal?id=2"
//
// Pure functions: thread-safe, never fail, never throw.
#ifndef PANTAU_AGENT_INVENTORY_RESOLVE_URL_H_
#define PANTAU_AGENT_INVENTORY_RESOLVE_URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace pantau::agent {

// The absolute URL that `href`, found on the page at `base_url`, points to, without its
// fragment (a fragment names a place on a page, not a page). Handles absolute, scheme-relative
// ("//host/p"), root-relative ("/p"), relative ("p", "../p"), query-only ("?q") and
// fragment-only ("#x", giving the base itself) references; removes "." and ".." segments;
// treats '\' as '/' and drops tabs and newlines inside the href, as browsers do.
// Empty when `href` is empty, is javascript:, mailto:, tel:, data: or similar, or when a
// relative `href` meets a `base_url` that is not absolute.
std::string ResolveUrl(absl::string_view base_url, absl::string_view href);

// The path and query of `url` ("/index.php?id=7"; the path alone when there is no query),
// without scheme, authority and fragment. Never fails.
std::string UrlPathAndQuery(absl::string_view url);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_INVENTORY_RESOLVE_URL_H_
