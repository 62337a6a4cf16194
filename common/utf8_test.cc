#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace pantau {
namespace {

TEST(ValidUtf8, KeepsValidTextIncludingIndonesianAndEmoji) {
  const std::string text = "Pengadilan Negeri — jadwal sidang ✓ \xF0\x9F\x98\x80";
  EXPECT_EQ(ValidUtf8(text), text);
  EXPECT_EQ(ValidUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(ValidUtf8, ReplacesEachBadByteWithTheReplacementCharacter) {
  EXPECT_EQ(ValidUtf8("GET /\xff\xfe HTTP"), "GET /\xEF\xBF\xBD\xEF\xBF\xBD HTTP");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");        // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ValidUtf8("ok\xE2\x82"), "ok\xEF\xBF\xBD\xEF\xBF\xBD");   // cut sequence
}

TEST(ClampUtf8, CutsAtACharacterBoundaryAfterRepairing) {
  EXPECT_EQ(ClampUtf8("abcdef", 4), "abcd");
  EXPECT_EQ(ClampUtf8("ab\xC3\xA9", 3), "ab");          // é is not split
  EXPECT_EQ(ClampUtf8("a\xff\xff", 4), "a\xEF\xBF\xBD");  // repaired bytes count
  EXPECT_EQ(ClampUtf8("kecil", 100), "kecil");
}

}  // namespace
}  // namespace pantau
