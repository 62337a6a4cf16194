#include "agent/logwatch/rule_set.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/logwatch/request_kind.h"
#include "agent/logwatch/uri_decode.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"
#include "re2/re2.h"
#include "re2/set.h"

namespace pantau::agent::logwatch {
namespace {

constexpr std::array<absl::string_view, kFieldCount> kFieldNames = {
    "uri", "path", "query", "raw", "method", "user_agent", "referer", "message"};

// Used for examples that do not name a User-Agent, so that a User-Agent rule that fires on an
// ordinary browser is caught by its own examples.
constexpr absl::string_view kDefaultExampleUserAgent =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36";

constexpr size_t kMaxPatternBytes = 8192;
constexpr int64_t kSetMaxMem = int64_t{128} << 20;

RE2::Options PatternOptions() {
  RE2::Options options;
  // Logs carry arbitrary bytes (invalid UTF-8); Latin-1 matches byte by byte and keeps the DFA
  // small. Case-insensitivity only matters for ASCII keywords.
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_case_sensitive(false);
  options.set_never_capture(true);
  options.set_log_errors(false);
  options.set_max_mem(kSetMaxMem);
  return options;
}

bool ValidFamily(absl::string_view family) {
  if (family.empty() || family.size() > 64) return false;
  for (char c : family) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) return false;
  }
  return true;
}

struct Example {
  std::string target = "/";
  std::string method = "GET";
  std::string user_agent = std::string(kDefaultExampleUserAgent);
  std::string referer;
  std::string message;
  int status = 200;
  int line = 0;
  std::string shown;  // how the example is named in errors
};

struct ParsedRule {
  Rule rule;
  std::vector<Example> match;
  std::vector<Example> no_match;
  std::string source;
  int line = 0;
};

std::string Where(const std::string& source, int line) {
  return line > 0 ? absl::StrCat(source, ":", line) : source;
}

std::string Shorten(absl::string_view s) {
  if (s.size() <= 160) return std::string(s);
  return absl::StrCat(s.substr(0, 160), "...");
}

absl::Status ParseExample(const YAML::Node& node, bool error_log, const std::string& source,
                          const std::string& rule_id, Example* out) {
  out->line = node.Mark().line + 1;
  if (node.IsScalar()) {
    if (error_log) {
      out->message = node.Scalar();
    } else {
      out->target = node.Scalar();
    }
    out->shown = Shorten(node.Scalar());
    return absl::OkStatus();
  }
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(source, out->line), ": rule '", rule_id, "': an example must be a string (a request target) or a mapping with "
                            "target/method/user_agent/referer/status/message"));
  }
  YamlFields f(node, source, absl::StrCat("rule '", rule_id, "' example."));
  out->target = f.String("target", false, "/");
  out->method = f.String("method", false, "GET");
  out->user_agent = f.String("user_agent", false, kDefaultExampleUserAgent);
  out->referer = f.String("referer", false);
  out->message = f.String("message", false);
  out->status = static_cast<int>(f.Int("status", 200, 0, 999));
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  std::vector<std::string> parts;
  if (f.Has("target") || !f.Has("message")) parts.push_back(Shorten(out->target));
  if (f.Has("method")) parts.push_back(absl::StrCat("method=", out->method));
  if (f.Has("user_agent")) parts.push_back(absl::StrCat("user_agent=", Shorten(out->user_agent)));
  if (f.Has("referer")) parts.push_back(absl::StrCat("referer=", Shorten(out->referer)));
  if (f.Has("status")) parts.push_back(absl::StrCat("status=", out->status));
  if (f.Has("message")) parts.push_back(absl::StrCat("message=", Shorten(out->message)));
  out->shown = absl::StrJoin(parts, " ");
  return absl::OkStatus();
}

absl::Status ParseExamples(const YAML::Node& node, const char* key, bool error_log,
                           const std::string& source, const std::string& rule_id,
                           const std::string& where, std::vector<Example>* out) {
  const YAML::Node& map = node;
  YAML::Node list = map[key];
  if (!list.IsDefined() || list.IsNull()) return absl::OkStatus();
  if (!list.IsSequence()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": examples.", key, " must be a list"));
  }
  for (const YAML::Node& item : list) {
    Example example;
    PANTAU_RETURN_IF_ERROR(ParseExample(item, error_log, source, rule_id, &example));
    out->push_back(std::move(example));
  }
  return absl::OkStatus();
}

absl::Status ParseRule(const YAML::Node& node, const std::string& source, ParsedRule* out) {
  out->source = source;
  out->line = node.Mark().line + 1;
  YamlFields f(node, source, "rule.");
  Rule& rule = out->rule;
  rule.id = f.String("id", true);
  PANTAU_RETURN_IF_ERROR(f.status());
  const std::string where =
      absl::StrCat(Where(source, out->line), ": rule '", rule.id, "'");
  auto fail = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
  };
  if (!IsValidRuleId(rule.id)) return fail("id must be 1..64 characters of [a-z0-9_.-]");
  YamlFields g(node, source, absl::StrCat("rule '", rule.id, "'."));
  g.String("id", true);
  rule.family = g.String("family", true);
  const std::string severity = g.String("severity", true);
  rule.description = g.String("description", true);
  rule.action = g.String("action", true);
  YAML::Node match = g.Map("match");
  std::vector<int64_t> statuses = g.IntList("status", 100, 599);
  std::vector<int64_t> classes = g.IntList("status_class", 1, 5);
  rule.error_log = g.Bool("error_log", false);
  rule.page_only = g.Bool("page", false);
  const std::string scope = g.String("scope", false);
  const int64_t threshold = g.Int("threshold", 0, 1, 1000000);
  const bool has_window = g.Has("window_seconds");
  const absl::Duration window = g.Seconds("window_seconds", absl::ZeroDuration(), 1, 86400);
  YAML::Node examples = g.Map("examples");
  g.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(g.status());

  if (!ValidFamily(rule.family)) return fail("family must be 1..64 characters of [a-z0-9_]");
  if (severity == "info") {
    rule.severity = v1::Finding::INFO;
  } else if (severity == "warning") {
    rule.severity = v1::Finding::WARNING;
  } else if (severity == "critical") {
    rule.severity = v1::Finding::CRITICAL;
  } else {
    return fail(absl::StrCat("severity must be info, warning or critical, got '", severity, "'"));
  }
  if (absl::StripAsciiWhitespace(rule.description).empty()) {
    return fail("description (Bahasa Indonesia) must not be empty");
  }
  if (absl::StripAsciiWhitespace(rule.action).empty()) {
    return fail("action (Bahasa Indonesia) must not be empty");
  }
  // Both travel in every alert, whose text fields the collector bounds at 1024 bytes.
  if (rule.description.size() > 1024) return fail("description is longer than 1024 bytes");
  if (rule.action.size() > 1024) return fail("action is longer than 1024 bytes");
  for (int64_t s : statuses) rule.statuses.push_back(static_cast<int>(s));
  for (int64_t c : classes) rule.status_classes.push_back(static_cast<int>(c));

  if (match.IsDefined() && !match.IsNull()) {
    for (const auto& kv : match) {
      std::string key;
      try {
        key = kv.first.as<std::string>();
      } catch (const YAML::Exception&) {
        return fail("match keys must be field names");
      }
      auto it = std::find(kFieldNames.begin(), kFieldNames.end(), key);
      if (it == kFieldNames.end()) {
        return fail(absl::StrCat("match: unknown field '", key, "' (fields: ",
                                 absl::StrJoin(kFieldNames, ", "), ")"));
      }
      if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
        return fail(absl::StrCat("match.", key, " must be a non-empty RE2 pattern"));
      }
      const std::string& pattern = kv.second.Scalar();
      if (pattern.size() > kMaxPatternBytes) {
        return fail(absl::StrCat("match.", key, " is longer than ", kMaxPatternBytes, " bytes"));
      }
      RE2 re(pattern, PatternOptions());
      if (!re.ok()) {
        return fail(absl::StrCat("match.", key, ": invalid RE2 pattern: ", re.error()));
      }
      rule.patterns.emplace_back(static_cast<Field>(it - kFieldNames.begin()), pattern);
    }
  }
  const bool uses_message =
      std::any_of(rule.patterns.begin(), rule.patterns.end(),
                  [](const auto& p) { return p.first == Field::kMessage; });
  if (uses_message && !rule.error_log) {
    return fail("match.message only applies to error_log: true rules");
  }
  if (rule.error_log) {
    for (const auto& p : rule.patterns) {
      if (p.first != Field::kMessage) {
        return fail(absl::StrCat("an error_log rule can only match 'message', not '",
                                 FieldName(p.first), "'"));
      }
    }
    if (!rule.statuses.empty() || !rule.status_classes.empty() || rule.page_only) {
      return fail("an error_log rule cannot filter on status or page");
    }
  }

  if (scope.empty()) {
    if (threshold != 0 || has_window) {
      return fail("threshold and window_seconds need scope: client or scope: site");
    }
    if (rule.patterns.empty() && rule.statuses.empty() && rule.status_classes.empty() &&
        !rule.page_only) {
      return fail("a signature rule needs at least one match pattern or status filter");
    }
  } else {
    if (scope == "client") {
      rule.scope = Rule::Scope::kClient;
    } else if (scope == "site") {
      rule.scope = Rule::Scope::kSite;
    } else {
      return fail(absl::StrCat("scope must be client or site, got '", scope, "'"));
    }
    if (threshold <= 0) return fail("a window rule (scope) needs threshold >= 1");
    if (!has_window) return fail("a window rule (scope) needs window_seconds");
    rule.threshold = static_cast<int>(threshold);
    rule.window = window;
  }

  if (!examples.IsDefined() || examples.IsNull()) {
    return fail("examples are required: at least one 'match' and one 'no_match'");
  }
  for (const auto& kv : examples) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      key = "?";
    }
    if (key != "match" && key != "no_match") {
      return fail(absl::StrCat("examples: unknown key '", key, "' (match, no_match)"));
    }
  }
  PANTAU_RETURN_IF_ERROR(
      ParseExamples(examples, "match", rule.error_log, source, rule.id, where, &out->match));
  PANTAU_RETURN_IF_ERROR(ParseExamples(examples, "no_match", rule.error_log, source, rule.id,
                                       where, &out->no_match));
  if (out->match.empty()) return fail("needs at least one examples.match entry");
  if (out->no_match.empty()) {
    return fail("needs at least one examples.no_match entry (a legitimate request it must not "
                "flag)");
  }
  return absl::OkStatus();
}

// The rule's status filters (none = any status).
bool AcceptsStatus(const Rule& rule, int status) {
  return (rule.statuses.empty() || std::find(rule.statuses.begin(), rule.statuses.end(),
                                             status) != rule.statuses.end()) &&
         (rule.status_classes.empty() ||
          std::find(rule.status_classes.begin(), rule.status_classes.end(), status / 100) !=
              rule.status_classes.end());
}

}  // namespace

absl::string_view FieldName(Field field) {
  const int i = static_cast<int>(field);
  if (i < 0 || i >= kFieldCount) return "?";
  return kFieldNames[i];
}

struct RuleSet::Impl {
  using FieldRules = RuleSet::FieldRules;
  std::vector<Rule> rules;
  // Two banks of one set per field: sets[f] holds the patterns of rules without a status
  // filter, sets[kFieldCount + f] those of rules with one (e.g. 404 floods), which are run
  // only for a status some such rule accepts (gate_open) — so a pattern that matches most
  // paths but counts only 404s costs nothing on the 95% of requests that are not 404s.
  // set_rule[i][k] is the rule of pattern k in sets[i].
  std::array<std::unique_ptr<RE2::Set>, 2 * kFieldCount> sets;
  std::array<std::vector<int>, 2 * kFieldCount> set_rule;
  std::array<bool, 600> gate_open{};
  std::vector<int> condition_count;  // per rule: number of field patterns
  std::vector<int> unconditional;    // rules without patterns (status filters / windows only)
  // Fields whose set matches most texts (e.g. a rate rule over every page path): the
  // any-match pre-check would only add a pass there.
  std::array<bool, 2 * kFieldCount> always_matches{};

  bool FiltersHold(const Rule& rule, const MatchInput& input) const {
    if (rule.error_log != input.error_log) return false;
    if (rule.page_only && !IsPageRequest(input.path)) return false;
    return AcceptsStatus(rule, input.status);
  }

  void SetMatch(int f, absl::string_view text, std::vector<int>* scratch,
                std::vector<int>* rules_out) const {
    const RE2::Set* set = sets[f].get();
    if (set == nullptr) return;
    const re2::StringPiece piece(text.data(), text.size());
    // Most texts match nothing. Asking only whether anything matches skips the per-call
    // allocation RE2::Set makes to collect matches and stops at the first match, so the
    // common case costs one DFA scan; the full pass runs only when something matched.
    if (!always_matches[f] && !set->Match(piece, nullptr)) return;
    scratch->clear();
    // A set that runs out of DFA memory reports false; with 128 MiB per set and Latin-1
    // patterns that is not expected, and a miss is the only consequence.
    if (!set->Match(piece, scratch)) return;
    for (int i : *scratch) rules_out->push_back(set_rule[f][i]);
  }

  void Combine(const MatchInput& input, std::vector<int>* cand, std::vector<int>* hits) const {
    if (!cand->empty()) {
      std::sort(cand->begin(), cand->end());
      size_t i = 0;
      while (i < cand->size()) {
        const int r = (*cand)[i];
        size_t j = i;
        while (j < cand->size() && (*cand)[j] == r) ++j;
        if (static_cast<int>(j - i) == condition_count[r] && FiltersHold(rules[r], input)) {
          hits->push_back(r);
        }
        i = j;
      }
    }
    for (int r : unconditional) {
      if (FiltersHold(rules[r], input)) hits->push_back(r);
    }
  }

  void Run(const MatchInput& input, const FieldRules& cached, std::vector<int>* hits) const {
    thread_local std::vector<int> scratch;
    thread_local std::vector<int> cand;
    cand.clear();
    if (input.error_log) {
      SetMatch(static_cast<int>(Field::kMessage), input.message, &scratch, &cand);
    } else {
      const bool gate = input.status >= 0 &&
                        input.status < static_cast<int>(gate_open.size()) &&
                        gate_open[input.status];
      auto field = [&](Field f, absl::string_view text, const std::vector<int>* known) {
        if (known != nullptr) {  // a cached result holds both banks
          cand.insert(cand.end(), known->begin(), known->end());
          return;
        }
        SetMatch(static_cast<int>(f), text, &scratch, &cand);
        if (gate) SetMatch(kFieldCount + static_cast<int>(f), text, &scratch, &cand);
      };
      field(Field::kUri, input.uri, nullptr);
      field(Field::kPath, input.path, nullptr);
      field(Field::kQuery, input.query, nullptr);
      field(Field::kRaw, input.raw, nullptr);
      field(Field::kMethod, input.method, cached.method);
      field(Field::kUserAgent, input.user_agent, cached.user_agent);
      field(Field::kReferer, input.referer, cached.referer);
    }
    Combine(input, &cand, hits);
  }
};

RuleSet::RuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

const std::vector<Rule>& RuleSet::rules() const { return impl_->rules; }

void RuleSet::Match(const MatchInput& input, std::vector<int>* hits) const {
  impl_->Run(input, FieldRules(), hits);
}

bool RuleSet::HasPatterns(Field field) const {
  return impl_->sets[static_cast<int>(field)] != nullptr ||
         impl_->sets[kFieldCount + static_cast<int>(field)] != nullptr;
}

void RuleSet::MatchField(Field field, absl::string_view text, std::vector<int>* rules) const {
  thread_local std::vector<int> scratch;
  const size_t start = rules->size();
  impl_->SetMatch(static_cast<int>(field), text, &scratch, rules);
  impl_->SetMatch(kFieldCount + static_cast<int>(field), text, &scratch, rules);
  std::sort(rules->begin() + start, rules->end());
}

void RuleSet::MatchWithFieldRules(const MatchInput& input, const FieldRules& cached,
                                  std::vector<int>* hits) const {
  impl_->Run(input, cached, hits);
}

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::Load(
    const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, std::string>> sources;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot open rule file ", path));
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (text.size() > (16u << 20)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 16 MiB"));
    }
    sources.emplace_back(path, std::move(text));
  }
  return Parse(sources);
}

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::LoadShipped(
    const std::string& data_dir, const std::vector<std::string>& extra) {
  std::vector<std::string> paths = {data_dir + "/logwatch/rules.yaml"};
  paths.insert(paths.end(), extra.begin(), extra.end());
  return Load(paths);
}

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::Parse(
    const std::vector<std::pair<std::string, std::string>>& sources) {
  std::vector<ParsedRule> parsed;
  absl::flat_hash_set<std::string> ids;
  for (const auto& [name, text] : sources) {
    PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(text, name));
    try {
      YamlFields top(root, name);
      top.Int("version", 1, 1, 1);
      std::vector<YAML::Node> rule_nodes = top.MapList("rules");
      top.CheckNoUnknownKeys();
      PANTAU_RETURN_IF_ERROR(top.status());
      for (const YAML::Node& node : rule_nodes) {
        ParsedRule rule;
        PANTAU_RETURN_IF_ERROR(ParseRule(node, name, &rule));
        if (!ids.insert(rule.rule.id).second) {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(name, rule.line), ": rule '", rule.rule.id, "': duplicate rule id"));
        }
        parsed.push_back(std::move(rule));
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", e.mark.line + 1, ": ", e.msg));
    }
  }

  auto impl = std::make_unique<Impl>();
  impl->rules.reserve(parsed.size());
  for (const ParsedRule& p : parsed) impl->rules.push_back(p.rule);
  impl->condition_count.resize(impl->rules.size());
  for (size_t r = 0; r < impl->rules.size(); ++r) {
    const Rule& rule = impl->rules[r];
    impl->condition_count[r] = static_cast<int>(rule.patterns.size());
    if (rule.patterns.empty()) impl->unconditional.push_back(static_cast<int>(r));
    const bool gated = !rule.statuses.empty() || !rule.status_classes.empty();
    if (gated) {
      for (int status = 0; status < static_cast<int>(impl->gate_open.size()); ++status) {
        if (AcceptsStatus(rule, status)) impl->gate_open[status] = true;
      }
    }
    for (const auto& [field, pattern] : rule.patterns) {
      const int f = static_cast<int>(field) + (gated ? kFieldCount : 0);
      if (impl->sets[f] == nullptr) {
        impl->sets[f] = std::make_unique<RE2::Set>(PatternOptions(), RE2::UNANCHORED);
      }
      std::string error;
      if (impl->sets[f]->Add(pattern, &error) < 0) {
        return absl::InvalidArgumentError(absl::StrCat(Where(parsed[r].source, parsed[r].line),
                                                       ": rule '", rule.id, "': match.",
                                                       FieldName(field), ": ", error));
      }
      impl->set_rule[f].push_back(static_cast<int>(r));
    }
  }
  for (int f = 0; f < 2 * kFieldCount; ++f) {
    if (impl->sets[f] != nullptr && !impl->sets[f]->Compile()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rule patterns for field '", kFieldNames[f % kFieldCount],
                       "' are too large to compile together"));
    }
  }
  for (int f = 0; f < 2 * kFieldCount; ++f) {
    if (impl->sets[f] == nullptr) continue;
    int matched = 0;
    for (absl::string_view probe : {absl::string_view("/"), absl::string_view("/index.php"),
                                    absl::string_view("/berita/a-b-c"), absl::string_view("/a.jpg?x=1"),
                                    absl::string_view("GET"),
                                    kDefaultExampleUserAgent}) {
      matched += impl->sets[f]->Match(re2::StringPiece(probe.data(), probe.size()), nullptr);
    }
    impl->always_matches[f] = matched >= 2;
  }
  std::shared_ptr<const RuleSet> set(new RuleSet(std::move(impl)));

  // Every example must behave as declared.
  DecodedTarget decoded;
  std::vector<int> hits;
  for (size_t r = 0; r < parsed.size(); ++r) {
    const ParsedRule& p = parsed[r];
    for (int want = 1; want >= 0; --want) {
      const std::vector<Example>& list = want ? p.match : p.no_match;
      for (const Example& e : list) {
        MatchInput input;
        input.error_log = p.rule.error_log;
        if (p.rule.error_log) {
          input.message = e.message;
        } else {
          DecodeTarget(e.target, &decoded);
          input.uri = decoded.uri;
          input.path = decoded.path;
          input.query = decoded.query;
          input.raw = e.target;
          input.method = e.method;
          input.user_agent = e.user_agent;
          input.referer = e.referer;
          input.status = e.status;
        }
        hits.clear();
        set->Match(input, &hits);
        const bool hit = std::find(hits.begin(), hits.end(), static_cast<int>(r)) != hits.end();
        if (hit != static_cast<bool>(want)) {
          return absl::InvalidArgumentError(absl::StrCat(
              Where(p.source, e.line), ": rule '", p.rule.id, "': ",
              want ? "examples.match entry does not trigger the rule: "
                   : "examples.no_match entry triggers the rule: ",
              e.shown));
        }
      }
    }
  }
  return set;
}

}  // namespace pantau::agent::logwatch
