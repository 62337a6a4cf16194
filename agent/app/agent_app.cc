#include "agent/app/agent_app.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/probes/http_prober.h"
#include "agent/probes/probe_scheduler.h"
#include "agent/spool/spool_store.h"
#include "agent/uplink/sender.h"
#include "agent/uplink/uplink_metrics.h"
#include "common/grpc_channel.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/run_app.h"
#include "common/signal_stop.h"
#include "common/status_macros.h"

namespace pantau::agent {
namespace {

constexpr char kAgentVersion[] = "0.1.0";

const char* PriorityName(EventPriority p) {
  switch (p) {
    case EventPriority::kStatistics: return "statistics";
    case EventPriority::kProbe: return "probe";
    case EventPriority::kSecurity: return "security";
  }
  return "unknown";
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(buffer.str()));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is empty"));
  return token;
}

// The collector's central probe list, or the local one when it has none or is unreachable.
std::vector<SiteConfig> ChooseSites(const AgentConfig& config,
                                    v1::AgentService::StubInterface& stub,
                                    const std::string& token) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  v1::GetConfigRequest request;
  request.set_agent_id(config.agent_id);
  v1::GetConfigResponse response;
  grpc::Status status = stub.GetConfig(&context, request, &response);
  if (!status.ok()) {
    PANTAU_LOG(WARNING) << "cannot fetch the central probe list (" << status.error_message()
                        << "); using the " << config.sites.size() << " sites of the local file";
    return config.sites;
  }
  if (response.targets().empty()) return config.sites;
  std::vector<SiteConfig> sites;
  for (const v1::ProbeTarget& t : response.targets()) {
    // The central list is input like any other: a bad entry must not poison our batches.
    const std::string lower = absl::AsciiStrToLower(t.url());
    if (!IsValidId(t.site()) || t.url().size() > 2048 || t.url().find('\0') != std::string::npos ||
        (!absl::StartsWith(lower, "http://") && !absl::StartsWith(lower, "https://"))) {
      PANTAU_LOG(WARNING) << "ignoring central probe target '" << absl::CHexEscape(t.site().substr(0, 128))
                          << "': invalid site id or URL";
      continue;
    }
    SiteConfig s;
    s.id = t.site();
    s.url = t.url();
    s.interval = absl::Seconds(std::max(5, t.interval_seconds()));
    s.jitter = std::min(absl::Seconds(2), s.interval);
    s.timeout = absl::Milliseconds(std::max(100, t.timeout_ms()));
    s.expected_status.assign(t.expected_status().begin(), t.expected_status().end());
    sites.push_back(std::move(s));
  }
  if (sites.empty()) return config.sites;
  PANTAU_LOG(INFO) << "using the collector's probe list: " << sites.size() << " sites";
  return sites;
}

}  // namespace

AgentApp::AgentApp(AgentConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), registry_(std::make_shared<prometheus::Registry>()) {}

AgentApp::~AgentApp() { Shutdown(); }

absl::StatusOr<std::unique_ptr<AgentApp>> AgentApp::Create(const AgentConfig& config,
                                                           const Clock& clock) {
  std::unique_ptr<AgentApp> app(new AgentApp(config, clock));
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create state_dir ", config.state_dir, ": ", ec.message()));
  }
  app->metrics_ = std::make_unique<AgentMetrics>(*app->registry_);
  SpoolOptions spool_options;
  spool_options.max_events = config.spool.max_events;
  AgentMetrics* metrics = app->metrics_.get();
  spool_options.on_drop = [metrics](EventPriority p, uint64_t) { metrics->CountDrop(PriorityName(p)); };
  PANTAU_ASSIGN_OR_RETURN(app->spool_,
                          SpoolStore::Open(config.state_dir + "/spool.db", std::move(spool_options)));
  PANTAU_ASSIGN_OR_RETURN(std::string token, ReadToken(config.collector.token_file));
  ChannelOptions channel_options;
  channel_options.address = config.collector.address;
  channel_options.ca_file = config.collector.ca_file;
  channel_options.insecure = config.collector.insecure;
  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                          MakeCollectorChannel(channel_options));
  auto stub = v1::AgentService::NewStub(channel);
  app->sites_ = ChooseSites(config, *stub, token);
  app->prober_ = std::make_unique<HttpProber>(config.max_body_bytes);
  app->sender_ = std::make_unique<Sender>(config, std::move(token), std::move(stub), *app->spool_,
                                          clock, *app->metrics_);
  app->scheduler_ = std::make_unique<ProbeScheduler>(clock);
  for (const SiteConfig& site : app->sites_) {
    AgentApp* self = app.get();
    app->scheduler_->Add(absl::StrCat("probe ", site.id), site.interval, site.jitter,
                         [self, site](absl::Time now) { self->ProbeSite(site, now); });
  }
  AgentApp* self = app.get();
  app->scheduler_->Add("heartbeat", config.heartbeat_interval, absl::Seconds(1),
                       [self](absl::Time now) { self->AppendHeartbeat(now); });
  return app;
}

void AgentApp::ProbeSite(const SiteConfig& site, absl::Time now) {
  v1::Event event;
  event.set_observed_unix_ms(absl::ToUnixMillis(now));
  *event.mutable_probe() = prober_->Probe(site, now);
  metrics_->CountProbe(event.probe().up());
  if (!event.probe().up()) {
    PANTAU_LOG(WARNING) << "site " << site.id << " is down: " << event.probe().error();
  }
  absl::StatusOr<uint64_t> id = spool_->Append(event, EventPriority::kProbe);
  if (!id.ok()) {
    PANTAU_LOG(ERROR) << "cannot spool the probe of " << site.id << ": " << id.status().message();
    return;
  }
  sender_->Wake();
}

void AgentApp::AppendHeartbeat(absl::Time now) {
  v1::Event event;
  event.set_observed_unix_ms(absl::ToUnixMillis(now));
  v1::Heartbeat* hb = event.mutable_heartbeat();
  hb->set_agent_version(kAgentVersion);
  hb->set_spooled_events(spool_->size());
  hb->set_dropped_events(spool_->dropped_total());
  if (absl::StatusOr<uint64_t> id = spool_->Append(event, EventPriority::kProbe); !id.ok()) {
    PANTAU_LOG(ERROR) << "cannot spool a heartbeat: " << id.status().message();
  }
  sender_->Wake();
}

absl::Status AgentApp::Start() {
  if (!config_.metrics_listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(config_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", config_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
    std::vector<int> ports = exposer_->GetListeningPorts();
    metrics_port_ = ports.empty() ? 0 : ports.front();
  }
  sender_->Start();
  scheduler_->Start();
  PANTAU_LOG(INFO) << "agent " << config_.agent_id << " probing " << sites_.size()
                   << " sites; " << spool_->size() << " events waiting in the spool";
  return absl::OkStatus();
}

void AgentApp::StopProbing() {
  if (scheduler_) scheduler_->Stop();
}

void AgentApp::Shutdown() {
  if (scheduler_) scheduler_->Stop();
  if (sender_) sender_->Stop();
  exposer_.reset();
}

int RunAgent(const std::string& config_path) {
  BlockStopSignals();
  GlobalInitCurl();
  return RunUntilStopSignal<AgentApp>(LoadAgentConfig(config_path), [](AgentApp& app) {
    PANTAU_LOG(INFO) << "agent stopped; " << app.spool().size() << " events kept in the spool";
  });
}

}  // namespace pantau::agent
