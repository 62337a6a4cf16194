#include "agent/inventory/required_pages.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/inventory/freshness.h"
#include "agent/inventory/resolve_url.h"
#include "common/yaml_fields.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace pantau::agent {

struct RequiredPagesChecklist::Row {
  RequiredPageItem item;
  std::vector<std::unique_ptr<const RE2>> url_path;
  std::vector<std::unique_ptr<const RE2>> link_text;
  std::vector<std::unique_ptr<const RE2>> href;
};

namespace {

constexpr std::array<absl::string_view, 11> kCourtTypes = {
    "PN", "PA", "MS", "PTUN", "PM", "PT", "PTA", "MSA", "PTTUN", "PMT", "PMU"};
constexpr std::array<absl::string_view, 8> kItemKeys = {
    "id",   "item", "legal_basis", "court_types", "match", "max_age_days", "must_show_future_dates",
    "notes"};
constexpr std::array<absl::string_view, 3> kMatchKeys = {"url_path", "link_text", "href"};
constexpr size_t kMaxFileBytes = 4 << 20;
constexpr size_t kMaxPatternBytes = 1000;
constexpr size_t kMaxPatterns = 100;
constexpr size_t kMaxLinkTextBytes = 500;
constexpr size_t kSoftNotFoundMaxBytes = 3000;
constexpr std::array<absl::string_view, 5> kNotFoundPhrases = {
    "halaman tidak ditemukan", "halaman yang anda cari tidak", "page not found", "404 not found",
    "error 404"};

// ASCII lower-case, every whitespace run (and U+00A0) one space, trimmed, bounded.
std::string NormalizeText(absl::string_view text, size_t max_bytes) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < text.size() && out.size() < max_bytes; ++i) {
    char c = text[i];
    if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      ++i;
      c = ' ';
    }
    if (absl::ascii_isspace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

// Reports keys of `node` that are not in `known` through `fields`.
template <size_t N>
void CheckKeys(const YAML::Node& node, const std::array<absl::string_view, N>& known,
               YamlFields& fields) {
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) continue;
    const std::string& key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fields.Fail(key, "unknown key (misspelt?)");
    }
  }
}

// A string, or a list of strings, under `key` of the mapping `node`.
std::vector<std::string> StringOrList(const YAML::Node& node, absl::string_view key,
                                      YamlFields& fields) {
  std::vector<std::string> out;
  if (!fields.Has(key)) return out;
  const YAML::Node& map = node;
  const YAML::Node value = map[std::string(key)];
  auto take = [&](const YAML::Node& n) {
    if (!n.IsScalar() || n.Scalar().empty() || n.Scalar().size() > kMaxPatternBytes) {
      fields.Fail(key, absl::StrCat("must be a string or a list of strings of 1..",
                                    kMaxPatternBytes, " bytes"));
      return false;
    }
    out.push_back(n.Scalar());
    return true;
  };
  if (value.IsSequence()) {
    if (value.size() > kMaxPatterns) {
      fields.Fail(key, absl::StrCat("has more than ", kMaxPatterns, " entries"));
      return {};
    }
    for (const YAML::Node& n : value) {
      if (!take(n)) return {};
    }
  } else if (!take(value)) {
    return {};
  }
  return out;
}

std::vector<std::unique_ptr<const RE2>> Compile(const std::vector<std::string>& patterns,
                                                absl::string_view key, YamlFields& fields) {
  std::vector<std::unique_ptr<const RE2>> out;
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  for (const std::string& p : patterns) {
    auto re = std::make_unique<const RE2>(p, options);
    if (!re->ok()) {
      fields.Fail(key, absl::StrCat("bad regular expression '", p, "': ", re->error()));
      return {};
    }
    out.push_back(std::move(re));
  }
  return out;
}

bool AnyMatch(const std::vector<std::unique_ptr<const RE2>>& res, absl::string_view text) {
  for (const auto& re : res) {
    if (RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re)) return true;
  }
  return false;
}

bool ValidId(absl::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

absl::StatusOr<std::shared_ptr<const RequiredPagesChecklist::Row>> ReadRow(
    const YAML::Node& node, size_t index, const std::vector<std::string>& ids_so_far,
    absl::string_view source);

}  // namespace

bool IsKnownCourtType(absl::string_view code) {
  return std::find(kCourtTypes.begin(), kCourtTypes.end(), code) != kCourtTypes.end();
}

absl::StatusOr<RequiredPagesChecklist> RequiredPagesChecklist::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open required-pages file ", path));
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 4 MiB"));
  }
  return FromYaml(text, path);
}

absl::StatusOr<RequiredPagesChecklist> RequiredPagesChecklist::FromYaml(absl::string_view text,
                                                                        absl::string_view source) {
  absl::StatusOr<YAML::Node> root = ParseYaml(text, source);
  if (!root.ok()) return root.status();
  try {
    YamlFields top(*root, std::string(source));
    top.Int("version", 1, 1, 1);
    const std::vector<YAML::Node> nodes = top.MapList("items");
    top.CheckNoUnknownKeys();
    if (!top.status().ok()) return top.status();
    if (nodes.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": items: is empty"));
    RequiredPagesChecklist checklist;
    std::vector<std::string> ids;
    for (size_t i = 0; i < nodes.size(); ++i) {
      absl::StatusOr<std::shared_ptr<const Row>> row = ReadRow(nodes[i], i, ids, source);
      if (!row.ok()) return row.status();
      ids.push_back((*row)->item.id);
      checklist.rows_.push_back(*std::move(row));
    }
    return checklist;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
}

namespace {

absl::StatusOr<std::shared_ptr<const RequiredPagesChecklist::Row>> ReadRow(
    const YAML::Node& node, size_t index, const std::vector<std::string>& ids_so_far,
    absl::string_view source) {
  auto row = std::make_shared<RequiredPagesChecklist::Row>();
  RequiredPageItem& item = row->item;
  YamlFields f(node, std::string(source), absl::StrCat("items[", index, "]."));
  item.id = f.String("id", /*required=*/true);
  if (f.status().ok() && !ValidId(item.id)) f.Fail("id", "must be 1..64 of [a-z0-9_]");
  if (f.status().ok() &&
      std::find(ids_so_far.begin(), ids_so_far.end(), item.id) != ids_so_far.end()) {
    f.Fail("id", absl::StrCat("'", item.id, "' is used twice"));
  }
  item.item = f.String("item", /*required=*/true);
  item.legal_basis = f.String("legal_basis", /*required=*/true);
  f.String("notes", /*required=*/false);
  item.court_types = StringOrList(node, "court_types", f);
  if (f.status().ok() && item.court_types.empty()) f.Fail("court_types", "is required");
  for (std::string& code : item.court_types) {
    code = absl::AsciiStrToUpper(code);
    if (!IsKnownCourtType(code)) {
      f.Fail("court_types", absl::StrCat("unknown court type '", code,
                                         "' (known: ", absl::StrJoin(kCourtTypes, " "), ")"));
    }
  }
  if (f.Has("max_age_days"))
    item.max_age_days = static_cast<int>(f.Int("max_age_days", 0, 1, 3650));
  item.must_show_future_dates = f.Bool("must_show_future_dates", false);
  const YAML::Node match = f.Map("match");
  CheckKeys(node, kItemKeys, f);
  if (!f.status().ok()) return f.status();
  if (!match.IsDefined() || !match.IsMap()) {
    f.Fail("match", "is required (url_path, link_text and/or href)");
    return f.status();
  }
  YamlFields m(match, std::string(source), absl::StrCat("items[", index, "].match."));
  item.url_path = StringOrList(match, "url_path", m);
  item.link_text = StringOrList(match, "link_text", m);
  item.href = StringOrList(match, "href", m);
  CheckKeys(match, kMatchKeys, m);
  row->url_path = Compile(item.url_path, "url_path", m);
  row->link_text = Compile(item.link_text, "link_text", m);
  row->href = Compile(item.href, "href", m);
  if (m.status().ok() && item.url_path.empty() && item.link_text.empty() && item.href.empty()) {
    f.Fail("match", "needs at least one of url_path, link_text, href");
    return f.status();
  }
  if (!m.status().ok()) return m.status();
  return std::shared_ptr<const RequiredPagesChecklist::Row>(std::move(row));
}

}  // namespace

std::vector<const RequiredPageItem*> RequiredPagesChecklist::Select(
    absl::string_view court_type) const {
  const std::string code = absl::AsciiStrToUpper(court_type);
  std::vector<const RequiredPageItem*> out;
  for (const auto& row : rows_) {
    const auto& types = row->item.court_types;
    if (std::find(types.begin(), types.end(), code) != types.end()) out.push_back(&row->item);
  }
  return out;
}

const RequiredPageItem* RequiredPagesChecklist::Find(absl::string_view id) const {
  for (const auto& row : rows_) {
    if (row->item.id == id) return &row->item;
  }
  return nullptr;
}

RequiredPagesResult MatchRequiredPages(const RequiredPagesChecklist& checklist,
                                       absl::string_view court_type,
                                       const std::vector<HtmlLink>& links_on_home,
                                       absl::string_view base_url) {
  struct Candidate {
    const HtmlLink* link;
    std::string url;
    std::string path_and_query;
    std::string text;  // normalised
  };
  std::vector<Candidate> candidates;
  for (const HtmlLink& link : links_on_home) {
    if (link.hidden) continue;
    const absl::string_view href = absl::StripAsciiWhitespace(link.href);
    if (href.empty() || href[0] == '#') continue;
    std::string url = ResolveUrl(base_url, href);
    if (url.empty()) continue;
    std::string path_and_query = UrlPathAndQuery(url);
    candidates.push_back({&link, std::move(url), std::move(path_and_query),
                          NormalizeText(link.text, kMaxLinkTextBytes)});
  }

  RequiredPagesResult result;
  const std::string code = absl::AsciiStrToUpper(court_type);
  for (const auto& row : checklist.rows_) {
    const RequiredPageItem& item = row->item;
    if (std::find(item.court_types.begin(), item.court_types.end(), code) ==
        item.court_types.end()) {
      continue;
    }
    RequiredPageMatch match;
    match.id = item.id;
    match.item = item.item;
    int best = 0;
    for (const Candidate& c : candidates) {
      int score = 0;
      absl::string_view by;
      if (AnyMatch(row->href, c.url)) {
        score = 3, by = "href";
      } else if (!c.text.empty() && AnyMatch(row->link_text, c.text)) {
        score = 2, by = "link_text";
      } else if (AnyMatch(row->url_path, c.path_and_query)) {
        score = 1, by = "url_path";
      }
      if (score > best) {
        best = score;
        match.found = true;
        match.url = c.url;
        match.link_text = c.link->text;
        match.matched_by = std::string(by);
        if (best == 3) break;
      }
    }
    ++(match.found ? result.found : result.missing);
    result.items.push_back(std::move(match));
  }
  return result;
}

absl::string_view PageVerdictName(PageVerdict verdict) {
  switch (verdict) {
    case PageVerdict::kOk:
      return "ok";
    case PageVerdict::kBroken:
      return "broken";
    case PageVerdict::kStale:
      return "stale";
  }
  return "unknown";
}

RequiredPageVerdict JudgePage(const RequiredPageItem& item, int http_status,
                              absl::string_view page_text,
                              std::optional<absl::CivilDay> newest_known, absl::CivilDay today) {
  RequiredPageVerdict v;
  if (http_status == 0) {
    v.verdict = PageVerdict::kBroken;
    v.reason = "no HTTP answer";
    return v;
  }
  if (http_status < 200 || http_status > 299) {
    v.verdict = PageVerdict::kBroken;
    v.reason = absl::StrCat("HTTP status ", http_status);
    return v;
  }
  const std::string text = NormalizeText(page_text, kSoftNotFoundMaxBytes + 1);
  if (text.empty()) {
    v.verdict = PageVerdict::kBroken;
    v.reason = "the page has no visible text";
    return v;
  }
  if (text.size() <= kSoftNotFoundMaxBytes) {
    for (absl::string_view phrase : kNotFoundPhrases) {
      if (absl::StrContains(text, phrase)) {
        v.verdict = PageVerdict::kBroken;
        v.reason = absl::StrCat("the page says it was not found (\"", phrase, "\")");
        return v;
      }
    }
  }
  if (item.must_show_future_dates && !HasDateOnOrAfter(page_text, today)) {
    v.verdict = PageVerdict::kStale;
    v.reason = absl::StrFormat("shows no date from %04d-%02d-%02d on",
                               static_cast<int>(today.year()), today.month(), today.day());
    return v;
  }
  std::optional<absl::CivilDay> newest = NewestDate(page_text, today);
  if (newest_known && (!newest || *newest_known > *newest)) newest = newest_known;
  v.newest_date = newest;
  if (item.max_age_days && newest) {
    const int64_t age = today - *newest;
    if (age > *item.max_age_days) {
      v.verdict = PageVerdict::kStale;
      v.reason = absl::StrFormat("newest date %04d-%02d-%02d is %d days old; the limit is %d",
                                 static_cast<int>(newest->year()), newest->month(), newest->day(),
                                 age, *item.max_age_days);
    }
  }
  return v;
}

}  // namespace pantau::agent
