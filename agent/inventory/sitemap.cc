#include "agent/inventory/sitemap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/inventory/freshness.h"
#include "agent/inventory/resolve_url.h"
#include "agent/inventory/xml_scan.h"
#include "re2/re2.h"

namespace pantau::agent {
namespace {

constexpr size_t kMaxRobotsBytes = 512 << 10;
constexpr size_t kMaxRobotsSitemaps = 50;
constexpr size_t kMaxStoredUrlBytes = 2048;
constexpr absl::string_view kSnapshotHeader = "pantau-sitemap-snapshot 1";
constexpr size_t kMaxSnapshotBytes = 16 << 20;

absl::string_view StripBom(absl::string_view s) {
  absl::ConsumePrefix(&s, "\xEF\xBB\xBF");
  return s;
}

// A URL fit to be kept in a snapshot: one line, no spaces or control bytes, bounded.
bool StorableUrl(absl::string_view url) {
  if (url.empty() || url.size() > kMaxStoredUrlBytes) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F) return false;
  }
  return true;
}

uint64_t Fnv1a64(absl::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

SitemapDoc ParseTextSitemap(absl::string_view text, const SitemapLimits& limits) {
  SitemapDoc doc;
  doc.kind = SitemapKind::kText;
  for (absl::string_view line : absl::StrSplit(text, absl::ByAnyChar("\r\n"))) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (!absl::StartsWithIgnoreCase(line, "http://") &&
        !absl::StartsWithIgnoreCase(line, "https://")) {
      continue;
    }
    if (line.size() > static_cast<size_t>(limits.max_loc_bytes)) continue;
    if (doc.entries.size() >= static_cast<size_t>(limits.max_entries)) {
      doc.truncated = true;
      break;
    }
    doc.entries.push_back({std::string(line), std::nullopt});
  }
  return doc;
}

}  // namespace

std::vector<std::string> SitemapUrlsFromRobots(absl::string_view robots_txt) {
  std::vector<std::string> urls;
  robots_txt = StripBom(robots_txt.substr(0, kMaxRobotsBytes));
  for (absl::string_view line : absl::StrSplit(robots_txt, absl::ByAnyChar("\r\n"))) {
    const size_t comment = line.find('#');
    if (comment != absl::string_view::npos) line = line.substr(0, comment);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)), "sitemap")) {
      continue;
    }
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    const size_t space = value.find_first_of(" \t");
    if (space != absl::string_view::npos) value = value.substr(0, space);
    if (value.empty()) continue;
    if (std::find(urls.begin(), urls.end(), value) != urls.end()) continue;
    urls.emplace_back(value);
    if (urls.size() >= kMaxRobotsSitemaps) break;
  }
  return urls;
}

SitemapDoc ParseSitemap(absl::string_view xml, const SitemapLimits& limits) {
  bool truncated = false;
  if (limits.max_input_bytes >= 0 && xml.size() > static_cast<size_t>(limits.max_input_bytes)) {
    xml = xml.substr(0, static_cast<size_t>(limits.max_input_bytes));
    truncated = true;
  }
  xml = StripBom(xml);
  if (absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(xml), "http")) {
    SitemapDoc doc = ParseTextSitemap(xml, limits);
    doc.truncated = doc.truncated || truncated;
    return doc;
  }

  SitemapDoc doc;
  doc.truncated = truncated;
  enum class Field { kNone, kLoc, kLastmod };
  Field field = Field::kNone;
  absl::string_view entry_name;  // "url" or "sitemap" once the root is known
  int depth = 0;                 // open elements
  int entry_depth = -1;          // depth at which the open entry element started; -1: none
  std::string loc;
  std::string lastmod;
  const size_t max_loc = static_cast<size_t>(std::max(limits.max_loc_bytes, 0));
  auto flush = [&] {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(loc);
    if (!trimmed.empty() && loc.size() < max_loc + 1) {
      doc.entries.push_back({std::string(trimmed), ParseW3cDateTime(lastmod)});
    }
    loc.clear();
    lastmod.clear();
  };

  XmlScanner scanner(xml);
  XmlToken token;
  while (scanner.Next(&token)) {
    switch (token.kind) {
      case XmlToken::Kind::kStartTag: {
        field = Field::kNone;
        if (token.self_closing) break;
        if (doc.kind == SitemapKind::kUnknown) {
          if (absl::EqualsIgnoreCase(token.name, "urlset")) {
            doc.kind = SitemapKind::kUrlSet;
            entry_name = "url";
          } else if (absl::EqualsIgnoreCase(token.name, "sitemapindex")) {
            doc.kind = SitemapKind::kSitemapIndex;
            entry_name = "sitemap";
          }
        }
        if (!entry_name.empty() && absl::EqualsIgnoreCase(token.name, entry_name)) {
          if (entry_depth >= 0) flush();  // the previous entry was never closed
          entry_depth = depth;
        } else if (entry_depth >= 0 && depth == entry_depth + 1) {
          if (absl::EqualsIgnoreCase(token.name, "loc")) field = Field::kLoc;
          if (absl::EqualsIgnoreCase(token.name, "lastmod")) field = Field::kLastmod;
        }
        ++depth;
        break;
      }
      case XmlToken::Kind::kEndTag:
        field = Field::kNone;
        if (depth > 0) --depth;
        if (entry_depth >= 0 && absl::EqualsIgnoreCase(token.name, entry_name)) {
          flush();
          entry_depth = -1;
        }
        break;
      case XmlToken::Kind::kText:
        // One byte over the bound marks an over-long <loc>, which flush() drops.
        if (field == Field::kLoc) AppendXmlText(token, max_loc + 1, &loc);
        if (field == Field::kLastmod) AppendXmlText(token, 64, &lastmod);
        break;
    }
    if (doc.entries.size() >= static_cast<size_t>(std::max(limits.max_entries, 0))) {
      doc.truncated = true;
      return doc;
    }
  }
  if (entry_depth >= 0) flush();
  return doc;
}

std::string UrlTextForMatching(absl::string_view url) {
  const std::string raw = UrlPathAndQuery(url.substr(0, 4 * kMaxStoredUrlBytes));
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '%' && i + 2 < raw.size() && HexValue(raw[i + 1]) >= 0 && HexValue(raw[i + 2]) >= 0) {
      c = static_cast<unsigned char>(HexValue(raw[i + 1]) * 16 + HexValue(raw[i + 2]));
      i += 2;
    }
    if (c >= 0x80 || absl::ascii_isalnum(c)) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(absl::ascii_tolower(c));
    } else {
      pending_space = true;
    }
  }
  return out;
}

UrlTextPredicate DefaultGamblingUrlPredicate() {
  static const RE2* const kGambling =
      new RE2(R"(\b(slots?|gacor|maxwin|togel|toto|sbobet|casino|kasino|poker|jackpot|scatter|)"
              R"(mahjong ways|gates of olympus|sweet bonanza|pragmatic play|deposit pulsa|)"
              R"(link alternatif|sabung ayam|[a-z]+(?:88|77|4d|303))\b)");
  return [](absl::string_view text) {
    return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *kGambling);
  };
}

std::string SitemapSnapshot::Serialize() const {
  std::string out = absl::StrCat(kSnapshotHeader, "\n");
  absl::StrAppend(&out, "recorded ", recorded ? 1 : 0, "\n");
  absl::StrAppend(&out, "urls ", url_count, "\n");
  absl::StrAppend(&out, "complete ", url_hashes_complete ? 1 : 0, "\n");
  absl::StrAppend(&out, "gambling-count ", gambling_url_count, "\n");
  for (const std::string& url : sitemap_urls) absl::StrAppend(&out, "sitemap ", url, "\n");
  for (const std::string& url : gambling_urls) absl::StrAppend(&out, "gambling ", url, "\n");
  for (uint64_t h : url_hashes) absl::StrAppend(&out, absl::StrFormat("hash %016x\n", h));
  return out;
}

absl::StatusOr<SitemapSnapshot> SitemapSnapshot::Parse(absl::string_view text) {
  if (text.size() > kMaxSnapshotBytes) {
    return absl::InvalidArgumentError("sitemap snapshot: larger than 16 MiB");
  }
  SitemapSnapshot s;
  int line_number = 0;
  bool header_seen = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("sitemap snapshot line ", line_number, ": ", why));
    };
    if (!header_seen) {
      if (line != kSnapshotHeader) return fail("not a sitemap snapshot (bad header)");
      header_seen = true;
      continue;
    }
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) return fail("expected 'key value'");
    const absl::string_view key = line.substr(0, space);
    const absl::string_view value = line.substr(space + 1);
    int64_t number = 0;
    if (key == "recorded" || key == "complete" || key == "urls" || key == "gambling-count") {
      if (!absl::SimpleAtoi(value, &number) || number < 0) return fail("bad number");
      if (key == "recorded") s.recorded = number != 0;
      if (key == "complete") s.url_hashes_complete = number != 0;
      if (key == "urls") s.url_count = number;
      if (key == "gambling-count") s.gambling_url_count = number;
    } else if (key == "sitemap" || key == "gambling") {
      if (!StorableUrl(value)) return fail("bad URL");
      if (key == "sitemap") s.sitemap_urls.emplace(value);
      if (key == "gambling") s.gambling_urls.emplace_back(value);
    } else if (key == "hash") {
      uint64_t h = 0;
      if (value.size() != 16 || !absl::SimpleHexAtoi(value, &h)) return fail("bad hash");
      s.url_hashes.insert(h);
    } else {
      return fail(absl::StrCat("unknown key '", key.substr(0, 40), "'"));
    }
  }
  if (!header_seen) return absl::InvalidArgumentError("sitemap snapshot: empty");
  return s;
}

SitemapSnapshotBuilder::SitemapSnapshotBuilder(SitemapPolicy policy) : policy_(std::move(policy)) {
  snapshot_.recorded = true;
}

void SitemapSnapshotBuilder::AddSitemapUrl(absl::string_view url) {
  url = absl::StripAsciiWhitespace(url);
  if (!StorableUrl(url)) return;
  if (snapshot_.sitemap_urls.size() >= static_cast<size_t>(std::max(policy_.max_sitemap_urls, 0))) {
    return;
  }
  snapshot_.sitemap_urls.emplace(url);
}

void SitemapSnapshotBuilder::AddDocument(absl::string_view sitemap_url, const SitemapDoc& doc) {
  AddSitemapUrl(sitemap_url);
  if (doc.kind == SitemapKind::kSitemapIndex) {
    for (const SitemapEntry& e : doc.entries) AddSitemapUrl(e.loc);
    return;
  }
  if (doc.kind != SitemapKind::kUrlSet && doc.kind != SitemapKind::kText) return;
  const size_t max_hashes = static_cast<size_t>(std::max(policy_.max_sample_hashes, 0));
  const size_t max_flagged = static_cast<size_t>(std::max(policy_.max_flagged_urls, 0));
  for (const SitemapEntry& e : doc.entries) {
    ++snapshot_.url_count;
    const uint64_t h = Fnv1a64(e.loc);
    std::set<uint64_t>& sample = snapshot_.url_hashes;
    if (sample.size() < max_hashes || (!sample.empty() && h < *sample.rbegin())) {
      sample.insert(h);
      if (sample.size() > max_hashes) {
        sample.erase(std::prev(sample.end()));
        snapshot_.url_hashes_complete = false;
      }
    } else if (sample.count(h) == 0) {
      snapshot_.url_hashes_complete = false;
    }
    if (policy_.looks_gambling && policy_.looks_gambling(UrlTextForMatching(e.loc))) {
      ++snapshot_.gambling_url_count;
      std::vector<std::string>& flagged = snapshot_.gambling_urls;
      if (flagged.size() < max_flagged && StorableUrl(e.loc) &&
          std::find(flagged.begin(), flagged.end(), e.loc) == flagged.end()) {
        flagged.push_back(e.loc);
      }
    }
  }
}

SitemapFindings CompareSitemaps(const SitemapSnapshot& previous, const SitemapSnapshot& now,
                                const SitemapPolicy& policy) {
  SitemapFindings f;
  f.url_count = now.url_count;
  f.previous_url_count = previous.url_count;
  f.gambling_url_count = now.gambling_url_count;
  const size_t max_flagged = static_cast<size_t>(std::max(policy.max_flagged_urls, 0));
  for (const std::string& url : now.gambling_urls) {
    if (f.gambling_urls.size() >= max_flagged) break;
    f.gambling_urls.push_back(url);
    if (std::find(previous.gambling_urls.begin(), previous.gambling_urls.end(), url) ==
        previous.gambling_urls.end()) {
      f.new_gambling_urls.push_back(url);
    }
  }
  if (!previous.recorded) {
    f.first_run = true;
    return f;
  }
  for (const std::string& url : now.sitemap_urls) {
    if (previous.sitemap_urls.count(url) == 0) f.new_sitemap_urls.push_back(url);
  }

  // New URLs from the bottom-k samples: of the now-sample hashes in the range the previous
  // sample covers, the share not seen before, scaled to the whole count.
  const uint64_t covered = previous.url_hashes_complete || previous.url_hashes.empty()
                               ? std::numeric_limits<uint64_t>::max()
                               : *previous.url_hashes.rbegin();
  int64_t considered = 0;
  int64_t unseen = 0;
  for (uint64_t h : now.url_hashes) {
    if (h > covered) break;
    ++considered;
    if (previous.url_hashes.count(h) == 0) ++unseen;
  }
  if (now.url_hashes_complete && previous.url_hashes_complete) {
    f.estimated_new_urls = unseen;
  } else if (considered > 0) {
    f.estimated_new_urls = static_cast<int64_t>(
        std::llround(static_cast<double>(unseen) / static_cast<double>(considered) *
                     static_cast<double>(now.url_count)));
  }

  auto sudden = [&](int64_t added) {
    return added > policy.growth_min_urls &&
           static_cast<double>(added) >
               policy.growth_percent / 100.0 * static_cast<double>(previous.url_count);
  };
  f.sudden_growth = sudden(now.url_count - previous.url_count) || sudden(f.estimated_new_urls);
  return f;
}

}  // namespace pantau::agent
