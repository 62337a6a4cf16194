// pantauctl: the operator's command line (see collector/ctl/ctl.h for the commands).
#include <iostream>
#include <string>
#include <vector>

#include "collector/ctl/ctl.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return pantau::ctl::RunCtl(args, std::cout, std::cerr);
}
