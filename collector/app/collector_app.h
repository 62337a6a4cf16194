// The collector process, wired: store, gRPC services (agent, operator, health), /metrics.
// main() only parses flags, loads the config and calls Run(); tests start it in-process.
//
//   PANTAU_ASSIGN_OR_RETURN(auto app, CollectorApp::Create(config, clock));
//   PANTAU_RETURN_IF_ERROR(app->Start());      // binds; grpc_port() is known from here
//   ...                                       // serve until told to stop
//   app->Shutdown();                          // finishes in-flight pushes, then returns
#ifndef PANTAU_COLLECTOR_APP_COLLECTOR_APP_H_
#define PANTAU_COLLECTOR_APP_COLLECTOR_APP_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/config/collector_config.h"
#include "common/clock.h"

namespace grpc {
class Server;
}
namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace pantau::collector {

class Store;
class IngestMetrics;
class AgentServiceImpl;
class OperatorServiceImpl;
class IncidentEngine;
class OutboxWorker;
class Notifiers;

// Thread-compatible: call Start, Wait and Shutdown from one thread. `clock` must outlive it.
class CollectorApp {
 public:
  // Connects to PostgreSQL and applies migrations. Unavailable when PostgreSQL is down.
  static absl::StatusOr<std::unique_ptr<CollectorApp>> Create(const CollectorConfig& config,
                                                              const Clock& clock);
  ~CollectorApp();

  // Binds the gRPC and metrics listeners and starts serving.
  absl::Status Start();
  // Stops accepting calls, lets in-flight calls finish (up to shutdown_grace), stops metrics.
  // Idempotent.
  void Shutdown();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  prometheus::Registry& registry() { return *registry_; }
  IncidentEngine& engine() { return *engine_; }
  OutboxWorker& outbox() { return *outbox_; }

 private:
  CollectorApp(CollectorConfig config, const Clock& clock);

  const CollectorConfig config_;
  const Clock& clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IngestMetrics> metrics_;
  std::unique_ptr<Notifiers> notifiers_;
  std::unique_ptr<IncidentEngine> engine_;
  std::unique_ptr<OutboxWorker> outbox_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<OperatorServiceImpl> operator_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// The whole process after argument parsing: loads the config, blocks SIGTERM/SIGINT, runs the
// app until a signal arrives, shuts down cleanly. Returns the process exit code (0 clean,
// 1 on a start-up error, which is logged).
int RunCollector(const std::string& config_path);

// `pantau-collector bootstrap-admin`: creates (or re-keys) an admin for every court directly in
// the database and writes a fresh token to `token_path` (mode 0600), or prints it when the path
// is "-". Returns the exit code.
int BootstrapAdmin(const std::string& config_path, const std::string& person_id,
                   const std::string& name, const std::string& token_path);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_APP_COLLECTOR_APP_H_
