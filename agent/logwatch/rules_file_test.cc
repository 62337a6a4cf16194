// Checks the shipped rule file data/logwatch/rules.yaml: it loads, covers every family, every
// rule carries positive and negative examples, and on two corpora (agent/logwatch/testdata/)
// real-world attack requests are caught by the right family while legitimate court-site
// traffic triggers no signature rule.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/logwatch/detector.h"
#include "agent/logwatch/rule_set.h"
#include "agent/logwatch/uri_decode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace pantau::agent::logwatch {
namespace {

constexpr char kRulesPath[] = PANTAU_SOURCE_DIR "/data/logwatch/rules.yaml";
constexpr char kTestdata[] = PANTAU_SOURCE_DIR "/agent/logwatch/testdata/";
constexpr char kBrowser[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36";

std::shared_ptr<const RuleSet> LoadShipped() {
  auto rules = RuleSet::Load({kRulesPath});
  EXPECT_OK(rules);
  return rules.ok() ? *rules : nullptr;
}

struct CorpusEntry {
  std::string family;  // empty for the benign corpus
  std::string kind;    // target | user_agent | referer
  std::string value;
  int line = 0;
};

std::vector<CorpusEntry> ReadCorpus(const std::string& name, bool with_family) {
  std::ifstream in(std::string(kTestdata) + name);
  EXPECT_TRUE(in.good()) << "cannot open " << name;
  std::vector<CorpusEntry> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits('\t', with_family ? 2 : 1));
    CorpusEntry e;
    e.line = n;
    if (with_family) {
      if (parts.size() != 3) {
        ADD_FAILURE() << name << ":" << n << ": expected family<TAB>kind<TAB>value";
        continue;
      }
      e.family = parts[0];
      e.kind = parts[1];
      e.value = parts[2];
    } else {
      if (parts.size() != 2) {
        ADD_FAILURE() << name << ":" << n << ": expected kind<TAB>value";
        continue;
      }
      e.kind = parts[0];
      e.value = parts[1];
    }
    out.push_back(e);
  }
  return out;
}

// The signature (single-request) rules that fire on one corpus entry.
std::vector<const Rule*> SignatureHits(const RuleSet& rules, const CorpusEntry& e) {
  DecodedTarget d;
  const std::string target = e.kind == "target" ? e.value : "/";
  DecodeTarget(target, &d);
  MatchInput in;
  in.uri = d.uri;
  in.path = d.path;
  in.query = d.query;
  in.raw = target;
  in.method = "GET";
  in.user_agent = e.kind == "user_agent" ? absl::string_view(e.value) : kBrowser;
  in.referer = e.kind == "referer" ? absl::string_view(e.value) : "";
  in.status = 200;
  std::vector<int> hits;
  rules.Match(in, &hits);
  std::vector<const Rule*> out;
  for (int h : hits) {
    const Rule& r = rules.rules()[h];
    if (r.scope == Rule::Scope::kRequest && !r.error_log) out.push_back(&r);
  }
  return out;
}

TEST(ShippedRules, LoadAndCoverEveryFamily) {
  auto rules = LoadShipped();
  ASSERT_NE(rules, nullptr);
  std::map<std::string, int> per_family;
  for (const Rule& r : rules->rules()) ++per_family[r.family];
  for (const char* family :
       {"sql_injection", "xss", "path_traversal", "rfi", "command_injection", "php_injection",
        "java_injection", "ssrf", "sensitive_file", "webshell", "scanner", "brute_force",
        "path_probing", "rate_spike", "server_errors"}) {
    EXPECT_GE(per_family[family], 1) << "no rule for family " << family;
  }
  std::string summary;
  for (const auto& [family, n] : per_family) summary += family + "=" + std::to_string(n) + " ";
  std::printf("rules: %zu (%s)\n", rules->rules().size(), summary.c_str());
}

TEST(ShippedRules, EveryRuleHasIndonesianTextAndBothKindsOfExamples) {
  YAML::Node root = YAML::LoadFile(kRulesPath);
  ASSERT_TRUE(root["rules"].IsSequence());
  int count = 0;
  for (const YAML::Node& rule : root["rules"]) {
    ++count;
    const std::string id = rule["id"].as<std::string>();
    EXPECT_GE(rule["examples"]["match"].size(), 1u) << id;
    EXPECT_GE(rule["examples"]["no_match"].size(), 1u) << id;
    EXPECT_FALSE(rule["description"].as<std::string>().empty()) << id;
    // Staff actions are imperative Indonesian sentences.
    EXPECT_THAT(rule["action"].as<std::string>(),
                ::testing::ContainsRegex("Periksa|Blokir|Pastikan|Hapus|Cari|Segera|Nonaktifkan|"
                                         "Matikan|Pertimbangkan|Tidak perlu"))
        << id;
  }
  EXPECT_GE(count, 30);

  // And the load-time check refuses a rule whose negative examples are missing.
  const std::string no_negative = R"(rules:
  - id: x
    family: xss
    severity: info
    description: d
    action: a
    match: {uri: 'x'}
    examples: {match: ["/x"]}
)";
  EXPECT_THAT(RuleSet::Parse({{"t.yaml", no_negative}}),
              pantau::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                        ::testing::HasSubstr("no_match")));
}

TEST(ShippedRules, AttackCorpusIsCaughtByTheExpectedFamily) {
  auto rules = LoadShipped();
  ASSERT_NE(rules, nullptr);
  std::vector<CorpusEntry> corpus = ReadCorpus("attacks.tsv", true);
  ASSERT_GE(corpus.size(), 150u);
  std::set<std::string> families;
  for (const CorpusEntry& e : corpus) {
    families.insert(e.family);
    std::vector<const Rule*> hits = SignatureHits(*rules, e);
    std::vector<std::string> seen;
    bool ok = false;
    for (const Rule* r : hits) {
      seen.push_back(r->id);
      ok |= r->family == e.family;
    }
    EXPECT_TRUE(ok) << "attacks.tsv:" << e.line << " (" << e.family << ") " << e.kind << " "
                    << e.value << " -> [" << absl::StrJoin(seen, ",") << "]";
  }
  EXPECT_GE(families.size(), 11u);
}

TEST(ShippedRules, BenignCourtTrafficTriggersNoSignatureRule) {
  auto rules = LoadShipped();
  ASSERT_NE(rules, nullptr);
  std::vector<CorpusEntry> corpus = ReadCorpus("benign.tsv", false);
  ASSERT_GE(corpus.size(), 150u);
  for (const CorpusEntry& e : corpus) {
    std::vector<const Rule*> hits = SignatureHits(*rules, e);
    std::vector<std::string> ids;
    for (const Rule* r : hits) ids.push_back(r->id);
    EXPECT_TRUE(ids.empty()) << "benign.tsv:" << e.line << " " << e.kind << " " << e.value
                             << " -> [" << absl::StrJoin(ids, ",") << "]";
  }
}

// Informal cost figure (printed, not asserted: the machine is shared).
TEST(ShippedRules, ReportsMatchCostOnBenignTraffic) {
  auto rules = LoadShipped();
  ASSERT_NE(rules, nullptr);
  std::vector<CorpusEntry> corpus = ReadCorpus("benign.tsv", false);
  std::vector<std::string> targets;
  for (const CorpusEntry& e : corpus) {
    if (e.kind == "target") targets.push_back(e.value);
  }
  ASSERT_FALSE(targets.empty());
  DecodedTarget d;
  std::vector<int> hits;
  const std::string referer = "https://www.google.com/";
  size_t signature_hits = 0;
  const int kRounds = 200000;
  auto start = std::chrono::steady_clock::now();
  std::vector<int> ua_rules;
  rules->MatchField(Field::kUserAgent, kBrowser, &ua_rules);
  for (int i = 0; i < kRounds; ++i) {
    const std::string& t = targets[i % targets.size()];
    DecodeTarget(t, &d);
    MatchInput in;
    in.uri = d.uri;
    in.path = d.path;
    in.query = d.query;
    in.raw = t;
    in.method = "GET";
    in.user_agent = kBrowser;
    in.referer = referer;
    in.status = 200;
    hits.clear();
    RuleSet::FieldRules cached;
    cached.user_agent = &ua_rules;
    rules->MatchWithFieldRules(in, cached, &hits);
    for (int h : hits) signature_hits += rules->rules()[h].scope == Rule::Scope::kRequest;
  }
  const double cached_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      kRounds;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    const std::string& t = targets[i % targets.size()];
    DecodeTarget(t, &d);
    MatchInput in;
    in.uri = d.uri;
    in.path = d.path;
    in.query = d.query;
    in.raw = t;
    in.method = "GET";
    in.user_agent = kBrowser;
    in.referer = referer;
    in.status = 200;
    hits.clear();
    rules->Match(in, &hits);
  }
  const double full_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      kRounds;
  // The Detector's path: decode, cached User-Agent/method/Referer, windows (rate rules).
  Detector detector(rules, "bench", {});
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    AccessRecord r;
    r.client = i % 2 ? "198.51.100.1" : "198.51.100.2";
    r.method = "GET";
    r.target = targets[i % targets.size()];
    r.status = 200;
    r.user_agent = kBrowser;
    r.referer = referer;
    signature_hits += detector.ProcessAccess(r, "line", i + 1, t0 + absl::Seconds(i));
  }
  const double detector_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      kRounds;
  std::printf("per request: decode+Match (all fields) %.0f ns; decode+Match with cached "
              "User-Agent %.0f ns; Detector::ProcessAccess %.0f ns\n",
              full_ns, cached_ns, detector_ns);
  EXPECT_EQ(signature_hits, 0u);
}

}  // namespace
}  // namespace pantau::agent::logwatch
