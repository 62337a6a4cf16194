#include "agent/logwatch/active_response.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// Lines in `path` (0 when it does not exist): how many times a wrapper command ran.
int CountLines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

// Real nftables in a private network namespace, so the host's firewall is never touched.
class ActiveResponseNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "active response tests need root (network namespaces and nftables); "
                      "CI runs them as root";
    }
    static std::atomic<int> counter{0};
    ns_ = absl::StrCat("pantau-test-", ::getpid(), "-", counter++);
    auto added = RunCommand({"ip", "netns", "add", ns_}, {}, absl::Seconds(30));
    if (!added.ok() || added->exit_code != 0) {
      const std::string why = added.ok() ? added->output : added.status().ToString();
      ns_.clear();
      GTEST_SKIP() << "cannot create a network namespace (`ip netns add`): " << why;
    }
    auto nft =
        RunCommand({"ip", "netns", "exec", ns_, "nft", "list", "tables"}, {}, absl::Seconds(30));
    if (!nft.ok() || nft->exit_code != 0) {
      GTEST_SKIP() << "nft does not work in a network namespace: "
                   << (nft.ok() ? nft->output : nft.status().ToString());
    }
    marker_ = dir_.path() + "/nft-invocations";
  }

  void TearDown() override {
    if (!ns_.empty()) {
      auto deleted = RunCommand({"ip", "netns", "del", ns_}, {}, absl::Seconds(30));
      EXPECT_TRUE(deleted.ok() && deleted->exit_code == 0) << "cannot delete netns " << ns_;
    }
  }

  // nft inside the namespace, through a wrapper that appends a line to marker_ on each run.
  ActiveResponseConfig Config() const {
    ActiveResponseConfig config;
    config.enabled = true;
    config.nft_command = {
        "sh", "-c",
        absl::StrCat("echo ran >> '", marker_, "'; exec ip netns exec ", ns_, " nft \"$@\""),
        "nft"};
    config.allow_list = {"198.51.100.0/24", "2001:db8:1::/48"};
    return config;
  }

  // Runs nft in the namespace directly and returns its output (fails the test otherwise).
  std::string Nft(const std::vector<std::string>& args, int want_exit = 0) {
    std::vector<std::string> argv = {"ip", "netns", "exec", ns_, "nft"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = RunCommand(argv, {}, absl::Seconds(30));
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    EXPECT_EQ(result->exit_code, want_exit) << result->output;
    return result->output;
  }

  pantau::testing::ScopedTempDir dir_;
  std::string ns_;
  std::string marker_;
};

TEST_F(ActiveResponseNetnsTest, CreateMakesTableSetsAndDropRulesIdempotently) {
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(Config()));
  EXPECT_TRUE(responder->enabled());
  const std::string table = Nft({"list", "table", "inet", "pantau"});
  EXPECT_THAT(table, HasSubstr("set banned_v4"));
  EXPECT_THAT(table, HasSubstr("set banned_v6"));
  EXPECT_THAT(table, HasSubstr("ip saddr @banned_v4 drop"));
  EXPECT_THAT(table, HasSubstr("ip6 saddr @banned_v6 drop"));

  // A ban survives a second Create (an agent restart), and the rules are not duplicated.
  ASSERT_TRUE(responder->Ban("pn-test", "203.0.113.7", "r", "a", kNow).has_value());
  ASSERT_OK_AND_ASSIGN(auto again, ActiveResponder::Create(Config()));
  const std::string chain = Nft({"list", "chain", "inet", "pantau", "input"});
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(chain, "drop")).size() - 1, 2u) << chain;
  EXPECT_THAT(Nft({"list", "set", "inet", "pantau", "banned_v4"}), HasSubstr("203.0.113.7"));
}

TEST_F(ActiveResponseNetnsTest, BansIPv4ClientWithTimeoutOnce) {
  ActiveResponseConfig config = Config();
  config.ban_time = absl::Minutes(30);
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(config));
  auto event = responder->Ban("pn-test", "203.0.113.7", "wp-login-brute-force", "alert-1", kNow);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->outcome(), v1::BanEvent::BANNED) << event->error();
  EXPECT_EQ(event->site(), "pn-test");
  EXPECT_EQ(event->client(), "203.0.113.7");
  EXPECT_EQ(event->rule(), "wp-login-brute-force");
  EXPECT_EQ(event->alert_id(), "alert-1");
  EXPECT_EQ(event->until_unix_ms(), absl::ToUnixMillis(kNow + absl::Minutes(30)));

  const std::string set = Nft({"list", "set", "inet", "pantau", "banned_v4"});
  EXPECT_THAT(set, HasSubstr("203.0.113.7"));
  EXPECT_THAT(set, HasSubstr("expires"));
  EXPECT_THAT(Nft({"list", "set", "inet", "pantau", "banned_v6"}), Not(HasSubstr("203.0.113.7")));

  // Already banned and not expired: nothing to do, nft not run.
  const int runs = CountLines(marker_);
  EXPECT_FALSE(responder->Ban("pn-test", "203.0.113.7", "r", "alert-2", kNow + absl::Minutes(29))
                   .has_value());
  EXPECT_EQ(CountLines(marker_), runs);

  // Once the ban has expired, a new alert bans again.
  auto renewed = responder->Ban("pn-test", "203.0.113.7", "r", "alert-3", kNow + absl::Hours(1));
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->outcome(), v1::BanEvent::BANNED) << renewed->error();
}

TEST_F(ActiveResponseNetnsTest, IPv6ClientGoesToTheIPv6Set) {
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(Config()));
  auto event = responder->Ban("pn-test", "2001:DB8:0:0::7", "r", "a", kNow);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->outcome(), v1::BanEvent::BANNED) << event->error();
  EXPECT_EQ(event->client(), "2001:db8::7");  // canonical form
  EXPECT_THAT(Nft({"list", "set", "inet", "pantau", "banned_v6"}), HasSubstr("2001:db8::7"));

  // An IPv4-mapped address is an IPv4 client.
  auto mapped = responder->Ban("pn-test", "::ffff:203.0.113.9", "r", "a", kNow);
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->outcome(), v1::BanEvent::BANNED) << mapped->error();
  EXPECT_THAT(Nft({"list", "set", "inet", "pantau", "banned_v4"}), HasSubstr("203.0.113.9"));
}

TEST_F(ActiveResponseNetnsTest, AllowListedAndLoopbackClientsAreNeverBanned) {
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(Config()));
  const int runs = CountLines(marker_);
  for (const char* client : {"198.51.100.20", "2001:db8:1:ffff::1", "127.0.0.1", "127.8.9.10",
                             "::1", "::ffff:198.51.100.1"}) {
    EXPECT_TRUE(responder->Allowed(client)) << client;
    auto event = responder->Ban("pn-test", client, "r", "a", kNow);
    ASSERT_TRUE(event.has_value()) << client;
    EXPECT_EQ(event->outcome(), v1::BanEvent::ALLOWLISTED) << client;
  }
  EXPECT_EQ(CountLines(marker_), runs);  // nft never ran
  EXPECT_FALSE(responder->Allowed("198.51.101.20"));
  EXPECT_FALSE(responder->Allowed("2001:db8:2::1"));
  EXPECT_THAT(Nft({"list", "set", "inet", "pantau", "banned_v4"}), Not(HasSubstr("198.51.100.20")));
}

TEST_F(ActiveResponseNetnsTest, GarbageClientFailsWithoutRunningNft) {
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(Config()));
  const int runs = CountLines(marker_);
  ASSERT_GE(runs, 1);
  for (const std::string& client :
       {std::string("1.2.3.4; rm -rf /"), std::string("1.2.3.4 } ; flush ruleset ; {"),
        std::string(""), std::string("example.com"), std::string("1.2.3.4:80"),
        std::string("[::1]"), std::string("10.0.0.0/8"), std::string(5000, '9')}) {
    auto event = responder->Ban("pn-test", client, "r", "a", kNow);
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->outcome(), v1::BanEvent::FAILED) << client;
    EXPECT_THAT(event->error(), HasSubstr("not an IP address"));
    EXPECT_LE(event->client().size(), 128u);
  }
  EXPECT_EQ(CountLines(marker_), runs);
  // The ruleset is intact.
  EXPECT_THAT(Nft({"list", "table", "inet", "pantau"}), HasSubstr("banned_v4"));
}

TEST_F(ActiveResponseNetnsTest, NftFailureDuringBanIsReportedWithItsMessage) {
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(Config()));
  Nft({"delete", "table", "inet", "pantau"});
  auto event = responder->Ban("pn-test", "203.0.113.50", "r", "a", kNow);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->outcome(), v1::BanEvent::FAILED);
  EXPECT_THAT(event->error(), HasSubstr("No such file or directory"));
  // Not recorded as banned: once the table is back, the next alert bans.
  ASSERT_OK_AND_ASSIGN(auto again, ActiveResponder::Create(Config()));
  auto retry = responder->Ban("pn-test", "203.0.113.50", "r", "a", kNow);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->outcome(), v1::BanEvent::BANNED) << retry->error();
}

TEST_F(ActiveResponseNetnsTest, ConcurrentAlertsForOneClientBanItOnce) {
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(Config()));
  std::atomic<int> banned{0}, skipped{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto event = responder->Ban("pn-test", "203.0.113.77", "r", "a", kNow);
      if (!event.has_value()) {
        ++skipped;
      } else if (event->outcome() == v1::BanEvent::BANNED) {
        ++banned;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(banned.load(), 1);
  EXPECT_EQ(skipped.load(), 3);
}

TEST(ActiveResponse, DisabledResponderRunsNothing) {
  pantau::testing::ScopedTempDir dir;
  const std::string marker = dir.path() + "/ran";
  ActiveResponseConfig config;  // enabled = false by default
  config.nft_command = {"sh", "-c", absl::StrCat("echo ran >> '", marker, "'")};
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(config));
  EXPECT_FALSE(responder->enabled());
  EXPECT_FALSE(responder->Ban("pn-test", "203.0.113.7", "r", "a", kNow).has_value());
  EXPECT_EQ(CountLines(marker), 0);
}

TEST(ActiveResponse, BadConfigIsInvalidArgument) {
  auto bad = [](auto mutate) {
    ActiveResponseConfig config;
    config.nft_command = {"false"};  // never reached: validation comes first
    config.enabled = true;
    mutate(config);
    return ActiveResponder::Create(config).status();
  };
  using C = ActiveResponseConfig;
  EXPECT_THAT(bad([](C& c) { c.table = "pantau; flush ruleset"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("table")));
  EXPECT_THAT(bad([](C& c) { c.table = ""; }), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](C& c) { c.set_v4 = std::string(65, 'a'); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("set_v4")));
  EXPECT_THAT(bad([](C& c) { c.set_v6 = "banned-v6"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("set_v6")));
  EXPECT_THAT(bad([](C& c) { c.set_v6 = c.set_v4; }), StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* entry : {"300.1.1.1", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
                            "host.example", "", "10.0.0.0/8/8", "::ffff:10.0.0.0/104"}) {
    EXPECT_THAT(bad([&](C& c) { c.allow_list = {entry}; }),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("allow_list")))
        << entry;
  }
  EXPECT_THAT(bad([](C& c) { c.ban_time = absl::ZeroDuration(); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ban_time")));
  EXPECT_THAT(bad([](C& c) { c.nft_command.clear(); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nft_command")));
}

TEST(ActiveResponse, AllowListAcceptsAddressesAndRanges) {
  ActiveResponseConfig config;
  config.allow_list = {"192.0.2.10", "10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"};
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(config));
  EXPECT_TRUE(responder->Allowed("8.8.8.8"));  // 0.0.0.0/0 covers every IPv4 address
  EXPECT_TRUE(responder->Allowed("2001:db8:ffff::1"));
  EXPECT_FALSE(responder->Allowed("2001:db9::1"));
  EXPECT_FALSE(responder->Allowed("not-an-ip"));
}

TEST(ActiveResponse, FailingNftIsACreateErrorWithItsOutput) {
  ActiveResponseConfig config;
  config.enabled = true;
  config.nft_command = {"false"};
  EXPECT_THAT(ActiveResponder::Create(config),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("exited with 1")));
  config.nft_command = {"sh", "-c", "echo 'Error: Operation not permitted' >&2; exit 1", "nft"};
  EXPECT_THAT(ActiveResponder::Create(config),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Operation not permitted")));
  config.nft_command = {"/nonexistent/nft"};
  EXPECT_FALSE(ActiveResponder::Create(config).ok());
}

TEST(ActiveResponse, AppliesToConfiguredFamilies) {
  ActiveResponseConfig config;
  ASSERT_OK_AND_ASSIGN(auto responder, ActiveResponder::Create(config));
  EXPECT_TRUE(responder->Applies("brute_force"));
  EXPECT_TRUE(responder->Applies("scanner"));
  EXPECT_FALSE(responder->Applies("sql_injection"));
}

}  // namespace
}  // namespace pantau::agent::logwatch
