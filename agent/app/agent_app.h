// The agent process, wired: spool, probes and heartbeat on the scheduler, sender, /metrics.
// main() only parses flags, loads the config and calls RunAgent(); tests start it in-process.
//
//   PANTAU_ASSIGN_OR_RETURN(auto app, AgentApp::Create(config, clock));
//   app->Start();  ...  app->Shutdown();
#ifndef PANTAU_AGENT_APP_AGENT_APP_H_
#define PANTAU_AGENT_APP_AGENT_APP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"
#include "common/clock.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace pantau::agent {

class AgentMetrics;
class HttpProber;
class ProbeScheduler;
class Sender;
class SpoolStore;

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
  // Stops probing and heartbeats but keeps sending what is spooled (tests use it to drain
  // the spool; an operator's "drain" command later).
  void StopProbing();
  // Stops probing and sending; what was not acknowledged stays in the spool. Idempotent.
  void Shutdown();

  SpoolStore& spool() { return *spool_; }
  int metrics_port() const { return metrics_port_; }
  // Sites actually probed (central list or local file).
  const std::vector<SiteConfig>& sites() const { return sites_; }

 private:
  AgentApp(AgentConfig config, const Clock& clock);
  void ProbeSite(const SiteConfig& site, absl::Time now);
  void AppendHeartbeat(absl::Time now);

  const AgentConfig config_;
  const Clock& clock_;
  std::vector<SiteConfig> sites_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::unique_ptr<SpoolStore> spool_;
  std::unique_ptr<HttpProber> prober_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<ProbeScheduler> scheduler_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int metrics_port_ = 0;
};

// The whole process after argument parsing. Returns the exit code (0 clean, 1 start-up error).
int RunAgent(const std::string& config_path);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_APP_AGENT_APP_H_
