// A small streaming JSON writer for command-line output (pantauctl --json and friends).
//
//   JsonWriter w;
//   w.BeginObject().Key("sites").BeginArray();
//   w.BeginObject().Key("site").String("demo").Key("up").Bool(true).EndObject();
//   w.EndArray().EndObject();
//   std::cout << w.str() << "\n";
//
// Not thread-safe. Strings are escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD.
#ifndef PANTAU_COMMON_JSON_WRITER_H_
#define PANTAU_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pantau {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);  // non-finite values are written as null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();
  void AppendEscaped(absl::string_view text);
  std::string out_;
  // Per open container: whether it already has an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace pantau

#endif  // PANTAU_COMMON_JSON_WRITER_H_
