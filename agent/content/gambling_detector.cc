#include "agent/content/gambling_detector.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/content/text_normalizer.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"
#include "re2/re2.h"

namespace pantau::agent {

struct GamblingDetector::Data {
  struct Group {
    std::string name;
    double weight = 1;
    int max_count = 1;
    double cap = 0;  // 0 = none
    double near_warning_factor = 1;
    bool link_text = true;
  };

  double threshold = 10;
  double hidden_multiplier = 3;
  double title_meta_multiplier = 2;
  size_t warning_window = 200;
  double link_text_weight = 2;
  double gambling_host_weight = 4;
  int max_scored_links = 10;
  std::vector<Group> groups;
  std::vector<int> group_of_term;  // by phrase index of `terms`
  PhraseMatcher terms;
  PhraseMatcher warnings;
  std::unique_ptr<const RE2> gambling_hosts;  // null when the list is empty
};

namespace {

using Data = GamblingDetector::Data;

// Meta tags whose content a search engine shows or indexes like the title.
constexpr absl::string_view kIndexedMetas[] = {
    "description",  "keywords", "og:title",      "og:description",
    "og:site_name", "title",    "twitter:title", "twitter:description",
    "abstract",     "subject",
};

constexpr size_t kMaxEvidenceTextBytes = 60;
constexpr size_t kMaxEvidenceUrlBytes = 120;
constexpr size_t kMaxLinkPathBytes = 1024;

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence; marks the cut.
std::string Shorten(absl::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(s.substr(0, cut), "...");
}

// Per term of one text: how much it counts after saturation-free weighting.
struct Tally {
  std::vector<double> effective;  // occurrences, each scaled by its warning discount
  std::vector<int> scored;        // occurrences that kept some weight
  std::vector<bool> disguised;    // some occurrences were found only in a de-obfuscated form
  int discounted = 0;
  bool any = false;
};

Tally TallyTerms(const Data& data, absl::string_view text) {
  Tally t;
  const int n = data.terms.size();
  if (text.empty() || n == 0) return t;
  const MatchForms forms = MakeMatchForms(text);
  std::vector<int> plain_total(n, 0);
  t.effective.assign(n, 0);
  t.scored.assign(n, 0);
  t.disguised.assign(n, false);

  // Plain form, with the warning wording around each hit. Both hit streams advance
  // monotonically, so this is one linear merge.
  const std::string& plain = forms.plain;
  size_t pos = 0, warn_pos = 0;
  PhraseMatcher::Hit hit, warn;
  bool have_warn = data.warnings.FindNext(plain, &warn_pos, &warn);
  bool have_previous_warn = false;
  size_t previous_warn_end = 0;
  while (data.terms.FindNext(plain, &pos, &hit)) {
    while (have_warn && warn.end <= hit.begin) {
      have_previous_warn = true;
      previous_warn_end = warn.end;
      have_warn = data.warnings.FindNext(plain, &warn_pos, &warn);
    }
    const bool near =
        (have_previous_warn && hit.begin - previous_warn_end <= data.warning_window) ||
        (have_warn && warn.begin <= hit.end + data.warning_window);
    const double factor =
        near ? data.groups[data.group_of_term[hit.phrase]].near_warning_factor : 1.0;
    ++plain_total[hit.phrase];
    t.effective[hit.phrase] += factor;
    if (factor > 0) ++t.scored[hit.phrase];
    if (factor < 1) ++t.discounted;
  }

  // De-obfuscated forms: occurrences beyond the plain form's were disguised.
  std::vector<int> other;
  if (forms.digits_as_letters != plain) data.terms.CountAll(forms.digits_as_letters, &other);
  {
    // Always: compounds such as "situsslotgacor" hide in plain text too.
    std::vector<int> joined;
    data.terms.CountAll(forms.joined, &joined, PhraseMatcher::Boundaries::kAlsoInsideWords);
    if (other.empty()) other.assign(n, 0);
    for (int i = 0; i < n; ++i) other[i] = std::max(other[i], joined[i]);
  }
  for (int i = 0; i < static_cast<int>(other.size()); ++i) {
    if (other[i] > plain_total[i]) {
      const int extra = other[i] - plain_total[i];
      t.effective[i] += extra;
      t.scored[i] += extra;
      t.disguised[i] = true;
    }
  }
  for (int i = 0; i < n; ++i) {
    if (t.effective[i] > 0) t.any = true;
  }
  return t;
}

struct Evidence {
  double weight;
  std::string text;
};

// Scores one text surface: saturation per term (max_count) and per group (cap).
double ScoreTally(const Data& data, const Tally& t, double multiplier, absl::string_view surface,
                  int* occurrences, std::vector<Evidence>* evidence) {
  if (!t.any) return 0;
  std::vector<double> group_sum(data.groups.size(), 0);
  for (int i = 0; i < static_cast<int>(t.effective.size()); ++i) {
    if (t.effective[i] <= 0) continue;
    const Data::Group& g = data.groups[data.group_of_term[i]];
    const double contribution =
        g.weight * std::min(t.effective[i], static_cast<double>(g.max_count));
    group_sum[data.group_of_term[i]] += contribution;
    *occurrences += t.scored[i];
    evidence->push_back({contribution * multiplier,
                         absl::StrCat(surface, ": '", data.terms.phrase(i), "'",
                                      t.scored[i] > 1 ? absl::StrCat(" x", t.scored[i]) : "",
                                      t.disguised[i] ? " (disguised)" : "")});
  }
  double score = 0;
  for (size_t g = 0; g < group_sum.size(); ++g) {
    const double cap = data.groups[g].cap;
    score += cap > 0 ? std::min(group_sum[g], cap) : group_sum[g];
  }
  return score * multiplier;
}

// The best weight of a term (of a link_text group) found in `t`, and which term; 0 if none.
double BestLinkTerm(const Data& data, const Tally& t, int* term) {
  double best = 0;
  *term = -1;
  if (!t.any) return 0;
  for (int i = 0; i < static_cast<int>(t.effective.size()); ++i) {
    if (t.effective[i] <= 0) continue;
    const Data::Group& g = data.groups[data.group_of_term[i]];
    if (!g.link_text) continue;
    const double w = g.weight * std::min(t.effective[i], 1.0);
    if (w > best) {
      best = w;
      *term = i;
    }
  }
  return best;
}

// Host and path+query of an absolute or protocol-relative URL; empty host for relative ones
// and for schemes without an authority (mailto:, javascript:).
void SplitUrl(absl::string_view url, std::string* host, absl::string_view* path_and_query) {
  host->clear();
  *path_and_query = url;
  absl::string_view rest;
  if (absl::StartsWith(url, "//")) {
    rest = url.substr(2);
  } else {
    const size_t colon = url.find(':');
    if (colon == absl::string_view::npos || colon == 0) return;
    for (char c : url.substr(0, colon)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
        return;  // a relative path such as "a/b:c"
      }
    }
    if (url.substr(colon + 1, 2) != "//") {
      *path_and_query = absl::string_view();
      return;
    }
    rest = url.substr(colon + 3);
  }
  const size_t authority_end = rest.find_first_of("/?#\\");
  absl::string_view authority = rest.substr(0, authority_end);
  *path_and_query =
      authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) authority = authority.substr(at + 1);
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    authority = authority.substr(1, close == absl::string_view::npos ? authority.npos : close - 1);
  } else {
    const size_t port = authority.rfind(':');
    if (port != absl::string_view::npos) authority = authority.substr(0, port);
  }
  while (absl::ConsumeSuffix(&authority, ".")) {
  }
  *host = absl::AsciiStrToLower(authority);
}

bool SameSiteHost(absl::string_view host, absl::string_view page_host) {
  absl::ConsumePrefix(&host, "www.");
  absl::ConsumePrefix(&page_host, "www.");
  if (host.empty() || page_host.empty()) return false;
  if (absl::EqualsIgnoreCase(host, page_host)) return true;
  auto is_subdomain = [](absl::string_view sub, absl::string_view parent) {
    return sub.size() > parent.size() + 1 && absl::EndsWithIgnoreCase(sub, parent) &&
           sub[sub.size() - parent.size() - 1] == '.';
  };
  return is_subdomain(host, page_host) || is_subdomain(page_host, host);
}

// "%73lot+gacor" → "slot gacor" (bytes; the normaliser copes with what is not UTF-8).
std::string DecodeUrlComponent(absl::string_view s) {
  s = s.substr(0, kMaxLinkPathBytes);
  const size_t hash = s.find('#');
  if (hash != absl::string_view::npos) s = s.substr(0, hash);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
               absl::ascii_isxdigit(s[i + 2])) {
      auto hex = [](char h) {
        return h <= '9' ? h - '0' : (absl::ascii_tolower(static_cast<unsigned char>(h)) - 'a' + 10);
      };
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Loading.

absl::StatusOr<std::shared_ptr<const Data>> DataFromNode(const YAML::Node& root,
                                                         absl::string_view source_name) {
  const std::string source(source_name);
  auto data = std::make_shared<Data>();
  YamlFields f(root, source);
  data->threshold = static_cast<double>(f.Int("threshold", 10, 1, 1000000));
  data->hidden_multiplier = static_cast<double>(f.Int("hidden_multiplier", 3, 1, 100));
  data->title_meta_multiplier = static_cast<double>(f.Int("title_meta_multiplier", 2, 1, 100));
  data->warning_window = static_cast<size_t>(f.Int("warning_window_chars", 200, 0, 10000));
  data->link_text_weight = static_cast<double>(f.Int("link_text_weight", 2, 0, 1000));
  data->gambling_host_weight = static_cast<double>(f.Int("gambling_host_weight", 4, 0, 1000));
  data->max_scored_links = static_cast<int>(f.Int("max_scored_links", 10, 0, 10000));
  const std::vector<YAML::Node> groups = f.MapList("groups");
  const std::vector<std::string> warning_words = f.StringList("warning_context", 10000, 200);
  const std::vector<std::string> host_patterns = f.StringList("gambling_hosts", 1000, 500);
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  if (groups.empty()) return absl::InvalidArgumentError(f.Where("groups") + ": no term groups");

  std::vector<PhraseMatcher::Source> terms;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    YamlFields g(groups[gi], source, absl::StrCat("groups[", gi, "]."));
    Data::Group group;
    group.name = g.String("name", /*required=*/true);
    group.weight = static_cast<double>(g.Int("weight", 1, 0, 1000));
    group.max_count = static_cast<int>(g.Int("max_count", 1, 1, 1000));
    group.cap = static_cast<double>(g.Int("group_cap", 0, 0, 1000000));
    group.near_warning_factor = g.Int("near_warning_percent", 100, 0, 100) / 100.0;
    group.link_text = g.Bool("link_text", true);
    const std::vector<std::string> group_terms = g.StringList("terms", 10000, 200);
    g.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(g.status());
    if (group_terms.empty()) return absl::InvalidArgumentError(g.Where("terms") + ": no terms");
    for (PhraseMatcher::Source& s :
         PhraseSourcesWithLines(groups[gi], "terms", group_terms, source)) {
      terms.push_back(std::move(s));
      data->group_of_term.push_back(static_cast<int>(gi));
    }
    data->groups.push_back(std::move(group));
  }
  PANTAU_ASSIGN_OR_RETURN(data->terms, PhraseMatcher::Create(terms));
  PANTAU_ASSIGN_OR_RETURN(data->warnings, PhraseMatcher::Create(PhraseSourcesWithLines(
                                              root, "warning_context", warning_words, source)));

  if (!host_patterns.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    std::string combined;
    const std::vector<PhraseMatcher::Source> located =
        PhraseSourcesWithLines(root, "gambling_hosts", host_patterns, source);
    for (const PhraseMatcher::Source& p : located) {
      const RE2 one(p.text, options);
      if (!one.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(p.where, ": gambling_hosts pattern '", p.text, "': ", one.error()));
      }
      absl::StrAppend(&combined, combined.empty() ? "" : "|", "(?:", p.text, ")");
    }
    auto re = std::make_unique<const RE2>(combined, options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          f.Where("gambling_hosts"), ": patterns do not compile together: ", re->error()));
    }
    data->gambling_hosts = std::move(re);
  }
  return std::shared_ptr<const Data>(std::move(data));
}

}  // namespace

absl::StatusOr<GamblingDetector> GamblingDetector::Load(const std::string& path) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(path));
  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<const Data> data, DataFromNode(root, path));
  return GamblingDetector(std::move(data));
}

absl::StatusOr<GamblingDetector> GamblingDetector::FromYaml(absl::string_view yaml,
                                                            absl::string_view source_name) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(yaml, source_name));
  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<const Data> data, DataFromNode(root, source_name));
  return GamblingDetector(std::move(data));
}

double GamblingDetector::threshold() const { return data_->threshold; }

bool GamblingDetector::LooksLikeGamblingText(absl::string_view text) const {
  const Tally t = TallyTerms(*data_, text);
  int term = -1;
  return BestLinkTerm(*data_, t, &term) >= kStrongTermWeight;
}

GamblingScan GamblingDetector::Scan(const HtmlDocument& doc, absl::string_view page_host) const {
  const Data& data = *data_;
  GamblingScan scan;
  scan.threshold = data.threshold;
  std::vector<Evidence> evidence;

  auto text_surface = [&](absl::string_view text, double multiplier, absl::string_view name,
                          int* count) {
    const Tally t = TallyTerms(data, text);
    scan.discounted += t.discounted;
    scan.score += ScoreTally(data, t, multiplier, name, count, &evidence);
  };
  text_surface(doc.visible_text, 1, "visible text", &scan.counts.visible_text);
  text_surface(doc.hidden_text, data.hidden_multiplier, "hidden text", &scan.counts.hidden_text);

  std::string title_meta = doc.title;
  for (const HtmlMeta& meta : doc.metas) {
    for (absl::string_view indexed : kIndexedMetas) {
      if (meta.name == indexed) {
        absl::StrAppend(&title_meta, "\n", meta.content);
        break;
      }
    }
  }
  text_surface(title_meta, data.title_meta_multiplier, "title/meta", &scan.counts.title_meta);

  std::string host;
  absl::string_view path_and_query;
  for (const HtmlLink& link : doc.links) {
    if (scan.counts.link_text >= data.max_scored_links &&
        scan.counts.link_target >= data.max_scored_links) {
      break;
    }
    const double multiplier = link.hidden ? data.hidden_multiplier : 1;
    double text_points = 0, target_points = 0;
    int text_term = -1, path_term = -1;
    bool gambling_host = false;

    if (scan.counts.link_text < data.max_scored_links && data.link_text_weight > 0) {
      const Tally t = TallyTerms(data, link.text);
      if (BestLinkTerm(data, t, &text_term) > 0) {
        text_points = data.link_text_weight * multiplier;
        ++scan.counts.link_text;
      }
    }
    if (scan.counts.link_target < data.max_scored_links) {
      SplitUrl(link.href, &host, &path_and_query);
      const bool outbound = !host.empty() && !SameSiteHost(host, page_host);
      if (outbound && data.gambling_hosts != nullptr &&
          RE2::PartialMatch(host, *data.gambling_hosts)) {
        gambling_host = true;
        target_points += data.gambling_host_weight * multiplier;
      }
      if (!path_and_query.empty()) {
        const Tally t = TallyTerms(data, DecodeUrlComponent(path_and_query));
        target_points += BestLinkTerm(data, t, &path_term) * multiplier;
      }
      if (target_points > 0) ++scan.counts.link_target;
    }
    const double points = text_points + target_points;
    if (points <= 0) continue;
    scan.score += points;
    std::string note;
    if (gambling_host) note = " (gambling-like host)";
    if (path_term >= 0)
      absl::StrAppend(&note, " (URL carries '", data.terms.phrase(path_term), "')");
    evidence.push_back({points, absl::StrCat(link.hidden ? "hidden link '" : "link '",
                                             Shorten(link.text, kMaxEvidenceTextBytes), "' -> ",
                                             Shorten(link.href, kMaxEvidenceUrlBytes), note)});
  }

  scan.suspicious = scan.score >= data.threshold;
  std::stable_sort(evidence.begin(), evidence.end(),
                   [](const Evidence& a, const Evidence& b) { return a.weight > b.weight; });
  for (const Evidence& e : evidence) {
    if (static_cast<int>(scan.evidence.size()) >= GamblingScan::kMaxEvidence) break;
    scan.evidence.push_back(e.text);
  }
  return scan;
}

std::vector<std::string> SiteVerificationTokens(const HtmlDocument& doc) {
  std::vector<std::string> tokens;
  for (const HtmlMeta& meta : doc.metas) {
    if (meta.name != "google-site-verification") continue;
    std::string token(absl::StripAsciiWhitespace(meta.content));
    if (token.empty()) continue;
    if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) {
      tokens.push_back(std::move(token));
    }
  }
  return tokens;
}

}  // namespace pantau::agent
