#include "agent/app/agent_app.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/backup/backup.h"
#include "agent/checks/availability.h"
#include "agent/checks/check_state.h"
#include "agent/checks/content_checks.h"
#include "agent/integrity/integrity_monitor.h"
#include "agent/logwatch/log_watcher.h"
#include "agent/probes/dns_prober.h"
#include "agent/probes/http_engine.h"
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
#include "common/url.h"

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
    if (!IsValidId(t.site()) || t.url().size() > 2048 || t.url().find('\0') != std::string::npos ||
        !IsHttpUrl(t.url())) {
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
  HttpEngineOptions engine_options;
  engine_options.max_concurrent = config.max_concurrent_fetches;
  engine_options.ca_file = config.ca_file;
  PANTAU_ASSIGN_OR_RETURN(app->engine_, HttpEngine::Create(engine_options));
  app->work_ = std::make_unique<WorkQueue>("results");
  app->dns_work_ = std::make_unique<WorkQueue>("dns");
  PANTAU_ASSIGN_OR_RETURN(app->check_state_,
                          CheckStateStore::Open(config.state_dir + "/checks.db"));
  const bool any_content = std::any_of(app->sites_.begin(), app->sites_.end(),
                                       [](const SiteConfig& s) { return s.content.enabled; });
  if (any_content) {
    absl::StatusOr<std::unique_ptr<ContentAnalyzers>> analyzers =
        ContentAnalyzers::Load(config.data_dir);
    if (!analyzers.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("content checks need the data files in data_dir (", config.data_dir,
                       "): ", analyzers.status().message()));
    }
    app->analyzers_ = std::move(*analyzers);
  }
  app->sender_ = std::make_unique<Sender>(config, std::move(token), std::move(stub), *app->spool_,
                                          clock, *app->metrics_);
  app->scheduler_ = std::make_unique<ProbeScheduler>(clock);
  for (const SiteConfig& site : app->sites_) app->ScheduleSite(site);
  AgentApp* self = app.get();
  // Logs are always those of the local file: the central probe list knows URLs, not paths.
  absl::StatusOr<std::unique_ptr<logwatch::LogWatcher>> watcher = logwatch::LogWatcher::Create(
      config, *app->spool_, clock, *app->registry_, [self] { self->sender_->Wake(); });
  if (!watcher.ok()) {
    return absl::Status(watcher.status().code(),
                        absl::StrCat("log watching: ", watcher.status().message()));
  }
  app->log_watcher_ = std::move(*watcher);
  const bool any_backup = std::any_of(config.sites.begin(), config.sites.end(),
                                      [](const SiteConfig& s) { return s.backup.enabled; });
  const bool any_integrity =
      std::any_of(config.sites.begin(), config.sites.end(), [](const SiteConfig& s) {
        return s.integrity.enabled && !s.web_root.empty();
      });
  if (any_backup || any_integrity) {
    // Integrity findings name the last clean backup, so the catalogue is read for them too.
    absl::StatusOr<std::unique_ptr<backup::BackupCatalog>> catalog =
        backup::BackupCatalog::Open(config.state_dir);
    if (!catalog.ok()) {
      return absl::Status(catalog.status().code(),
                          absl::StrCat("backups: ", catalog.status().message()));
    }
    app->backup_catalog_ = std::move(*catalog);
  }
  if (any_backup) {
    app->backup_work_ = std::make_unique<WorkQueue>("backup");
    app->scheduler_->Add("backups", absl::Seconds(30), absl::Seconds(5),
                         [self](absl::Time now) { self->TendBackups(now); });
  }
  if (any_integrity) {
    backup::BackupCatalog* catalog = app->backup_catalog_.get();
    // The restore target suggested in pages: under the agent's state_dir, which only root
    // (the agent's user) can write, never a world-writable place such as /var/tmp where a
    // compromised web user could prepare the path.
    const std::string restore_base = absl::StrCat(config.state_dir, "/restore/");
    auto lookup = [catalog, restore_base](
                      const std::string& site,
                      absl::Time before) -> std::optional<integrity::CleanBackup> {
      absl::StatusOr<std::optional<backup::BackupRecord>> found =
          catalog->LastVerifiedBefore(site, before);
      if (!found.ok()) {
        PANTAU_LOG(WARNING) << "cannot look up the last clean backup of " << site << ": "
                            << found.status().message();
        return std::nullopt;
      }
      if (!found->has_value()) return std::nullopt;
      const backup::BackupRecord& record = **found;
      return integrity::CleanBackup{
          record.id, record.started,
          absl::StrCat("pantau-agent backup restore ", record.id, " --to ", restore_base,
                       record.id)};
    };
    auto sink = [self](v1::CheckReport report) {
      bool critical = false;
      for (const v1::Finding& f : report.findings()) {
        critical |= f.severity() == v1::Finding::CRITICAL;
      }
      const std::string site = report.site();
      v1::Event event;
      event.set_observed_unix_ms(absl::ToUnixMillis(self->clock_.Now()));
      *event.mutable_check() = std::move(report);
      self->Emit(std::move(event), critical ? EventPriority::kSecurity : EventPriority::kProbe,
                 absl::StrCat("the integrity report of ", site));
    };
    absl::StatusOr<std::unique_ptr<integrity::IntegrityMonitor>> monitor =
        integrity::IntegrityMonitor::Create(config, clock, sink, lookup);
    if (!monitor.ok()) {
      return absl::Status(monitor.status().code(),
                          absl::StrCat("integrity monitoring: ", monitor.status().message()));
    }
    app->integrity_ = std::move(*monitor);
  }
  app->scheduler_->Add("heartbeat", config.heartbeat_interval, absl::Seconds(1),
                       [self](absl::Time now) { self->AppendHeartbeat(now); });
  return app;
}

void AgentApp::ScheduleSite(const SiteConfig& site) {
  AgentApp* self = this;
  scheduler_->Add(absl::StrCat("probe ", site.id), site.interval, site.jitter,
                  [self, site](absl::Time now) { self->ProbeSite(site, now); });
  if (!site.tcp.ports.empty()) {
    scheduler_->Add(absl::StrCat("tcp ", site.id), site.tcp.interval, site.tcp.jitter,
                    [self, site](absl::Time now) { self->ProbeTcp(site, now); });
  }
  if (site.dns.enabled) {
    scheduler_->Add(absl::StrCat("dns ", site.id), site.dns.interval, site.dns.jitter,
                    [self, site](absl::Time now) { self->ProbeDns(site, now); });
  }
  if (site.content.enabled && analyzers_ != nullptr) {
    scheduler_->Add(absl::StrCat("content ", site.id), site.content.interval, site.content.jitter,
                    [self, site](absl::Time now) { self->CheckContent(site, now); });
  }
}

void AgentApp::Emit(v1::Event event, EventPriority priority, absl::string_view what) {
  if (stopping_.load()) return;
  absl::StatusOr<uint64_t> id = spool_->Append(event, priority);
  if (!id.ok()) {
    PANTAU_LOG(ERROR) << "cannot spool " << what << ": " << id.status().message();
    return;
  }
  sender_->Wake();
}

void AgentApp::ProbeSite(const SiteConfig& site, absl::Time now) {
  engine_->Submit(AvailabilityRequest(site, config_.max_body_bytes),
                  [this, site, now](FetchResult fetch) {
                    work_->Post([this, site, now, fetch = std::move(fetch)] {
                      ReportProbe(site, fetch, now);
                    });
                  });
}

void AgentApp::ReportProbe(const SiteConfig& site, const FetchResult& fetch, absl::Time started) {
  if (stopping_.load()) return;
  if (fetch.local_failure) {
    PANTAU_LOG(WARNING) << "probe of " << site.id << " not run: " << fetch.error;
    return;
  }
  v1::Event event;
  event.set_observed_unix_ms(absl::ToUnixMillis(clock_.Now()));
  *event.mutable_probe() = AvailabilityResult(site, fetch, started, clock_.Now());
  metrics_->CountProbe(event.probe().up());
  if (!event.probe().up()) {
    PANTAU_LOG(WARNING) << "site " << site.id << " is down: " << event.probe().error();
  }
  Emit(std::move(event), EventPriority::kProbe, absl::StrCat("the probe of ", site.id));
}

void AgentApp::ProbeTcp(const SiteConfig& site, absl::Time now) {
  struct Gather {
    std::mutex mu;
    std::vector<std::pair<int, FetchResult>> results;
    size_t remaining;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = site.tcp.ports.size();
  const Clock* clock = &clock_;
  for (int port : site.tcp.ports) {
    engine_->Submit(TcpRequest(site, port), [this, site, now, clock, gather, port](FetchResult f) {
      std::vector<std::pair<int, FetchResult>> all;
      {
        std::lock_guard<std::mutex> lock(gather->mu);
        gather->results.emplace_back(port, std::move(f));
        if (--gather->remaining > 0) return;
        all = std::move(gather->results);
      }
      for (const auto& [p, r] : all) {
        if (r.local_failure) {
          PANTAU_LOG(WARNING) << "tcp probe of " << site.id << " not run: " << r.error;
          return;
        }
      }
      std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      work_->Post([this, site, now, clock, all = std::move(all)] {
        v1::Event event;
        event.set_observed_unix_ms(absl::ToUnixMillis(clock->Now()));
        *event.mutable_probe() = TcpResult(site, all, now);
        Emit(std::move(event), EventPriority::kProbe, absl::StrCat("the tcp probe of ", site.id));
      });
    });
  }
}

// c-ares runs its own poll loop, bounded by site.dns.timeout, on the DNS queue's thread: a
// slow resolver delays other DNS probes, never the scheduler or the HTTP engine.
void AgentApp::ProbeDns(const SiteConfig& site, absl::Time now) {
  dns_work_->Post([this, site, now] {
    if (stopping_.load()) return;
    DnsProber prober;
    v1::Event event;
    *event.mutable_probe() = DnsResult(site, prober.Probe(DnsSpec(site)), now);
    event.set_observed_unix_ms(absl::ToUnixMillis(clock_.Now()));
    Emit(std::move(event), EventPriority::kProbe, absl::StrCat("the dns probe of ", site.id));
  });
}

void AgentApp::CheckContent(const SiteConfig& site, absl::Time now) {
  {
    absl::MutexLock lock(&content_mu_);
    if (!content_running_.insert(site.id).second) {
      PANTAU_LOG(WARNING) << "site " << site.id
                          << ": the previous content check is still running; skipping this one";
      return;
    }
  }
  ContentContext context;
  context.engine = engine_.get();
  context.state = check_state_.get();
  context.analyzers = analyzers_.get();
  context.clock = &clock_;
  context.max_body_bytes = config_.max_body_bytes;
  context.analysis = work_.get();
  RunContentChecks(context, site, now, [this, site](std::vector<v1::CheckReport> reports) {
    {
      absl::MutexLock lock(&content_mu_);
      content_running_.erase(site.id);
    }
    for (v1::CheckReport& report : reports) {
      bool critical = false;
      for (const v1::Finding& f : report.findings()) critical |= f.severity() == v1::Finding::CRITICAL;
      if (!report.findings().empty()) {
        PANTAU_LOG(WARNING) << "site " << site.id << ": " << report.check() << " found "
                            << report.findings_size() << " problem(s), first: "
                            << report.findings(0).kind() << " - " << report.findings(0).detail();
      }
      v1::Event event;
      event.set_observed_unix_ms(absl::ToUnixMillis(clock_.Now()));
      *event.mutable_check() = std::move(report);
      Emit(std::move(event), critical ? EventPriority::kSecurity : EventPriority::kProbe,
           absl::StrCat("the content check of ", site.id));
    }
  });
}

void AgentApp::TendBackups(absl::Time now) {
  if (stopping_.load()) return;
  ReportBackups(now);
  for (const SiteConfig& site : config_.sites) {
    if (!site.backup.enabled) continue;
    absl::StatusOr<absl::Time> due = backup_catalog_->NextDue(site);
    if (!due.ok()) {
      PANTAU_LOG(ERROR) << "cannot tell when " << site.id << " is due for a backup: "
                        << due.status().message();
      continue;
    }
    if (*due > now) continue;
    {
      absl::MutexLock lock(&backup_mu_);
      if (!backups_queued_.insert(site.id).second) continue;  // queued or running already
    }
    backup_work_->Post([this, site] { RunDueBackup(site); });
  }
}

void AgentApp::ReportBackups(absl::Time now) {
  absl::MutexLock lock(&backup_report_mu_);
  absl::StatusOr<std::vector<backup::UnreportedBackup>> unreported =
      backup_catalog_->Unreported(100);
  if (!unreported.ok()) {
    PANTAU_LOG(ERROR) << "cannot read the backup catalogue: " << unreported.status().message();
  } else {
    for (backup::UnreportedBackup& pending : *unreported) {
      const std::string id = pending.summary.backup_id();
      v1::Event event;
      event.set_observed_unix_ms(absl::ToUnixMillis(now));
      *event.mutable_backup() = std::move(pending.summary);
      absl::StatusOr<uint64_t> spooled = spool_->Append(event, EventPriority::kSecurity);
      if (!spooled.ok()) {
        PANTAU_LOG(ERROR) << "cannot spool the summary of backup " << id << ": "
                          << spooled.status().message();
        break;
      }
      // Spooled durably first: a crash between the two sends it twice, which the collector
      // absorbs (one row per backup id). Only the version spooled is marked: a state Put since
      // (a verification's outcome) stays unreported and goes out next.
      if (absl::Status marked = backup_catalog_->MarkReported(id, pending.version);
          !marked.ok()) {
        PANTAU_LOG(WARNING) << "backup " << id << " stays unreported: " << marked.message();
      }
      sender_->Wake();
    }
  }
}

void AgentApp::RunDueBackup(const SiteConfig& site) {
  if (!stopping_.load()) {
    PANTAU_LOG(INFO) << "backup of " << site.id << " starting";
    backup::RunOptions options;
    options.stop = &backup_stop_;
    absl::StatusOr<v1::BackupSummary> summary =
        backup::RunBackup(config_, site, *backup_catalog_, clock_, options);
    if (absl::IsCancelled(summary.status())) {
      // Shutdown: nothing was recorded, so the next start finds it due and runs it again.
      PANTAU_LOG(INFO) << "backup of " << site.id << " abandoned: " << summary.status().message();
    } else if (!summary.ok()) {
      PANTAU_LOG(ERROR) << "backup of " << site.id << " not run: " << summary.status().message();
    } else if (!summary->error().empty()) {
      PANTAU_LOG(ERROR) << "backup " << summary->backup_id() << " failed: " << summary->error();
    } else {
      PANTAU_LOG(INFO) << "backup " << summary->backup_id() << " (" << summary->kind() << ") done: "
                       << summary->files() << " files, " << summary->bytes() << " bytes, "
                       << (summary->verified() ? "verified" : "NOT verified");
    }
  }
  {
    absl::MutexLock lock(&backup_mu_);
    backups_queued_.erase(site.id);
  }
  // Report it now rather than at the next tick.
  if (!stopping_.load()) ReportBackups(clock_.Now());
}

void AgentApp::AppendHeartbeat(absl::Time now) {
  v1::Event event;
  event.set_observed_unix_ms(absl::ToUnixMillis(now));
  v1::Heartbeat* hb = event.mutable_heartbeat();
  hb->set_agent_version(kAgentVersion);
  hb->set_spooled_events(spool_->size());
  hb->set_dropped_events(spool_->dropped_total());
  Emit(std::move(event), EventPriority::kProbe, "a heartbeat");
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
  work_->Start();
  dns_work_->Start();
  engine_->Start();
  scheduler_->Start();
  log_watcher_->Start();
  if (backup_work_) backup_work_->Start();
  if (integrity_) PANTAU_RETURN_IF_ERROR(integrity_->Start());
  PANTAU_LOG(INFO) << "agent " << config_.agent_id << " probing " << sites_.size()
                   << " sites; " << spool_->size() << " events waiting in the spool";
  return absl::OkStatus();
}

void AgentApp::StopProbing() {
  if (scheduler_) scheduler_->Stop();
  // Its last checkpoint spools what the lines read so far produced, with their positions.
  if (log_watcher_) log_watcher_->Stop();
  if (integrity_) integrity_->Stop();
  // A backup running is abandoned (its temporary files removed, nothing recorded); the next
  // start runs it again.
  backup_stop_.RequestStop();
  // Fetches in flight may already have reached the site: let them finish and be reported (so
  // what the sites saw and what is stored agree), for at most the longest fetch timeout. A
  // result's handling may start another fetch (the next stage of a content run), so wait
  // until engine and work queue are idle together. (Real time: these waits bound real I/O.)
  if (engine_ && work_ && !stopping_.load()) {
    const absl::Time deadline = absl::Now() + DrainTimeout();
    while (engine_->pending() > 0 || work_->pending() > 0) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        PANTAU_LOG(WARNING) << "stopping with " << engine_->pending()
                            << " fetches unfinished; their results are not reported";
        break;
      }
      engine_->WaitIdle(left);
      work_->WaitIdle(std::max(deadline - absl::Now(), absl::ZeroDuration()));
    }
  }
  stopping_.store(true);
  if (dns_work_) dns_work_->Stop();  // a probe running finishes (bounded); queued ones drop
  if (backup_work_) backup_work_->Stop();
  if (engine_) engine_->Stop();
  if (work_) work_->Stop();
}

absl::Duration AgentApp::DrainTimeout() const {
  absl::Duration longest = absl::Seconds(1);
  for (const SiteConfig& site : sites_) {
    longest = std::max({longest, site.timeout, site.tcp.timeout});
  }
  return std::min(longest, absl::Seconds(15));
}

void AgentApp::Shutdown() {
  StopProbing();
  if (sender_) sender_->Stop();
  exposer_.reset();
}

int ResetBaseline(const std::string& config_path, const std::string& site) {
  absl::StatusOr<AgentConfig> config = LoadAgentConfig(config_path);
  if (!config.ok()) {
    std::cerr << "pantau-agent: " << config.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<CheckStateStore>> state =
      CheckStateStore::Open(config->state_dir + "/checks.db");
  absl::Status status = state.ok() ? (*state)->ForgetSite(site) : state.status();
  if (!status.ok()) {
    std::cerr << "pantau-agent: " << status.message() << "\n";
    return 1;
  }
  std::cout << "the content baseline of " << site
            << " is reset; the next content check takes the page as it is then\n";
  return 0;
}

int RunAgent(const std::string& config_path) {
  BlockStopSignals();
  GlobalInitCurl();
  if (absl::Status dns = GlobalInitDns(); !dns.ok()) {
    PANTAU_LOG(WARNING) << "DNS checks will fail: " << dns.message();
  }
  return RunUntilStopSignal<AgentApp>(LoadAgentConfig(config_path), [](AgentApp& app) {
    PANTAU_LOG(INFO) << "agent stopped; " << app.spool().size() << " events kept in the spool";
  });
}

}  // namespace pantau::agent
