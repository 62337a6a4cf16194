// pantau-collector: receives agents' batches, stores them in PostgreSQL, opens and escalates
// incidents, serves operators.
#include <cstring>
#include <iostream>
#include <string>

#include "collector/app/collector_app.h"

namespace {

constexpr char kUsage[] =
    "usage: pantau-collector [--config FILE]\n"
    "         serve (default config /etc/pantau/collector.yaml)\n"
    "       pantau-collector bootstrap-admin --person ID [--name NAME] [--token-file FILE]\n"
    "                        [--config FILE]\n"
    "         create (or re-key) an admin of every court directly in the database and write a\n"
    "         new operator token to FILE (mode 0600; '-' or none prints it)\n";

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "/etc/pantau/collector.yaml";
  std::string command, person, name, token_file = "-";
  for (int i = 1; i < argc; ++i) {
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    const std::string arg = argv[i];
    bool ok = true;
    if (arg == "--config") {
      ok = value(&config_path);
    } else if (arg == "--person") {
      ok = value(&person);
    } else if (arg == "--name") {
      ok = value(&name);
    } else if (arg == "--token-file") {
      ok = value(&token_file);
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (command.empty() && arg == "bootstrap-admin") {
      command = arg;
    } else {
      std::cerr << "pantau-collector: unknown argument '" << arg << "' (try --help)\n";
      return 2;
    }
    if (!ok) {
      std::cerr << "pantau-collector: " << arg << " needs a value\n";
      return 2;
    }
  }
  if (command == "bootstrap-admin") {
    if (person.empty()) {
      std::cerr << "pantau-collector: bootstrap-admin needs --person ID\n";
      return 2;
    }
    return pantau::collector::BootstrapAdmin(config_path, person, name, token_file);
  }
  return pantau::collector::RunCollector(config_path);
}
