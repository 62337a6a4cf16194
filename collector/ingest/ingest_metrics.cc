#include "collector/ingest/ingest_metrics.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/finding_severity.h"

namespace pantau::collector {

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : pushes_(prometheus::BuildCounter()
                  .Name("pantau_collector_push_requests_total")
                  .Help("Push calls by result (ok, duplicate, invalid, too_large, unavailable, error)")
                  .Register(registry)),
      events_(prometheus::BuildCounter()
                  .Name("pantau_collector_ingested_events_total")
                  .Help("Events stored, by kind")
                  .Register(registry)),
      push_seconds_(prometheus::BuildHistogram()
                        .Name("pantau_collector_push_duration_seconds")
                        .Help("Time to validate and store one Push batch")
                        .Register(registry)
                        .Add({}, prometheus::Histogram::BucketBoundaries{
                                     0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                     1, 2.5, 5})),
      site_up_(prometheus::BuildGauge()
                   .Name("pantau_site_up")
                   .Help("1 when the site's last probe succeeded, else 0")
                   .Register(registry)),
      site_latency_(prometheus::BuildGauge()
                        .Name("pantau_site_latency_seconds")
                        .Help("Total latency of the site's last probe")
                        .Register(registry)),
      site_last_probe_(prometheus::BuildGauge()
                           .Name("pantau_site_last_probe_timestamp_seconds")
                           .Help("Unix time when the site's last probe started")
                           .Register(registry)),
      site_tls_days_left_(prometheus::BuildGauge()
                              .Name("pantau_site_tls_days_left")
                              .Help("Whole days until the certificate of the site's last HTTPS "
                                    "probe expires (negative once expired)")
                              .Register(registry)),
      site_content_age_(prometheus::BuildGauge()
                            .Name("pantau_site_content_age_days")
                            .Help("Days since the site's content last changed, from its last "
                                  "freshness check that could tell")
                            .Register(registry)),
      site_open_findings_(prometheus::BuildGauge()
                              .Name("pantau_site_open_findings")
                              .Help("Findings of this kind open on the site (in the newest run "
                                    "of each check)")
                              .Register(registry)),
      visitor_requests_(prometheus::BuildCounter()
                            .Name("pantau_visitor_requests_total")
                            .Help("Requests in the site's access log, by status class")
                            .Register(registry)),
      visitor_page_views_(prometheus::BuildCounter()
                              .Name("pantau_visitor_page_views_total")
                              .Help("Successful page requests (not assets) in the site's access log")
                              .Register(registry)),
      visitor_bot_requests_(prometheus::BuildCounter()
                                .Name("pantau_visitor_bot_requests_total")
                                .Help("Requests by crawlers, tools and scripts (by User-Agent)")
                                .Register(registry)),
      visitor_bytes_(prometheus::BuildCounter()
                         .Name("pantau_visitor_bytes_total")
                         .Help("Response bytes in the site's access log")
                         .Register(registry)),
      visitor_attack_requests_(prometheus::BuildCounter()
                                   .Name("pantau_visitor_attack_requests_total")
                                   .Help("Requests that matched a signature rule")
                                   .Register(registry)),
      log_alerts_(prometheus::BuildCounter()
                      .Name("pantau_log_alerts_total")
                      .Help("New log alerts (suspicious activity in the site's logs), by rule "
                            "family and severity; counted once per alert, not per update")
                      .Register(registry)),
      bans_(prometheus::BuildCounter()
                .Name("pantau_bans_total")
                .Help("Active-response events by outcome (banned, allowlisted, failed)")
                .Register(registry)),
      backups_(prometheus::BuildCounter()
                   .Name("pantau_backups_total")
                   .Help("Backup summaries received, by outcome (verified, unverified, failed)")
                   .Register(registry)),
      backup_age_(prometheus::BuildGauge()
                      .Name("pantau_backup_last_verified_age_seconds")
                      .Help("Seconds since the site's newest verified backup finished")
                      .Register(registry)) {}

void IngestMetrics::CountPush(const std::string& result) {
  pushes_.Add({{"result", result}}).Increment();
}

void IngestMetrics::CountEvents(const std::string& kind, double n) {
  events_.Add({{"kind", kind}}).Increment(n);
}

IngestMetrics::SiteState* IngestMetrics::Site(const std::string& court_id,
                                              const std::string& site) {
  const std::string key = absl::StrCat(court_id, "\n", site);
  auto it = sites_.find(key);
  if (it == sites_.end()) {
    if (sites_.size() >= kMaxSiteSeries) return nullptr;
    it = sites_.emplace(key, SiteState{}).first;
    it->second.labels = {{"court", court_id}, {"site", site}};
  }
  return &it->second;
}

void IngestMetrics::SetSite(const std::string& court_id, const v1::ProbeResult& probe) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, probe.site());
  if (state == nullptr || probe.started_unix_ms() < state->probe_started_unix_ms) return;
  state->probe_started_unix_ms = probe.started_unix_ms();
  site_up_.Add(state->labels).Set(probe.up() ? 1 : 0);
  site_latency_.Add(state->labels).Set(probe.total_us() / 1e6);
  site_last_probe_.Add(state->labels).Set(probe.started_unix_ms() / 1e3);
  prometheus::Gauge& days = site_tls_days_left_.Add(state->labels);
  if (probe.tls_checked() && probe.tls_days_left_known()) {
    days.Set(probe.tls_days_left());
  } else {
    site_tls_days_left_.Remove(&days);  // a stale expiry is worse than none
  }
}

void IngestMetrics::SetFindings(const std::string& court_id, const std::string& site,
                                const std::string& check, int64_t started_unix_ms,
                                const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, site);
  if (state == nullptr) return;
  auto [it, inserted] = state->checks.try_emplace(check);
  if (!inserted && started_unix_ms < it->second.first) return;
  // Distinct (kind, key), as in the database's open set.
  std::set<std::pair<std::string, std::string>> distinct;
  for (const v1::Finding& f : findings) distinct.emplace(f.kind(), f.key());
  std::map<std::string, int> per_kind;
  for (const auto& [kind, key] : distinct) ++per_kind[kind];
  // Kept when empty too: its start time guards against an older run arriving later.
  it->second = {started_unix_ms, std::move(per_kind)};

  std::map<std::string, int> totals;
  for (const auto& [name, run] : state->checks) {
    for (const auto& [kind, n] : run.second) totals[kind] += n;
  }
  for (auto g = state->finding_gauges.begin(); g != state->finding_gauges.end();) {
    if (totals.count(g->first) == 0) {
      site_open_findings_.Remove(g->second);
      g = state->finding_gauges.erase(g);
    } else {
      ++g;
    }
  }
  for (const auto& [kind, n] : totals) {
    auto g = state->finding_gauges.find(kind);
    if (g == state->finding_gauges.end()) {
      if (state->finding_gauges.size() >= kMaxFindingKindsPerSite) continue;
      prometheus::Labels labels = state->labels;
      labels.emplace("kind", kind);
      g = state->finding_gauges.emplace(kind, &site_open_findings_.Add(labels)).first;
    }
    g->second->Set(n);
  }
}

namespace {

prometheus::Labels With(prometheus::Labels labels, const std::string& name,
                        const std::string& value) {
  labels.emplace(name, value);
  return labels;
}

}  // namespace

void IngestMetrics::CountVisitorStats(const std::string& court_id, const v1::VisitorStats& stats) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, stats.site());
  if (state == nullptr) return;
  const std::pair<const char*, int64_t> classes[] = {{"2xx", stats.status_2xx()},
                                                     {"3xx", stats.status_3xx()},
                                                     {"4xx", stats.status_4xx()},
                                                     {"5xx", stats.status_5xx()},
                                                     {"other", stats.status_other()}};
  for (const auto& [name, n] : classes) {
    // Every class exists from the first piece on, so rate() sees a series start at 0.
    visitor_requests_.Add(With(state->labels, "status_class", name)).Increment(n);
  }
  visitor_page_views_.Add(state->labels).Increment(stats.page_views());
  visitor_bot_requests_.Add(state->labels).Increment(stats.bot_requests());
  visitor_bytes_.Add(state->labels).Increment(stats.bytes());
  visitor_attack_requests_.Add(state->labels).Increment(stats.attack_requests());
}

void IngestMetrics::CountNewLogAlert(const std::string& court_id, const std::string& site,
                                     const std::string& family, v1::Finding::Severity severity) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, site);
  if (state == nullptr) return;
  const std::pair<std::string, std::string> key{family, SeverityName(severity)};
  auto it = state->alert_counters.find(key);
  if (it == state->alert_counters.end()) {
    if (state->alert_counters.size() >= kMaxAlertSeriesPerSite) return;
    prometheus::Labels labels = With(state->labels, "family", family);
    labels.emplace("severity", key.second);
    it = state->alert_counters.emplace(key, &log_alerts_.Add(labels)).first;
  }
  it->second->Increment();
}

void IngestMetrics::CountBan(const std::string& court_id, const v1::BanEvent& ban) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, ban.site());
  if (state == nullptr) return;
  bans_.Add(With(state->labels, "outcome", BanOutcomeName(ban.outcome()))).Increment();
}

void IngestMetrics::CountBackup(const std::string& court_id, const v1::BackupSummary& backup) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, backup.site());
  if (state == nullptr) return;
  const bool good = backup.error().empty() && backup.verified();
  const char* outcome = !backup.error().empty() ? "failed" : good ? "verified" : "unverified";
  for (const char* name : {"verified", "unverified", "failed"}) {
    // Every outcome exists from the first summary on, so rate() sees a series start at 0.
    prometheus::Counter& c = backups_.Add(With(state->labels, "outcome", name));
    if (std::string(name) == outcome) c.Increment();
  }
  if (good && backup.finished_unix_ms() > state->backup_verified_unix_ms) {
    state->backup_verified_unix_ms = backup.finished_unix_ms();
    last_backup_refresh_ = absl::InfinitePast();  // show it at the next refresh
  }
}

void IngestMetrics::RefreshBackupAges(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now - last_backup_refresh_ < kBackupAgeRefresh) return;
  last_backup_refresh_ = now;
  for (auto& [key, state] : sites_) {
    if (state.backup_verified_unix_ms == INT64_MIN) continue;
    const double age =
        absl::ToDoubleSeconds(now - absl::FromUnixMillis(state.backup_verified_unix_ms));
    backup_age_.Add(state.labels).Set(age < 0 ? 0 : age);
  }
}

void IngestMetrics::SetContentAge(const std::string& court_id, const std::string& site,
                                  int64_t checked_unix_ms, double content_age_days) {
  absl::MutexLock lock(&mu_);
  SiteState* state = Site(court_id, site);
  if (state == nullptr || checked_unix_ms < state->content_checked_unix_ms) return;
  state->content_checked_unix_ms = checked_unix_ms;
  site_content_age_.Add(state->labels).Set(content_age_days);
}

}  // namespace pantau::collector

