// pantau-collector: receives agents' batches, stores them in PostgreSQL, serves operators.
#include <cstring>
#include <iostream>
#include <string>

#include "collector/app/collector_app.h"

int main(int argc, char** argv) {
  std::string config_path = "/etc/pantau/collector.yaml";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "usage: pantau-collector [--config FILE]   (default /etc/pantau/collector.yaml)\n";
      return 0;
    } else {
      std::cerr << "pantau-collector: unknown argument '" << argv[i] << "' (try --help)\n";
      return 2;
    }
  }
  return pantau::collector::RunCollector(config_path);
}
