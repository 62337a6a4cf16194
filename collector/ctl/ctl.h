// pantauctl, the operator's command line, as a library so tests can run it in-process.
//
//   pantauctl [--collector HOST:PORT] [--ca-file FILE | --insecure] [--timeout SECONDS]
//             [--token-file FILE]
//             status [--json] [--court CODE]
//             alerts [--site SITE] [--court CODE] [--all] [--limit N] [--json]
//             backups [--site SITE] [--court CODE] [--limit N] [--json]
//             visitors --site SITE [--court CODE] [--minutes N] [--json]
//             whoami [--json]
//             incidents [list] [--court CODE] [--site SITE] [--all] [--limit N] [--json]
//             incidents show ID [--json]
//             incidents ack ID [--note TEXT]
//             incidents note ID TEXT... | incidents note ID --note TEXT
//             incidents handoff ID --vendor V --ticket T --contact C
//                                  [--sla TIME | --sla-hours N] [--note TEXT]
//             incidents handoff ID --ticket-closed [--note TEXT]
//             incidents resolve ID --note TEXT
//             maintenance add --court CODE [--site SITE] (--minutes N | --until TIME)
//                             [--from TIME] --reason TEXT
//             maintenance list [--court CODE] [--all] [--json]
//             maintenance end ID
//             org apply FILE [--dry-run]
//             people [--court CODE] [--json]
//             token issue PERSON
//
// Every call carries the operator's token ("authorization: Bearer <token>"), found in this
// order: --token-file FILE, the file named by $PANTAU_TOKEN_FILE, the token itself in
// $PANTAU_TOKEN, the file ~/.config/pantau/token. A file's first line counts, whitespace
// trimmed. The token is never printed (except by `token issue`, which prints a new one once).
//
// TIME is "YYYY-MM-DD HH:MM" in WIB (UTC+7), or carries its zone: an RFC 3339 offset
// ("2026-11-27T10:00+08:00", "...Z") or a trailing " WITA" / " WIT" / " WIB". Times shown are
// in the incident's court zone (WIB/WITA/WIT) or, for maintenance windows, in WIB.
#ifndef PANTAU_COLLECTOR_CTL_CTL_H_
#define PANTAU_COLLECTOR_CTL_CTL_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "pantau/v1/operator_service.pb.h"

namespace pantau::ctl {

// What pantauctl takes from its process besides the arguments. Flags and environment are read
// in main (ProcessEnvironment()); tests pass their own.
struct CtlEnvironment {
  // $PANTAU_TOKEN_FILE, $PANTAU_TOKEN and $HOME (for ~/.config/pantau/token); empty = unset.
  std::string token_file;
  std::string token;
  std::string home;
  // "Now" for --minutes, --until and --sla-hours; nullptr = the wall clock. Must outlive the
  // RunCtl call.
  const Clock* clock = nullptr;
};

// The environment of this process (getenv).
CtlEnvironment ProcessEnvironment();

// Runs one command. Returns the exit code: 0 success; 1 the collector failed, refused
// (UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION, ...) or is unreachable,
// or (status) a CRITICAL finding is open on some site, or (alerts) an open CRITICAL log alert
// is listed, or (backups) a listed site's newest backup failed or its last verified backup is
// overdue, or (incidents) an unresolved critical incident is listed; 2 usage error,
// including no operator token. `args` excludes the program name.
int RunCtl(const std::vector<std::string>& args, const CtlEnvironment& env, std::ostream& out,
           std::ostream& err);
// The same with ProcessEnvironment().
int RunCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Renderings of a status answer (exposed for tests).
std::string StatusJson(const v1::GetStatusResponse& status);
std::string StatusTable(const v1::GetStatusResponse& status);
// Open findings of severity CRITICAL over all sites of the answer.
int CriticalFindings(const v1::GetStatusResponse& status);

// Renderings of ListLogAlerts and GetVisitorStats answers (exposed for tests). Times in the
// visitors table are shown in `zone` (pantauctl passes the local time zone).
std::string AlertsJson(const v1::ListLogAlertsResponse& alerts);
std::string AlertsTable(const v1::ListLogAlertsResponse& alerts);
std::string VisitorsJson(const v1::GetVisitorStatsResponse& stats);
std::string VisitorsTable(const v1::GetVisitorStatsResponse& stats, absl::TimeZone zone);
// Listed alerts that are open and CRITICAL.
int OpenCriticalAlerts(const v1::ListLogAlertsResponse& alerts);

// Renderings of a ListBackups answer (exposed for tests): the backups (started in WIB), then
// one line per site with its last verified backup.
std::string BackupsJson(const v1::ListBackupsResponse& backups);
std::string BackupsTable(const v1::ListBackupsResponse& backups);
// Listed sites whose newest backup failed or whose last verified backup is overdue.
int BackupProblems(const v1::ListBackupsResponse& backups);

// Renderings of incidents (exposed for tests). The detail shows times in the incident's court
// zone (incident.time_zone).
std::string IncidentsJson(const v1::ListIncidentsResponse& incidents);
std::string IncidentsTable(const v1::ListIncidentsResponse& incidents, bool all);
std::string IncidentJson(const v1::GetIncidentResponse& incident);
std::string IncidentDetail(const v1::GetIncidentResponse& incident);
// "incident 42: acknowledged by budi": the incident's state in one line.
std::string IncidentStateLine(const v1::Incident& incident);
// Listed incidents of severity "critical" not yet resolved.
int UnresolvedCriticalIncidents(const v1::ListIncidentsResponse& incidents);

}  // namespace pantau::ctl

#endif  // PANTAU_COLLECTOR_CTL_CTL_H_
