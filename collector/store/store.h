// PostgreSQL storage for everything agents send and operators read. All state lives here, so
// any number of collectors can serve the same database.
//
//   PANTAU_ASSIGN_OR_RETURN(auto store, Store::Create(conninfo, /*pool_size=*/8));
//   PANTAU_ASSIGN_OR_RETURN(BatchOutcome out, store->StoreBatch(request));
#ifndef PANTAU_COLLECTOR_STORE_STORE_H_
#define PANTAU_COLLECTOR_STORE_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pantau/v1/agent_service.pb.h"

namespace pantau::collector {

class PgPool;

// A log alert the collector had not stored before (its first update), for the metrics.
struct NewLogAlert {
  std::string site;
  std::string family;
  v1::Finding::Severity severity = v1::Finding::SEVERITY_UNSPECIFIED;
};

struct BatchOutcome {
  // Highest batch_seq stored for the agent after the call.
  uint64_t acked_seq = 0;
  // True when the batch was at or below the stored seq and so not stored again.
  bool duplicate = false;
  // Alerts of this batch whose (agent, alert_id) had no row before it.
  std::vector<NewLogAlert> new_log_alerts;
};

// A stored log alert (the latest update of its (agent, alert_id)).
struct StoredLogAlert {
  std::string court_id;
  std::string agent_id;
  v1::LogAlert alert;
  // When the collector first stored it, and last changed it.
  absl::Time created_at;
  absl::Time updated_at;
};

// What Store::LogAlerts returns: alerts with last_seen >= since, newest last_seen first.
struct LogAlertQuery {
  std::string court_id;  // any court when empty
  std::string site;      // any site when empty
  bool open_only = false;
  absl::Time since = absl::InfinitePast();
  int limit = 100;  // 1..1000
};

// Visitor statistics of one site over a range of minutes (Store::VisitorStatsRange).
struct VisitorRange {
  // Minutes with data, oldest first; top lists empty.
  std::vector<v1::VisitorStats> minutes;
  // Sums over the range (minute_unix_s = the first minute asked for); unique_visitors is the
  // largest per-minute value (distinct clients over the whole range are not known). Top lists:
  // the 10 pages and clients and 20 countries with the highest sums, highest first.
  v1::VisitorStats totals;
};

// Log activity of one site for GetStatus.
struct SiteActivity {
  int64_t open_log_alerts = 0;
  int64_t recent_requests = 0;  // in the minutes since the time asked for
};

// A finding open now (open_findings), as GetStatus reports it.
struct OpenFinding {
  // The check that reported it: a CheckReport's check, or the probe kind ("http", "dns").
  std::string check;
  v1::Finding finding;
  // First report of the current streak, and the newest report that still had it.
  absl::Time first_seen;
  absl::Time last_seen;
};

// What is known of one site now: its newest HTTP probe (site_latest), its content age
// (site_content) and its open findings, as GetStatus reports it.
struct SiteLatest {
  std::string court_id;
  std::string site;
  std::string agent_id;
  std::string url;
  bool up = false;
  int http_status = 0;
  int64_t total_us = 0;
  std::string error;
  absl::Time started_at;
  // TLS of that probe; days left only when the certificate could be read.
  bool tls_checked = false;
  bool tls_verified = false;
  std::optional<int> tls_days_left;
  std::string tls_issuer;
  std::string tls_error;
  // From the newest freshness report that could tell.
  std::optional<double> content_age_days;
  std::string content_age_source;
  // Most severe first, then by kind, check and key.
  std::vector<OpenFinding> open_findings;
};

// A stored backup summary (the latest of its (agent, backup_id)).
struct StoredBackup {
  std::string court_id;
  std::string agent_id;
  v1::BackupSummary summary;
  absl::Time received_at;  // when the collector stored that summary
};

// What Store::Backups returns: newest start first.
struct BackupQuery {
  std::string court_id;  // any court when empty
  std::string site;      // any site when empty
  int limit = 100;       // 1..1001
};

// The backup state of one site, from its stored summaries.
struct SiteBackupState {
  std::string court_id;
  std::string site;
  // The newest backup run (by start): when it finished, verified, its error, the job interval
  // it reported (0 = not reported).
  absl::Time last_finished;
  bool last_verified = false;
  std::string last_error;
  int64_t interval_seconds = 0;
  // The newest verified backup without error (its finish), if any.
  std::optional<absl::Time> last_verified_finished;
  // The first backup the collector knows of (its finish): since when the site is backed up.
  absl::Time first_finished;
};

// The probe kind, with "" read as "http".
std::string ProbeKindOf(const v1::ProbeResult& probe);

// The newest HTTP probe result of each site in a batch (by started_unix_ms; of equal times the
// later event), keyed by site id. dns and tcp probes are left out: they never stand for the
// site's availability. Pointers point into `request`.
std::map<std::string, const v1::ProbeResult*> NewestHttpProbePerSite(
    const v1::PushRequest& request);

// One run of a check on a site: a probe result (check = its probe kind) or a check report
// that ran (error empty). Pointers point into the request.
struct CheckRun {
  const std::string* site = nullptr;
  std::string check;
  int64_t started_unix_ms = 0;
  const google::protobuf::RepeatedPtrField<v1::Finding>* findings = nullptr;
};

// The newest run of each (site, check) in a batch (of equal times the later event), sorted by
// site then check. Check reports with an error are left out: a check that could not run leaves
// the open findings of its (site, check) as they were.
std::vector<CheckRun> NewestCheckRuns(const v1::PushRequest& request);

// The newest check report per site that knows the content age (content_age_known, no error).
std::map<std::string, const v1::CheckReport*> NewestContentAgePerSite(
    const v1::PushRequest& request);

// One entry per alert_id of the batch's log alerts: the event with the latest last_seen (of
// equal ones the later event), in batch order. Pointers point into `request`.
std::vector<const v1::Event*> NewestLogAlerts(const v1::PushRequest& request);

// The batch's visitor statistics summed per (site, minute): counters added, unique_visitors
// the largest, top lists summed per key (sorted by key; they may exceed the per-event caps).
// Sorted by site, then minute.
std::vector<v1::VisitorStats> MergeVisitorStats(const v1::PushRequest& request);

// Thread-safe (each call takes its own pooled connection).
class Store {
 public:
  // Applies pending migrations, then opens the pool. Unavailable when PostgreSQL is down.
  static absl::StatusOr<std::unique_ptr<Store>> Create(const std::string& conninfo, int pool_size);
  ~Store();

  // Stores the batch's events and the agent's new last_seq in one transaction, so a batch is
  // stored exactly once however often it is pushed. The request must have been validated
  // (collector/ingest/validate.h). Probe results, check reports and findings go in with COPY;
  // then the newest HTTP probe per site moves site_latest (dns/tcp ones site_probe_latest),
  // the newest run per (site, check) (NewestCheckRuns) replaces the open findings of that
  // (site, check) unless a newer run was applied before, and the newest known content age
  // moves site_content. Log alerts replace their (agent, alert_id) row (NewestLogAlerts; an
  // update whose last_seen is before the stored one is ignored), visitor statistics are added
  // to their (site, minute) (MergeVisitorStats), bans are appended, backup summaries replace
  // the row of their (agent, backup_id). Unavailable when PostgreSQL
  // is down or the connection broke (nothing was committed, or the commit's fate is unknown:
  // either way a retry of the same batch is safe); InvalidArgument when PostgreSQL refuses the
  // data itself.
  absl::StatusOr<BatchOutcome> StoreBatch(const v1::PushRequest& request);

  // Every site with an HTTP probe, sorted by court then site; all courts when `court_id` is
  // empty. Sites known only from dns/tcp probes or check reports are not listed.
  absl::StatusOr<std::vector<SiteLatest>> LatestBySite(const std::string& court_id);

  // Log alerts matching `query` (see LogAlertQuery). InvalidArgument when limit is outside
  // 1..1000.
  absl::StatusOr<std::vector<StoredLogAlert>> LogAlerts(const LogAlertQuery& query);

  // Visitor statistics of `site` (of `court_id`, or summed over courts when empty) for the
  // minutes starting in [from, to).
  absl::StatusOr<VisitorRange> VisitorStatsRange(const std::string& court_id,
                                                 const std::string& site, absl::Time from,
                                                 absl::Time to);

  // Per (court, site): open log alerts, and requests in minutes starting at or after `since`.
  // Only sites with either are present; all courts when `court_id` is empty.
  absl::StatusOr<std::map<std::pair<std::string, std::string>, SiteActivity>> ActivityBySite(
      const std::string& court_id, absl::Time since);

  // Backups matching `query`. InvalidArgument when limit is outside 1..1001.
  absl::StatusOr<std::vector<StoredBackup>> Backups(const BackupQuery& query);

  // The backup state of every site with a backup (of `court_id` / `site` when not empty),
  // sorted by court then site.
  absl::StatusOr<std::vector<SiteBackupState>> BackupStates(const std::string& court_id,
                                                            const std::string& site);

  // Central probe list of an agent (probe_targets); empty when none is set.
  absl::StatusOr<std::vector<v1::ProbeTarget>> ProbeTargets(const std::string& agent_id);

 private:
  explicit Store(std::unique_ptr<PgPool> pool);
  absl::StatusOr<BatchOutcome> StoreBatchOnce(const v1::PushRequest& request);
  std::unique_ptr<PgPool> pool_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_STORE_H_
