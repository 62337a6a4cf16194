// pantau-agent: probes the court's sites and delivers the results to the collector.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "agent/app/agent_app.h"
#include "agent/backup/backup.h"
#include "agent/integrity/integrity_monitor.h"
#include "agent/checks/probe_report.h"
#include "agent/logwatch/scan_log.h"
#include "agent/probes/http_engine.h"

namespace {

constexpr char kUsage[] =
    "usage: pantau-agent [run] [--config FILE]      run the agent (default /etc/pantau/agent.yaml)\n"
    "       pantau-agent probe URL [--json] ...     check one URL once (probe --help)\n"
    "       pantau-agent scan-log FILE... [--json]  analyse existing web-server logs with\n"
    "                                               pantau's rules (scan-log --help)\n"
    "       pantau-agent baseline reset SITE [--config FILE]\n"
    "                                               accept a site's current page as its new\n"
    "                                               content baseline (after a planned redesign)\n"
    "       pantau-agent backup run|list|verify|restore ...\n"
    "                                               back up sites to media, list, verify and\n"
    "                                               restore backups (backup --help)\n"
    "       pantau-agent integrity status|scan|accept|maintenance ...\n"
    "                                               web-root integrity findings, accepting\n"
    "                                               planned changes (integrity --help)\n";

// The data files: $PANTAU_DATA_DIR, else the installed ones, else those of the source tree
// this binary was built from (build/bin/../../data).
std::string DefaultDataDir(const char* argv0) {
  if (const char* env = std::getenv("PANTAU_DATA_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  if (std::filesystem::exists("/usr/share/pantau/data/content", ec)) return "/usr/share/pantau/data";
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = argv0;
  std::filesystem::path tree = exe.parent_path() / ".." / ".." / "data";
  if (std::filesystem::exists(tree / "content", ec)) return std::filesystem::weakly_canonical(tree, ec).string();
  return "/usr/share/pantau/data";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "probe") {
    pantau::agent::GlobalInitCurl();
    std::vector<std::string> rest(args.begin() + 1, args.end());
    bool has_data_dir = false;
    for (const std::string& a : rest) has_data_dir |= a == "--data-dir";
    if (!has_data_dir) {
      rest.push_back("--data-dir");
      rest.push_back(DefaultDataDir(argv[0]));
    }
    return pantau::agent::RunProbeCommand(rest, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "scan-log") {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    return pantau::agent::logwatch::RunScanLogCommand(rest, DefaultDataDir(argv[0]), std::cout,
                                                      std::cerr);
  }
  if (!args.empty() && (args[0] == "backup" || args[0] == "integrity")) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    return args[0] == "backup" ? pantau::agent::backup::RunBackupCommand(rest, std::cout, std::cerr)
                               : pantau::agent::integrity::RunIntegrityCommand(rest, std::cout,
                                                                               std::cerr);
  }
  std::string config_path = "/etc/pantau/agent.yaml";
  std::string reset_site;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "run") {
      // the default command
    } else if (args[i] == "baseline" && i + 2 < args.size() && args[i + 1] == "reset") {
      reset_site = args[i + 2];
      i += 2;
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "pantau-agent: unknown argument '" << args[i] << "' (try --help)\n";
      return 2;
    }
  }
  if (!reset_site.empty()) return pantau::agent::ResetBaseline(config_path, reset_site);
  return pantau::agent::RunAgent(config_path);
}
