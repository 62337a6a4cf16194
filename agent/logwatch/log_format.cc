#include "agent/logwatch/log_format.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace pantau::agent::logwatch {
namespace {

// ---------------------------------------------------------------------------------------------
// Compiled text formats.
//
// Every text format (the built-in ones too) is compiled from an nginx log_format string into a
// Program: a leading literal, then variables each followed by the literal that ends it. Parsing
// walks the line once: a variable's value ends where its following literal starts, so a
// literal is the field separator. How the end is found depends on the variable (ScanMode).

enum class Field : uint8_t {
  kSkip,  // a variable the parser does not use
  kClient,
  kUser,
  kVhost,
  kPort,
  kTimeLocal,
  kTimeIso,
  kMsec,
  kRequest,
  kMethod,
  kTarget,
  kStatus,
  kBodyBytes,
  kBytes,
  kReferer,
  kUserAgent,
};

enum class ScanMode : uint8_t {
  // Short values without spaces (addresses, numbers): scan to the first byte of the following
  // literal; a space before it means the line does not have this format.
  kToken,
  // Free text: up to the first occurrence of the whole following literal.
  kText,
  // Between quotes: up to the first unescaped quote that the following literal matches at
  // (nginx writes \xHH for '"' and '\\', Apache writes \" and \\).
  kQuoted,
  // $time_local holds a space ("10/Oct/2000:13:55:36 +0700"): the search starts after it.
  kTimeLocal,
};

struct Variable {
  Field field = Field::kSkip;
  ScanMode mode = ScanMode::kText;
  std::string after;  // the literal that follows; empty only for a format's last variable
};

struct Program {
  std::string leading;
  std::vector<Variable> vars;
};

enum class Kind { kText, kJson, kAuto };

constexpr char kCombinedFormat[] =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\"";
constexpr char kCommonFormat[] =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent";
// Apache's vhost_combined: %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i".
constexpr char kVhostCombinedFormat[] =
    "$host:$server_port $remote_addr $remote_ident $remote_user [$time_local] \"$request\" "
    "$status $bytes_sent \"$http_referer\" \"$http_user_agent\"";

Field FieldOf(absl::string_view name) {
  struct Entry {
    const char* name;
    Field field;
  };
  static constexpr Entry kFields[] = {
      {"remote_addr", Field::kClient},      {"remote_user", Field::kUser},
      {"time_local", Field::kTimeLocal},    {"time_iso8601", Field::kTimeIso},
      {"msec", Field::kMsec},               {"request", Field::kRequest},
      {"request_method", Field::kMethod},   {"request_uri", Field::kTarget},
      {"uri", Field::kTarget},              {"status", Field::kStatus},
      {"body_bytes_sent", Field::kBodyBytes}, {"bytes_sent", Field::kBytes},
      {"http_referer", Field::kReferer},    {"http_user_agent", Field::kUserAgent},
      {"host", Field::kVhost},              {"server_name", Field::kVhost},
      {"http_host", Field::kVhost},         {"server_port", Field::kPort},
  };
  for (const Entry& e : kFields) {
    if (name == e.name) return e.field;
  }
  return Field::kSkip;
}

bool IsTokenField(Field f) {
  switch (f) {
    case Field::kClient:
    case Field::kVhost:
    case Field::kPort:
    case Field::kTimeIso:
    case Field::kMsec:
    case Field::kMethod:
    case Field::kStatus:
    case Field::kBodyBytes:
    case Field::kBytes:
      return true;
    default:
      return false;
  }
}

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct FormatItem {
  bool is_var;
  std::string text;  // literal text or variable name
};

// nginx.conf writes a format as quoted pieces: '$remote_addr - ' '"$request" ...';  — accept
// that form too, so a format can be pasted from the server's configuration.
absl::StatusOr<std::string> UnquoteConfigPieces(absl::string_view in) {
  absl::string_view s = absl::StripAsciiWhitespace(in);
  if (s.empty() || s.front() != '\'') return std::string(in);
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (absl::ascii_isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    if (s[i] == ';' && i + 1 == s.size()) break;
    if (s[i] != '\'') {
      return absl::InvalidArgumentError(
          "log_format: text outside the quoted pieces of a quoted format");
    }
    const size_t close = s.find('\'', i + 1);
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("log_format: unterminated quoted piece");
    }
    out.append(s.data() + i + 1, close - i - 1);
    i = close + 1;
  }
  return out;
}

absl::StatusOr<std::vector<FormatItem>> Tokenize(absl::string_view fmt) {
  std::vector<FormatItem> items;
  auto add_literal = [&items](absl::string_view text) {
    if (!items.empty() && !items.back().is_var) {
      items.back().text.append(text.data(), text.size());
    } else {
      items.push_back({false, std::string(text)});
    }
  };
  size_t i = 0;
  while (i < fmt.size()) {
    const char c = fmt[i];
    if (c != '$') {
      const size_t next = fmt.find('$', i);
      const size_t end = next == absl::string_view::npos ? fmt.size() : next;
      add_literal(fmt.substr(i, end - i));
      i = end;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      const size_t close = fmt.find('}', i + 2);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError("log_format: unclosed ${ in variable name");
      }
      absl::string_view name = fmt.substr(i + 2, close - i - 2);
      for (char n : name) {
        if (!IsNameChar(n)) {
          return absl::InvalidArgumentError(
              absl::StrCat("log_format: invalid variable name ${", name, "}"));
        }
      }
      if (name.empty()) return absl::InvalidArgumentError("log_format: empty ${} variable");
      items.push_back({true, std::string(name)});
      i = close + 1;
      continue;
    }
    size_t j = i + 1;
    while (j < fmt.size() && IsNameChar(fmt[j])) ++j;
    if (j == i + 1) {
      add_literal("$");  // a lone '$' is literal text, as in nginx
      ++i;
      continue;
    }
    items.push_back({true, std::string(fmt.substr(i + 1, j - i - 1))});
    i = j;
  }
  return items;
}

// $uri$is_args$args, $uri?$args (and $query_string for $args) log one contiguous request
// target: fold them into a single target variable, since the record holds views of the line.
void FoldUriArgs(std::vector<FormatItem>* items) {
  std::vector<FormatItem> out;
  auto is_args = [](const FormatItem& it) {
    return it.is_var && (it.text == "args" || it.text == "query_string");
  };
  for (size_t i = 0; i < items->size(); ++i) {
    const FormatItem& it = (*items)[i];
    if (it.is_var && it.text == "uri" && i + 2 < items->size()) {
      const FormatItem& mid = (*items)[i + 1];
      const FormatItem& last = (*items)[i + 2];
      const bool joiner = (mid.is_var && mid.text == "is_args") || (!mid.is_var && mid.text == "?");
      if (joiner && is_args(last)) {
        out.push_back({true, "request_uri"});
        i += 2;
        continue;
      }
    }
    out.push_back(it);
  }
  *items = std::move(out);
}

absl::StatusOr<Program> Compile(absl::string_view format) {
  if (absl::StripAsciiWhitespace(format).empty()) {
    return absl::InvalidArgumentError("log_format is empty");
  }
  PANTAU_ASSIGN_OR_RETURN(std::string text, UnquoteConfigPieces(format));
  PANTAU_ASSIGN_OR_RETURN(std::vector<FormatItem> items, Tokenize(text));
  FoldUriArgs(&items);

  Program program;
  bool has_client = false;
  bool has_request = false;
  size_t i = 0;
  if (!items.empty() && !items.front().is_var) {
    program.leading = items.front().text;
    i = 1;
  }
  for (; i < items.size(); ++i) {
    const FormatItem& it = items[i];
    if (!it.is_var) {
      program.vars.back().after = it.text;
      continue;
    }
    if (!program.vars.empty() && program.vars.back().after.empty()) {
      const FormatItem& prev = items[i - 1];
      return absl::InvalidArgumentError(
          absl::StrCat("log_format: variables $", prev.text, " and $", it.text,
                       " have nothing between them to separate them"));
    }
    Variable var;
    var.field = FieldOf(it.text);
    has_client |= var.field == Field::kClient;
    has_request |= var.field == Field::kRequest || var.field == Field::kTarget;
    program.vars.push_back(std::move(var));
  }
  if (program.vars.empty()) return absl::InvalidArgumentError("log_format has no variable");
  if (!has_client) return absl::InvalidArgumentError("log_format has no $remote_addr");
  if (!has_request) {
    return absl::InvalidArgumentError("log_format has no $request or $request_uri");
  }
  for (size_t v = 0; v < program.vars.size(); ++v) {
    Variable& var = program.vars[v];
    const std::string& before = v == 0 ? program.leading : program.vars[v - 1].after;
    const bool quoted = !before.empty() && before.back() == '"' && !var.after.empty() &&
                        var.after.front() == '"';
    if (quoted) {
      var.mode = ScanMode::kQuoted;
    } else if (var.field == Field::kTimeLocal) {
      var.mode = ScanMode::kTimeLocal;
    } else if (IsTokenField(var.field)) {
      var.mode = ScanMode::kToken;
    } else {
      var.mode = ScanMode::kText;
    }
  }
  return program;
}

// ---------------------------------------------------------------------------------------------
// Time.

// Days since 1970-01-01 of a proleptic Gregorian date (the era-based civil-date formula).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// English month abbreviation as logged ("Jan"), case-sensitive; 0 when unknown.
int MonthOf(const char* p) {
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (int m = 0; m < 12; ++m) {
    if (p[0] == kMonths[m * 3] && p[1] == kMonths[m * 3 + 1] && p[2] == kMonths[m * 3 + 2]) {
      return m + 1;
    }
  }
  return 0;
}

bool Digits(const char* p, int n, int* out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - '0';
    if (d > 9) return false;
    v = v * 10 + static_cast<int>(d);
  }
  *out = v;
  return true;
}

bool ComposeTime(int y, int mo, int d, int h, int mi, int s, int64_t* out) {
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 ||
      s > 60) {
    return false;
  }
  *out = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return true;
}

// "10/Oct/2000:13:55:36 -0700" → UTC seconds.
bool ParseTimeLocal(absl::string_view s, int64_t* out) {
  if (s.size() != 26) return false;
  const char* p = s.data();
  int d, y, h, mi, sec, oh, om;
  if (p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':' ||
      p[20] != ' ' || (p[21] != '+' && p[21] != '-')) {
    return false;
  }
  const int mo = MonthOf(p + 3);
  if (mo == 0 || !Digits(p, 2, &d) || !Digits(p + 7, 4, &y) || !Digits(p + 12, 2, &h) ||
      !Digits(p + 15, 2, &mi) || !Digits(p + 18, 2, &sec) || !Digits(p + 22, 2, &oh) ||
      !Digits(p + 24, 2, &om) || oh > 23 || om > 59) {
    return false;
  }
  int64_t local;
  if (!ComposeTime(y, mo, d, h, mi, sec, &local)) return false;
  const int offset = (oh * 3600 + om * 60) * (p[21] == '-' ? -1 : 1);
  *out = local - offset;
  return true;
}

// "2000-10-10T13:55:36+07:00", also with fractional seconds, "Z", "+0700" or a space for 'T'.
bool ParseIso8601(absl::string_view s, int64_t* out) {
  if (s.size() < 19) return false;
  const char* p = s.data();
  int y, mo, d, h, mi, sec;
  if (p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' ||
      p[16] != ':' || !Digits(p, 4, &y) || !Digits(p + 5, 2, &mo) || !Digits(p + 8, 2, &d) ||
      !Digits(p + 11, 2, &h) || !Digits(p + 14, 2, &mi) || !Digits(p + 17, 2, &sec)) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return false;
  }
  int offset = 0;
  if (i < s.size()) {
    if (s[i] == 'Z' && i + 1 == s.size()) {
      // UTC
    } else if (s[i] == '+' || s[i] == '-') {
      int oh, om;
      const absl::string_view tz = s.substr(i + 1);
      if (tz.size() == 5 && tz[2] == ':') {
        if (!Digits(tz.data(), 2, &oh) || !Digits(tz.data() + 3, 2, &om)) return false;
      } else if (tz.size() == 4) {
        if (!Digits(tz.data(), 2, &oh) || !Digits(tz.data() + 2, 2, &om)) return false;
      } else {
        return false;
      }
      if (oh > 23 || om > 59) return false;
      offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    } else {
      return false;
    }
  }
  int64_t local;
  if (!ComposeTime(y, mo, d, h, mi, sec, &local)) return false;
  *out = local - offset;
  return true;
}

// "1700000000.123" (nginx $msec) or plain seconds → whole seconds.
bool ParseEpoch(absl::string_view s, int64_t* out) {
  size_t i = 0;
  int64_t v = 0;
  while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
    if (i >= 12) return false;
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == 0) return false;
  if (i < s.size()) {
    if (s[i] != '.' || i + 1 == s.size()) return false;
    for (size_t j = i + 1; j < s.size(); ++j) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(s[j]))) return false;
    }
  }
  *out = v;
  return true;
}

enum class TimeKind : uint8_t { kNone, kLocal, kIso };

// One remembered time text and its value: consecutive lines mostly share their second.
struct TimeMemo {
  static constexpr size_t kMaxText = 40;
  TimeKind kind = TimeKind::kNone;
  uint8_t len = 0;
  char text[kMaxText];
  int64_t value = 0;

  bool Parse(TimeKind k, absl::string_view s, int64_t* out) {
    if (k == kind && s.size() == len && std::memcmp(s.data(), text, len) == 0) {
      *out = value;
      return true;
    }
    const bool ok = k == TimeKind::kLocal ? ParseTimeLocal(s, out) : ParseIso8601(s, out);
    if (ok && s.size() <= kMaxText) {
      kind = k;
      len = static_cast<uint8_t>(s.size());
      std::memcpy(text, s.data(), s.size());
      value = *out;
    }
    return ok;
  }
};

// ---------------------------------------------------------------------------------------------
// Field values.

absl::string_view Dash(absl::string_view v) { return v.size() == 1 && v[0] == '-' ? "" : v; }

bool IsMethodChar(char c) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// "GET /a?b HTTP/1.1" → method, target, protocol. A target may hold spaces; the protocol may
// be missing ("GET /"). Anything that does not start with a method word (TLS bytes on the
// HTTP port, "-") leaves all three empty: the line itself is still well-formed.
void SplitRequest(absl::string_view req, AccessRecord* r) {
  if (req.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(req[0]))) return;
  size_t i = 1;
  while (i < req.size() && IsMethodChar(req[i])) ++i;
  if (i > 32 || (i < req.size() && req[i] != ' ')) return;
  r->method = req.substr(0, i);
  if (i == req.size()) return;
  absl::string_view rest = req.substr(i + 1);
  size_t sp = rest.size();
  while (sp > 0 && rest[sp - 1] != ' ') --sp;  // the protocol is short: scan from the end
  --sp;
  if (sp != absl::string_view::npos && rest.size() - sp > 5 &&
      std::memcmp(rest.data() + sp + 1, "HTTP/", 5) == 0) {
    r->protocol = rest.substr(sp + 1);
    r->target = rest.substr(0, sp);
  } else {
    r->target = rest;
  }
}

// Status: three digits, or "-" (not logged) → 0.
bool ParseStatus(absl::string_view v, int* out) {
  if (v.size() == 1 && v[0] == '-') {
    *out = 0;
    return true;
  }
  return v.size() == 3 && Digits(v.data(), 3, out);
}

// Byte counts: digits, or "-" (Apache %b for nothing sent) → 0.
bool ParseBytes(absl::string_view v, int64_t* out) {
  if (v.size() == 1 && v[0] == '-') {
    *out = 0;
    return true;
  }
  if (v.empty() || v.size() > 18) return false;
  int64_t n = 0;
  for (char c : v) {
    const unsigned d = static_cast<unsigned char>(c) - '0';
    if (d > 9) return false;
    n = n * 10 + d;
  }
  *out = n;
  return true;
}

struct ParseState {
  TimeMemo* memo;
  bool have_body_bytes = false;
};

// Stores one variable's value; returns an error text or nullptr.
const char* Assign(Field field, absl::string_view v, AccessRecord* r, ParseState* st) {
  switch (field) {
    case Field::kSkip:
    case Field::kPort:
      return nullptr;
    case Field::kClient:
      r->client = Dash(v);
      return nullptr;
    case Field::kUser:
      r->user = Dash(v);
      return nullptr;
    case Field::kVhost:
      r->vhost = Dash(v);
      return nullptr;
    case Field::kReferer:
      r->referer = Dash(v);
      return nullptr;
    case Field::kUserAgent:
      r->user_agent = Dash(v);
      return nullptr;
    case Field::kMethod:
      r->method = Dash(v);
      return nullptr;
    case Field::kTarget:
      r->target = Dash(v);
      return nullptr;
    case Field::kRequest:
      SplitRequest(v, r);
      return nullptr;
    case Field::kTimeLocal:
      if (!st->memo->Parse(TimeKind::kLocal, v, &r->time_unix_s)) return "bad time_local";
      r->time_known = true;
      return nullptr;
    case Field::kTimeIso:
      if (!st->memo->Parse(TimeKind::kIso, v, &r->time_unix_s)) return "bad time_iso8601";
      r->time_known = true;
      return nullptr;
    case Field::kMsec:
      if (!ParseEpoch(v, &r->time_unix_s)) return "bad msec time";
      r->time_known = true;
      return nullptr;
    case Field::kStatus:
      if (!ParseStatus(v, &r->status)) return "non-numeric status";
      return nullptr;
    case Field::kBodyBytes:
      if (!ParseBytes(v, &r->bytes)) return "non-numeric byte count";
      st->have_body_bytes = true;
      return nullptr;
    case Field::kBytes: {
      int64_t n;
      if (!ParseBytes(v, &n)) return "non-numeric byte count";
      if (!st->have_body_bytes) r->bytes = n;
      return nullptr;
    }
  }
  return nullptr;
}

// Whether `lit` occurs at line[at]; for the format's final literal, what follows must be the
// end of the line or a blank (extra trailing fields are allowed).
inline bool LiteralAt(absl::string_view line, size_t at, absl::string_view lit, bool final) {
  if (line.size() - at < lit.size()) return false;
  // Separators are a few bytes: a loop beats a call to memcmp.
  const char* p = line.data() + at;
  for (size_t i = 0; i < lit.size(); ++i) {
    if (p[i] != lit[i]) return false;
  }
  if (!final) return true;
  const size_t end = at + lit.size();
  return end == line.size() || line[end] == ' ' || line[end] == '\t';
}

// First position >= from where `lit` occurs (LiteralAt), or npos.
size_t FindLiteral(absl::string_view line, size_t from, absl::string_view lit, bool final) {
  const char first = lit.front();
  while (from < line.size()) {
    const void* hit = std::memchr(line.data() + from, first, line.size() - from);
    if (hit == nullptr) return absl::string_view::npos;
    const size_t at = static_cast<const char*>(hit) - line.data();
    if (LiteralAt(line, at, lit, final)) return at;
    from = at + 1;
  }
  return absl::string_view::npos;
}

// First unescaped quote at/after `from` (an even run of backslashes before it) at which
// `lit` (starting with the quote) matches.
size_t FindClosingQuote(absl::string_view line, size_t from, absl::string_view lit, bool final) {
  size_t pos = from;
  while (pos < line.size()) {
    const void* hit = std::memchr(line.data() + pos, '"', line.size() - pos);
    if (hit == nullptr) return absl::string_view::npos;
    const size_t q = static_cast<const char*>(hit) - line.data();
    size_t backslashes = 0;
    while (q - backslashes > from && line[q - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0 && LiteralAt(line, q, lit, final)) return q;
    pos = q + 1;
  }
  return absl::string_view::npos;
}

// Parses `line` with one compiled program; returns an error text or nullptr.
const char* RunProgram(const Program& prog, absl::string_view line, AccessRecord* r,
                       TimeMemo* memo) {
  ParseState st{memo};
  if (line.size() < prog.leading.size() ||
      std::memcmp(line.data(), prog.leading.data(), prog.leading.size()) != 0) {
    return "line does not start as the format does";
  }
  size_t pos = prog.leading.size();
  const size_t n = prog.vars.size();
  for (size_t i = 0; i < n; ++i) {
    const Variable& var = prog.vars[i];
    const bool last = i + 1 == n;
    const absl::string_view after = var.after;
    size_t end;
    if (after.empty()) {
      // The format ends with this variable: text takes the rest, a token stops at a blank.
      if (var.mode == ScanMode::kToken || var.mode == ScanMode::kTimeLocal) {
        const void* sp = std::memchr(line.data() + pos, ' ', line.size() - pos);
        end = sp == nullptr ? line.size() : static_cast<const char*>(sp) - line.data();
        if (var.mode == ScanMode::kTimeLocal && line.size() - pos >= 26) end = pos + 26;
      } else {
        end = line.size();
      }
    } else {
      switch (var.mode) {
        case ScanMode::kToken: {
          const char delim = after.front();
          end = pos;
          while (end < line.size() && line[end] != delim) {
            if (line[end] == ' ') return "unexpected blank inside a field";
            ++end;
          }
          if (end == line.size() || !LiteralAt(line, end, after, last)) {
            return "field separator not found";
          }
          break;
        }
        case ScanMode::kTimeLocal:
          end = line.size() - pos > 20 ? FindLiteral(line, pos + 20, after, last)
                                       : absl::string_view::npos;
          if (end == absl::string_view::npos) return "no end of time_local";
          break;
        case ScanMode::kQuoted:
          end = FindClosingQuote(line, pos, after, last);
          if (end == absl::string_view::npos) {
            return var.field == Field::kRequest ? "no closing quote after request"
                                                : "no closing quote";
          }
          break;
        case ScanMode::kText:
        default:
          end = FindLiteral(line, pos, after, last);
          if (end == absl::string_view::npos) return "field separator not found";
          break;
      }
    }
    if (const char* err = Assign(var.field, line.substr(pos, end - pos), r, &st)) return err;
    pos = end + after.size();
  }
  if (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') {
    return "unexpected text after the last field";
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// JSON lines: one flat object; nested values are skipped (bounded depth, no recursion).

constexpr int kMaxJsonDepth = 64;

struct JsonReader {
  const char* p;
  const char* end;
  char* out;  // decoded strings go here (a scratch buffer at least as long as the line)
  const char* error = nullptr;

  void SkipWs() {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  }

  bool Fail(const char* why) {
    error = why;
    return false;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool Hex4(const char* q, uint32_t* v) {
    if (end - q < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = Hex(q[i]);
      if (h < 0) return false;
      r = r << 4 | static_cast<uint32_t>(h);
    }
    *v = r;
    return true;
  }

  // At '"'. A string without escapes is a view of the line; one with escapes is decoded into
  // `out` (never longer than its escaped form). Lone surrogates become U+FFFD.
  bool String(absl::string_view* value) {
    ++p;
    const char* start = p;
    while (p < end && *p != '"' && *p != '\\') {
      if (static_cast<unsigned char>(*p) < 0x20) return Fail("control character in JSON string");
      ++p;
    }
    if (p == end) return Fail("unterminated JSON string");
    if (*p == '"') {
      *value = absl::string_view(start, p - start);
      ++p;
      return true;
    }
    char* dst = out;
    std::memcpy(out, start, p - start);
    out += p - start;
    while (true) {
      if (p == end) return Fail("unterminated JSON string");
      const char c = *p;
      if (c == '"') {
        ++p;
        break;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in JSON string");
      if (c != '\\') {
        *out++ = c;
        ++p;
        continue;
      }
      if (end - p < 2) return Fail("unterminated JSON string");
      const char e = p[1];
      p += 2;
      switch (e) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '/': *out++ = '/'; break;
        case 'b': *out++ = '\b'; break;
        case 'f': *out++ = '\f'; break;
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(p, &cp)) return Fail("bad \\u escape in JSON string");
          p += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && Hex4(p + 2, &low) &&
                low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              p += 6;
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          out += EncodeUtf8(cp, out);
          break;
        }
        default:
          return Fail("bad escape in JSON string");
      }
    }
    *value = absl::string_view(dst, out - dst);
    return true;
  }

  bool Number(absl::string_view* value) {
    const char* start = p;
    if (p < end && *p == '-') ++p;
    if (p == end || !absl::ascii_isdigit(static_cast<unsigned char>(*p))) {
      return Fail("bad JSON number");
    }
    if (*p == '0') {
      ++p;
    } else {
      while (p < end && absl::ascii_isdigit(static_cast<unsigned char>(*p))) ++p;
    }
    if (p < end && *p == '.') {
      ++p;
      if (p == end || !absl::ascii_isdigit(static_cast<unsigned char>(*p))) {
        return Fail("bad JSON number");
      }
      while (p < end && absl::ascii_isdigit(static_cast<unsigned char>(*p))) ++p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p < end && (*p == '+' || *p == '-')) ++p;
      if (p == end || !absl::ascii_isdigit(static_cast<unsigned char>(*p))) {
        return Fail("bad JSON number");
      }
      while (p < end && absl::ascii_isdigit(static_cast<unsigned char>(*p))) ++p;
    }
    *value = absl::string_view(start, p - start);
    return true;
  }

  // At '{' or '['; skips the whole nested value, checking that brackets pair up.
  bool SkipNested() {
    char stack[kMaxJsonDepth];
    int depth = 0;
    while (p < end) {
      const char c = *p;
      if (c == '{' || c == '[') {
        if (depth == kMaxJsonDepth) return Fail("JSON nested too deeply");
        stack[depth++] = c == '{' ? '}' : ']';
        ++p;
      } else if (c == '}' || c == ']') {
        if (stack[depth - 1] != c) return Fail("mismatched bracket in JSON");
        ++p;
        if (--depth == 0) return true;
      } else if (c == '"') {
        ++p;
        while (p < end && *p != '"') p += (*p == '\\' && p + 1 < end) ? 2 : 1;
        if (p >= end) return Fail("unterminated JSON string");
        ++p;
      } else {
        ++p;
      }
    }
    return Fail("unterminated nested JSON value");
  }

  bool Literal(const char* word, size_t n) {
    if (static_cast<size_t>(end - p) < n || std::memcmp(p, word, n) != 0) {
      return Fail("bad JSON value");
    }
    p += n;
    return true;
  }
};

enum class JsonKey : uint8_t {
  kOther,
  kClient,
  kUser,
  kTimeLocal,
  kTimeIso,
  kTimeAny,
  kMsec,
  kRequest,
  kMethod,
  kRequestUri,
  kUri,
  kArgs,
  kStatus,
  kBodyBytes,
  kBytes,
  kReferer,
  kUserAgent,
  kHost,
};

JsonKey JsonKeyOf(absl::string_view k) {
  struct Entry {
    const char* name;
    JsonKey key;
  };
  static constexpr Entry kKeys[] = {
      {"remote_addr", JsonKey::kClient},       {"remote_user", JsonKey::kUser},
      {"time_local", JsonKey::kTimeLocal},     {"time_iso8601", JsonKey::kTimeIso},
      {"time", JsonKey::kTimeAny},             {"@timestamp", JsonKey::kTimeAny},
      {"timestamp", JsonKey::kTimeAny},        {"msec", JsonKey::kMsec},
      {"request", JsonKey::kRequest},          {"request_method", JsonKey::kMethod},
      {"request_uri", JsonKey::kRequestUri},   {"uri", JsonKey::kUri},
      {"args", JsonKey::kArgs},                {"query_string", JsonKey::kArgs},
      {"status", JsonKey::kStatus},            {"body_bytes_sent", JsonKey::kBodyBytes},
      {"bytes_sent", JsonKey::kBytes},         {"http_referer", JsonKey::kReferer},
      {"http_user_agent", JsonKey::kUserAgent}, {"host", JsonKey::kHost},
      {"server_name", JsonKey::kHost},         {"http_host", JsonKey::kHost},
  };
  for (const Entry& e : kKeys) {
    if (k == e.name) return e.key;
  }
  return JsonKey::kOther;
}

// A time of any shape nginx or a log shipper writes.
bool ParseAnyTime(absl::string_view v, TimeMemo* memo, int64_t* out) {
  if (v.size() == 26 && v[2] == '/') return memo->Parse(TimeKind::kLocal, v, out);
  if (v.size() >= 19 && v[4] == '-') return memo->Parse(TimeKind::kIso, v, out);
  return ParseEpoch(v, out);
}

// `scratch` must hold at least 2 * line.size() + 1 bytes.
const char* ParseJson(absl::string_view line, char* scratch, AccessRecord* r, TimeMemo* memo) {
  JsonReader in{line.data(), line.data() + line.size(), scratch};
  in.SkipWs();
  if (in.p == in.end || *in.p != '{') return "not a JSON object";
  ++in.p;
  absl::string_view request, method, request_uri, uri, args, host;
  bool have_body_bytes = false;
  in.SkipWs();
  if (in.p < in.end && *in.p == '}') {
    ++in.p;
  } else {
    while (true) {
      in.SkipWs();
      if (in.p == in.end || *in.p != '"') return "expected a key in JSON object";
      absl::string_view key, value;
      if (!in.String(&key)) return in.error;
      in.SkipWs();
      if (in.p == in.end || *in.p != ':') return "expected ':' after JSON key";
      ++in.p;
      in.SkipWs();
      if (in.p == in.end) return "truncated JSON object";
      bool nested = false;
      switch (*in.p) {
        case '"':
          if (!in.String(&value)) return in.error;
          break;
        case '{':
        case '[':
          if (!in.SkipNested()) return in.error;
          nested = true;
          break;
        case 't':
          if (!in.Literal("true", 4)) return in.error;
          value = "true";
          break;
        case 'f':
          if (!in.Literal("false", 5)) return in.error;
          value = "false";
          break;
        case 'n':
          if (!in.Literal("null", 4)) return in.error;
          break;
        default:
          if (!in.Number(&value)) return in.error;
          break;
      }
      if (!nested) {
        switch (JsonKeyOf(key)) {
          case JsonKey::kOther:
            break;
          case JsonKey::kClient:
            r->client = Dash(value);
            break;
          case JsonKey::kUser:
            r->user = Dash(value);
            break;
          case JsonKey::kReferer:
            r->referer = Dash(value);
            break;
          case JsonKey::kUserAgent:
            r->user_agent = Dash(value);
            break;
          case JsonKey::kHost:
            if (host.empty()) host = Dash(value);
            break;
          case JsonKey::kRequest:
            request = value;
            break;
          case JsonKey::kMethod:
            method = Dash(value);
            break;
          case JsonKey::kRequestUri:
            request_uri = Dash(value);
            break;
          case JsonKey::kUri:
            uri = Dash(value);
            break;
          case JsonKey::kArgs:
            args = Dash(value);
            break;
          case JsonKey::kTimeLocal:
          case JsonKey::kTimeIso:
          case JsonKey::kTimeAny:
          case JsonKey::kMsec:
            if (value.empty() || value == "-") break;
            if (!ParseAnyTime(value, memo, &r->time_unix_s)) return "bad time in JSON line";
            r->time_known = true;
            break;
          case JsonKey::kStatus:
            if (value.empty()) break;
            if (!ParseStatus(value, &r->status)) return "non-numeric status";
            break;
          case JsonKey::kBodyBytes:
            if (value.empty()) break;
            if (!ParseBytes(value, &r->bytes)) return "non-numeric byte count";
            have_body_bytes = true;
            break;
          case JsonKey::kBytes: {
            int64_t n;
            if (value.empty()) break;
            if (!ParseBytes(value, &n)) return "non-numeric byte count";
            if (!have_body_bytes) r->bytes = n;
            break;
          }
        }
      }
      in.SkipWs();
      if (in.p == in.end) return "truncated JSON object";
      if (*in.p == ',') {
        ++in.p;
        continue;
      }
      if (*in.p == '}') {
        ++in.p;
        break;
      }
      return "expected ',' or '}' in JSON object";
    }
  }
  in.SkipWs();
  if (in.p != in.end) return "text after the JSON object";

  r->vhost = host;
  SplitRequest(request, r);
  if (r->method.empty()) r->method = method;
  if (r->target.empty()) {
    if (!request_uri.empty()) {
      r->target = request_uri;
    } else if (!uri.empty() && args.empty()) {
      r->target = uri;
    } else if (!uri.empty()) {
      // uri + '?' + args: fits behind the decoded strings (scratch holds 2 * line + 1).
      char* dst = in.out;
      std::memcpy(dst, uri.data(), uri.size());
      dst[uri.size()] = '?';
      std::memcpy(dst + uri.size() + 1, args.data(), args.size());
      r->target = absl::string_view(dst, uri.size() + 1 + args.size());
    }
  }
  if (r->client.empty() && r->target.empty() && r->method.empty()) {
    return "JSON object has no remote_addr or request";
  }
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct LogFormat::Impl {
  std::string name;
  Kind kind = Kind::kText;
  Program program;                    // kText
  std::vector<Program> alternatives;  // kAuto: combined, vhost_combined, common
};

absl::StatusOr<LogFormat> LogFormat::FromName(absl::string_view name) {
  auto impl = std::make_shared<Impl>();
  impl->name = std::string(name);
  auto compile = [](const char* text) {
    absl::StatusOr<Program> p = Compile(text);
    return *std::move(p);  // the built-in formats always compile
  };
  if (name == "combined") {
    impl->program = compile(kCombinedFormat);
  } else if (name == "common") {
    impl->program = compile(kCommonFormat);
  } else if (name == "vhost_combined") {
    impl->program = compile(kVhostCombinedFormat);
  } else if (name == "json") {
    impl->kind = Kind::kJson;
  } else if (name == "auto") {
    impl->kind = Kind::kAuto;
    impl->alternatives.push_back(compile(kCombinedFormat));
    impl->alternatives.push_back(compile(kVhostCombinedFormat));
    impl->alternatives.push_back(compile(kCommonFormat));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format \"", name,
                     "\"; accepted: combined, common, vhost_combined, json, auto (or an nginx "
                     "log_format string)"));
  }
  return LogFormat(std::move(impl));
}

absl::StatusOr<LogFormat> LogFormat::FromConfig(absl::string_view format,
                                                absl::string_view log_format) {
  return format == "nginx" ? FromNginx(log_format) : FromName(format);
}

absl::StatusOr<LogFormat> LogFormat::FromNginx(absl::string_view log_format) {
  PANTAU_ASSIGN_OR_RETURN(Program program, Compile(log_format));
  auto impl = std::make_shared<Impl>();
  impl->name = "nginx";
  impl->program = std::move(program);
  return LogFormat(std::move(impl));
}

const std::string& LogFormat::name() const { return impl_->name; }

// Per-parser state behind the header's opaque pointer: the one-entry time cache, and the
// compiled format (LogFormat::impl() returns a shared_ptr by value; copying it per line would
// cost two atomic operations; format_ keeps it alive).
struct AccessLogParser::TimeCache {
  TimeMemo memo;
  const LogFormat::Impl* impl = nullptr;
};

AccessLogParser::AccessLogParser(LogFormat format)
    : format_(std::move(format)), time_cache_(std::make_unique<TimeCache>()) {
  time_cache_->impl = format_.impl().get();
}

AccessLogParser::~AccessLogParser() = default;

namespace {
// Field by field: `*r = AccessRecord()` made GCC emit 8-byte stores followed by 16-byte
// reloads (store-forwarding stalls, ~30 ns a line), and copying a static empty record became
// `rep stos`, slow to start for a 200-byte record.
inline void Reset(AccessRecord* r) {
  const absl::string_view empty;
  r->client = r->vhost = r->user = empty;
  r->method = r->target = r->protocol = empty;
  r->referer = r->user_agent = empty;
  r->time_unix_s = 0;
  r->time_known = false;
  r->status = 0;
  r->bytes = 0;
}
const ErrorRecord kEmptyErrorRecord{};
}  // namespace

bool AccessLogParser::Parse(absl::string_view line, AccessRecord* record) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Reset(record);
  if (line.empty()) {
    last_error_.assign("empty line");
    return false;
  }
  const LogFormat::Impl& impl = *time_cache_->impl;
  const char* error = nullptr;
  auto json = [&]() {
    if (scratch_.size() < 2 * line.size() + 1) scratch_.resize(2 * line.size() + 1);
    return ParseJson(line, scratch_.data(), record, &time_cache_->memo);
  };
  switch (impl.kind) {
    case Kind::kText:
      error = RunProgram(impl.program, line, record, &time_cache_->memo);
      break;
    case Kind::kJson:
      error = json();
      break;
    case Kind::kAuto: {
      size_t i = 0;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] == '{') {
        error = json();
        break;
      }
      for (const Program& p : impl.alternatives) {
        error = RunProgram(p, line, record, &time_cache_->memo);
        if (error == nullptr) break;
        Reset(record);
      }
      if (error != nullptr) error = "matches none of combined, vhost_combined, common, json";
      break;
    }
  }
  if (error != nullptr) {
    Reset(record);
    last_error_.assign(error);
    return false;
  }
  last_error_.clear();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Error logs.

namespace {

bool IsLevelChar(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c));
}

// Removes ":port" from "1.2.3.4:5678" (one colon), and from IPv6 "2001:db8::1:5678" when the
// writer always appends a port (Apache 2.4).
absl::string_view StripPort(absl::string_view addr, bool always_port) {
  const size_t colon = addr.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 == addr.size()) return addr;
  for (size_t i = colon + 1; i < addr.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(addr[i]))) return addr;
  }
  const bool one_colon = addr.find(':') == colon;
  if (one_colon || always_port) return addr.substr(0, colon);
  return addr;
}

// nginx: "2024/01/31 23:59:59 [error] 12#12: *3 message, client: 1.2.3.4, ..."
const char* ParseNginxError(absl::string_view line, int utc_offset, ErrorRecord* r) {
  const char* p = line.data();
  int y, mo, d, h, mi, s;
  if (line.size() < 22 || p[4] != '/' || p[7] != '/' || p[10] != ' ' || p[13] != ':' ||
      p[16] != ':' || p[19] != ' ' || p[20] != '[' || !Digits(p, 4, &y) ||
      !Digits(p + 5, 2, &mo) || !Digits(p + 8, 2, &d) || !Digits(p + 11, 2, &h) ||
      !Digits(p + 14, 2, &mi) || !Digits(p + 17, 2, &s)) {
    return "not an nginx error line";
  }
  int64_t local;
  if (!ComposeTime(y, mo, d, h, mi, s, &local)) return "bad time in error line";
  size_t i = 21;
  const size_t level_start = i;
  while (i < line.size() && IsLevelChar(line[i])) ++i;
  if (i == level_start || i + 1 >= line.size() || line[i] != ']' || line[i + 1] != ' ') {
    return "bad level in error line";
  }
  r->level = line.substr(level_start, i - level_start);
  i += 2;
  // pid#tid:
  const size_t pid_start = i;
  while (i < line.size() && absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) ++i;
  if (i == pid_start || i >= line.size() || line[i] != '#') return "no pid#tid in error line";
  ++i;
  const size_t tid_start = i;
  while (i < line.size() && absl::ascii_isdigit(static_cast<unsigned char>(line[i]))) ++i;
  if (i == tid_start || i >= line.size() || line[i] != ':') return "no pid#tid in error line";
  ++i;
  if (i < line.size() && line[i] == ' ') ++i;
  // Optional connection number "*3 ".
  if (i < line.size() && line[i] == '*') {
    size_t j = i + 1;
    while (j < line.size() && absl::ascii_isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i + 1 && (j == line.size() || line[j] == ' ')) i = j < line.size() ? j + 1 : j;
  }
  r->message = line.substr(i);
  r->time_unix_s = local - utc_offset;
  r->time_known = true;

  const absl::string_view msg = r->message;
  constexpr absl::string_view kClient = ", client: ";
  const size_t c = msg.find(kClient);
  if (c != absl::string_view::npos) {
    const size_t start = c + kClient.size();
    size_t end = msg.find(',', start);
    if (end == absl::string_view::npos) end = msg.size();
    r->client = msg.substr(start, end - start);
  }
  constexpr absl::string_view kRequest = ", request: \"";
  const size_t q = msg.find(kRequest);
  if (q != absl::string_view::npos) {
    const size_t start = q + kRequest.size();
    size_t pos = start;
    while (true) {
      const size_t close = msg.find('"', pos);
      if (close == absl::string_view::npos) break;
      if (close + 1 == msg.size() || msg[close + 1] == ',') {
        r->request = msg.substr(start, close - start);
        break;
      }
      pos = close + 1;
    }
  }
  return nullptr;
}

// "Wed Oct 11 14:32:52 2000" / "Wed Jan 31 23:59:59.123456 2024" → local seconds.
bool ParseApacheTime(absl::string_view t, int64_t* out) {
  if (t.size() < 24) return false;
  const char* p = t.data();
  if (!absl::ascii_isalpha(static_cast<unsigned char>(p[0])) || p[3] != ' ' || p[7] != ' ' ||
      p[10] != ' ' || p[13] != ':' || p[16] != ':') {
    return false;
  }
  const int mo = MonthOf(p + 4);
  int d, h, mi, s, y;
  const char day[2] = {p[8] == ' ' ? '0' : p[8], p[9]};
  if (mo == 0 || !Digits(day, 2, &d) || !Digits(p + 11, 2, &h) || !Digits(p + 14, 2, &mi) ||
      !Digits(p + 17, 2, &s)) {
    return false;
  }
  size_t i = 19;
  if (t[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < t.size() && absl::ascii_isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start) return false;
  }
  if (t.size() != i + 5 || t[i] != ' ' || !Digits(p + i + 1, 4, &y)) return false;
  return ComposeTime(y, mo, d, h, mi, s, out);
}

// Apache 2.4 "[time] [module:level] [pid N:tid M] [client a:p] msg", 2.2 "[time] [level]
// [client a] msg". Apache writes local time too, so the same offset applies.
const char* ParseApacheError(absl::string_view line, int utc_offset, ErrorRecord* r) {
  const size_t close = line.find(']');
  if (close == absl::string_view::npos) return "not an Apache error line";
  int64_t local;
  if (!ParseApacheTime(line.substr(1, close - 1), &local)) return "bad time in error line";
  size_t i = close + 1;
  if (line.size() - i < 3 || line[i] != ' ' || line[i + 1] != '[') {
    return "no level in error line";
  }
  i += 2;
  const size_t level_end = line.find(']', i);
  if (level_end == absl::string_view::npos) return "no level in error line";
  absl::string_view level = line.substr(i, level_end - i);
  const bool v24 = level.find(':') != absl::string_view::npos;
  if (v24) level = level.substr(level.rfind(':') + 1);
  if (level.empty()) return "bad level in error line";
  for (char c : level) {
    if (!IsLevelChar(c)) return "bad level in error line";
  }
  r->level = level;
  i = level_end + 1;
  // Bracketed fields Apache adds before the message.
  while (line.size() - i >= 2 && line[i] == ' ' && line[i + 1] == '[') {
    const size_t end = line.find(']', i + 2);
    if (end == absl::string_view::npos) break;
    absl::string_view inner = line.substr(i + 2, end - i - 2);
    if (absl::StartsWith(inner, "client ")) {
      r->client = StripPort(inner.substr(7), v24);
    } else if (!absl::StartsWith(inner, "pid ") && !absl::StartsWith(inner, "remote ") &&
               !absl::StartsWith(inner, "tid ")) {
      break;
    }
    i = end + 1;
  }
  if (i < line.size() && line[i] == ' ') ++i;
  r->message = line.substr(i);
  r->time_unix_s = local - utc_offset;
  r->time_known = true;
  return nullptr;
}

}  // namespace

bool ErrorLogParser::Parse(absl::string_view line, ErrorRecord* record) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  *record = kEmptyErrorRecord;
  const char* error;
  if (line.empty()) {
    error = "empty line";
  } else if (line[0] == '[') {
    error = ParseApacheError(line, utc_offset_seconds_, record);
  } else if (absl::ascii_isdigit(static_cast<unsigned char>(line[0]))) {
    error = ParseNginxError(line, utc_offset_seconds_, record);
  } else {
    error = "not an nginx or Apache error line";
  }
  if (error != nullptr) {
    *record = kEmptyErrorRecord;
    last_error_.assign(error);
    return false;
  }
  last_error_.clear();
  return true;
}

}  // namespace pantau::agent::logwatch
