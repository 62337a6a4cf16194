// Incident kinds: the rules that turn stored signals into incidents, and the runbook of each
// kind (troubleshooting steps in Bahasa Indonesia). Both are data files staff can edit:
// data/incidents/rules.yaml and data/incidents/runbooks.yaml. A later signal kind plugs in
// with a rule there and a runbook entry; the evaluator (incident_engine.h) knows the sources.
//
//   PANTAU_ASSIGN_OR_RETURN(IncidentCatalog catalog,
//                           LoadIncidentCatalog(data_dir + "/incidents/rules.yaml",
//                                               data_dir + "/incidents/runbooks.yaml"));
//   const IncidentRule* rule = catalog.FindRule("site_down");
#ifndef PANTAU_COLLECTOR_INCIDENTS_CATALOG_H_
#define PANTAU_COLLECTOR_INCIDENTS_CATALOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pantau::collector {

// How bad an incident is; sets the pace of escalation. Stored as its number.
enum class IncidentSeverity {
  kMinor = 1,     // escalates by policy, no situation updates
  kMajor = 2,     // escalates by policy; the sekretaris gets a situation update every 15 min
  kCritical = 3,  // every policy step at once (the sekretaris at once), plus situation updates
};
// "minor", "major", "critical"; "unknown" otherwise.
absl::string_view IncidentSeverityName(IncidentSeverity severity);
// Bahasa Indonesia for messages: "ringan", "berat", "kritis".
absl::string_view IncidentSeverityLabel(IncidentSeverity severity);
// The inverse of IncidentSeverityName; false (and *severity untouched) for other names.
bool ParseIncidentSeverity(absl::string_view name, IncidentSeverity* severity);

// Where a rule's signal comes from (the evaluator has one query per source).
enum class SignalSource {
  kProbeDown,    // the last `consecutive` HTTP probes of a site failed
  kProbeSlow,    // the last `consecutive` HTTP probes were up but slower than slow_ms
  kTlsExpiry,    // the newest HTTP probe's certificate has at most tls_days.front() days left
  kAgentSilent,  // an agent sent nothing (batch or heartbeat) for `silent_after`
  kFinding,      // an open finding (open_findings) of one of finding_kinds
  kLogAlert,     // an open log alert (log_alerts, not closed) of one of log_families
  kBackup,       // the site's backups (BackupSummary): see BackupSignal
};
// YAML names: probe_down, probe_slow, tls_expiry, agent_silent, finding, log_alert, backup.
absl::string_view SignalSourceName(SignalSource source);
// The inverse of SignalSourceName; false (and *source untouched) for other names.
bool ParseSignalSource(absl::string_view name, SignalSource* source);

// What a `backup` rule looks at (YAML key backup_signal). A site that never sent a backup
// summary has none of these.
enum class BackupSignal {
  kOverdue,     // no verified backup finished within the job's interval + grace_seconds
  kFailed,      // the newest backup run of the site has an error
  kUnverified,  // the newest backup run finished without error but was not verified
  kSuspicious,  // the newest successful run's file count or source bytes fell by more than
                // drop_share against the previous successful run (a wiped web root backed up)
};
// YAML names: overdue, failed, unverified, suspicious.
absl::string_view BackupSignalName(BackupSignal signal);

// The backup job interval assumed when an agent does not report one: the SOP's 6 hours.
inline constexpr absl::Duration kSopBackupInterval = absl::Hours(6);

struct IncidentRule {
  std::string kind;  // [a-z0-9_]{1,64}, unique, e.g. "site_down"
  SignalSource source = SignalSource::kFinding;
  IncidentSeverity severity = IncidentSeverity::kMajor;
  // finding / log_alert: when true the incident's severity follows the most severe signal (critical
  // → kCritical, warning → kMajor, info → kMinor); when false it is always `severity`.
  bool severity_from_signal = false;
  // probe_down / probe_slow: probes in a row that open (default 2), and good probes in a row
  // that confirm recovery (default 2). Between the two the incident stays as it is (damping).
  int consecutive = 2;
  int recover_consecutive = 2;
  // probe_slow: total time above this counts as slow (default 5000 ms).
  int64_t slow_ms = 5000;
  // tls_expiry: stages in days, descending (default 30, 14, 7). The incident opens at the
  // first; reaching a later stage raises its level and pages again.
  std::vector<int> tls_days = {30, 14, 7};
  // agent_silent: silence that opens it (default 180 s: three 60-second intervals).
  absl::Duration silent_after = absl::Seconds(180);
  // finding: finding kinds (open_findings.kind) that count.
  std::vector<std::string> finding_kinds;
  // log_alert: alert families that count, and the smallest alert count that counts (default 1).
  std::vector<std::string> log_families;
  int64_t min_count = 1;
  // backup: which condition (required), the grace after the job's interval before a backup
  // is overdue (default 3600 s), and the share a file count / source size must fall by to be
  // suspicious (default 0.5, i.e. to less than half).
  BackupSignal backup_signal = BackupSignal::kOverdue;
  absl::Duration grace = absl::Hours(1);
  double drop_share = 0.5;
  // Resolve by itself once the signal is gone (default true). False: only by hand (e.g. a
  // webshell: the requests stopping proves nothing).
  bool auto_resolve = true;
  int line = 0;  // in the rules file, for messages
};

// Troubleshooting for one incident kind, in Bahasa Indonesia.
struct Runbook {
  std::string kind;
  // Short title, e.g. "Situs tidak dapat diakses".
  std::string title;
  // What it means, one or two sentences.
  std::string summary;
  // The steps, in order ("alternatif pemecahan masalah").
  std::vector<std::string> steps;
  // Whom to contact outside the court and what to ask (hosting, registrar, vendor); may be empty.
  std::string third_party;
  int line = 0;
};

struct IncidentCatalog {
  std::vector<IncidentRule> rules;          // file order
  std::map<std::string, Runbook> runbooks;  // by kind

  const IncidentRule* FindRule(absl::string_view kind) const;
  const Runbook* FindRunbook(absl::string_view kind) const;
  // The rule of source backup watching `signal`; nullptr when there is none.
  const IncidentRule* FindBackupRule(BackupSignal signal) const;
};

// How long after the last verified backup a site's backup is overdue: the job's interval
// (`interval_seconds` as the agent reported it; kSopBackupInterval when 0) plus the grace of
// the catalog's backup_overdue rule (one hour without such a rule). The backup_overdue
// incident, GetStatus and ListBackups all use this.
absl::Duration BackupOverdueAfter(const IncidentCatalog& catalog, int64_t interval_seconds);

// Parses both files. InvalidArgument naming file:line and the key for: unknown keys, wrong
// types, an unknown source, a kind twice, a rule without the keys its source needs (finding
// without finding_kinds, ...), tls_days not descending, a rule without a runbook, a runbook
// without steps, texts over 2000 bytes. Also refused: a key that does nothing for the rule's
// source (slow_ms on a finding rule), a finding kind or log family counted by two rules (one
// signal opens one incident), a runbook whose kind has no rule (misspelt), a title over 120
// bytes or on several lines (it goes into subjects). Texts are stored without surrounding
// whitespace. The format is documented in docs/INCIDENTS_RUNBOOKS.md.
absl::StatusOr<IncidentCatalog> LoadIncidentCatalog(const std::string& rules_path,
                                                    const std::string& runbooks_path);
absl::StatusOr<IncidentCatalog> ParseIncidentCatalog(absl::string_view rules_yaml,
                                                     absl::string_view rules_name,
                                                     absl::string_view runbooks_yaml,
                                                     absl::string_view runbooks_name);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INCIDENTS_CATALOG_H_
