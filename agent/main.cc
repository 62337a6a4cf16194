// pantau-agent: probes the court's sites and delivers the results to the collector.
#include <cstring>
#include <iostream>
#include <string>

#include "agent/app/agent_app.h"

int main(int argc, char** argv) {
  std::string config_path = "/etc/pantau/agent.yaml";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "run") == 0) {
      // the default command
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "usage: pantau-agent [run] [--config FILE]   (default /etc/pantau/agent.yaml)\n";
      return 0;
    } else {
      std::cerr << "pantau-agent: unknown argument '" << argv[i] << "' (try --help)\n";
      return 2;
    }
  }
  return pantau::agent::RunAgent(config_path);
}
