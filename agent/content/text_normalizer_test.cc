#include "agent/content/text_normalizer.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(NormalizeForMatching, LowerCasesAndCollapsesPunctuationAndSpace) {
  EXPECT_EQ(NormalizeForMatching("  Situs SLOT-Gacor!!  Hari_Ini\n\t(2024) "),
            "situs slot gacor hari ini 2024");
  EXPECT_EQ(NormalizeForMatching("s.l.o.t"), "s l o t");
  EXPECT_EQ(NormalizeForMatching("\xE2\x80\x9C"
                                 "kutipan"
                                 "\xE2\x80\x9D"
                                 "\xE2\x80\x94"
                                 "x"),
            "kutipan x");  // “kutipan”—x
  EXPECT_EQ(NormalizeForMatching(""), "");
  EXPECT_EQ(NormalizeForMatching("!!! ..."), "");
}

TEST(NormalizeForMatching, MapsCyrillicAndGreekLookalikes) {
  // ѕlоt gаcor with Cyrillic ѕ, о, а.
  EXPECT_EQ(NormalizeForMatching("\xD1\x95l\xD0\xBEt g\xD0\xB0"
                                 "cor"),
            "slot gacor");
  // МАХWIN in Cyrillic capitals М А Х.
  EXPECT_EQ(NormalizeForMatching("\xD0\x9C\xD0\x90\xD0\xA5WIN"), "maxwin");
  // slοt with Greek omicron, τogel with Greek tau.
  EXPECT_EQ(NormalizeForMatching("sl\xCE\xBFt \xCF\x84ogel"), "slot togel");
}

TEST(NormalizeForMatching, MapsFullwidthMathematicalAndSmallCapitalLetters) {
  // ＳＬＯＴ ｇａｃｏｒ ２０２４
  EXPECT_EQ(NormalizeForMatching("\xEF\xBC\xB3\xEF\xBC\xAC\xEF\xBC\xAF\xEF\xBC\xB4 "
                                 "\xEF\xBD\x87\xEF\xBD\x81\xEF\xBD\x83\xEF\xBD\x8F\xEF\xBD\x92 "
                                 "\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x94"),
            "slot gacor 2024");
  // 𝐬𝐥𝐨𝐭 (bold), 𝘀𝗹𝗼𝘁 (sans bold), 𝚜𝚕𝚘𝚝 (monospace), 𝐒 (bold capital), 𝟖𝟖 (bold digits)
  EXPECT_EQ(
      NormalizeForMatching("\xF0\x9D\x90\xAC\xF0\x9D\x90\xA5\xF0\x9D\x90\xA8\xF0\x9D\x90\xAD"),
      "slot");
  EXPECT_EQ(
      NormalizeForMatching("\xF0\x9D\x98\x80\xF0\x9D\x97\xB9\xF0\x9D\x97\xBC\xF0\x9D\x98\x81"),
      "slot");
  EXPECT_EQ(
      NormalizeForMatching("\xF0\x9D\x9A\x9C\xF0\x9D\x9A\x95\xF0\x9D\x9A\x98\xF0\x9D\x9A\x9D"),
      "slot");
  EXPECT_EQ(NormalizeForMatching("\xF0\x9D\x90\x92\xF0\x9D\x9F\x96\xF0\x9D\x9F\x96"), "s88");
  // ɢᴀᴄᴏʀ (small capitals), ⓢⓛⓞⓣ (circled)
  EXPECT_EQ(NormalizeForMatching("\xC9\xA2\xE1\xB4\x80\xE1\xB4\x84\xE1\xB4\x8F\xCA\x80"), "gacor");
  EXPECT_EQ(NormalizeForMatching("\xE2\x93\xA2\xE2\x93\x9B\xE2\x93\x9E\xE2\x93\xA3"), "slot");
}

TEST(NormalizeForMatching, StripsAccentsAndCombiningMarks) {
  EXPECT_EQ(NormalizeForMatching("P\xC3\xA8ngadilan N\xC3\xA9geri Stra\xC3\x9F"
                                 "e \xC3\x86ra"),
            "pengadilan negeri strasse aera");
  EXPECT_EQ(NormalizeForMatching("e\xCC\x81"
                                 "dition \xC5\x81\xC3\xB3"
                                 "d\xC5\xBA"),
            "edition lodz");
}

TEST(NormalizeForMatching, DropsZeroWidthCharactersAndApostrophes) {
  // sl<ZWSP>ot ga<ZWJ>cor<SOFT HYPHEN>s<BOM>, Jum'at, Jum’at
  EXPECT_EQ(NormalizeForMatching("sl\xE2\x80\x8Bot ga\xE2\x80\x8D"
                                 "cor\xC2\xAD"
                                 "s\xEF\xBB\xBF"),
            "slot gacors");
  EXPECT_EQ(NormalizeForMatching("Jum'at Jum\xE2\x80\x99"
                                 "at"),
            "jumat jumat");
}

TEST(NormalizeForMatching, InvalidUtf8SeparatesAndOtherScriptsAreKept) {
  EXPECT_EQ(NormalizeForMatching("ab\xFF"
                                 "cd\xC3"),
            "ab cd");
  EXPECT_EQ(NormalizeForMatching("\xE6\x97\xA5\xE6\x9C\xAC slot"), "\xE6\x97\xA5\xE6\x9C\xAC slot");
  EXPECT_EQ(NormalizeForMatching("\xF0\x9F\x8E\xB0slot\xF0\x9F\x8E\xB0"), "slot");  // 🎰
}

TEST(NormalizeWithDigitsAsLetters, SwapsOnlyInsideTokensWithLetters) {
  EXPECT_EQ(NormalizeWithDigitsAsLetters("sl0t g4c0r M4XW1N"), "slot gacor maxwin");
  EXPECT_EQ(NormalizeWithDigitsAsLetters("m@xw1n $l0t t0g3l 8et"), "maxwin slot togel bet");
  EXPECT_EQ(NormalizeWithDigitsAsLetters("tahun 2024, 100 perkara, Rp 10.000"),
            "tahun 2024 100 perkara rp 10 000");
  EXPECT_EQ(NormalizeWithDigitsAsLetters("$100 @ 5"), "100 5");
  EXPECT_EQ(NormalizeForMatching("g@cor"), "g cor");  // the plain form separates at '@'
}

TEST(JoinSpelledOutLetters, JoinsRunsOfThreeOrMoreSingleLetters) {
  EXPECT_EQ(JoinSpelledOutLetters("s l o t gacor"), "slot gacor");
  EXPECT_EQ(JoinSpelledOutLetters("daftar s l o t g a c o r"), "daftar slotgacor");
  EXPECT_EQ(JoinSpelledOutLetters("rt 5 rw 3"), "rt 5 rw 3");
  EXPECT_EQ(JoinSpelledOutLetters("a b"), "a b");
  EXPECT_EQ(JoinSpelledOutLetters(""), "");
}

TEST(MakeMatchForms, UndoesSpacingAndDigitTricksTogether) {
  const MatchForms forms = MakeMatchForms("S.L.0.T G-4-C-0-R");
  EXPECT_EQ(forms.plain, "s l 0 t g 4 c 0 r");
  EXPECT_EQ(forms.joined, "slotgacor");
}

TEST(PhraseMatcher, MatchesWholeWordsWithOptionalSpacesLongestFirst) {
  ASSERT_OK_AND_ASSIGN(PhraseMatcher m, PhraseMatcher::Create(std::vector<std::string>{
                                            "judi", "judi online", "Slot Gacor", "maxwin"}));
  const std::string text = "perjudian judi online slotgacor maxwinner judi";
  std::vector<std::pair<std::string, std::string>> hits;
  size_t pos = 0;
  PhraseMatcher::Hit hit;
  while (m.FindNext(text, &pos, &hit)) {
    hits.emplace_back(m.phrase(hit.phrase), text.substr(hit.begin, hit.end - hit.begin));
  }
  EXPECT_THAT(
      hits, ElementsAre(std::make_pair("judi online", "judi online"),
                        std::make_pair("slot gacor", "slotgacor"), std::make_pair("judi", "judi")));
  std::vector<int> counts;
  m.CountAll("judi judi judi online", &counts);
  EXPECT_THAT(counts, ElementsAre(2, 1, 0, 0));
}

TEST(PhraseMatcher, AlsoInsideWordsFindsOnlyMultiWordPhrasesInCompounds) {
  ASSERT_OK_AND_ASSIGN(PhraseMatcher m, PhraseMatcher::Create(std::vector<std::string>{
                                            "judi", "slot gacor", "maxwin", "situs slot"}));
  const std::string text = "perjudian slotgacormaxwin situsslot judi";
  std::vector<int> whole, inside;
  m.CountAll(text, &whole);
  m.CountAll(text, &inside, PhraseMatcher::Boundaries::kAlsoInsideWords);
  EXPECT_THAT(whole, ElementsAre(1, 0, 0, 1));   // only whole words: "judi", "situsslot"
  EXPECT_THAT(inside, ElementsAre(1, 1, 0, 1));  // + "slotgacor" inside a compound
}

TEST(PhraseMatcher, RejectsEmptyAndRepeatedPhrasesNamingWhere) {
  EXPECT_THAT(PhraseMatcher::Create({PhraseMatcher::Source{"?!", "terms.yaml:7"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("terms.yaml:7: '?!'")));
  EXPECT_THAT(
      PhraseMatcher::Create(
          {PhraseMatcher::Source{"max win", "a:1"}, PhraseMatcher::Source{"MAXWIN", "a:2"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a:2: 'MAXWIN' repeats 'max win'")));
}

TEST(PhraseMatcher, EmptyListFindsNothing) {
  ASSERT_OK_AND_ASSIGN(PhraseMatcher m, PhraseMatcher::Create(std::vector<std::string>{}));
  size_t pos = 0;
  PhraseMatcher::Hit hit;
  EXPECT_FALSE(m.FindNext("anything", &pos, &hit));
}

}  // namespace
}  // namespace pantau::agent
