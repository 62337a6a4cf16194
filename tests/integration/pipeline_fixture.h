// Shared set-up of the integration tests: a real PostgreSQL (one server per test binary, one
// database per test), a real nginx serving a small court page, and helpers to start the
// collector and the agent in-process on loopback and to run pantauctl in-process with an
// operator token.
#ifndef PANTAU_TESTS_INTEGRATION_PIPELINE_FIXTURE_H_
#define PANTAU_TESTS_INTEGRATION_PIPELINE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/app/agent_app.h"
#include "agent/config/agent_config.h"
#include "collector/app/collector_app.h"
#include "collector/config/collector_config.h"
#include "common/clock.h"
#include "pantau/v1/agent_service.grpc.pb.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/postgres_server.h"

namespace pantau::testing {

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // A collector on 127.0.0.1:`port` (0 = any free port), plaintext, on this test's database.
  collector::CollectorConfig CollectorConfigFor(int port = 0) const;
  std::unique_ptr<collector::CollectorApp> StartCollector(int port = 0);
  // A collector with `config` whose "now" is `clock` (which must outlive it), started; nullptr
  // (and a test failure) when it cannot start.
  std::unique_ptr<collector::CollectorApp> StartCollector(const collector::CollectorConfig& config,
                                                          const Clock& clock);
  // An agent probing nginx's index page every `interval`, delivering to `collector_port`.
  agent::AgentConfig AgentConfigFor(int collector_port, absl::Duration interval,
                                    const std::string& agent_id = "test-agent") const;
  std::unique_ptr<v1::AgentService::Stub> AgentStub(int port) const;

  // Single-value query on this test's database (throws nothing; fails the test on error).
  int64_t QueryInt(const std::string& sql) const;
  // The same for a text value ("" and a test failure on error or NULL).
  std::string QueryText(const std::string& sql) const;
  // Every agent_event_id of `agent_id` stored (probe results and heartbeats), sorted.
  std::vector<int64_t> StoredEventIds(const std::string& agent_id) const;
  // Asserts that the stored events of `agent_id` are exactly 1..N, each once: nothing lost,
  // nothing duplicated. Returns N.
  int64_t ExpectExactlyOnce(const std::string& agent_id) const;
  // Requests from this test's agent in nginx's access log (each test probes its own URL).
  int64_t ProbeRequestsInAccessLog() const;

  // Bootstraps the admin "admin" (every court) in the collector's database and writes its
  // operator token to a file (mode 0600) in this test's state dir. Returns the file's path.
  std::string AdminTokenFile(collector::CollectorApp& app);
  // Writes `token` to the file `name` in this test's state dir (mode 0600). Returns its path.
  std::string WriteTokenFile(const std::string& name, const std::string& token) const;
  // Runs pantauctl in-process with `args` (everything after the program name, so the caller
  // gives --collector, --insecure or --ca-file, and --token-file) and nothing from this
  // process's environment ($PANTAU_TOKEN*, ~/.config/pantau/token). Returns the exit code;
  // `out` and `err` (either may be null) receive what it printed.
  static int Pantauctl(const std::vector<std::string>& args, std::string* out,
                       std::string* err = nullptr);
  // "--collector 127.0.0.1:PORT --insecure --token-file FILE" followed by `command`.
  static std::vector<std::string> CtlArgs(int port, const std::string& token_file,
                                          const std::vector<std::string>& command);

  static std::string TestToken();
  static PostgresServer* pg_;
  static NginxServer* nginx_;
  std::string database_;
  std::string state_dir_;
  RealClock clock_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_INTEGRATION_PIPELINE_FIXTURE_H_
