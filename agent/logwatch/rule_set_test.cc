#include "agent/logwatch/rule_set.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;

// A small valid rule file; tests break one thing at a time.
constexpr char kGood[] = R"(version: 1
rules:
  - id: sqli-union
    family: sql_injection
    severity: critical
    description: Injeksi SQL UNION SELECT.
    action: Periksa aplikasi dan blokir alamat.
    match:
      uri: 'union\s+select'
    examples:
      match: ["/x?id=1+union+select+1"]
      no_match: ["/cari?q=union"]
  - id: php-in-uploads
    family: webshell
    severity: critical
    description: Skrip PHP di folder unggahan.
    action: Periksa berkas itu.
    status_class: [2]
    match:
      path: '^/uploads/.*\.php$'
      method: '^(?:GET|POST)$'
    examples:
      match:
        - {target: "/uploads/x.php", status: 200}
        - {target: "/uploads/x.php", method: POST, status: 204}
      no_match:
        - {target: "/uploads/x.php", status: 404}
        - {target: "/uploads/x.jpg", status: 200}
        - {target: "/uploads/x.php", method: HEAD, status: 200}
  - id: sqlmap
    family: scanner
    severity: warning
    description: Alat sqlmap.
    action: Blokir alamat ini.
    match:
      user_agent: '\bsqlmap\b'
    examples:
      match: [{user_agent: "sqlmap/1.7"}]
      no_match: [{user_agent: "Mozilla/5.0"}]
  - id: wp-brute
    family: brute_force
    severity: critical
    description: Tebak kata sandi WordPress.
    action: Blokir alamat ini.
    match:
      method: '^POST$'
      path: '^/wp-login\.php$'
    scope: client
    threshold: 3
    window_seconds: 60
    examples:
      match: [{method: POST, target: "/wp-login.php"}]
      no_match: ["/wp-login.php"]
  - id: errors
    family: server_errors
    severity: critical
    description: Lonjakan 5xx.
    action: Periksa log error.
    status_class: [5]
    scope: site
    threshold: 5
    window_seconds: 60
    examples:
      match: [{status: 503}]
      no_match: [{status: 200}]
  - id: modsec
    family: waf_block
    severity: warning
    error_log: true
    description: ModSecurity menolak permintaan.
    action: Periksa aturan yang terpicu.
    match:
      message: 'ModSecurity: Access denied'
    examples:
      match: ["ModSecurity: Access denied with code 403"]
      no_match: ["File does not exist"]
)";

absl::StatusOr<std::shared_ptr<const RuleSet>> ParseOne(const std::string& text) {
  return RuleSet::Parse({{"test.yaml", text}});
}

std::vector<std::string> HitIds(const RuleSet& rules, const MatchInput& in) {
  std::vector<int> hits;
  rules.Match(in, &hits);
  std::vector<std::string> ids;
  for (int h : hits) ids.push_back(rules.rules()[h].id);
  return ids;
}

MatchInput Request(absl::string_view uri, absl::string_view path, int status = 200,
                   absl::string_view method = "GET", absl::string_view ua = "Mozilla/5.0") {
  MatchInput in;
  in.uri = uri;
  in.path = path;
  in.raw = uri;
  in.method = method;
  in.user_agent = ua;
  in.status = status;
  return in;
}

TEST(RuleSet, ParsesRulesWithAllFields) {
  ASSERT_OK_AND_ASSIGN(auto rules, ParseOne(kGood));
  ASSERT_EQ(rules->rules().size(), 6u);
  const Rule& brute = rules->rules()[3];
  EXPECT_EQ(brute.id, "wp-brute");
  EXPECT_EQ(brute.scope, Rule::Scope::kClient);
  EXPECT_EQ(brute.threshold, 3);
  EXPECT_EQ(brute.window, absl::Seconds(60));
  EXPECT_EQ(rules->rules()[0].severity, v1::Finding::CRITICAL);
  EXPECT_EQ(rules->rules()[1].status_classes, std::vector<int>({2}));
  EXPECT_TRUE(rules->rules()[5].error_log);
  EXPECT_EQ(rules->rules()[4].scope, Rule::Scope::kSite);
}

TEST(RuleSet, AllConditionsAndStatusFiltersMustHold) {
  ASSERT_OK_AND_ASSIGN(auto rules, ParseOne(kGood));
  EXPECT_THAT(HitIds(*rules, Request("/uploads/a.php", "/uploads/a.php", 200)),
              ::testing::ElementsAre("php-in-uploads"));
  EXPECT_THAT(HitIds(*rules, Request("/uploads/a.php", "/uploads/a.php", 404)),
              ::testing::IsEmpty());
  EXPECT_THAT(HitIds(*rules, Request("/uploads/a.php", "/uploads/a.php", 200, "PUT")),
              ::testing::IsEmpty());
  EXPECT_THAT(HitIds(*rules, Request("/x?id=1 UNION  SELECT 2", "/x", 200, "GET", "sqlmap/1.8")),
              ::testing::UnorderedElementsAre("sqli-union", "sqlmap"));
  // Window rules are reported when the request counts toward the window.
  EXPECT_THAT(HitIds(*rules, Request("/wp-login.php", "/wp-login.php", 200, "POST")),
              ::testing::ElementsAre("wp-brute"));
  EXPECT_THAT(HitIds(*rules, Request("/", "/", 502)), ::testing::ElementsAre("errors"));
}

TEST(RuleSet, ErrorLogRulesOnlySeeErrorLines) {
  ASSERT_OK_AND_ASSIGN(auto rules, ParseOne(kGood));
  MatchInput err;
  err.error_log = true;
  err.message = "ModSecurity: Access denied with code 403 (phase 2)";
  EXPECT_THAT(HitIds(*rules, err), ::testing::ElementsAre("modsec"));
  // The same text as a URL is not an error line.
  EXPECT_THAT(HitIds(*rules, Request(err.message, "/")), ::testing::IsEmpty());
}

TEST(RuleSet, MatchesCaseInsensitivelyOnInvalidUtf8) {
  ASSERT_OK_AND_ASSIGN(auto rules, ParseOne(kGood));
  const std::string uri = "/x?\xff\xfe\xc3=1 UnIoN\tSeLeCt \x80";
  EXPECT_THAT(HitIds(*rules, Request(uri, "/x")), ::testing::ElementsAre("sqli-union"));
}

TEST(RuleSet, CachedFieldResultsGiveTheSameAnswer) {
  ASSERT_OK_AND_ASSIGN(auto rules, ParseOne(kGood));
  EXPECT_TRUE(rules->HasPatterns(Field::kUserAgent));
  EXPECT_FALSE(rules->HasPatterns(Field::kReferer));
  std::vector<int> ua, method;
  rules->MatchField(Field::kUserAgent, "sqlmap/1.8", &ua);
  rules->MatchField(Field::kMethod, "POST", &method);
  ASSERT_EQ(ua.size(), 1u);
  EXPECT_EQ(rules->rules()[ua[0]].id, "sqlmap");
  RuleSet::FieldRules cached;
  cached.user_agent = &ua;
  cached.method = &method;
  // The input's own User-Agent and method are ignored in favour of the cached results.
  MatchInput in = Request("/wp-login.php", "/wp-login.php", 200, "GET", "Mozilla/5.0");
  std::vector<int> hits;
  rules->MatchWithFieldRules(in, cached, &hits);
  std::vector<std::string> ids;
  for (int h : hits) ids.push_back(rules->rules()[h].id);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("sqlmap", "wp-brute"));
}

struct BadCase {
  std::string from, to, error;
};

TEST(RuleSet, RefusesInvalidFilesWithClearErrors) {
  const std::vector<BadCase> cases = {
      {"uri: 'union\\s+select'", "uri: 'union(select'", "invalid RE2 pattern: missing )"},
      {"uri: 'union\\s+select'", "url: 'x'", "unknown field 'url'"},
      {"severity: critical\n    description: Injeksi", "severity: high\n    description: Injeksi",
       "severity must be info, warning or critical"},
      {"id: php-in-uploads", "id: sqli-union", "duplicate rule id"},
      {"id: sqlmap", "id: SQLMap", "id must be"},
      {"    description: Alat sqlmap.\n", "", "description"},
      {"    action: Blokir alamat ini.\n    match:\n      user_agent", "    match:\n      user_agent",
       "action"},
      {"    scope: client\n", "", "threshold and window_seconds need scope"},
      {"    scope: site\n", "    scope: planet\n", "scope must be client or site"},
      {"no_match: [\"/cari?q=union\"]", "no_match: [\"/x?union select\"]",
       "examples.no_match entry triggers the rule: /x?union select"},
      {"match: [\"/x?id=1+union+select+1\"]", "match: [\"/x?id=1\"]",
       "examples.match entry does not trigger the rule: /x?id=1"},
      {"      no_match: [\"/cari?q=union\"]\n", "", "needs at least one examples.no_match"},
      {"match: [{user_agent: \"sqlmap/1.7\"}]", "match: [{agent: \"sqlmap/1.7\"}]",
       "example.agent: unknown key"},
      {"    error_log: true\n", "    error_log: true\n    status: [500]\n",
       "cannot filter on status"},
      {"rules:\n", "rulez:\n", "unknown key"},
      {"    threshold: 3\n", "    threshold: 0\n", "threshold"},
  };
  for (const BadCase& c : cases) {
    std::string text = kGood;
    ASSERT_NE(text.find(c.from), std::string::npos) << c.from;
    text = absl::StrReplaceAll(text, {{c.from, c.to}});
    auto result = ParseOne(text);
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)))
        << "case: " << c.from << " -> " << c.to;
    if (!result.ok()) {
      EXPECT_THAT(result.status().message(), HasSubstr("test.yaml"));
    }
  }
}

TEST(RuleSet, ErrorsNameTheRuleAndLine) {
  std::string text = absl::StrReplaceAll(
      kGood, {{"match: [\"/x?id=1+union+select+1\"]", "match: [\"/x?id=1\"]"}});
  auto result = ParseOne(text);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("test.yaml:11: rule 'sqli-union'")));
  EXPECT_THAT(ParseOne("rules: [\n"), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("test.yaml")));
}

TEST(RuleSet, LoadsAndMergesFiles) {
  pantau::testing::ScopedTempDir dir;
  const std::string a = dir.path() + "/a.yaml";
  const std::string b = dir.path() + "/b.yaml";
  {
    std::FILE* f = std::fopen(a.c_str(), "w");
    std::fputs(kGood, f);
    std::fclose(f);
    f = std::fopen(b.c_str(), "w");
    std::fputs(R"(rules:
  - id: local-extra
    family: sensitive_file
    severity: info
    description: Berkas lokal.
    action: Periksa berkas.
    match: {path: '^/rahasia/'}
    examples: {match: ["/rahasia/a"], no_match: ["/umum/a"]}
)",
               f);
    std::fclose(f);
  }
  ASSERT_OK_AND_ASSIGN(auto rules, RuleSet::Load({a, b}));
  EXPECT_EQ(rules->rules().size(), 7u);
  EXPECT_EQ(rules->rules().back().id, "local-extra");
  EXPECT_THAT(RuleSet::Load({a, a}), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("duplicate rule id")));
  EXPECT_THAT(RuleSet::Load({dir.path() + "/missing.yaml"}),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace pantau::agent::logwatch
