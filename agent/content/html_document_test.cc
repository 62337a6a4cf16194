#include "agent/content/html_document.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/content/testdata/read_testdata.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::agent {
namespace {

using ::pantau::agent::testing::ReadTestdata;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(ExtractHtml, ReadsTextTitleMetasAndLinksOfACourtHomepage) {
  const HtmlDocument doc = ExtractHtml(ReadTestdata("pn_contoh_clean.html"));
  EXPECT_EQ(doc.title, "Pengadilan Negeri Contoh Kelas IA \xE2\x80\x93 Beranda");
  EXPECT_THAT(doc.visible_text, HasSubstr("PENGADILAN NEGERI CONTOH KELAS IA"));
  EXPECT_THAT(doc.visible_text, HasSubstr("Jadwal Sidang Hari Ini"));
  EXPECT_THAT(doc.visible_text, HasSubstr("123/Pid.B/2026/PN Cth Cakra Pembacaan Tuntutan"));
  EXPECT_THAT(doc.visible_text, HasSubstr("Lihat jadwal sidang selengkapnya di SIPP \xC2\xBB"));
  // No script, style, comment or title text in the visible text.
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("csrf_token")));
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("bukan teks")));
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("font-family")));
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("header mulai")));
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("Beranda</")));
  // The collapsed sub-menu is hidden text.
  EXPECT_THAT(doc.hidden_text, HasSubstr("Visi dan Misi Struktur Organisasi"));
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("Visi dan Misi")));
  // Whitespace collapsed; no leading or trailing space.
  EXPECT_THAT(doc.visible_text, Not(HasSubstr("  ")));
  EXPECT_NE(doc.visible_text.front(), ' ');
  EXPECT_NE(doc.visible_text.back(), ' ');

  EXPECT_THAT(doc.links,
              Contains(AllOf(Field(&HtmlLink::href, "https://sipp.pn-contoh.go.id/"),
                             Field(&HtmlLink::text, "SIPP"), Field(&HtmlLink::hidden, false))));
  EXPECT_THAT(doc.links, Contains(AllOf(Field(&HtmlLink::href, "/tentang/visi-misi"),
                                        Field(&HtmlLink::hidden, true))));
  EXPECT_THAT(doc.metas, Contains(AllOf(Field(&HtmlMeta::name, "og:title"),
                                        Field(&HtmlMeta::content, "Pengadilan Negeri Contoh"))));
  EXPECT_THAT(doc.metas, Contains(Field(&HtmlMeta::name, "google-site-verification")));
  EXPECT_FALSE(doc.truncated);
}

TEST(ExtractHtml, DecodesCharacterReferences) {
  const HtmlDocument doc = ExtractHtml(
      "<p>a&amp;b &lt;i&gt; &quot;q&quot; &#39;s&#39; caf&#233; caf&#xE9; caf&eacute; "
      "x&nbsp;y &#128; &copy;2026 &copy2026 &bogus; & &#0; &#x110000; &#55296; AT&T</p>");
  EXPECT_EQ(doc.visible_text,
            "a&b <i> \"q\" 's' caf\xC3\xA9 caf\xC3\xA9 caf\xC3\xA9 x y \xE2\x82\xAC "
            "\xC2\xA9"
            "2026 \xC2\xA9"
            "2026 &bogus; & \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD AT&T");
}

TEST(ExtractHtml, DecodesReferencesInAttributesButKeepsQueryStrings) {
  const HtmlDocument doc = ExtractHtml(
      "<a href=' /cari?a=1&amp;b=2&copy=3 '>x</a><meta name=Description content='A &amp; B'>");
  ASSERT_EQ(doc.links.size(), 1u);
  EXPECT_EQ(doc.links[0].href, "/cari?a=1&b=2&copy=3");
  ASSERT_EQ(doc.metas.size(), 1u);
  EXPECT_EQ(doc.metas[0].name, "description");
  EXPECT_EQ(doc.metas[0].content, "A & B");
}

TEST(ExtractHtml, BlockElementsSeparateWordsInlineElementsDoNot) {
  EXPECT_EQ(ExtractHtml("<div>berita</div><div>terkini</div>").visible_text, "berita terkini");
  EXPECT_EQ(ExtractHtml("<p>satu<br>dua</p><li>tiga</li>").visible_text, "satu dua tiga");
  EXPECT_EQ(ExtractHtml("<td>a</td><td>b</td>").visible_text, "a b");
  EXPECT_EQ(ExtractHtml("sl<b>o</b><span>t</span> <i>gacor</i>").visible_text, "slot gacor");
  EXPECT_EQ(ExtractHtml("  \n\t lots \r\n of   space  ").visible_text, "lots of space");
}

struct HidingCase {
  const char* name;
  const char* open_tag;
};

class HiddenStyle : public ::testing::TestWithParam<HidingCase> {};

TEST_P(HiddenStyle, MovesTextToHiddenText) {
  const std::string html =
      absl::StrCat("<p>before</p>", GetParam().open_tag, "<span>rahasia</span></div><p>after</p>");
  const HtmlDocument doc = ExtractHtml(html);
  EXPECT_EQ(doc.visible_text, "before after") << GetParam().open_tag;
  EXPECT_EQ(doc.hidden_text, "rahasia") << GetParam().open_tag;
}

INSTANTIATE_TEST_SUITE_P(
    ExtractHtml, HiddenStyle,
    ::testing::Values(
        HidingCase{"DisplayNone", "<div style=\"display:none\">"},
        HidingCase{"DisplayNoneImportantUpperCase", "<div STYLE='DISPLAY : NONE !important'>"},
        HidingCase{"DisplayNoneAsEntities", "<div style=\"display&colon;none\">"},
        HidingCase{"VisibilityHidden", "<div style=\"visibility: hidden\">"},
        HidingCase{"OpacityZero", "<div style=\"opacity:0\">"},
        HidingCase{"OpacityZeroPointZero", "<div style=\"opacity: 0.0\">"},
        HidingCase{"FontSizeZero", "<div style=\"font-size:0\">"},
        HidingCase{"FontSizeZeroEm", "<div style=\"font-size: 0em\">"},
        HidingCase{"FontSizeOnePixel", "<div style=\"font-size:1px\">"},
        HidingCase{"OffscreenLeft", "<div style=\"position:absolute;left:-9999px\">"},
        HidingCase{"OffscreenTopFixed", "<div style=\"position: fixed; top: -1000px;\">"},
        HidingCase{"TextIndent", "<div style=\"text-indent:-9999px;overflow:hidden\">"},
        HidingCase{"ZeroHeightOverflowHidden", "<div style=\"height:0;overflow:hidden\">"},
        HidingCase{"ZeroWidthOverflowHidden", "<div style=\"width:0px; overflow: hidden\">"},
        HidingCase{"OnePixelClip", "<div style=\"position:absolute;clip:rect(1px,1px,1px,1px)\">"},
        HidingCase{"ScaleZero", "<div style=\"transform:scale(0)\">"},
        HidingCase{"TransparentColor", "<div style=\"color:transparent\">"},
        HidingCase{"HiddenAttribute", "<div hidden>"},
        HidingCase{"AriaHiddenWithFaintOpacity",
                   "<div aria-hidden=\"true\" style=\"opacity:0.05\">"},
        HidingCase{"AriaHiddenWithSmallOffset",
                   "<div aria-hidden=\"true\" style=\"position:absolute;left:-200px\">"}),
    [](const ::testing::TestParamInfo<HidingCase>& info) { return info.param.name; });

TEST(ExtractHtml, StylesThatDoNotHideLeaveTextVisible) {
  for (const char* tag :
       {"<div aria-hidden=\"true\">", "<div style=\"opacity:0.9\">",
        "<div style=\"font-size:14px\">", "<div style=\"position:absolute;left:10px\">",
        "<div style=\"height:0\">", "<div style=\"left:-9999px\">", "<div style=\"opacity:0.05\">",
        "<div style=\"display:block\">"}) {
    const HtmlDocument doc = ExtractHtml(absl::StrCat(tag, "terlihat</div>"));
    EXPECT_EQ(doc.visible_text, "terlihat") << tag;
    EXPECT_THAT(doc.hidden_text, IsEmpty()) << tag;
  }
}

TEST(ExtractHtml, HiddennessIsInheritedAndEndsWithTheElement) {
  const HtmlDocument doc = ExtractHtml(
      "<div style='display:none'><ul><li><a href='/x'><b>dalam</b></a></li></ul></div>luar");
  EXPECT_EQ(doc.hidden_text, "dalam");
  EXPECT_EQ(doc.visible_text, "luar");
  ASSERT_EQ(doc.links.size(), 1u);
  EXPECT_TRUE(doc.links[0].hidden);
}

TEST(ExtractHtml, DescendantsMayUndoInheritedFontSizeAndVisibilityButNotDisplayNone) {
  EXPECT_EQ(ExtractHtml("<div style='font-size:0'><span style='font-size:14px'>a</span></div>")
                .visible_text,
            "a");
  EXPECT_EQ(ExtractHtml("<div style='visibility:hidden'><p style='visibility:visible'>b</p>"
                        "</div>")
                .visible_text,
            "b");
  EXPECT_EQ(
      ExtractHtml("<div style='display:none'><p style='display:block'>c</p></div>").hidden_text,
      "c");
}

TEST(ExtractHtml, RawTextElementsAreNotParsedAsMarkup) {
  const HtmlDocument doc = ExtractHtml(
      "<script>var s = '<a href=x>slot</a>'; if (a</b) {}</script >"
      "<style>p{display:none}</style><TEXTAREA>isi &amp; <b>teks</b></TEXTAREA>"
      "<iframe><p>no</p></iframe><xmp><b>&amp;</b></xmp><title>judul</title><p>ok</p>");
  EXPECT_EQ(doc.visible_text, "isi & <b>teks</b> <b>&amp;</b> ok");
  EXPECT_THAT(doc.links, IsEmpty());
  EXPECT_EQ(doc.title, "judul");
}

TEST(ExtractHtml, NoscriptAndTemplateContentIsHiddenButParsed) {
  const HtmlDocument doc = ExtractHtml(
      "<noscript><a href='https://x.example/'>tautan</a></noscript>"
      "<template><p>templat</p></template><p>tampil</p>");
  EXPECT_EQ(doc.visible_text, "tampil");
  EXPECT_EQ(doc.hidden_text, "tautan templat");
  ASSERT_EQ(doc.links.size(), 1u);
  EXPECT_TRUE(doc.links[0].hidden);
}

TEST(ExtractHtml, SkipsCommentsDoctypeCdataAndProcessingInstructions) {
  const HtmlDocument doc = ExtractHtml(
      "<?xml version='1.0'?><!DOCTYPE html><!-- <p>komentar</p> -->a<!---->b<!-->c"
      "<![CDATA[ <p>cdata</p> ]]>d<!bogus>e</ x>f");
  EXPECT_EQ(doc.visible_text, "abcdef");
}

TEST(ExtractHtml, EndTagsPopToTheMatchingOpenElementOrAreIgnored) {
  EXPECT_EQ(ExtractHtml("<div style='display:none'><span>h</div>v").visible_text, "v");
  EXPECT_EQ(ExtractHtml("<div style='display:none'>h</span></b></div>v").visible_text, "v");
  EXPECT_EQ(ExtractHtml("</div></p>a<b><i>b</b>c</i>").visible_text, "abc");
}

TEST(ExtractHtml, ABlockElementClosesAnOpenParagraphAsBrowsersDo) {
  const HtmlDocument doc = ExtractHtml("<p style='display:none'>a<div>b</div>");
  EXPECT_EQ(doc.hidden_text, "a");
  EXPECT_EQ(doc.visible_text, "b");
}

TEST(ExtractHtml, CollectsLinkTextIncludingImageAlt) {
  const HtmlDocument doc = ExtractHtml(
      "<A HREF=\"https://sipp.pn-contoh.go.id/\">Info <IMG SRC=x.png ALT='SIPP'> Perkara</A>"
      "<a href=/a>satu<a href=/b>dua</a>"
      "<a name=anchor>bukan tautan</a>");
  ASSERT_EQ(doc.links.size(), 3u);
  EXPECT_EQ(doc.links[0].href, "https://sipp.pn-contoh.go.id/");
  EXPECT_EQ(doc.links[0].text, "Info SIPP Perkara");
  EXPECT_EQ(doc.links[1].text, "satu");  // a nested <a> closes the first
  EXPECT_EQ(doc.links[2].text, "dua");
  EXPECT_EQ(doc.visible_text, "Info Perkarasatuduabukan tautan");  // <a> is inline
}

TEST(ExtractHtml, ParsesQuotedUnquotedAndOddAttributes) {
  const HtmlDocument doc = ExtractHtml(
      "<a class=x href = 'https://a.example/?q=\"1\"' data-x=\"a>b\" checked>t</a>"
      "<a href=https://b.example/p?x=1>u</a><a href=\"\">v</a>");
  ASSERT_EQ(doc.links.size(), 3u);
  EXPECT_EQ(doc.links[0].href, "https://a.example/?q=\"1\"");
  EXPECT_EQ(doc.links[1].href, "https://b.example/p?x=1");
  EXPECT_EQ(doc.links[2].href, "");
  EXPECT_EQ(doc.visible_text, "tuv");
}

TEST(ExtractHtml, OnlyTheFirstTitleCounts) {
  EXPECT_EQ(ExtractHtml("<title> Satu \n Dua </title><title>Tiga</title>").title, "Satu Dua");
}

TEST(ExtractHtml, LimitsBoundOutputAndMarkTruncation) {
  HtmlLimits limits;
  limits.max_links = 2;
  limits.max_metas = 1;
  limits.max_text_bytes = 10;
  const HtmlDocument doc = ExtractHtml(
      "<meta name=a content=1><meta name=b content=2><a href=1>1</a><a href=2>2</a>"
      "<a href=3>3</a> abcdefghijklmnop",
      limits);
  EXPECT_EQ(doc.links.size(), 2u);
  EXPECT_EQ(doc.metas.size(), 1u);
  EXPECT_LE(doc.visible_text.size(), 10u);
  EXPECT_TRUE(doc.truncated);

  HtmlLimits input_limit;
  input_limit.max_input_bytes = 11;
  const HtmlDocument cut = ExtractHtml("<p>abc</p> <p>def</p>", input_limit);
  EXPECT_EQ(cut.visible_text, "abc");
  EXPECT_TRUE(cut.truncated);
}

TEST(ExtractHtml, InputCutOffAtEndIsHandled) {
  EXPECT_EQ(ExtractHtml("a<!-- unterminated comment <p>x</p>").visible_text, "a");
  EXPECT_EQ(ExtractHtml("a<div class='unterminated>b").visible_text, "a");
  EXPECT_EQ(ExtractHtml("a<div class=x").visible_text, "a");
  EXPECT_EQ(ExtractHtml("a<script>var x = 1;").visible_text, "a");
  EXPECT_EQ(ExtractHtml("a<title>judul").title, "judul");
  EXPECT_EQ(ExtractHtml("a<").visible_text, "a<");
  EXPECT_EQ(ExtractHtml("a</").visible_text, "a</");
  EXPECT_EQ(ExtractHtml("a &#x").visible_text, "a &#x");
  EXPECT_EQ(ExtractHtml("a<![CDATA[x").visible_text, "a");
  EXPECT_EQ(ExtractHtml("").visible_text, "");
}

TEST(ExtractHtml, DropsNulBytesAndKeepsInvalidUtf8) {
  constexpr char kHtml[] = "sl\0ot <b\0>x</b> \xFF\xFE\xC3";
  const std::string html(kHtml, sizeof(kHtml) - 1);
  const HtmlDocument doc = ExtractHtml(html);
  EXPECT_EQ(doc.visible_text, "slot x \xFF\xFE\xC3");
}

// Time is not asserted here (tests/bench/content_benchmark.cc measures it); ctest's timeout
// catches a hang or a quadratic blow-up.
TEST(ExtractHtml, SurvivesOneHundredThousandNestedDivs) {
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "<span style='display:none'>dalam</span>teks";
  for (int i = 0; i < 100000; ++i) html += "</div>";
  html += "setelah";
  const HtmlDocument doc = ExtractHtml(html);
  EXPECT_TRUE(doc.truncated);  // max_depth reached
  EXPECT_EQ(doc.visible_text, "teks setelah");
  EXPECT_EQ(doc.hidden_text, "dalam");
}

TEST(ExtractHtml, SurvivesHostileInputs) {
  const std::vector<std::string> inputs = {
      std::string(1 << 20, '<'),
      [] {
        std::string s;
        for (int i = 0; i < 100000; ++i) s += "<p><button><div>";
        return s;
      }(),
      [] {
        std::string s;
        for (int i = 0; i < 300; ++i) s += "<span>";
        for (int i = 0; i < 100000; ++i) s += "</div>";
        return s;
      }(),
      [] {
        std::string s = "<script>";
        for (int i = 0; i < 100000; ++i) s += "</scrip</scri";
        return s;
      }(),
      std::string(1 << 20, '&'),
      "<a " + std::string(1 << 20, 'x'),
      "<div style='" + std::string(1 << 20, ';') + "'>x</div>",
      std::string(1 << 20, '\0'),
      [] {
        std::string s;
        for (int i = 0; i < 100000; ++i) s += "<a href=x>";
        return s;
      }(),
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const HtmlDocument doc = ExtractHtml(inputs[i]);
    EXPECT_LE(doc.visible_text.size(), inputs[i].size()) << "input " << i;
  }
}

}  // namespace
}  // namespace pantau::agent
