// A fresh directory for a test, removed with everything in it at scope exit.
//
//   pantau::testing::ScopedTempDir dir;
//   WriteFile(dir.path() + "/agent.yaml", ...);
#ifndef PANTAU_TESTS_TESTING_TEMP_DIR_H_
#define PANTAU_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace pantau::testing {

// Not thread-safe. path() is empty when the directory could not be made.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = ::testing::TempDir() + "/pantau_test.XXXXXX";
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_TEMP_DIR_H_
