#include "common/file.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ReadFileToStringTest, ReadsUpToTheBoundAndNamesTheFileOtherwise) {
  testing::ScopedTempDir dir;
  const std::string path = dir.path() + "/f";
  std::ofstream(path, std::ios::binary) << std::string("a\0b", 3);
  ASSERT_OK_AND_ASSIGN(std::string text, ReadFileToString(path, 3));
  EXPECT_EQ(text, std::string("a\0b", 3));
  EXPECT_THAT(ReadFileToString(path, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path + " is larger than 2 bytes")));
  EXPECT_THAT(ReadFileToString(dir.path() + "/missing", 3),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot read " + dir.path() + "/missing")));
}

}  // namespace
}  // namespace pantau
