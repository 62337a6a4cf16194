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

  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  PANTAU_RETURN_IF_ERROR(tls.status());
  PANTAU_RETURN_IF_ERROR(limits.status());
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
