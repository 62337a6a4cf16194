#include "agent/backup/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace pantau::agent::backup {
namespace {

using ::pantau::testing::StatusIs;

Manifest Sample() {
  Manifest m;
  m.id = "demo-20260101T000000Z";
  m.kind = "incremental";
  m.base_id = "demo-20251231T000000Z";
  m.entries.push_back({"r", "var/www/html", 0, 0755, 1, 2, 33, 33, "", m.id, ""});
  m.entries.push_back({"f", "var/www/html/a\tb\nc\\d", 3, 0644, 5, 6, 0, 0,
                       std::string(64, 'a'), m.id, ""});
  m.entries.push_back({"f", "var/www/html/old.php", 9, 0600, -1, 7, 1000, 1000,
                       std::string(64, 'b'), m.base_id, ""});
  m.entries.push_back({"l", "var/www/html/-", 0, 0777, 5, 8, 0, 0, "", m.id, "../x y"});
  return m;
}

TEST(Manifest, RoundTripsOddNames) {
  Manifest m = Sample();
  ASSERT_OK_AND_ASSIGN(Manifest back, ParseManifest(FormatManifest(m)));
  EXPECT_EQ(back.id, m.id);
  EXPECT_EQ(back.kind, m.kind);
  EXPECT_EQ(back.base_id, m.base_id);
  ASSERT_EQ(back.entries.size(), m.entries.size());
  for (size_t i = 0; i < m.entries.size(); ++i) {
    EXPECT_EQ(back.entries[i].path, m.entries[i].path);
    EXPECT_EQ(back.entries[i].size, m.entries[i].size);
    EXPECT_EQ(back.entries[i].mode, m.entries[i].mode);
    EXPECT_EQ(back.entries[i].mtime_ns, m.entries[i].mtime_ns);
    EXPECT_EQ(back.entries[i].uid, m.entries[i].uid);
    EXPECT_EQ(back.entries[i].gid, m.entries[i].gid);
    EXPECT_EQ(back.entries[i].sha256, m.entries[i].sha256);
    EXPECT_EQ(back.entries[i].holder, m.entries[i].holder);
    EXPECT_EQ(back.entries[i].link, m.entries[i].link);
  }
}

TEST(Manifest, RejectsUnsafePathsAndGarbage) {
  std::string good = FormatManifest(Sample());
  EXPECT_THAT(ParseManifest(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest("hello\n"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 ::testing::HasSubstr("line 1")));
  std::string header = good.substr(0, good.find('\n') + 1);
  EXPECT_THAT(ParseManifest(header + "f\t../etc/passwd\t1\t644\t0\t0\t0\t0\t" + std::string(64, 'a') +
                            "\tx\t-\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("bad path")));
  EXPECT_THAT(ParseManifest(header + "f\t/abs\t1\t644\t0\t0\t0\t0\t" + std::string(64, 'a') +
                            "\tx\t-\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseManifest(header + "f\tok\t1\t644\t0\t0\t0\t0\tnothex\tx\t-\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("sha256")));
  EXPECT_THAT(ParseManifest(header + "f\tok\t1\t999\t0\t0\t0\t0\t-\tx\t-\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("line 2")));
}

TEST(Manifest, Sha256SumsListsOnlyFilesStoredInThisArchiveInGnuFormat) {
  std::string sums = FormatSha256Sums(Sample());
  EXPECT_THAT(sums, ::testing::Not(::testing::HasSubstr("old.php")));
  // A name with a newline or backslash uses coreutils' escaped form.
  EXPECT_THAT(sums, ::testing::HasSubstr("\\" + std::string(64, 'a') +
                                         "  var/www/html/a\tb\\nc\\\\d\n"));
}

TEST(Manifest, Sha256HexMatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace pantau::agent::backup
