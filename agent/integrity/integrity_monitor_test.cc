#include "agent/integrity/integrity_monitor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/config/agent_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::integrity {
namespace {

using ::pantau::testing::Eventually;
using ::pantau::testing::FakeClock;
using ::pantau::testing::ScopedTempDir;

constexpr char kSite[] = "pn-demo";
const char* const kEvalShell = "<?php @eval(base64_decode($_POST['x'])); ?>";
const char* const kPackedShell =
    "<?php\n/* WordPress cache helper */\n$z = 'rUl6Dt8aEP8vbtqhYWJlZ2h';\n"
    "eval(gzinflate(str_rot13(base64_decode($z))));\n?>";
const char* const kCallShell = "<?php $_GET['f']($_GET['c']); ?>";

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

bool Has(const v1::CheckReport& report, const std::string& kind, const std::string& key,
         v1::Finding::Severity severity = v1::Finding::SEVERITY_UNSPECIFIED) {
  for (const v1::Finding& f : report.findings()) {
    if (f.kind() == kind && f.key() == key &&
        (severity == v1::Finding::SEVERITY_UNSPECIFIED || f.severity() == severity)) {
      return true;
    }
  }
  return false;
}

int CountKind(const v1::CheckReport& report, const std::string& kind) {
  int n = 0;
  for (const v1::Finding& f : report.findings()) n += f.kind() == kind ? 1 : 0;
  return n;
}

// A web root with a small clean site, the agent's config file and a report recorder.
class IntegrityFixture {
 public:
  explicit IntegrityFixture(const std::string& integrity_yaml = "") {
    root_ = dir_.path() + "/www";
    state_ = dir_.path() + "/state";
    WriteFile(root_ + "/index.php", "<?php require __DIR__ . '/wp-blog-header.php';\n");
    WriteFile(root_ + "/wp-blog-header.php", "<?php\n$wp_did_header = true;\n");
    WriteFile(root_ + "/robots.txt", "User-agent: *\nDisallow: /wp-admin/\n");
    WriteFile(root_ + "/.htaccess", "RewriteEngine On\nRewriteRule . /index.php [L]\n");
    WriteFile(root_ + "/uploads/2026/10/sidang.jpg", std::string(4096, '\x7f'));
    WriteFile(root_ + "/css/style.css", "body { color: #333; }\n");
    config_path_ = dir_.path() + "/agent.yaml";
    WriteFile(config_path_,
              absl::StrCat("agent_id: test-agent\nstate_dir: ", state_, "\ndata_dir: ",
                           PANTAU_SOURCE_DIR, "/data\ncollector:\n  address: 127.0.0.1:1\n"
                           "sites:\n  - id: ", kSite, "\n    url: http://127.0.0.1/\n"
                           "    web_root: ", root_, "\n    integrity:\n      settle_ms: 50\n"
                           "      rescan_interval_seconds: 86400\n", integrity_yaml));
    auto config = LoadAgentConfig(config_path_);
    EXPECT_OK(config);
    if (config.ok()) config_ = *config;
  }

  absl::StatusOr<std::unique_ptr<IntegrityMonitor>> Create(const Clock& clock) {
    return IntegrityMonitor::Create(
        config_, clock,
        [this](v1::CheckReport report) {
          absl::MutexLock lock(&mu_);
          reports_.push_back(std::move(report));
        },
        [this](const std::string& site, absl::Time before) -> std::optional<CleanBackup> {
          absl::MutexLock lock(&mu_);
          lookups_.emplace_back(site, before);
          return CleanBackup{"pn-demo-20251231T000000Z", before - absl::Hours(6),
                             "pantau-agent backup restore pn-demo-20251231T000000Z --to /root/r"};
        });
  }

  int ReportCount() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(reports_.size());
  }
  v1::CheckReport Latest() {
    absl::MutexLock lock(&mu_);
    return reports_.empty() ? v1::CheckReport() : reports_.back();
  }
  // Waits until the latest report satisfies `pred`. The deadline is a failure bound for a busy
  // machine under ASan, not the speed asserted: tests that need "through inotify, not a rescan"
  // check GetStats() (no full scan ran), and incident_test prints the real latency.
  bool AwaitReport(const std::function<bool(const v1::CheckReport&)>& pred,
                   absl::Duration timeout = absl::Seconds(60)) {
    return Eventually(
        [&] {
          absl::MutexLock lock(&mu_);
          return !reports_.empty() && pred(reports_.back());
        },
        timeout);
  }
  int Command(const std::vector<std::string>& args, std::string* out_text = nullptr) {
    std::vector<std::string> full = args;
    full.push_back("--config");
    full.push_back(config_path_);
    std::ostringstream out, err;
    const int code = RunIntegrityCommand(full, out, err);
    if (out_text != nullptr) *out_text = out.str() + err.str();
    return code;
  }

  const std::string& root() const { return root_; }

 private:
  ScopedTempDir dir_;
  std::string root_, state_, config_path_;
  AgentConfig config_;
  absl::Mutex mu_;
  std::vector<v1::CheckReport> reports_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, absl::Time>> lookups_ ABSL_GUARDED_BY(mu_);
};

TEST(IntegrityMonitor, FirstScanTakesTheBaselineAndReportsAnEmptySet) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  v1::CheckReport report = fx.Latest();
  EXPECT_EQ(report.site(), kSite);
  EXPECT_EQ(report.check(), "integrity");
  EXPECT_GT(report.started_unix_ms(), 0);
  EXPECT_EQ(report.findings_size(), 0);
  EXPECT_TRUE(report.last_clean_backup_id().empty());
  ASSERT_OK(monitor->RescanNow());
  EXPECT_EQ(fx.Latest().findings_size(), 0);
  EXPECT_EQ(fx.ReportCount(), 1);  // nothing changed: nothing sent again
  EXPECT_GE(monitor->GetStats().full_scans, 2);
  EXPECT_GE(monitor->GetStats().watches, 5);  // root, uploads, 2026, 10, css
  monitor->Stop();
  monitor->Stop();  // idempotent
}

TEST(IntegrityMonitor, WebshellsPlantedInUploadsAreReportedThroughInotify) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  const int64_t full_scans = monitor->GetStats().full_scans;

  WriteFile(fx.root() + "/uploads/2026/10/x.php", kEvalShell);
  WriteFile(fx.root() + "/uploads/cache.phtml", kPackedShell);
  // A directory made after the start: watched as it appears.
  WriteFile(fx.root() + "/uploads/2026/11/deep/thumb.PHP", kCallShell);

  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "script_in_uploads", "uploads/2026/10/x.php", v1::Finding::CRITICAL) &&
           Has(r, "webshell_file", "uploads/2026/10/x.php", v1::Finding::CRITICAL) &&
           Has(r, "script_in_uploads", "uploads/cache.phtml", v1::Finding::CRITICAL) &&
           Has(r, "webshell_file", "uploads/cache.phtml", v1::Finding::CRITICAL) &&
           Has(r, "script_in_uploads", "uploads/2026/11/deep/thumb.PHP", v1::Finding::CRITICAL) &&
           Has(r, "webshell_file", "uploads/2026/11/deep/thumb.PHP", v1::Finding::CRITICAL);
  })) << fx.Latest().DebugString();
  // Found by inotify, not by a rescan.
  EXPECT_EQ(monitor->GetStats().full_scans, full_scans);
  EXPECT_GT(monitor->GetStats().event_checks, 0);
  const v1::CheckReport report = fx.Latest();
  EXPECT_EQ(report.last_clean_backup_id(), "pn-demo-20251231T000000Z");
  EXPECT_THAT(report.restore_command(), ::testing::HasSubstr("backup restore"));
  for (const v1::Finding& f : report.findings()) {
    EXPECT_LE(f.evidence().size(), 200u);
    if (f.kind() == "webshell_file" && f.key() == "uploads/2026/10/x.php") {
      EXPECT_THAT(f.evidence(), ::testing::HasSubstr("eval"));
    }
  }
  monitor->Stop();
}

TEST(IntegrityMonitor, ReportsChangesToIndexHtaccessRobotsVerificationFilesAndModes) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));

  WriteFile(fx.root() + "/index.php", "<?php echo '<h1>Hacked by X</h1>';\n");
  WriteFile(fx.root() + "/wp-admin/.htaccess", "Options +Indexes\n");
  WriteFile(fx.root() + "/google1234abcd.html", "google-site-verification: google1234abcd.html");
  WriteFile(fx.root() + "/robots.txt", "User-agent: *\nAllow: /\nSitemap: http://spam/\n");
  WriteFile(fx.root() + "/wp-blog-header.php", "<?php\n$wp_did_header = false;\n");
  WriteFile(fx.root() + "/new-tool.php", "<?php echo date('Y');\n");
  ASSERT_EQ(chmod((fx.root() + "/css/style.css").c_str(), 0666), 0);
  ASSERT_EQ(chmod((fx.root() + "/css").c_str(), 0777), 0);
  std::filesystem::remove(fx.root() + "/.htaccess");

  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "index_modified", "index.php", v1::Finding::WARNING) &&
           Has(r, "htaccess_modified", "wp-admin/.htaccess") &&
           Has(r, "htaccess_modified", ".htaccess") &&
           Has(r, "verification_file_added", "google1234abcd.html") &&
           Has(r, "robots_modified", "robots.txt") &&
           Has(r, "script_modified", "wp-blog-header.php", v1::Finding::WARNING) &&
           Has(r, "script_added", "new-tool.php", v1::Finding::WARNING) &&
           Has(r, "world_writable", "css/style.css") && Has(r, "world_writable", "css");
  })) << fx.Latest().DebugString();
  const v1::CheckReport report = fx.Latest();
  EXPECT_EQ(CountKind(report, "webshell_file"), 0);
  EXPECT_TRUE(report.last_clean_backup_id().empty());  // nothing critical
  for (const v1::Finding& f : report.findings()) {
    if (f.kind() == "robots_modified") {
      EXPECT_THAT(f.evidence(), ::testing::HasSubstr("sha256 changed"));
    }
    if (f.kind() == "world_writable" && f.key() == "css/style.css") {
      EXPECT_THAT(f.evidence(), ::testing::HasSubstr("0666"));
    }
  }
  monitor->Stop();
}

TEST(IntegrityMonitor, WebshellPresentBeforeTheFirstBaselineIsReported) {
  IntegrityFixture fx;
  WriteFile(fx.root() + "/wp-includes/class-wp-cache.php", kPackedShell);
  WriteFile(fx.root() + "/uploads/2026/10/x.php", kEvalShell);
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  const v1::CheckReport report = fx.Latest();
  EXPECT_TRUE(Has(report, "webshell_file", "wp-includes/class-wp-cache.php", v1::Finding::CRITICAL))
      << report.DebugString();
  EXPECT_TRUE(Has(report, "webshell_file", "uploads/2026/10/x.php", v1::Finding::CRITICAL));
  // The baseline itself is silent: no "added" findings.
  EXPECT_EQ(report.findings_size(), 2) << report.DebugString();
  EXPECT_FALSE(report.last_clean_backup_id().empty());
  monitor->Stop();
}

TEST(IntegrityMonitor, CleanCmsStylePhpRaisesNoWebshellFinding) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  WriteFile(fx.root() + "/wp-includes/class-pn-http.php", R"php(<?php
/**
 * HTTP transport over cURL, with JSON helpers.
 */
class PN_Http {
	public function get( $url ) {
		$ch = curl_init( $url );
		curl_setopt( $ch, CURLOPT_RETURNTRANSFER, true );
		$body = curl_exec( $ch );
		curl_close( $ch );
		return $body;
	}
	public function token_payload( $token ) {
		$parts = explode( '.', $token );
		return json_decode( base64_decode( strtr( $parts[1], '-_', '+/' ) ), true );
	}
	public function slug( $title ) {
		return trim( preg_replace( '/[^a-z0-9]+/', '-', strtolower( $title ) ), '-' );
	}
}
)php");
  WriteFile(fx.root() + "/wp-includes/marker.php", "<?php // done\n");
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "script_added", "wp-includes/class-pn-http.php") &&
           Has(r, "script_added", "wp-includes/marker.php");
  })) << fx.Latest().DebugString();
  EXPECT_EQ(CountKind(fx.Latest(), "webshell_file"), 0) << fx.Latest().DebugString();
  monitor->Stop();
}

TEST(IntegrityMonitor, InotifyOverflowIsRecoveredByAFullRescan) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  // More events than the kernel queue holds (two per empty file: create, close-write), in a
  // directory that is watched already.
  int max_queued = 16384;
  {
    std::ifstream in("/proc/sys/fs/inotify/max_queued_events");
    in >> max_queued;
  }
  const int files = max_queued / 2 + 2000;
  monitor->PauseEventsForTesting(true);
  for (int i = 0; i < files; ++i) {
    const std::string path = absl::StrCat(fx.root(), "/uploads/2026/10/f", i, ".txt");
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  WriteFile(fx.root() + "/uploads/2026/10/zz.php", kEvalShell);
  monitor->PauseEventsForTesting(false);
  ASSERT_TRUE(Eventually([&] { return monitor->GetStats().overflows >= 1; }, absl::Seconds(60)));
  ASSERT_TRUE(fx.AwaitReport(
      [](const v1::CheckReport& r) {
        return Has(r, "webshell_file", "uploads/2026/10/zz.php", v1::Finding::CRITICAL) &&
               Has(r, "script_in_uploads", "uploads/2026/10/zz.php");
      },
      // The rescan hashes and records the ~10,000 new files first (slow under ASan).
      absl::Seconds(180)))
      << fx.Latest().DebugString();
  monitor->Stop();
}

TEST(IntegrityMonitor, AcceptClearsFindingsAndALaterChangeIsReportedAgain) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  WriteFile(fx.root() + "/index.php", "<?php require 'wp-blog-header.php'; // v2\n");
  WriteFile(fx.root() + "/robots.txt", "User-agent: *\n");
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "index_modified", "index.php") && Has(r, "robots_modified", "robots.txt");
  }));
  std::string out;
  EXPECT_EQ(fx.Command({"status", "--site", kSite}, &out), 1) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("index_modified"));

  // Accept one path: only its finding goes.
  ASSERT_EQ(fx.Command({"accept", "--site", kSite, "index.php"}, &out), 0) << out;
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return !Has(r, "index_modified", "index.php") && Has(r, "robots_modified", "robots.txt");
  })) << fx.Latest().DebugString();
  // Accept the rest of the site.
  ASSERT_EQ(fx.Command({"accept", "--site", kSite}, &out), 0) << out;
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) { return r.findings_size() == 0; }));
  EXPECT_EQ(fx.Command({"status"}, &out), 0) << out;

  WriteFile(fx.root() + "/index.php", "<?php echo 'defaced';\n");
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "index_modified", "index.php");
  }));
  monitor->Stop();
}

TEST(IntegrityMonitor, MaintenanceWindowSuppressesChangesButNotWebshells) {
  IntegrityFixture fx;
  FakeClock clock(absl::Now());
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  std::string out;
  ASSERT_EQ(fx.Command({"maintenance", "start", "--site", kSite, "--minutes", "30", "--reason",
                        "update CMS"},
                       &out),
            0)
      << out;

  WriteFile(fx.root() + "/index.php", "<?php require __DIR__ . '/wp-blog-header.php'; // 6.7\n");
  WriteFile(fx.root() + "/wp-admin/about.php", "<?php echo 'about';\n");
  WriteFile(fx.root() + "/uploads/sh.php", kEvalShell);
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "webshell_file", "uploads/sh.php", v1::Finding::CRITICAL);
  })) << fx.Latest().DebugString();
  ASSERT_OK(monitor->RescanNow());
  v1::CheckReport report = fx.Latest();
  // The webshell, and the script in an upload directory (reported in a window too).
  EXPECT_EQ(report.findings_size(), 2) << report.DebugString();
  EXPECT_TRUE(Has(report, "script_in_uploads", "uploads/sh.php", v1::Finding::CRITICAL));

  // The window runs out (the monitor's clock); its changes are now the baseline.
  clock.Advance(absl::Minutes(31));
  ASSERT_TRUE(Eventually([&] {
    std::string json;
    fx.Command({"status", "--json"}, &json);
    return json.find("maintenance_until_unix_ms") == std::string::npos;
  }));
  ASSERT_OK(monitor->RescanNow());
  report = fx.Latest();
  EXPECT_FALSE(Has(report, "index_modified", "index.php")) << report.DebugString();
  EXPECT_FALSE(Has(report, "script_added", "wp-admin/about.php"));
  EXPECT_TRUE(Has(report, "webshell_file", "uploads/sh.php"));

  // After the window a change is reported again, compared with the maintenance-time version.
  WriteFile(fx.root() + "/index.php", "<?php echo 'x';\n");
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "index_modified", "index.php");
  }));
  monitor->Stop();
}

TEST(IntegrityMonitor, MaintenanceEndedByTheCommandTakesChangesIntoTheBaseline) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  std::string out;
  ASSERT_EQ(fx.Command({"maintenance", "start", "--site", kSite, "--minutes", "5"}, &out), 0);
  WriteFile(fx.root() + "/index.php", "<?php // updated during maintenance\n");
  ASSERT_EQ(fx.Command({"maintenance", "end", "--site", kSite}, &out), 0) << out;
  ASSERT_OK(monitor->RescanNow());
  EXPECT_EQ(fx.Latest().findings_size(), 0) << fx.Latest().DebugString();
  EXPECT_EQ(fx.Command({"maintenance", "end", "--site", kSite}, &out), 1);
  monitor->Stop();
}

TEST(IntegrityMonitor, AfterARestartExistingSubdirectoriesAreWatched) {
  IntegrityFixture fx;
  WriteFile(fx.root() + "/uploads/2024/05/photo.jpg", std::string(512, '\x7f'));
  RealClock clock;
  {
    ASSERT_OK_AND_ASSIGN(auto first, fx.Create(clock));
    ASSERT_OK(first->Start());
    ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
    first->Stop();
  }
  // The agent restarts: the baseline exists and matches every directory.
  const int reports = fx.ReportCount();
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(Eventually([&] { return fx.ReportCount() > reports; }));
  // root, css, uploads, uploads/2026, uploads/2026/10, uploads/2024, uploads/2024/05
  EXPECT_EQ(monitor->GetStats().watches, 7);
  EXPECT_EQ(monitor->GetStats().full_scans, 1);

  WriteFile(fx.root() + "/uploads/2024/05/x.php", kEvalShell);
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "webshell_file", "uploads/2024/05/x.php", v1::Finding::CRITICAL) &&
           Has(r, "script_in_uploads", "uploads/2024/05/x.php", v1::Finding::CRITICAL);
  })) << fx.Latest().DebugString();
  // Through inotify: no full scan beyond the start-up one.
  EXPECT_EQ(monitor->GetStats().full_scans, 1);
  monitor->Stop();
}

TEST(IntegrityMonitor, AWebRootReplacedByRenameIsWatchedAgain) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  EXPECT_EQ(monitor->GetStats().watches, 5);  // root, css, uploads, uploads/2026, uploads/2026/10
  const int64_t scans_before = monitor->GetStats().full_scans;

  // A deployment: the same site without css/ is built beside the root and swapped in
  // (mv html html.old && mv html.new html).
  const std::string fresh = fx.root() + ".new";
  const std::string old = fx.root() + ".old";
  std::filesystem::copy(fx.root(), fresh, std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(fresh + "/css");
  ASSERT_EQ(rename(fx.root().c_str(), old.c_str()), 0);
  ASSERT_EQ(rename(fresh.c_str(), fx.root().c_str()), 0);

  // The move is followed by a full scan of the new tree, which watches its 4 directories and
  // nothing of the old one (css/ there included).
  ASSERT_TRUE(Eventually([&] {
    const auto stats = monitor->GetStats();
    return stats.full_scans > scans_before && stats.watches == 4;
  })) << monitor->GetStats().watches;
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) { return r.findings_size() == 0; }))
      << fx.Latest().DebugString();
  const int64_t scans_after = monitor->GetStats().full_scans;

  // Changes in the moved-away tree are not the site's.
  WriteFile(old + "/uploads/2026/10/old.php", kEvalShell);
  WriteFile(old + "/index.php", "<?php echo 'old tree';\n");
  ASSERT_EQ(chmod((old + "/css/style.css").c_str(), 0666), 0);
  // A webshell in a directory of the new tree that existed before: found through inotify.
  WriteFile(fx.root() + "/uploads/2026/10/x.php", kEvalShell);
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "webshell_file", "uploads/2026/10/x.php", v1::Finding::CRITICAL);
  })) << fx.Latest().DebugString();
  EXPECT_EQ(monitor->GetStats().full_scans, scans_after);
  ASSERT_OK(monitor->RescanNow());
  const v1::CheckReport report = fx.Latest();
  EXPECT_FALSE(Has(report, "webshell_file", "uploads/2026/10/old.php")) << report.DebugString();
  EXPECT_FALSE(Has(report, "index_modified", "index.php"));
  EXPECT_FALSE(Has(report, "world_writable", "css/style.css"));
  EXPECT_EQ(monitor->GetStats().watches, 4);
  monitor->Stop();
}

TEST(IntegrityMonitor, AWebRootMissingAtTheRescanIsWatchedOnceItIsBack) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  const int64_t scans_before = monitor->GetStats().full_scans;
  const std::string fresh = fx.root() + ".new";
  std::filesystem::copy(fx.root(), fresh, std::filesystem::copy_options::recursive);
  std::filesystem::remove_all(fresh + "/css");
  ASSERT_EQ(rename(fx.root().c_str(), (fx.root() + ".old").c_str()), 0);
  // The rescan after the move finds no web root (and fails); every watch is gone.
  ASSERT_TRUE(Eventually([&] {
    const auto stats = monitor->GetStats();
    return stats.full_scans > scans_before && stats.watches == 0;
  }));
  ASSERT_EQ(rename(fresh.c_str(), fx.root().c_str()), 0);
  ASSERT_TRUE(Eventually([&] { return monitor->GetStats().watches == 4; }))
      << monitor->GetStats().watches;
  WriteFile(fx.root() + "/uploads/2026/10/x.php", kEvalShell);
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "webshell_file", "uploads/2026/10/x.php", v1::Finding::CRITICAL);
  })) << fx.Latest().DebugString();
  monitor->Stop();
}

TEST(IntegrityMonitor, MaintenanceWindowStillReportsScriptsInUploads) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  std::string out;
  ASSERT_EQ(fx.Command({"maintenance", "start", "--site", kSite, "--minutes", "30"}, &out), 0)
      << out;
  WriteFile(fx.root() + "/wp-admin/about.php", "<?php echo 'about';\n");
  // No signature matches it, but a CMS update puts no scripts into upload directories.
  WriteFile(fx.root() + "/uploads/2026/10/thumb.php", "<?php $a = $_GET['a']; echo $a;\n");
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "script_in_uploads", "uploads/2026/10/thumb.php", v1::Finding::CRITICAL);
  })) << fx.Latest().DebugString();
  ASSERT_OK(monitor->RescanNow());
  EXPECT_FALSE(Has(fx.Latest(), "script_added", "wp-admin/about.php"))
      << fx.Latest().DebugString();
  monitor->Stop();
}

TEST(IntegrityMonitor, PeriodicRescanFollowsTheClock) {
  IntegrityFixture fx;
  FakeClock clock(absl::Now());
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  clock.AwaitWaiters(1);  // the rescan timer is parked
  const int64_t before = monitor->GetStats().full_scans;
  clock.Advance(absl::Hours(24) + absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return monitor->GetStats().full_scans > before; }));
  monitor->Stop();
}

TEST(IntegrityMonitor, ExcludedPathsAreIgnored) {
  IntegrityFixture fx("      exclude: ['cache/*', '*.log', 'uploads/tmp-*']\n");
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  WriteFile(fx.root() + "/cache/page.php", kEvalShell);
  WriteFile(fx.root() + "/cache/sub/x.php", kEvalShell);
  WriteFile(fx.root() + "/error.log", "x");
  WriteFile(fx.root() + "/uploads/tmp-1/a.php", kEvalShell);
  WriteFile(fx.root() + "/marker.php", "<?php\n");
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport& r) {
    return Has(r, "script_added", "marker.php");
  }));
  ASSERT_OK(monitor->RescanNow());
  EXPECT_EQ(fx.Latest().findings_size(), 1) << fx.Latest().DebugString();
  monitor->Stop();
}

TEST(IntegrityMonitor, StopsPromptly) {
  IntegrityFixture fx;
  RealClock clock;
  ASSERT_OK_AND_ASSIGN(auto monitor, fx.Create(clock));
  ASSERT_OK(monitor->Start());
  ASSERT_TRUE(fx.AwaitReport([](const v1::CheckReport&) { return true; }));
  const auto start = std::chrono::steady_clock::now();
  monitor->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(monitor->RescanNow().ok());
}

TEST(IntegrityMonitor, BrokenSignatureFileFailsCreate) {
  ScopedTempDir dir;
  WriteFile(dir.path() + "/data/integrity/signatures.yaml",
            "version: 1\nsignatures:\n  - id: x\n    description: d\n    severity: critical\n"
            "    applies_to: [php]\n    pattern: '(unclosed'\n");
  AgentConfig config;
  config.data_dir = dir.path() + "/data";
  config.state_dir = dir.path() + "/state";
  RealClock clock;
  auto monitor = IntegrityMonitor::Create(config, clock, nullptr, nullptr);
  EXPECT_THAT(monitor, ::pantau::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                                   ::testing::HasSubstr("signatures.yaml:3")));
}

}  // namespace
}  // namespace pantau::agent::integrity
