#include "agent/content/keyword_check.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/content/html_document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(KeywordCheck, ReportsMissingAndForbiddenKeywordsAsConfigured) {
  ASSERT_OK_AND_ASSIGN(KeywordCheck check, KeywordCheck::Create({"Pengadilan Negeri Contoh",
                                                                 "Jadwal Sidang", "e-Court"},
                                                                {"slot gacor", "hacked by"}));
  const HtmlDocument doc = ExtractHtml(
      "<title>PENGADILAN NEGERI CONTOH</title><p>Lihat jadwal&nbsp;sidang di SIPP.</p>"
      "<p>Promo SL0T-G4C0R!</p><div style='display:none'>hacked by x</div>");
  const KeywordFindings findings = check.Check(doc.visible_text, doc.title);
  EXPECT_THAT(findings.missing, ElementsAre("e-Court"));
  EXPECT_THAT(findings.forbidden, ElementsAre("slot gacor"));  // hidden text does not count
  EXPECT_FALSE(findings.ok());
}

TEST(KeywordCheck, MatchesWholeWordsIgnoringCaseAccentsAndLookalikes) {
  ASSERT_OK_AND_ASSIGN(KeywordCheck check,
                       KeywordCheck::Create({"Pengadilan Négeri", "judi"}, {"togel"}));
  // Cyrillic е in "Pеngadilan"; "perjudian" does not contain the word "judi"; "togelnya"
  // does not contain the word "togel".
  const KeywordFindings findings = check.Check("P\xD0\xB5ngadilan NEGERI; perjudian, togelnya", "");
  EXPECT_THAT(findings.missing, ElementsAre("judi"));
  EXPECT_THAT(findings.forbidden, IsEmpty());
  EXPECT_TRUE(check.Check("pengadilan negeri judi", "").ok());
}

TEST(KeywordCheck, SpellingsOfOneKeywordAreReportedTogether) {
  ASSERT_OK_AND_ASSIGN(KeywordCheck check, KeywordCheck::Create({"E-Court", "ecourt", "SIPP"}, {}));
  EXPECT_THAT(check.Check("sipp", "").missing, ElementsAre("E-Court", "ecourt"));
  EXPECT_THAT(check.Check("layanan eCourt dan SIPP", "").missing, IsEmpty());
}

TEST(KeywordCheck, EmptyListsFindNothing) {
  ASSERT_OK_AND_ASSIGN(KeywordCheck check, KeywordCheck::Create({}, {}));
  EXPECT_TRUE(check.Check("apa saja", "judul").ok());
}

TEST(KeywordCheck, RejectsKeywordsWithoutLettersOrDigits) {
  EXPECT_THAT(KeywordCheck::Create({"ok", " -- "}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must_contain: ' -- '")));
  EXPECT_THAT(KeywordCheck::Create({}, {""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must_not_contain")));
}

}  // namespace
}  // namespace pantau::agent
