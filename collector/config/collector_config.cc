#include "collector/config/collector_config.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"

namespace pantau::collector {
namespace {

absl::StatusOr<CollectorConfig> FromYaml(const YAML::Node& root, const std::string& source) {
  CollectorConfig c;
  YamlFields f(root, source);
  c.listen = f.String("listen", false, c.listen);
  c.metrics_listen = f.String("metrics_listen", false, c.metrics_listen);
  c.database = f.String("database", true);
  c.database_pool_size = static_cast<int>(f.Int("database_pool_size", c.database_pool_size, 1, 500));
  c.insecure = f.Bool("insecure", false);
  c.shutdown_grace = f.Seconds("shutdown_grace_seconds", c.shutdown_grace, 0, 600);
  c.log_level = f.String("log_level", false, c.log_level);
  LogLevel level;
  if (!ParseLogLevel(c.log_level, &level)) f.Fail("log_level", "must be debug, info, warning or error");

  YamlFields tls(f.Map("tls"), source, "tls.");
  c.tls_cert_file = tls.String("cert_file", false);
  c.tls_key_file = tls.String("key_file", false);
  tls.CheckNoUnknownKeys();
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    tls.Fail("cert_file", "tls.cert_file and tls.key_file go together");
  }

  YamlFields limits(f.Map("limits"), source, "limits.");
  c.limits.max_message_bytes =
      limits.Int("max_message_bytes", c.limits.max_message_bytes, 1024, 64 << 20);
  c.limits.max_events_per_batch = static_cast<int>(
      limits.Int("max_events_per_batch", c.limits.max_events_per_batch, 1, 100000));
  c.limits.max_string_bytes =
      static_cast<int>(limits.Int("max_string_bytes", c.limits.max_string_bytes, 128, 65536));
  limits.CheckNoUnknownKeys();

  c.data_dir = f.String("data_dir", false, c.data_dir);
  YamlFields inc(f.Map("incidents"), source, "incidents.");
  IncidentsConfig& i = c.incidents;
  i.sweep_interval = inc.Seconds("sweep_interval_seconds", i.sweep_interval, 0.05, 3600);
  i.full_evaluation_interval =
      inc.Seconds("full_evaluation_interval_seconds", i.full_evaluation_interval, 0, 86400);
  i.flap_window = inc.Seconds("flap_window_seconds", i.flap_window, 0, 86400);
  i.flap_page_limit = static_cast<int>(inc.Int("flap_page_limit", i.flap_page_limit, 1, 1000));
  i.outbox_poll = inc.Seconds("outbox_poll_seconds", i.outbox_poll, 0.05, 60);
  i.retry_initial = inc.Seconds("retry_initial_seconds", i.retry_initial, 0.01, 3600);
  i.retry_max = inc.Seconds("retry_max_seconds", i.retry_max, 0.01, 86400);
  inc.CheckNoUnknownKeys();
  const YAML::Node notify = f.Map("notify");

  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  PANTAU_RETURN_IF_ERROR(tls.status());
  PANTAU_RETURN_IF_ERROR(limits.status());
  PANTAU_RETURN_IF_ERROR(inc.status());
  PANTAU_ASSIGN_OR_RETURN(c.notify, ParseNotifyConfig(notify, source));
  if (c.tls_cert_file.empty() && !c.insecure) {
    return absl::InvalidArgumentError(
        source + ": no TLS configured: set tls.cert_file and tls.key_file, or insecure: true "
                 "to serve plaintext (tests and loopback demos only)");
  }
  return c;
}

// yaml-cpp reports some shapes of input only by throwing; none of it may escape.
absl::StatusOr<CollectorConfig> GuardedFromYaml(const YAML::Node& root, const std::string& source) {
  try {
    return FromYaml(root, source);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<CollectorConfig> ParseCollectorConfig(absl::string_view yaml,
                                                     absl::string_view source_name) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(yaml, source_name));
  return GuardedFromYaml(root, std::string(source_name));
}

absl::StatusOr<CollectorConfig> LoadCollectorConfig(const std::string& path) {
  PANTAU_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(path));
  return GuardedFromYaml(root, path);
}

}  // namespace pantau::collector
