#include "agent/config/agent_config.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The smallest config that loads: everything else takes its default.
constexpr char kMinimal[] = R"yaml(
agent_id: agent-1
collector:
  address: collector.example:7443
)yaml";

constexpr char kFull[] = R"yaml(
agent_id: pn-jakpus.agent_1
court_id: PN-JKT-PST
state_dir: /tmp/pantau-state
metrics_listen: 127.0.0.1:9100
log_level: debug
heartbeat_seconds: 30
max_body_bytes: 2048
collector:
  address: collector.example:7443
  ca_file: /etc/pantau/ca.pem
  insecure: false
  token_file: /etc/pantau/token
  push_timeout_seconds: 20
  backoff_initial_seconds: 0.25
  backoff_max_seconds: 120
spool:
  max_events: 5000
  batch_max_events: 250
sites:
  - id: www
    url: https://pn-jakartapusat.go.id/
    interval_seconds: 30
    jitter_seconds: 1.5
    timeout_seconds: 0.5
    expected_status: [200, 301]
  - id: sipp
    url: HTTP://sipp.example/
)yaml";

using ::pantau::testing::ScopedTempDir;

// A config with one site; `site_body` (already indented) starts on line 8.
std::string WithSite(const std::string& site_body) {
  return absl::StrCat(kMinimal, "sites:\n  - id: www\n    url: https://www.example/\n", site_body);
}

TEST(AgentConfig, ParsesEveryFieldOfAFullConfig) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(kFull, "agent.yaml"));
  EXPECT_EQ(c.agent_id, "pn-jakpus.agent_1");
  EXPECT_EQ(c.court_id, "PN-JKT-PST");
  EXPECT_EQ(c.state_dir, "/tmp/pantau-state");
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9100");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(30));
  EXPECT_EQ(c.max_body_bytes, 2048);

  EXPECT_EQ(c.collector.address, "collector.example:7443");
  EXPECT_EQ(c.collector.ca_file, "/etc/pantau/ca.pem");
  EXPECT_FALSE(c.collector.insecure);
  EXPECT_EQ(c.collector.token_file, "/etc/pantau/token");
  EXPECT_EQ(c.collector.push_timeout, absl::Seconds(20));
  EXPECT_EQ(c.collector.backoff_initial, absl::Milliseconds(250));
  EXPECT_EQ(c.collector.backoff_max, absl::Seconds(120));

  EXPECT_EQ(c.spool.max_events, 5000);
  EXPECT_EQ(c.spool.batch_max_events, 250);

  ASSERT_EQ(c.sites.size(), 2u);
  EXPECT_EQ(c.sites[0].id, "www");
  EXPECT_EQ(c.sites[0].url, "https://pn-jakartapusat.go.id/");
  EXPECT_EQ(c.sites[0].interval, absl::Seconds(30));
  EXPECT_EQ(c.sites[0].jitter, absl::Milliseconds(1500));
  EXPECT_EQ(c.sites[0].timeout, absl::Milliseconds(500));
  EXPECT_THAT(c.sites[0].expected_status, ElementsAre(200, 301));
  EXPECT_EQ(c.sites[1].id, "sipp");
  // The scheme is matched without regard to case.
  EXPECT_EQ(c.sites[1].url, "HTTP://sipp.example/");
}

TEST(AgentConfig, FillsDefaultsForOmittedFields) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(kMinimal, "agent.yaml"));
  EXPECT_EQ(c.agent_id, "agent-1");
  EXPECT_EQ(c.court_id, "");
  EXPECT_EQ(c.state_dir, "/var/lib/pantau-agent");
  EXPECT_EQ(c.metrics_listen, "");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(60));
  EXPECT_EQ(c.max_body_bytes, 5 << 20);
  EXPECT_EQ(c.collector.ca_file, "");
  EXPECT_FALSE(c.collector.insecure);
  EXPECT_EQ(c.collector.token_file, "");
  EXPECT_EQ(c.collector.push_timeout, absl::Seconds(15));
  EXPECT_EQ(c.collector.backoff_initial, absl::Milliseconds(500));
  EXPECT_EQ(c.collector.backoff_max, absl::Seconds(60));
  EXPECT_EQ(c.spool.max_events, 100000);
  EXPECT_EQ(c.spool.batch_max_events, 500);
  EXPECT_THAT(c.sites, IsEmpty());
}

TEST(AgentConfig, FillsSiteDefaultsForOmittedSiteFields) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(WithSite(""), "agent.yaml"));
  ASSERT_EQ(c.sites.size(), 1u);
  EXPECT_EQ(c.sites[0].interval, absl::Seconds(60));
  EXPECT_EQ(c.sites[0].jitter, absl::Seconds(2));
  EXPECT_EQ(c.sites[0].timeout, absl::Seconds(10));
  EXPECT_THAT(c.sites[0].expected_status, IsEmpty());
}

TEST(AgentConfig, ReadsInsecureTrue) {
  ASSERT_OK_AND_ASSIGN(
      AgentConfig c,
      ParseAgentConfig("agent_id: a\ncollector:\n  address: localhost:1\n  insecure: true\n",
                       "agent.yaml"));
  EXPECT_TRUE(c.collector.insecure);
}

TEST(AgentConfig, RejectsAMissingAgentIdNamingTheKey) {
  EXPECT_THAT(
      ParseAgentConfig("collector:\n  address: c:1\n", "agent.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("agent.yaml"), HasSubstr("agent_id"), HasSubstr("required"))));
}

TEST(AgentConfig, RejectsAnAgentIdWithForbiddenCharacters) {
  EXPECT_THAT(ParseAgentConfig("agent_id: agent one\ncollector:\n  address: c:1\n", "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent.yaml:1"), HasSubstr("agent_id"))));
}

TEST(AgentConfig, RejectsAnAgentIdLongerThan128Bytes) {
  const std::string yaml =
      absl::StrCat("agent_id: ", std::string(129, 'a'), "\ncollector:\n  address: c:1\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
  const std::string ok =
      absl::StrCat("agent_id: ", std::string(128, 'a'), "\ncollector:\n  address: c:1\n");
  EXPECT_THAT(ParseAgentConfig(ok, "agent.yaml"), IsOk());
}

TEST(AgentConfig, RejectsAMissingCollectorSection) {
  EXPECT_THAT(ParseAgentConfig("agent_id: a\n", "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("collector")));
}

TEST(AgentConfig, RejectsAMissingCollectorAddress) {
  EXPECT_THAT(ParseAgentConfig("agent_id: a\ncollector:\n  insecure: true\n", "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("collector.address"), HasSubstr("required"))));
}

TEST(AgentConfig, RejectsAUrlWithoutHttpOrHttpsScheme) {
  const std::string yaml =
      absl::StrCat(kMinimal, "sites:\n  - id: www\n    url: ftp://files.example/\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("sites[0].url"), HasSubstr("http://"))));
}

TEST(AgentConfig, RejectsAUrlLongerThan2048Bytes) {
  const std::string yaml = absl::StrCat(kMinimal, "sites:\n  - id: www\n    url: https://x/",
                                        std::string(2048, 'a'), "\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sites[0].url")));
}

TEST(AgentConfig, RejectsJitterLongerThanTheInterval) {
  EXPECT_THAT(
      ParseAgentConfig(WithSite("    interval_seconds: 5\n    jitter_seconds: 6\n"), "agent.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("sites[0].jitter_seconds"), HasSubstr("interval_seconds"))));
  // Equal is allowed.
  EXPECT_THAT(
      ParseAgentConfig(WithSite("    interval_seconds: 5\n    jitter_seconds: 5\n"), "agent.yaml"),
      IsOk());
}

TEST(AgentConfig, RejectsASiteIdUsedTwice) {
  const std::string yaml = absl::StrCat(kMinimal,
                                        "sites:\n"
                                        "  - id: www\n    url: https://a.example/\n"
                                        "  - id: www\n    url: https://b.example/\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("sites[1].id"), HasSubstr("'www'"), HasSubstr("twice"))));
}

TEST(AgentConfig, RejectsASiteWithoutId) {
  const std::string yaml = absl::StrCat(kMinimal, "sites:\n  - url: https://a.example/\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("sites[0].id"), HasSubstr("required"))));
}

TEST(AgentConfig, RejectsAMisspeltTopLevelKeyNamingIt) {
  const std::string yaml = absl::StrCat(kMinimal, "heartbeat_secs: 30\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent.yaml:5"), HasSubstr("heartbeat_secs"),
                             HasSubstr("unknown key"))));
}

TEST(AgentConfig, RejectsAMisspeltKeyInsideCollectorWithItsPath) {
  EXPECT_THAT(
      ParseAgentConfig("agent_id: a\ncollector:\n  address: c:1\n  ca_fiel: /x\n", "agent.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("agent.yaml:4"), HasSubstr("collector.ca_fiel"))));
}

TEST(AgentConfig, RejectsAMisspeltKeyInsideSpoolWithItsPath) {
  const std::string yaml = absl::StrCat(kMinimal, "spool:\n  max_event: 500\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("spool.max_event")));
}

TEST(AgentConfig, RejectsAMisspeltKeyInsideASiteWithItsPath) {
  EXPECT_THAT(ParseAgentConfig(WithSite("    intervall_seconds: 30\n"), "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent.yaml:8"), HasSubstr("sites[0].intervall_seconds"))));
}

TEST(AgentConfig, ReportsFileAndLineOfAYamlSyntaxError) {
  // Line 3 opens a flow sequence that is never closed.
  constexpr char kBroken[] = "agent_id: a\ncollector:\n  address: [c:1\n";
  EXPECT_THAT(ParseAgentConfig(kBroken, "/etc/pantau/agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("/etc/pantau/agent.yaml:")));
  // Bad indentation on line 4.
  constexpr char kBadIndent[] = "agent_id: a\ncollector:\n  address: c:1\n bad: x\n";
  EXPECT_THAT(ParseAgentConfig(kBadIndent, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent.yaml:4:")));
}

TEST(AgentConfig, RejectsATopLevelThatIsNotAMapping) {
  EXPECT_THAT(ParseAgentConfig("- a\n- b\n", "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent.yaml")));
}

TEST(AgentConfig, RejectsTextWhereSecondsAreExpected) {
  EXPECT_THAT(ParseAgentConfig(WithSite("    interval_seconds: abc\n"), "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent.yaml:8"), HasSubstr("sites[0].interval_seconds"),
                             HasSubstr("seconds"))));
}

TEST(AgentConfig, RejectsTextWhereAWholeNumberIsExpected) {
  const std::string yaml = absl::StrCat(kMinimal, "spool:\n  max_events: lots\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("spool.max_events"), HasSubstr("'lots'"))));
}

TEST(AgentConfig, RejectsAFractionWhereAWholeNumberIsExpected) {
  const std::string yaml = absl::StrCat(kMinimal, "max_body_bytes: 2048.5\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_body_bytes")));
}

TEST(AgentConfig, RejectsANonBooleanInsecure) {
  EXPECT_THAT(ParseAgentConfig("agent_id: a\ncollector:\n  address: c:1\n  insecure: maybe\n",
                               "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("collector.insecure"), HasSubstr("true or false"))));
}

TEST(AgentConfig, RejectsAListWhereAStringIsExpected) {
  EXPECT_THAT(ParseAgentConfig("agent_id: [a, b]\ncollector:\n  address: c:1\n", "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent_id"), HasSubstr("string"))));
}

TEST(AgentConfig, RejectsSitesThatAreNotAList) {
  const std::string yaml = absl::StrCat(kMinimal, "sites: www\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sites")));
}

TEST(AgentConfig, RejectsValuesOutsideTheirRangeNamingTheKey) {
  struct Case {
    std::string yaml;
    std::string key;
  };
  const Case cases[] = {
      {WithSite("    interval_seconds: 0\n"), "sites[0].interval_seconds"},
      {WithSite("    interval_seconds: 86401\n"), "sites[0].interval_seconds"},
      {WithSite("    timeout_seconds: 0.05\n"), "sites[0].timeout_seconds"},
      {WithSite("    timeout_seconds: 121\n"), "sites[0].timeout_seconds"},
      {WithSite("    jitter_seconds: -1\n"), "sites[0].jitter_seconds"},
      {WithSite("    expected_status: [200, 600]\n"), "sites[0].expected_status"},
      {absl::StrCat(kMinimal, "heartbeat_seconds: 4\n"), "heartbeat_seconds"},
      {absl::StrCat(kMinimal, "max_body_bytes: 1023\n"), "max_body_bytes"},
      {absl::StrCat(kMinimal, "spool:\n  max_events: 99\n"), "spool.max_events"},
      {absl::StrCat(kMinimal, "spool:\n  batch_max_events: 1001\n"), "spool.batch_max_events"},
      {absl::StrCat(kMinimal, "spool:\n  batch_max_events: 0\n"), "spool.batch_max_events"},
      {absl::StrReplaceAll(kMinimal, {{"  address", "  push_timeout_seconds: 301\n  address"}}),
       "collector.push_timeout_seconds"},
      {absl::StrReplaceAll(kMinimal, {{"  address", "  backoff_initial_seconds: 0.01\n  address"}}),
       "collector.backoff_initial_seconds"},
      {absl::StrReplaceAll(kMinimal, {{"  address", "  backoff_max_seconds: 0.5\n  address"}}),
       "collector.backoff_max_seconds"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(ParseAgentConfig(c.yaml, "agent.yaml"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(c.key), HasSubstr("between"))));
  }
}

TEST(AgentConfig, RejectsAnUnknownLogLevel) {
  const std::string yaml = absl::StrCat(kMinimal, "log_level: verbose\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_level")));
}

TEST(AgentConfig, RejectsACourtIdLongerThan64Bytes) {
  const std::string yaml = absl::StrCat(kMinimal, "court_id: ", std::string(65, 'C'), "\n");
  EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("court_id")));
}

TEST(AgentConfig, LoadsAFileAndNamesItInErrors) {
  ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string good = absl::StrCat(dir.path(), "/good.yaml");
  const std::string bad = absl::StrCat(dir.path(), "/bad.yaml");
  std::ofstream(good) << kMinimal;
  std::ofstream(bad) << kMinimal << "typo_key: 1\n";

  ASSERT_OK_AND_ASSIGN(AgentConfig c, LoadAgentConfig(good));
  EXPECT_EQ(c.agent_id, "agent-1");
  EXPECT_THAT(LoadAgentConfig(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                             AllOf(HasSubstr(bad), HasSubstr("typo_key"))));
}

TEST(AgentConfig, ReportsAMissingFileAsNotFound) {
  ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  EXPECT_THAT(LoadAgentConfig(absl::StrCat(dir.path(), "/no/such/agent.yaml")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("agent.yaml")));
}

}  // namespace
}  // namespace pantau::agent

namespace pantau::agent {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WithCheckedSite(const std::string& site_body) {
  return absl::StrCat(R"yaml(agent_id: a1
collector:
  address: localhost:7443
sites:
  - id: www
    url: https://www.pn-contoh.go.id/
)yaml",
                      site_body);
}

TEST(AgentConfigChecks, ParsesDnsTcpAndContentBlocks) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(WithCheckedSite(R"yaml(    court_type: pn
    max_redirects: 3
    tls_min_days: 21
    dns:
      resolvers: ["1.1.1.1", "127.0.0.1:5353", "[2001:db8::1]:53"]
      expected_addresses: [203.0.113.7]
      interval_seconds: 120
    tcp:
      ports: [22, 443]
      timeout_seconds: 2
    content:
      interval_seconds: 600
      must_contain: ["Pengadilan Negeri"]
      must_not_contain: ["slot gacor"]
      defacement_threshold: 0.4
      cloaking: false
      news_url: https://www.pn-contoh.go.id/berita
      max_content_age_days: 14
      own_hosts: [sipp.pn-contoh.go.id]
)yaml"),
                                                        "agent.yaml"));
  ASSERT_EQ(c.sites.size(), 1u);
  const SiteConfig& s = c.sites[0];
  EXPECT_EQ(s.court_type, "PN");
  EXPECT_EQ(s.max_redirects, 3);
  EXPECT_EQ(s.tls_min_days, 21);
  EXPECT_TRUE(s.dns.enabled);
  EXPECT_THAT(s.dns.resolvers, ElementsAre("1.1.1.1", "127.0.0.1:5353", "[2001:db8::1]:53"));
  EXPECT_THAT(s.dns.expected_addresses, ElementsAre("203.0.113.7"));
  EXPECT_EQ(s.dns.interval, absl::Seconds(120));
  EXPECT_THAT(s.tcp.ports, ElementsAre(22, 443));
  EXPECT_EQ(s.tcp.timeout, absl::Seconds(2));
  EXPECT_TRUE(s.content.enabled);
  EXPECT_EQ(s.content.interval, absl::Seconds(600));
  EXPECT_THAT(s.content.must_contain, ElementsAre("Pengadilan Negeri"));
  EXPECT_THAT(s.content.must_not_contain, ElementsAre("slot gacor"));
  EXPECT_DOUBLE_EQ(s.content.defacement_threshold, 0.4);
  EXPECT_FALSE(s.content.cloaking);
  EXPECT_TRUE(s.content.sitemaps);
  EXPECT_EQ(s.content.news_url, "https://www.pn-contoh.go.id/berita");
  EXPECT_EQ(s.content.max_content_age_days, 14);
  EXPECT_THAT(s.content.own_hosts, ElementsAre("sipp.pn-contoh.go.id"));
}

TEST(AgentConfigChecks, DefaultsToContentChecksOnAndNoDnsOrTcp) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(WithCheckedSite(""), "agent.yaml"));
  const SiteConfig& s = c.sites[0];
  EXPECT_FALSE(s.dns.enabled);
  EXPECT_TRUE(s.tcp.ports.empty());
  EXPECT_TRUE(s.content.enabled);
  EXPECT_EQ(s.content.interval, absl::Seconds(900));
  EXPECT_EQ(s.max_redirects, 5);
  EXPECT_EQ(c.max_concurrent_fetches, 32);
}

TEST(AgentConfigChecks, RejectsABadResolverNamingTheKeyAndLine) {
  EXPECT_THAT(ParseAgentConfig(WithCheckedSite("    dns:\n      resolvers: [dns.google]\n"),
                               "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent.yaml:8"), HasSubstr("sites[0].dns.resolvers"),
                             HasSubstr("dns.google"))));
}

TEST(AgentConfigChecks, RejectsAnUnknownCourtTypeAndMisspeltContentKeys) {
  EXPECT_THAT(ParseAgentConfig(WithCheckedSite("    court_type: XYZ\n"), "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sites[0].court_type")));
  EXPECT_THAT(ParseAgentConfig(WithCheckedSite("    content:\n      cloacking: true\n"),
                               "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("agent.yaml:8"), HasSubstr("sites[0].content.cloacking"))));
  EXPECT_THAT(ParseAgentConfig(WithCheckedSite("    tcp:\n      ports: [70000]\n"), "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sites[0].tcp.ports")));
  EXPECT_THAT(
      ParseAgentConfig(WithCheckedSite("    content:\n      defacement_threshold: 2\n"),
                       "agent.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("content.defacement_threshold")));
  EXPECT_THAT(ParseAgentConfig(WithCheckedSite("    content:\n      must_contain: [\"\"]\n"),
                               "agent.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("content.must_contain")));
}


constexpr char kWithLogs[] = R"yaml(
agent_id: agent-1
collector:
  address: collector.example:7443
logwatch:
  rules_files: [/etc/pantau/rules.d/local.yaml]
  poll_interval_seconds: 0.5
  checkpoint_seconds: 10
  aggregate_window_seconds: 600
  max_line_bytes: 8192
  start_at_end: false
  geoip_file: /usr/share/GeoIP/GeoIP.dat
  active_response:
    enabled: true
    nft_command: [ip, netns, exec, test, nft]
    ban_seconds: 600
    allow_list: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
    families: [brute_force]
sites:
  - id: demo
    url: http://127.0.0.1/
    logs:
      - path: /var/log/nginx/access.log
      - paths: [/var/log/nginx/other-*.log]
        log_format: '$remote_addr [$time_local] "$request" $status'
      - path: /var/log/nginx/error.log
        type: error
)yaml";

TEST(AgentConfig, ParsesLogsAndLogwatch) {
  absl::StatusOr<AgentConfig> config = ParseAgentConfig(kWithLogs, "agent.yaml");
  ASSERT_THAT(config.status(), IsOk());
  const LogwatchConfig& lw = config->logwatch;
  EXPECT_THAT(lw.rules_files, ElementsAre("/etc/pantau/rules.d/local.yaml"));
  EXPECT_EQ(lw.poll_interval, absl::Milliseconds(500));
  EXPECT_EQ(lw.checkpoint_interval, absl::Seconds(10));
  EXPECT_EQ(lw.aggregate_window, absl::Seconds(600));
  EXPECT_EQ(lw.max_line_bytes, 8192);
  EXPECT_FALSE(lw.start_at_end);
  EXPECT_EQ(lw.geoip_file, "/usr/share/GeoIP/GeoIP.dat");
  EXPECT_TRUE(lw.active_response.enabled);
  EXPECT_THAT(lw.active_response.nft_command, ElementsAre("ip", "netns", "exec", "test", "nft"));
  EXPECT_EQ(lw.active_response.ban_time, absl::Seconds(600));
  EXPECT_THAT(lw.active_response.allow_list,
              ElementsAre("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"));
  EXPECT_THAT(lw.active_response.families, ElementsAre("brute_force"));
  const std::vector<LogSourceConfig>& logs = config->sites[0].logs;
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_THAT(logs[0].paths, ElementsAre("/var/log/nginx/access.log"));
  EXPECT_EQ(logs[0].type, "access");
  EXPECT_EQ(logs[0].format, "combined");
  EXPECT_EQ(logs[1].format, "nginx");
  EXPECT_EQ(logs[1].log_format, "$remote_addr [$time_local] \"$request\" $status");
  EXPECT_EQ(logs[2].type, "error");
}

TEST(AgentConfig, LogwatchIsOffAndActiveResponseDisabledByDefault) {
  absl::StatusOr<AgentConfig> config = ParseAgentConfig(kMinimal, "agent.yaml");
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_FALSE(config->logwatch.active_response.enabled);
  EXPECT_TRUE(config->logwatch.start_at_end);
  EXPECT_EQ(config->logwatch.checkpoint_interval, absl::Seconds(5));
}

TEST(AgentConfig, RejectsBadLogEntriesNamingTheKey) {
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"      - path: /var/log/nginx/access.log\n", "      - path: access.log\n",
       "sites[0].logs[0].path: 'access.log' is not an absolute path"},
      {"        type: error", "        type: debug", "sites[0].logs[2].type: must be access or error"},
      {"      - path: /var/log/nginx/access.log\n",
       "      - path: /var/log/nginx/access.log\n        format: apache\n",
       "sites[0].logs[0].format: must be combined"},
      {"      - path: /var/log/nginx/access.log\n",
       "      - path: /var/log/nginx/access.log\n        format: nginx\n",
       "sites[0].logs[0].log_format: is required with format nginx"},
      {"      - path: /var/log/nginx/error.log", "      - path: /var/log/nginx/access.log",
       "'/var/log/nginx/access.log' is already followed"},
      {"192.0.2.7", "192.0.2.300", "logwatch.active_response.allow_list: '192.0.2.300' is not"},
      {"10.0.0.0/8", "10.0.0.0/33", "'10.0.0.0/33' is not an IP address or CIDR range"},
      {"checkpoint_seconds: 10", "checkpoint_seconds: 0", "logwatch.checkpoint_seconds"},
      {"  start_at_end: false", "  start_at_end: false\n  colour: red", "colour"},
  };
  for (const Case& c : cases) {
    const std::string yaml = absl::StrReplaceAll(kWithLogs, {{c.from, c.to}});
    ASSERT_NE(yaml, kWithLogs) << c.from;
    EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.to;
  }
}

// Backups and integrity monitoring of a site served from this host.
constexpr char kWithBackup[] = R"yaml(
agent_id: agent-1
collector:
  address: collector.example:7443
sites:
  - id: www
    url: https://www.example/
    web_root: /var/www/html/
    integrity:
      upload_dirs: [wp-content/uploads]
      exclude: ["cache/*"]
      rescan_interval_seconds: 600
      max_read_bytes: 65536
      settle_ms: 100
    backup:
      exclude: ["*.log", "cache"]
      databases:
        - name: joomla
          command: [mysqldump, --single-transaction, joomla]
          timeout_seconds: 600
      interval_seconds: 3600
      full_interval_hours: 48
      media: [/mnt/backup, /media/usb]
      compression_level: 6
      keep_last: 4
      keep_daily: 3
      keep_weekly: 2
      verify: false
      min_free_mb: 100
)yaml";

TEST(AgentConfig, ParsesBackupAndIntegrity) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c, ParseAgentConfig(kWithBackup, "agent.yaml"));
  const SiteConfig& s = c.sites.at(0);
  EXPECT_EQ(s.web_root, "/var/www/html");
  EXPECT_TRUE(s.integrity.enabled);
  EXPECT_THAT(s.integrity.upload_dirs, ElementsAre("wp-content/uploads"));
  EXPECT_THAT(s.integrity.exclude, ElementsAre("cache/*"));
  EXPECT_EQ(s.integrity.rescan_interval, absl::Seconds(600));
  EXPECT_EQ(s.integrity.max_read_bytes, 65536);
  EXPECT_EQ(s.integrity.settle, absl::Milliseconds(100));
  const BackupJobConfig& b = s.backup;
  EXPECT_TRUE(b.enabled);
  EXPECT_THAT(b.paths, ElementsAre("/var/www/html"));  // the web root by default
  EXPECT_THAT(b.exclude, ElementsAre("*.log", "cache"));
  ASSERT_EQ(b.databases.size(), 1u);
  EXPECT_EQ(b.databases[0].name, "joomla");
  EXPECT_THAT(b.databases[0].command, ElementsAre("mysqldump", "--single-transaction", "joomla"));
  EXPECT_EQ(b.databases[0].timeout, absl::Seconds(600));
  EXPECT_EQ(b.interval, absl::Hours(1));
  EXPECT_EQ(b.full_interval, absl::Hours(48));
  EXPECT_THAT(b.media, ElementsAre("/mnt/backup", "/media/usb"));
  EXPECT_EQ(b.compression_level, 6);
  EXPECT_EQ(b.keep_last, 4);
  EXPECT_EQ(b.keep_daily, 3);
  EXPECT_EQ(b.keep_weekly, 2);
  EXPECT_FALSE(b.verify);
  EXPECT_EQ(b.min_free_bytes, int64_t{100} << 20);
}

TEST(AgentConfig, BackupAndIntegrityDefaults) {
  ASSERT_OK_AND_ASSIGN(AgentConfig c,
                       ParseAgentConfig(WithSite("    web_root: /srv/www\n    backup:\n"
                                                 "      media: [/mnt/backup]\n"),
                                        "agent.yaml"));
  const SiteConfig& s = c.sites.at(0);
  EXPECT_TRUE(s.integrity.enabled);  // on with a web root
  EXPECT_EQ(s.integrity.rescan_interval, absl::Hours(1));
  EXPECT_EQ(s.backup.interval, absl::Hours(6));  // the SOP's
  EXPECT_EQ(s.backup.full_interval, absl::Hours(24));
  EXPECT_EQ(s.backup.compression_level, 3);
  EXPECT_TRUE(s.backup.verify);
  EXPECT_EQ(s.backup.keep_last, 8);
  ASSERT_OK_AND_ASSIGN(AgentConfig none, ParseAgentConfig(WithSite(""), "agent.yaml"));
  EXPECT_FALSE(none.sites.at(0).integrity.enabled);  // no web root, nothing to watch
  EXPECT_FALSE(none.sites.at(0).backup.enabled);
}

TEST(AgentConfig, RejectsBadBackupAndIntegrityNamingTheKey) {
  struct Case {
    const char* from;
    const char* to;
    const char* message;
  };
  const Case cases[] = {
      {"web_root: /var/www/html/", "web_root: var/www", "sites[0].web_root: must be an absolute path"},
      {"media: [/mnt/backup, /media/usb]", "media: []", "sites[0].backup.media: is required"},
      {"media: [/mnt/backup, /media/usb]", "media: [backup]", "'backup' must be an absolute path"},
      {"media: [/mnt/backup, /media/usb]", "media: [/var/www/html/backups]",
       "lies inside the backed-up path"},
      {"compression_level: 6", "compression_level: 25", "sites[0].backup.compression_level"},
      {"interval_seconds: 3600", "interval_seconds: 5", "sites[0].backup.interval_seconds"},
      {"          command: [mysqldump, --single-transaction, joomla]\n", "",
       "sites[0].backup.databases[0].command: is required"},
      {"name: joomla", "name: \"jo omla\"", "sites[0].backup.databases[0].name"},
      {"upload_dirs: [wp-content/uploads]", "upload_dirs: [/tmp]", "must be relative to web_root"},
      {"upload_dirs: [wp-content/uploads]", "upload_dirs: [../up]", "must be relative to web_root"},
      {"settle_ms: 100", "settle_ms: 100\n      colour: red", "colour"},
      {"verify: false", "verify: maybe", "sites[0].backup.verify"},
      {"    web_root: /var/www/html/\n", "", "integrity monitoring needs the site's web_root"},
  };
  for (const Case& c : cases) {
    const std::string yaml = absl::StrReplaceAll(kWithBackup, {{c.from, c.to}});
    ASSERT_NE(yaml, kWithBackup) << c.from;
    EXPECT_THAT(ParseAgentConfig(yaml, "agent.yaml").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.to;
  }
}

}  // namespace
}  // namespace pantau::agent
