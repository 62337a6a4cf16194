// Internal to collector/incidents: the SQL shared by evaluation, escalation, operator actions
// and the outbox worker. Only these .cc files see libpqxx.
#ifndef PANTAU_COLLECTOR_INCIDENTS_INCIDENTS_SQL_H_
#define PANTAU_COLLECTOR_INCIDENTS_INCIDENTS_SQL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/escalation.h"
#include "collector/incidents/org_spec.h"
#include "collector/store/pg_pool.h"
#include "pantau/v1/operator_service.pb.h"

// SQL for "timestamptz from the bigint parameter $n holding Unix microseconds", e.g.
// "WHERE next_action_at <= " PANTAU_PG_TIME(1). Times go to PostgreSQL as microseconds.
#define PANTAU_PG_TIME(n) "to_timestamp($" #n "::bigint / 1000000.0)"

namespace pantau::collector::incidents_sql {

// Microseconds since the epoch, and back; InfinitePast/Future map to NULL (nullopt).
std::optional<int64_t> ToUs(absl::Time t);
absl::Time FromUs(const pqxx::field& f, absl::Time if_null);

// Runs `fn` in one read-write transaction and commits when it returns OK (else rolls back).
// libpqxx exceptions become statuses (StatusFromException); a broken connection is dropped.
absl::Status RunTxn(PgPool& pool, const std::string& what,
                    const std::function<absl::Status(pqxx::work&)>& fn);

// The column list ReadIncident expects, for "SELECT <kIncidentColumns> FROM incidents ...".
extern const char kIncidentColumns[];
IncidentRow ReadIncident(const pqxx::row& r);
// The incident updates, timeline entries and outbox rows of one transaction, written with one
// statement per table by Flush() (arrays through unnest): a sweep touches hundreds of
// incidents, and a statement per row cost about 0.4 ms each. Not thread-safe.
class PendingWrites {
 public:
  // Every mutable column of `row` as it is now; a later call for the same incident replaces it.
  void Update(const IncidentRow& row);
  // A timeline entry; entries keep their order.
  void Event(const IncidentRow& row, absl::Time at, const std::string& actor,
             const std::string& action, const std::string& note);
  // A page; a row whose idempotency key exists already (or repeats one queued) is skipped.
  void Outbox(const IncidentRow& row, const std::string& person, const std::string& channel,
              const std::string& address, absl::string_view message_kind, const std::string& key,
              const std::string& subject, const std::string& body, const std::string& payload,
              absl::Time now);
  // Writes everything queued (updates first, so timeline and outbox see the new rows) and
  // empties the queues. Returns the outbox rows inserted.
  int Flush(pqxx::work& txn);

 private:
  std::vector<IncidentRow> updates_;
  std::map<int64_t, size_t> update_index_;
  struct EventRow {
    int64_t incident_id;
    std::string court_id;
    int64_t at_us;
    std::string actor, action, note;
  };
  std::vector<EventRow> events_;
  struct OutboxRow {
    int64_t incident_id;
    std::string court_id, person, channel, address, kind, key, subject, body, payload;
    int64_t at_us;
  };
  std::vector<OutboxRow> outbox_;
};

// The court's display data; defaults when the court is not in the org model.
struct CourtInfo {
  std::string name;
  std::string time_zone = "Asia/Jakarta";
};
// Per-transaction caches of courts, policies and recipients (a sweep touches many incidents of
// few courts).
class OrgCache {
 public:
  explicit OrgCache(pqxx::work& txn) : txn_(txn) {}
  const CourtInfo& Court(const std::string& court_id);
  // The court's policy, else the "*" policy, else DefaultPolicy().
  const PolicySpec& Policy(const std::string& court_id);
  struct Recipient {
    std::string person_id;
    std::string name;
    std::string role;
    std::map<std::string, std::string> addresses;  // channel → address
  };
  // Active people holding `role` at the court (listed for it directly, or acting today).
  const std::vector<Recipient>& Recipients(const std::string& court_id, const std::string& role,
                                           absl::Time now);
  // Reads courts, policies and recipients of all `courts` at once (a sweep's incidents are of
  // many courts); the lookups above otherwise read one court at a time.
  void Preload(const std::vector<std::string>& courts, absl::Time now);
  // The end of the maintenance window covering (court, site) at `now`, if any.
  std::optional<absl::Time> MaintenanceUntil(const std::string& court_id, const std::string& site,
                                             absl::Time now);

 private:
  void LoadCourts(const std::vector<std::string>& courts);
  void LoadRecipients(const std::vector<std::string>& courts, absl::Time now);

  pqxx::work& txn_;
  std::map<std::string, CourtInfo> courts_;
  std::set<std::string> recipients_loaded_;
  std::map<std::string, PolicySpec> policies_;
  std::map<std::string, std::vector<Recipient>> recipients_;
  bool maintenance_loaded_ = false;
  absl::Time maintenance_at_;
  std::map<std::pair<std::string, std::string>, absl::Time> maintenance_;
};

// Serialises policy steps as the escalation_policies.steps column holds them, and back.
std::string StepsToText(const std::vector<EscalationStepSpec>& steps);
std::vector<EscalationStepSpec> StepsFromText(const std::string& text);

// What outbox rows to write for pages.
struct PageContext {
  const IncidentCatalog* catalog = nullptr;
  const std::vector<std::string>* channels = nullptr;
  const std::vector<std::string>* webhooks = nullptr;
  int flap_page_limit = 3;
};

// Queues one outbox row per (page, recipient, channel) and per webhook, rendered in Bahasa
// Indonesia (rows whose idempotency key exists are skipped when flushed). Queues
// "notify_failed" on the timeline when a role has nobody to page.
void EnqueuePages(PendingWrites& writes, OrgCache& org, const PageContext& ctx,
                  const IncidentRow& row, const std::vector<Page>& pages, absl::Time now);

// The incident as the operator API shows it.
v1::Incident ToProto(const IncidentRow& row, const IncidentCatalog& catalog, OrgCache& org,
                     absl::Time now);

}  // namespace pantau::collector::incidents_sql

#endif  // PANTAU_COLLECTOR_INCIDENTS_INCIDENTS_SQL_H_
