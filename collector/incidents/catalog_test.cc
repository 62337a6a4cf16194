#include "collector/incidents/catalog.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRulesPath[] = PANTAU_SOURCE_DIR "/data/incidents/rules.yaml";
constexpr char kRunbooksPath[] = PANTAU_SOURCE_DIR "/data/incidents/runbooks.yaml";

// Finding kinds the agents report (docs/PROBES.md) and log alert families (docs/LOGWATCH.md).
const std::vector<std::string> kFindingKinds = {"tls_invalid",
                                                "tls_expiring",
                                                "redirect_offsite",
                                                "tcp_closed",
                                                "dns_unexpected_address",
                                                "dns_mismatch",
                                                "dns_failure",
                                                "defacement",
                                                "gambling_spam",
                                                "keyword_missing",
                                                "keyword_forbidden",
                                                "verification_tag_changed",
                                                "cloaking",
                                                "sitemap_injected",
                                                "sitemap_new",
                                                "sitemap_growth",
                                                "required_page_missing",
                                                "required_page_broken",
                                                "required_page_stale",
                                                "content_stale"};
const std::vector<std::string> kLogFamilies = {
    "sql_injection",     "xss",           "path_traversal", "rfi",
    "command_injection", "php_injection", "java_injection", "ssrf",
    "sensitive_file",    "webshell",      "scanner",        "brute_force",
    "path_probing",      "rate_spike",    "server_errors",  "waf_block"};

IncidentCatalog LoadShipped() {
  absl::StatusOr<IncidentCatalog> catalog = LoadIncidentCatalog(kRulesPath, kRunbooksPath);
  EXPECT_THAT(catalog, IsOk());
  return catalog.ok() ? *catalog : IncidentCatalog();
}

TEST(ShippedCatalog, LoadsAndEveryRuleHasAUsefulRunbook) {
  const IncidentCatalog catalog = LoadShipped();
  ASSERT_GE(catalog.rules.size(), 13u);
  EXPECT_EQ(catalog.runbooks.size(), catalog.rules.size());
  for (const IncidentRule& rule : catalog.rules) {
    SCOPED_TRACE(rule.kind);
    const Runbook* runbook = catalog.FindRunbook(rule.kind);
    ASSERT_NE(runbook, nullptr);
    EXPECT_FALSE(runbook->title.empty());
    EXPECT_LE(runbook->title.size(), 60u) << "titles go into subjects: keep them short";
    EXPECT_FALSE(runbook->summary.empty());
    EXPECT_GE(runbook->steps.size(), 4u);
    EXPECT_LE(runbook->steps.size(), 8u);
    for (const std::string& step : runbook->steps) {
      EXPECT_EQ(step.find('\n'), std::string::npos) << "folded steps are one line: " << step;
      EXPECT_GE(step.size(), 20u) << step;
    }
  }
}

TEST(ShippedCatalog, HasTheSuggestedKindsWithTheirSettings) {
  const IncidentCatalog catalog = LoadShipped();
  for (const char* kind : {"site_down", "site_slow", "tls_expiring", "tls_invalid", "agent_silent",
                           "defacement", "gambling_spam", "dns_hijack", "required_page_missing",
                           "content_stale", "attack_burst", "brute_force", "webshell"}) {
    EXPECT_NE(catalog.FindRule(kind), nullptr) << kind;
  }
  const IncidentRule* down = catalog.FindRule("site_down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->source, SignalSource::kProbeDown);
  EXPECT_EQ(down->severity, IncidentSeverity::kMajor);
  EXPECT_EQ(down->consecutive, 2);

  const IncidentRule* slow = catalog.FindRule("site_slow");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->slow_ms, 5000);
  EXPECT_EQ(slow->consecutive, 3);
  EXPECT_EQ(slow->severity, IncidentSeverity::kMinor);

  const IncidentRule* tls = catalog.FindRule("tls_expiring");
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->source, SignalSource::kTlsExpiry);
  EXPECT_EQ(tls->tls_days, (std::vector<int>{30, 14, 7}));

  const IncidentRule* silent = catalog.FindRule("agent_silent");
  ASSERT_NE(silent, nullptr);
  EXPECT_EQ(silent->silent_after, absl::Seconds(180));

  const IncidentRule* defacement = catalog.FindRule("defacement");
  ASSERT_NE(defacement, nullptr);
  EXPECT_TRUE(defacement->severity_from_signal);

  const IncidentRule* gambling = catalog.FindRule("gambling_spam");
  ASSERT_NE(gambling, nullptr);
  EXPECT_EQ(gambling->severity, IncidentSeverity::kCritical);
  EXPECT_THAT(gambling->finding_kinds,
              ::testing::IsSupersetOf({"gambling_spam", "sitemap_injected", "cloaking",
                                       "keyword_forbidden", "redirect_offsite"}));

  const IncidentRule* attack = catalog.FindRule("attack_burst");
  ASSERT_NE(attack, nullptr);
  EXPECT_EQ(attack->source, SignalSource::kLogAlert);
  EXPECT_GE(attack->min_count, 10);

  const IncidentRule* webshell = catalog.FindRule("webshell");
  ASSERT_NE(webshell, nullptr);
  EXPECT_EQ(webshell->severity, IncidentSeverity::kCritical);
  EXPECT_FALSE(webshell->auto_resolve);
  EXPECT_TRUE(catalog.FindRule("site_down")->auto_resolve);

  const IncidentRule* compromised = catalog.FindRule("web_root_compromised");
  ASSERT_NE(compromised, nullptr);
  EXPECT_EQ(compromised->severity, IncidentSeverity::kCritical);
  EXPECT_THAT(compromised->finding_kinds,
              ::testing::UnorderedElementsAre("webshell_file", "script_in_uploads"));
  const IncidentRule* changed = catalog.FindRule("web_root_changed");
  ASSERT_NE(changed, nullptr);
  EXPECT_EQ(changed->severity, IncidentSeverity::kMajor);

  const IncidentRule* overdue = catalog.FindBackupRule(BackupSignal::kOverdue);
  ASSERT_NE(overdue, nullptr);
  EXPECT_EQ(overdue->kind, "backup_overdue");
  EXPECT_EQ(overdue->grace, absl::Hours(1));
  EXPECT_EQ(BackupOverdueAfter(catalog, 0), absl::Hours(7));  // SOP 6 h + 1 h
  EXPECT_EQ(BackupOverdueAfter(catalog, 3600), absl::Hours(2));
  EXPECT_EQ(catalog.FindBackupRule(BackupSignal::kFailed)->severity, IncidentSeverity::kMajor);
  EXPECT_EQ(catalog.FindBackupRule(BackupSignal::kUnverified)->severity,
            IncidentSeverity::kMinor);
  const IncidentRule* suspicious = catalog.FindBackupRule(BackupSignal::kSuspicious);
  ASSERT_NE(suspicious, nullptr);
  EXPECT_DOUBLE_EQ(suspicious->drop_share, 0.5);
  EXPECT_FALSE(suspicious->auto_resolve);
}


TEST(ShippedCatalog, MapsEveryFindingKindAndFamilyExceptTheDocumentedOnes) {
  const IncidentCatalog catalog = LoadShipped();
  std::set<std::string> findings, families;
  for (const IncidentRule& rule : catalog.rules) {
    findings.insert(rule.finding_kinds.begin(), rule.finding_kinds.end());
    families.insert(rule.log_families.begin(), rule.log_families.end());
  }
  // tls_expiring comes from the probes (source tls_expiry); scanners, path probing and WAF
  // blocks are background noise on a public site.
  const std::set<std::string> unmapped = {"tls_expiring", "scanner", "path_probing", "waf_block"};
  for (const std::string& kind : kFindingKinds) {
    EXPECT_EQ(findings.count(kind) == 1, unmapped.count(kind) == 0) << kind;
  }
  for (const std::string& family : kLogFamilies) {
    EXPECT_EQ(families.count(family) == 1, unmapped.count(family) == 0) << family;
  }
}

TEST(IncidentCatalog, NamesSeveritiesAndSources) {
  EXPECT_EQ(IncidentSeverityName(IncidentSeverity::kCritical), "critical");
  EXPECT_EQ(IncidentSeverityName(static_cast<IncidentSeverity>(7)), "unknown");
  EXPECT_EQ(IncidentSeverityLabel(IncidentSeverity::kMinor), "ringan");
  EXPECT_EQ(IncidentSeverityLabel(IncidentSeverity::kMajor), "berat");
  EXPECT_EQ(IncidentSeverityLabel(IncidentSeverity::kCritical), "kritis");
  IncidentSeverity severity = IncidentSeverity::kMinor;
  EXPECT_TRUE(ParseIncidentSeverity("major", &severity));
  EXPECT_EQ(severity, IncidentSeverity::kMajor);
  EXPECT_FALSE(ParseIncidentSeverity("Major", &severity));
  EXPECT_EQ(severity, IncidentSeverity::kMajor);

  for (SignalSource source :
       {SignalSource::kProbeDown, SignalSource::kProbeSlow, SignalSource::kTlsExpiry,
        SignalSource::kAgentSilent, SignalSource::kFinding, SignalSource::kLogAlert}) {
    SignalSource parsed = SignalSource::kFinding;
    EXPECT_TRUE(ParseSignalSource(SignalSourceName(source), &parsed));
    EXPECT_EQ(parsed, source);
  }
  EXPECT_EQ(SignalSourceName(SignalSource::kTlsExpiry), "tls_expiry");
}

constexpr char kOneRunbook[] = R"(runbooks:
  - kind: site_down
    title: Situs tidak dapat diakses
    summary: Situs tidak menjawab.
    steps: [Periksa server., Hubungi penyedia hosting.]
)";

TEST(ParseIncidentCatalog, AppliesDefaultsAndStripsTexts) {
  absl::StatusOr<IncidentCatalog> catalog = ParseIncidentCatalog(
      "rules:\n  - {kind: site_down, source: probe_down, severity: critical}\n", "rules.yaml",
      "runbooks:\n"
      "  - kind: site_down\n"
      "    title: Situs tidak dapat diakses\n"
      "    summary: >\n"
      "      Dua baris\n"
      "      yang dilipat.\n"
      "    steps:\n"
      "      - '  Periksa server.  '\n",
      "runbooks.yaml");
  ASSERT_THAT(catalog, IsOk());
  ASSERT_EQ(catalog->rules.size(), 1u);
  const IncidentRule& rule = catalog->rules[0];
  EXPECT_EQ(rule.severity, IncidentSeverity::kCritical);
  EXPECT_EQ(rule.consecutive, 2);
  EXPECT_EQ(rule.recover_consecutive, 2);
  EXPECT_TRUE(rule.auto_resolve);
  EXPECT_EQ(rule.line, 2);
  const Runbook* runbook = catalog->FindRunbook("site_down");
  ASSERT_NE(runbook, nullptr);
  EXPECT_EQ(runbook->summary, "Dua baris yang dilipat.");
  EXPECT_EQ(runbook->steps, std::vector<std::string>{"Periksa server."});
  EXPECT_EQ(runbook->line, 2);
  EXPECT_EQ(catalog->FindRule("site_slow"), nullptr);
  EXPECT_EQ(catalog->FindRunbook("site_slow"), nullptr);
}

TEST(ParseIncidentCatalog, AllowsFindingKindsAndFamiliesOfLaterSignals) {
  EXPECT_THAT(
      ParseIncidentCatalog("rules:\n"
                           "  - {kind: site_down, source: finding, severity: minor,"
                           " finding_kinds: [backup_missing_2], severity_from_signal: true}\n",
                           "rules.yaml", kOneRunbook, "runbooks.yaml"),
      IsOk());
}

TEST(LoadIncidentCatalog, MissingFileIsNotFound) {
  EXPECT_THAT(LoadIncidentCatalog("/nonexistent/rules.yaml", kRunbooksPath),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/rules.yaml")));
}

struct BadCase {
  const char* name;
  std::string rules;
  std::string runbooks;
  std::string error;  // expected in the message, with file:line
};

constexpr char kRuleHead[] =
    "rules:\n"
    "  - kind: site_down\n"
    "    source: probe_down\n"
    "    severity: major\n";

std::vector<BadCase> BadCases() {
  const std::string long_text(2100, 'a');
  return {
      {"unknown key", absl::StrCat(kRuleHead, "    consecutiv: 3\n"), kOneRunbook,
       "rules.yaml:5: rule 'site_down'.consecutiv: unknown key (misspelt?)"},
      {"wrong type", absl::StrCat(kRuleHead, "    consecutive: two\n"), kOneRunbook,
       "rules.yaml:5: rule 'site_down'.consecutive: must be a whole number, got 'two'"},
      {"out of range", absl::StrCat(kRuleHead, "    consecutive: 0\n"), kOneRunbook,
       "rules.yaml:5: rule 'site_down'.consecutive: must be between 1 and 100, got 0"},
      {"unknown source", "rules:\n  - kind: site_down\n    source: probe_up\n    severity: major\n",
       kOneRunbook,
       "rules.yaml:3: rule 'site_down'.source: unknown source 'probe_up' (probe_down, "
       "probe_slow, tls_expiry, agent_silent, finding, log_alert, backup)"},
      {"unknown severity",
       "rules:\n  - kind: site_down\n    source: probe_down\n    severity: urgent\n", kOneRunbook,
       "rules.yaml:4: rule 'site_down'.severity: must be minor, major or critical, got 'urgent'"},
      {"missing severity", "rules:\n  - kind: site_down\n    source: probe_down\n", kOneRunbook,
       "rules.yaml:2: rule 'site_down'.severity: is required"},
      {"bad kind", "rules:\n  - kind: Site-Down\n    source: probe_down\n    severity: major\n",
       kOneRunbook, "rules.yaml:2: rule.kind: 'Site-Down' is not a valid kind"},
      {"kind twice", absl::StrCat(kRuleHead, kRuleHead + 7), kOneRunbook,
       "rules.yaml:5: rule 'site_down'.kind: kind 'site_down' appears twice (first at line 2)"},
      {"finding without finding_kinds",
       "rules:\n  - kind: site_down\n    source: finding\n    severity: major\n", kOneRunbook,
       "rules.yaml:2: rule 'site_down'.finding_kinds: is required for source finding"},
      {"log_alert without families",
       "rules:\n  - kind: site_down\n    source: log_alert\n    severity: major\n"
       "    min_count: 5\n",
       kOneRunbook,
       "rules.yaml:2: rule 'site_down'.log_families: is required for source log_alert"},
      {"key of another source", absl::StrCat(kRuleHead, "    slow_ms: 3000\n"), kOneRunbook,
       "rules.yaml:5: rule 'site_down'.slow_ms: does not apply to source probe_down (only to "
       "probe_slow)"},
      {"severity_from_signal on a probe rule",
       absl::StrCat(kRuleHead, "    severity_from_signal: true\n"), kOneRunbook,
       "rules.yaml:5: rule 'site_down'.severity_from_signal: does not apply to source probe_down"},
      {"tls_days ascending",
       "rules:\n  - kind: site_down\n    source: tls_expiry\n    severity: major\n"
       "    tls_days: [7, 14, 30]\n",
       kOneRunbook,
       "rules.yaml:5: rule 'site_down'.tls_days: must be in descending order (e.g. [30, 14, 7]), "
       "got 7, 14, 30"},
      {"bad finding kind",
       "rules:\n  - kind: site_down\n    source: finding\n    severity: major\n"
       "    finding_kinds: [tls_invalid, Gambling-Spam]\n",
       kOneRunbook,
       "rules.yaml:5: rule 'site_down'.finding_kinds: 'Gambling-Spam' is not a valid name"},
      {"finding kind in two rules",
       "rules:\n  - {kind: site_down, source: finding, severity: major, finding_kinds: [x]}\n"
       "  - {kind: site_slow, source: finding, severity: minor, finding_kinds: [y, x]}\n",
       absl::StrCat(kOneRunbook,
                    "  - {kind: site_slow, title: Lambat, summary: Lambat., steps: [Periksa.]}\n"),
       "rules.yaml:3: rule 'site_slow'.finding_kinds: finding kind 'x' is already counted by "
       "rule 'site_down' (line 2)"},
      {"rule without runbook",
       absl::StrCat(kRuleHead, "  - {kind: site_slow, source: probe_slow, severity: minor}\n"),
       kOneRunbook,
       "rules.yaml:5: rule 'site_slow': no runbook for kind 'site_slow' in runbooks.yaml"},
      {"runbook without rule", kRuleHead,
       absl::StrCat(kOneRunbook,
                    "  - {kind: site_slw, title: Lambat, summary: Lambat., steps: [Periksa.]}\n"),
       "runbooks.yaml:6: runbook 'site_slw'.kind: no rule in rules.yaml has kind 'site_slw' "
       "(misspelt?)"},
      {"runbook without steps", kRuleHead,
       "runbooks:\n  - kind: site_down\n    title: Mati\n    summary: Situs mati.\n",
       "runbooks.yaml:2: runbook 'site_down'.steps: are required"},
      {"runbook with empty steps", kRuleHead,
       "runbooks:\n  - kind: site_down\n    title: Mati\n    summary: Situs mati.\n"
       "    steps: []\n",
       "runbooks.yaml:5: runbook 'site_down'.steps: are required"},
      {"text over 2000 bytes", kRuleHead,
       absl::StrCat("runbooks:\n  - kind: site_down\n    title: Mati\n    summary: ", long_text,
                    "\n    steps: [Periksa.]\n"),
       "runbooks.yaml:4: runbook 'site_down'.summary: is 2100 bytes; at most 2000 are allowed"},
      {"step over 2000 bytes", kRuleHead,
       absl::StrCat("runbooks:\n  - kind: site_down\n    title: Mati\n    summary: Mati.\n"
                    "    steps:\n      - ",
                    long_text, "\n"),
       "runbooks.yaml:6: runbook 'site_down'.steps: entries must be 1..2000 bytes"},
      {"title over two lines", kRuleHead,
       "runbooks:\n  - kind: site_down\n    title: \"Situs\\nmati\"\n    summary: Mati.\n"
       "    steps: [Periksa.]\n",
       "runbooks.yaml:3: runbook 'site_down'.title: must be one line"},
      {"blank summary", kRuleHead,
       "runbooks:\n  - kind: site_down\n    title: Mati\n    summary: '   '\n"
       "    steps: [Periksa.]\n",
       "runbooks.yaml:4: runbook 'site_down'.summary: must not be empty"},
      {"runbook unknown key", kRuleHead,
       absl::StrCat(kOneRunbook, "    third_party: Penyedia hosting.\n    vendor: x\n"),
       "runbooks.yaml:7: runbook 'site_down'.vendor: unknown key (misspelt?)"},
      {"missing rules list", "version: 1\n", kOneRunbook, "rules.yaml:1: rules: is required"},
      {"rules not a list", "rules: {kind: site_down}\n", kOneRunbook,
       "rules.yaml:1: rules: must be a list"},
      {"unknown top-level key", absl::StrCat("rule_list: []\n", kRuleHead), kOneRunbook,
       "rules.yaml:1: rule_list: unknown key"},
      {"unknown version", absl::StrCat("version: 2\n", kRuleHead), kOneRunbook,
       "rules.yaml:1: version: must be 1 (the only format), got 2"},
      {"syntax error", "rules:\n  - kind: site_down\n   source: [probe_down\n", kOneRunbook,
       "rules.yaml:"},
  };
}

TEST(ParseIncidentCatalog, RefusesBadFilesNamingFileLineAndKey) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseIncidentCatalog(c.rules, "rules.yaml", c.runbooks, "runbooks.yaml"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)));
  }
}

TEST(ParseIncidentCatalog, BaseOfTheBadCasesIsValid) {
  EXPECT_THAT(ParseIncidentCatalog(kRuleHead, "rules.yaml", kOneRunbook, "runbooks.yaml"), IsOk());
}

TEST(ParseIncidentCatalog, RefusesBackupRulesWithoutOrWithTheWrongKeys) {
  const std::string runbooks = absl::StrCat(
      kOneRunbook, "  - {kind: b, title: Cadangan, summary: Cadangan., steps: [Periksa.]}\n",
      "  - {kind: c, title: Cadangan, summary: Cadangan., steps: [Periksa.]}\n");
  auto rules = [](const std::string& b, const std::string& c) {
    return absl::StrCat(kRuleHead, "  - {kind: b, source: backup, severity: major", b, "}\n",
                        "  - {kind: c, source: backup, severity: minor", c, "}\n");
  };
  EXPECT_THAT(ParseIncidentCatalog(rules(", backup_signal: overdue", ", backup_signal: failed"),
                                   "rules.yaml", runbooks, "runbooks.yaml"),
              IsOk());
  EXPECT_THAT(ParseIncidentCatalog(rules("", ", backup_signal: failed"), "rules.yaml", runbooks,
                                   "runbooks.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rule 'b'.backup_signal: is required for source backup")));
  EXPECT_THAT(ParseIncidentCatalog(rules(", backup_signal: failed, grace_seconds: 60",
                                         ", backup_signal: overdue"),
                                   "rules.yaml", runbooks, "runbooks.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rule 'b'.grace_seconds: only applies to backup_signal overdue")));
  EXPECT_THAT(ParseIncidentCatalog(rules(", backup_signal: failed", ", backup_signal: failed"),
                                   "rules.yaml", runbooks, "runbooks.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rule 'c'.backup_signal: 'failed' is already watched by rule 'b'")));
  EXPECT_THAT(ParseIncidentCatalog(rules(", backup_signal: suspicious, drop_share: 1.5",
                                         ", backup_signal: failed"),
                                   "rules.yaml", runbooks, "runbooks.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("drop_share")));
}

}  // namespace
}  // namespace pantau::collector
