// The live log watcher against a real nginx writing real logs, real logrotate in both modes,
// restarts and crashes in the middle: every line on disk is counted exactly once.
#include "agent/logwatch/log_watcher.h"

#include <curl/curl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/config/agent_config.h"
#include "agent/spool/spool_store.h"
#include "common/clock.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "tests/testing/eventually.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::Eventually;
using ::pantau::testing::IsOk;
using ::pantau::testing::NginxOptions;
using ::pantau::testing::NginxServer;

size_t IgnoreBody(char*, size_t size, size_t n, void*) { return size * n; }

// A keep-alive HTTP client (libcurl easy handle) for sending requests to nginx.
class Client {
 public:
  Client() : curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, IgnoreBody);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 20L);
  }
  ~Client() { curl_easy_cleanup(curl_); }
  // Returns the status (0 when the request failed).
  long Send(const std::string& url, const std::string& user_agent = "Mozilla/5.0 (Linux; Android 13) Chrome/119.0",
            bool post = false, const std::string& forwarded_for = "") {
    curl_slist* headers = nullptr;
    if (!forwarded_for.empty()) {
      headers = curl_slist_append(headers, ("X-Forwarded-For: " + forwarded_for).c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(curl_, CURLOPT_POST, post ? 1L : 0L);
    if (post) curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, "log=admin&pwd=rahasia123");
    const CURLcode code = curl_easy_perform(curl_);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    if (code != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }

 private:
  CURL* curl_;
};

int64_t CountLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  int64_t n = 0;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) n += buffer[i] == '\n';
  }
  return n;
}

// Lines in the log and every rotated copy of it (access.log, access.log.1, ...).
int64_t LinesOnDisk(const std::string& log_path) {
  int64_t n = CountLines(log_path);
  for (int i = 1; i <= 20; ++i) n += CountLines(absl::StrCat(log_path, ".", i));
  return n;
}

struct Spooled {
  int64_t requests = 0;
  int64_t page_views = 0;
  int64_t malformed = 0;
  std::vector<v1::LogAlert> alerts;  // every update
  std::vector<v1::BanEvent> bans;
};

// Everything the watcher spooled, taken out of the spool (acknowledged) and added up.
void Drain(SpoolStore& spool, Spooled* into) {
  for (;;) {
    absl::StatusOr<absl::optional<SpoolBatch>> batch = spool.NextBatch(1000);
    ASSERT_THAT(batch, IsOk());
    if (!batch->has_value()) return;
    for (const v1::Event& e : (*batch)->events) {
      if (e.has_visitor_stats()) {
        into->requests += e.visitor_stats().requests();
        into->page_views += e.visitor_stats().page_views();
        into->malformed += e.visitor_stats().malformed_lines();
      }
      if (e.has_log_alert()) into->alerts.push_back(e.log_alert());
      if (e.has_ban()) into->bans.push_back(e.ban());
    }
    ASSERT_THAT(spool.Acknowledge((*batch)->seq), IsOk());
  }
}

class LogWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NginxOptions options;
    // As behind a reverse proxy: the client address comes from X-Forwarded-For, so tests can
    // play visitors from elsewhere.
    options.extra_http_conf = "set_real_ip_from 127.0.0.1;\nreal_ip_header X-Forwarded-For;\n";
    options.extra_server_conf =
        "location = /wp-login.php { return 200 'login'; }\n"
        "location = /rusak { return 502; }\n";
    absl::StatusOr<std::unique_ptr<NginxServer>> nginx = NginxServer::Start(options);
    ASSERT_THAT(nginx, IsOk());
    nginx_ = std::move(*nginx);
    ASSERT_THAT(nginx_->WriteFile("index.html", "<h1>Pengadilan Negeri Contoh</h1>"), IsOk());
    ASSERT_THAT(nginx_->WriteFile("berita/index.html", "<h1>Berita</h1>"), IsOk());
    config_.agent_id = "agent-1";
    config_.state_dir = dir_.path();
    config_.data_dir = PANTAU_SOURCE_DIR "/data";
    config_.logwatch.start_at_end = false;
    SiteConfig site;
    site.id = "pn-contoh";
    site.url = nginx_->Url("/");
    LogSourceConfig access;
    access.paths = {nginx_->access_log_path()};
    LogSourceConfig errors;
    errors.paths = {nginx_->error_log_path()};
    errors.type = "error";
    site.logs = {access, errors};
    config_.sites.push_back(site);
    OpenSpool();
  }

  void OpenSpool() {
    watcher_.reset();
    spool_.reset();
    absl::StatusOr<std::unique_ptr<SpoolStore>> spool =
        SpoolStore::Open(dir_.path() + "/spool.db");
    ASSERT_THAT(spool, IsOk());
    spool_ = std::move(*spool);
  }

  void CreateWatcher() {
    absl::StatusOr<std::unique_ptr<LogWatcher>> watcher =
        LogWatcher::Create(config_, *spool_, clock_, registry_);
    ASSERT_THAT(watcher, IsOk());
    watcher_ = std::move(*watcher);
  }

  // Reads until the watcher has seen `lines` lines in total (this watcher's life).
  bool ReadUntil(int64_t lines) {
    return Eventually([&] {
      EXPECT_THAT(watcher_->RunOnce(false), IsOk());
      return watcher_->counters().lines >= lines;
    });
  }

  std::string Url(const std::string& path) const { return nginx_->Url(path); }

  ::pantau::testing::ScopedTempDir dir_;
  std::unique_ptr<NginxServer> nginx_;
  AgentConfig config_;
  RealClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<SpoolStore> spool_;
  std::unique_ptr<LogWatcher> watcher_;
};

TEST_F(LogWatcherTest, CountsVisitorsAndRaisesAggregatedAlertsFromARealNginx) {
  CreateWatcher();
  ASSERT_EQ(watcher_->sources(), 2u);
  Client client;
  int sent = 0;
  for (int i = 0; i < 40; ++i, ++sent) ASSERT_EQ(client.Send(Url("/berita/?page=" + std::to_string(i))), 200);
  // The court's own search for "select" is not an attack.
  ASSERT_EQ(client.Send(Url("/index.html?q=select+jadwal+sidang")), 200);
  ++sent;
  for (int i = 0; i < 25; ++i, ++sent) {
    client.Send(Url("/index.html?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--"));
  }
  for (int i = 0; i < 5; ++i, ++sent) client.Send(Url("/"), "sqlmap/1.7.2#stable (https://sqlmap.org)");
  for (int i = 0; i < 40; ++i, ++sent) ASSERT_EQ(client.Send(Url("/wp-login.php"), "Mozilla/5.0", true), 200);

  ASSERT_TRUE(Eventually([&] { return CountLines(nginx_->access_log_path()) >= sent; }));
  ASSERT_TRUE(ReadUntil(sent));
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  Spooled got;
  Drain(*spool_, &got);
  EXPECT_EQ(got.requests, sent);
  EXPECT_EQ(got.malformed, 0);
  std::map<std::string, int64_t> count_by_family;
  for (const v1::LogAlert& a : got.alerts) {
    EXPECT_EQ(a.site(), "pn-contoh");
    EXPECT_EQ(a.client(), "127.0.0.1");
    EXPECT_FALSE(a.description().empty());
    EXPECT_FALSE(a.action().empty());
    EXPECT_LE(a.sample_lines_size(), 5);
    count_by_family[a.family()] = std::max(count_by_family[a.family()], a.count());
  }
  // 25 injections are one aggregated alert (per rule), not 25.
  EXPECT_EQ(count_by_family["sql_injection"], 25);
  EXPECT_GE(count_by_family["scanner"], 5);
  EXPECT_GE(count_by_family["brute_force"], 1);
  EXPECT_LT(got.alerts.size(), 20u);
}

TEST_F(LogWatcherTest, ACrashBeforeTheCheckpointReReadsInsteadOfLosingLines) {
  CreateWatcher();
  Client client;
  for (int i = 0; i < 30; ++i) ASSERT_EQ(client.Send(Url("/")), 200);
  ASSERT_TRUE(Eventually([&] { return CountLines(nginx_->access_log_path()) >= 30; }));
  ASSERT_TRUE(ReadUntil(30));
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());  // checkpoint: 30 lines committed
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client.Send(Url("/")), 200);
  ASSERT_TRUE(Eventually([&] { return CountLines(nginx_->access_log_path()) >= 50; }));
  ASSERT_TRUE(ReadUntil(50));
  // "Crash": the watcher goes away without its last checkpoint (RunOnce never started the
  // thread whose Stop would take one), and the spool is reopened as after a restart.
  watcher_.reset();
  OpenSpool();
  CreateWatcher();
  ASSERT_TRUE(ReadUntil(20));  // the 20 lines after the checkpoint, read again
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  EXPECT_EQ(watcher_->counters().lines, 20);
  Spooled got;
  Drain(*spool_, &got);
  EXPECT_EQ(got.requests, 50);
}

TEST_F(LogWatcherTest, StopTakesALastCheckpointAndARestartContinuesWhereItStopped) {
  config_.logwatch.poll_interval = absl::Milliseconds(100);
  CreateWatcher();
  watcher_->Start();
  Client client;
  for (int i = 0; i < 10; ++i) ASSERT_EQ(client.Send(Url("/")), 200);
  ASSERT_TRUE(Eventually([&] { return watcher_->counters().lines >= 10; }));
  watcher_->Stop();
  watcher_.reset();
  for (int i = 0; i < 7; ++i) ASSERT_EQ(client.Send(Url("/")), 200);
  ASSERT_TRUE(Eventually([&] { return CountLines(nginx_->access_log_path()) >= 17; }));
  CreateWatcher();
  ASSERT_TRUE(ReadUntil(7));
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  EXPECT_EQ(watcher_->counters().lines, 7);
  Spooled got;
  Drain(*spool_, &got);
  EXPECT_EQ(got.requests, 17);
}

TEST_F(LogWatcherTest, BruteForceLeadsToAnNftablesBanAndBanEvents) {
  if (geteuid() != 0) GTEST_SKIP() << "active response needs root (network namespace, nftables)";
  const std::string ns = absl::StrCat("pantau-lw-", getpid());
  absl::StatusOr<CommandResult> added =
      RunCommand({"ip", "netns", "add", ns}, {}, absl::Seconds(30));
  if (!added.ok() || added->exit_code != 0) {
    GTEST_SKIP() << "cannot create a network namespace: "
                 << (added.ok() ? added->output : added.status().ToString());
  }
  struct DeleteNamespace {
    std::string name;
    ~DeleteNamespace() { (void)RunCommand({"ip", "netns", "del", name}, {}, absl::Seconds(30)); }
  } delete_namespace{ns};
  const std::vector<std::string> nft = {"ip", "netns", "exec", ns, "nft"};
  std::vector<std::string> probe = nft;
  probe.push_back("list");
  probe.push_back("tables");
  absl::StatusOr<CommandResult> works = RunCommand(probe, {}, absl::Seconds(30));
  if (!works.ok() || works->exit_code != 0) {
    GTEST_SKIP() << "nft does not work in a network namespace here: "
                 << (works.ok() ? works->output : works.status().ToString());
  }
  config_.logwatch.active_response.enabled = true;
  config_.logwatch.active_response.nft_command = nft;
  config_.logwatch.active_response.ban_time = absl::Minutes(10);
  config_.logwatch.active_response.allow_list = {"198.51.100.0/24"};
  CreateWatcher();

  Client client;
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(client.Send(Url("/wp-login.php"), "Mozilla/5.0", true, "203.0.113.50"), 200);
    ASSERT_EQ(client.Send(Url("/wp-login.php"), "Mozilla/5.0", true, "198.51.100.7"), 200);
  }
  ASSERT_TRUE(Eventually([&] { return CountLines(nginx_->access_log_path()) >= 80; }));
  ASSERT_TRUE(ReadUntil(80));
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  Spooled got;
  Drain(*spool_, &got);
  std::map<std::string, v1::BanEvent::Outcome> outcome;
  for (const v1::BanEvent& b : got.bans) {
    EXPECT_EQ(b.site(), "pn-contoh");
    EXPECT_FALSE(b.alert_id().empty());
    EXPECT_TRUE(outcome.emplace(b.client(), b.outcome()).second) << "banned twice: " << b.client();
  }
  EXPECT_EQ(outcome["203.0.113.50"], v1::BanEvent::BANNED);
  EXPECT_EQ(outcome["198.51.100.7"], v1::BanEvent::ALLOWLISTED);
  std::vector<std::string> list = nft;
  list.insert(list.end(), {"list", "set", "inet", "pantau", "banned_v4"});
  absl::StatusOr<CommandResult> set = RunCommand(list, {}, absl::Seconds(30));
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->exit_code, 0) << set->output;
  EXPECT_THAT(set->output, ::testing::HasSubstr("203.0.113.50"));
  EXPECT_THAT(set->output, ::testing::Not(::testing::HasSubstr("198.51.100.7")));
}

// Sum of a counter family's values in the registry (0 when absent).
double CounterTotal(prometheus::Registry& registry, const std::string& name) {
  double total = 0;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) total += m.counter.value;
  }
  return total;
}

TEST_F(LogWatcherTest, OverlongAndMalformedLinesAreCountedInMetricsNotFatal) {
  const std::string log = dir_.path() + "/custom.log";
  config_.sites[0].logs.resize(1);
  config_.sites[0].logs[0].paths = {log};
  config_.logwatch.max_line_bytes = 1024;
  std::ofstream(log, std::ios::binary)
      << "114.124.1.1 - - [25/Nov/2026:08:00:00 +0700] \"GET / HTTP/1.1\" 200 10 \"-\" \"M\"\n"
      << std::string(5000, 'x') << "\n"
      << "not a log line at all\n";
  CreateWatcher();
  ASSERT_TRUE(ReadUntil(3));
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  EXPECT_EQ(watcher_->counters().lines, 3);
  EXPECT_EQ(watcher_->counters().malformed, 2);
  EXPECT_EQ(CounterTotal(registry_, "pantau_agent_log_lines_total"), 3);
  EXPECT_EQ(CounterTotal(registry_, "pantau_agent_log_malformed_lines_total"), 2);
  EXPECT_EQ(CounterTotal(registry_, "pantau_agent_log_truncated_lines_total"), 1);
  Spooled got;
  Drain(*spool_, &got);
  EXPECT_EQ(got.requests, 1);
  EXPECT_EQ(got.malformed, 2);
}

// logrotate in both modes while requests keep coming, with a restart of the watcher in the
// middle and one rotation while it is down.
class LogRotationTest : public LogWatcherTest, public ::testing::WithParamInterface<bool> {};

TEST_P(LogRotationTest, EveryLineOnDiskIsCountedExactlyOnce) {
  const bool copytruncate = GetParam();
  const std::string log = nginx_->access_log_path();
  const std::string conf = dir_.path() + "/logrotate.conf";
  {
    std::ofstream out(conf);
    out << log << " {\n  rotate 20\n  missingok\n  nocompress\n";
    if (copytruncate) {
      out << "  copytruncate\n";
    } else {
      out << "  create 0644\n  sharedscripts\n  postrotate\n    kill -USR1 $(cat "
          << nginx_->dir() << "/nginx.pid)\n  endscript\n";
    }
    out << "}\n";
  }
  auto rotate = [&] {
    absl::StatusOr<CommandResult> r = RunCommand(
        {"logrotate", "-f", "-s", dir_.path() + "/logrotate.state", conf}, {}, absl::Seconds(60));
    ASSERT_THAT(r, IsOk());
    ASSERT_EQ(r->exit_code, 0) << r->output;
  };

  std::atomic<bool> stop{false};
  std::atomic<int64_t> sent{0};
  std::thread load([&] {
    Client client;
    for (int64_t i = 0; !stop.load(); ++i) {
      if (client.Send(Url("/berita/?n=" + std::to_string(i))) != 0) sent.fetch_add(1);
    }
  });
  auto wait_sent = [&](int64_t more) {
    const int64_t target = sent.load() + more;
    ASSERT_TRUE(Eventually([&] { return sent.load() >= target; }));
  };

  CreateWatcher();
  int64_t read_before_restart = 0;
  // The watcher catches up with what is on disk before each rotation: a log that is created
  // and rotated away again before the watcher ever saw it would be missed (docs/LOGWATCH.md).
  auto catch_up = [&] { ASSERT_TRUE(ReadUntil(LinesOnDisk(log) - read_before_restart)); };
  wait_sent(300);
  catch_up();
  rotate();                          // 1: watcher running
  wait_sent(300);
  catch_up();
  // Restart: the last checkpoint, then the spool and watcher go away.
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  read_before_restart = watcher_->counters().lines;
  watcher_.reset();
  OpenSpool();
  wait_sent(200);
  rotate();                          // 2: watcher down
  wait_sent(300);
  CreateWatcher();
  catch_up();
  rotate();                          // 3: watcher running again
  wait_sent(300);
  stop.store(true);
  load.join();
  // nginx (one worker) writes a request's line after answering it, in order: once the line of
  // a last marker request is on disk, so are all before it. With copytruncate, logrotate may
  // have lost lines written between its copy and its truncate: what counts is what is on disk.
  Client last;
  ASSERT_EQ(last.Send(Url("/index.html?marker=end")), 200);
  sent.fetch_add(1);
  ASSERT_TRUE(Eventually([&] {
    std::ifstream in(log);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return absl::StrContains(content, "marker=end");
  }));
  const int64_t on_disk = LinesOnDisk(log);
  if (!copytruncate) {
    EXPECT_EQ(on_disk, sent.load());
  }
  ASSERT_TRUE(ReadUntil(on_disk - read_before_restart));
  ASSERT_THAT(watcher_->RunOnce(true), IsOk());
  Spooled got;
  Drain(*spool_, &got);
  if (copytruncate) {
    // Lines logrotate lost between its copy and its truncate may still have been read before
    // the truncate: what was counted lies between what is on disk and what nginx wrote.
    EXPECT_GE(got.requests, on_disk);
    EXPECT_LE(got.requests, sent.load());
    EXPECT_EQ(read_before_restart + watcher_->counters().lines, got.requests);
    RecordProperty("lost_by_logrotate", static_cast<int>(sent.load() - on_disk));
  } else {
    EXPECT_EQ(read_before_restart + watcher_->counters().lines, on_disk);
    EXPECT_EQ(got.requests, on_disk);
  }
}

INSTANTIATE_TEST_SUITE_P(BothModes, LogRotationTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Copytruncate" : "RenameAndCreate";
                         });

}  // namespace
}  // namespace pantau::agent::logwatch
