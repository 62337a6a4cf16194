#include "collector/notify/mail_message.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::collector {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

absl::Time May7() {
  return absl::FromCivil(absl::CivilSecond(2024, 5, 7, 3, 4, 5), absl::UTCTimeZone());
}

TEST(Rfc5322Date, SpellsDayAndMonthInEnglish) {
  EXPECT_EQ(Rfc5322Date(May7()), "Tue, 07 May 2024 03:04:05 +0000");
  EXPECT_EQ(Rfc5322Date(
                absl::FromCivil(absl::CivilSecond(2023, 12, 31, 23, 59, 59), absl::UTCTimeZone())),
            "Sun, 31 Dec 2023 23:59:59 +0000");
}

TEST(EncodeSubject, KeepsAsciiAndEncodesTheRest) {
  EXPECT_EQ(EncodeSubject("Situs PN Contoh tidak dapat diakses"),
            "Situs PN Contoh tidak dapat diakses");
  EXPECT_EQ(EncodeSubject("Sidang — café"), "=?UTF-8?B?U2lkYW5nIOKAlCBjYWbDqQ==?=");
  // CR/LF cannot inject a header.
  EXPECT_EQ(EncodeSubject("a\r\nBcc: x@y"), "a  Bcc: x@y");
}

TEST(EncodeSubject, SplitsLongSubjectsBetweenCharacters) {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "é";  // 80 bytes
  const std::string encoded = EncodeSubject(subject);
  std::string decoded;
  for (absl::string_view word : absl::StrSplit(encoded, "\r\n ")) {
    EXPECT_LE(word.size(), 75u);
    ASSERT_TRUE(absl::StartsWith(word, "=?UTF-8?B?") && absl::EndsWith(word, "?="));
    std::string part;
    ASSERT_TRUE(absl::Base64Unescape(word.substr(10, word.size() - 12), &part));
    EXPECT_EQ(part.size() % 2, 0u) << "a character was split";
    decoded += part;
  }
  EXPECT_EQ(decoded, subject);
}

TEST(QuotedPrintable, EncodesNonAsciiAndWrapsLongLines) {
  EXPECT_EQ(QuotedPrintable("café = 1\nbaris  \n"), "caf=C3=A9 =3D 1\r\nbaris =20\r\n");
  const std::string qp = QuotedPrintable(std::string(200, 'x'));
  for (absl::string_view line : absl::StrSplit(qp, "\r\n")) EXPECT_LE(line.size(), 76u);
  EXPECT_THAT(qp, HasSubstr("=\r\n"));
}

TEST(MessageIdFor, KeepsOnlySafeCharacters) {
  EXPECT_EQ(MessageIdFor("inc-42.step-1_email"), "<inc-42.step-1_email@pantau>");
  EXPECT_EQ(MessageIdFor("inc 42/<x>@y"), "<inc42xy@pantau>");
  EXPECT_EQ(MessageIdFor(".a..b."), "<a.b@pantau>");
  EXPECT_EQ(MessageIdFor(""), "<none@pantau>");
}

TEST(FormatMailMessage, WritesHeadersAndAQuotedPrintableBody) {
  MailMessage mail;
  mail.from = "pantau@pn-contoh.go.id";
  mail.to = "staf@pn-contoh.go.id";
  mail.subject = "Situs tidak dapat diakses — PN Contoh";
  mail.text = "Baris satu\n.titik\nRincian teknis: café";
  mail.idempotency_key = "inc-7:step-1";
  mail.date = May7();
  const std::string m = FormatMailMessage(mail);
  EXPECT_THAT(m, StartsWith("Date: Tue, 07 May 2024 03:04:05 +0000\r\n"
                            "From: pantau@pn-contoh.go.id\r\n"
                            "To: staf@pn-contoh.go.id\r\n"
                            "Subject: =?UTF-8?B?"));
  EXPECT_THAT(m, HasSubstr("\r\nMessage-ID: <inc-7step-1@pantau>\r\n"
                           "MIME-Version: 1.0\r\n"
                           "Content-Type: text/plain; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n"
                           "\r\n"
                           "Baris satu\r\n.titik\r\nRincian teknis: caf=C3=A9\r\n"));
  EXPECT_THAT(m, EndsWith("\r\n"));
  EXPECT_THAT(m, Not(HasSubstr("\n\n")));  // every line break is CRLF
}

TEST(FormatMailMessage, AsciiBodyIs7bit) {
  MailMessage mail;
  mail.from = "a@b.id";
  mail.to = "c@d.id";
  mail.subject = "Pulih";
  mail.text = "Situs kembali normal.\r\nTerima kasih.";
  mail.date = May7();
  const std::string m = FormatMailMessage(mail);
  EXPECT_THAT(m, HasSubstr("Subject: Pulih\r\n"));
  EXPECT_THAT(m, HasSubstr("Content-Transfer-Encoding: 7bit\r\n\r\n"
                           "Situs kembali normal.\r\nTerima kasih.\r\n"));
}

}  // namespace
}  // namespace pantau::collector
