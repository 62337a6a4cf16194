#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/integrity/integrity_monitor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::integrity {
namespace {

using ::pantau::testing::ScopedTempDir;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/www";
    WriteFile(root_ + "/index.php", "<?php echo 1;\n");
    config_ = dir_.path() + "/agent.yaml";
    WriteFile(config_, absl::StrCat("agent_id: a\nstate_dir: ", dir_.path(), "/state\ndata_dir: ",
                                    PANTAU_SOURCE_DIR, "/data\ncollector:\n  address: x:1\n"
                                    "sites:\n  - id: pn-a\n    url: http://127.0.0.1/\n"
                                    "    web_root: ", root_, "\n  - id: pn-b\n"
                                    "    url: http://127.0.0.1/\n    web_root: ", root_, "\n"));
  }
  int Run(std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(config_);
    std::ostringstream out, err;
    const int code = RunIntegrityCommand(args, out, err);
    out_ = out.str();
    err_ = err.str();
    return code;
  }
  ScopedTempDir dir_;
  std::string root_, config_, out_, err_;
};

TEST_F(CommandTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_, HasSubstr("usage:"));
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_THAT(err_, HasSubstr("unknown command frobnicate"));
  EXPECT_EQ(Run({"maintenance", "start", "--site", "pn-a"}), 2);
  EXPECT_THAT(err_, HasSubstr("--minutes"));
  EXPECT_EQ(Run({"maintenance", "start", "--site", "pn-a", "--minutes", "0"}), 2);
  EXPECT_EQ(Run({"maintenance", "pause", "--site", "pn-a"}), 2);
  EXPECT_EQ(Run({"status", "--bogus"}), 2);
  EXPECT_EQ(Run({"accept", "index.php"}), 2);  // relative path, two sites, no --site
  EXPECT_THAT(err_, HasSubstr("needs --site"));
  EXPECT_EQ(Run({"accept", "--site", "pn-a", "../etc/passwd"}), 2);
  EXPECT_THAT(err_, HasSubstr("not under the web root"));
}

TEST_F(CommandTest, BadConfigOrSiteExitOne) {
  std::ostringstream out, err;
  EXPECT_EQ(RunIntegrityCommand({"status", "--config", dir_.path() + "/missing.yaml"}, out, err),
            1);
  EXPECT_THAT(err.str(), HasSubstr("missing.yaml"));
  EXPECT_EQ(Run({"status", "--site", "pn-zzz"}), 1);
  EXPECT_THAT(err_, HasSubstr("no site 'pn-zzz'"));
}

TEST_F(CommandTest, ScanWithoutAnAgentFindsAndAcceptClears) {
  EXPECT_EQ(Run({"scan"}), 0) << out_ << err_;  // first scan: the baseline
  EXPECT_THAT(out_, HasSubstr("pn-a: no open integrity findings"));
  WriteFile(root_ + "/uploads/x.php", "<?php @eval(base64_decode($_POST['x'])); ?>");
  EXPECT_EQ(Run({"scan", "--site", "pn-a"}), 1);
  EXPECT_THAT(out_, HasSubstr("CRITICAL  webshell_file  uploads/x.php"));
  EXPECT_THAT(out_, HasSubstr("CRITICAL  script_in_uploads  uploads/x.php"));
  EXPECT_EQ(Run({"status", "--json"}), 1);
  EXPECT_THAT(out_, HasSubstr("\"site\":\"pn-a\""));
  EXPECT_THAT(out_, HasSubstr("\"kind\":\"webshell_file\""));
  EXPECT_EQ(Run({"status", "--site", "pn-b"}), 0) << out_;  // pn-b was not scanned since
  EXPECT_EQ(Run({"accept", "--site", "pn-a", root_ + "/uploads/x.php"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("2 findings cleared"));
  EXPECT_EQ(Run({"status", "--site", "pn-a"}), 0) << out_;
  EXPECT_EQ(Run({"scan", "--site", "pn-a"}), 0) << out_;  // accepted state is the baseline
}

}  // namespace
}  // namespace pantau::agent::integrity
