#include "agent/content/gambling_detector.h"

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
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Le;
using ::testing::Lt;
using ::testing::SizeIs;

constexpr char kHost[] = "pn-contoh.go.id";

class GamblingDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto detector = GamblingDetector::Load(DataFile("gambling_terms.yaml"));
    ASSERT_OK(detector);
    detector_ = std::make_unique<GamblingDetector>(*std::move(detector));
    clean_ = ReadTestdata("pn_contoh_clean.html");
  }

  // The clean court page with `html` inserted just before its footer.
  std::string Inject(absl::string_view html) const {
    return absl::StrReplaceAll(clean_, {{"  <footer>", absl::StrCat(html, "\n  <footer>")}});
  }
  GamblingScan ScanHtml(absl::string_view html) const {
    return detector_->Scan(ExtractHtml(html), kHost);
  }

  std::unique_ptr<GamblingDetector> detector_;
  std::string clean_;
};

TEST_F(GamblingDetectorTest, CleanCourtHomepageIsNotSuspicious) {
  const GamblingScan scan = ScanHtml(clean_);
  EXPECT_FALSE(scan.suspicious);
  EXPECT_LT(scan.score, 3);
  EXPECT_EQ(scan.threshold, 10);
  EXPECT_EQ(scan.counts.link_target, 0);
}

struct Injection {
  const char* name;
  const char* html;
};

class HiddenInjection : public GamblingDetectorTest,
                        public ::testing::WithParamInterface<Injection> {};

TEST_P(HiddenInjection, MakesTheCourtPageSuspicious) {
  const GamblingScan scan = ScanHtml(Inject(GetParam().html));
  EXPECT_TRUE(scan.suspicious) << "score " << scan.score;
  EXPECT_GT(scan.counts.hidden_text + scan.counts.link_target, 0);
  EXPECT_THAT(scan.evidence, Contains(HasSubstr("hidden")));
  EXPECT_THAT(scan.evidence, SizeIs(Le(GamblingScan::kMaxEvidence)));
}

INSTANTIATE_TEST_SUITE_P(
    GamblingDetector, HiddenInjection,
    ::testing::Values(
        Injection{"DisplayNoneLinkBlock",
                  "<div style=\"display:none\">"
                  "<a href=\"https://slotgacor88.example/\">slot gacor</a> "
                  "<a href=\"https://maxwin.example/\">slot gacor maxwin</a> "
                  "<a href=\"https://rtp.example/\">rtp live</a></div>"},
        Injection{"OffscreenParagraph",
                  "<p style=\"position:absolute; left:-9999px\">Situs slot gacor hari ini "
                  "gampang maxwin <a href=\"https://dewa-slot.example/\">daftar</a></p>"},
        Injection{"FontSizeZeroSpan",
                  "<span style=\"font-size:0\"><a href=\"https://x.example/\">slot88</a> "
                  "<a href=\"https://y.example/\">toto macau</a></span>"},
        Injection{"OneHiddenLinkToGamblingHost",
                  "<a href=\"https://dewa88.example/\" style=\"opacity:0\">Beranda</a>"},
        Injection{"NoscriptBlock",
                  "<noscript><a href=\"https://gacor.example/\">link alternatif slot "
                  "gacor</a></noscript>"},
        Injection{"SearchSpamToOwnSite",
                  "<div hidden><a href=\"/?s=slot+gacor+maxwin\">cari</a> "
                  "<a href=\"/?s=bonus%20new%20member\">cari</a> "
                  "<a href=\"/?s=toto+macau\">cari</a></div>"}),
    [](const ::testing::TestParamInfo<Injection>& info) { return info.param.name; });

TEST_F(GamblingDetectorTest, HiddenLinkEvidenceNamesTextAndTarget) {
  const GamblingScan scan = ScanHtml(Inject(
      "<div style='display:none'><a href='https://slot-gacor.example/'>slot gacor</a></div>"));
  EXPECT_TRUE(scan.suspicious);
  EXPECT_THAT(scan.evidence, Contains("hidden link 'slot gacor' -> https://slot-gacor.example/ "
                                      "(gambling-like host)"));
  EXPECT_THAT(scan.evidence, Contains("hidden text: 'slot gacor'"));
  EXPECT_EQ(scan.counts.hidden_text, 1);
  EXPECT_EQ(scan.counts.link_text, 1);
  EXPECT_EQ(scan.counts.link_target, 1);
  EXPECT_EQ(scan.counts.visible_text, 0);
}

TEST_F(GamblingDetectorTest, VisibleSpamHeadingIsSuspicious) {
  const GamblingScan scan = ScanHtml(Inject("<h2>Situs Slot Gacor Hari Ini Gampang Maxwin</h2>"));
  EXPECT_TRUE(scan.suspicious) << scan.score;
  EXPECT_GT(scan.counts.visible_text, 0);
}

TEST_F(GamblingDetectorTest, HijackedTitleIsSuspicious) {
  const GamblingScan scan = ScanHtml(absl::StrReplaceAll(
      clean_, {{"Pengadilan Negeri Contoh Kelas IA &ndash; Beranda",
                "SLOT GACOR: Link Situs Slot Online Terpercaya Gampang Maxwin"}}));
  EXPECT_TRUE(scan.suspicious) << scan.score;
  EXPECT_GT(scan.counts.title_meta, 0);
  EXPECT_THAT(scan.evidence, Contains(HasSubstr("title/meta: 'gampang maxwin'")));
}

TEST_F(GamblingDetectorTest, DisguisedTermsAreFound) {
  for (const char* disguised : {
           "sl0t g4c0r m4xw1n",  // digits
           "\xD1\x95l\xD0\xBEt g\xD0\xB0"
           "cor m\xD0\xB0xwin",  // Cyrillic ѕ о а
           "sl\xE2\x80\x8Bot ga\xE2\x80\x8B"
           "cor max\xE2\x80\x8Bwin",                                         // zero-width spaces
           "s.l.o.t g.a.c.o.r m.a.x.w.i.n",                                  // spelled out
           "\xEF\xBD\x93\xEF\xBD\x8C\xEF\xBD\x8F\xEF\xBD\x94 gacor maxwin",  // fullwidth slot
       }) {
    const GamblingScan scan =
        ScanHtml(Inject(absl::StrCat("<div style='display:none'>", disguised, "</div>")));
    EXPECT_TRUE(scan.suspicious) << disguised << " score " << scan.score;
    EXPECT_GT(scan.counts.hidden_text, 0) << disguised;
  }
  const GamblingScan leet = ScanHtml(Inject("<div style='display:none'>sl0t g4c0r</div>"));
  EXPECT_THAT(leet.evidence, Contains("hidden text: 'slot gacor' (disguised)"));
}

TEST_F(GamblingDetectorTest, CourtWarningAboutGamblingIsNotSuspicious) {
  const GamblingScan scan = ScanHtml(ReadTestdata("pn_contoh_antijudi.html"));
  EXPECT_FALSE(scan.suspicious) << scan.score << " " << ::testing::PrintToString(scan.evidence);
  EXPECT_LT(scan.score, 3);
  EXPECT_GT(scan.discounted, 3);  // the "judi online" mentions were seen, and discounted

  const GamblingScan sentence = ScanHtml(
      "<p>Pengadilan Negeri mengimbau masyarakat untuk tidak terlibat judi online; judi online "
      "melanggar Pasal 303 KUHP</p><p>Sosialisasi bahaya judi online bagi pegawai</p>");
  EXPECT_FALSE(sentence.suspicious);
  EXPECT_EQ(sentence.score, 0);
}

TEST_F(GamblingDetectorTest, PromotionVocabularyIsNotExcusedByWarningWords) {
  // Spam injected next to a court's news still counts.
  const GamblingScan scan = ScanHtml(
      "<p>Terdakwa divonis pidana penjara.</p><p>Situs slot gacor hari ini gampang maxwin, "
      "bonus new member 100</p>");
  EXPECT_TRUE(scan.suspicious) << scan.score;
}

TEST_F(GamblingDetectorTest, ASingleAmbiguousWordIsNotSuspicious) {
  const GamblingScan scan = ScanHtml(Inject(
      "<p>Terdakwa mengaku tergiur iming-iming jackpot sehingga menggelapkan uang kantor.</p>"));
  EXPECT_FALSE(scan.suspicious);
  EXPECT_LE(scan.score, 1);
}

TEST_F(GamblingDetectorTest, RepetitionSaturates) {
  std::string weak, strong;
  for (int i = 0; i < 5000; ++i) {
    weak += "jackpot bonus hoki ";
    strong += "slot gacor ";
  }
  EXPECT_FALSE(ScanHtml(absl::StrCat("<p>", weak, "</p>")).suspicious);
  EXPECT_LE(ScanHtml(absl::StrCat("<div hidden>", weak, "</div>")).score, 9);
  // One promotion term counts max_count (3) times: 5 * 3.
  EXPECT_EQ(ScanHtml(absl::StrCat("<p>", strong, "</p>")).score, 15);
}

TEST_F(GamblingDetectorTest, OutboundHostsThatMerelyContainGamblingWordsAreNotBrands) {
  const GamblingScan scan = ScanHtml(
      "<a href='https://bandarlampungkota.go.id/'>Pemkot</a>"
      "<a href='https://www.dpr.go.id/dewan'>DPR</a>"
      "<a href='https://dewanpers.or.id/'>Dewan Pers</a>"
      "<a href='https://www.tempo.co/'>Tempo</a>"
      "<a href='https://fototoko.example/'>Foto</a>"
      "<a href='https://betawi.example/'>Betawi</a>"
      "<a href='https://slot.pn-contoh.go.id/'>own subdomain</a>"
      "<a href='mailto:slot@example.com'>mail</a>");
  EXPECT_EQ(scan.counts.link_target, 0) << ::testing::PrintToString(scan.evidence);
  EXPECT_EQ(scan.score, 0);
}

TEST_F(GamblingDetectorTest, ManyHiddenLinksAreCappedButStaySuspicious) {
  std::string block = "<div style='display:none'>";
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&block, "<a href='https://slot", i, ".example/'>slot gacor ", i, "</a> ");
  }
  block += "</div>";
  const GamblingScan scan = ScanHtml(Inject(block));
  EXPECT_TRUE(scan.suspicious);
  EXPECT_EQ(scan.counts.link_target, 10);
  EXPECT_EQ(scan.counts.link_text, 10);
  EXPECT_THAT(scan.evidence, SizeIs(GamblingScan::kMaxEvidence));
}

TEST_F(GamblingDetectorTest, ScansAMegabyteOfRepeatedTerms) {
  std::string text;
  while (text.size() < (1 << 20)) text += "slot gacor judi online bahaya kuhp s l o t 4d ";
  HtmlDocument doc;
  doc.visible_text = text;
  doc.hidden_text = text;
  const GamblingScan scan = detector_->Scan(doc, kHost);
  EXPECT_TRUE(scan.suspicious);
  EXPECT_LE(scan.evidence.size(), static_cast<size_t>(GamblingScan::kMaxEvidence));
}

TEST_F(GamblingDetectorTest, JudgesTheWordsOfSitemapUrls) {
  EXPECT_TRUE(detector_->LooksLikeGamblingText("id slot gacor maxwin 12"));
  EXPECT_TRUE(detector_->LooksLikeGamblingText("link togel macau hari ini"));
  EXPECT_TRUE(detector_->LooksLikeGamblingText("page sl0t g4c0r"));
  EXPECT_FALSE(detector_->LooksLikeGamblingText("berita id 12 order desc"));
  EXPECT_FALSE(detector_->LooksLikeGamblingText("berita sosialisasi bahaya judi online bagi pegawai"));
  EXPECT_FALSE(detector_->LooksLikeGamblingText("jackpot"));
}

TEST(GamblingDetectorData, ReportsBadDataWithFileAndLine) {
  EXPECT_THAT(GamblingDetector::Load("/nonexistent/terms.yaml"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GamblingDetector::FromYaml("threshold: [", "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml:1")));
  EXPECT_THAT(GamblingDetector::FromYaml("threshold: 5\nthreshhold: 3\ngroups: []\n", "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("threshhold")));
  EXPECT_THAT(GamblingDetector::FromYaml("threshold: 5\n", "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no term groups")));
  EXPECT_THAT(GamblingDetector::FromYaml(R"yaml(
groups:
  - name: a
    weight: 5
    terms:
      - slot gacor
  - name: b
    weight: 1
    terms:
      - jackpot
      - Slot-Gacor
)yaml",
                                         "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.yaml:11: 'Slot-Gacor' repeats 'slot gacor'")));
  EXPECT_THAT(GamblingDetector::FromYaml(R"yaml(
groups:
  - name: a
    weight: 5
    terms: [slot gacor, "!!!"]
)yaml",
                                         "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'!!!' has no letters")));
  EXPECT_THAT(GamblingDetector::FromYaml(R"yaml(
groups:
  - name: a
    weight: 5000
    terms: [slot gacor]
)yaml",
                                         "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml:4")));
  EXPECT_THAT(GamblingDetector::FromYaml(R"yaml(
groups:
  - name: a
    terms: [slot gacor]
gambling_hosts:
  - 'slot'
  - 'gacor('
)yaml",
                                         "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml:7")));
}

TEST(GamblingDetectorData, SmallListScoresAsConfigured) {
  ASSERT_OK_AND_ASSIGN(GamblingDetector detector, GamblingDetector::FromYaml(R"yaml(
threshold: 4
hidden_multiplier: 2
groups:
  - name: only
    weight: 2
    max_count: 1
    terms: [slot gacor]
)yaml",
                                                                             "t.yaml"));
  EXPECT_EQ(detector.threshold(), 4);
  HtmlDocument doc;
  doc.visible_text = "slot gacor slot gacor";
  EXPECT_EQ(detector.Scan(doc, kHost).score, 2);
  EXPECT_FALSE(detector.Scan(doc, kHost).suspicious);
  doc.hidden_text = "slotgacor";
  EXPECT_EQ(detector.Scan(doc, kHost).score, 6);
  EXPECT_TRUE(detector.Scan(doc, kHost).suspicious);
}

TEST(SiteVerificationTokens, ListsEachTokenOnce) {
  const HtmlDocument doc = ExtractHtml(
      "<meta name='google-site-verification' content=' court-token '>"
      "<meta name='Google-Site-Verification' content='spammer-token'>"
      "<meta name='google-site-verification' content='court-token'>"
      "<meta name='description' content='x'>");
  EXPECT_THAT(SiteVerificationTokens(doc), ElementsAre("court-token", "spammer-token"));
  EXPECT_THAT(SiteVerificationTokens(ExtractHtml("<p>x</p>")), IsEmpty());
}

}  // namespace
}  // namespace pantau::agent
