// Typed reads of YAML config fields with errors that name the key and its line, shared by
// the agent's and the collector's config loaders. yaml-cpp exceptions stop here.
//
//   YAML::Node root;
//   PANTAU_ASSIGN_OR_RETURN(root, LoadYamlFile(path));
//   YamlFields f(root, path);
//   config.agent_id = f.String("agent_id", /*required=*/true);
//   config.interval = f.Seconds("interval_seconds", absl::Seconds(30), 5, 86400);
//   PANTAU_RETURN_IF_ERROR(f.status());
#ifndef PANTAU_COMMON_YAML_FIELDS_H_
#define PANTAU_COMMON_YAML_FIELDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace pantau {

// Parses a YAML file; InvalidArgument with file:line on a syntax error, NotFound when missing.
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path);
absl::StatusOr<YAML::Node> ParseYaml(absl::string_view text, absl::string_view source_name);

// Reads fields of one mapping node. Collects the first error; later reads return defaults.
// Keys not read by anyone are reported by CheckNoUnknownKeys() (a typo must not pass silently).
// Not thread-safe.
class YamlFields {
 public:
  // `source` is the file name used in errors; `prefix` the dotted path of `node` ("collector.").
  YamlFields(YAML::Node node, std::string source, std::string prefix = "");

  bool Has(absl::string_view key) const;
  std::string String(absl::string_view key, bool required, absl::string_view default_value = "");
  int64_t Int(absl::string_view key, int64_t default_value, int64_t min, int64_t max);
  bool Bool(absl::string_view key, bool default_value);
  // A number within [min, max]; `unit` (e.g. "days") only words the error.
  double Double(absl::string_view key, double default_value, double min, double max,
                absl::string_view unit = "");
  // A duration given as a number of seconds (fractions allowed).
  absl::Duration Seconds(absl::string_view key, absl::Duration default_value, double min,
                         double max);
  std::vector<int64_t> IntList(absl::string_view key, int64_t min, int64_t max);
  // A list of non-empty strings, each at most max_bytes, at most max_items of them.
  std::vector<std::string> StringList(absl::string_view key, size_t max_items = 100,
                                      size_t max_bytes = 1024);
  // A sub-mapping (empty node when absent).
  YAML::Node Map(absl::string_view key);
  // A sequence of mappings (empty when absent).
  std::vector<YAML::Node> MapList(absl::string_view key);

  // Records an error about `key` (for checks that only the caller can make).
  void Fail(absl::string_view key, absl::string_view message);
  void CheckNoUnknownKeys();
  const absl::Status& status() const { return status_; }
  const std::string& source() const { return source_; }
  std::string Where(absl::string_view key) const;

 private:
  YAML::Node Get(absl::string_view key);
  YAML::Node node_;
  std::string source_;
  std::string prefix_;
  std::vector<std::string> read_keys_;
  absl::Status status_;
};

}  // namespace pantau

#endif  // PANTAU_COMMON_YAML_FIELDS_H_
