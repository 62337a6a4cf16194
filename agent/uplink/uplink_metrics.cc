#include "agent/uplink/uplink_metrics.h"

namespace pantau::agent {

AgentMetrics::AgentMetrics(prometheus::Registry& registry)
    : pushes_(prometheus::BuildCounter()
                  .Name("pantau_agent_push_total")
                  .Help("Push calls by outcome (ok, duplicate, retry, rejected, too_large)")
                  .Register(registry)),
      drops_(prometheus::BuildCounter()
                 .Name("pantau_agent_spool_dropped_events_total")
                 .Help("Events dropped because the spool was full or the collector refused them")
                 .Register(registry)),
      probes_(prometheus::BuildCounter()
                  .Name("pantau_agent_probes_total")
                  .Help("Probes run, by result")
                  .Register(registry)),
      spooled_(prometheus::BuildGauge()
                   .Name("pantau_agent_spool_events")
                   .Help("Events waiting in the spool")
                   .Register(registry)
                   .Add({})) {}

}  // namespace pantau::agent
