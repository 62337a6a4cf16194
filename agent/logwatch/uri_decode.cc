#include "agent/logwatch/uri_decode.h"

#include <cstring>

#include "common/utf8.h"

namespace pantau::agent::logwatch {
namespace {

constexpr int kMaxRounds = 4;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Raw NUL bytes become the two characters "\0" so rules and samples can see them. This is the
// only step that lengthens the text, so it runs once, before in-place decoding.
void EscapeRawNuls(std::string* s) {
  if (std::memchr(s->data(), '\0', s->size()) == nullptr) return;
  std::string out;
  out.reserve(s->size() + 8);
  for (char c : *s) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  s->swap(out);
}

// One percent-decoding pass, in place: every escape shrinks ("%XX" → 1 byte, "%00" → 2,
// "%uXXXX" → at most 3), so the write position never passes the read position. Returns whether
// anything was decoded.
bool DecodeRound(std::string* s) {
  char* p = s->data();
  const size_t n = s->size();
  const void* first = std::memchr(p, '%', n);
  if (first == nullptr) return false;
  size_t r = static_cast<const char*>(first) - p;
  size_t w = r;
  bool changed = false;
  while (r < n) {
    const char c = p[r];
    if (c != '%') {
      p[w++] = c;
      ++r;
      continue;
    }
    if (r + 2 < n) {
      const int h = HexValue(p[r + 1]);
      const int l = HexValue(p[r + 2]);
      if (h >= 0 && l >= 0) {
        const char b = static_cast<char>(h * 16 + l);
        if (b == '\0') {
          p[w++] = '\\';
          p[w++] = '0';
        } else {
          p[w++] = b;
        }
        r += 3;
        changed = true;
        continue;
      }
    }
    if (r + 5 < n && (p[r + 1] == 'u' || p[r + 1] == 'U')) {
      const int a = HexValue(p[r + 2]), b = HexValue(p[r + 3]);
      const int c2 = HexValue(p[r + 4]), d = HexValue(p[r + 5]);
      if (a >= 0 && b >= 0 && c2 >= 0 && d >= 0) {
        unsigned cp = static_cast<unsigned>((a << 12) | (b << 8) | (c2 << 4) | d);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate is not UTF-8
        if (cp == 0) {
          p[w++] = '\\';
          p[w++] = '0';
        } else {
          w += EncodeUtf8(cp, p + w);
        }
        r += 6;
        changed = true;
        continue;
      }
    }
    p[w++] = c;
    ++r;
  }
  s->resize(w);
  return changed;
}

// Undoes the web server's own log escaping, in place: nginx writes '"', '\\' and bytes outside
// printable ASCII as "\xHH", Apache writes "\"" and "\xhh". A payload sent raw
// ("><script>) is then matched as the application received it. NUL becomes "\0".
void UnescapeLogEscapes(std::string* s) {
  char* p = s->data();
  const size_t n = s->size();
  const void* first = std::memchr(p, '\\', n);
  if (first == nullptr) return;
  size_t r = static_cast<const char*>(first) - p;
  size_t w = r;
  while (r < n) {
    if (p[r] == '\\' && r + 3 < n && p[r + 1] == 'x' && HexValue(p[r + 2]) >= 0 &&
        HexValue(p[r + 3]) >= 0) {
      const char b = static_cast<char>(HexValue(p[r + 2]) * 16 + HexValue(p[r + 3]));
      if (b == '\0') {
        p[w++] = '\\';
        p[w++] = '0';
      } else {
        p[w++] = b;
      }
      r += 4;
    } else if (p[r] == '\\' && r + 1 < n && (p[r + 1] == '"' || p[r + 1] == '\\')) {
      p[w++] = p[r + 1];  // Apache's \" and \\ (nginx writes \x22 and \x5C instead)
      r += 2;
    } else {
      p[w++] = p[r++];
    }
  }
  s->resize(w);
}

// Decodes `s` repeatedly; returns the number of rounds that changed something.
int DecodeRepeatedly(std::string* s) {
  EscapeRawNuls(s);
  UnescapeLogEscapes(s);
  int rounds = 0;
  while (rounds < kMaxRounds && DecodeRound(s)) ++rounds;
  return rounds;
}

bool NeedsNormalising(const std::string& p) {
  const size_t n = p.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (c == '\\') return true;
    if (c == '/' && i + 1 < n && (p[i + 1] == '/' || p[i + 1] == '.')) return true;
    if (c == '.' && i == 0) return true;
  }
  return false;
}

// Normalises a path in place: "\" → "/", "//" collapsed, "." and ".." resolved. Segments are
// written at w <= r, so no second buffer is needed.
void NormalisePath(std::string* path, bool* above_root) {
  if (!NeedsNormalising(*path)) return;
  char* p = path->data();
  const size_t n = path->size();
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '\\') p[i] = '/';
  }
  const bool absolute = n > 0 && p[0] == '/';
  size_t r = absolute ? 1 : 0;
  size_t w = r;  // p[0..w) is the output; ends with '/' (or is empty when relative)
  while (r < n) {
    size_t end = r;
    while (end < n && p[end] != '/') ++end;
    const size_t len = end - r;
    const bool has_slash = end < n;
    if (len == 0) {
      // "//": skip the empty segment.
    } else if (len == 1 && p[r] == '.') {
      // "." segment: nothing.
    } else if (len == 2 && p[r] == '.' && p[r + 1] == '.') {
      const size_t floor = absolute ? 1 : 0;
      if (w <= floor) {
        *above_root = true;
      } else {
        // Drop the last output segment: w points just past its trailing '/'.
        size_t k = w - 1;  // the '/' ending the previous segment
        while (k > floor && p[k - 1] != '/') --k;
        w = k;
      }
    } else {
      std::memmove(p + w, p + r, len);
      w += len;
      if (has_slash) p[w++] = '/';
    }
    r = has_slash ? end + 1 : end;
  }
  path->resize(w);
}

bool StartsWithScheme(absl::string_view s, size_t* host_start) {
  size_t i = 0;
  while (i < s.size() && i < 10 && ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')) ++i;
  if (i > 0 && i + 2 < s.size() && s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
    *host_start = i + 3;
    return true;
  }
  return false;
}

}  // namespace

void DecodeTarget(absl::string_view raw, DecodedTarget* out) {
  out->above_root = false;
  out->decode_rounds = 0;
  const size_t q = raw.find('?');
  absl::string_view raw_path = raw.substr(0, q);
  const bool has_query = q != absl::string_view::npos;
  absl::string_view raw_query = has_query ? raw.substr(q + 1) : absl::string_view();

  out->path.assign(raw_path.data(), raw_path.size());
  out->query.assign(raw_query.data(), raw_query.size());
  int rounds = DecodeRepeatedly(&out->path);
  // '+' means space in a query; done before percent-decoding so "%2B" stays a plus.
  if (std::memchr(out->query.data(), '+', out->query.size()) != nullptr) {
    for (char& c : out->query) {
      if (c == '+') c = ' ';
    }
  }
  const int query_rounds = DecodeRepeatedly(&out->query);
  out->decode_rounds = rounds > query_rounds ? rounds : query_rounds;

  out->uri.assign(out->path);
  if (has_query) {
    out->uri.push_back('?');
    out->uri.append(out->query);
  }

  // Absolute-form ("http://host/p"): the path starts at the first '/' after the host.
  size_t host_start = 0;
  if (StartsWithScheme(out->path, &host_start)) {
    const size_t slash = out->path.find('/', host_start);
    if (slash == std::string::npos) {
      out->path.assign("/");
    } else {
      out->path.erase(0, slash);
    }
  }
  NormalisePath(&out->path, &out->above_root);
}

}  // namespace pantau::agent::logwatch
