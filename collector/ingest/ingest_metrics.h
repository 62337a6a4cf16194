// Prometheus metrics of the ingest path, built on a registry the caller owns.
//
//   IngestMetrics metrics(registry);
//   metrics.CountPush("ok");
//   for (const auto& [site, probe] : NewestHttpProbePerSite(request))
//     metrics.SetSite(request.court_id(), *probe);
//
// Per-site gauges (labels court, site):
//   pantau_site_up, pantau_site_latency_seconds, pantau_site_last_probe_timestamp_seconds,
//   pantau_site_tls_days_left (only while the newest HTTP probe read a certificate),
//   pantau_site_content_age_days (newest freshness report that could tell),
//   pantau_site_open_findings{kind} (open findings of that kind over all checks of the site;
//     the series goes away when no check reports the kind any more).
// Logwatch counters (labels court, site and fixed sets; never clients or URLs), added from
// each batch the collector stores (so sum them over collectors):
//   pantau_visitor_requests_total{status_class} (2xx, 3xx, 4xx, 5xx, other),
//   pantau_visitor_page_views_total, pantau_visitor_bot_requests_total,
//   pantau_visitor_bytes_total, pantau_visitor_attack_requests_total,
//   pantau_log_alerts_total{family,severity} (once per new alert, not per update),
//   pantau_bans_total{outcome} (banned, allowlisted, failed).
// Backups (agent backup summaries):
//   pantau_backups_total{outcome} (verified, unverified, failed; once per summary received,
//     so a verification on demand counts again),
//   pantau_backup_last_verified_age_seconds (age of the newest verified backup this collector
//     has seen for the site, brought up to date by RefreshBackupAges; absent until one arrives
//     after the collector started — the database and GetStatus have the full picture).
// Each collector sets them from the batches it stores, so behind a load balancer each one
// exports the sites of the agents it serves; the database holds the complete picture.
#ifndef PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_
#define PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/time/time.h"
#include "pantau/v1/events.pb.h"

namespace pantau::collector {

// Thread-safe. `registry` must outlive this object.
class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // result: ok, duplicate, invalid, too_large, unavailable, error.
  void CountPush(const std::string& result);
  void ObservePushSeconds(double seconds) { push_seconds_.Observe(seconds); }
  // kind: probe, heartbeat, check, log_alert, visitor_stats, ban, backup.
  void CountEvents(const std::string& kind, double n);

  // The per-site gauges below exist for at most kMaxSiteSeries distinct (court, site) pairs:
  // agents choose these labels, and prometheus-cpp keeps a series until it is removed, so an
  // unbounded set would grow the collector's memory without end. For the same reason a site
  // has at most kMaxFindingKindsPerSite pantau_site_open_findings series. Each setter ignores
  // data older than what it already applied for the same site (and check), so an agent's
  // backlog arriving late does not turn the gauges back.

  // From the newest HTTP probe of a site: up, latency, last probe time, TLS days left.
  void SetSite(const std::string& court_id, const v1::ProbeResult& probe);
  // From the newest run of one check on a site (a probe: check = its kind; a check report
  // that ran): its findings replace those the check reported before.
  void SetFindings(const std::string& court_id, const std::string& site, const std::string& check,
                   int64_t started_unix_ms,
                   const google::protobuf::RepeatedPtrField<v1::Finding>& findings);
  // Logwatch counters (see the top of this file). Bounded like the gauges: at most
  // kMaxSiteSeries sites, and at most kMaxAlertSeriesPerSite (family, severity) pairs a site.
  void CountVisitorStats(const std::string& court_id, const v1::VisitorStats& stats);
  void CountNewLogAlert(const std::string& court_id, const std::string& site,
                        const std::string& family, v1::Finding::Severity severity);
  void CountBan(const std::string& court_id, const v1::BanEvent& ban);

  // One backup summary: counts its outcome, and a verified one without error moves the site's
  // last verified backup (never backwards).
  void CountBackup(const std::string& court_id, const v1::BackupSummary& backup);
  // Sets pantau_backup_last_verified_age_seconds of every site to its age at `now`; does
  // nothing when the last refresh was less than kBackupAgeRefresh before `now`.
  void RefreshBackupAges(absl::Time now);
  static constexpr absl::Duration kBackupAgeRefresh = absl::Seconds(10);

  // From the newest freshness report of a site that knew the content age.
  void SetContentAge(const std::string& court_id, const std::string& site,
                     int64_t checked_unix_ms, double content_age_days);

  static constexpr size_t kMaxSiteSeries = 20000;
  static constexpr size_t kMaxFindingKindsPerSite = 32;
  static constexpr size_t kMaxAlertSeriesPerSite = 64;

 private:
  struct SiteState {
    prometheus::Labels labels;
    int64_t probe_started_unix_ms = INT64_MIN;
    int64_t content_checked_unix_ms = INT64_MIN;
    int64_t backup_verified_unix_ms = INT64_MIN;  // finish of the newest verified backup
    // Per check: when its applied run started and its distinct (kind, key) count per kind.
    std::map<std::string, std::pair<int64_t, std::map<std::string, int>>> checks;
    // Exported pantau_site_open_findings series, by kind.
    std::map<std::string, prometheus::Gauge*> finding_gauges;
    // Exported pantau_log_alerts_total series, by (family, severity name).
    std::map<std::pair<std::string, std::string>, prometheus::Counter*> alert_counters;
  };
  // The site's state, created on first use; nullptr when the series cap is reached.
  SiteState* Site(const std::string& court_id, const std::string& site)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, SiteState> sites_ ABSL_GUARDED_BY(mu_);
  absl::Time last_backup_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  prometheus::Family<prometheus::Counter>& pushes_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Histogram& push_seconds_;
  prometheus::Family<prometheus::Gauge>& site_up_;
  prometheus::Family<prometheus::Gauge>& site_latency_;
  prometheus::Family<prometheus::Gauge>& site_last_probe_;
  prometheus::Family<prometheus::Gauge>& site_tls_days_left_;
  prometheus::Family<prometheus::Gauge>& site_content_age_;
  prometheus::Family<prometheus::Gauge>& site_open_findings_;
  prometheus::Family<prometheus::Counter>& visitor_requests_;
  prometheus::Family<prometheus::Counter>& visitor_page_views_;
  prometheus::Family<prometheus::Counter>& visitor_bot_requests_;
  prometheus::Family<prometheus::Counter>& visitor_bytes_;
  prometheus::Family<prometheus::Counter>& visitor_attack_requests_;
  prometheus::Family<prometheus::Counter>& log_alerts_;
  prometheus::Family<prometheus::Counter>& bans_;
  prometheus::Family<prometheus::Counter>& backups_;
  prometheus::Family<prometheus::Gauge>& backup_age_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_
