// A small, bounded JSON reader for the answers of the HTTP APIs the notifiers call (the
// Telegram Bot API above all). Untrusted input: it never crashes, nests at most
// `max_depth` levels and refuses input over `max_bytes`, and says where malformed input
// went wrong. Not a general-purpose library: no streaming, no writing (common/json_writer.h
// writes).
//
//   PANTAU_ASSIGN_OR_RETURN(JsonValue reply, ParseJson(body));
//   if (const JsonValue* ok = reply.Find("ok"); ok != nullptr && ok->is_bool() ...)
//   std::optional<int64_t> id = reply.FindInt64("update_id");
#ifndef PANTAU_COLLECTOR_NOTIFY_JSON_READER_H_
#define PANTAU_COLLECTOR_NOTIFY_JSON_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pantau::collector {

// One JSON value (a DOM node). Objects keep their members in document order, duplicates
// included; Find() returns the last of equal keys, as JavaScript does. Thread-compatible.
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;  // null

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The value when of that type; false / 0 / "" / empty otherwise.
  bool bool_value() const { return type_ == Type::kBool && bool_; }
  double number_value() const { return type_ == Type::kNumber ? number_ : 0; }
  // A number written as an integer (no fraction or exponent) that fits in int64_t; exact even
  // beyond 2^53 (Telegram's ids). nullopt otherwise.
  std::optional<int64_t> int64_value() const;
  // Strings: decoded UTF-8 (escapes resolved). Numbers: the text as written.
  const std::string& string_value() const { return text_; }
  const std::vector<JsonValue>& array() const { return array_; }
  const std::vector<Member>& object() const { return object_; }

  // Member `key` of an object; nullptr when absent or when this is not an object.
  const JsonValue* Find(absl::string_view key) const;
  // Typed shortcuts for members: nullopt when absent or of another type.
  std::optional<std::string> FindString(absl::string_view key) const;
  std::optional<int64_t> FindInt64(absl::string_view key) const;
  std::optional<bool> FindBool(absl::string_view key) const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string text_;
  std::vector<JsonValue> array_;
  std::vector<Member> object_;
};

struct JsonReaderLimits {
  // Longest accepted input, bytes.
  size_t max_bytes = 8 << 20;
  // Most nested arrays/objects (the top-level value counts as 1).
  int max_depth = 64;
};

// Parses one JSON text (RFC 8259: any value at the top, surrounding whitespace allowed).
// InvalidArgument "JSON: <problem> at line L column C" on malformed input, invalid UTF-8,
// too deep nesting or too large input. \u escapes become UTF-8 (surrogate pairs joined, a
// lone surrogate becomes U+FFFD).
absl::StatusOr<JsonValue> ParseJson(absl::string_view text, const JsonReaderLimits& limits = {});

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_NOTIFY_JSON_READER_H_
