// Prometheus metrics of the agent, built on a registry the caller owns.
#ifndef PANTAU_AGENT_UPLINK_UPLINK_METRICS_H_
#define PANTAU_AGENT_UPLINK_UPLINK_METRICS_H_

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace pantau::agent {

// Thread-safe. `registry` must outlive this object.
class AgentMetrics {
 public:
  explicit AgentMetrics(prometheus::Registry& registry);

  // result: ok, duplicate, retry, rejected, too_large.
  void CountPush(const std::string& result) { pushes_.Add({{"result", result}}).Increment(); }
  void CountDrop(const std::string& priority) { drops_.Add({{"priority", priority}}).Increment(); }
  void CountProbe(bool up) { probes_.Add({{"result", up ? "up" : "down"}}).Increment(); }
  void SetSpooled(double n) { spooled_.Set(n); }

 private:
  prometheus::Family<prometheus::Counter>& pushes_;
  prometheus::Family<prometheus::Counter>& drops_;
  prometheus::Family<prometheus::Counter>& probes_;
  prometheus::Gauge& spooled_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_UPLINK_UPLINK_METRICS_H_
