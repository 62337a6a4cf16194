// Prometheus metrics of the ingest path, built on a registry the caller owns.
#ifndef PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_
#define PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "collector/store/store.h"

namespace pantau::collector {

// Thread-safe. `registry` must outlive this object.
class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // result: ok, duplicate, invalid, too_large, unavailable, error.
  void CountPush(const std::string& result);
  void ObservePushSeconds(double seconds) { push_seconds_.Observe(seconds); }
  void CountEvents(const std::string& kind, double n);
  // Per-site gauges from the newest probe of a site.
  void SetSite(const std::string& court_id, const std::string& site, bool up, double latency_s,
               double started_unix_s);

 private:
  prometheus::Family<prometheus::Counter>& pushes_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Histogram& push_seconds_;
  prometheus::Family<prometheus::Gauge>& site_up_;
  prometheus::Family<prometheus::Gauge>& site_latency_;
  prometheus::Family<prometheus::Gauge>& site_last_probe_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_
