#include "agent/backup/backup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/backup/backup_internal.h"
#include "common/subprocess.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::backup {
namespace {

namespace fs = std::filesystem;
using ::pantau::testing::Eventually;
using ::pantau::testing::FakeClock;
using ::pantau::testing::ScopedTempDir;
using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

CommandResult Sh(const std::string& script) {
  auto r = RunCommand({"/bin/sh", "-c", script});
  EXPECT_OK(r);
  return r.ok() ? *r : CommandResult{-1, r.status().ToString()};
}

// path relative to `dir` → content, for regular files.
std::map<std::string, std::string> Tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && !e.is_symlink()) {
      out[fs::relative(e.path(), dir).string()] = ReadFile(e.path().string());
    }
  }
  return out;
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool HasTmp(const std::string& dir) {
  for (const std::string& n : Names(dir)) {
    if (absl::EndsWith(n, ".tmp")) return true;
  }
  return false;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    const std::string base = fs::path(dir_.path()).lexically_normal().string();
    web_ = base + "/www";
    media_ = base + "/media";
    state_ = base + "/state";
    for (const std::string& d : {web_, media_, state_}) fs::create_directories(d);
    config_.state_dir = state_;
    site_.id = "demo";
    site_.web_root = web_;
    site_.backup.enabled = true;
    site_.backup.paths = {web_};
    site_.backup.media = {media_};
    site_.backup.min_free_bytes = 0;
    ASSERT_OK_AND_ASSIGN(catalog_, BackupCatalog::Open(state_));
  }

  v1::BackupSummary Run(bool force_full = false) {
    RunOptions options;
    options.force_full = force_full;
    options.database_part_bytes = part_bytes_;
    auto s = RunBackup(config_, site_, *catalog_, clock_, options);
    EXPECT_OK(s);
    clock_.Advance(absl::Minutes(10));
    return s.ok() ? *s : v1::BackupSummary();
  }

  std::string Archive(const v1::BackupSummary& s) const {
    return absl::StrCat(media_, "/", s.backup_id(), ".tar.zst");
  }
  // The archive path of the web root inside archives ("tmp/.../www").
  std::string Inside() const { return web_.substr(1); }

  ScopedTempDir dir_;
  std::string web_, media_, state_;
  AgentConfig config_;
  SiteConfig site_;
  FakeClock clock_;
  std::unique_ptr<BackupCatalog> catalog_;
  int64_t part_bytes_ = int64_t{64} << 20;
};

TEST_F(BackupTest, FullArchiveExtractsWithGnuTarAndPassesSha256sum) {
  WriteFile(web_ + "/index.php", "<?php echo 'hello'; ?>\n");
  WriteFile(web_ + "/css/site.css", "body { color: red }\n");
  WriteFile(web_ + "/images/logo.jpg", RandomBytes(300000, 1));
  WriteFile(web_ + "/odd name\\with backslash", "x");
  ASSERT_EQ(symlink("index.php", (web_ + "/home.php").c_str()), 0);
  ASSERT_EQ(mkfifo((web_ + "/fifo").c_str(), 0600), 0);  // skipped with a warning
  chmod((web_ + "/css").c_str(), 0750);

  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  EXPECT_EQ(s.kind(), "full");
  EXPECT_EQ(s.files(), 4);
  EXPECT_EQ(s.files_copied(), 4);
  EXPECT_TRUE(s.verified());
  EXPECT_GT(s.bytes(), 0);
  EXPECT_FALSE(HasTmp(media_));
  EXPECT_TRUE(fs::exists(media_ + "/" + s.backup_id() + ".manifest.tsv"));

  std::string out = dir_.path() + "/extract";
  fs::create_directories(out);
  CommandResult r = Sh(absl::StrCat("cd '", out, "' && /usr/bin/tar --zstd -xf '", Archive(s),
                                    "' && sha256sum -c --quiet .pantau/SHA256SUMS"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadFile(out + "/" + Inside() + "/images/logo.jpg"), RandomBytes(300000, 1));
  EXPECT_TRUE(fs::is_symlink(out + "/" + Inside() + "/home.php"));
  EXPECT_EQ(fs::read_symlink(out + "/" + Inside() + "/home.php"), "index.php");
  EXPECT_FALSE(fs::exists(out + "/" + Inside() + "/fifo"));
  struct stat st;
  ASSERT_EQ(stat((out + "/" + Inside() + "/css").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  // The sidecar checksum works with sha256sum too.
  r = Sh(absl::StrCat("cd '", media_, "' && sha256sum -c --quiet ", s.backup_id(),
                      ".manifest.sha256"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(BackupTest, IncrementalCopiesOnlyChangedFilesAndRestoresTheWholeTree) {
  for (int i = 0; i < 60; ++i) {
    WriteFile(absl::StrCat(web_, "/pages/page", i, ".php"), absl::StrCat("<?php // page ", i));
  }
  WriteFile(web_ + "/doomed.html", "going away");
  v1::BackupSummary full = Run();
  ASSERT_EQ(full.error(), "");
  ASSERT_EQ(full.kind(), "full");

  WriteFile(web_ + "/pages/page7.php", "<?php // page 7, edited and longer");
  fs::remove(web_ + "/doomed.html");
  WriteFile(web_ + "/new/fresh.js", "console.log(1)");
  v1::BackupSummary inc = Run();
  ASSERT_EQ(inc.error(), "");
  EXPECT_EQ(inc.kind(), "incremental");
  EXPECT_EQ(inc.files_copied(), 2);  // page7 and fresh.js
  EXPECT_EQ(inc.files(), 61);
  EXPECT_TRUE(inc.verified());
  ASSERT_OK_AND_ASSIGN(BackupRecord rec, catalog_->Find(inc.backup_id()));
  EXPECT_EQ(rec.base_id, full.backup_id());

  std::string to = dir_.path() + "/restore";
  std::ostringstream report;
  RestoreOptions options;
  options.to_dir = to;
  ASSERT_OK(RestoreBackup(*catalog_, inc.backup_id(), options, report));
  EXPECT_THAT(report.str(), HasSubstr("61 files"));
  EXPECT_EQ(Tree(to + "/" + Inside()), Tree(web_));
  EXPECT_FALSE(fs::exists(to + "/" + Inside() + "/doomed.html"));

  // A forced full after that copies everything again.
  v1::BackupSummary again = Run(/*force_full=*/true);
  EXPECT_EQ(again.kind(), "full");
  EXPECT_EQ(again.files_copied(), 61);
}

TEST_F(BackupTest, DatabaseDumpIsStreamedInPartsAndRestoredJoined) {
  WriteFile(web_ + "/index.php", "x");
  site_.backup.databases.push_back(
      {"joomla", {"/bin/sh", "-c", "printf 'CREATE TABLE a;\\nINSERT INTO a VALUES (1);\\n'"},
       absl::Seconds(60)});
  part_bytes_ = 10;
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  const std::string dump = "CREATE TABLE a;\nINSERT INTO a VALUES (1);\n";
  EXPECT_EQ(s.databases(), 1);
  EXPECT_EQ(s.database_bytes(), static_cast<int64_t>(dump.size()));

  std::string out = dir_.path() + "/extract";
  fs::create_directories(out);
  CommandResult r = Sh(absl::StrCat("cd '", out, "' && tar --zstd -xf '", Archive(s),
                                    "' && sha256sum -c --quiet .pantau/SHA256SUMS && "
                                    "cat databases/joomla.sql.part*"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, dump);
  EXPECT_TRUE(fs::exists(out + "/databases/joomla.sql.part00005"));

  std::ostringstream report;
  RestoreOptions options;
  options.to_dir = dir_.path() + "/restore";
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  EXPECT_EQ(ReadFile(options.to_dir + "/databases/joomla.sql"), dump);
  EXPECT_THAT(report.str(), HasSubstr("databases/joomla.sql"));
}

TEST_F(BackupTest, FailingDumpFailsTheRunWithItsStderr) {
  WriteFile(web_ + "/index.php", "x");
  site_.backup.databases.push_back(
      {"db", {"/bin/sh", "-c", "echo partial; echo 'Access denied for user' >&2; exit 3"},
       absl::Seconds(60)});
  v1::BackupSummary s = Run();
  EXPECT_THAT(s.error(), HasSubstr("Access denied for user"));
  EXPECT_THAT(s.error(), HasSubstr("exit code 3"));
  EXPECT_FALSE(s.verified());
  EXPECT_TRUE(Names(media_).empty()) << Names(media_)[0];
  ASSERT_OK_AND_ASSIGN(BackupRecord rec, catalog_->Find(s.backup_id()));
  EXPECT_THAT(rec.error, HasSubstr("Access denied"));
  ASSERT_OK_AND_ASSIGN(auto unreported, catalog_->Unreported(10));
  ASSERT_EQ(unreported.size(), 1u);
  EXPECT_THAT(unreported[0].summary.error(), HasSubstr("Access denied"));
}

TEST_F(BackupTest, VerifyFindsACorruptedArchive) {
  WriteFile(web_ + "/big.bin", RandomBytes(2 << 20, 7));
  WriteFile(web_ + "/small.txt", "hello");
  v1::BackupSummary s = Run();
  ASSERT_TRUE(s.verified());
  {
    std::fstream f(Archive(s), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(Archive(s)) / 2));
    f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  }
  ASSERT_OK_AND_ASSIGN(VerifyResult v, VerifyBackup(*catalog_, s.backup_id(), nullptr));
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_THAT(v.problems[0], HasSubstr(media_));
  ASSERT_OK_AND_ASSIGN(BackupRecord rec, catalog_->Find(s.backup_id()));
  EXPECT_FALSE(rec.verified);
  EXPECT_THAT(rec.error, HasSubstr("verification failed"));
}

TEST_F(BackupTest, VerifyFindsAModifiedManifestThroughItsChecksum) {
  WriteFile(web_ + "/a.txt", "aaa");
  v1::BackupSummary s = Run();
  std::string path = media_ + "/" + s.backup_id() + ".manifest.tsv";
  std::string text = ReadFile(path);
  text.replace(text.find("a.txt"), 5, "b.txt");
  WriteFile(path, text);
  ASSERT_OK_AND_ASSIGN(VerifyResult v, VerifyBackup(*catalog_, s.backup_id(), nullptr));
  EXPECT_FALSE(v.ok);
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_THAT(v.problems[0], HasSubstr("checksum"));
}

TEST_F(BackupTest, RestoreRefusesAFileWhoseArchivedContentWasTamperedWith) {
  WriteFile(web_ + "/index.php", "<?php echo 'genuine'; ?>");
  WriteFile(web_ + "/other.php", "fine");
  v1::BackupSummary s = Run();
  // Rebuild the archive with one file changed, keeping the manifest (inside and beside).
  std::string work = dir_.path() + "/tamper";
  fs::create_directories(work);
  CommandResult r = Sh(absl::StrCat(
      "cd '", work, "' && tar --zstd -xf '", Archive(s), "' && printf '<?php evil(); ?>' > '",
      Inside(), "/index.php' && tar --zstd -cf '", Archive(s), "' .pantau '", Inside(), "'"));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  std::ostringstream report;
  RestoreOptions options;
  options.to_dir = dir_.path() + "/restore";
  EXPECT_THAT(RestoreBackup(*catalog_, s.backup_id(), options, report),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(Inside() + "/index.php")));
  EXPECT_FALSE(fs::exists(options.to_dir + "/" + Inside() + "/index.php"));
}

TEST_F(BackupTest, InPlaceRestoreRepairsFilesAndQuarantinesExtras) {
  WriteFile(web_ + "/index.php", "<?php genuine();");
  WriteFile(web_ + "/sub/page.html", "<p>hi</p>");
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  WriteFile(web_ + "/index.php", "<?php defaced();");
  WriteFile(web_ + "/sub/shell.php", "<?php system($_GET['c']);");
  fs::remove(web_ + "/sub/page.html");

  RestoreOptions options;  // in place
  options.delete_extra = true;
  std::ostringstream report;
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  EXPECT_EQ(ReadFile(web_ + "/index.php"), "<?php genuine();");
  EXPECT_EQ(ReadFile(web_ + "/sub/page.html"), "<p>hi</p>");
  EXPECT_FALSE(fs::exists(web_ + "/sub/shell.php"));
  std::string quarantined = web_ + ".pantau-quarantine-" + s.backup_id() + "/sub/shell.php";
  EXPECT_TRUE(fs::exists(quarantined)) << report.str();
  EXPECT_THAT(report.str(), HasSubstr("moved extra"));
}

TEST_F(BackupTest, SecondConcurrentRunIsRefusedByTheLock) {
  WriteFile(web_ + "/a", "a");
  int fd = open((state_ + "/backup-demo.lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_THAT(RunBackup(config_, site_, *catalog_, clock_, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already running")));
  close(fd);
  EXPECT_EQ(Run().error(), "");
}

TEST_F(BackupTest, FreeSpacePrecheckNamesMediumNeededAndFree) {
  WriteFile(web_ + "/a", "a");
  site_.backup.min_free_bytes = int64_t{1} << 60;
  v1::BackupSummary s = Run();
  EXPECT_THAT(s.error(), HasSubstr("medium " + media_ + " has too little free space: needs"));
  EXPECT_THAT(s.error(), HasSubstr("free"));
  EXPECT_TRUE(Names(media_).empty());
}

TEST_F(BackupTest, StaleTemporariesOfThisSiteAreRemovedByTheNextRun) {
  WriteFile(web_ + "/a", "a");
  WriteFile(media_ + "/demo-20250101T000000Z.tar.zst.tmp", "half");
  WriteFile(media_ + "/demo-other-20250101T000000Z.tar.zst.tmp", "another site's");
  EXPECT_EQ(Run().error(), "");
  EXPECT_FALSE(fs::exists(media_ + "/demo-20250101T000000Z.tar.zst.tmp"));
  EXPECT_TRUE(fs::exists(media_ + "/demo-other-20250101T000000Z.tar.zst.tmp"));
}

TEST_F(BackupTest, EveryMediumGetsItsOwnCopyAndRestoreCanPickOne) {
  WriteFile(web_ + "/a.txt", "content");
  std::string second = dir_.path() + "/media2";
  fs::create_directories(second);
  site_.backup.media.push_back(second);
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  EXPECT_EQ(s.media_size(), 2);
  EXPECT_TRUE(fs::exists(second + "/" + s.backup_id() + ".tar.zst"));
  fs::remove(Archive(s));  // the first medium lost it
  RestoreOptions options;
  options.to_dir = dir_.path() + "/restore";
  std::ostringstream report;
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  EXPECT_THAT(report.str(), HasSubstr(second));
  options.medium = "/nowhere";
  EXPECT_THAT(RestoreBackup(*catalog_, s.backup_id(), options, report),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not on medium /nowhere")));
}

TEST_F(BackupTest, RetentionKeepsNewestDailyAndTheFullsThatKeptIncrementalsNeed) {
  WriteFile(web_ + "/a", "a");
  site_.backup.keep_last = 2;
  site_.backup.keep_daily = 3;
  site_.backup.keep_weekly = 0;
  site_.backup.full_interval = absl::Hours(48);
  const absl::Time t0 = FakeClock::DefaultStart();
  std::vector<std::pair<absl::Duration, std::string>> plan = {
      {absl::ZeroDuration(), "full"},                      // F1
      {absl::Hours(12), "incremental"},                    // I1: dropped
      {absl::Hours(24), "incremental"},                    // I2: newest of day 1, needs F1
      {absl::Hours(48), "full"},                           // F2
      {absl::Hours(54), "incremental"},                    // I3: keep_last, newest of day 2
      {absl::Hours(72), "incremental"}};                   // I4: keep_last, newest of day 3
  std::vector<std::string> ids;
  for (const auto& [offset, kind] : plan) {
    clock_.SetTime(t0 + offset);
    v1::BackupSummary s = Run();
    ASSERT_EQ(s.error(), "");
    EXPECT_EQ(s.kind(), kind) << s.backup_id();
    ids.push_back(s.backup_id());
  }
  ASSERT_OK_AND_ASSIGN(auto left, catalog_->List("demo"));
  std::vector<std::string> kept;
  for (const BackupRecord& r : left) kept.push_back(r.id);
  EXPECT_THAT(kept, ::testing::UnorderedElementsAre(ids[0], ids[2], ids[3], ids[4], ids[5]));
  EXPECT_FALSE(fs::exists(media_ + "/" + ids[1] + ".tar.zst"));
  EXPECT_FALSE(fs::exists(media_ + "/" + ids[1] + ".manifest.tsv"));
  EXPECT_TRUE(fs::exists(media_ + "/" + ids[0] + ".tar.zst"));

  // One more day: I2 falls out of the daily window, so F1 is no longer needed.
  clock_.SetTime(t0 + absl::Hours(96));
  ASSERT_EQ(Run().error(), "");
  EXPECT_FALSE(fs::exists(media_ + "/" + ids[0] + ".tar.zst"));
  EXPECT_FALSE(fs::exists(media_ + "/" + ids[2] + ".tar.zst"));
  EXPECT_TRUE(fs::exists(media_ + "/" + ids[3] + ".tar.zst"));
}

TEST_F(BackupTest, KilledRunLeavesNoCompleteLookingArchive) {
  WriteFile(web_ + "/big.bin", RandomBytes(4 << 20, 3));
  // A dump that never ends keeps the child writing until it is killed (it dies of SIGPIPE
  // once the child is gone).
  std::string config = absl::StrCat(
      "agent_id: t\nstate_dir: ", state_, "\ncollector:\n  address: localhost:1\n",
      "sites:\n  - id: demo\n    url: http://localhost/\n    web_root: ", web_,
      "\n    backup:\n      media: [", media_, "]\n      min_free_mb: 0\n",
      "      databases:\n        - name: endless\n",
      "          command: [/bin/sh, -c, 'while :; do echo INSERT; done']\n");
  WriteFile(dir_.path() + "/agent.yaml", config);
  ASSERT_OK_AND_ASSIGN(auto child,
                       Subprocess::Spawn({std::string(PANTAU_BIN_DIR) + "/pantau-backup-tool",
                                          "run", "--config", dir_.path() + "/agent.yaml"},
                                         SpawnOptions{dir_.path() + "/child.log", "", {}}));
  ASSERT_TRUE(Eventually([&] { return HasTmp(media_); }, absl::Seconds(30)))
      << ReadFile(dir_.path() + "/child.log");
  ASSERT_OK(child->Signal(SIGKILL));
  ASSERT_OK(child->Wait(absl::Seconds(30)));
  for (const std::string& n : Names(media_)) {
    EXPECT_FALSE(absl::EndsWith(n, ".tar.zst")) << n;
  }
  EXPECT_TRUE(HasTmp(media_));

  // The next run (without the endless dump) succeeds and clears the stale temporary.
  v1::BackupSummary s = Run();
  EXPECT_EQ(s.error(), "");
  EXPECT_FALSE(HasTmp(media_));
  EXPECT_TRUE(fs::exists(Archive(s)));
}

class FullMediumTest : public BackupTest {
 protected:
  void TearDown() override {
    if (mounted_) umount2(media_.c_str(), MNT_DETACH);
  }
  bool mounted_ = false;
};

TEST_F(FullMediumTest, WritingToAFullMediumFailsClearlyAndLeavesNoTemporary) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a 2 MiB tmpfs as the medium";
  if (mount("tmpfs", media_.c_str(), "tmpfs", 0, "size=2m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << strerror(errno);
  }
  mounted_ = true;
  WriteFile(web_ + "/small.txt", "small");
  ASSERT_EQ(Run().error(), "");
  // The free-space estimate (the last full ×1.2) passes, then the medium fills up.
  WriteFile(web_ + "/big.bin", RandomBytes(4 << 20, 9));
  v1::BackupSummary s = Run(/*force_full=*/true);
  EXPECT_THAT(s.error(), HasSubstr("medium " + media_ + " is full"));
  EXPECT_FALSE(HasTmp(media_));
  EXPECT_FALSE(fs::exists(Archive(s)));
  ASSERT_OK_AND_ASSIGN(BackupRecord rec, catalog_->Find(s.backup_id()));
  EXPECT_THAT(rec.error, HasSubstr("is full"));
}

// ---- review fixes ----

BackupRecord CatalogRecord(const std::string& id, absl::Time started, bool verified,
                           const std::string& error = "") {
  BackupRecord r;
  r.id = id;
  r.site = "demo";
  r.kind = "full";
  r.started = started;
  r.finished = started + absl::Minutes(1);
  r.media = {"/nonexistent-medium"};
  if (error.empty()) r.archive_paths = {"/nonexistent-medium/" + id + ".tar.zst"};
  r.verified = verified;
  r.error = error;
  r.interval = absl::Hours(1);
  return r;
}

TEST_F(BackupTest, RetentionNeverDeletesTheNewestVerifiedBackupForUnverifiedOnes) {
  const absl::Time t0 = FakeClock::DefaultStart();
  BackupRecord full = CatalogRecord("demo-f", t0, true);
  BackupRecord verified = CatalogRecord("demo-v", t0 + absl::Hours(1), true);
  verified.kind = "incremental";
  verified.base_id = full.id;
  ASSERT_OK(catalog_->Put(full));
  ASSERT_OK(catalog_->Put(verified));
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK(catalog_->Put(CatalogRecord(absl::StrCat("demo-u", i),
                                          t0 + absl::Hours(2 + i), false)));
    ASSERT_OK(catalog_->Put(CatalogRecord(absl::StrCat("demo-x", i),
                                          t0 + absl::Hours(2 + i) + absl::Minutes(30), false,
                                          "medium gone")));
  }
  BackupJobConfig job = site_.backup;
  job.verify = true;
  job.keep_last = 2;
  job.keep_daily = 1;
  job.keep_weekly = 1;
  ASSERT_OK(ApplyRetention(job, "demo", *catalog_, t0 + absl::Hours(10)));
  ASSERT_OK_AND_ASSIGN(auto left, catalog_->List("demo"));
  std::vector<std::string> kept;
  for (const BackupRecord& r : left) kept.push_back(r.id);
  // The verified one and its full; the newest keep_last unverified and failed ones.
  EXPECT_THAT(kept, ::testing::UnorderedElementsAre("demo-x5", "demo-u5", "demo-x4", "demo-u4",
                                                    "demo-v", "demo-f"));
}

TEST_F(BackupTest, RunIsNotReportableUntilVerifiedAndThenReportedOnce) {
  WriteFile(web_ + "/index.php", "x");
  RunOptions options;
  bool checked = false;
  options.progress = [&](const BackupProgress& p) {
    if (!absl::StartsWith(p.phase, "verify")) return;
    auto unreported = catalog_->Unreported(10);
    ASSERT_OK(unreported);
    EXPECT_TRUE(unreported->empty()) << "an interim unverified summary is reportable";
    checked = true;
  };
  ASSERT_OK_AND_ASSIGN(v1::BackupSummary s,
                       RunBackup(config_, site_, *catalog_, clock_, options));
  EXPECT_TRUE(checked);
  EXPECT_TRUE(s.verified());
  ASSERT_OK_AND_ASSIGN(auto unreported, catalog_->Unreported(10));
  ASSERT_EQ(unreported.size(), 1u);
  EXPECT_TRUE(unreported[0].summary.verified());
}

TEST_F(BackupTest, RunStoppedBeforeItStartsRecordsNothing) {
  WriteFile(web_ + "/index.php", "x");
  StopToken stop;
  stop.RequestStop();
  RunOptions options;
  options.stop = &stop;
  EXPECT_THAT(RunBackup(config_, site_, *catalog_, clock_, options),
              StatusIs(absl::StatusCode::kCancelled));
  ASSERT_OK_AND_ASSIGN(auto list, catalog_->List("demo"));
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(Names(media_).empty());
  EXPECT_THAT(catalog_->NextDue(site_), ::pantau::testing::IsOkAndHolds(absl::InfinitePast()));
}

TEST_F(BackupTest, RunStoppedWhileCopyingAFileStopsWithinAChunkAndLeavesNothing) {
  WriteFile(web_ + "/big.bin", RandomBytes(4 << 20, 5));
  StopToken stop;
  RunOptions options;
  options.stop = &stop;
  int64_t bytes_at_stop = -1;
  options.progress = [&](const BackupProgress& p) {
    if (p.phase == "archive" && p.bytes_done > 0 && !stop.StopRequested()) {
      bytes_at_stop = p.bytes_done;
      stop.RequestStop();
    }
  };
  EXPECT_THAT(RunBackup(config_, site_, *catalog_, clock_, options),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_GT(bytes_at_stop, 0);
  EXPECT_LT(bytes_at_stop, 4 << 20);
  ASSERT_OK_AND_ASSIGN(auto list, catalog_->List("demo"));
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(Names(media_).empty()) << Names(media_)[0];
}

TEST_F(BackupTest, RunStoppedDuringVerificationRecordsNothingAndRemovesTheArchive) {
  WriteFile(web_ + "/big.bin", RandomBytes(2 << 20, 6));
  StopToken stop;
  RunOptions options;
  options.stop = &stop;
  options.progress = [&](const BackupProgress& p) {
    if (absl::StartsWith(p.phase, "verify")) stop.RequestStop();
  };
  EXPECT_THAT(RunBackup(config_, site_, *catalog_, clock_, options),
              StatusIs(absl::StatusCode::kCancelled));
  ASSERT_OK_AND_ASSIGN(auto list, catalog_->List("demo"));
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(Names(media_).empty()) << Names(media_)[0];
  ASSERT_OK_AND_ASSIGN(auto unreported, catalog_->Unreported(10));
  EXPECT_TRUE(unreported.empty());
}

TEST_F(BackupTest, FifoSwappedInAfterTheScanIsSkippedNotWaitedOn) {
  WriteFile(web_ + "/a.bin", RandomBytes(3 << 20, 8));
  WriteFile(web_ + "/z.txt", "regular at scan time");
  RunOptions options;
  bool swapped = false;
  options.progress = [&](const BackupProgress& p) {
    if (p.phase == "archive" && !swapped) {
      swapped = true;
      fs::remove(web_ + "/z.txt");
      ASSERT_EQ(mkfifo((web_ + "/z.txt").c_str(), 0600), 0);
    }
  };
  ASSERT_OK_AND_ASSIGN(v1::BackupSummary s,
                       RunBackup(config_, site_, *catalog_, clock_, options));
  EXPECT_TRUE(swapped);
  EXPECT_EQ(s.error(), "");
  EXPECT_EQ(s.files_copied(), 1);
}

bool ProcessGone(pid_t pid) {
  std::ifstream stat_file(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat_file) return true;
  std::string line;
  std::getline(stat_file, line);
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

TEST_F(BackupTest, DumpTimeoutKillsTheCommandsWholeProcessGroup) {
  WriteFile(web_ + "/index.php", "x");
  const std::string pid_file = dir_.path() + "/sleep.pid";
  site_.backup.databases.push_back(
      {"hang", {"/bin/sh", "-c", "sleep 1000 & echo $! > '" + pid_file + "'; wait"},
       absl::Milliseconds(300)});
  v1::BackupSummary s = Run();
  EXPECT_THAT(s.error(), HasSubstr("timed out"));
  std::string pid_text = ReadFile(pid_file);
  ASSERT_FALSE(pid_text.empty());
  const pid_t sleeper = static_cast<pid_t>(std::stol(pid_text));
  // SIGKILL is delivered before kill() returns; the orphan may wait as a zombie for init.
  EXPECT_TRUE(Eventually([&] { return ProcessGone(sleeper); }, absl::Seconds(60)));
}

TEST_F(BackupTest, DumpThatClosesItsOutputButHangsIsKilledAtTheDeadline) {
  WriteFile(web_ + "/index.php", "x");
  site_.backup.databases.push_back(
      {"silent", {"/bin/sh", "-c", "exec >&- 2>&-; sleep 1000"}, absl::Milliseconds(300)});
  v1::BackupSummary s = Run();
  EXPECT_THAT(s.error(), HasSubstr("timed out"));
}

TEST_F(BackupTest, BacksUpAndRestoresInPlaceThroughASymlinkedParentAndRoot) {
  const std::string base = fs::path(dir_.path()).lexically_normal().string();
  WriteFile(base + "/srv/www/html/index.php", "<?php genuine();");
  WriteFile(base + "/srv/root/page.html", "<p>hi</p>");
  fs::create_directory_symlink(base + "/srv/www", base + "/var-www");  // parent is a link
  fs::create_directory_symlink(base + "/srv/root", base + "/rootlink");  // root is a link
  site_.backup.paths = {base + "/var-www/html", base + "/rootlink"};
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  EXPECT_EQ(s.files_copied(), 2);
  CommandResult r = Sh(absl::StrCat("tar --zstd -tf '", Archive(s), "'"));
  EXPECT_THAT(r.output, HasSubstr(base.substr(1) + "/var-www/html/index.php"));
  EXPECT_THAT(r.output, HasSubstr(base.substr(1) + "/rootlink/page.html"));

  WriteFile(base + "/srv/www/html/index.php", "<?php defaced();");
  WriteFile(base + "/srv/root/page.html", "defaced");
  RestoreOptions options;  // in place
  std::ostringstream report;
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  EXPECT_EQ(ReadFile(base + "/srv/www/html/index.php"), "<?php genuine();");
  EXPECT_EQ(ReadFile(base + "/srv/root/page.html"), "<p>hi</p>");
  EXPECT_TRUE(fs::is_symlink(base + "/var-www"));
  EXPECT_TRUE(fs::is_symlink(base + "/rootlink"));
}

TEST_F(BackupTest, RestoreRefusesAWorldWritableTarget) {
  WriteFile(web_ + "/index.php", "x");
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  RestoreOptions options;
  options.to_dir = dir_.path() + "/open";
  fs::create_directories(options.to_dir);
  chmod(options.to_dir.c_str(), 01777);
  std::ostringstream report;
  EXPECT_THAT(RestoreBackup(*catalog_, s.backup_id(), options, report),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("writable by group or others")));
  EXPECT_TRUE(fs::is_empty(options.to_dir));

  options.to_dir = dir_.path() + "/new/target";
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  struct stat st;
  ASSERT_EQ(stat(options.to_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(BackupTest, RestoreReplacesPlantedSymlinksAndNeverWritesThroughThem) {
  WriteFile(web_ + "/index.php", "<?php genuine();");
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  const std::string outside = dir_.path() + "/outside.txt";
  const std::string outside_tmp = dir_.path() + "/outside-tmp.txt";
  WriteFile(outside, "precious");
  RestoreOptions options;
  options.to_dir = dir_.path() + "/restore";
  const std::string dest = options.to_dir + "/" + Inside() + "/index.php";
  fs::create_directories(fs::path(dest).parent_path());
  chmod(options.to_dir.c_str(), 0700);
  fs::create_symlink(outside, dest);
  fs::create_symlink(outside_tmp, dest + ".pantau-restore.tmp");
  std::ostringstream report;
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  EXPECT_EQ(ReadFile(outside), "precious");
  EXPECT_FALSE(fs::exists(outside_tmp));
  EXPECT_FALSE(fs::is_symlink(dest));
  EXPECT_EQ(ReadFile(dest), "<?php genuine();");
}

TEST_F(BackupTest, DeleteExtraLeavesExcludedFilesAndUsesAFreshQuarantine) {
  WriteFile(web_ + "/index.php", "<?php genuine();");
  WriteFile(web_ + "/cache/page.html", "cached");
  site_.backup.exclude = {"cache"};
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.error(), "");
  WriteFile(web_ + "/shell.php", "<?php system($_GET['c']);");
  const std::string taken = web_ + ".pantau-quarantine-" + s.backup_id();
  fs::create_directories(taken);
  RestoreOptions options;  // in place
  options.delete_extra = true;
  options.exclude = site_.backup.exclude;
  std::ostringstream report;
  ASSERT_OK(RestoreBackup(*catalog_, s.backup_id(), options, report));
  EXPECT_EQ(ReadFile(web_ + "/cache/page.html"), "cached") << report.str();
  EXPECT_FALSE(fs::exists(web_ + "/shell.php"));
  EXPECT_TRUE(fs::is_empty(taken));
  EXPECT_TRUE(fs::exists(taken + ".2/shell.php")) << report.str();
}

TEST_F(BackupTest, FailedCommitOnTheSecondMediumLeavesNoArchiveOnTheFirst) {
  WriteFile(web_ + "/index.php", "x");
  const std::string media2 = dir_.path() + "/media2";
  site_.backup.media = {media_, media2};
  // The archive's final name on medium 2 is taken by a non-empty directory: its rename fails
  // after medium 1's succeeded.
  const std::string id = absl::StrCat(
      "demo-", absl::FormatTime("%Y%m%dT%H%M%SZ", clock_.Now(), absl::UTCTimeZone()));
  fs::create_directories(media2 + "/" + id + ".tar.zst/blocker");
  v1::BackupSummary s = Run();
  ASSERT_EQ(s.backup_id(), id);
  EXPECT_THAT(s.error(), HasSubstr("rename"));
  EXPECT_TRUE(Names(media_).empty()) << Names(media_)[0];
  EXPECT_EQ(Names(media2), std::vector<std::string>{id + ".tar.zst"});
}

}  // namespace
}  // namespace pantau::agent::backup
