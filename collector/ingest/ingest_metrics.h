// Prometheus metrics of the ingest path, built on a registry the caller owns.
#ifndef PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_
#define PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

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
  // Per-site gauges from the newest probe of a site. At most kMaxSiteSeries distinct
  // (court, site) pairs get series: agents choose these labels, and prometheus-cpp never
  // forgets a series, so an unbounded set would grow the collector's memory without end.
  void SetSite(const std::string& court_id, const std::string& site, bool up, double latency_s,
               double started_unix_s);

  static constexpr size_t kMaxSiteSeries = 20000;

 private:
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> sites_ ABSL_GUARDED_BY(mu_);
  prometheus::Family<prometheus::Counter>& pushes_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Histogram& push_seconds_;
  prometheus::Family<prometheus::Gauge>& site_up_;
  prometheus::Family<prometheus::Gauge>& site_latency_;
  prometheus::Family<prometheus::Gauge>& site_last_probe_;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_INGEST_METRICS_H_
