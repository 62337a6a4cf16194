// Detection rules for web-server logs, loaded from a YAML rule file (data/logwatch/rules.yaml
// ships with pantau; users add their own files). Every rule carries an id, a family, a
// severity, a description and a suggested action in Bahasa Indonesia, RE2 patterns over
// decoded fields, and examples that must / must not match — checked when the file is loaded,
// so a rule that does not do what its examples say is refused with a clear error.
//
// Signature rules fire on a single request. Window rules (brute force, 404 floods, rate
// spikes, 5xx bursts) count requests that meet their conditions per client (or per site) in
// a sliding window and fire at a threshold; their counting lives in Detector.
//
// Matching costs one RE2::Set pass per field that has patterns, whatever the number of rules.
//
//   PANTAU_ASSIGN_OR_RETURN(auto rules, RuleSet::Load({"/usr/share/pantau/data/logwatch/rules.yaml"}));
//   RuleMatcher matcher(rules);       // one per thread
//   matcher.Match(input, &hits);      // indexes into rules->rules()
#ifndef PANTAU_AGENT_LOGWATCH_RULE_SET_H_
#define PANTAU_AGENT_LOGWATCH_RULE_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::logwatch {

// What a pattern looks at.
enum class Field {
  kUri,        // whole target, decoded (DecodedTarget::uri)
  kPath,       // decoded, normalised path (DecodedTarget::path)
  kQuery,      // decoded query (DecodedTarget::query)
  kRaw,        // target exactly as logged (to see encodings themselves, e.g. "%252e")
  kMethod,     // GET, POST, ...
  kUserAgent,
  kReferer,
  kMessage,    // error-log message (error logs only)
};
inline constexpr int kFieldCount = 8;
absl::string_view FieldName(Field field);  // "uri", "path", ..., as in the rule file

struct Rule {
  std::string id;           // [a-z0-9_.-]{1,64}, unique across all loaded files
  std::string family;       // sql_injection, xss, path_traversal, rfi, command_injection,
                            // php_injection, java_injection, ssrf, sensitive_file, webshell,
                            // scanner, brute_force, path_probing, rate_spike, server_errors, ...
  v1::Finding::Severity severity = v1::Finding::WARNING;
  std::string description;  // Bahasa Indonesia
  std::string action;       // Bahasa Indonesia
  // Conditions: every (field, pattern) must match (AND); alternatives go inside a pattern.
  std::vector<std::pair<Field, std::string>> patterns;
  std::vector<int> statuses;           // any of these statuses; empty = any status
  std::vector<int> status_classes;     // any of these classes (2 = 2xx, ...); empty = any
  bool error_log = false;              // applies to error-log lines instead of access lines
  bool page_only = false;              // `page: true`: only page requests (IsPageRequest)
  // Window rules: 0 = a signature rule.
  enum class Scope { kRequest, kClient, kSite };
  Scope scope = Scope::kRequest;
  int threshold = 0;                   // requests in `window` that fire the rule
  absl::Duration window = absl::ZeroDuration();
};

// The decoded fields of one request or error-log line.
struct MatchInput {
  absl::string_view uri, path, query, raw, method, user_agent, referer, message;
  int status = 0;
  bool error_log = false;
};

class RuleSet {
 public:
  // Loads and merges rule files in order. InvalidArgument names file, rule id and problem
  // (bad YAML, unknown field or family key, invalid RE2, duplicate id, missing Indonesian
  // description/action, an example that does not behave as declared, no negative example).
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Load(const std::vector<std::string>& paths);
  // The shipped rules (data_dir/logwatch/rules.yaml) followed by `extra` files: what the agent
  // and scan-log use.
  static absl::StatusOr<std::shared_ptr<const RuleSet>> LoadShipped(
      const std::string& data_dir, const std::vector<std::string>& extra);
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Parse(
      const std::vector<std::pair<std::string, std::string>>& sources);  // (name, yaml text)

  const std::vector<Rule>& rules() const;
  // Thread-safe. Appends the indexes of the rules whose every condition holds (signature and
  // window rules alike; for window rules "holds" means the request counts toward the window).
  void Match(const MatchInput& input, std::vector<int>* hits) const;

  // Lower-level matching for callers that cache per-field results (Detector caches the
  // User-Agent, method and Referer, which repeat heavily). Thread-safe.
  bool HasPatterns(Field field) const;
  // Appends the indexes of the rules whose condition on `field` matches `text` (sorted).
  void MatchField(Field field, absl::string_view text, std::vector<int>* rules) const;
  // Results of MatchField for fields of the input; a null pointer = match that field here.
  struct FieldRules {
    const std::vector<int>* user_agent = nullptr;
    const std::vector<int>* method = nullptr;
    const std::vector<int>* referer = nullptr;
  };
  // Like Match, but takes the given fields' results instead of matching them again.
  void MatchWithFieldRules(const MatchInput& input, const FieldRules& cached,
                           std::vector<int>* hits) const;

  struct Impl;
  ~RuleSet();

 private:
  explicit RuleSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_RULE_SET_H_
