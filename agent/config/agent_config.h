// The agent's configuration: one immutable struct, loaded and validated once from YAML.
//
//   PANTAU_ASSIGN_OR_RETURN(AgentConfig config, LoadAgentConfig("/etc/pantau/agent.yaml"));
#ifndef PANTAU_AGENT_CONFIG_AGENT_CONFIG_H_
#define PANTAU_AGENT_CONFIG_AGENT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pantau::agent {

// One monitored site (YAML: an entry of `sites`).
struct SiteConfig {
  // Site id, 1..128 bytes of [A-Za-z0-9._-] (id). Required, unique.
  std::string id;
  // http:// or https:// URL to probe (url). Required.
  std::string url;
  // Time between probes (interval_seconds, 1..86400). Default 60 s.
  absl::Duration interval = absl::Seconds(60);
  // Each probe is moved by a random amount in [0, jitter] so probes of many agents do not
  // arrive together (jitter_seconds, 0..3600, at most the interval). Default 2 s.
  absl::Duration jitter = absl::Seconds(2);
  // Whole-probe timeout (timeout_seconds, 0.1..120). Default 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // Status codes that count as up (expected_status). Empty = 200..399.
  std::vector<int> expected_status;
};

// Where and how to reach the collector (YAML: `collector`).
struct CollectorLinkConfig {
  // host:port (address). Required.
  std::string address;
  // CA certificate (PEM) that signed the collector's certificate (ca_file); empty = system CAs.
  std::string ca_file;
  // Plaintext gRPC (insecure). Only for tests and loopback demos. Default false.
  bool insecure = false;
  // File holding this agent's token, sent as "authorization: Bearer" (token_file). Optional.
  std::string token_file;
  // Deadline of one Push call (push_timeout_seconds, 1..300). Default 15 s.
  absl::Duration push_timeout = absl::Seconds(15);
  // Retry backoff after a failed push: starts at initial, doubles up to max, with jitter
  // (backoff_initial_seconds 0.05..60, default 0.5; backoff_max_seconds 1..3600, default 60).
  absl::Duration backoff_initial = absl::Milliseconds(500);
  absl::Duration backoff_max = absl::Seconds(60);
};

// The durable outbox (YAML: `spool`).
struct SpoolConfig {
  // Most events kept while the collector is unreachable (max_events, 100..10000000); beyond it
  // the least important events are dropped, each drop counted and logged. Default 100000.
  int64_t max_events = 100000;
  // Most events per Push (batch_max_events, 1..1000). Default 500.
  int batch_max_events = 500;
};

struct AgentConfig {
  // This agent's id, 1..128 bytes of [A-Za-z0-9._-] (agent_id). Required.
  std::string agent_id;
  // Court (satker) code, e.g. "PN-JKT-PST" (court_id, 0..64 bytes). Default empty.
  std::string court_id;
  // Directory for the agent's state: the spool database (state_dir). Default /var/lib/pantau-agent.
  std::string state_dir = "/var/lib/pantau-agent";
  // Prometheus /metrics address (metrics_listen); empty disables it. Default empty.
  std::string metrics_listen;
  // Log level (log_level): debug, info, warning, error. Default info.
  std::string log_level = "info";
  // How often a heartbeat is sent (heartbeat_seconds, 5..3600). Default 60 s.
  absl::Duration heartbeat_interval = absl::Seconds(60);
  // Most response-body bytes read per probe (max_body_bytes, 1024..1 GiB). Default 5 MiB.
  int64_t max_body_bytes = 5 << 20;
  CollectorLinkConfig collector;
  SpoolConfig spool;
  std::vector<SiteConfig> sites;
};

// Loads and validates; InvalidArgument names the file, line and key of the first problem.
absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path);
absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view yaml, absl::string_view source_name);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONFIG_AGENT_CONFIG_H_
