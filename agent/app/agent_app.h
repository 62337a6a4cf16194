// The agent process, wired: spool, probes and heartbeat on the scheduler, sender, /metrics.
// main() only parses flags, loads the config and calls RunAgent(); tests start it in-process.
//
//   PANTAU_ASSIGN_OR_RETURN(auto app, AgentApp::Create(config, clock));
//   app->Start();  ...  app->Shutdown();
#ifndef PANTAU_AGENT_APP_AGENT_APP_H_
#define PANTAU_AGENT_APP_AGENT_APP_H_

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/config/agent_config.h"
#include "agent/spool/spool_store.h"
#include "common/work_queue.h"
#include "common/clock.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace pantau::agent {

class AgentMetrics;
class CheckStateStore;
class ContentAnalyzers;
class HttpEngine;
struct FetchResult;
class ProbeScheduler;
class Sender;
class SpoolStore;
namespace logwatch {
class LogWatcher;
}  // namespace logwatch
namespace backup {
class BackupCatalog;
}  // namespace backup
namespace integrity {
class IntegrityMonitor;
}  // namespace integrity

// Thread-compatible. `clock` must outlive it.
class AgentApp {
 public:
  // Opens the spool in config.state_dir (created if missing), reads the token file, asks the
  // collector for a central probe list (falls back to config.sites when it has none or cannot
  // be reached within a few seconds).
  static absl::StatusOr<std::unique_ptr<AgentApp>> Create(const AgentConfig& config,
                                                          const Clock& clock);
  ~AgentApp();

  absl::Status Start();
  // Stops probing, log watching and heartbeats but keeps sending what is spooled (tests use it to drain
  // the spool; an operator's "drain" command later). Availability probes in flight finish
  // and are reported (up to their timeout, at most 15 s); content runs still waiting for a
  // later stage are abandoned.
  void StopProbing();
  // Stops probing and sending; what was not acknowledged stays in the spool. Idempotent.
  void Shutdown();

  SpoolStore& spool() { return *spool_; }
  int metrics_port() const { return metrics_port_; }
  // Sites actually probed (central list or local file).
  const std::vector<SiteConfig>& sites() const { return sites_; }

 private:
  AgentApp(AgentConfig config, const Clock& clock);
  void ScheduleSite(const SiteConfig& site);
  void ProbeSite(const SiteConfig& site, absl::Time now);
  void ReportProbe(const SiteConfig& site, const FetchResult& fetch, absl::Time started);
  void ProbeTcp(const SiteConfig& site, absl::Time now);
  void ProbeDns(const SiteConfig& site, absl::Time now);
  void CheckContent(const SiteConfig& site, absl::Time now);
  // Spools one event (from any thread) unless the agent is stopping.
  void Emit(v1::Event event, EventPriority priority, absl::string_view what);
  void AppendHeartbeat(absl::Time now);
  // Spools backup summaries not yet reported, then starts the backups that are due (on
  // backup_work_, one at a time).
  void TendBackups(absl::Time now);
  // Spools the catalogue's unreported summaries (a manual run's too) and marks them reported.
  void ReportBackups(absl::Time now);
  void RunDueBackup(const SiteConfig& site);
  // How long StopProbing() lets fetches in flight finish.
  absl::Duration DrainTimeout() const;

  const AgentConfig config_;
  const Clock& clock_;
  std::vector<SiteConfig> sites_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::unique_ptr<SpoolStore> spool_;
  std::unique_ptr<HttpEngine> engine_;
  // Result handling (spool writes) and content analysis, off the engine's loop thread.
  std::unique_ptr<WorkQueue> work_;
  // DNS probes (c-ares polls on the calling thread), off the scheduler's thread.
  std::unique_ptr<WorkQueue> dns_work_;
  std::unique_ptr<CheckStateStore> check_state_;
  std::unique_ptr<ContentAnalyzers> analyzers_;
  // Set before the engine stops: fetches it cancels are not results to report.
  std::atomic<bool> stopping_{false};
  // Sites whose content run is still going (a slow site must not pile up runs).
  absl::Mutex content_mu_;
  std::set<std::string> content_running_ ABSL_GUARDED_BY(content_mu_);
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<ProbeScheduler> scheduler_;
  std::unique_ptr<logwatch::LogWatcher> log_watcher_;
  // Backups and integrity use the local file's sites (the central list knows only URLs).
  std::unique_ptr<backup::BackupCatalog> backup_catalog_;
  std::unique_ptr<WorkQueue> backup_work_;
  StopToken backup_stop_;  // a backup running when the agent stops is abandoned
  absl::Mutex backup_mu_;
  std::set<std::string> backups_queued_ ABSL_GUARDED_BY(backup_mu_);
  absl::Mutex backup_report_mu_;  // one reporter at a time: a summary is spooled once
  std::unique_ptr<integrity::IntegrityMonitor> integrity_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int metrics_port_ = 0;
};

// `pantau-agent baseline reset SITE`: forgets what the content checks remembered of SITE
// (text baseline, sitemap snapshot, verification tag), so the next run takes the page as it is
// now. Returns the exit code (0 done, 1 error, printed to stderr).
int ResetBaseline(const std::string& config_path, const std::string& site);

// The whole process after argument parsing. Returns the exit code (0 clean, 1 start-up error).
int RunAgent(const std::string& config_path);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_APP_AGENT_APP_H_
