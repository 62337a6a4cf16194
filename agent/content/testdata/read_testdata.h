// Test fixtures of agent/content: real-looking court pages under agent/content/testdata/.
//
//   std::string html = ReadTestdata("pn_contoh_clean.html");
#ifndef PANTAU_AGENT_CONTENT_TESTDATA_READ_TESTDATA_H_
#define PANTAU_AGENT_CONTENT_TESTDATA_READ_TESTDATA_H_

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace pantau::agent::testing {

// The fixture's bytes; fails the test (and returns "") when it cannot be read.
inline std::string ReadTestdata(const std::string& name) {
  const std::string path = std::string(PANTAU_SOURCE_DIR) + "/agent/content/testdata/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline std::string DataFile(const std::string& name) {
  return std::string(PANTAU_SOURCE_DIR) + "/data/content/" + name;
}

}  // namespace pantau::agent::testing

#endif  // PANTAU_AGENT_CONTENT_TESTDATA_READ_TESTDATA_H_
