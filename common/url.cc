#include "common/url.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pantau {
namespace {

bool ParsePort(absl::string_view text, int* port) {
  int value = 0;
  if (text.empty() || text.size() > 5 || !absl::SimpleAtoi(text, &value)) return false;
  if (value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

bool ValidHostChars(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!(absl::ascii_isalnum(u) || c == '.' || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::optional<UrlParts> ParseHttpUrl(absl::string_view url) {
  UrlParts parts;
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return std::nullopt;
  parts.scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (parts.scheme != "http" && parts.scheme != "https") return std::nullopt;
  absl::string_view rest = url.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, authority_end);
  absl::string_view tail =
      authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  parts.port = parts.scheme == "https" ? 443 : 80;
  absl::string_view host = authority;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':' || !ParsePort(after.substr(1), &parts.port)) return std::nullopt;
    }
    in6_addr addr;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &addr) != 1) return std::nullopt;
  } else {
    if (const size_t colon = authority.find(':'); colon != absl::string_view::npos) {
      host = authority.substr(0, colon);
      if (!ParsePort(authority.substr(colon + 1), &parts.port)) return std::nullopt;
    }
    if (!ValidHostChars(host)) return std::nullopt;
  }
  parts.host = absl::AsciiStrToLower(host);
  if (const size_t hash = tail.find('#'); hash != absl::string_view::npos) {
    tail = tail.substr(0, hash);
  }
  parts.path_and_query = tail.empty() ? "/" : std::string(tail);
  if (parts.path_and_query[0] == '?') parts.path_and_query.insert(0, "/");
  return parts;
}

std::string UrlOrigin(const UrlParts& url) {
  const bool default_port = (url.scheme == "http" && url.port == 80) ||
                            (url.scheme == "https" && url.port == 443);
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? absl::StrCat("[", url.host, "]") : url.host;
  if (default_port) return absl::StrCat(url.scheme, "://", host);
  return absl::StrCat(url.scheme, "://", host, ":", url.port);
}

bool SameSite(absl::string_view host, absl::string_view site_host) {
  std::string h = absl::AsciiStrToLower(host);
  std::string s = absl::AsciiStrToLower(site_host);
  absl::string_view hv = h, sv = s;
  absl::ConsumePrefix(&hv, "www.");
  absl::ConsumePrefix(&sv, "www.");
  if (hv == sv) return true;
  return hv.size() > sv.size() && absl::EndsWith(hv, sv) && hv[hv.size() - sv.size() - 1] == '.';
}

bool IsIpAddress(absl::string_view text) {
  const std::string s(text);
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, s.c_str(), &v4) == 1 || inet_pton(AF_INET6, s.c_str(), &v6) == 1;
}

absl::Status ValidateResolverAddress(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("resolver '", text, "': ", why, " (want ip, ip:port or [ipv6]:port)"));
  };
  int port = 53;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return bad("missing ']'");
    absl::string_view after = text.substr(close + 1);
    if (!after.empty() && (after[0] != ':' || !ParsePort(after.substr(1), &port))) {
      return bad("bad port");
    }
    in6_addr v6;
    if (inet_pton(AF_INET6, std::string(text.substr(1, close - 1)).c_str(), &v6) != 1) {
      return bad("not an IPv6 address");
    }
    return absl::OkStatus();
  }
  if (IsIpAddress(text)) return absl::OkStatus();  // a bare IPv4 or IPv6 address
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return bad("not an IP address");
  if (!ParsePort(text.substr(colon + 1), &port)) return bad("bad port");
  in_addr v4;
  if (inet_pton(AF_INET, std::string(text.substr(0, colon)).c_str(), &v4) != 1) {
    return bad("not an IPv4 address");
  }
  return absl::OkStatus();
}

std::string RedactUrlUserinfo(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return std::string(url);
  const size_t start = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?#", start);
  absl::string_view authority = url.substr(start, authority_end == absl::string_view::npos
                                                      ? absl::string_view::npos
                                                      : authority_end - start);
  const size_t at = authority.rfind('@');
  if (at == absl::string_view::npos) return std::string(url);
  return absl::StrCat(url.substr(0, start), url.substr(start + at + 1));
}

std::string RedactUrlUserinfoInText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t scheme_end = text.find("://", pos);
    if (scheme_end == absl::string_view::npos) break;
    const size_t start = scheme_end + 3;
    const size_t stop = text.find_first_of("@/?# \t\r\n\"'<>", start);
    out.append(text.data() + pos, start - pos);
    if (stop != absl::string_view::npos && text[stop] == '@') {
      pos = stop + 1;  // drop "user:password@"
    } else {
      pos = start;
    }
  }
  out.append(text.data() + pos, text.size() - pos);
  return out;
}

}  // namespace pantau
