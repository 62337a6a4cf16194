// `pantau-agent probe URL`: RunOneShot and RunProbeCommand against a real nginx serving the
// fixture court site (testdata/court_site.h), and the command's usage errors.
#include "agent/checks/probe_report.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "agent/checks/testdata/court_site.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::FakeClock;
using ::pantau::testing::NginxOptions;
using ::pantau::testing::NginxServer;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kDataDir[] = PANTAU_SOURCE_DIR "/data";

class ProbeReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NginxOptions options;
    options.extra_server_conf = testdata::CourtSiteServerConf();
    ASSERT_OK_AND_ASSIGN(nginx_, NginxServer::Start(options));
    ASSERT_OK(testdata::WriteCleanCourtSite(*nginx_, today_));
  }

  ProbeCommand Command() const {
    ProbeCommand command;
    command.url = nginx_->Url("/");
    command.court_type = "PN";
    command.data_dir = kDataDir;
    command.timeout = absl::Seconds(60);
    return command;
  }

  FakeClock clock_{absl::Now()};
  const absl::CivilDay today_ = testdata::JakartaDay(clock_.Now());
  std::unique_ptr<NginxServer> nginx_;
};

TEST_F(ProbeReportTest, ACleanCourtSitePassesWithNoFindings) {
  ASSERT_OK_AND_ASSIGN(OneShotResult result, RunOneShot(Command(), clock_));
  const std::string json = OneShotJson(result);
  EXPECT_EQ(OneShotExitCode(result), 0) << json;
  EXPECT_THAT(json, HasSubstr("\"up\":true"));
  EXPECT_THAT(json, HasSubstr("\"status\":200"));
  EXPECT_THAT(json, HasSubstr("\"timings_ms\":{\"dns\":"));
  EXPECT_THAT(json, HasSubstr("\"findings\":[]"));
  EXPECT_THAT(json, HasSubstr("\"content_age_source\":\"sitemap_lastmod\""));
  EXPECT_THAT(json, HasSubstr("{\"check\":\"required_pages\",\"ran\":true,\"error\":\"\"}"));
  EXPECT_THAT(json, HasSubstr("\"tls\":null"));  // plain http
  EXPECT_FALSE(result.dns.has_value());         // no --resolver
  EXPECT_THAT(OneShotText(result), HasSubstr("No findings."));
}

TEST_F(ProbeReportTest, HiddenGamblingLinksFailTheProbeWithTheirFinding) {
  ASSERT_OK(nginx_->WriteFile("index.html",
                              testdata::HomePageWithHiddenGamblingLinks(*nginx_, today_)));
  ASSERT_OK_AND_ASSIGN(OneShotResult result, RunOneShot(Command(), clock_));
  const std::string json = OneShotJson(result);
  EXPECT_EQ(OneShotExitCode(result), 1) << json;
  EXPECT_THAT(json, HasSubstr("\"up\":true"));  // up, but not clean
  EXPECT_THAT(json, HasSubstr("{\"check\":\"content\",\"kind\":\"gambling_spam\","
                              "\"severity\":\"critical\""));
  EXPECT_THAT(json, Not(HasSubstr("\"findings\":[]")));
  EXPECT_THAT(OneShotText(result), HasSubstr("[critical] gambling_spam (content)"));
}

TEST_F(ProbeReportTest, TheCommandPrintsJsonAndExitsByItsFindings) {
  std::ostringstream out, err;
  EXPECT_EQ(RunProbeCommand({nginx_->Url("/"), "--json", "--court-type", "pn", "--data-dir",
                             kDataDir, "--timeout", "60"},
                            out, err),
            0)
      << out.str() << err.str();
  EXPECT_THAT(out.str(), AllOf(HasSubstr("\"up\":true"), HasSubstr("\"findings\":[]")));
  EXPECT_THAT(err.str(), IsEmpty());

  ASSERT_OK(nginx_->WriteFile("index.html",
                              testdata::HomePageWithHiddenGamblingLinks(*nginx_, today_)));
  std::ostringstream out2, err2;
  EXPECT_EQ(RunProbeCommand({"--data-dir", kDataDir, nginx_->Url("/")}, out2, err2), 1)
      << out2.str() << err2.str();
  EXPECT_THAT(out2.str(), HasSubstr("gambling_spam (content)"));  // the text report
}

TEST(RunProbeCommand, UsageErrorsExitWithTwo) {
  const struct {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{}, "a URL is required"},
      {{"--json"}, "a URL is required"},
      {{"https://pn-contoh.go.id/", "--timeout", "lima"}, "--timeout wants seconds"},
      {{"https://pn-contoh.go.id/", "--timeout", "0"}, "--timeout wants seconds"},
      {{"https://pn-contoh.go.id/", "--timeout"}, "unexpected argument '--timeout'"},
      {{"https://pn-contoh.go.id/", "--verbose"}, "unexpected argument '--verbose'"},
      {{"https://pn-contoh.go.id/", "https://pa-contoh.go.id/"},
       "unexpected argument 'https://pa-contoh.go.id/'"},
      {{"ftp://pn-contoh.go.id/"}, "is not an http:// or https:// URL"},
      {{"pn-contoh.go.id"}, "is not an http:// or https:// URL"},
  };
  for (const auto& c : cases) {
    std::ostringstream out, err;
    EXPECT_EQ(RunProbeCommand(c.args, out, err), 2) << ::testing::PrintToString(c.args);
    EXPECT_THAT(err.str(), HasSubstr(c.message)) << ::testing::PrintToString(c.args);
    EXPECT_THAT(out.str(), IsEmpty());
  }
}

TEST(RunOneShot, RejectsANonHttpUrlAndMissingDataFiles) {
  FakeClock clock;
  ProbeCommand command;
  command.url = "file:///etc/passwd";
  command.data_dir = kDataDir;
  EXPECT_THAT(RunOneShot(command, clock), StatusIs(absl::StatusCode::kInvalidArgument));
  command.url = "http://127.0.0.1:1/";
  command.data_dir = PANTAU_SOURCE_DIR "/no-such-dir";
  EXPECT_THAT(RunOneShot(command, clock),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--data-dir")));
}

}  // namespace
}  // namespace pantau::agent
