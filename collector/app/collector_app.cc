#include "collector/app/collector_app.h"

#include <fstream>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "absl/strings/str_cat.h"
#include "collector/ingest/agent_service.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/operator/operator_service.h"
#include "collector/store/store.h"
#include "common/log.h"
#include "common/run_app.h"
#include "common/signal_stop.h"
#include "common/status_macros.h"

namespace pantau::collector {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const CollectorConfig& config) {
  if (config.tls_cert_file.empty()) {
    PANTAU_LOG(WARNING) << "serving gRPC WITHOUT TLS (insecure: true)";
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  PANTAU_ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(config.tls_cert_file));
  PANTAU_ASSIGN_OR_RETURN(pair.private_key, ReadFile(config.tls_key_file));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(options);
}

constexpr char kAgentServiceName[] = "pantau.v1.AgentService";
constexpr char kOperatorServiceName[] = "pantau.v1.OperatorService";

}  // namespace

CollectorApp::CollectorApp(CollectorConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), registry_(std::make_shared<prometheus::Registry>()) {}

CollectorApp::~CollectorApp() { Shutdown(); }

absl::StatusOr<std::unique_ptr<CollectorApp>> CollectorApp::Create(const CollectorConfig& config,
                                                                   const Clock& clock) {
  std::unique_ptr<CollectorApp> app(new CollectorApp(config, clock));
  PANTAU_ASSIGN_OR_RETURN(app->store_, Store::Create(config.database, config.database_pool_size));
  app->metrics_ = std::make_unique<IngestMetrics>(*app->registry_);
  app->agent_service_ =
      std::make_unique<AgentServiceImpl>(*app->store_, *app->metrics_, config.limits);
  app->operator_service_ = std::make_unique<OperatorServiceImpl>(*app->store_, clock);
  return app;
}

absl::Status CollectorApp::Start() {
  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
                          ServerCredentials(config_));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, creds, &grpc_port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.limits.max_message_bytes));
  // A second collector on the same port must fail to start, not silently share the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Bounds what one client connection can have in flight (each call may carry a full batch).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 32);
  builder.RegisterService(agent_service_.get());
  builder.RegisterService(operator_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config_.listen,
                                               " (address in use or not local?)"));
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus(true);
    health->SetServingStatus(kAgentServiceName, true);
    health->SetServingStatus(kOperatorServiceName, true);
  }
  if (!config_.metrics_listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(config_.metrics_listen);
    } catch (const std::exception& e) {
      Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                                 config_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
    std::vector<int> ports = exposer_->GetListeningPorts();
    metrics_port_ = ports.empty() ? 0 : ports.front();
  }
  PANTAU_LOG(INFO) << "collector serving gRPC on port " << grpc_port_
                   << (config_.tls_cert_file.empty() ? " (plaintext)" : " (TLS)")
                   << (metrics_port_ ? absl::StrCat(", metrics on port ", metrics_port_) : "");
  return absl::OkStatus();
}

void CollectorApp::Shutdown() {
  if (server_ != nullptr) {
    PANTAU_LOG(INFO) << "collector shutting down: finishing calls in flight";
    grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
    if (health != nullptr) health->Shutdown();
    // In-flight Push calls finish (and commit) before this returns; a call cut at the
    // deadline was not acknowledged, so the agent sends it again.
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(config_.shutdown_grace));
    server_->Wait();
    server_.reset();
    PANTAU_LOG(INFO) << "collector stopped";
  }
  exposer_.reset();
}

int RunCollector(const std::string& config_path) {
  BlockStopSignals();
  absl::StatusOr<CollectorConfig> config = LoadCollectorConfig(config_path);
  if (config.ok()) {
    PANTAU_LOG(INFO) << "pantau-collector starting; database "
                     << RedactConnectionString(config->database);
  }
  return RunUntilStopSignal<CollectorApp>(config);
}

}  // namespace pantau::collector
