#include "collector/notify/json_reader.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ParseJson, ReadsEveryKindOfValue) {
  ASSERT_OK_AND_ASSIGN(JsonValue v,
                       ParseJson(R"( {"s":"teks","n":-12.5e1,"i":42,"t":true,"f":false,"z":null,
                     "a":[1,"dua",[]],"o":{}} )"));
  ASSERT_TRUE(v.is_object());
  EXPECT_THAT(v.FindString("s"), Optional(std::string("teks")));
  EXPECT_DOUBLE_EQ(v.Find("n")->number_value(), -125);
  EXPECT_EQ(v.Find("n")->int64_value(), std::nullopt);  // written with an exponent
  EXPECT_THAT(v.FindInt64("i"), Optional(int64_t{42}));
  EXPECT_THAT(v.FindBool("t"), Optional(true));
  EXPECT_THAT(v.FindBool("f"), Optional(false));
  EXPECT_TRUE(v.Find("z")->is_null());
  ASSERT_TRUE(v.Find("a")->is_array());
  EXPECT_EQ(v.Find("a")->array().size(), 3u);
  EXPECT_EQ(v.Find("a")->array()[1].string_value(), "dua");
  EXPECT_TRUE(v.Find("o")->is_object());
  EXPECT_EQ(v.Find("missing"), nullptr);
  EXPECT_EQ(v.FindString("i"), std::nullopt);  // wrong type
  EXPECT_EQ(v.Find("a")->Find("x"), nullptr);  // not an object
}

TEST(ParseJson, TopLevelScalarsAndDuplicateKeys) {
  EXPECT_THAT(ParseJson("  7 "), IsOk());
  EXPECT_THAT(ParseJson("\"x\""), IsOk());
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"({"k":1,"k":2})"));
  EXPECT_EQ(v.object().size(), 2u);
  EXPECT_THAT(v.FindInt64("k"), Optional(int64_t{2}));  // the last one, as in JavaScript
}

TEST(ParseJson, KeepsLargeIntegersExact) {
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"({"chat":-1001234567890123,"big":9007199254740993,
                                     "over":92233720368547758070})"));
  EXPECT_THAT(v.FindInt64("chat"), Optional(int64_t{-1001234567890123}));
  EXPECT_THAT(v.FindInt64("big"), Optional(int64_t{9007199254740993}));
  EXPECT_EQ(v.FindInt64("over"), std::nullopt);
  EXPECT_GT(v.Find("over")->number_value(), 9e19);
}

TEST(ParseJson, DecodesEscapesIncludingSurrogatePairs) {
  ASSERT_OK_AND_ASSIGN(
      JsonValue v,
      ParseJson(R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u2014", "\ud83d\ude00", "\ud800x", "\udc00",
                    "\u0000", "caf\u00C9", "langsung — é"])"));
  const auto& a = v.array();
  EXPECT_EQ(a[0].string_value(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(a[1].string_value(), "\xC3\xA9\xE2\x80\x94");  // é—
  EXPECT_EQ(a[2].string_value(), "\xF0\x9F\x98\x80");      // U+1F600
  EXPECT_EQ(a[3].string_value(), "\xEF\xBF\xBDx");         // lone high surrogate
  EXPECT_EQ(a[4].string_value(), "\xEF\xBF\xBD");          // lone low surrogate
  EXPECT_EQ(a[5].string_value(), std::string("\0", 1));
  EXPECT_EQ(a[6].string_value(), "caf\xC3\x89");
  EXPECT_EQ(a[7].string_value(), "langsung — é");
}

TEST(ParseJson, RejectsMalformedInputWithItsPosition) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"", "unexpected end"},
      {"{", "string key expected"},
      {"{\"a\" 1}", "':' expected"},
      {"{\"a\":1,}", "string key expected"},
      {"[1,]", "unexpected character"},
      {"[1 2]", "',' or ']' expected"},
      {"\"open", "unterminated string"},
      {"\"a\nb\"", "control character"},
      {"\"\\x\"", "invalid escape"},
      {"\"\\u12g4\"", "invalid hex digit"},
      {"\"\\u12", "incomplete \\u escape"},
      {"01", "leading zero"},
      {"1.", "digits expected after '.'"},
      {"1e+", "digits expected in exponent"},
      {"-", "incomplete number"},
      {"tru", "invalid literal"},
      {"nul", "invalid literal"},
      {"{} x", "unexpected data after the value"},
      {"\"\xC3\x28\"", "invalid UTF-8"},
      {"'single'", "unexpected character"},
      {"NaN", "unexpected character"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseJson(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.problem)))
        << c.text;
  }
  EXPECT_THAT(ParseJson("{\n  \"a\": [1,\n    x]}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3 column 5")));
}

TEST(ParseJson, LimitsNestingDepth) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_THAT(ParseJson(ok), IsOk());
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_THAT(ParseJson(deep),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nesting deeper than 64")));
  // Far deeper input must not exhaust the stack.
  std::string very_deep;
  for (int i = 0; i < 100000; ++i) very_deep += "{\"a\":";
  EXPECT_THAT(ParseJson(very_deep), StatusIs(absl::StatusCode::kInvalidArgument));
  JsonReaderLimits shallow;
  shallow.max_depth = 2;
  EXPECT_THAT(ParseJson("[[1]]", shallow), IsOk());
  EXPECT_THAT(ParseJson("[[[1]]]", shallow), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseJson, LimitsInputSize) {
  JsonReaderLimits small;
  small.max_bytes = 10;
  EXPECT_THAT(ParseJson("[1,2,3,4,5]", small),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("larger than the limit")));
  EXPECT_THAT(ParseJson("[1,2,3,4]", small), IsOk());
}

}  // namespace
}  // namespace pantau::collector
