// The real binaries as separate processes: an agent killed with SIGKILL mid-send loses and
// duplicates nothing; the collector stops cleanly on SIGTERM; TLS between agent, pantauctl and
// collector.
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pantau/v1/operator_service.grpc.pb.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/testing/eventually.h"
#include "tests/testing/ports.h"

namespace pantau::testing {
namespace {

using ::testing::HasSubstr;

const std::string kBinDir = PANTAU_BIN_DIR;

SpawnOptions LogTo(const std::string& path) {
  SpawnOptions options;
  options.output_path = path;
  return options;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

bool FileContains(const std::string& path, const std::string& text) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str().find(text) != std::string::npos;
}

// Highest event id the agent's spool ever handed out (SQLite AUTOINCREMENT never reuses ids).
int64_t HighestSpooledId(const std::string& state_dir) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open_v2((state_dir + "/spool.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", -1, &stmt,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}


class ProcessTest : public PipelineTest {
 protected:
  std::string AgentYaml(int collector_port, int sites) const {
    std::string yaml = absl::StrCat(
        "agent_id: killed-agent\ncourt_id: PN-TEST\nstate_dir: ", state_dir_,
        "\nheartbeat_seconds: 5\n"
        "collector:\n  address: 127.0.0.1:", collector_port,
        "\n  insecure: true\n  backoff_initial_seconds: 0.05\n  backoff_max_seconds: 1\n"
        "spool:\n  batch_max_events: 2\n");
    if (sites == 0) return yaml + "sites: []\n";
    yaml += "sites:\n";
    for (int i = 0; i < sites; ++i) {
      absl::StrAppend(&yaml, "  - id: site-", i, "\n    url: ",
                      nginx_->Url(absl::StrCat("/index.html?test=", TestToken())),
                      "\n    interval_seconds: 1\n    jitter_seconds: 0.3\n"
                      "    content:\n      enabled: false\n");
    }
    return yaml;
  }
};

TEST_F(ProcessTest, AgentKilledMidSendLosesAndDuplicatesNothing) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  const std::string busy = state_dir_ + "/busy.yaml";
  const std::string drain = state_dir_ + "/drain.yaml";
  WriteText(busy, AgentYaml(collector->grpc_port(), 6));
  WriteText(drain, AgentYaml(collector->grpc_port(), 0));
  const std::string log = state_dir_ + "/agent.log";
  std::mt19937 rng(42);

  for (int round = 0; round < 5; ++round) {
    const int64_t before = QueryInt("SELECT count(*) FROM probe_results");
    auto agent = Subprocess::Spawn({kBinDir + "/pantau-agent", "--config", busy}, LogTo(log));
    ASSERT_TRUE(agent.ok()) << agent.status();
    // Let it deliver a little, then kill it at a random moment of its send loop.
    ASSERT_TRUE(Eventually(
        [&] { return QueryInt("SELECT count(*) FROM probe_results") >= before + 3; }));
    std::uniform_int_distribution<int> extra(0, 3);
    const int64_t target = before + 3 + extra(rng);
    Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results") >= target; },
               absl::Seconds(5));
    ASSERT_TRUE((*agent)->Signal(SIGKILL).ok());
    ASSERT_EQ(*(*agent)->Wait(), 128 + SIGKILL);
  }

  // A last run with nothing to probe delivers what the killed runs left in the spool.
  const std::string drain_log = state_dir_ + "/drain.log";
  auto agent = Subprocess::Spawn({kBinDir + "/pantau-agent", "--config", drain}, LogTo(drain_log));
  ASSERT_TRUE(agent.ok()) << agent.status();
  // Ready (signal handling in place, collector reached) before we ask it to stop.
  ASSERT_TRUE(Eventually([&] { return FileContains(drain_log, "connected to collector"); }));
  ASSERT_TRUE(Eventually([&] {
    const int64_t highest = HighestSpooledId(state_dir_);
    return highest > 0 && static_cast<int64_t>(StoredEventIds("killed-agent").size()) >= highest;
  })) << "spool not drained; agent log: " << log;
  ASSERT_TRUE((*agent)->Signal(SIGTERM).ok());
  auto code = (*agent)->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << "agent did not stop on SIGTERM";
  EXPECT_EQ(*code, 0);

  const int64_t n = ExpectExactlyOnce("killed-agent");
  EXPECT_GE(n, 15);
}

TEST_F(ProcessTest, CollectorFinishesInFlightWorkAndExitsCleanlyOnSigterm) {
  absl::StatusOr<int> free_port = PickFreePort();
  ASSERT_TRUE(free_port.ok()) << free_port.status();
  const int port = *free_port;
  const std::string config = state_dir_ + "/collector.yaml";
  WriteText(config, absl::StrCat("listen: 127.0.0.1:", port, "\nmetrics_listen: ''\ndatabase: \"",
                                 database_, "\"\ninsecure: true\nshutdown_grace_seconds: 30\ndata_dir: ",
                                 PANTAU_SOURCE_DIR, "/data\n"));
  const std::string log = state_dir_ + "/collector.log";
  auto collector = Subprocess::Spawn({kBinDir + "/pantau-collector", "--config", config}, LogTo(log));
  ASSERT_TRUE(collector.ok()) << collector.status();

  auto stub = AgentStub(port);
  auto heartbeat_batch = [](uint64_t seq) {
    v1::PushRequest request;
    request.set_agent_id("sigterm-agent");
    request.set_batch_seq(seq);
    v1::Event* e = request.add_events();
    e->set_agent_event_id(seq);
    e->mutable_heartbeat()->set_agent_version("test");
    return request;
  };
  {
    grpc::ClientContext context;
    context.set_wait_for_ready(true);  // the process may still be starting
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::PushResponse response;
    grpc::Status status = stub->Push(&context, heartbeat_batch(1), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.acked_seq(), 1u);
  }

  // Hold the agent's row lock so the next push is in flight inside the collector.
  pqxx::connection blocker(database_);
  pqxx::work hold(blocker);
  hold.exec("SELECT 1 FROM agents WHERE agent_id = 'sigterm-agent' FOR UPDATE");
  grpc::Status in_flight_status;
  v1::PushResponse in_flight_response;
  std::thread pusher([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    in_flight_status = stub->Push(&context, heartbeat_batch(2), &in_flight_response);
  });
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0; }));

  ASSERT_TRUE((*collector)->Signal(SIGTERM).ok());
  ASSERT_TRUE(Eventually([&] { return FileContains(log, "finishing calls in flight"); }));
  hold.commit();  // lets the push in flight finish
  pusher.join();
  EXPECT_TRUE(in_flight_status.ok()) << in_flight_status.error_message();
  EXPECT_EQ(in_flight_response.acked_seq(), 2u);

  auto code = (*collector)->Wait(absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << "collector did not stop on SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_TRUE(FileContains(log, "collector stopped"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM agent_heartbeats WHERE agent_id = 'sigterm-agent'"), 2);
  EXPECT_EQ(QueryInt("SELECT last_seq FROM agents WHERE agent_id = 'sigterm-agent'"), 2);
}

// The operator's first steps with the real binaries: `pantau-collector bootstrap-admin` writes
// an admin token (mode 0600) into a file, and the pantauctl binary reads it from --token-file
// or $PANTAU_TOKEN_FILE; without one it stops with a usage error.
TEST_F(ProcessTest, BootstrapAdminWritesATokenThatPantauctlUses) {
  absl::StatusOr<int> free_port = PickFreePort();
  ASSERT_TRUE(free_port.ok()) << free_port.status();
  const std::string address = absl::StrCat("127.0.0.1:", *free_port);
  const std::string config = state_dir_ + "/collector.yaml";
  WriteText(config, absl::StrCat("listen: ", address, "\nmetrics_listen: ''\ndatabase: \"",
                                 database_, "\"\ninsecure: true\ndata_dir: ", PANTAU_SOURCE_DIR,
                                 "/data\n"));
  auto collector = Subprocess::Spawn({kBinDir + "/pantau-collector", "--config", config},
                                     LogTo(state_dir_ + "/collector.log"));
  ASSERT_TRUE(collector.ok()) << collector.status();

  const std::string token_file = state_dir_ + "/admin.token";
  auto bootstrap = RunCommand({kBinDir + "/pantau-collector", "bootstrap-admin", "--config", config,
                               "--person", "admin", "--name", "Admin Pantau", "--token-file",
                               token_file});
  ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
  ASSERT_EQ(bootstrap->exit_code, 0) << bootstrap->output;
  struct stat st;
  ASSERT_EQ(stat(token_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string token;
  {
    std::ifstream in(token_file);
    std::getline(in, token);
  }
  ASSERT_FALSE(token.empty());
  EXPECT_THAT(bootstrap->output, ::testing::Not(HasSubstr(token)));

  // Ready: the collector answers an authenticated call (it may still be starting).
  {
    auto stub = v1::OperatorService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    context.AddMetadata("authorization", "Bearer " + token);
    v1::WhoAmIResponse me;
    grpc::Status status = stub->WhoAmI(&context, v1::WhoAmIRequest(), &me);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(me.person_id(), "admin");
  }

  const std::string pantauctl = kBinDir + "/pantauctl";
  auto whoami = RunCommand({pantauctl, "--collector", address, "--insecure", "--token-file",
                            token_file, "whoami", "--json"});
  ASSERT_TRUE(whoami.ok()) << whoami.status();
  EXPECT_EQ(whoami->exit_code, 0) << whoami->output;
  EXPECT_THAT(whoami->output, HasSubstr("\"admin\""));
  EXPECT_THAT(whoami->output, ::testing::Not(HasSubstr(token)));

  SpawnOptions from_env;
  from_env.extra_env = {"PANTAU_TOKEN_FILE=" + token_file};
  auto status = RunCommand({pantauctl, "--collector", address, "--insecure", "status"}, from_env);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0) << status->output;

  // No token anywhere (HOME points at an empty dir): a usage error, nothing is called.
  SpawnOptions no_token;
  no_token.extra_env = {"HOME=" + state_dir_, "PANTAU_TOKEN_FILE=", "PANTAU_TOKEN="};
  auto refused = RunCommand({pantauctl, "--collector", address, "--insecure", "status"}, no_token);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 2) << refused->output;
  EXPECT_THAT(refused->output, HasSubstr("no operator token"));

  // A second bootstrap re-keys the admin: the old token stops working.
  auto again = RunCommand({kBinDir + "/pantau-collector", "bootstrap-admin", "--config", config,
                           "--person", "admin", "--token-file", state_dir_ + "/admin2.token"});
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->exit_code, 0) << again->output;
  auto stale = RunCommand({pantauctl, "--collector", address, "--insecure", "--token-file",
                           token_file, "whoami"});
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_EQ(stale->exit_code, 1) << stale->output;

  ASSERT_TRUE((*collector)->Signal(SIGTERM).ok());
  auto code = (*collector)->Wait(absl::Seconds(60));
  ASSERT_TRUE(code.ok()) << "collector did not stop on SIGTERM";
  EXPECT_EQ(*code, 0);
}

TEST_F(ProcessTest, ConfigErrorsNameTheKeyAndExitNonZero) {
  const std::string config = state_dir_ + "/bad.yaml";
  WriteText(config, "agent_id: ok\ncollector:\n  address: x:1\n  insecure: true\nsites:\n"
                    "  - id: a\n    url: ftp://example\n");
  auto result = RunCommand({kBinDir + "/pantau-agent", "--config", config});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("sites[0].url"));

  WriteText(config, "listen: [unclosed\n");
  result = RunCommand({kBinDir + "/pantau-collector", "--config", config});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("bad.yaml:"));
}

TEST_F(ProcessTest, TlsChannelsWorkAndPlaintextClientsAreRefused) {
  // A CA and a server certificate for 127.0.0.1, made fresh for this test.
  const std::string dir = state_dir_;
  const std::string ext = dir + "/san.ext";
  WriteText(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=pantau test CA", "-keyout", dir + "/ca.key", "-out", dir + "/ca.pem"},
           {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", dir + "/server.key", "-out", dir + "/server.csr"},
           {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem",
            "-CAkey", dir + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", ext, "-out",
            dir + "/server.pem"}}) {
    auto r = RunCommand(cmd);
    ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());
  }
  collector::CollectorConfig config = CollectorConfigFor();
  config.insecure = false;
  config.tls_cert_file = dir + "/server.pem";
  config.tls_key_file = dir + "/server.key";
  auto app = collector::CollectorApp::Create(config, clock_);
  ASSERT_TRUE(app.ok()) << app.status();
  ASSERT_TRUE((*app)->Start().ok());
  const std::string address = absl::StrCat("127.0.0.1:", (*app)->grpc_port());

  // An agent over TLS delivers.
  agent::AgentConfig agent_config = AgentConfigFor((*app)->grpc_port(), absl::Milliseconds(200));
  agent_config.collector.insecure = false;
  agent_config.collector.ca_file = dir + "/ca.pem";
  auto agent = agent::AgentApp::Create(agent_config, clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results") >= 1; }));
  (*agent)->Shutdown();

  const std::string token_file = AdminTokenFile(**app);
  std::string out, err;
  EXPECT_EQ(Pantauctl({"--collector", address, "--ca-file", dir + "/ca.pem", "--token-file",
                       token_file, "status"},
                      &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("pn-test-www"));

  EXPECT_EQ(Pantauctl({"--collector", address, "--insecure", "--timeout", "3", "--token-file",
                       token_file, "status"},
                      &out, &err),
            1);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("pn-test-www")));
  // A client that does not trust the CA is refused too.
  EXPECT_EQ(Pantauctl({"--collector", address, "--timeout", "3", "--token-file", token_file,
                       "status"},
                      &out, &err),
            1);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("pn-test-www")));
  (*app)->Shutdown();
}

}  // namespace
}  // namespace pantau::testing
