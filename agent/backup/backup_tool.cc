// Test-only stand-in for `pantau-agent backup ...`: the SIGKILL test runs it as a child
// process, and the benchmark uses it until the agent binary is wired.
#include <iostream>
#include <string>
#include <vector>

#include "agent/backup/backup.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return pantau::agent::backup::RunBackupCommand(args, std::cout, std::cerr);
}
