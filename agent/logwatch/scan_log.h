// `pantau-agent scan-log FILE... [--format F] [--json]`: the offline analysis of existing web
// server logs with the agent's own rules, as fail2ban-regex and GoAccess do. Reads the files
// in order (plain or .gz), counts lines across them (line numbers are 1-based over all
// files), and prints a readable summary of visitors and alerts, or with --json, JSON Lines:
// one object per alert, then one summary object.
//
//   scan-log /var/log/nginx/access.log.1 /var/log/nginx/access.log
//   scan-log --json --format json /var/log/nginx/access.json
#ifndef PANTAU_AGENT_LOGWATCH_SCAN_LOG_H_
#define PANTAU_AGENT_LOGWATCH_SCAN_LOG_H_

#include <ostream>
#include <string>
#include <vector>

namespace pantau::agent::logwatch {

// The whole subcommand after "scan-log". Exit codes: 0 scanned (alerts or not), 1 a file or
// the rule files could not be read, 2 usage error. `data_dir` holds logwatch/rules.yaml.
int RunScanLogCommand(const std::vector<std::string>& args, const std::string& data_dir,
                      std::ostream& out, std::ostream& err);

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_SCAN_LOG_H_
