#include "collector/ingest/ingest_metrics.h"

#include "absl/strings/str_cat.h"

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
                           .Register(registry)) {}

void IngestMetrics::CountPush(const std::string& result) {
  pushes_.Add({{"result", result}}).Increment();
}

void IngestMetrics::CountEvents(const std::string& kind, double n) {
  events_.Add({{"kind", kind}}).Increment(n);
}

void IngestMetrics::SetSite(const std::string& court_id, const std::string& site, bool up,
                            double latency_s, double started_unix_s) {
  {
    absl::MutexLock lock(&mu_);
    const std::string key = absl::StrCat(court_id, "\n", site);
    if (!sites_.contains(key)) {
      if (sites_.size() >= kMaxSiteSeries) return;
      sites_.insert(key);
    }
  }
  const prometheus::Labels labels{{"court", court_id}, {"site", site}};
  site_up_.Add(labels).Set(up ? 1 : 0);
  site_latency_.Add(labels).Set(latency_s);
  site_last_probe_.Add(labels).Set(started_unix_s);
}

}  // namespace pantau::collector
