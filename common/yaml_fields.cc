#include "common/yaml_fields.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace pantau {
namespace {
bool Absent(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }
}  // namespace

absl::StatusOr<YAML::Node> ParseYaml(absl::string_view text, absl::string_view source_name) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    if (!node.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": the top level must be a mapping of keys to values"));
    }
    return node;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": ", e.msg));
  }
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (buffer.str().size() > (4u << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 4 MiB"));
  }
  return ParseYaml(buffer.str(), path);
}

YamlFields::YamlFields(YAML::Node node, std::string source, std::string prefix)
    : node_(std::move(node)), source_(std::move(source)), prefix_(std::move(prefix)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(source_, ":", node_.Mark().line + 1, ": ", prefix_.empty() ? "top level" : prefix_,
                     " must be a mapping"));
  }
}

std::string YamlFields::Where(absl::string_view key) const {
  int line = 0;
  try {
    if (node_.IsMap()) {
      const YAML::Node& map = node_;
      const YAML::Node child = map[std::string(key)];  // constructed, never assigned: an
                                                       // absent key is an invalid node
      if (child.IsDefined()) line = child.Mark().line + 1;
    }
    if (line <= 0 && node_.IsDefined()) line = node_.Mark().line + 1;
  } catch (const YAML::Exception&) {
    line = 0;
  }
  if (line <= 0) return absl::StrCat(source_, ": ", prefix_, key);
  return absl::StrCat(source_, ":", line, ": ", prefix_, key);
}

void YamlFields::Fail(absl::string_view key, absl::string_view message) {
  if (!status_.ok()) return;
  status_ = absl::InvalidArgumentError(absl::StrCat(Where(key), ": ", message));
}

bool YamlFields::Has(absl::string_view key) const {
  if (!node_.IsMap()) return false;
  const YAML::Node& map = node_;
  return !Absent(map[std::string(key)]);
}

YAML::Node YamlFields::Get(absl::string_view key) {
  read_keys_.emplace_back(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = node_;  // const: operator[] must not insert the key
  YAML::Node child = map[std::string(key)];
  if (!child.IsDefined() || child.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return child;
}

std::string YamlFields::String(absl::string_view key, bool required,
                               absl::string_view default_value) {
  YAML::Node n = Get(key);
  if (Absent(n)) {
    if (required) Fail(key, "is required");
    return std::string(default_value);
  }
  if (!n.IsScalar()) {
    Fail(key, "must be a string");
    return std::string(default_value);
  }
  return n.Scalar();
}

int64_t YamlFields::Int(absl::string_view key, int64_t default_value, int64_t min, int64_t max) {
  YAML::Node n = Get(key);
  if (Absent(n)) return default_value;
  try {
    int64_t v = n.as<int64_t>();
    if (v < min || v > max) {
      Fail(key, absl::StrCat("must be between ", min, " and ", max, ", got ", v));
      return default_value;
    }
    return v;
  } catch (const YAML::Exception&) {
    Fail(key, absl::StrCat("must be a whole number, got '", n.IsScalar() ? n.Scalar() : "?", "'"));
    return default_value;
  }
}

bool YamlFields::Bool(absl::string_view key, bool default_value) {
  YAML::Node n = Get(key);
  if (Absent(n)) return default_value;
  try {
    return n.as<bool>();
  } catch (const YAML::Exception&) {
    Fail(key, "must be true or false");
    return default_value;
  }
}

double YamlFields::Double(absl::string_view key, double default_value, double min, double max,
                          absl::string_view unit) {
  YAML::Node n = Get(key);
  if (Absent(n)) return default_value;
  const std::string suffix = unit.empty() ? "" : absl::StrCat(" ", unit);
  try {
    double v = n.as<double>();
    if (!(v >= min && v <= max)) {
      Fail(key, absl::StrCat("must be between ", min, " and ", max, suffix, ", got ", v));
      return default_value;
    }
    return v;
  } catch (const YAML::Exception&) {
    Fail(key, unit.empty() ? "must be a number" : absl::StrCat("must be a number of", suffix));
    return default_value;
  }
}

absl::Duration YamlFields::Seconds(absl::string_view key, absl::Duration default_value,
                                   double min, double max) {
  return absl::Seconds(Double(key, absl::ToDoubleSeconds(default_value), min, max, "seconds"));
}

std::vector<std::string> YamlFields::StringList(absl::string_view key, size_t max_items,
                                                size_t max_bytes) {
  std::vector<std::string> out;
  YAML::Node n = Get(key);
  if (Absent(n)) return out;
  if (!n.IsSequence()) {
    Fail(key, "must be a list of strings");
    return out;
  }
  if (n.size() > max_items) {
    Fail(key, absl::StrCat("has ", n.size(), " entries; at most ", max_items, " are allowed"));
    return out;
  }
  for (const YAML::Node& item : n) {
    if (!item.IsScalar()) {
      Fail(key, "must be a list of strings");
      return {};
    }
    if (item.Scalar().empty() || item.Scalar().size() > max_bytes ||
        item.Scalar().find('\0') != std::string::npos) {
      Fail(key, absl::StrCat("entries must be 1..", max_bytes, " bytes without NUL"));
      return {};
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::vector<int64_t> YamlFields::IntList(absl::string_view key, int64_t min, int64_t max) {
  std::vector<int64_t> out;
  YAML::Node n = Get(key);
  if (Absent(n)) return out;
  if (!n.IsSequence()) {
    Fail(key, "must be a list of numbers");
    return out;
  }
  for (const YAML::Node& item : n) {
    try {
      int64_t v = item.as<int64_t>();
      if (v < min || v > max) {
        Fail(key, absl::StrCat("values must be between ", min, " and ", max, ", got ", v));
        return {};
      }
      out.push_back(v);
    } catch (const YAML::Exception&) {
      Fail(key, "must be a list of whole numbers");
      return {};
    }
  }
  return out;
}

YAML::Node YamlFields::Map(absl::string_view key) {
  YAML::Node n = Get(key);
  if (!Absent(n) && !n.IsMap()) {
    Fail(key, "must be a mapping");
    return YAML::Node();
  }
  return n;
}

std::vector<YAML::Node> YamlFields::MapList(absl::string_view key) {
  std::vector<YAML::Node> out;
  YAML::Node n = Get(key);
  if (Absent(n)) return out;
  if (!n.IsSequence()) {
    Fail(key, "must be a list");
    return out;
  }
  for (const YAML::Node& item : n) {
    if (!item.IsMap()) {
      Fail(key, "every entry must be a mapping");
      return {};
    }
    out.push_back(item);
  }
  return out;
}

void YamlFields::CheckNoUnknownKeys() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      continue;
    }
    if (std::find(read_keys_.begin(), read_keys_.end(), key) == read_keys_.end()) {
      Fail(key, "unknown key (misspelt?)");
    }
  }
}

}  // namespace pantau
