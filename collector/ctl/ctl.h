// pantauctl, the operator's command line, as a library so tests can run it in-process.
//
//   pantauctl [--collector HOST:PORT] [--ca-file FILE | --insecure] [--timeout SECONDS]
//             status [--json] [--court CODE]
//             alerts [--site SITE] [--court CODE] [--all] [--limit N] [--json]
//             visitors --site SITE [--court CODE] [--minutes N] [--json]
#ifndef PANTAU_COLLECTOR_CTL_CTL_H_
#define PANTAU_COLLECTOR_CTL_CTL_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pantau/v1/operator_service.pb.h"

namespace pantau::ctl {

// Runs one command. Returns the exit code: 0 success, 1 the collector failed or is
// unreachable, or (status) a CRITICAL finding is open on some site, or (alerts) an open
// CRITICAL log alert is listed, 2 usage error. `args`
// excludes the program name.
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

}  // namespace pantau::ctl

#endif  // PANTAU_COLLECTOR_CTL_CTL_H_
