// Incidents from signals, escalation, operator actions and the organisation, all with their
// state in PostgreSQL so several collectors can share one database:
//  - Evaluation: after each stored batch, the rules of data/incidents/rules.yaml are checked
//    for the batch's sites (one transaction per site under a per-site advisory lock): an
//    incident opens (one per (court, site, kind)), is updated, raised, or resolved when the
//    signal has recovered. A periodic full evaluation and the agent-silence check catch what
//    no batch brings (an overdue backup: every site with backups is in the full evaluation;
//    backup age is measured on this engine's Clock against the agents' finish times).
//  - Escalation: a sweep claims incidents whose next_action_at is due with FOR UPDATE SKIP
//    LOCKED, runs escalation.h's Advance and writes the pages to the outbox in the same
//    transaction, each with a unique idempotency key (a page is written once however many
//    collectors sweep).
//  - Operator actions (ack, note, hand-off, resolve, maintenance) and the organisation (apply
//    a YAML file, people, tokens, authentication) with court scoping.
//
//   PANTAU_ASSIGN_OR_RETURN(auto engine, IncidentEngine::Create(conninfo, catalog, options, clock));
//   engine->Start();                       // evaluation queue and sweep threads
//   engine->OnBatchStored(request);        // from AgentService after a commit
//   engine->Stop();
#ifndef PANTAU_COLLECTOR_INCIDENTS_INCIDENT_ENGINE_H_
#define PANTAU_COLLECTOR_INCIDENTS_INCIDENT_ENGINE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/escalation.h"
#include "collector/incidents/org_spec.h"
#include "common/clock.h"
#include "pantau/v1/agent_service.pb.h"
#include "pantau/v1/operator_service.pb.h"

namespace pantau::collector {

class PgPool;

struct EngineOptions {
  // Real time between escalation sweeps of this collector (each also checks agent silence).
  absl::Duration sweep_interval = absl::Seconds(5);
  // Real time between full evaluations of every site (0 = never).
  absl::Duration full_evaluation_interval = absl::Minutes(5);
  // A signal coming back within this time after its incident resolved reopens it.
  absl::Duration flap_window = absl::Minutes(30);
  // From this many reopenings on, reopening pages nobody (the incident shows "flapping").
  int flap_page_limit = 3;
  // Most incidents one sweep transaction claims.
  int sweep_batch = 500;
  // Channels that can be sent ("email", "telegram", "whatsapp"): a person gets a page on each
  // of these they have an address for.
  std::vector<std::string> channels;
  // Webhook names that receive every page once (person "").
  std::vector<std::string> webhooks;
};

// Who is calling the operator API.
struct Principal {
  std::string person_id;
  std::string name;
  std::string role;
  std::vector<std::string> courts;  // as configured
  bool all_courts = false;          // "*"
  std::set<std::string> visible;    // courts and the courts below them
  std::vector<std::string> acting;  // "sekretaris@PN-X (Plh.)" held today
  bool CanSee(const std::string& court_id) const {
    return all_courts || visible.count(court_id) > 0;
  }
  bool IsAdmin() const { return role == "admin"; }
};

// Sha-256 of a token, lower-case hex (what people.token_hash holds).
std::string HashToken(const std::string& token);

// Thread-safe.
class IncidentEngine {
 public:
  static absl::StatusOr<std::unique_ptr<IncidentEngine>> Create(const std::string& conninfo,
                                                                int pool_size,
                                                                IncidentCatalog catalog,
                                                                EngineOptions options,
                                                                const Clock& clock);
  ~IncidentEngine();

  // Starts the evaluation thread and the sweep loop. `wake_outbox` is called after a
  // transaction wrote pages (the outbox worker then looks at once).
  void Start(std::function<void()> wake_outbox);
  // Finishes queued evaluations, stops the loops. Idempotent.
  void Stop();

  // Queues the evaluation of the batch's sites. Never blocks on the database. (Agent silence,
  // including an agent coming back, is checked by every sweep.)
  void OnBatchStored(const v1::PushRequest& request);
  // Waits until queued evaluations are done (tests, benchmarks); true when idle.
  bool WaitIdle(absl::Duration timeout);

  // Evaluates every rule for one site now, in the caller's thread.
  absl::Status EvaluateSite(const std::string& court_id, const std::string& site);
  // Opens/resolves agent_silent incidents.
  absl::Status EvaluateAgents();
  // Every site with data (probes, open findings or alerts, backups) or an open incident.
  absl::Status EvaluateAll();
  // One escalation sweep: claims due incidents (at most sweep_batch per transaction, until
  // none is due); returns how many were advanced.
  absl::StatusOr<int> Sweep();

  // --- operator API (authorisation checked here, not in the client) ---
  absl::StatusOr<Principal> Authenticate(const std::string& token);
  absl::StatusOr<v1::ListIncidentsResponse> ListIncidents(const Principal& who,
                                                          const v1::ListIncidentsRequest& request);
  absl::StatusOr<v1::GetIncidentResponse> GetIncident(const Principal& who, int64_t id);
  absl::StatusOr<v1::Incident> Acknowledge(const Principal& who, int64_t id,
                                           const std::string& note);
  // Acknowledgement from the Telegram button: the person with that telegram_user_id.
  absl::StatusOr<v1::Incident> AcknowledgeFromTelegram(int64_t telegram_user_id, int64_t id);
  absl::StatusOr<v1::Incident> AddNote(const Principal& who, int64_t id, const std::string& note);
  absl::StatusOr<v1::Incident> HandOff(const Principal& who,
                                       const v1::HandOffIncidentRequest& request);
  absl::StatusOr<v1::Incident> Resolve(const Principal& who, int64_t id, const std::string& note);
  absl::StatusOr<v1::MaintenanceWindow> AddMaintenance(const Principal& who,
                                                       const v1::AddMaintenanceRequest& request);
  absl::StatusOr<v1::ListMaintenanceResponse> ListMaintenance(
      const Principal& who, const v1::ListMaintenanceRequest& request);
  absl::StatusOr<v1::MaintenanceWindow> EndMaintenance(const Principal& who, int64_t id);
  absl::StatusOr<v1::ApplyOrgResponse> ApplyOrg(const Principal& who, const OrgSpec& org,
                                                bool dry_run);
  absl::StatusOr<v1::ListPeopleResponse> ListPeople(const Principal& who,
                                                    const std::string& court_id);
  absl::StatusOr<std::string> IssueToken(const Principal& who, const std::string& person_id);
  // For `pantau-collector bootstrap-admin`: creates or updates an admin for every court and
  // returns a fresh token. No principal: whoever can reach the database may do this.
  absl::StatusOr<std::string> BootstrapAdmin(const std::string& person_id, const std::string& name);

  const IncidentCatalog& catalog() const { return catalog_; }
  PgPool& pool() { return *pool_; }
  const Clock& clock() const { return clock_; }

 private:
  IncidentEngine(std::unique_ptr<PgPool> pool, IncidentCatalog catalog, EngineOptions options,
                 const Clock& clock);
  void EvaluationLoop();
  void SweepLoop();
  void WakeOutbox();

  std::unique_ptr<PgPool> pool_;
  const IncidentCatalog catalog_;
  const EngineOptions options_;
  const Clock& clock_;
  std::function<void()> wake_outbox_;

  absl::Mutex mu_;
  std::set<std::pair<std::string, std::string>> queued_ ABSL_GUARDED_BY(mu_);
  int evaluating_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread evaluator_;
  std::thread sweeper_;
  bool started_ = false;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INCIDENTS_INCIDENT_ENGINE_H_
