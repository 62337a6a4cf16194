#include "collector/incidents/catalog.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/file.h"
#include "common/yaml_fields.h"

namespace pantau::collector {
namespace {

constexpr size_t kMaxTextBytes = 2000;
constexpr size_t kMaxTitleBytes = 120;
constexpr size_t kMaxSteps = 20;
constexpr size_t kMaxFileBytes = 4u << 20;

struct SourceName {
  SignalSource source;
  absl::string_view name;
};
constexpr SourceName kSources[] = {
    {SignalSource::kProbeDown, "probe_down"}, {SignalSource::kProbeSlow, "probe_slow"},
    {SignalSource::kTlsExpiry, "tls_expiry"}, {SignalSource::kAgentSilent, "agent_silent"},
    {SignalSource::kFinding, "finding"},      {SignalSource::kLogAlert, "log_alert"},
    {SignalSource::kBackup, "backup"},
};

struct BackupSignalNameEntry {
  BackupSignal signal;
  absl::string_view name;
};
constexpr BackupSignalNameEntry kBackupSignals[] = {
    {BackupSignal::kOverdue, "overdue"},
    {BackupSignal::kFailed, "failed"},
    {BackupSignal::kUnverified, "unverified"},
    {BackupSignal::kSuspicious, "suspicious"},
};

// Keys that only mean something for some sources. A key given for another source would do
// nothing, which is refused like an unknown key: whoever wrote it expected an effect.
struct SourceKey {
  absl::string_view key;
  std::vector<SignalSource> sources;
};
const std::vector<SourceKey>& SourceKeys() {
  static const auto* keys = new std::vector<SourceKey>{
      {"severity_from_signal", {SignalSource::kFinding, SignalSource::kLogAlert}},
      {"consecutive", {SignalSource::kProbeDown, SignalSource::kProbeSlow}},
      {"recover_consecutive", {SignalSource::kProbeDown, SignalSource::kProbeSlow}},
      {"slow_ms", {SignalSource::kProbeSlow}},
      {"tls_days", {SignalSource::kTlsExpiry}},
      {"silent_after_seconds", {SignalSource::kAgentSilent}},
      {"finding_kinds", {SignalSource::kFinding}},
      {"log_families", {SignalSource::kLogAlert}},
      {"min_count", {SignalSource::kLogAlert}},
      {"backup_signal", {SignalSource::kBackup}},
      {"grace_seconds", {SignalSource::kBackup}},
      {"drop_share", {SignalSource::kBackup}},
  };
  return *keys;
}

// Incident kinds, finding kinds and alert families: [a-z0-9_]{1,64}.
bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

// Reads the top level of either file: an optional `version: 1` and the list under `list_key`.
absl::StatusOr<std::vector<YAML::Node>> ParseTopLevel(absl::string_view text,
                                                      absl::string_view name,
                                                      absl::string_view list_key) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(text, name));
  YamlFields f(root, std::string(name));
  const int64_t version = f.Int("version", 1, 0, 1000000);
  if (version != 1) f.Fail("version", absl::StrCat("must be 1 (the only format), got ", version));
  if (!f.Has(list_key)) f.Fail(list_key, "is required (a list)");
  std::vector<YAML::Node> items = f.MapList(list_key);
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  return items;
}

// A list of [a-z0-9_] names without repeats.
std::vector<std::string> NameList(YamlFields& f, absl::string_view key) {
  std::vector<std::string> names = f.StringList(key, 100, 64);
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!ValidName(name)) {
      f.Fail(key, absl::StrCat("'", name, "' is not a valid name: use [a-z0-9_], at most 64"));
      return {};
    }
    if (!seen.insert(name).second) {
      f.Fail(key, absl::StrCat("'", name, "' is listed twice"));
      return {};
    }
  }
  return names;
}

// A text for staff: not blank, at most kMaxTextBytes; stored without surrounding whitespace
// (folded YAML blocks end in a newline).
std::string Text(YamlFields& f, absl::string_view key, bool required) {
  const std::string raw = f.String(key, required);
  std::string text(absl::StripAsciiWhitespace(raw));
  if (raw.size() > kMaxTextBytes) {
    f.Fail(key, absl::StrCat("is ", raw.size(), " bytes; at most ", kMaxTextBytes, " are allowed"));
  } else if (required && f.Has(key) && text.empty()) {
    f.Fail(key, "must not be empty");
  }
  return text;
}

absl::Status ParseRule(const YAML::Node& node, const std::string& source, IncidentRule* rule) {
  rule->line = LineOf(node);
  YamlFields head(node, source, "rule.");
  rule->kind = head.String("kind", true);
  PANTAU_RETURN_IF_ERROR(head.status());
  if (!ValidName(rule->kind)) {
    head.Fail("kind",
              absl::StrCat("'", rule->kind, "' is not a valid kind: use [a-z0-9_], at most 64"));
    return head.status();
  }

  YamlFields f(node, source, absl::StrCat("rule '", rule->kind, "'."));
  f.String("kind", true);
  const std::string source_name = f.String("source", true);
  const std::string severity = f.String("severity", true);
  rule->severity_from_signal = f.Bool("severity_from_signal", false);
  rule->consecutive = static_cast<int>(f.Int("consecutive", 2, 1, 100));
  rule->recover_consecutive = static_cast<int>(f.Int("recover_consecutive", 2, 1, 100));
  rule->slow_ms = f.Int("slow_ms", 5000, 100, 600000);
  std::vector<int64_t> tls_days = f.IntList("tls_days", 1, 365);
  rule->silent_after = f.Seconds("silent_after_seconds", absl::Seconds(180), 60, 7 * 86400);
  rule->finding_kinds = NameList(f, "finding_kinds");
  rule->log_families = NameList(f, "log_families");
  rule->min_count = f.Int("min_count", 1, 1, 1000000000);
  rule->auto_resolve = f.Bool("auto_resolve", true);
  const std::string backup_signal = f.String("backup_signal", false);
  rule->grace = f.Seconds("grace_seconds", absl::Hours(1), 0, 7 * 86400);
  rule->drop_share = f.Double("drop_share", 0.5, 0.01, 0.99);
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());

  if (!ParseSignalSource(source_name, &rule->source)) {
    std::vector<absl::string_view> names;
    for (const SourceName& s : kSources) names.push_back(s.name);
    f.Fail("source",
           absl::StrCat("unknown source '", source_name, "' (", absl::StrJoin(names, ", "), ")"));
  }
  if (!ParseIncidentSeverity(severity, &rule->severity)) {
    f.Fail("severity", absl::StrCat("must be minor, major or critical, got '", severity, "'"));
  }
  PANTAU_RETURN_IF_ERROR(f.status());

  for (const SourceKey& k : SourceKeys()) {
    if (!f.Has(k.key)) continue;
    if (std::find(k.sources.begin(), k.sources.end(), rule->source) != k.sources.end()) continue;
    std::vector<absl::string_view> names;
    for (SignalSource s : k.sources) names.push_back(SignalSourceName(s));
    f.Fail(k.key, absl::StrCat("does not apply to source ", source_name, " (only to ",
                               absl::StrJoin(names, ", "), ")"));
  }
  switch (rule->source) {
    case SignalSource::kFinding:
      if (rule->finding_kinds.empty()) {
        f.Fail("finding_kinds", "is required for source finding (at least one finding kind)");
      }
      break;
    case SignalSource::kLogAlert:
      if (rule->log_families.empty()) {
        f.Fail("log_families", "is required for source log_alert (at least one family)");
      }
      break;
    case SignalSource::kBackup: {
      bool known = false;
      for (const BackupSignalNameEntry& b : kBackupSignals) {
        if (b.name == backup_signal) {
          rule->backup_signal = b.signal;
          known = true;
        }
      }
      if (!known) {
        f.Fail("backup_signal", absl::StrCat("is required for source backup: overdue, failed, "
                                             "unverified or suspicious, got '",
                                             backup_signal, "'"));
      } else if (f.Has("grace_seconds") && rule->backup_signal != BackupSignal::kOverdue) {
        f.Fail("grace_seconds", "only applies to backup_signal overdue");
      } else if (f.Has("drop_share") && rule->backup_signal != BackupSignal::kSuspicious) {
        f.Fail("drop_share", "only applies to backup_signal suspicious");
      }
      break;
    }
    case SignalSource::kTlsExpiry:
      if (f.Has("tls_days")) {
        if (tls_days.empty()) f.Fail("tls_days", "must list at least one stage");
        if (tls_days.size() > 10) f.Fail("tls_days", "has more than 10 stages");
        for (size_t i = 1; i < tls_days.size(); ++i) {
          if (tls_days[i] >= tls_days[i - 1]) {
            f.Fail("tls_days", absl::StrCat("must be in descending order (e.g. [30, 14, 7]), got ",
                                            absl::StrJoin(tls_days, ", ")));
            break;
          }
        }
        rule->tls_days.assign(tls_days.begin(), tls_days.end());
      }
      break;
    default:
      break;
  }
  return f.status();
}

absl::Status ParseRunbook(const YAML::Node& node, const std::string& source, Runbook* runbook) {
  runbook->line = LineOf(node);
  YamlFields head(node, source, "runbook.");
  runbook->kind = head.String("kind", true);
  PANTAU_RETURN_IF_ERROR(head.status());
  if (!ValidName(runbook->kind)) {
    head.Fail("kind",
              absl::StrCat("'", runbook->kind, "' is not a valid kind: use [a-z0-9_], at most 64"));
    return head.status();
  }

  YamlFields f(node, source, absl::StrCat("runbook '", runbook->kind, "'."));
  f.String("kind", true);
  runbook->title = Text(f, "title", true);
  runbook->summary = Text(f, "summary", true);
  const bool has_steps = f.Has("steps");
  runbook->steps = f.StringList("steps", kMaxSteps, kMaxTextBytes);
  runbook->third_party = Text(f, "third_party", false);
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());

  // The title goes into message subjects: one short line.
  if (runbook->title.size() > kMaxTitleBytes) {
    f.Fail("title", absl::StrCat("is ", runbook->title.size(), " bytes; at most ", kMaxTitleBytes,
                                 " (it is the subject of messages)"));
  } else if (runbook->title.find('\n') != std::string::npos) {
    f.Fail("title", "must be one line");
  }
  if (!has_steps || runbook->steps.empty()) {
    f.Fail("steps", "are required: at least one troubleshooting step");
  }
  for (std::string& step : runbook->steps) {
    step = std::string(absl::StripAsciiWhitespace(step));
    if (step.empty()) {
      f.Fail("steps", "must not contain an empty step");
      break;
    }
  }
  return f.status();
}

}  // namespace

absl::string_view IncidentSeverityName(IncidentSeverity severity) {
  switch (severity) {
    case IncidentSeverity::kMinor:
      return "minor";
    case IncidentSeverity::kMajor:
      return "major";
    case IncidentSeverity::kCritical:
      return "critical";
  }
  return "unknown";
}

absl::string_view IncidentSeverityLabel(IncidentSeverity severity) {
  switch (severity) {
    case IncidentSeverity::kMinor:
      return "ringan";
    case IncidentSeverity::kMajor:
      return "berat";
    case IncidentSeverity::kCritical:
      return "kritis";
  }
  return "tidak diketahui";
}

bool ParseIncidentSeverity(absl::string_view name, IncidentSeverity* severity) {
  for (IncidentSeverity s :
       {IncidentSeverity::kMinor, IncidentSeverity::kMajor, IncidentSeverity::kCritical}) {
    if (name == IncidentSeverityName(s)) {
      *severity = s;
      return true;
    }
  }
  return false;
}

absl::string_view SignalSourceName(SignalSource source) {
  for (const SourceName& s : kSources) {
    if (s.source == source) return s.name;
  }
  return "unknown";
}

bool ParseSignalSource(absl::string_view name, SignalSource* source) {
  for (const SourceName& s : kSources) {
    if (s.name == name) {
      *source = s.source;
      return true;
    }
  }
  return false;
}

const IncidentRule* IncidentCatalog::FindRule(absl::string_view kind) const {
  for (const IncidentRule& rule : rules) {
    if (rule.kind == kind) return &rule;
  }
  return nullptr;
}

const IncidentRule* IncidentCatalog::FindBackupRule(BackupSignal signal) const {
  for (const IncidentRule& rule : rules) {
    if (rule.source == SignalSource::kBackup && rule.backup_signal == signal) return &rule;
  }
  return nullptr;
}

absl::string_view BackupSignalName(BackupSignal signal) {
  for (const BackupSignalNameEntry& b : kBackupSignals) {
    if (b.signal == signal) return b.name;
  }
  return "unknown";
}

absl::Duration BackupOverdueAfter(const IncidentCatalog& catalog, int64_t interval_seconds) {
  const IncidentRule* rule = catalog.FindBackupRule(BackupSignal::kOverdue);
  const absl::Duration interval =
      interval_seconds > 0 ? absl::Seconds(interval_seconds) : kSopBackupInterval;
  return interval + (rule != nullptr ? rule->grace : absl::Hours(1));
}

const Runbook* IncidentCatalog::FindRunbook(absl::string_view kind) const {
  auto it = runbooks.find(std::string(kind));
  return it == runbooks.end() ? nullptr : &it->second;
}

absl::StatusOr<IncidentCatalog> ParseIncidentCatalog(absl::string_view rules_yaml,
                                                     absl::string_view rules_name,
                                                     absl::string_view runbooks_yaml,
                                                     absl::string_view runbooks_name) {
  const std::string rules_source(rules_name);
  const std::string runbooks_source(runbooks_name);
  IncidentCatalog catalog;

  PANTAU_ASSIGN_OR_RETURN(std::vector<YAML::Node> rule_nodes,
                          ParseTopLevel(rules_yaml, rules_name, "rules"));
  // Which rule counts a finding kind / alert family: one signal opens one incident, so a
  // second rule for the same signal (a copy-paste slip, or two pages for one event) is refused.
  std::map<std::string, const IncidentRule*> finding_owner;
  std::map<std::string, const IncidentRule*> family_owner;
  catalog.rules.reserve(rule_nodes.size());
  for (const YAML::Node& node : rule_nodes) {
    IncidentRule rule;
    PANTAU_RETURN_IF_ERROR(ParseRule(node, rules_source, &rule));
    const std::string where =
        absl::StrCat(rules_source, ":", rule.line, ": rule '", rule.kind, "'");
    if (const IncidentRule* first = catalog.FindRule(rule.kind)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".kind: kind '", rule.kind, "' appears twice (first at line ", first->line, ")"));
    }
    catalog.rules.push_back(std::move(rule));
  }
  for (const IncidentRule& rule : catalog.rules) {
    const std::string where =
        absl::StrCat(rules_source, ":", rule.line, ": rule '", rule.kind, "'");
    for (const std::string& kind : rule.finding_kinds) {
      auto [it, inserted] = finding_owner.emplace(kind, &rule);
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ".finding_kinds: finding kind '", kind, "' is already counted by rule '",
            it->second->kind, "' (line ", it->second->line, ")"));
      }
    }
    if (rule.source == SignalSource::kBackup) {
      for (const IncidentRule& other : catalog.rules) {
        if (&other == &rule) break;
        if (other.source == SignalSource::kBackup && other.backup_signal == rule.backup_signal) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ".backup_signal: '", BackupSignalName(rule.backup_signal),
              "' is already watched by rule '", other.kind, "' (line ", other.line, ")"));
        }
      }
    }
    for (const std::string& family : rule.log_families) {
      auto [it, inserted] = family_owner.emplace(family, &rule);
      if (!inserted) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".log_families: family '", family, "' is already counted by rule '",
                         it->second->kind, "' (line ", it->second->line, ")"));
      }
    }
  }

  PANTAU_ASSIGN_OR_RETURN(std::vector<YAML::Node> runbook_nodes,
                          ParseTopLevel(runbooks_yaml, runbooks_name, "runbooks"));
  for (const YAML::Node& node : runbook_nodes) {
    Runbook runbook;
    PANTAU_RETURN_IF_ERROR(ParseRunbook(node, runbooks_source, &runbook));
    const std::string where =
        absl::StrCat(runbooks_source, ":", runbook.line, ": runbook '", runbook.kind, "'");
    if (const Runbook* first = catalog.FindRunbook(runbook.kind)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".kind: kind '", runbook.kind,
                                                     "' appears twice (first at line ", first->line,
                                                     ")"));
    }
    // A runbook nobody can reach is most likely a misspelt kind.
    if (catalog.FindRule(runbook.kind) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".kind: no rule in ", rules_source,
                                                     " has kind '", runbook.kind, "' (misspelt?)"));
    }
    std::string kind = runbook.kind;
    catalog.runbooks.emplace(std::move(kind), std::move(runbook));
  }
  for (const IncidentRule& rule : catalog.rules) {
    if (catalog.FindRunbook(rule.kind) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(rules_source, ":", rule.line, ": rule '",
                                                     rule.kind, "': no runbook for kind '",
                                                     rule.kind, "' in ", runbooks_source));
    }
  }
  return catalog;
}

absl::StatusOr<IncidentCatalog> LoadIncidentCatalog(const std::string& rules_path,
                                                    const std::string& runbooks_path) {
  PANTAU_ASSIGN_OR_RETURN(std::string rules, ReadFileToString(rules_path, kMaxFileBytes));
  PANTAU_ASSIGN_OR_RETURN(std::string runbooks, ReadFileToString(runbooks_path, kMaxFileBytes));
  return ParseIncidentCatalog(rules, rules_path, runbooks, runbooks_path);
}

}  // namespace pantau::collector
