// Internal to collector/incidents: the SQL shared by evaluation, escalation, operator actions
// and the outbox worker. Only these .cc files see libpqxx.
#ifndef PANTAU_COLLECTOR_INCIDENTS_INCIDENTS_SQL_H_
#define PANTAU_COLLECTOR_INCIDENTS_INCIDENTS_SQL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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
// Writes every mutable column of `row` back.
void UpdateIncident(pqxx::work& txn, const IncidentRow& row);
void InsertEvent(pqxx::work& txn, const IncidentRow& row, absl::Time at, const std::string& actor,
                 const std::string& action, const std::string& note);

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
  // The end of the maintenance window covering (court, site) at `now`, if any.
  std::optional<absl::Time> MaintenanceUntil(const std::string& court_id, const std::string& site,
                                             absl::Time now);

 private:
  pqxx::work& txn_;
  std::map<std::string, CourtInfo> courts_;
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

// Writes one outbox row per (page, recipient, channel) and per webhook, rendered in Bahasa
// Indonesia; rows whose idempotency key exists are skipped. Records "notify_failed" when a
// role has nobody to page. Returns the rows written.
int EnqueuePages(pqxx::work& txn, OrgCache& org, const PageContext& ctx, const IncidentRow& row,
                 const std::vector<Page>& pages, absl::Time now);

// The incident as the operator API shows it.
v1::Incident ToProto(const IncidentRow& row, const IncidentCatalog& catalog, OrgCache& org,
                     absl::Time now);

}  // namespace pantau::collector::incidents_sql

#endif  // PANTAU_COLLECTOR_INCIDENTS_INCIDENTS_SQL_H_
