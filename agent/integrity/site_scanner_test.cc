#include "agent/integrity/site_scanner.h"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/integrity/report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::integrity {
namespace {

using ::pantau::testing::ScopedTempDir;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

class ScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/www";
    std::filesystem::create_directories(root_);
    site_.id = "pn-demo";
    site_.web_root = root_;
    ASSERT_OK_AND_ASSIGN(signatures_,
                         SignatureSet::Load(PANTAU_SOURCE_DIR "/data/integrity/signatures.yaml"));
    ASSERT_OK_AND_ASSIGN(store_, IntegrityStore::Open(dir_.path() + "/integrity.db"));
  }
  SiteScanner Scanner() { return SiteScanner(site_, signatures_, store_.get()); }
  std::vector<StoredFinding> Findings() {
    auto f = store_->Findings(site_.id);
    EXPECT_OK(f);
    return f.ok() ? *f : std::vector<StoredFinding>();
  }
  bool HasFinding(const std::string& path, const std::string& kind) {
    for (const StoredFinding& f : Findings()) {
      if (f.path == path && f.kind == kind) return true;
    }
    return false;
  }

  ScopedTempDir dir_;
  std::string root_;
  SiteConfig site_;
  std::shared_ptr<const SignatureSet> signatures_;
  std::unique_ptr<IntegrityStore> store_;
};

TEST_F(ScannerTest, HostileHugeFileIsReadOnlyBounded) {
  site_.integrity.max_read_bytes = 1 << 20;
  {
    std::ofstream out(root_ + "/big.php", std::ios::binary);
    const std::string chunk(1 << 20, 'A');
    for (int i = 0; i < 100; ++i) out << chunk;
  }
  SiteScanner scanner = Scanner();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(ScanResult result, FullScan(scanner, *store_, kNow));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(result.hashed, 1);
  EXPECT_LE(result.bytes_read, 2 * site_.integrity.max_read_bytes);
  ASSERT_OK_AND_ASSIGN(auto files, store_->LoadFiles(site_.id, ""));
  ASSERT_TRUE(files.contains("big.php"));
  EXPECT_EQ(files["big.php"].sha256.substr(0, 2), "p:");
  EXPECT_EQ(files["big.php"].size, int64_t{100} << 20);
}

TEST_F(ScannerTest, UnchangedFilesAreNotReadAgain) {
  WriteFile(root_ + "/index.php", "<?php echo 1;\n");
  WriteFile(root_ + "/a/b/c.js", "var x = 1;\n");
  SiteScanner scanner = Scanner();
  ASSERT_OK_AND_ASSIGN(ScanResult first, FullScan(scanner, *store_, kNow));
  EXPECT_EQ(first.hashed, 2);
  ASSERT_OK_AND_ASSIGN(ScanResult second, FullScan(scanner, *store_, kNow));
  EXPECT_EQ(second.hashed, 0);
  EXPECT_EQ(second.entries, first.entries);
  EXPECT_TRUE(Findings().empty());
}

TEST_F(ScannerTest, SymlinksAreRecordedNotFollowed) {
  std::filesystem::create_directories(dir_.path() + "/outside");
  WriteFile(dir_.path() + "/outside/shell.php", "<?php @eval($_POST['x']);");
  std::filesystem::create_directory_symlink(dir_.path() + "/outside", root_ + "/linked");
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  ASSERT_OK_AND_ASSIGN(auto files, store_->LoadFiles(site_.id, ""));
  ASSERT_TRUE(files.contains("linked"));
  EXPECT_EQ(files["linked"].type, EntryType::kSymlink);
  EXPECT_EQ(files["linked"].link_target, dir_.path() + "/outside");
  EXPECT_FALSE(files.contains("linked/shell.php"));
  EXPECT_TRUE(Findings().empty());
  // A link re-pointed elsewhere is a change of the baseline.
  std::filesystem::remove(root_ + "/linked");
  std::filesystem::create_directory_symlink("/etc", root_ + "/linked");
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  ASSERT_OK_AND_ASSIGN(files, store_->LoadFiles(site_.id, ""));
  EXPECT_EQ(files["linked"].link_target, "/etc");
}

TEST_F(ScannerTest, AWebRootThatIsASymlinkIsFollowedOnce) {
  WriteFile(root_ + "/index.php", "<?php\n");
  std::filesystem::create_directory_symlink(root_, dir_.path() + "/html");
  site_.web_root = dir_.path() + "/html";
  SiteScanner scanner = Scanner();
  ASSERT_OK_AND_ASSIGN(ScanResult result, FullScan(scanner, *store_, kNow));
  EXPECT_EQ(result.hashed, 1);
}

TEST_F(ScannerTest, RemovedFilesLeaveSilentlyExceptIndexHtaccessRobots) {
  WriteFile(root_ + "/index.html", "<h1>PN</h1>");
  WriteFile(root_ + "/.htaccess", "RewriteEngine On\n");
  WriteFile(root_ + "/robots.txt", "User-agent: *\n");
  WriteFile(root_ + "/img/logo.png", "png");
  WriteFile(root_ + "/old/readme.txt", "x");
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  for (const char* p : {"index.html", ".htaccess", "robots.txt", "img/logo.png"}) {
    std::filesystem::remove(root_ + "/" + p);
  }
  std::filesystem::remove_all(root_ + "/old");
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  EXPECT_TRUE(HasFinding("index.html", "index_modified"));
  EXPECT_TRUE(HasFinding(".htaccess", "htaccess_modified"));
  EXPECT_TRUE(HasFinding("robots.txt", "robots_modified"));
  EXPECT_EQ(Findings().size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto files, store_->LoadFiles(site_.id, ""));
  EXPECT_FALSE(files.contains("img/logo.png"));
  EXPECT_FALSE(files.contains("old/readme.txt"));
  EXPECT_FALSE(files.contains("old"));
}

TEST_F(ScannerTest, ImageWithPhpAndHtaccessHandlerAreWebshells) {
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  WriteFile(root_ + "/images/logo.jpg", "\xFF\xD8\xFF\xE0<?php system($_GET['c']); ?>");
  WriteFile(root_ + "/images/.htaccess", "AddType application/x-httpd-php .jpg\n");
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  EXPECT_TRUE(HasFinding("images/logo.jpg", "webshell_file"));
  EXPECT_TRUE(HasFinding("images/.htaccess", "webshell_file"));
  EXPECT_TRUE(HasFinding("images/.htaccess", "htaccess_modified"));
  // A picture is not a script: no script_in_uploads for it.
  EXPECT_FALSE(HasFinding("images/logo.jpg", "script_in_uploads"));
}

TEST_F(ScannerTest, SignatureAtTheEndOfALargeFileIsFound) {
  site_.integrity.max_read_bytes = 4096;
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  std::string text = "<?php\n" + std::string(200000, ' ') + "\n@eval($_REQUEST['c']);\n";
  WriteFile(root_ + "/wp-includes/version.php", text);
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  EXPECT_TRUE(HasFinding("wp-includes/version.php", "webshell_file"));
}

TEST_F(ScannerTest, ClassifiesPaths) {
  EXPECT_TRUE(IsExecutableScript("a.PhP5"));
  EXPECT_TRUE(IsExecutableScript("x.phar"));
  EXPECT_TRUE(IsExecutableScript("run.cgi"));
  EXPECT_FALSE(IsExecutableScript("a.php.txt"));
  EXPECT_FALSE(IsExecutableScript(".php"));
  const std::vector<std::string> uploads = {"uploads", "wp-content/uploads/"};
  EXPECT_TRUE(IsUnderUploadDir("uploads/a.php", uploads));
  EXPECT_TRUE(IsUnderUploadDir("wp-content/uploads/2026/x.php", uploads));
  EXPECT_FALSE(IsUnderUploadDir("uploadsx/a.php", uploads));
  EXPECT_FALSE(IsUnderUploadDir("uploads", uploads));
  EXPECT_TRUE(IsVerificationFile("google1234abcd.html"));
  EXPECT_TRUE(IsVerificationFile("BingSiteAuth.xml"));
  EXPECT_TRUE(IsVerificationFile("yandex_12ab.html"));
  EXPECT_FALSE(IsVerificationFile("index.html"));
}

TEST_F(ScannerTest, UnchangedDirectoriesAreStillListedForWatches) {
  WriteFile(root_ + "/uploads/2024/05/a.jpg", "jpg");
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  // As after an agent restart: the baseline matches every directory.
  ASSERT_OK_AND_ASSIGN(ScanResult again, FullScan(scanner, *store_, kNow));
  EXPECT_THAT(again.dirs, ::testing::UnorderedElementsAre("", "uploads", "uploads/2024",
                                                          "uploads/2024/05"));
}

// Runs `fn` with this thread's file-system uid set to nobody, so a mode 000 file cannot be
// read even though the test runs as root (setfsuid is per thread).
template <typename Fn>
void AsNobody(Fn fn) {
  const int before = setfsuid(65534);
  fn();
  setfsuid(static_cast<uid_t>(before));
}

// Lets nobody reach the web root and the database (mode 000 files stay unreadable).
void OpenToNobody(const std::string& dir) {
  std::filesystem::permissions(dir, std::filesystem::perms::all);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::filesystem::permissions(entry.path(), entry.is_directory()
                                                   ? std::filesystem::perms::all
                                                   : std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write |
                                                         std::filesystem::perms::group_read |
                                                         std::filesystem::perms::group_write |
                                                         std::filesystem::perms::others_read |
                                                         std::filesystem::perms::others_write);
  }
}

TEST_F(ScannerTest, AFileThatCannotBeReadIsReadAgainByTheNextScan) {
  WriteFile(root_ + "/wp-includes/load.php", "<?php // clean\n");
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  // Let nobody reach the tree and the database; only load.php stays unreadable.
  OpenToNobody(dir_.path());
  WriteFile(root_ + "/wp-includes/load.php", "<?php @eval(base64_decode($_POST['x']));\n");
  ASSERT_EQ(chmod((root_ + "/wp-includes/load.php").c_str(), 0), 0);
  if (getuid() != 0) GTEST_SKIP() << "needs root to drop to another file-system uid";
  absl::StatusOr<ScanResult> failed;
  AsNobody([&] { failed = FullScan(scanner, *store_, kNow); });
  ASSERT_OK(failed);
  EXPECT_EQ(failed->hashed, 0);
  EXPECT_FALSE(HasFinding("wp-includes/load.php", "webshell_file"));
  // Readable again (the same stat as during the failed read): the content is looked at.
  ASSERT_OK_AND_ASSIGN(ScanResult retried, FullScan(scanner, *store_, kNow));
  EXPECT_EQ(retried.hashed, 1);
  EXPECT_TRUE(HasFinding("wp-includes/load.php", "webshell_file"));
  EXPECT_TRUE(HasFinding("wp-includes/load.php", "script_modified"));
}

TEST_F(ScannerTest, ANewFileThatCannotBeReadIsSearchedOnceReadable) {
  std::filesystem::create_directories(root_ + "/wp-includes");
  SiteScanner scanner = Scanner();
  ASSERT_OK(FullScan(scanner, *store_, kNow));
  OpenToNobody(dir_.path());
  WriteFile(root_ + "/wp-includes/cache.php", "<?php @eval(base64_decode($_POST['x']));\n");
  ASSERT_EQ(chmod((root_ + "/wp-includes/cache.php").c_str(), 0), 0);
  if (getuid() != 0) GTEST_SKIP() << "needs root to drop to another file-system uid";
  absl::StatusOr<ScanResult> failed;
  AsNobody([&] { failed = FullScan(scanner, *store_, kNow); });
  ASSERT_OK(failed);
  EXPECT_TRUE(HasFinding("wp-includes/cache.php", "script_added"));
  ASSERT_OK_AND_ASSIGN(ScanResult retried, FullScan(scanner, *store_, kNow));
  EXPECT_EQ(retried.hashed, 1);
  EXPECT_TRUE(HasFinding("wp-includes/cache.php", "webshell_file"));
  // Still one "added", not a second "modified" finding for the first read.
  EXPECT_FALSE(HasFinding("wp-includes/cache.php", "script_modified"));
}

TEST_F(ScannerTest, ChangesAfterAMaintenanceWindowEndedAreReported) {
  WriteFile(root_ + "/index.php", "<?php // v1\n");
  SiteScanner scanner = Scanner();
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  ASSERT_OK(FullScan(scanner, *store_, now_ms));
  // The window ended an hour ago while the agent was down; the changes below are later.
  ASSERT_OK(store_->SetMaintenance(site_.id, {now_ms - 7200000, now_ms - 3600000, "update"}));
  WriteFile(root_ + "/index.php", "<?php echo 'defaced';\n");
  WriteFile(root_ + "/wp-admin/tool.php", "<?php echo 1;\n");
  ASSERT_OK(FullScan(scanner, *store_, now_ms + 1000));
  EXPECT_TRUE(HasFinding("index.php", "index_modified"));
  EXPECT_TRUE(HasFinding("wp-admin/tool.php", "script_added"));
  ASSERT_OK_AND_ASSIGN(auto window, store_->Maintenance(site_.id));
  EXPECT_FALSE(window.has_value());  // absorbed (nothing was) and cleared
}

TEST_F(ScannerTest, ChangesBeforeTheWindowsEndAreAbsorbedButNotScriptsInUploads) {
  WriteFile(root_ + "/index.php", "<?php // v1\n");
  SiteScanner scanner = Scanner();
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  ASSERT_OK(FullScan(scanner, *store_, now_ms));
  ASSERT_OK(store_->SetMaintenance(site_.id, {now_ms, now_ms + 3600000, "update CMS"}));
  WriteFile(root_ + "/index.php", "<?php // v2\n");
  WriteFile(root_ + "/wp-admin/about.php", "<?php echo 'about';\n");
  // No signature matches this one; in an upload directory it is reported all the same.
  WriteFile(root_ + "/uploads/2024/05/cache.php", "<?php $f = $_GET['a']; echo $f;\n");
  ASSERT_OK(FullScan(scanner, *store_, now_ms + 1000));
  EXPECT_FALSE(HasFinding("index.php", "index_modified"));
  EXPECT_FALSE(HasFinding("wp-admin/about.php", "script_added"));
  EXPECT_TRUE(HasFinding("uploads/2024/05/cache.php", "script_in_uploads"));
  for (const StoredFinding& f : Findings()) {
    if (f.kind == "script_in_uploads") {
      EXPECT_EQ(f.severity, v1::Finding::CRITICAL);
    }
  }
  // The window ends: what was absorbed stays absorbed.
  ASSERT_OK(FullScan(scanner, *store_, now_ms + 3600001));
  EXPECT_FALSE(HasFinding("index.php", "index_modified"));
  ASSERT_OK_AND_ASSIGN(auto window, store_->Maintenance(site_.id));
  EXPECT_FALSE(window.has_value());
}

TEST(IntegrityReport, CleanBackupPredatesTheEarliestCriticalFinding) {
  std::vector<StoredFinding> findings(3);
  findings[0] = {"robots.txt", "robots_modified", v1::Finding::WARNING, "", "", kNow - 86400000};
  findings[1] = {"uploads/x.php", "webshell_file", v1::Finding::CRITICAL, "", "", kNow};
  findings[2] = {"uploads/y.php", "script_in_uploads", v1::Finding::CRITICAL, "", "", kNow + 5};
  absl::Time asked;
  v1::CheckReport report =
      BuildReport("pn-demo", findings, absl::FromUnixMillis(kNow + 1000),
                  [&](const std::string&, absl::Time before) -> std::optional<CleanBackup> {
                    asked = before;
                    return CleanBackup{"b1", before - absl::Hours(1), "restore b1"};
                  });
  EXPECT_EQ(asked, absl::FromUnixMillis(kNow));
  EXPECT_EQ(report.last_clean_backup_id(), "b1");
}

TEST(IntegrityReport, CapsAtAHundredWithASummary) {
  std::vector<StoredFinding> findings;
  for (int i = 0; i < 150; ++i) {
    StoredFinding f;
    f.path = absl::StrCat("uploads/f", i, ".php");
    f.kind = i % 2 == 0 ? "script_in_uploads" : "script_added";
    f.severity = i % 2 == 0 ? v1::Finding::CRITICAL : v1::Finding::WARNING;
    f.first_seen_ms = kNow + i;
    findings.push_back(f);
  }
  absl::Time asked;
  v1::CheckReport report = BuildReport(
      "pn-demo", findings, absl::FromUnixMillis(kNow + 1000),
      [&](const std::string&, absl::Time before) -> std::optional<CleanBackup> {
        asked = before;
        return CleanBackup{"b1", before - absl::Hours(1), "pantau-agent backup restore b1"};
      });
  ASSERT_EQ(report.findings_size(), 100);
  EXPECT_EQ(report.findings(0).severity(), v1::Finding::CRITICAL);
  EXPECT_EQ(report.findings(74).severity(), v1::Finding::CRITICAL);
  EXPECT_EQ(report.findings(75).severity(), v1::Finding::WARNING);
  EXPECT_EQ(report.findings(99).kind(), "integrity_more");
  EXPECT_THAT(report.findings(99).detail(), HasSubstr("51 more"));
  EXPECT_EQ(asked, absl::FromUnixMillis(kNow));
  EXPECT_EQ(report.last_clean_backup_id(), "b1");
  EXPECT_EQ(report.check(), "integrity");
}

}  // namespace
}  // namespace pantau::agent::integrity
