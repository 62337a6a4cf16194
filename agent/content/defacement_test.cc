#include "agent/content/defacement.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/content/html_document.h"
#include "agent/content/testdata/read_testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent {
namespace {

using ::pantau::agent::testing::DataFile;
using ::pantau::agent::testing::ReadTestdata;
using ::pantau::testing::IsOkAndHolds;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Lt;
using ::testing::SizeIs;

std::string VisibleText(const std::string& html) { return ExtractHtml(html).visible_text; }

TEST(TextFingerprint, IgnoresDatesTimesCountersAndTokens) {
  const std::string page = ReadTestdata("pn_contoh_clean.html");
  const std::string tomorrow = absl::StrReplaceAll(
      page, {{"Senin, 25 November 2026 | 09:41 WIB", "Selasa, 26 November 2026 | 14:05 WIB"},
             {"Pengunjung hari ini: 1.284 &middot; Total: 2.345.678",
              "Pengunjung hari ini: 17 &middot; Total: 2.345.695"},
             {"Senin, 3 Oktober", "Jumat, 4 Oktober"}});
  ASSERT_NE(page, tomorrow);
  EXPECT_EQ(
      ChangedShare(MakeFingerprint(VisibleText(page)), MakeFingerprint(VisibleText(tomorrow))), 0);
  EXPECT_EQ(MakeFingerprint("Senin, 25 November 2026 10:30 WIB").shingles(),
            MakeFingerprint("Sunday 1 January 1999 23:59 wita").shingles());
  EXPECT_EQ(MakeFingerprint("token 9f8e7d6c5b4a39281706f5e4d3c2b1a0 dan deadbeefcafe ok"),
            MakeFingerprint("token a0b1c2d3e4f5061728394a5b6c7d8e9f dan facadebeadfeed ok"));
}

TEST(TextFingerprint, OneChangedNewsItemOfTwentyIsASmallChange) {
  const std::string page = ReadTestdata("pn_contoh_clean.html");
  const std::string edited = absl::StrReplaceAll(
      page, {{"Pelantikan Panitera Pengganti", "Penyerahan Bantuan Sosial kepada Warga Sekitar"},
             {"Ketua Pengadilan melantik dua orang panitera pengganti yang baru dan berpesan agar "
              "menjaga integritas serta memberikan pelayanan terbaik kepada pencari keadilan.",
              "Keluarga besar pengadilan menyerahkan paket sembako kepada warga di sekitar kantor "
              "sebagai wujud kepedulian sosial menjelang akhir tahun anggaran."}});
  ASSERT_NE(page, edited);
  const double changed =
      ChangedShare(MakeFingerprint(VisibleText(page)), MakeFingerprint(VisibleText(edited)));
  EXPECT_GT(changed, 0.02);
  EXPECT_LT(changed, 0.2);
}

TEST(TextFingerprint, ADefacedPageIsAlmostEntirelyChanged) {
  const TextFingerprint before = MakeFingerprint(VisibleText(ReadTestdata("pn_contoh_clean.html")));
  const TextFingerprint after =
      MakeFingerprint(VisibleText(ReadTestdata("pn_contoh_defaced.html")));
  EXPECT_GT(ChangedShare(before, after), 0.95);
  EXPECT_EQ(ChangedShare(before, after), ChangedShare(after, before));
}

TEST(TextFingerprint, EmptyAndShortTexts) {
  const TextFingerprint empty = MakeFingerprint("");
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(MakeFingerprint("25/11/2026 10:30").empty());
  EXPECT_EQ(ChangedShare(empty, empty), 0);
  EXPECT_EQ(ChangedShare(empty, MakeFingerprint("beranda")), 1);
  EXPECT_EQ(ChangedShare(MakeFingerprint("beranda"), empty), 1);
  EXPECT_THAT(MakeFingerprint("beranda").shingles(), SizeIs(1));
  EXPECT_THAT(MakeFingerprint("Beranda Berita").shingles(), SizeIs(1));
  EXPECT_EQ(ChangedShare(MakeFingerprint("beranda"), MakeFingerprint("BERANDA!")), 0);
  EXPECT_EQ(ChangedShare(MakeFingerprint("beranda"), MakeFingerprint("berita")), 1);
}

TEST(TextFingerprint, SerializesAndParsesBack) {
  const TextFingerprint fp = MakeFingerprint(VisibleText(ReadTestdata("pn_contoh_clean.html")));
  ASSERT_FALSE(fp.empty());
  const std::string text = fp.Serialize();
  EXPECT_THAT(text, HasSubstr("tf1:f:"));
  EXPECT_THAT(TextFingerprint::Parse(text), IsOkAndHolds(fp));
  EXPECT_THAT(TextFingerprint::Parse(TextFingerprint().Serialize()),
              IsOkAndHolds(TextFingerprint()));
}

TEST(TextFingerprint, ParseRejectsWhatSerializeDoesNotMake) {
  for (const char* bad : {"", "tf2:f:", "tf1:", "tf1:x:", "tf1:f:!!!!", "tf1:f:AAAA",
                          // two hashes, the second smaller than the first
                          "tf1:f:AgAAAAAAAAABAAAAAAAAAA=="}) {
    EXPECT_THAT(TextFingerprint::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(TextFingerprint::Parse(absl::StrCat("tf1:f:", std::string(1 << 20, 'A'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TextFingerprint, LongTextsAreSampledAndStillCompare) {
  std::string a, b;
  for (int i = 0; i < 20000; ++i) {
    // Words without digits (tokens with digits are dropped as dynamic).
    std::string word;
    for (int x = i; x > 0 || word.empty(); x /= 26) word += static_cast<char>('a' + x % 26);
    absl::StrAppend(&a, "kata", word, " ");
    absl::StrAppend(&b, i < 10000 ? "kata" : "lain", word, " ");
  }
  const TextFingerprint fa = MakeFingerprint(a);
  const TextFingerprint fb = MakeFingerprint(b);
  EXPECT_TRUE(fa.sampled());
  EXPECT_THAT(fa.shingles(), SizeIs(TextFingerprint::kMaxShingles));
  EXPECT_EQ(ChangedShare(fa, fa), 0);
  // Half the shingles are shared: Jaccard about 1/3, so about 2/3 changed.
  EXPECT_THAT(ChangedShare(fa, fb), DoubleNear(2.0 / 3, 0.06));
  EXPECT_THAT(TextFingerprint::Parse(fa.Serialize()), IsOkAndHolds(fa));
  EXPECT_GT(ChangedShare(fa, MakeFingerprint("sesuatu yang sama sekali lain")), 0.99);
}

class DefacementPhrasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto phrases = DefacementPhrases::Load(DataFile("defacement_phrases.yaml"));
    ASSERT_OK(phrases);
    phrases_ = std::make_unique<DefacementPhrases>(*std::move(phrases));
  }
  std::vector<std::string> MatchHtml(const std::string& html) const {
    const HtmlDocument doc = ExtractHtml(html);
    return phrases_->Match(doc.visible_text, doc.title);
  }
  std::unique_ptr<DefacementPhrases> phrases_;
};

TEST_F(DefacementPhrasesTest, FindsTheTellsOfADefacedPage) {
  const std::vector<std::string> found = MatchHtml(ReadTestdata("pn_contoh_defaced.html"));
  EXPECT_THAT(found, AllOf(Contains("hacked by"), Contains("greetz"),
                           Contains("your security is low"), Contains("patch your system"),
                           Contains("maaf admin"), Contains("cuma numpang"), Contains("cyber army"),
                           Contains("garuda security hacker"), Contains("ghost team")));
}

TEST_F(DefacementPhrasesTest, CleanCourtPagesShowNone) {
  EXPECT_THAT(MatchHtml(ReadTestdata("pn_contoh_clean.html")), IsEmpty());
  EXPECT_THAT(MatchHtml(ReadTestdata("pn_contoh_antijudi.html")), IsEmpty());
}

TEST_F(DefacementPhrasesTest, SupportingPhrasesNeedCompany) {
  EXPECT_THAT(phrases_->Match("Gedung ini owned by the state, dikelola Sekretariat.", ""),
              IsEmpty());
  EXPECT_THAT(phrases_->Match("Situs KPU dilaporkan hacked pekan lalu.", ""), IsEmpty());
  EXPECT_THAT(phrases_->Match("Owned by ZeroCool. Greetz: all crew", ""),
              ElementsAre("greetz", "owned by"));
  EXPECT_THAT(phrases_->Match("owned by x, touched by y", ""),
              ElementsAre("owned by", "touched by"));
}

TEST_F(DefacementPhrasesTest, DisguisedPhrasesAreFound) {
  EXPECT_THAT(phrases_->Match("", "H4CK3D BY ./mr.x"), ElementsAre("hacked by"));
  EXPECT_THAT(phrases_->Match("h a c k e d b y anon", ""), ElementsAre("hacked by"));
  EXPECT_THAT(phrases_->Match("#HackedBy_Anon", ""), ElementsAre("hacked by"));
  EXPECT_THAT(phrases_->Match("\xD0\x9D\xD0\xB0"
                              "cked by x",
                              ""),  // Cyrillic Н а
              ElementsAre("hacked by"));
}

TEST(DefacementPhrasesData, ReportsBadDataWithFileAndLine) {
  EXPECT_THAT(DefacementPhrases::Load("/nonexistent.yaml"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(DefacementPhrases::FromYaml("phrases:\n  - hacked by\n  - Hacked-By\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("d.yaml:3")));
  EXPECT_THAT(DefacementPhrases::FromYaml("phrases: []\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no phrases")));
  EXPECT_THAT(DefacementPhrases::FromYaml("phrases: [a]\nphrase: [b]\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("phrase")));
  EXPECT_THAT(DefacementPhrases::FromYaml("phrases: [x, {a: b}]\n", "d.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("d.yaml")));
}

}  // namespace
}  // namespace pantau::agent
