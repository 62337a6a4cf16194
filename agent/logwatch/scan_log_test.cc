#include "agent/logwatch/scan_log.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::IsOk;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDataDir[] = PANTAU_SOURCE_DIR "/data";
constexpr char kBrowser[] =
    "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Mobile Safari/537.36";

std::string Line(const std::string& client, const std::string& time, const std::string& request,
                 int status, const std::string& ua = kBrowser) {
  return absl::StrCat(client, " - - [", time, " +0700] \"", request, "\" ", status,
                      " 5120 \"-\" \"", ua, "\"\n");
}

class ScanLogTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunScanLogCommand(args, kDataDir, out_, err_);
  }

  std::vector<std::string> JsonLines() const {
    return absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  }

  ::pantau::testing::ScopedTempDir dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(ScanLogTest, JsonListsAlertsWithLineNumbersAcrossFilesThenASummary) {
  const std::string first = Write(
      "access.log.1",
      Line("114.124.1.10", "25/Nov/2026:08:00:01", "GET /berita?id=12&order=desc HTTP/1.1", 200) +
          Line("114.124.1.10", "25/Nov/2026:08:00:02", "GET /cari?q=select+jadwal HTTP/1.1", 200) +
          Line("45.83.64.1", "25/Nov/2026:08:00:03",
               "GET /berita?id=12%27%20UNION%20SELECT%20user,password%20FROM%20users-- HTTP/1.1",
               200) +
          "this is not a log line\n" +
          Line("45.83.64.1", "25/Nov/2026:08:00:05",
               "GET /berita?id=1%27%20UNION%20ALL%20SELECT%20NULL,NULL-- HTTP/1.1", 200));
  const std::string second = Write(
      "access.log",
      Line("114.124.1.11", "25/Nov/2026:08:01:00", "GET / HTTP/1.1", 200) +
          Line("45.83.64.1", "25/Nov/2026:08:01:01",
               "GET /berita?id=1%27%20UNION%20SELECT%201,2,3-- HTTP/1.1", 200));
  ASSERT_EQ(Run({"--json", first, second}), 0) << err_.str();
  const std::vector<std::string> lines = JsonLines();
  ASSERT_GE(lines.size(), 2u) << out_.str();
  // The injection: one aggregated alert covering lines 3, 5 and 7 (the second file's 2nd).
  EXPECT_THAT(lines, Contains(AllOf(HasSubstr("\"type\":\"alert\""),
                                    HasSubstr("\"family\":\"sql_injection\""),
                                    HasSubstr("\"client\":\"45.83.64.1\""),
                                    HasSubstr("\"count\":3"), HasSubstr("\"lines\":[3,5,7]"))));
  // The court's own search for "select" and its news listing are not attacks.
  EXPECT_THAT(out_.str(), Not(HasSubstr("114.124.1.10")));
  EXPECT_THAT(lines.back(), AllOf(HasSubstr("\"type\":\"summary\""), HasSubstr("\"lines\":7"),
                                  HasSubstr("\"parsed\":6"), HasSubstr("\"malformed\":1"),
                                  HasSubstr("\"seconds\":")));
}

TEST_F(ScanLogTest, ReadableSummaryShowsVisitorsAndIndonesianAdvice) {
  std::string log;
  for (int i = 0; i < 10; ++i) {
    log += Line("114.124.1." + std::to_string(i), "25/Nov/2026:09:00:0" + std::to_string(i),
                "GET /jadwal-sidang HTTP/1.1", 200);
  }
  log += Line("45.83.64.2", "25/Nov/2026:09:00:10", "GET / HTTP/1.1", 200,
              "sqlmap/1.7.2#stable (https://sqlmap.org)");
  const std::string path = Write("access.log", log);
  ASSERT_EQ(Run({path}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("11 lines"));
  EXPECT_THAT(out_.str(), HasSubstr("requests 11 from 11 clients"));
  EXPECT_THAT(out_.str(), HasSubstr("alerts: 1"));
  EXPECT_THAT(out_.str(), HasSubstr("scanner"));
  EXPECT_THAT(out_.str(), HasSubstr("Tindakan: "));
}

TEST_F(ScanLogTest, ReadsGzipRotatedLogs) {
  const std::string path = Write(
      "access.log.2",
      Line("45.83.64.3", "25/Nov/2026:10:00:00", "GET /../../../../etc/passwd HTTP/1.1", 400) +
          Line("45.83.64.3", "25/Nov/2026:10:00:01", "GET /.env HTTP/1.1", 404));
  absl::StatusOr<CommandResult> gz = RunCommand({"gzip", path});
  ASSERT_THAT(gz, IsOk());
  ASSERT_EQ(gz->exit_code, 0) << gz->output;
  ASSERT_EQ(Run({"--json", path + ".gz"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("\"lines\":2,\"parsed\":2"));
  EXPECT_THAT(out_.str(), HasSubstr("\"family\":\"sensitive_file\""));
}

TEST_F(ScanLogTest, HostileInputIsCountedNotFatal) {
  std::string log = std::string(200 * 1024, 'A') + "\n";  // longer than the 64 KiB bound
  log += std::string("\x00\xff\xfe garbage \x01\x02", 14) + "\n";
  log += Line("114.124.1.10", "25/Nov/2026:08:00:01", "GET / HTTP/1.1", 200);
  log += "114.124.1.10 - - [25/Nov/2026:08:00:02 +0700] \"GET /no-end";  // no newline at EOF
  const std::string path = Write("access.log", log);
  ASSERT_EQ(Run({"--json", "--format", "combined", path}), 0) << err_.str();
  EXPECT_THAT(JsonLines().back(), AllOf(HasSubstr("\"lines\":4"), HasSubstr("\"parsed\":1"),
                                        HasSubstr("\"malformed\":3"), HasSubstr("\"truncated\":1")));
}

TEST_F(ScanLogTest, ReportsUsageAndFileErrorsClearly) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("no log file given"));
  EXPECT_EQ(Run({"--format", "apache2", Write("a.log", "")}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("apache2"));
  EXPECT_EQ(Run({"--bogus", "x"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("unknown option '--bogus'"));
  EXPECT_EQ(Run({dir_.path() + "/missing.log"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("missing.log"));
  EXPECT_EQ(Run({"--rules", dir_.path() + "/no-rules.yaml", Write("b.log", "")}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("no-rules.yaml"));
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr("usage: pantau-agent scan-log"));
}

}  // namespace
}  // namespace pantau::agent::logwatch
