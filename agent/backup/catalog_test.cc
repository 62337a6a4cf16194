#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/backup/backup.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::backup {
namespace {

using ::pantau::testing::ScopedTempDir;
using ::pantau::testing::StatusIs;

BackupRecord Record(const std::string& id, absl::Time started, bool verified) {
  BackupRecord r;
  r.id = id;
  r.site = "demo";
  r.kind = "full";
  r.started = started;
  r.finished = started + absl::Seconds(5);
  r.bytes = 100;
  r.files = 3;
  r.files_copied = 3;
  r.source_bytes = 300;
  r.media = {"/m1", "/m2"};
  r.archive_paths = {"/m1/" + id + ".tar.zst", "/m2/" + id + ".tar.zst"};
  r.verified = verified;
  r.interval = absl::Hours(6);
  return r;
}

TEST(BackupCatalog, StoresFindsListsAndReportsRecords) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(auto catalog, BackupCatalog::Open(dir.path()));
  absl::Time t0 = absl::FromUnixSeconds(1767225600);
  ASSERT_OK(catalog->Put(Record("demo-a", t0, true)));
  ASSERT_OK(catalog->Put(Record("demo-b", t0 + absl::Hours(6), false)));

  ASSERT_OK_AND_ASSIGN(BackupRecord b, catalog->Find("demo-b"));
  EXPECT_EQ(b.media, (std::vector<std::string>{"/m1", "/m2"}));
  EXPECT_EQ(b.started, t0 + absl::Hours(6));
  EXPECT_THAT(catalog->Find("nope"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("no backup with id")));

  ASSERT_OK_AND_ASSIGN(auto list, catalog->List("demo"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "demo-b");  // newest first

  ASSERT_OK_AND_ASSIGN(auto last, catalog->LastVerifiedBefore("demo", t0 + absl::Hours(7)));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->id, "demo-a");

  SiteConfig site;
  site.id = "demo";
  site.backup.interval = absl::Hours(6);
  EXPECT_THAT(catalog->NextDue(site), ::pantau::testing::IsOkAndHolds(t0 + absl::Hours(12)));
  site.id = "other";
  EXPECT_THAT(catalog->NextDue(site), ::pantau::testing::IsOkAndHolds(absl::InfinitePast()));

  ASSERT_OK_AND_ASSIGN(auto unreported, catalog->Unreported(10));
  ASSERT_EQ(unreported.size(), 2u);
  EXPECT_EQ(unreported[0].summary.backup_id(), "demo-a");  // oldest first
  EXPECT_EQ(unreported[0].summary.interval_seconds(), 6 * 3600);
  EXPECT_EQ(unreported[0].summary.media_size(), 2);
  ASSERT_OK(catalog->MarkReported("demo-a", unreported[0].version));
  ASSERT_OK_AND_ASSIGN(unreported, catalog->Unreported(10));
  ASSERT_EQ(unreported.size(), 1u);
  EXPECT_EQ(unreported[0].summary.backup_id(), "demo-b");

  ASSERT_OK(catalog->Remove("demo-b"));
  ASSERT_OK_AND_ASSIGN(list, catalog->List(""));
  EXPECT_EQ(list.size(), 1u);
}

TEST(BackupCatalog, MarkReportedDoesNotSwallowANewerState) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(auto catalog, BackupCatalog::Open(dir.path()));
  BackupRecord r = Record("demo-a", absl::FromUnixSeconds(1767225600), false);
  ASSERT_OK(catalog->Put(r));
  ASSERT_OK_AND_ASSIGN(auto unreported, catalog->Unreported(10));
  ASSERT_EQ(unreported.size(), 1u);
  // The state changes (verified) after the summary was read but before it was marked.
  r.verified = true;
  ASSERT_OK(catalog->Put(r));
  ASSERT_OK(catalog->MarkReported("demo-a", unreported[0].version));
  ASSERT_OK_AND_ASSIGN(auto again, catalog->Unreported(10));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].summary.verified());
  ASSERT_OK(catalog->MarkReported("demo-a", again[0].version));
  ASSERT_OK_AND_ASSIGN(again, catalog->Unreported(10));
  EXPECT_TRUE(again.empty());
}

TEST(BackupCatalog, NotReportablePutIsNotSpooled) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(auto catalog, BackupCatalog::Open(dir.path()));
  ASSERT_OK(catalog->Put(Record("demo-a", absl::FromUnixSeconds(1767225600), false),
                         /*report=*/false));
  ASSERT_OK_AND_ASSIGN(auto unreported, catalog->Unreported(10));
  EXPECT_TRUE(unreported.empty());
}

TEST(BackupCatalog, NextDueRetriesSoonAfterAFailureAndWaitsTheIntervalAfterASuccess) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(auto catalog, BackupCatalog::Open(dir.path()));
  absl::Time t0 = absl::FromUnixSeconds(1767225600);
  SiteConfig site;
  site.id = "demo";
  site.backup.interval = absl::Hours(6);
  ASSERT_OK(catalog->Put(Record("demo-a", t0, true)));
  EXPECT_THAT(catalog->NextDue(site), ::pantau::testing::IsOkAndHolds(t0 + absl::Hours(6)));
  BackupRecord failed = Record("demo-b", t0 + absl::Hours(6), false);
  failed.error = "medium /m1 is not available";
  failed.archive_paths.clear();
  ASSERT_OK(catalog->Put(failed));
  EXPECT_THAT(catalog->NextDue(site),
              ::pantau::testing::IsOkAndHolds(t0 + absl::Hours(6) + absl::Minutes(30)));
  site.backup.interval = absl::Minutes(10);  // shorter than the retry delay
  EXPECT_THAT(catalog->NextDue(site),
              ::pantau::testing::IsOkAndHolds(t0 + absl::Hours(6) + absl::Minutes(10)));
  site.backup.interval = absl::Hours(6);
  ASSERT_OK(catalog->Put(Record("demo-c", t0 + absl::Hours(7), true)));
  EXPECT_THAT(catalog->NextDue(site), ::pantau::testing::IsOkAndHolds(t0 + absl::Hours(13)));
}

TEST(BackupCatalog, ToSummaryFillsEveryField) {
  BackupRecord r = Record("demo-x", absl::FromUnixMillis(1000), true);
  r.kind = "incremental";
  r.databases = 2;
  r.database_bytes = 77;
  r.error = "boom";
  v1::BackupSummary s = r.ToSummary();
  EXPECT_EQ(s.site(), "demo");
  EXPECT_EQ(s.backup_id(), "demo-x");
  EXPECT_EQ(s.kind(), "incremental");
  EXPECT_EQ(s.started_unix_ms(), 1000);
  EXPECT_EQ(s.finished_unix_ms(), 6000);
  EXPECT_EQ(s.bytes(), 100);
  EXPECT_EQ(s.files(), 3);
  EXPECT_EQ(s.files_copied(), 3);
  EXPECT_EQ(s.source_bytes(), 300);
  EXPECT_TRUE(s.verified());
  EXPECT_EQ(s.error(), "boom");
  EXPECT_EQ(s.interval_seconds(), 21600);
  EXPECT_EQ(s.databases(), 2);
  EXPECT_EQ(s.database_bytes(), 77);
}

}  // namespace
}  // namespace pantau::agent::backup
