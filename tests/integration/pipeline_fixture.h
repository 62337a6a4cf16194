// Shared set-up of the integration tests: a real PostgreSQL (one server per test binary, one
// database per test), a real nginx serving a small court page, and helpers to start the
// collector and the agent in-process on loopback.
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
  // An agent probing nginx's index page every `interval`, delivering to `collector_port`.
  agent::AgentConfig AgentConfigFor(int collector_port, absl::Duration interval,
                                    const std::string& agent_id = "test-agent") const;
  std::unique_ptr<v1::AgentService::Stub> AgentStub(int port) const;

  // Single-value query on this test's database (throws nothing; fails the test on error).
  int64_t QueryInt(const std::string& sql) const;
  // Every agent_event_id of `agent_id` stored (probe results and heartbeats), sorted.
  std::vector<int64_t> StoredEventIds(const std::string& agent_id) const;
  // Asserts that the stored events of `agent_id` are exactly 1..N, each once: nothing lost,
  // nothing duplicated. Returns N.
  int64_t ExpectExactlyOnce(const std::string& agent_id) const;
  // Requests from this test's agent in nginx's access log (each test probes its own URL).
  int64_t ProbeRequestsInAccessLog() const;

  static std::string TestToken();
  static PostgresServer* pg_;
  static NginxServer* nginx_;
  std::string database_;
  std::string state_dir_;
  RealClock clock_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_INTEGRATION_PIPELINE_FIXTURE_H_
