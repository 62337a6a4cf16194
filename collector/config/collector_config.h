// The collector's configuration: one immutable struct, loaded and validated once from YAML.
//
//   PANTAU_ASSIGN_OR_RETURN(CollectorConfig config, LoadCollectorConfig("/etc/pantau/collector.yaml"));
#ifndef PANTAU_COLLECTOR_CONFIG_COLLECTOR_CONFIG_H_
#define PANTAU_COLLECTOR_CONFIG_COLLECTOR_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/notify/notifier.h"

namespace pantau::collector {

// Limits on what agents may send. Breaking one is refused with INVALID_ARGUMENT or
// RESOURCE_EXHAUSTED and a message naming the limit.
struct IngestLimits {
  // Largest accepted gRPC message, bytes (YAML limits.max_message_bytes). Default 4 MiB.
  int64_t max_message_bytes = 4 << 20;
  // Most events in one Push (limits.max_events_per_batch). Default 1000.
  int max_events_per_batch = 1000;
  // Longest string field, bytes (limits.max_string_bytes); some fields have lower limits of
  // their own (site ids 128, error texts 1024). Default 2048.
  int max_string_bytes = 2048;
};

// Incident evaluation and escalation (incidents:).
struct IncidentsConfig {
  // Real time between escalation sweeps (sweep_interval_seconds). Default 5 s.
  absl::Duration sweep_interval = absl::Seconds(5);
  // Real time between evaluations of every site (full_evaluation_interval_seconds; 0 = never).
  // Default 300 s.
  absl::Duration full_evaluation_interval = absl::Minutes(5);
  // A signal back within this time reopens the resolved incident (flap_window_seconds).
  // Default 1800 s.
  absl::Duration flap_window = absl::Minutes(30);
  // Reopenings after which reopening pages nobody (flap_page_limit). Default 3.
  int flap_page_limit = 3;
  // Outbox delivery: idle poll (outbox_poll_seconds, default 1), retry backoff
  // (retry_initial_seconds 10, retry_max_seconds 600).
  absl::Duration outbox_poll = absl::Seconds(1);
  absl::Duration retry_initial = absl::Seconds(10);
  absl::Duration retry_max = absl::Minutes(10);
};

struct CollectorConfig {
  // gRPC listen address, host:port (listen). Default 127.0.0.1:7443. Port 0 picks a free one.
  std::string listen = "127.0.0.1:7443";
  // Prometheus /metrics address (metrics_listen); empty disables it. Default 127.0.0.1:9464.
  std::string metrics_listen = "127.0.0.1:9464";
  // libpq connection string (database), e.g. "host=/run/postgresql dbname=pantau". Required.
  // Keep passwords out of it: use ~/.pgpass or PGPASSFILE.
  std::string database;
  // Most PostgreSQL connections held open for ingest and operator reads (database_pool_size).
  // Default 8. The incident engine and the outbox worker hold up to 4 more.
  int database_pool_size = 8;
  // PEM files for TLS (tls.cert_file, tls.key_file). Both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Serve without TLS (insecure). Must be said explicitly; only for tests and loopback demos.
  bool insecure = false;
  // Time allowed for in-flight calls to finish on SIGTERM (shutdown_grace_seconds). Default 10 s.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Log level: debug, info, warning, error (log_level). Default info.
  std::string log_level = "info";
  IngestLimits limits;
  // Where data/incidents/rules.yaml and runbooks.yaml live (data_dir). Default
  // /usr/share/pantau/data; the dev stack uses the repository's data/.
  std::string data_dir = "/usr/share/pantau/data";
  IncidentsConfig incidents;
  // Notification channels (notify:); see docs/NOTIFICATIONS.md.
  NotifyConfig notify;
};

// Loads and validates; InvalidArgument names the file, line and key of the first problem.
absl::StatusOr<CollectorConfig> LoadCollectorConfig(const std::string& path);
absl::StatusOr<CollectorConfig> ParseCollectorConfig(absl::string_view yaml,
                                                     absl::string_view source_name);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_CONFIG_COLLECTOR_CONFIG_H_
