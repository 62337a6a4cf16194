// The email notifier against a real SMTP server (aiosmtpd through tests/testing/smtp_server.h).
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/notify/notifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/ports.h"
#include "tests/testing/smtp_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::SmtpMessage;
using ::pantau::testing::SmtpServer;
using ::pantau::testing::SmtpServerOptions;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr absl::Duration kWait = absl::Seconds(30);

SmtpConfig Smtp(const std::string& url) {
  SmtpConfig c;
  c.url = url;
  c.tls = "none";  // the test server has no STARTTLS; loopback only
  c.from = "pantau@pn-contoh.go.id";
  c.timeout = absl::Seconds(30);
  return c;
}

Notification Mail(const std::string& key) {
  Notification n;
  n.idempotency_key = key;
  n.channel = "email";
  n.address = "sekretaris@pn-contoh.go.id";
  n.subject = "Situs tidak dapat diakses — PN Contoh (résumé)";
  n.text =
      "Situs https://pn-contoh.go.id tidak menjawab sejak 10:02 WIB.\n"
      ".htaccess diubah?\n"
      "Langkah: periksa hosting — hubungi vendor.";
  n.incident_id = 42;
  return n;
}

std::unique_ptr<Notifiers> MakeMail(const SmtpConfig& config, const Clock& clock) {
  NotifyConfig notify;
  notify.smtp = config;
  absl::StatusOr<std::unique_ptr<Notifiers>> notifiers = MakeNotifiers(notify, clock);
  EXPECT_OK(notifiers);
  return notifiers.ok() ? std::move(*notifiers) : nullptr;
}

TEST(SmtpNotifier, DeliversAnIndonesianMessageToTheRecipient) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
  ::pantau::testing::FakeClock clock(
      absl::FromCivil(absl::CivilSecond(2024, 5, 7, 3, 4, 5), absl::UTCTimeZone()));
  auto notifiers = MakeMail(Smtp(smtp->Url()), clock);
  ASSERT_NE(notifiers, nullptr);
  ASSERT_OK(notifiers->Send(Mail("inc-42:step-1/email")));

  ASSERT_OK_AND_ASSIGN(std::vector<SmtpMessage> mails, smtp->WaitForMessages(1, kWait));
  ASSERT_THAT(mails, SizeIs(1));
  const SmtpMessage& m = mails[0];
  EXPECT_EQ(m.mail_from, "pantau@pn-contoh.go.id");
  EXPECT_THAT(m.rcpt_to, ElementsAre("sekretaris@pn-contoh.go.id"));
  EXPECT_EQ(m.Header("to"), "sekretaris@pn-contoh.go.id");
  EXPECT_EQ(m.Header("from"), "pantau@pn-contoh.go.id");
  EXPECT_EQ(m.subject, "Situs tidak dapat diakses — PN Contoh (résumé)");
  EXPECT_EQ(m.message_id(), "<inc-42step-1email@pantau>");
  EXPECT_EQ(m.Header("date"), "Tue, 07 May 2024 03:04:05 +0000");
  EXPECT_THAT(m.raw, HasSubstr("\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
  EXPECT_EQ(m.body,
            "Situs https://pn-contoh.go.id tidak menjawab sejak 10:02 WIB.\n"
            ".htaccess diubah?\n"
            "Langkah: periksa hosting — hubungi vendor.\n");
}

TEST(SmtpNotifier, ServerDownIsUnavailableAndRecoversAfterRestart) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
  ::pantau::testing::FakeClock clock(absl::FromUnixSeconds(1715050000));
  auto notifiers = MakeMail(Smtp(smtp->Url()), clock);
  ASSERT_NE(notifiers, nullptr);
  ASSERT_OK(smtp->Stop());
  EXPECT_THAT(
      notifiers->Send(Mail("k1")),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("email to sekretaris@pn-contoh.go.id"), HasSubstr(smtp->Url()))));
  ASSERT_OK(smtp->Restart());
  EXPECT_OK(notifiers->Send(Mail("k1")));
  EXPECT_OK(smtp->WaitForMessages(1, kWait));
}

TEST(SmtpNotifier, MapsTemporaryAndPermanentRefusals) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
  ::pantau::testing::FakeClock clock(absl::FromUnixSeconds(1715050000));
  auto notifiers = MakeMail(Smtp(smtp->Url()), clock);
  ASSERT_NE(notifiers, nullptr);
  ASSERT_OK(smtp->FailNextMessages(1, 451));
  EXPECT_THAT(notifiers->Send(Mail("k1")),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("server said: 451 4.3.0")));
  ASSERT_OK(smtp->FailNextMessages(1, 554));
  EXPECT_THAT(notifiers->Send(Mail("k1")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("server said: 554 5.7.1")));
  EXPECT_OK(notifiers->Send(Mail("k1")));
  EXPECT_THAT(smtp->Messages(), SizeIs(1));
  Notification bad = Mail("k2");
  bad.address = "Sekretaris <s@pn-contoh.go.id>";
  EXPECT_THAT(notifiers->Send(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a plain email address")));
}

TEST(SmtpNotifier, AuthenticatesWithThePasswordFileAndNeverShowsIt) {
  SmtpServerOptions options;
  options.username = "pantau";
  options.password = "kata-sandi-rahasia";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start(options));
  ::pantau::testing::ScopedTempDir dir;
  const std::string password_file = dir.path() + "/smtp.pass";
  std::ofstream(password_file) << "kata-sandi-rahasia\n";
  ::chmod(password_file.c_str(), 0600);
  ::pantau::testing::FakeClock clock(absl::FromUnixSeconds(1715050000));

  SmtpConfig config = Smtp(smtp->Url());
  config.username = "pantau";
  config.password.file = password_file;
  auto notifiers = MakeMail(config, clock);
  ASSERT_NE(notifiers, nullptr);
  ASSERT_OK(notifiers->Send(Mail("k1")));
  EXPECT_OK(smtp->WaitForMessages(1, kWait));

  const std::string wrong_file = dir.path() + "/wrong.pass";
  std::ofstream(wrong_file) << "salah-sandi\n";
  ::chmod(wrong_file.c_str(), 0600);
  config.password.file = wrong_file;
  auto wrong = MakeMail(config, clock);
  ASSERT_NE(wrong, nullptr);
  const absl::Status refused = wrong->Send(Mail("k2"));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(refused.message()), Not(HasSubstr("salah-sandi")));
}

TEST(SmtpNotifier, NothingListeningIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(int port, ::pantau::testing::PickFreePort());
  ::pantau::testing::FakeClock clock(absl::FromUnixSeconds(1715050000));
  SmtpConfig config = Smtp(absl::StrCat("smtp://127.0.0.1:", port));
  config.timeout = absl::Seconds(5);
  auto notifiers = MakeMail(config, clock);
  ASSERT_NE(notifiers, nullptr);
  EXPECT_THAT(notifiers->Send(Mail("k1")), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace pantau::collector
