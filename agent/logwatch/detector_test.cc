#include "agent/logwatch/detector.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent::logwatch {
namespace {

constexpr char kRules[] = R"(rules:
  - id: sqli-union
    family: sql_injection
    severity: critical
    description: Injeksi SQL UNION SELECT.
    action: Blokir alamat ini.
    match: {uri: 'union\s+select'}
    examples: {match: ["/x?id=1+union+select+1"], no_match: ["/cari?q=union"]}
  - id: sqlmap
    family: scanner
    severity: warning
    description: Alat sqlmap.
    action: Blokir alamat ini.
    match: {user_agent: '\bsqlmap\b'}
    examples: {match: [{user_agent: "sqlmap/1.7"}], no_match: [{user_agent: "Mozilla/5.0"}]}
  - id: wp-brute
    family: brute_force
    severity: critical
    description: Tebak kata sandi WordPress.
    action: Blokir alamat ini.
    match: {method: '^POST$', path: '^/wp-login\.php$'}
    scope: client
    threshold: 5
    window_seconds: 60
    examples: {match: [{method: POST, target: "/wp-login.php"}], no_match: ["/wp-login.php"]}
  - id: any-request
    family: rate_spike
    severity: info
    description: Banyak permintaan.
    action: Periksa alamat ini.
    match: {path: '^/page/'}
    scope: client
    threshold: 1000000
    window_seconds: 10
    examples: {match: ["/page/1"], no_match: ["/other"]}
  - id: errors
    family: server_errors
    severity: critical
    description: Lonjakan 5xx.
    action: Periksa log error.
    status_class: [5]
    scope: site
    threshold: 5
    window_seconds: 60
    examples: {match: [{status: 503}], no_match: [{status: 200}]}
  - id: modsec
    family: waf_block
    severity: warning
    error_log: true
    description: ModSecurity menolak permintaan.
    action: Periksa aturan yang terpicu.
    match: {message: 'ModSecurity: Access denied'}
    examples: {match: ["ModSecurity: Access denied with code 403"], no_match: ["File does not exist"]}
)";

std::shared_ptr<const RuleSet> Rules() {
  auto rules = RuleSet::Parse({{"detector_test.yaml", kRules}});
  EXPECT_OK(rules);
  return *rules;
}

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

AccessRecord Rec(absl::string_view client, absl::string_view target,
                 absl::string_view method = "GET", int status = 200,
                 absl::string_view ua = "Mozilla/5.0") {
  AccessRecord r;
  r.client = client;
  r.method = method;
  r.target = target;
  r.status = status;
  r.user_agent = ua;
  return r;
}

std::vector<AlertUpdate> ForRule(const std::vector<AlertUpdate>& in, absl::string_view id) {
  std::vector<AlertUpdate> out;
  for (const AlertUpdate& u : in) {
    if (u.rule->id == id) out.push_back(u);
  }
  return out;
}

TEST(Detector, AggregatesTenThousandAttacksIntoOneAlertWithFewUpdates) {
  Detector d(Rules(), "pn-jakpus", {});
  std::vector<AlertUpdate> updates;
  for (int i = 0; i < 10000; ++i) {
    const absl::Time t = kT0 + absl::Milliseconds(100) * i;  // 1000 s in all
    EXPECT_TRUE(d.ProcessAccess(Rec("203.0.113.9", "/x?id=1+union+select+1"), "line", i + 1, t));
    if (i % 100 == 99) d.Collect(t, &updates);  // every 10 s of log time
  }
  EXPECT_EQ(d.open_alerts(), 1u);
  d.Collect(kT0 + absl::Seconds(1000) + absl::Minutes(5), &updates);
  EXPECT_EQ(d.open_alerts(), 0u);
  std::set<std::string> ids;
  for (const AlertUpdate& u : updates) ids.insert(u.alert_id);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_THAT(*ids.begin(), ::testing::MatchesRegex("[A-Za-z0-9._:-]{1,128}"));
  ASSERT_GE(updates.size(), 3u);
  EXPECT_LE(updates.size(), 20u);  // one per minute of log time at most, plus new and closed
  EXPECT_TRUE(updates.front().is_new);
  for (size_t i = 1; i < updates.size(); ++i) EXPECT_FALSE(updates[i].is_new);
  const AlertUpdate& last = updates.back();
  EXPECT_TRUE(last.closed);
  EXPECT_EQ(last.count, 10000);
  EXPECT_EQ(last.client, "203.0.113.9");
  EXPECT_EQ(last.site, "pn-jakpus");
  EXPECT_EQ(last.first_seen, kT0);
  EXPECT_EQ(last.last_seen, kT0 + absl::Milliseconds(100) * 9999);
  EXPECT_EQ(last.samples.size(), 5u);
  EXPECT_TRUE(last.line_numbers.empty());  // not asked for
}

TEST(Detector, WindowRuleFiresExactlyAtThreshold) {
  DetectorOptions options;
  options.record_line_numbers = true;
  Detector d(Rules(), "s", options);
  std::vector<AlertUpdate> updates;
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(d.ProcessAccess(Rec("198.51.100.7", "/wp-login.php", "POST"), "l", 10 + i,
                                 kT0 + absl::Seconds(i)));
  }
  d.Collect(kT0 + absl::Seconds(4), &updates);
  EXPECT_TRUE(ForRule(updates, "wp-brute").empty()) << "threshold - 1 must not fire";
  d.ProcessAccess(Rec("198.51.100.7", "/wp-login.php", "POST"), "fifth", 20,
                  kT0 + absl::Seconds(5));
  d.Collect(kT0 + absl::Seconds(5), &updates);
  std::vector<AlertUpdate> fired = ForRule(updates, "wp-brute");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(fired[0].is_new);
  EXPECT_EQ(fired[0].count, 5);
  EXPECT_EQ(fired[0].first_seen, kT0);
  EXPECT_THAT(fired[0].line_numbers, ::testing::ElementsAre(10, 11, 12, 13, 20));
  EXPECT_THAT(fired[0].samples, ::testing::ElementsAre("fifth"));

  // Once firing, every further request counts directly.
  for (int i = 0; i < 3; ++i) {
    d.ProcessAccess(Rec("198.51.100.7", "/wp-login.php", "POST"), "more", 30 + i,
                    kT0 + absl::Seconds(6 + i));
  }
  std::vector<AlertUpdate> closed;
  d.CloseAll(&closed);
  fired = ForRule(closed, "wp-brute");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].count, 8);
  EXPECT_THAT(fired[0].line_numbers, ::testing::ElementsAre(10, 11, 12, 13, 20, 30, 31, 32));
}

TEST(Detector, WindowSlidesAndOldRequestsExpire) {
  Detector d(Rules(), "s", {});
  std::vector<AlertUpdate> updates;
  // Four requests, then one more 61 s after the first: only the last four are in the window.
  for (int i = 0; i < 4; ++i) {
    d.ProcessAccess(Rec("c", "/wp-login.php", "POST"), "l", i + 1, kT0 + absl::Seconds(i));
  }
  d.ProcessAccess(Rec("c", "/wp-login.php", "POST"), "l", 5, kT0 + absl::Seconds(61));
  d.CloseAll(&updates);
  EXPECT_TRUE(ForRule(updates, "wp-brute").empty());
  // Exactly at the window edge the oldest has expired too (window is (t-60 s, t]).
  Detector e(Rules(), "s", {});
  for (int i = 0; i < 4; ++i) {
    e.ProcessAccess(Rec("c", "/wp-login.php", "POST"), "l", i + 1, kT0 + absl::Seconds(i));
  }
  e.ProcessAccess(Rec("c", "/wp-login.php", "POST"), "l", 5, kT0 + absl::Seconds(59));
  e.CloseAll(&updates);
  EXPECT_EQ(ForRule(updates, "wp-brute").size(), 1u);
  // Other clients do not add up.
  Detector f(Rules(), "s", {});
  for (int i = 0; i < 20; ++i) {
    f.ProcessAccess(Rec(absl::StrCat("10.0.0.", i), "/wp-login.php", "POST"), "l", i + 1,
                    kT0 + absl::Seconds(i));
  }
  std::vector<AlertUpdate> none;
  f.CloseAll(&none);
  EXPECT_TRUE(ForRule(none, "wp-brute").empty());
}

TEST(Detector, SiteScopeCountsServerErrorsFromAllClients) {
  Detector d(Rules(), "s", {});
  std::vector<AlertUpdate> updates;
  for (int i = 0; i < 5; ++i) {
    d.ProcessAccess(Rec(absl::StrCat("192.0.2.", i), "/berita", "GET", 502), "err", i + 1,
                    kT0 + absl::Seconds(i));
  }
  d.ProcessAccess(Rec("192.0.2.99", "/berita", "GET", 200), "ok", 6, kT0 + absl::Seconds(6));
  d.Collect(kT0 + absl::Seconds(6), &updates);
  std::vector<AlertUpdate> fired = ForRule(updates, "errors");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].client, "*");
  EXPECT_EQ(fired[0].count, 5);
  EXPECT_THAT(fired[0].alert_id, ::testing::HasSubstr("site"));
  EXPECT_THAT(fired[0].alert_id, ::testing::MatchesRegex("[A-Za-z0-9._:-]+"));
}

TEST(Detector, AlertsCloseAfterQuietWindowAndWindowStateIsForgotten) {
  DetectorOptions options;
  options.aggregate_window = absl::Minutes(5);
  Detector d(Rules(), "s", options);
  std::vector<AlertUpdate> updates;
  for (int i = 0; i < 5; ++i) {
    d.ProcessAccess(Rec("c", "/wp-login.php", "POST"), "l", i + 1, kT0 + absl::Seconds(i));
  }
  d.Collect(kT0 + absl::Seconds(10), &updates);
  ASSERT_EQ(ForRule(updates, "wp-brute").size(), 1u);
  EXPECT_EQ(d.tracked_clients(), 1u);
  updates.clear();
  d.Collect(kT0 + absl::Seconds(4) + absl::Minutes(5) - absl::Seconds(1), &updates);
  EXPECT_TRUE(updates.empty());  // nothing grew, not yet quiet for long enough
  d.Collect(kT0 + absl::Seconds(4) + absl::Minutes(5), &updates);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_TRUE(updates[0].closed);
  EXPECT_FALSE(updates[0].is_new);
  EXPECT_EQ(d.open_alerts(), 0u);
  EXPECT_EQ(d.tracked_clients(), 0u);
  // After closing, the window starts afresh: one more request does not fire.
  updates.clear();
  d.ProcessAccess(Rec("c", "/wp-login.php", "POST"), "l", 9, kT0 + absl::Minutes(6));
  d.CloseAll(&updates);
  EXPECT_TRUE(updates.empty());
}

TEST(Detector, SamplesAreBoundedAndTruncated) {
  DetectorOptions options;
  options.max_samples = 3;
  options.max_sample_bytes = 16;
  Detector d(Rules(), "s", options);
  const std::string long_line(5000, 'x');
  for (int i = 0; i < 100; ++i) {
    d.ProcessAccess(Rec("c", "/x?union select 1"), long_line, i + 1, kT0 + absl::Seconds(i));
  }
  std::vector<AlertUpdate> updates;
  d.CloseAll(&updates);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].count, 100);
  ASSERT_EQ(updates[0].samples.size(), 3u);
  for (const std::string& s : updates[0].samples) EXPECT_EQ(s.size(), 16u);
}

TEST(Detector, UpdatesAreRateLimitedAndOnlySentWhenGrown) {
  DetectorOptions options;
  options.update_interval = absl::Minutes(1);
  Detector d(Rules(), "s", options);
  std::vector<AlertUpdate> updates;
  d.ProcessAccess(Rec("c", "/x?union select 1"), "l", 1, kT0);
  d.Collect(kT0, &updates);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_TRUE(updates[0].is_new);
  d.ProcessAccess(Rec("c", "/x?union select 1"), "l", 2, kT0 + absl::Seconds(10));
  d.Collect(kT0 + absl::Seconds(30), &updates);
  EXPECT_EQ(updates.size(), 1u);  // grew, but sent less than a minute ago
  d.Collect(kT0 + absl::Seconds(60), &updates);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].count, 2);
  EXPECT_FALSE(updates[1].is_new);
  EXPECT_EQ(updates[1].alert_id, updates[0].alert_id);
  d.Collect(kT0 + absl::Seconds(200), &updates);
  EXPECT_EQ(updates.size(), 2u);  // did not grow
}

TEST(Detector, TrackedClientsStayBelowTheCapWithAMillionClients) {
  DetectorOptions options;
  options.max_tracked_clients = 1000;
  options.max_open_alerts = 100;
  Detector d(Rules(), "s", options);
  std::string client;
  for (int i = 0; i < 1000000; ++i) {
    client = absl::StrCat("10.", (i >> 16) & 255, ".", (i >> 8) & 255, ".", i & 255);
    // Counts toward a window rule (client state) and, every 10th, hits a signature rule.
    d.ProcessAccess(Rec(client, i % 10 == 0 ? "/page/x?union select 1" : "/page/1"), "l", i + 1,
                    kT0 + absl::Milliseconds(i));
    if (i % 100000 == 0) {
      EXPECT_LE(d.tracked_clients(), 1000u);
      EXPECT_LE(d.open_alerts(), 101u);
    }
  }
  EXPECT_LE(d.tracked_clients(), 1000u);
  // Signature hits beyond the alert cap are folded into one alert per rule for client "*".
  EXPECT_LE(d.open_alerts(), 101u);
  std::vector<AlertUpdate> updates;
  d.CloseAll(&updates);
  int64_t total = 0;
  bool folded = false;
  for (const AlertUpdate& u : updates) {
    total += u.count;
    folded |= u.client == "*";
  }
  EXPECT_EQ(total, 100000);
  EXPECT_TRUE(folded);
}

TEST(Detector, ClientsFoldedIntoTheSharedAlertCountAfreshOnceItCloses) {
  DetectorOptions options;
  options.max_open_alerts = 1;  // the second client's alert goes into the shared "*" one
  options.aggregate_window = absl::Seconds(30);
  Detector d(Rules(), "s", options);
  for (const char* client : {"203.0.113.1", "203.0.113.2"}) {
    for (int i = 0; i < 5; ++i) {
      d.ProcessAccess(Rec(client, "/wp-login.php", "POST"), "l", i + 1, kT0 + absl::Seconds(i));
    }
  }
  std::vector<AlertUpdate> updates;
  d.Collect(kT0 + absl::Seconds(40), &updates);  // both alerts close; window state stays
  std::vector<AlertUpdate> closed = ForRule(updates, "wp-brute");
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_TRUE(closed[0].closed && closed[1].closed);
  // One more login attempt is one request in a fresh window, not a new alert.
  d.ProcessAccess(Rec("203.0.113.2", "/wp-login.php", "POST"), "l", 11, kT0 + absl::Seconds(41));
  updates.clear();
  d.Collect(kT0 + absl::Seconds(42), &updates);
  EXPECT_TRUE(ForRule(updates, "wp-brute").empty());
}

TEST(Detector, UserAgentCacheGivesTheSameResultsAsMatching) {
  Detector d(Rules(), "s", {});
  int hits = 0;
  // More distinct User-Agents than the cache holds, interleaved with repeats of two.
  for (int i = 0; i < 20000; ++i) {
    std::string ua;
    if (i % 3 == 0) {
      ua = "sqlmap/1.8#stable";
    } else if (i % 3 == 1) {
      ua = "Mozilla/5.0 (X11; Linux x86_64)";
    } else {
      ua = absl::StrCat("Mozilla/5.0 build ", i, (i % 300 == 2) ? " sqlmap" : "");
    }
    hits += d.ProcessAccess(Rec("c", "/", "GET", 200, ua), "l", i + 1,
                            kT0 + absl::Milliseconds(i));
  }
  // i % 3 == 0: 6667 hits; i % 3 == 2 and i % 300 == 2: 67 more.
  EXPECT_EQ(hits, 6667 + 67);
  // An over-long User-Agent is matched without being cached.
  std::string huge(2000, 'a');
  huge += " sqlmap";
  EXPECT_TRUE(d.ProcessAccess(Rec("c", "/", "GET", 200, huge), "l", 1, kT0 + absl::Seconds(30)));
  EXPECT_FALSE(d.ProcessAccess(Rec("c", "/", "GET", 200, std::string(2000, 'a')), "l", 1,
                               kT0 + absl::Seconds(30)));
}

TEST(Detector, ErrorLogRulesUseTheRecordsClient) {
  DetectorOptions options;
  options.record_line_numbers = true;
  Detector d(Rules(), "s", options);
  ErrorRecord e;
  e.client = "203.0.113.50";
  e.level = "error";
  e.message = "ModSecurity: Access denied with code 403 (phase 2). [id \"942100\"]";
  EXPECT_TRUE(d.ProcessError(e, "[error] ModSecurity ...", 7, kT0));
  ErrorRecord other = e;
  other.message = "File does not exist: /var/www/html/favicon.ico";
  EXPECT_FALSE(d.ProcessError(other, "[error] File does not exist", 8, kT0));
  std::vector<AlertUpdate> updates;
  d.CloseAll(&updates);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].rule->id, "modsec");
  EXPECT_EQ(updates[0].client, "203.0.113.50");
  EXPECT_THAT(updates[0].line_numbers, ::testing::ElementsAre(7));
}

TEST(Detector, AlertIdsAreSanitisedAndBounded) {
  Detector d(Rules(), "s", {});
  const std::string client = "evil client/" + std::string(300, 'z');
  d.ProcessAccess(Rec(client, "/x?union select 1"), "l", 1, kT0);
  std::vector<AlertUpdate> updates;
  d.CloseAll(&updates);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_LE(updates[0].alert_id.size(), 128u);
  EXPECT_THAT(updates[0].alert_id, ::testing::MatchesRegex("[A-Za-z0-9._:-]+"));
  EXPECT_THAT(updates[0].alert_id, ::testing::StartsWith("sqli-union:evil_client_"));
  EXPECT_THAT(updates[0].alert_id, ::testing::EndsWith(absl::StrCat(absl::ToUnixMillis(kT0))));
}

}  // namespace
}  // namespace pantau::agent::logwatch
