#include "common/secret.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau {
namespace {

using ::pantau::testing::IsOkAndHolds;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteSecretFile(const std::string& dir, const std::string& name,
                            const std::string& content, mode_t mode = 0600) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(ReadSecret, ReadsTheFirstLineOfAFileWithoutTrailingWhitespace) {
  ::pantau::testing::ScopedTempDir dir;
  EXPECT_THAT(ReadSecret(WriteSecretFile(dir.path(), "a", "s3cret \t\r\nsecond line\n"), "",
                         "smtp password"),
              IsOkAndHolds("s3cret"));
  EXPECT_THAT(ReadSecret(WriteSecretFile(dir.path(), "b", "123:ABC-def"), "", "token"),
              IsOkAndHolds("123:ABC-def"));
  // Leading whitespace belongs to the secret.
  EXPECT_THAT(ReadSecret(WriteSecretFile(dir.path(), "c", " pad\n"), "", "token"),
              IsOkAndHolds(" pad"));
}

TEST(ReadSecret, NamesTheMissingFileButNeverTheContent) {
  ::pantau::testing::ScopedTempDir dir;
  EXPECT_THAT(ReadSecret(dir.path() + "/missing", "", "telegram token"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("telegram token"), HasSubstr(dir.path() + "/missing"))));
  const std::string empty = WriteSecretFile(dir.path(), "empty", "\n\nhidden-second-line\n");
  EXPECT_THAT(ReadSecret(empty, "", "token"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("empty"), Not(HasSubstr("hidden")))));
  EXPECT_THAT(ReadSecret(dir.path(), "", "token"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST(ReadSecret, UnreadableFileIsPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file; permission checks need a user";
  ::pantau::testing::ScopedTempDir dir;
  const std::string path = WriteSecretFile(dir.path(), "locked", "x\n", 0000);
  EXPECT_THAT(ReadSecret(path, "", "token"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(path)));
}

TEST(ReadSecret, WarnsWhenTheFileIsReadableByOthers) {
  ::pantau::testing::ScopedTempDir dir;
  const std::string open_file = WriteSecretFile(dir.path(), "open", "tok\n", 0644);
  ::testing::internal::CaptureStderr();
  EXPECT_THAT(ReadSecret(open_file, "", "webhook token"), IsOkAndHolds("tok"));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, AllOf(HasSubstr("WARN"), HasSubstr(open_file), Not(HasSubstr("tok\n"))));

  const std::string private_file = WriteSecretFile(dir.path(), "private", "tok\n", 0600);
  ::testing::internal::CaptureStderr();
  EXPECT_THAT(ReadSecret(private_file, "", "webhook token"), IsOkAndHolds("tok"));
  log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(log, "");
}

TEST(ReadSecret, ReadsAnEnvironmentVariable) {
  ASSERT_EQ(::setenv("PANTAU_SECRET_TEST_SET", "from-env ", 1), 0);
  EXPECT_THAT(ReadSecret("", "PANTAU_SECRET_TEST_SET", "token"), IsOkAndHolds("from-env "));
  ::unsetenv("PANTAU_SECRET_TEST_UNSET");
  EXPECT_THAT(ReadSecret("", "PANTAU_SECRET_TEST_UNSET", "whatsapp token"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("PANTAU_SECRET_TEST_UNSET"), HasSubstr("whatsapp token"))));
  ASSERT_EQ(::setenv("PANTAU_SECRET_TEST_EMPTY", "", 1), 0);
  EXPECT_THAT(ReadSecret("", "PANTAU_SECRET_TEST_EMPTY", "token"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("PANTAU_SECRET_TEST_EMPTY")));
}

TEST(ReadSecret, RequiresExactlyOneSource) {
  EXPECT_THAT(ReadSecret("", "", "smtp password"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("smtp password")));
  EXPECT_THAT(ReadSecret("/etc/x", "X", "smtp password"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("smtp password")));
}

}  // namespace
}  // namespace pantau
