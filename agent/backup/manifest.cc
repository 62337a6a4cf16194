#include "agent/backup/manifest.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pantau::agent::backup {
namespace {

constexpr absl::string_view kHeader = "#pantau-backup-manifest";

// Appends `s` escaped (see manifest.h) to `out`.
void AppendEscaped(absl::string_view s, std::string* out) {
  if (s.empty()) {
    out->push_back('-');
    return;
  }
  // A name that is literally "-" must not read back as empty.
  if (s == "-") {
    out->append("\\-");
    return;
  }
  for (char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      default: out->push_back(c);
    }
  }
}

void AppendOctal(uint32_t v, std::string* out) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  } while (v != 0);
  while (n > 0) out->push_back(buf[--n]);
}

bool Unescape(absl::string_view s, std::string* out) {
  out->clear();
  if (s == "-") return true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      *out += s[i];
      continue;
    }
    if (++i == s.size()) return false;
    switch (s[i]) {
      case '\\': *out += '\\'; break;
      case 't': *out += '\t'; break;
      case 'n': *out += '\n'; break;
      case 'r': *out += '\r'; break;
      case '-': *out += '-'; break;
      default: return false;
    }
  }
  return true;
}

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool ValidType(absl::string_view t) {
  return t == "r" || t == "d" || t == "f" || t == "l" || t == "p" || t == "db";
}

}  // namespace

std::string FormatManifest(const Manifest& m) {
  std::string out;
  out.reserve(160 * m.entries.size() + 256);  // a typical line is 130..200 bytes
  out.append(kHeader.data(), kHeader.size());
  out.append("\t1\t");
  AppendEscaped(m.id, &out);
  out.push_back('\t');
  AppendEscaped(m.kind, &out);
  out.push_back('\t');
  AppendEscaped(m.base_id, &out);
  out.push_back('\n');
  for (const ManifestEntry& e : m.entries) {
    out.append(e.type);
    out.push_back('\t');
    AppendEscaped(e.path, &out);
    absl::StrAppend(&out, "\t", e.size, "\t");
    AppendOctal(e.mode, &out);
    absl::StrAppend(&out, "\t", e.mtime_ns, "\t", e.inode, "\t", e.uid, "\t", e.gid, "\t");
    out.append(e.sha256.empty() ? "-" : e.sha256);
    out.push_back('\t');
    AppendEscaped(e.holder, &out);
    out.push_back('\t');
    AppendEscaped(e.link, &out);
    out.push_back('\n');
  }
  return out;
}

absl::StatusOr<Manifest> ParseManifest(absl::string_view text) {
  Manifest m;
  int line_no = 0;
  bool header = false;
  auto bad = [&line_no](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("manifest line ", line_no, ": ", why));
  };
  m.entries.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    if (!header) {
      if (f.size() != 5 || f[0] != kHeader) return bad("not a pantau backup manifest");
      if (f[1] != "1") return bad(absl::StrCat("unknown manifest version '", f[1], "'"));
      if (!Unescape(f[2], &m.id) || !Unescape(f[3], &m.kind) || !Unescape(f[4], &m.base_id)) {
        return bad("bad escape in header");
      }
      if (m.id.empty()) return bad("empty backup id");
      if (m.kind != "full" && m.kind != "incremental") return bad("unknown kind");
      header = true;
      continue;
    }
    if (f.size() != 11) return bad(absl::StrCat("expected 11 fields, found ", f.size()));
    ManifestEntry e;
    e.type = std::string(f[0]);
    if (!ValidType(e.type)) return bad(absl::StrCat("unknown type '", f[0], "'"));
    if (!Unescape(f[1], &e.path) || !IsSafeArchivePath(e.path)) return bad("bad path");
    if (!absl::SimpleAtoi(f[2], &e.size) || e.size < 0) return bad("bad size");
    unsigned long mode = 0;
    {
      std::string ms(f[3]);
      char* end = nullptr;
      if (ms.empty() || ms.size() > 7) return bad("bad mode");
      mode = std::strtoul(ms.c_str(), &end, 8);
      if (*end != '\0' || mode > 07777) return bad("bad mode");
    }
    e.mode = static_cast<uint32_t>(mode);
    if (!absl::SimpleAtoi(f[4], &e.mtime_ns)) return bad("bad mtime");
    if (!absl::SimpleAtoi(f[5], &e.inode)) return bad("bad inode");
    if (!absl::SimpleAtoi(f[6], &e.uid) || !absl::SimpleAtoi(f[7], &e.gid)) {
      return bad("bad uid or gid");
    }
    if (f[8] != "-") {
      if (!IsHex64(f[8])) return bad("bad sha256");
      e.sha256 = std::string(f[8]);
    }
    bool hashed = e.type == "f" || e.type == "p" || e.type == "db";
    if (hashed && e.sha256.empty()) return bad("missing sha256");
    if (!Unescape(f[9], &e.holder) || !Unescape(f[10], &e.link)) return bad("bad escape");
    if (e.type == "l" && e.link.empty()) return bad("symlink without target");
    if ((e.type == "f" || e.type == "p") && e.holder.empty()) return bad("missing holder");
    m.entries.push_back(std::move(e));
  }
  if (!header) return absl::InvalidArgumentError("manifest is empty");
  return m;
}

std::string FormatSha256Sums(const Manifest& m) {
  std::string out;
  for (const ManifestEntry& e : m.entries) {
    if ((e.type != "f" && e.type != "p") || e.holder != m.id) continue;
    bool escape = e.path.find_first_of("\\\n\r") != std::string::npos;
    if (!escape) {
      absl::StrAppend(&out, e.sha256, "  ", e.path, "\n");
      continue;
    }
    // GNU coreutils: a leading backslash, then '\\' and '\n' (and '\r') escaped in the name.
    std::string name;
    for (char c : e.path) {
      if (c == '\\') name += "\\\\";
      else if (c == '\n') name += "\\n";
      else if (c == '\r') name += "\\r";
      else name += c;
    }
    absl::StrAppend(&out, "\\", e.sha256, "  ", name, "\n");
  }
  return out;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

bool IsSafeArchivePath(absl::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  if (path.find('\0') != absl::string_view::npos) return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

}  // namespace pantau::agent::backup
