#include "agent/inventory/resolve_url.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace pantau::agent {
namespace {

// A URL or relative reference split per RFC 3986 (appendix B).
struct UrlParts {
  std::string scheme;     // lower-cased, without ':'; empty for a relative reference
  std::string authority;  // "host[:port]", lower-cased; empty when there is none
  std::string path;       // as written; may be empty
  std::string query;      // without '?'
  std::string fragment;   // without '#'
  bool has_authority = false;
  bool has_query = false;
  bool has_fragment = false;
};

// Length of the scheme at the start of `s` (without ':'), or 0 when there is none.
size_t SchemeLength(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(s[0])) return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return i;
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return 0;
  }
  return 0;
}

// RFC 3986 5.2.4 for an absolute path (one that starts with '/').
std::string RemoveDotSegments(absl::string_view path) {
  if (path.empty() || path[0] != '/') return std::string(path);
  std::vector<absl::string_view> out;
  const std::vector<absl::string_view> segments = absl::StrSplit(path.substr(1), '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    const absl::string_view s = segments[i];
    const bool last = i + 1 == segments.size();
    if (s == "." || s == "..") {
      if (s == ".." && !out.empty()) out.pop_back();
      if (last) out.push_back("");
      continue;
    }
    out.push_back(s);
  }
  return absl::StrCat("/", absl::StrJoin(out, "/"));
}

std::string Compose(const UrlParts& p) {
  std::string out = absl::StrCat(p.scheme, ":");
  if (p.has_authority) absl::StrAppend(&out, "//", p.authority);
  absl::StrAppend(&out, p.path);
  if (p.has_query) absl::StrAppend(&out, "?", p.query);
  return out;
}

bool IsWebScheme(absl::string_view scheme) { return scheme == "http" || scheme == "https"; }

UrlParts SplitUrl(absl::string_view url) {
  UrlParts parts;
  url = absl::StripAsciiWhitespace(url);
  const size_t hash = url.find('#');
  if (hash != absl::string_view::npos) {
    parts.has_fragment = true;
    parts.fragment = std::string(url.substr(hash + 1));
    url = url.substr(0, hash);
  }
  const size_t question = url.find('?');
  if (question != absl::string_view::npos) {
    parts.has_query = true;
    parts.query = std::string(url.substr(question + 1));
    url = url.substr(0, question);
  }
  const size_t scheme_length = SchemeLength(url);
  if (scheme_length > 0) {
    parts.scheme = absl::AsciiStrToLower(url.substr(0, scheme_length));
    url.remove_prefix(scheme_length + 1);
  }
  if (url.size() >= 2 && url[0] == '/' && url[1] == '/') {
    url.remove_prefix(2);
    const size_t slash = url.find('/');
    parts.has_authority = true;
    parts.authority = absl::AsciiStrToLower(url.substr(0, slash));
    url = slash == absl::string_view::npos ? absl::string_view() : url.substr(slash);
  }
  parts.path = std::string(url);
  return parts;
}

}  // namespace

std::string ResolveUrl(absl::string_view base_url, absl::string_view href) {
  std::string cleaned;
  for (char c : absl::StripAsciiWhitespace(href)) {
    if (c == '\t' || c == '\n' || c == '\r') continue;
    cleaned.push_back(c);
  }
  if (cleaned.empty()) return "";
  const size_t scheme_length = SchemeLength(cleaned);
  const std::string href_scheme = absl::AsciiStrToLower(cleaned.substr(0, scheme_length));
  if (scheme_length > 0 && !IsWebScheme(href_scheme)) {
    // javascript:, mailto:, tel:, data:, ... are no pages to fetch; ftp: and the like neither.
    return "";
  }
  // Browsers read '\' as '/' in http(s) URLs; before the query only.
  for (char& c : cleaned) {
    if (c == '?' || c == '#') break;
    if (c == '\\') c = '/';
  }
  UrlParts ref = SplitUrl(cleaned);
  UrlParts base = SplitUrl(base_url);
  if (!ref.scheme.empty()) {
    if (!ref.has_authority || ref.authority.empty()) return "";  // "http:foo" is no link
    if (ref.path.empty()) ref.path = "/";
    ref.path = RemoveDotSegments(ref.path);
    return Compose(ref);
  }
  if (!IsWebScheme(base.scheme) || !base.has_authority || base.authority.empty()) return "";
  UrlParts target;
  target.scheme = base.scheme;
  target.has_authority = true;
  if (ref.has_authority) {
    if (ref.authority.empty()) return "";
    target.authority = ref.authority;
    target.path = RemoveDotSegments(ref.path.empty() ? "/" : ref.path);
    target.has_query = ref.has_query;
    target.query = ref.query;
    return Compose(target);
  }
  target.authority = base.authority;
  if (base.path.empty()) base.path = "/";
  if (ref.path.empty()) {
    target.path = base.path;
    target.has_query = ref.has_query || base.has_query;
    target.query = ref.has_query ? ref.query : base.query;
    return Compose(target);
  }
  if (ref.path[0] == '/') {
    target.path = RemoveDotSegments(ref.path);
  } else {
    const size_t last_slash = base.path.rfind('/');
    target.path = RemoveDotSegments(absl::StrCat(
        base.path.substr(0, last_slash == std::string::npos ? 0 : last_slash + 1), ref.path));
    if (target.path.empty() || target.path[0] != '/') target.path = "/" + target.path;
  }
  target.has_query = ref.has_query;
  target.query = ref.query;
  return Compose(target);
}

std::string UrlPathAndQuery(absl::string_view url) {
  const UrlParts parts = SplitUrl(url);
  return parts.has_query ? absl::StrCat(parts.path, "?", parts.query) : parts.path;
}

}  // namespace pantau::agent
