#include "agent/content/defacement.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/content/text_normalizer.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"

namespace pantau::agent {

struct DefacementPhrases::Data {
  PhraseMatcher matcher;         // `phrases` then `supporting_phrases`
  std::vector<bool> supporting;  // by phrase index
};

namespace {

// Month, weekday and time-zone words (Indonesian and English, normalised): the date line of
// a page changes daily without anyone editing it.
// clang-format off
constexpr absl::string_view kDateWords[] = {
    "agt",      "agu",     "ags",     "agustus",  "ahad",     "am",       "apr",
    "april",    "aug",     "august",  "dec",      "december", "des",      "desember",
    "feb",      "february", "februari", "fri",    "friday",   "jan",      "january",
    "januari",  "jul",     "juli",    "july",     "jum",      "jumat",    "jun",
    "june",     "juni",    "kamis",   "mar",      "march",    "maret",    "may",
    "mei",      "minggu",  "mon",     "monday",   "nop",      "nopember", "nov",
    "november", "oct",     "october", "okt",      "oktober",  "pebruari", "pm",
    "rabu",     "sabtu",   "sat",     "saturday", "selasa",   "senin",    "sep",
    "sept",     "september", "sun",   "sunday",   "thu",      "thursday", "tue",
    "tuesday",  "wed",     "wednesday", "wib",    "wit",      "wita",
};
// clang-format on

bool IsDateWord(absl::string_view token) {
  if (token.size() > 9) return false;
  for (absl::string_view w : kDateWords) {
    if (w == token) return true;
  }
  return false;
}

// True for tokens that change between visits of an unedited page.
bool IsDynamicToken(absl::string_view token) {
  if (token.size() >= 25) return true;
  bool hex_only = true;
  for (char c : token) {
    if (c >= '0' && c <= '9') return true;
    if (!(c >= 'a' && c <= 'f')) hex_only = false;
  }
  if (hex_only && token.size() >= 8) return true;
  return IsDateWord(token);
}

uint64_t WordHash(absl::string_view word) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (char c : word) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t Finalize(uint64_t x) {  // splitmix64's finaliser: spreads the bits evenly
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

// Keeps the kMaxShingles smallest distinct values of *v; returns whether any were dropped.
bool KeepSmallest(std::vector<uint64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
  if (v->size() <= TextFingerprint::kMaxShingles) return false;
  v->resize(TextFingerprint::kMaxShingles);
  return true;
}

constexpr absl::string_view kFormatPrefix = "tf1:";

absl::StatusOr<std::shared_ptr<const DefacementPhrases::Data>> DataFromNode(
    const YAML::Node& root, absl::string_view source_name) {
  const std::string source(source_name);
  YamlFields f(root, source);
  const std::vector<std::string> phrases = f.StringList("phrases", 10000, 200);
  const std::vector<std::string> supporting = f.StringList("supporting_phrases", 10000, 200);
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  if (phrases.empty()) return absl::InvalidArgumentError(f.Where("phrases") + ": no phrases");
  std::vector<PhraseMatcher::Source> all = PhraseSourcesWithLines(root, "phrases", phrases, source);
  for (PhraseMatcher::Source& s :
       PhraseSourcesWithLines(root, "supporting_phrases", supporting, source)) {
    all.push_back(std::move(s));
  }
  auto data = std::make_shared<DefacementPhrases::Data>();
  PANTAU_ASSIGN_OR_RETURN(data->matcher, PhraseMatcher::Create(all));
  data->supporting.assign(all.size(), false);
  std::fill(data->supporting.begin() + static_cast<std::ptrdiff_t>(phrases.size()),
            data->supporting.end(), true);
  return std::shared_ptr<const DefacementPhrases::Data>(std::move(data));
}

}  // namespace

TextFingerprint MakeFingerprint(absl::string_view visible_text) {
  TextFingerprint fp;
  const std::string normalized = NormalizeForMatching(visible_text);
  uint64_t window[3] = {0, 0, 0};  // word hashes of the last three kept tokens
  size_t kept = 0;
  std::vector<uint64_t>& out = fp.shingles_;
  for (absl::string_view token : absl::StrSplit(normalized, ' ', absl::SkipEmpty())) {
    if (IsDynamicToken(token)) continue;
    window[0] = window[1];
    window[1] = window[2];
    window[2] = WordHash(token);
    ++kept;
    if (kept < 3) continue;
    out.push_back(Finalize((window[0] * 0x9E3779B97F4A7C15ull + window[1]) * 0x9E3779B97F4A7C15ull +
                           window[2]));
    // Bounded memory on huge texts: prune to the smallest hashes as we go.
    if (out.size() >= 4 * TextFingerprint::kMaxShingles) fp.sampled_ |= KeepSmallest(&out);
  }
  if (kept > 0 && kept < 3) {
    // One or two words: the whole text is one shingle.
    uint64_t h = 0;
    for (size_t k = 3 - kept; k < 3; ++k) h = h * 0x9E3779B97F4A7C15ull + window[k];
    out.push_back(Finalize(h ^ kept));
  }
  fp.sampled_ |= KeepSmallest(&out);
  out.shrink_to_fit();
  return fp;
}

std::string TextFingerprint::Serialize() const {
  std::string bytes(shingles_.size() * 8, '\0');
  for (size_t i = 0; i < shingles_.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      bytes[i * 8 + b] = static_cast<char>((shingles_[i] >> (8 * b)) & 0xFF);
    }
  }
  return absl::StrCat(kFormatPrefix, sampled_ ? "s:" : "f:", absl::Base64Escape(bytes));
}

absl::StatusOr<TextFingerprint> TextFingerprint::Parse(absl::string_view text) {
  auto bad = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("not a text fingerprint: ", why));
  };
  if (!absl::ConsumePrefix(&text, kFormatPrefix)) return bad("unknown format");
  TextFingerprint fp;
  if (absl::ConsumePrefix(&text, "s:")) {
    fp.sampled_ = true;
  } else if (!absl::ConsumePrefix(&text, "f:")) {
    return bad("unknown flag");
  }
  if (text.size() > (kMaxShingles * 8 / 3 + 4) * 4) return bad("too long");
  std::string bytes;
  if (!absl::Base64Unescape(text, &bytes)) return bad("invalid base64");
  if (bytes.size() % 8 != 0) return bad("truncated");
  if (bytes.size() / 8 > kMaxShingles) return bad("too many shingles");
  fp.shingles_.resize(bytes.size() / 8);
  for (size_t i = 0; i < fp.shingles_.size(); ++i) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(bytes[i * 8 + b]);
    if (i > 0 && v <= fp.shingles_[i - 1]) return bad("shingles not sorted");
    fp.shingles_[i] = v;
  }
  return fp;
}

double ChangedShare(const TextFingerprint& baseline, const TextFingerprint& now) {
  const std::vector<uint64_t>& a = baseline.shingles();
  const std::vector<uint64_t>& b = now.shingles();
  if (a.empty() && b.empty()) return 0;
  if (a.empty() || b.empty()) return 1;
  size_t i = 0, j = 0, both = 0;
  if (!baseline.sampled() && !now.sampled()) {
    while (i < a.size() && j < b.size()) {
      if (a[i] == b[j]) {
        ++both, ++i, ++j;
      } else if (a[i] < b[j]) {
        ++i;
      } else {
        ++j;
      }
    }
    const size_t union_size = a.size() + b.size() - both;
    return 1.0 - static_cast<double>(both) / static_cast<double>(union_size);
  }
  // Bottom-k estimate: among the k smallest values of the union, the share found in both.
  const size_t k = std::min(a.size(), b.size());
  size_t taken = 0;
  while (taken < k && (i < a.size() || j < b.size())) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ++both, ++i, ++j;
    } else if (j >= b.size() || (i < a.size() && a[i] < b[j])) {
      ++i;
    } else {
      ++j;
    }
    ++taken;
  }
  return 1.0 - static_cast<double>(both) / static_cast<double>(k);
}

absl::StatusOr<DefacementPhrases> DefacementPhrases::Load(const std::string& path) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(path));
  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<const Data> data, DataFromNode(root, path));
  return DefacementPhrases(std::move(data));
}

absl::StatusOr<DefacementPhrases> DefacementPhrases::FromYaml(absl::string_view yaml,
                                                              absl::string_view source_name) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(yaml, source_name));
  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<const Data> data, DataFromNode(root, source_name));
  return DefacementPhrases(std::move(data));
}

std::vector<std::string> DefacementPhrases::Match(absl::string_view visible_text,
                                                  absl::string_view title) const {
  const PhraseMatcher& matcher = data_->matcher;
  std::vector<bool> found(matcher.size(), false);
  for (absl::string_view text : {title, visible_text}) {
    if (text.empty()) continue;
    const MatchForms forms = MakeMatchForms(text);
    for (const std::string* form : {&forms.plain, &forms.digits_as_letters, &forms.joined}) {
      if (form == &forms.digits_as_letters && *form == forms.plain) continue;
      // The joined form also finds multi-word phrases inside compounds ("hackedby").
      const auto boundaries = form == &forms.joined ? PhraseMatcher::Boundaries::kAlsoInsideWords
                                                    : PhraseMatcher::Boundaries::kWholeWords;
      size_t pos = 0;
      PhraseMatcher::Hit hit;
      while (matcher.FindNext(*form, &pos, &hit, boundaries)) found[hit.phrase] = true;
    }
  }
  const int total = static_cast<int>(std::count(found.begin(), found.end(), true));
  std::vector<std::string> out;
  for (int i = 0; i < matcher.size(); ++i) {
    if (found[i] && (!data_->supporting[i] || total >= 2)) out.push_back(matcher.phrase(i));
  }
  return out;
}

}  // namespace pantau::agent
