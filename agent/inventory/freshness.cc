#include "agent/inventory/freshness.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/inventory/xml_scan.h"

namespace pantau::agent {
namespace {

constexpr size_t kMaxFeedBytes = 10 << 20;
constexpr int kMaxFeedDates = 10000;
constexpr size_t kMaxWpJsonBytes = 4 << 20;
constexpr size_t kMaxDateTextBytes = 128;

struct NamedValue {
  const char* name;
  int value;
};

// Indonesian and English month names and abbreviations, lower-case.
constexpr std::array<NamedValue, 43> kMonths = {{
    {"januari", 1},   {"january", 1},  {"jan", 1},       {"februari", 2},  {"pebruari", 2},
    {"february", 2},  {"feb", 2},      {"peb", 2},       {"maret", 3},     {"march", 3},
    {"mar", 3},       {"april", 4},    {"apr", 4},       {"mei", 5},       {"may", 5},
    {"juni", 6},      {"june", 6},     {"jun", 6},       {"juli", 7},      {"july", 7},
    {"jul", 7},       {"agustus", 8},  {"august", 8},    {"agu", 8},       {"agt", 8},
    {"ags", 8},       {"aug", 8},      {"september", 9}, {"sept", 9},      {"sep", 9},
    {"oktober", 10},  {"october", 10}, {"okt", 10},      {"oct", 10},      {"november", 11},
    {"nopember", 11}, {"nov", 11},     {"nop", 11},      {"desember", 12}, {"december", 12},
    {"des", 12},      {"dec", 12},     {"agust", 8},
}};

constexpr std::array<const char*, 21> kWeekdays = {
    "mon",    "tue",     "wed",       "thu",      "fri",    "sat",      "sun",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "senin",  "selasa",  "rabu",      "kamis",    "jumat",  "sabtu",    "minggu"};

// Zone names seen in feeds and HTTP headers, with their offset in hours.
constexpr std::array<NamedValue, 15> kZones = {{
    {"gmt", 0},
    {"ut", 0},
    {"utc", 0},
    {"z", 0},
    {"est", -5},
    {"edt", -4},
    {"cst", -6},
    {"cdt", -5},
    {"mst", -7},
    {"mdt", -6},
    {"pst", -8},
    {"pdt", -7},
    {"wib", 7},
    {"wita", 8},
    {"wit", 9},
}};

int MonthFromWord(absl::string_view word) {
  if (word.size() > 10) return 0;
  for (const NamedValue& m : kMonths) {
    if (absl::EqualsIgnoreCase(word, m.name)) return m.value;
  }
  return 0;
}

bool IsWeekday(absl::string_view word) {
  for (const char* w : kWeekdays) {
    if (absl::EqualsIgnoreCase(word, w)) return true;
  }
  return false;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

int Digits(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// A valid calendar date with the given fields, or nothing (31/02, month 13, ...).
std::optional<absl::CivilDay> MakeDay(int64_t y, int m, int d) {
  if (m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return std::nullopt;
  return day;
}

// A valid civil second with an offset from UTC, as an absl::Time.
std::optional<absl::Time> MakeTime(int64_t y, int mo, int d, int h, int mi, int s,
                                   int offset_seconds) {
  if (!MakeDay(y, mo, d) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  if (s == 60) s = 59;  // a leap second
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone()) -
         absl::Seconds(offset_seconds);
}

bool Plausible(absl::Time t) {
  static const absl::Time kFirst = absl::FromCivil(absl::CivilDay(1995, 1, 1), absl::UTCTimeZone());
  static const absl::Time kLast = absl::FromCivil(absl::CivilDay(2101, 1, 1), absl::UTCTimeZone());
  return t >= kFirst && t < kLast;
}

void KeepNewest(std::optional<absl::Time> t, std::optional<absl::Time>* newest) {
  if (t && Plausible(*t) && (!*newest || *t > **newest)) *newest = t;
}

// "+0700", "-07:00", "+07": seconds east of UTC; false when `s` is none of those.
bool ParseOffset(absl::string_view s, int* seconds) {
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return false;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  int hours, minutes = 0;
  if (s.size() == 2 && AllDigits(s)) {
    hours = Digits(s);
  } else if (s.size() == 4 && AllDigits(s)) {
    hours = Digits(s.substr(0, 2));
    minutes = Digits(s.substr(2));
  } else if (s.size() == 5 && s[2] == ':' && AllDigits(s.substr(0, 2)) && AllDigits(s.substr(3))) {
    hours = Digits(s.substr(0, 2));
    minutes = Digits(s.substr(3));
  } else {
    return false;
  }
  if (hours > 14 || minutes > 59) return false;
  *seconds = sign * (hours * 3600 + minutes * 60);
  return true;
}

// "08:49:37" or "08:49".
bool ParseClock(absl::string_view s, int* h, int* m, int* sec) {
  const std::vector<absl::string_view> parts = absl::StrSplit(s, ':');
  if (parts.size() < 2 || parts.size() > 3) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 2 || !AllDigits(p)) return false;
  }
  *h = Digits(parts[0]);
  *m = Digits(parts[1]);
  *sec = parts.size() == 3 ? Digits(parts[2]) : 0;
  return true;
}

// --- Dates in page text ---

bool IsSeparatorOf(char c, absl::string_view set) { return set.find(c) != absl::string_view::npos; }

size_t DigitRun(absl::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && absl::ascii_isdigit(s[j])) ++j;
  return j - i;
}

size_t AlphaRun(absl::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && absl::ascii_isalpha(s[j])) ++j;
  return j - i;
}

// Skips up to `max_units` separators from `allowed` (a ' ' there also admits other ASCII
// whitespace and U+00A0). Returns the new index.
size_t SkipSeparators(absl::string_view s, size_t i, absl::string_view allowed, int max_units) {
  const bool spaces = IsSeparatorOf(' ', allowed);
  for (int n = 0; n < max_units && i < s.size(); ++n) {
    if (spaces && absl::ascii_isspace(s[i])) {
      ++i;
    } else if (spaces && s[i] == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
      i += 2;
    } else if (IsSeparatorOf(s[i], allowed)) {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

// After a numeric date ending at `end`: no more digits, and no separator leading to digits
// ("25/11/2026/3" is part of something longer).
bool CleanNumericEnd(absl::string_view s, size_t end) {
  if (end >= s.size()) return true;
  if (absl::ascii_isdigit(s[end])) return false;
  return !(IsSeparatorOf(s[end], "/-.") && end + 1 < s.size() && absl::ascii_isdigit(s[end + 1]));
}

class DateScanner {
 public:
  DateScanner(absl::string_view text, const DateScanLimits& limits)
      : s_(text.substr(0, static_cast<size_t>(std::max<int64_t>(limits.max_input_bytes, 0)))),
        max_dates_(static_cast<size_t>(std::max(limits.max_dates, 0))) {}

  std::vector<absl::CivilDay> Run() {
    size_t i = 0;
    while (i < s_.size() && dates_.size() < max_dates_) {
      const char c = s_[i];
      const bool word_start = i == 0 || !absl::ascii_isalnum(s_[i - 1]);
      if (absl::ascii_isdigit(c) && word_start) {
        const size_t run = DigitRun(s_, i);
        size_t end = 0;
        const bool numeric_ok = i == 0 || !IsSeparatorOf(s_[i - 1], "/-.");
        if ((numeric_ok && (TryDayMonthYear(i, run, &end) || TryYearMonthDay(i, run, &end))) ||
            TryDayMonthNameYear(i, run, &end)) {
          i = end;
        } else {
          i += run;
        }
      } else if (absl::ascii_isalpha(c) && word_start) {
        const size_t run = AlphaRun(s_, i);
        size_t end = 0;
        i = TryMonthNameDayYear(i, run, &end) ? end : i + run;
      } else {
        ++i;
      }
    }
    return std::move(dates_);
  }

 private:
  bool Add(std::optional<absl::CivilDay> day) {
    if (!day || day->year() < 2000 || day->year() > 2100) return false;
    dates_.push_back(*day);
    return true;
  }

  // 25/11/2026, 25-11-2026, 25.11.2026 (and 11/25/2026 when day-first is impossible).
  bool TryDayMonthYear(size_t i, size_t run, size_t* end) {
    if (run < 1 || run > 2) return false;
    size_t p = i + run;
    if (p >= s_.size() || !IsSeparatorOf(s_[p], "/-.")) return false;
    const char sep = s_[p++];
    const size_t month_run = DigitRun(s_, p);
    if (month_run < 1 || month_run > 2) return false;
    const size_t month_at = p;
    p += month_run;
    if (p >= s_.size() || s_[p] != sep) return false;
    ++p;
    if (DigitRun(s_, p) != 4) return false;
    const int year = Digits(s_.substr(p, 4));
    p += 4;
    if (!CleanNumericEnd(s_, p)) return false;
    const int a = Digits(s_.substr(i, run));
    const int b = Digits(s_.substr(month_at, month_run));
    std::optional<absl::CivilDay> day = MakeDay(year, b, a);
    if (!day) day = MakeDay(year, a, b);
    if (!Add(day)) return false;
    *end = p;
    return true;
  }

  // 2026-11-25, 2026/11/25, 2026.11.25.
  bool TryYearMonthDay(size_t i, size_t run, size_t* end) {
    if (run != 4) return false;
    size_t p = i + 4;
    if (p >= s_.size() || !IsSeparatorOf(s_[p], "/-.")) return false;
    const char sep = s_[p++];
    const size_t month_run = DigitRun(s_, p);
    if (month_run < 1 || month_run > 2) return false;
    const int month = Digits(s_.substr(p, month_run));
    p += month_run;
    if (p >= s_.size() || s_[p] != sep) return false;
    ++p;
    const size_t day_run = DigitRun(s_, p);
    if (day_run < 1 || day_run > 2) return false;
    const int day = Digits(s_.substr(p, day_run));
    p += day_run;
    if (!CleanNumericEnd(s_, p)) return false;
    if (!Add(MakeDay(Digits(s_.substr(i, 4)), month, day))) return false;
    *end = p;
    return true;
  }

  // 25 November 2026, 25 Nov. 2026, 25-Nov-2026, 25 Nopember, 2026.
  bool TryDayMonthNameYear(size_t i, size_t run, size_t* end) {
    if (run < 1 || run > 2) return false;
    size_t p = SkipSeparators(s_, i + run, " -.", 4);
    if (p == i + run) return false;
    const size_t word = AlphaRun(s_, p);
    const int month = MonthFromWord(s_.substr(p, word));
    if (month == 0) return false;
    p += word;
    if (p < s_.size() && s_[p] == '.') ++p;
    const size_t after_month = p;
    p = SkipSeparators(s_, p, " ,-", 4);
    if (p == after_month || DigitRun(s_, p) != 4) return false;
    if (!Add(MakeDay(Digits(s_.substr(p, 4)), month, Digits(s_.substr(i, run))))) return false;
    *end = p + 4;
    return true;
  }

  // November 25, 2026; Nov 25 2026; Nov. 25th, 2026.
  bool TryMonthNameDayYear(size_t i, size_t run, size_t* end) {
    const int month = MonthFromWord(s_.substr(i, run));
    if (month == 0) return false;
    size_t p = i + run;
    if (p < s_.size() && s_[p] == '.') ++p;
    const size_t after_month = p;
    p = SkipSeparators(s_, p, " ", 4);
    if (p == after_month) return false;
    const size_t day_run = DigitRun(s_, p);
    if (day_run < 1 || day_run > 2) return false;
    const int day = Digits(s_.substr(p, day_run));
    p += day_run;
    const absl::string_view rest = s_.substr(p);
    if (absl::StartsWithIgnoreCase(rest, "st") || absl::StartsWithIgnoreCase(rest, "nd") ||
        absl::StartsWithIgnoreCase(rest, "rd") || absl::StartsWithIgnoreCase(rest, "th")) {
      p += 2;
    }
    if (p < s_.size() && absl::ascii_isalnum(s_[p])) return false;
    const size_t after_day = p;
    p = SkipSeparators(s_, p, " ,", 4);
    if (p == after_day || DigitRun(s_, p) != 4) return false;
    if (!Add(MakeDay(Digits(s_.substr(p, 4)), month, day))) return false;
    *end = p + 4;
    return true;
  }

  absl::string_view s_;
  size_t max_dates_;
  std::vector<absl::CivilDay> dates_;
};

}  // namespace

std::optional<absl::Time> ParseHttpDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || text.size() > 100) return std::nullopt;
  std::vector<absl::string_view> tokens;
  for (absl::string_view t : absl::StrSplit(text, absl::ByAnyChar(" \t,"), absl::SkipEmpty())) {
    if (t[0] == '+' || t[0] == '-' || t.find('-') == absl::string_view::npos) {
      tokens.push_back(t);
      continue;
    }
    for (absl::string_view part : absl::StrSplit(t, '-')) tokens.push_back(part);  // 06-Nov-94
  }
  int day = -1, month = 0, hour = 0, minute = 0, second = 0, offset = 0;
  int64_t year = -1;
  bool have_clock = false, have_zone = false;
  for (absl::string_view t : tokens) {
    if (t.empty()) return std::nullopt;
    if (t.find(':') != absl::string_view::npos && absl::ascii_isdigit(t[0])) {
      if (have_clock || !ParseClock(t, &hour, &minute, &second)) return std::nullopt;
      have_clock = true;
    } else if (t[0] == '+' || t[0] == '-') {
      if (have_zone || !ParseOffset(t, &offset)) return std::nullopt;
      have_zone = true;
    } else if (AllDigits(t)) {
      if (t.size() == 4 && year < 0) {
        year = Digits(t);
      } else if (t.size() <= 2 && day < 0) {
        day = Digits(t);
      } else if (t.size() == 2 && year < 0) {
        const int yy = Digits(t);
        year = yy < 70 ? 2000 + yy : 1900 + yy;
      } else {
        return std::nullopt;
      }
    } else if (const int m = MonthFromWord(t); m != 0 && month == 0) {
      month = m;
    } else if (IsWeekday(t)) {
      continue;
    } else {
      bool zone = false;
      for (const NamedValue& z : kZones) {
        if (absl::EqualsIgnoreCase(t, z.name)) {
          offset = z.value * 3600;
          zone = true;
        }
      }
      if (!zone || have_zone) return std::nullopt;
      have_zone = true;
    }
  }
  if (day < 0 || month == 0 || year < 0) return std::nullopt;
  return MakeTime(year, month, day, hour, minute, second, offset);
}

std::optional<absl::Time> ParseW3cDateTime(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() > 64) return std::nullopt;
  size_t p = 0;
  auto number = [&](size_t width, int* out) {
    if (p + width > text.size() || !AllDigits(text.substr(p, width))) return false;
    *out = Digits(text.substr(p, width));
    p += width;
    return true;
  };
  auto literal = [&](char c) {
    if (p < text.size() && text[p] == c) {
      ++p;
      return true;
    }
    return false;
  };
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, offset = 0;
  if (!number(4, &year)) return std::nullopt;
  if (literal('-')) {
    if (!number(2, &month)) return std::nullopt;
    if (literal('-') && !number(2, &day)) return std::nullopt;
  }
  if (p < text.size() && (text[p] == 'T' || text[p] == 't' || text[p] == ' ')) {
    ++p;
    if (!number(2, &hour) || !literal(':') || !number(2, &minute)) return std::nullopt;
    if (literal(':')) {
      if (!number(2, &second)) return std::nullopt;
      if (literal('.') || literal(',')) {
        const size_t start = p;
        while (p < text.size() && absl::ascii_isdigit(text[p])) ++p;
        if (p == start) return std::nullopt;
      }
    }
    const absl::string_view zone = text.substr(p);
    if (zone == "Z" || zone == "z") {
      p = text.size();
    } else if (!zone.empty()) {
      if (!ParseOffset(zone, &offset)) return std::nullopt;
      p = text.size();
    }
  }
  if (p != text.size()) return std::nullopt;
  return MakeTime(year, month, day, hour, minute, second, offset);
}

std::optional<absl::Time> NewestFeedDate(absl::string_view xml) {
  xml = xml.substr(0, kMaxFeedBytes);
  std::optional<absl::Time> newest;
  XmlScanner scanner(xml);
  XmlToken token;
  bool in_date = false;
  int dates = 0;
  std::string value;
  auto finish = [&] {
    if (!in_date) return;
    in_date = false;
    ++dates;
    std::optional<absl::Time> t = ParseW3cDateTime(value);
    if (!t) t = ParseHttpDate(value);
    KeepNewest(t, &newest);
    value.clear();
  };
  while (scanner.Next(&token) && dates < kMaxFeedDates) {
    if (token.kind == XmlToken::Kind::kText) {
      if (in_date) AppendXmlText(token, kMaxDateTextBytes, &value);
      continue;
    }
    finish();
    if (token.kind == XmlToken::Kind::kStartTag && !token.self_closing) {
      const absl::string_view n = token.name;
      in_date = absl::EqualsIgnoreCase(n, "pubDate") ||
                absl::EqualsIgnoreCase(n, "lastBuildDate") ||
                absl::EqualsIgnoreCase(n, "updated") || absl::EqualsIgnoreCase(n, "published") ||
                absl::EqualsIgnoreCase(n, "date");
    }
  }
  finish();
  return newest;
}

std::optional<absl::Time> NewestWpJsonPostDate(absl::string_view json) {
  json = json.substr(0, kMaxWpJsonBytes);
  absl::ConsumePrefix(&json, "\xEF\xBB\xBF");
  json = absl::StripLeadingAsciiWhitespace(json);
  if (json.empty() || json[0] != '[') return std::nullopt;
  std::optional<absl::Time> newest;
  constexpr absl::string_view kSuffix = "_gmt\"";
  size_t pos = 0;
  while ((pos = json.find(kSuffix, pos)) != absl::string_view::npos) {
    const absl::string_view before = json.substr(0, pos);
    pos += kSuffix.size();
    if (!absl::EndsWith(before, "\"date") && !absl::EndsWith(before, "\"modified")) continue;
    size_t p = pos;
    while (p < json.size() && absl::ascii_isspace(json[p])) ++p;
    if (p >= json.size() || json[p] != ':') continue;
    ++p;
    while (p < json.size() && absl::ascii_isspace(json[p])) ++p;
    if (p >= json.size() || json[p] != '"') continue;
    ++p;
    const size_t close = json.find('"', p);
    if (close == absl::string_view::npos || close - p > 40) continue;
    KeepNewest(ParseW3cDateTime(json.substr(p, close - p)), &newest);
    pos = close + 1;
  }
  return newest;
}

std::optional<absl::Time> NewestSitemapLastmod(const SitemapDoc& doc) {
  std::optional<absl::Time> newest;
  for (const SitemapEntry& e : doc.entries) KeepNewest(e.lastmod, &newest);
  return newest;
}

std::vector<absl::CivilDay> FindDates(absl::string_view text, const DateScanLimits& limits) {
  return DateScanner(text, limits).Run();
}

std::optional<absl::CivilDay> NewestDate(absl::string_view text, absl::CivilDay today,
                                         const DateScanLimits& limits) {
  std::optional<absl::CivilDay> newest;
  for (absl::CivilDay d : FindDates(text, limits)) {
    if (d <= today + 1 && (!newest || d > *newest)) newest = d;
  }
  return newest;
}

bool HasDateOnOrAfter(absl::string_view text, absl::CivilDay today, const DateScanLimits& limits) {
  for (absl::CivilDay d : FindDates(text, limits)) {
    if (d >= today && d <= today + 366) return true;
  }
  return false;
}

absl::string_view FreshnessSourceName(FreshnessSource source) {
  switch (source) {
    case FreshnessSource::kWpJson:
      return "wp_json";
    case FreshnessSource::kFeed:
      return "feed";
    case FreshnessSource::kSitemapLastmod:
      return "sitemap_lastmod";
    case FreshnessSource::kLastModified:
      return "last_modified";
    case FreshnessSource::kListingDate:
      return "listing_date";
    case FreshnessSource::kListingHash:
      return "listing_hash";
  }
  return "unknown";
}

FreshnessResult PickFreshness(const FreshnessInputs& inputs, absl::Time now, absl::TimeZone tz) {
  std::optional<absl::Time> listing;
  if (inputs.listing_date) listing = absl::FromCivil(*inputs.listing_date, tz);
  std::optional<absl::Time> last_modified = inputs.last_modified;
  if (last_modified && absl::AbsDuration(now - *last_modified) < absl::Minutes(1)) {
    last_modified.reset();  // stamped at generation time: says nothing about content
  }
  const std::pair<FreshnessSource, const std::optional<absl::Time>*> candidates[] = {
      {FreshnessSource::kWpJson, &inputs.wp_json},
      {FreshnessSource::kFeed, &inputs.feed},
      {FreshnessSource::kSitemapLastmod, &inputs.sitemap_lastmod},
      {FreshnessSource::kLastModified, &last_modified},
      {FreshnessSource::kListingDate, &listing},
      {FreshnessSource::kListingHash, &inputs.listing_hash_changed},
  };
  static const absl::Time kEarliest =
      absl::FromCivil(absl::CivilDay(1995, 1, 1), absl::UTCTimeZone());
  FreshnessResult result;
  for (const auto& [source, value] : candidates) {
    if (!value->has_value()) continue;
    const absl::Time t = **value;
    if (t < kEarliest || t > now + absl::Hours(24)) continue;
    result.known = true;
    result.source = source;
    result.newest = t;
    result.age_days = std::max<int64_t>(0, absl::ToInt64Hours(now - t) / 24);
    return result;
  }
  return result;
}

}  // namespace pantau::agent
