#include "common/json_writer.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau {
namespace {

// The JSON text of one string value.
std::string Quoted(absl::string_view value) {
  JsonWriter w;
  w.String(value);
  return w.str();
}

TEST(JsonWriter, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(Quoted(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
}

TEST(JsonWriter, EscapesControlCharacters) {
  EXPECT_EQ(Quoted("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(Quoted(std::string("nul\0end", 7)), R"("nul\u0000end")");
  EXPECT_EQ(Quoted("\x01\x1f"), R"("\u0001\u001f")");
  // DEL and '/' need no escaping.
  EXPECT_EQ(Quoted("\x7f/"), "\"\x7f/\"");
}

TEST(JsonWriter, CopiesValidUtf8Unchanged) {
  const std::string text = "Pengadilan Negeri \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(Quoted(text), "\"" + text + "\"");
}

TEST(JsonWriter, ReplacesInvalidUtf8WithTheReplacementCharacter) {
  const std::string kFffd = "\xEF\xBF\xBD";
  // A lone continuation byte.
  EXPECT_EQ(Quoted("a\x80z"), "\"a" + kFffd + "z\"");
  // A byte that never occurs in UTF-8.
  EXPECT_EQ(Quoted("a\xFFz"), "\"a" + kFffd + "z\"");
  // A two-byte lead followed by ASCII: only the lead is replaced, the ASCII is kept.
  EXPECT_EQ(Quoted(std::string("\xC3") + "A"), "\"" + kFffd + "A\"");
  // Sequences cut off by the end of the string.
  EXPECT_EQ(Quoted("ab\xC3"), "\"ab" + kFffd + "\"");
  const std::string cut = Quoted("\xE2\x82");
  EXPECT_THAT(cut, ::testing::HasSubstr(kFffd));
  EXPECT_EQ(absl::StrReplaceAll(cut, {{kFffd, ""}}), "\"\"");
  // Latin-1 text (e.g. a log line from an old server) never yields invalid output.
  EXPECT_EQ(Quoted("caf\xE9"), "\"caf" + kFffd + "\"");
}

// DISABLED: fails against the current json_writer.cc (reported). Well-formed-looking sequences
// that RFC 3629 forbids are copied through, so the output is not valid UTF-8: overlong forms
// (C0 AF is an overlong '/'), UTF-16 surrogates (ED A0 80) and code points above U+10FFFF
// (F4 90 80 80, F5..F7 leads).
TEST(JsonWriter, ReplacesOverlongSurrogateAndOutOfRangeSequences) {
  const std::string kFffd = "\xEF\xBF\xBD";
  for (const char* bad : {"\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                          "\xF0\x80\x80\xAF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80"}) {
    SCOPED_TRACE(::testing::PrintToString(std::string(bad)));
    const std::string out = Quoted(bad);
    EXPECT_THAT(out, ::testing::HasSubstr(kFffd));
    EXPECT_THAT(out, ::testing::Not(::testing::HasSubstr(bad)));
  }
}

TEST(JsonWriter, EscapesKeysLikeValues) {
  JsonWriter w;
  w.BeginObject().Key("a\"b\n").Int(1).EndObject();
  EXPECT_EQ(w.str(), R"({"a\"b\n":1})");
}

TEST(JsonWriter, SeparatesElementsWithCommasAtEveryLevel) {
  JsonWriter w;
  w.BeginObject();
  w.Key("sites").BeginArray();
  w.BeginObject().Key("site").String("www").Key("up").Bool(true).EndObject();
  w.BeginObject().Key("site").String("sipp").Key("up").Bool(false).EndObject();
  w.EndArray();
  w.Key("codes").BeginArray().Int(200).Int(-1).Null().EndArray();
  w.Key("empty").BeginObject().EndObject();
  w.Key("none").BeginArray().EndArray();
  w.Key("nested").BeginArray().BeginArray().Int(1).EndArray().BeginArray().EndArray().EndArray();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"sites":[{"site":"www","up":true},{"site":"sipp","up":false}],)"
                     R"("codes":[200,-1,null],"empty":{},"none":[],"nested":[[1],[]]})");
}

TEST(JsonWriter, WritesNumbers) {
  JsonWriter w;
  w.BeginArray()
      .Int(std::numeric_limits<int64_t>::min())
      .Int(std::numeric_limits<int64_t>::max())
      .Double(0.5)
      .Double(-2)
      .EndArray();
  EXPECT_EQ(w.str(), "[-9223372036854775808,9223372036854775807,0.5,-2]");
}

TEST(JsonWriter, WritesNonFiniteDoublesAsNull) {
  JsonWriter w;
  w.BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(w.str(), "[null,null,null]");
}

TEST(JsonWriter, RoundTripsADoubleExactly) {
  JsonWriter w;
  w.Double(0.1);
  EXPECT_EQ(std::stod(w.str()), 0.1);
}

}  // namespace
}  // namespace pantau

namespace pantau {
namespace {

TEST(JsonWriter, WritesTheShortestTextThatRoundTrips) {
  JsonWriter w;
  w.BeginArray().Double(25.921).Double(1e21).Double(0.1 + 0.2).EndArray();
  EXPECT_EQ(w.str(), "[25.921,1e+21,0.30000000000000004]");
}

}  // namespace
}  // namespace pantau
