#include "collector/app/collector_app.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "absl/strings/str_cat.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/incident_engine.h"
#include "collector/incidents/org_spec.h"
#include "collector/incidents/outbox_worker.h"
#include "collector/ingest/agent_service.h"
#include "collector/notify/notifier.h"
#include "collector/ingest/ingest_metrics.h"
#include "collector/operator/operator_service.h"
#include "collector/store/store.h"
#include "common/file.h"
#include "common/log.h"
#include "common/run_app.h"
#include "common/signal_stop.h"
#include "common/status_macros.h"

namespace pantau::collector {
namespace {

// A certificate chain or key; real ones are a few KiB.
constexpr size_t kMaxPemBytes = 1 << 20;

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const CollectorConfig& config) {
  if (config.tls_cert_file.empty()) {
    PANTAU_LOG(WARNING) << "serving gRPC WITHOUT TLS (insecure: true)";
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  PANTAU_ASSIGN_OR_RETURN(pair.cert_chain, ReadFileToString(config.tls_cert_file, kMaxPemBytes));
  PANTAU_ASSIGN_OR_RETURN(pair.private_key, ReadFileToString(config.tls_key_file, kMaxPemBytes));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(options);
}

// Creates or truncates `path` with mode 0600 and writes `content`.
absl::Status WritePrivateFile(const std::string& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  ::fchmod(fd, 0600);
  const ssize_t n = ::write(fd, content.data(), content.size());
  const bool ok = n == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
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
  PANTAU_ASSIGN_OR_RETURN(IncidentCatalog catalog,
                          LoadIncidentCatalog(config.data_dir + "/incidents/rules.yaml",
                                              config.data_dir + "/incidents/runbooks.yaml"));
  PANTAU_ASSIGN_OR_RETURN(app->notifiers_, MakeNotifiers(config.notify));
  EngineOptions options;
  options.sweep_interval = config.incidents.sweep_interval;
  options.full_evaluation_interval = config.incidents.full_evaluation_interval;
  options.flap_window = config.incidents.flap_window;
  options.flap_page_limit = config.incidents.flap_page_limit;
  if (config.notify.smtp.has_value()) options.channels.push_back("email");
  if (config.notify.telegram.has_value()) options.channels.push_back("telegram");
  if (config.notify.whatsapp.has_value()) options.channels.push_back("whatsapp");
  for (const WebhookConfig& w : config.notify.webhooks) options.webhooks.push_back(w.name);
  if (options.channels.empty() && options.webhooks.empty()) {
    PANTAU_LOG(WARNING) << "no notification channel configured (notify:): incidents are "
                           "recorded but nobody is paged";
  }
  PANTAU_ASSIGN_OR_RETURN(app->engine_,
                          IncidentEngine::Create(config.database, 4, std::move(catalog),
                                                 std::move(options), clock));
  OutboxOptions outbox;
  outbox.poll_interval = config.incidents.outbox_poll;
  outbox.retry_initial = config.incidents.retry_initial;
  outbox.retry_max = config.incidents.retry_max;
  if (config.notify.telegram.has_value()) {
    outbox.poll_telegram = config.notify.telegram->poll_updates;
    outbox.telegram_poll_timeout = config.notify.telegram->poll_timeout;
  }
  app->outbox_ = std::make_unique<OutboxWorker>(*app->engine_, *app->notifiers_, outbox,
                                                app->registry_.get());
  IncidentEngine* engine = app->engine_.get();
  app->agent_service_ = std::make_unique<AgentServiceImpl>(
      *app->store_, *app->metrics_, config.limits, clock,
      [engine](const v1::PushRequest& request) { engine->OnBatchStored(request); });
  app->operator_service_ =
      std::make_unique<OperatorServiceImpl>(*app->store_, *app->engine_, clock);
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
  OutboxWorker* outbox = outbox_.get();
  engine_->Start([outbox] { outbox->Wake(); });
  outbox_->Start();
  PANTAU_LOG(INFO) << "collector serving gRPC on port " << grpc_port_
                   << (config_.tls_cert_file.empty() ? " (plaintext)" : " (TLS)")
                   << (metrics_port_ ? absl::StrCat(", metrics on port ", metrics_port_) : "");
  return absl::OkStatus();
}

void CollectorApp::Shutdown() {
  const bool was_serving = server_ != nullptr;
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
  }
  // The engine's evaluations and the pages in flight finish; what is left waits in PostgreSQL.
  if (engine_ != nullptr) engine_->Stop();
  if (outbox_ != nullptr) outbox_->Stop();
  if (was_serving) PANTAU_LOG(INFO) << "collector stopped";
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

int BootstrapAdmin(const std::string& config_path, const std::string& person_id,
                   const std::string& name, const std::string& token_path) {
  absl::StatusOr<CollectorConfig> config = LoadCollectorConfig(config_path);
  if (!config.ok()) {
    PANTAU_LOG(ERROR) << config.status().message();
    return 1;
  }
  if (!IsPersonId(person_id)) {
    PANTAU_LOG(ERROR) << "person id must be 1..64 of a-z, 0-9, '.', '_' or '-'";
    return 2;
  }
  // Applies the migrations too, so this works on a fresh database.
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(config->database, 1);
  if (!store.ok()) {
    PANTAU_LOG(ERROR) << store.status().message();
    return 1;
  }
  RealClock clock;
  absl::StatusOr<std::unique_ptr<IncidentEngine>> engine =
      IncidentEngine::Create(config->database, 1, IncidentCatalog{}, EngineOptions{}, clock);
  if (!engine.ok()) {
    PANTAU_LOG(ERROR) << engine.status().message();
    return 1;
  }
  absl::StatusOr<std::string> token = (*engine)->BootstrapAdmin(person_id, name);
  if (!token.ok()) {
    PANTAU_LOG(ERROR) << token.status().message();
    return 1;
  }
  if (token_path == "-") {
    std::cout << *token << std::endl;
    return 0;
  }
  absl::Status written = WritePrivateFile(token_path, *token + "\n");
  if (!written.ok()) {
    PANTAU_LOG(ERROR) << written.message();
    return 1;
  }
  PANTAU_LOG(INFO) << "token of admin " << person_id << " written to " << token_path;
  return 0;
}

}  // namespace pantau::collector
