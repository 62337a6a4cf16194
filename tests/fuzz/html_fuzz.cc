// Fuzz target: arbitrary bytes as a fetched court page, through everything the agent's content
// check does with it: HTML extraction, normalisation, fingerprinting (and its serialised form),
// the gambling scan, defacement phrases and keyword checks. Any input must finish without a
// crash, hang or broken invariant.
//
// The word lists come from data/content/ of the source tree: $PANTAU_DATA_DIR when set, else
// found from this file's own path (__FILE__ is absolute in CMake builds); if neither can be
// read, a small built-in list keeps the scan code covered.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "agent/content/defacement.h"
#include "agent/content/gambling_detector.h"
#include "agent/content/html_document.h"
#include "agent/content/keyword_check.h"
#include "agent/content/text_normalizer.h"

namespace {

using namespace pantau::agent;  // NOLINT(build/namespaces): a fuzz target's one function

constexpr char kFallbackTerms[] = R"yaml(
groups:
  - name: promotion
    weight: 5
    max_count: 3
    terms: [slot gacor, maxwin, bonus new member, toto macau]
  - name: ambiguous
    weight: 1
    group_cap: 3
    near_warning_percent: 0
    link_text: false
    terms: [jackpot, judi]
warning_context: [bahaya, pasal 303]
gambling_hosts: ['slot|gacor', '[a-z](88|777)([.-]|$)']
)yaml";
constexpr char kFallbackPhrases[] = R"yaml(
phrases: [hacked by, greetz]
supporting_phrases: [owned by]
)yaml";

std::string DataDir() {
  if (const char* env = std::getenv("PANTAU_DATA_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  absl::string_view self = __FILE__;  // <source>/tests/fuzz/html_fuzz.cc
  const size_t at = self.rfind("/tests/fuzz/");
  if (at == absl::string_view::npos) return "";
  return std::string(self.substr(0, at)) + "/data/content";
}

struct Checks {
  GamblingDetector gambling;
  DefacementPhrases defacement;
  KeywordCheck keywords;
};

Checks MakeChecks() {
  const std::string dir = DataDir();
  auto gambling = GamblingDetector::Load(dir + "/gambling_terms.yaml");
  if (!gambling.ok()) gambling = GamblingDetector::FromYaml(kFallbackTerms, "fallback");
  auto defacement = DefacementPhrases::Load(dir + "/defacement_phrases.yaml");
  if (!defacement.ok()) defacement = DefacementPhrases::FromYaml(kFallbackPhrases, "fallback");
  auto keywords = KeywordCheck::Create({"Pengadilan Negeri", "jadwal sidang"}, {"slot gacor"});
  if (!gambling.ok() || !defacement.ok() || !keywords.ok()) __builtin_trap();
  return Checks{*std::move(gambling), *std::move(defacement), *std::move(keywords)};
}

const Checks& GetChecks() {
  static const Checks* const checks = new Checks(MakeChecks());
  return *checks;
}

void CheckNormalized(const std::string& s) {
  if (!s.empty() && (s.front() == ' ' || s.back() == ' ')) __builtin_trap();
  if (s.find("  ") != std::string::npos) __builtin_trap();
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') __builtin_trap();
  }
}

void CheckFingerprint(const TextFingerprint& fp) {
  auto parsed = TextFingerprint::Parse(fp.Serialize());
  if (!parsed.ok() || !(*parsed == fp)) __builtin_trap();
  if (fp.shingles().size() > TextFingerprint::kMaxShingles) __builtin_trap();
  if (ChangedShare(fp, fp) != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const Checks& checks = GetChecks();

  HtmlLimits limits;
  limits.max_text_bytes = 1 << 16;
  limits.max_links = 200;
  limits.max_depth = 64;
  const HtmlDocument doc = ExtractHtml(input, limits);
  if (doc.visible_text.size() > static_cast<size_t>(limits.max_text_bytes) ||
      doc.hidden_text.size() > static_cast<size_t>(limits.max_text_bytes) ||
      doc.links.size() > static_cast<size_t>(limits.max_links)) {
    __builtin_trap();
  }

  // The raw bytes as text too: the normaliser must take any byte sequence.
  const MatchForms forms = MakeMatchForms(input);
  CheckNormalized(forms.plain);
  CheckNormalized(forms.digits_as_letters);
  CheckNormalized(forms.joined);

  const TextFingerprint page = MakeFingerprint(doc.visible_text);
  const TextFingerprint raw = MakeFingerprint(input);
  CheckFingerprint(page);
  CheckFingerprint(raw);
  const double changed = ChangedShare(page, raw);
  if (!(changed >= 0 && changed <= 1)) __builtin_trap();
  if (TextFingerprint::Parse(input).ok() && input.substr(0, 4) != "tf1:") __builtin_trap();

  const GamblingScan scan = checks.gambling.Scan(doc, "pn-contoh.go.id");
  if (scan.score < 0 || scan.evidence.size() > GamblingScan::kMaxEvidence) __builtin_trap();
  if (scan.suspicious != (scan.score >= scan.threshold)) __builtin_trap();
  (void)SiteVerificationTokens(doc);
  (void)checks.defacement.Match(doc.visible_text, doc.title);
  (void)checks.keywords.Check(doc.visible_text, doc.title);
  return 0;
}
