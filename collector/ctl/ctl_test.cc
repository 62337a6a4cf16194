#include "collector/ctl/ctl.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::ctl {
namespace {

using ::testing::HasSubstr;

v1::GetStatusResponse TwoSites() {
  v1::GetStatusResponse r;
  r.set_now_unix_ms(1795600060000);
  v1::SiteStatus* up = r.add_sites();
  up->set_site("pn-contoh-www");
  up->set_url("https://pn-contoh.go.id/");
  up->set_court_id("PN-CONTOH");
  up->set_agent_id("a1");
  up->set_up(true);
  up->set_http_status(200);
  up->set_latency_ms(12.5);
  up->set_last_probe_unix_ms(1795600000000);
  up->set_last_probe_age_seconds(60);
  v1::SiteStatus* down = r.add_sites();
  down->set_site("sipp");
  down->set_url("http://sipp.pn-contoh.go.id/");
  down->set_court_id("PN-CONTOH");
  down->set_error("Connection refused \"quoted\"");
  down->set_last_probe_age_seconds(7200);
  return r;
}

TEST(StatusJson, HasTheDocumentedFieldsWithNumbersAsNumbers) {
  const std::string json = StatusJson(TwoSites());
  EXPECT_THAT(json, HasSubstr("{\"sites\":[{\"site\":\"pn-contoh-www\",\"url\":\"https://pn-contoh.go.id/\""));
  EXPECT_THAT(json, HasSubstr("\"up\":true"));
  EXPECT_THAT(json, HasSubstr("\"last_probe_age_seconds\":60,"));
  EXPECT_THAT(json, HasSubstr("\"latency_ms\":12.5"));
  EXPECT_THAT(json, HasSubstr("\"up\":false"));
  EXPECT_THAT(json, HasSubstr("\"error\":\"Connection refused \\\"quoted\\\"\""));
  EXPECT_THAT(json, HasSubstr("\"now_unix_ms\":1795600060000}"));
}

TEST(StatusTable, ShowsDownSitesWithTheirErrorAndReadableAges) {
  const std::string table = StatusTable(TwoSites());
  EXPECT_THAT(table, HasSubstr("pn-contoh-www"));
  EXPECT_THAT(table, HasSubstr("DOWN"));
  EXPECT_THAT(table, HasSubstr("(Connection refused"));
  EXPECT_THAT(table, HasSubstr("2h"));
  EXPECT_THAT(StatusTable(v1::GetStatusResponse()), HasSubstr("no sites have reported yet"));
}

TEST(RunCtl, UsageErrorsExitWithTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCtl({}, out, err), 2);
  EXPECT_EQ(RunCtl({"frobnicate"}, out, err), 2);
  EXPECT_EQ(RunCtl({"status", "--bogus"}, out, err), 2);
  EXPECT_EQ(RunCtl({"--timeout", "-1", "status"}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("usage: pantauctl"));
  std::ostringstream help_out, help_err;
  EXPECT_EQ(RunCtl({"--help"}, help_out, help_err), 0);
  EXPECT_THAT(help_out.str(), HasSubstr("status [--json]"));
}

TEST(RunCtl, UnreachableCollectorExitsWithOneAndSaysWhere) {
  std::ostringstream out, err;
  EXPECT_EQ(RunCtl({"--collector", "127.0.0.1:1", "--insecure", "--timeout", "2", "status"}, out,
                   err),
            1);
  EXPECT_THAT(err.str(), HasSubstr("127.0.0.1:1"));
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCtl({"--ca-file", "/nonexistent/ca.pem", "status"}, out2, err2), 1);
  EXPECT_THAT(err2.str(), HasSubstr("cannot read CA file"));
}

}  // namespace
}  // namespace pantau::ctl
