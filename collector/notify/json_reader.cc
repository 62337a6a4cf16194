#include "collector/notify/json_reader.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace pantau::collector {

std::optional<int64_t> JsonValue::int64_value() const {
  if (type_ != Type::kNumber) return std::nullopt;
  if (text_.find_first_of(".eE") != std::string::npos) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(text_, &value)) return std::nullopt;  // out of range
  return value;
}

const JsonValue* JsonValue::Find(absl::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (auto it = object_.rbegin(); it != object_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

std::optional<std::string> JsonValue::FindString(absl::string_view key) const {
  const JsonValue* v = Find(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->string_value();
}

std::optional<int64_t> JsonValue::FindInt64(absl::string_view key) const {
  const JsonValue* v = Find(key);
  if (v == nullptr) return std::nullopt;
  return v->int64_value();
}

std::optional<bool> JsonValue::FindBool(absl::string_view key) const {
  const JsonValue* v = Find(key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->bool_value();
}

// Recursive descent; recursion depth is bounded by limits.max_depth, so the stack is too.
class JsonParser {
 public:
  JsonParser(absl::string_view text, const JsonReaderLimits& limits)
      : text_(text), limits_(limits) {}

  absl::StatusOr<JsonValue> Parse() {
    if (text_.size() > limits_.max_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("JSON: input of ", text_.size(),
                                                     " bytes is larger than the limit of ",
                                                     limits_.max_bytes));
    }
    JsonValue value;
    SkipWhitespace();
    if (!ParseValue(&value, 1)) return error_;
    SkipWhitespace();
    if (pos_ != text_.size()) {
      Fail("unexpected data after the value");
      return error_;
    }
    return value;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  // Records the first error with its position; returns false for `return Fail(...)`.
  bool Fail(absl::string_view problem) {
    if (!error_.ok()) return false;
    size_t line = 1;
    size_t line_start = 0;
    const size_t end = std::min(pos_, text_.size());
    for (size_t i = 0; i < end; ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    error_ = absl::InvalidArgumentError(
        absl::StrCat("JSON: ", problem, " at line ", line, " column ", end - line_start + 1));
    return false;
  }

  void SkipWhitespace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }

  bool ParseValue(JsonValue* out, int depth) {
    if (AtEnd()) return Fail("unexpected end of input");
    switch (Peek()) {
      case '{':
        return ParseObject(out, depth);
      case '[':
        return ParseArray(out, depth);
      case '"':
        out->type_ = JsonValue::Type::kString;
        return ParseString(&out->text_);
      case 't':
        return ParseLiteral("true", JsonValue::Type::kBool, true, out);
      case 'f':
        return ParseLiteral("false", JsonValue::Type::kBool, false, out);
      case 'n':
        return ParseLiteral("null", JsonValue::Type::kNull, false, out);
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) return ParseNumber(out);
        return Fail("unexpected character");
    }
  }

  bool ParseLiteral(absl::string_view word, JsonValue::Type type, bool value, JsonValue* out) {
    if (text_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    out->type_ = type;
    out->bool_ = value;
    return true;
  }

  bool ParseDigits() {
    const size_t start = pos_;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool ParseNumber(JsonValue* out) {
    const size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (AtEnd()) return Fail("incomplete number");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && Peek() >= '0' && Peek() <= '9') return Fail("leading zero in number");
    } else if (!ParseDigits()) {
      return Fail("invalid number");
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!ParseDigits()) return Fail("digits expected after '.'");
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!ParseDigits()) return Fail("digits expected in exponent");
    }
    out->type_ = JsonValue::Type::kNumber;
    out->text_ = std::string(text_.substr(start, pos_ - start));
    // The grammar was checked above; huge exponents read as ±infinity, tiny ones as 0.
    if (!absl::SimpleAtod(out->text_, &out->number_)) out->number_ = 0;
    return true;
  }

  // Four hex digits at pos_.
  bool ParseHex4(uint32_t* out) {
    if (text_.size() - pos_ < 4) return Fail("incomplete \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        digit = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        digit = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("invalid hex digit in \\u escape");
      }
      value = value * 16 + digit;
    }
    pos_ += 4;
    *out = value;
    return true;
  }

  // At the "u" of "\u": appends the escaped code point (a surrogate pair when one follows).
  bool ParseUnicodeEscape(std::string* out) {
    ++pos_;  // 'u'
    uint32_t cp = 0;
    if (!ParseHex4(&cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
      const size_t saved = pos_;
      pos_ += 2;
      uint32_t low = 0;
      if (!ParseHex4(&low)) return false;
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        pos_ = saved;  // not a pair: the second escape is read on its own
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // lone surrogate
    char bytes[4];
    out->append(bytes, static_cast<size_t>(EncodeUtf8(cp, bytes)));  // keeps U+0000
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      // Copy a run of plain ASCII at once.
      const size_t run = pos_;
      while (!AtEnd()) {
        const unsigned char c = static_cast<unsigned char>(Peek());
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++pos_;
      }
      out->append(text_.data() + run, pos_ - run);
      if (AtEnd()) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in string");
      if (c >= 0x80) {
        const int len = Utf8SequenceLength(text_, pos_);
        if (len == 0) return Fail("invalid UTF-8 in string");
        out->append(text_.data() + pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        continue;
      }
      // Backslash.
      ++pos_;
      if (AtEnd()) return Fail("unterminated escape");
      switch (Peek()) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u':
          if (!ParseUnicodeEscape(out)) return false;
          continue;
        default:
          return Fail("invalid escape in string");
      }
      ++pos_;
    }
  }

  bool EnterContainer(int depth) {
    if (depth > limits_.max_depth) {
      return Fail(absl::StrCat("nesting deeper than ", limits_.max_depth, " levels"));
    }
    ++pos_;  // '[' or '{'
    SkipWhitespace();
    return true;
  }

  bool ParseArray(JsonValue* out, int depth) {
    if (!EnterContainer(depth)) return false;
    out->type_ = JsonValue::Type::kArray;
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      out->array_.emplace_back();
      if (!ParseValue(&out->array_.back(), depth + 1)) return false;
      SkipWhitespace();
      if (AtEnd()) return Fail("unterminated array");
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("',' or ']' expected");
      ++pos_;
      SkipWhitespace();
    }
  }

  bool ParseObject(JsonValue* out, int depth) {
    if (!EnterContainer(depth)) return false;
    out->type_ = JsonValue::Type::kObject;
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      if (AtEnd() || Peek() != '"') return Fail("string key expected");
      out->object_.emplace_back();
      JsonValue::Member& member = out->object_.back();
      if (!ParseString(&member.first)) return false;
      SkipWhitespace();
      if (AtEnd() || Peek() != ':') return Fail("':' expected");
      ++pos_;
      SkipWhitespace();
      if (!ParseValue(&member.second, depth + 1)) return false;
      SkipWhitespace();
      if (AtEnd()) return Fail("unterminated object");
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("',' or '}' expected");
      ++pos_;
      SkipWhitespace();
    }
  }

  const absl::string_view text_;
  const JsonReaderLimits limits_;
  size_t pos_ = 0;
  absl::Status error_;
};

absl::StatusOr<JsonValue> ParseJson(absl::string_view text, const JsonReaderLimits& limits) {
  return JsonParser(text, limits).Parse();
}

}  // namespace pantau::collector
