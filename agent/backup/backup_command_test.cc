#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "agent/backup/backup.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::backup {
namespace {

namespace fs = std::filesystem;
using ::pantau::testing::ScopedTempDir;
using ::testing::HasSubstr;

struct Output {
  int code;
  std::string out;
  std::string err;
};

class BackupCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    web_ = dir_.path() + "/www";
    media_ = dir_.path() + "/media";
    fs::create_directories(web_ + "/sub");
    fs::create_directories(media_);
    fs::create_directories(dir_.path() + "/state");
    std::ofstream(web_ + "/index.php") << "<?php echo 1;";
    std::ofstream(web_ + "/sub/style.css") << "body{}";
    config_ = dir_.path() + "/agent.yaml";
    std::ofstream(config_) << "agent_id: t\nstate_dir: " << dir_.path()
                           << "/state\ncollector:\n  address: localhost:1\nsites:\n"
                           << "  - id: demo\n    url: http://localhost/\n    web_root: " << web_
                           << "\n    backup:\n      media: [" << media_
                           << "]\n      min_free_mb: 0\n"
                           << "  - id: nobackup\n    url: http://localhost/\n";
  }

  Output Cmd(std::vector<std::string> args) {
    args.push_back("--config");
    args.push_back(config_);
    std::ostringstream out, err;
    int code = RunBackupCommand(args, out, err);
    return {code, out.str(), err.str()};
  }

  std::string LatestId() {
    Output o = Cmd({"list", "--json"});
    size_t at = o.out.find("\"id\":\"");
    if (at == std::string::npos) return "";
    at += 6;
    return o.out.substr(at, o.out.find('"', at) - at);
  }

  ScopedTempDir dir_;
  std::string web_, media_, config_;
};

TEST_F(BackupCommandTest, RunListVerifyAndRestore) {
  Output run = Cmd({"run"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("demo: demo-"));
  EXPECT_THAT(run.out, HasSubstr("full, 2 files copied, 0 referenced"));
  EXPECT_THAT(run.out, HasSubstr("verified: yes"));
  EXPECT_THAT(run.out, HasSubstr("MB/s"));

  std::string id = LatestId();
  ASSERT_FALSE(id.empty());
  Output list = Cmd({"list", "--site", "demo"});
  EXPECT_EQ(list.code, 0);
  EXPECT_THAT(list.out, HasSubstr("VERIFIED"));
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr(media_));

  Output verify = Cmd({"verify", id});
  EXPECT_EQ(verify.code, 0) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("ok, 2 files checked"));
  EXPECT_EQ(Cmd({"verify", "--latest", "--site", "demo"}).code, 0);

  std::string to = dir_.path() + "/restored";
  Output restore = Cmd({"restore", id, "--to", to});
  EXPECT_EQ(restore.code, 0) << restore.err;
  EXPECT_THAT(restore.out, HasSubstr("2 files"));
  EXPECT_TRUE(fs::exists(to + web_ + "/sub/style.css"));
}

TEST_F(BackupCommandTest, ErrorsAndExitCodes) {
  EXPECT_EQ(Cmd({}).code, 2);
  EXPECT_EQ(Cmd({"frobnicate"}).code, 2);
  EXPECT_EQ(Cmd({"run", "--bogus"}).code, 2);
  EXPECT_EQ(Cmd({"verify"}).code, 2);

  Output unknown = Cmd({"verify", "demo-19990101T000000Z"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no backup with id"));

  Output no_site = Cmd({"run", "--site", "nope"});
  EXPECT_EQ(no_site.code, 1);
  EXPECT_THAT(no_site.err, HasSubstr("no site 'nope'"));
  Output no_job = Cmd({"run", "--site", "nobackup"});
  EXPECT_EQ(no_job.code, 1);
  EXPECT_THAT(no_job.err, HasSubstr("no backup job"));

  std::ostringstream out, err;
  EXPECT_EQ(RunBackupCommand({"list", "--config", dir_.path() + "/missing.yaml"}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("cannot load configuration"));

  ASSERT_EQ(Cmd({"run"}).code, 0);
  std::string id = LatestId();
  Output refuse = Cmd({"restore", id});
  EXPECT_EQ(refuse.code, 2);
  EXPECT_THAT(refuse.err, HasSubstr("--to DIR or --in-place"));
  Output medium = Cmd({"restore", id, "--to", dir_.path() + "/r", "--medium", "/nope"});
  EXPECT_EQ(medium.code, 1);
  EXPECT_THAT(medium.err, HasSubstr("not on medium /nope"));

  // A damaged archive: verify exits 1 and lists the problem.
  std::string archive = media_ + "/" + id + ".tar.zst";
  fs::resize_file(archive, fs::file_size(archive) / 2);
  Output bad = Cmd({"verify", id});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.out, HasSubstr("FAILED verification"));
  EXPECT_THAT(bad.out, HasSubstr(media_));
  Output listed = Cmd({"list"});
  EXPECT_THAT(listed.out, HasSubstr("verification failed"));

  // A missing medium fails the run with a clear error.
  fs::remove_all(media_);
  Output missing = Cmd({"run"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.out, HasSubstr("medium " + media_ + " is not available"));
}

}  // namespace
}  // namespace pantau::agent::backup
