#include "agent/logwatch/uri_decode.h"

#include <string>

#include "gtest/gtest.h"

namespace pantau::agent::logwatch {
namespace {

DecodedTarget Decode(absl::string_view raw) {
  DecodedTarget d;
  DecodeTarget(raw, &d);
  return d;
}

TEST(UriDecode, PlainTargetIsCopiedUnchanged) {
  DecodedTarget d = Decode("/berita?id=12&order=desc");
  EXPECT_EQ(d.uri, "/berita?id=12&order=desc");
  EXPECT_EQ(d.path, "/berita");
  EXPECT_EQ(d.query, "id=12&order=desc");
  EXPECT_FALSE(d.above_root);
  EXPECT_EQ(d.decode_rounds, 0);
}

TEST(UriDecode, HeaderExample) {
  DecodedTarget d = Decode("/a/..%2f..%2fetc/passwd?x=%3Cscript%3E");
  EXPECT_EQ(d.uri, "/a/../../etc/passwd?x=<script>");
  EXPECT_EQ(d.path, "/etc/passwd");
  EXPECT_EQ(d.query, "x=<script>");
  EXPECT_TRUE(d.above_root);
  EXPECT_EQ(d.decode_rounds, 1);
}

TEST(UriDecode, RepeatedEncodingIsDecodedAndCounted) {
  DecodedTarget d = Decode("/x?f=%252e%252e%252f");
  EXPECT_EQ(d.query, "f=../");
  EXPECT_EQ(d.decode_rounds, 2);
  // At most four rounds.
  d = Decode("/x?f=%2525252525");
  EXPECT_EQ(d.decode_rounds, 4);
  EXPECT_EQ(d.query, "f=%25");
}

TEST(UriDecode, PlusIsSpaceOnlyInTheQuery) {
  DecodedTarget d = Decode("/a+b/c?q=union+select&x=%2B1");
  EXPECT_EQ(d.path, "/a+b/c");
  EXPECT_EQ(d.query, "q=union select&x=+1");
}

TEST(UriDecode, UnicodeEscapesBecomeUtf8) {
  DecodedTarget d = Decode("/x?q=%u003Cscript%u003E%u00e9");
  EXPECT_EQ(d.query, "q=<script>\xC3\xA9");
}

TEST(UriDecode, NulBytesStayVisible) {
  EXPECT_EQ(Decode("/x?f=a.php%00.jpg").query, "f=a.php\\0.jpg");
  EXPECT_EQ(Decode(absl::string_view("/x?f=a\0b", 8)).query, "f=a\\0b");
}

TEST(UriDecode, InvalidEscapesAreKept) {
  DecodedTarget d = Decode("/x?q=100%+%zz%4");
  EXPECT_EQ(d.query, "q=100% %zz%4");
  EXPECT_EQ(d.decode_rounds, 0);
}

TEST(UriDecode, PathIsNormalised) {
  EXPECT_EQ(Decode("//a///b/./c/").path, "/a/b/c/");
  EXPECT_EQ(Decode("/a/b/../c").path, "/a/c");
  EXPECT_EQ(Decode("/a/b/..").path, "/a/");
  EXPECT_EQ(Decode("\\a\\..\\b").path, "/b");
  EXPECT_EQ(Decode("/..%5c..%5cwin.ini").path, "/win.ini");
  EXPECT_TRUE(Decode("/..%5c..%5cwin.ini").above_root);
  EXPECT_FALSE(Decode("/a/../b").above_root);
  EXPECT_EQ(Decode("/.well-known/x").path, "/.well-known/x");
  EXPECT_EQ(Decode("/index.php;jsessionid=AB").path, "/index.php;jsessionid=AB");
  // "?" decoded from %3F stays in the path: the split is on the raw target.
  EXPECT_EQ(Decode("/a%3Fb?c").path, "/a?b");
}

TEST(UriDecode, AbsoluteFormKeepsOnlyThePath) {
  DecodedTarget d = Decode("http://example.com/a/../b?x=1");
  EXPECT_EQ(d.path, "/b");
  EXPECT_EQ(d.uri, "http://example.com/a/../b?x=1");
  EXPECT_EQ(Decode("http://example.com").path, "/");
}

TEST(UriDecode, BuffersAreReusedWithoutGrowingForPlainTargets) {
  DecodedTarget d;
  DecodeTarget("/a/long/enough/path/to/reserve/capacity?with=a&query=string&x=1", &d);
  const char* uri_data = d.uri.data();
  const char* path_data = d.path.data();
  for (int i = 0; i < 100; ++i) DecodeTarget("/berita?id=12", &d);
  EXPECT_EQ(d.uri.data(), uri_data);
  EXPECT_EQ(d.path.data(), path_data);
  EXPECT_EQ(d.uri, "/berita?id=12");
}

TEST(UriDecode, OutputIsBoundedForHostileInput) {
  std::string raw = "/";
  for (int i = 0; i < 10000; ++i) raw += "%u0000%00../";
  DecodedTarget d = Decode(raw);
  EXPECT_LE(d.uri.size(), raw.size() + 3 * 20000);
  EXPECT_LE(d.path.size(), d.uri.size());
  EXPECT_EQ(d.uri.substr(0, 8), "/\\0\\0../");
}

TEST(UriDecode, UndoesTheWebServersLogEscaping) {
  // nginx logs a raw '"' as \x22 and bytes outside printable ASCII as \xHH; Apache uses \".
  DecodedTarget d = Decode("/cari?q=\\x22><script>alert(1)</script>");
  EXPECT_EQ(d.query, "q=\"><script>alert(1)</script>");
  d = Decode("/a?b=\\\"x\\\"");
  EXPECT_EQ(d.query, "b=\"x\"");
  d = Decode("/a?b=c\\\\x41");  // Apache: the client sent c\x41
  EXPECT_EQ(d.query, "b=c\\x41");
  d = Decode("/..\\x5c..\\x5cwindows\\x5cwin.ini");
  EXPECT_EQ(d.path, "/windows/win.ini");
  EXPECT_TRUE(d.above_root);
  d = Decode("/x\\x00y");
  EXPECT_EQ(d.uri, "/x\\0y");
  // A backslash that is not an escape stays (and becomes a slash in the path).
  d = Decode("/a\\b?c=\\q");
  EXPECT_EQ(d.path, "/a/b");
  EXPECT_EQ(d.query, "c=\\q");
}

}  // namespace
}  // namespace pantau::agent::logwatch
