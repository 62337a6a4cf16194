#include "tests/integration/pipeline_fixture.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/http_engine.h"
#include "collector/ctl/ctl.h"
#include "collector/incidents/incident_engine.h"

namespace pantau::testing {

std::string PipelineTest::TestToken() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

PostgresServer* PipelineTest::pg_ = nullptr;
NginxServer* PipelineTest::nginx_ = nullptr;

void PipelineTest::SetUpTestSuite() {
  agent::GlobalInitCurl();
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  pg_ = pg->release();
  auto nginx = NginxServer::Start();
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  nginx_ = nginx->release();
  ASSERT_TRUE(nginx_->WriteFile("index.html",
                                "<html><head><title>Pengadilan Negeri Contoh</title></head>"
                                "<body><h1>Selamat datang</h1></body></html>")
                  .ok());
}

void PipelineTest::TearDownTestSuite() {
  delete nginx_;
  nginx_ = nullptr;
  delete pg_;
  pg_ = nullptr;
}

void PipelineTest::SetUp() {
  ASSERT_NE(pg_, nullptr);
  ASSERT_NE(nginx_, nullptr);
  if (!pg_->running()) {
    ASSERT_TRUE(pg_->Restart().ok());
  }
  auto db = pg_->CreateDatabase();
  ASSERT_TRUE(db.ok()) << db.status();
  database_ = *db;
  char tmpl[] = "/tmp/pantau-agent-state-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  state_dir_ = tmpl;
}

void PipelineTest::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

collector::CollectorConfig PipelineTest::CollectorConfigFor(int port) const {
  collector::CollectorConfig c;
  c.listen = absl::StrCat("127.0.0.1:", port);
  c.metrics_listen = "";
  c.database = database_;
  c.insecure = true;
  c.shutdown_grace = absl::Seconds(5);
  c.data_dir = PANTAU_SOURCE_DIR "/data";
  return c;
}

std::unique_ptr<collector::CollectorApp> PipelineTest::StartCollector(int port) {
  return StartCollector(CollectorConfigFor(port), clock_);
}

std::unique_ptr<collector::CollectorApp> PipelineTest::StartCollector(
    const collector::CollectorConfig& config, const Clock& clock) {
  auto app = collector::CollectorApp::Create(config, clock);
  EXPECT_TRUE(app.ok()) << app.status();
  if (!app.ok()) return nullptr;
  absl::Status started = (*app)->Start();
  EXPECT_TRUE(started.ok()) << started;
  if (!started.ok()) return nullptr;
  return std::move(*app);
}

agent::AgentConfig PipelineTest::AgentConfigFor(int collector_port, absl::Duration interval,
                                                const std::string& agent_id) const {
  agent::AgentConfig c;
  c.agent_id = agent_id;
  c.court_id = "PN-TEST";
  c.state_dir = state_dir_;
  c.collector.address = absl::StrCat("127.0.0.1:", collector_port);
  c.collector.insecure = true;
  c.collector.push_timeout = absl::Seconds(5);
  c.collector.backoff_initial = absl::Milliseconds(50);
  c.collector.backoff_max = absl::Milliseconds(500);
  c.spool.batch_max_events = 7;  // many small batches: more seqs to get wrong
  c.heartbeat_interval = absl::Seconds(1);
  agent::SiteConfig site;
  site.id = "pn-test-www";
  site.url = nginx_->Url(absl::StrCat("/index.html?test=", TestToken()));
  site.interval = interval;
  site.jitter = interval / 4;
  site.timeout = absl::Seconds(5);
  // These tests count availability probes exactly; content checks have their own tests.
  site.content.enabled = false;
  c.data_dir = PANTAU_SOURCE_DIR "/data";
  c.sites.push_back(site);
  return c;
}

std::string PipelineTest::AdminTokenFile(collector::CollectorApp& app) {
  absl::StatusOr<std::string> token = app.engine().BootstrapAdmin("admin", "Admin Pantau");
  EXPECT_TRUE(token.ok()) << token.status();
  return WriteTokenFile("admin.token", token.ok() ? *token : "");
}

std::string PipelineTest::WriteTokenFile(const std::string& name, const std::string& token) const {
  const std::string path = absl::StrCat(state_dir_, "/", name);
  {
    std::ofstream out(path, std::ios::trunc);
    out << token << "\n";
    EXPECT_TRUE(out.good()) << path;
  }
  std::error_code ec;
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
  return path;
}

int PipelineTest::Pantauctl(const std::vector<std::string>& args, std::string* out,
                            std::string* err) {
  std::ostringstream out_stream, err_stream;
  const int code = ctl::RunCtl(args, ctl::CtlEnvironment{}, out_stream, err_stream);
  if (out != nullptr) *out = out_stream.str();
  if (err != nullptr) *err = err_stream.str();
  return code;
}

std::vector<std::string> PipelineTest::CtlArgs(int port, const std::string& token_file,
                                               const std::vector<std::string>& command) {
  std::vector<std::string> args = {"--collector", absl::StrCat("127.0.0.1:", port), "--insecure",
                                   "--token-file", token_file};
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

std::unique_ptr<v1::AgentService::Stub> PipelineTest::AgentStub(int port) const {
  return v1::AgentService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
}

int64_t PipelineTest::QueryInt(const std::string& sql) const {
  try {
    pqxx::connection conn(database_);
    pqxx::work txn(conn);
    return txn.exec1(sql)[0].as<int64_t>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << sql << ": " << e.what();
    return -1;
  }
}

std::string PipelineTest::QueryText(const std::string& sql) const {
  try {
    pqxx::connection conn(database_);
    pqxx::work txn(conn);
    return txn.exec1(sql)[0].as<std::string>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << sql << ": " << e.what();
    return "";
  }
}

std::vector<int64_t> PipelineTest::StoredEventIds(const std::string& agent_id) const {
  std::vector<int64_t> ids;
  try {
    pqxx::connection conn(database_);
    pqxx::work txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT agent_event_id FROM probe_results WHERE agent_id = $1 "
        "UNION ALL SELECT agent_event_id FROM agent_heartbeats WHERE agent_id = $1 "
        "ORDER BY 1",
        agent_id);
    for (const auto& r : rows) ids.push_back(r[0].as<int64_t>());
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  return ids;
}

int64_t PipelineTest::ExpectExactlyOnce(const std::string& agent_id) const {
  std::vector<int64_t> ids = StoredEventIds(agent_id);
  std::set<int64_t> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "an event was stored twice";
  if (ids.empty()) {
    ADD_FAILURE() << "nothing stored";
    return 0;
  }
  EXPECT_EQ(*unique.begin(), 1);
  EXPECT_EQ(*unique.rbegin(), static_cast<int64_t>(unique.size()))
      << "an event is missing: ids run to " << *unique.rbegin() << " but only " << unique.size()
      << " are stored";
  return static_cast<int64_t>(unique.size());
}

int64_t PipelineTest::ProbeRequestsInAccessLog() const {
  std::ifstream in(nginx_->access_log_path());
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    if (absl::StrContains(line, "pantau-agent/") &&
        absl::StrContains(line, absl::StrCat("?test=", TestToken(), " "))) {
      ++n;
    }
  }
  return n;
}

}  // namespace pantau::testing
