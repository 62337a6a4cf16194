// Telegram, WhatsApp gateway and webhook notifiers against tests/testing/http_receiver.h:
// the exact requests they make and how they read the answers.
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/notify/notifier.h"
#include "collector/notify/senders.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/ports.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::HttpReceiver;
using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kBotToken[] = "123456789:AAH-rahasia_Bot-Token";
constexpr char kGatewayToken[] = "fonnte-TOKEN-xyz";
constexpr char kWebhookToken[] = "webhook-bearer-42";

// One HttpReceiver and secret files for all channels, pointing each channel at the receiver.
class HttpNotifiersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(http_, HttpReceiver::Start());
    ASSERT_FALSE(dir_.path().empty());
  }

  std::string SecretFile(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << content << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }

  std::string Base() const { return absl::StrCat("http://127.0.0.1:", http_->port()); }

  TelegramConfig Telegram() {
    TelegramConfig c;
    c.api_base_url = Base();
    c.token.file = SecretFile("bot.token", kBotToken);
    c.timeout = absl::Seconds(30);
    return c;
  }

  WhatsAppConfig WhatsApp(const std::string& format, const std::string& body_template) {
    WhatsAppConfig c;
    c.url = http_->Url("/send");
    c.body_format = format;
    c.body_template = body_template;
    c.headers["Authorization"] = "{token}";
    c.token.file = SecretFile("wa.token", kGatewayToken);
    return c;
  }

  WebhookConfig Webhook(const std::string& name, const std::string& path, bool with_token) {
    WebhookConfig c;
    c.name = name;
    c.url = http_->Url(path);
    if (with_token) c.token.file = SecretFile(name + ".token", kWebhookToken);
    return c;
  }

  std::unique_ptr<Notifiers> Make(const NotifyConfig& config) {
    absl::StatusOr<std::unique_ptr<Notifiers>> notifiers = MakeNotifiers(config);
    EXPECT_THAT(notifiers, IsOk());
    return notifiers.ok() ? std::move(*notifiers) : nullptr;
  }

  static Notification Page(const std::string& channel, const std::string& address) {
    Notification n;
    n.idempotency_key = "inc-42:step-1:" + channel;
    n.channel = channel;
    n.address = address;
    n.subject = "Situs tidak dapat diakses — PN Contoh";
    n.text = "Situs https://pn-contoh.go.id tidak menjawab sejak 10:02 WIB.\n\"Segera\" periksa.";
    n.incident_id = 42;
    return n;
  }

  ::pantau::testing::ScopedTempDir dir_;
  std::unique_ptr<HttpReceiver> http_;
};

// ---------------------------------------------------------------------------------------------
// Telegram

TEST_F(HttpNotifiersTest, TelegramSendsTheMessageWithTheAcknowledgeButton) {
  NotifyConfig config;
  config.telegram = Telegram();
  auto notifiers = Make(config);
  ASSERT_NE(notifiers, nullptr);
  ASSERT_NE(notifiers->telegram(), nullptr);
  ASSERT_OK(notifiers->Send(Page("telegram", "-1001234567890")));

  std::vector<HttpReceiver::Request> requests = http_->Requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, absl::StrCat("/bot", kBotToken, "/sendMessage"));
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].body,
            "{\"chat_id\":-1001234567890,"
            "\"text\":\"Situs tidak dapat diakses — PN Contoh\\n\\nSitus https://pn-contoh.go.id "
            "tidak menjawab sejak 10:02 WIB.\\n\\\"Segera\\\" periksa.\","
            "\"reply_markup\":{\"inline_keyboard\":[[{\"text\":\"Tindak lanjuti\","
            "\"callback_data\":\"ack:42\"}]]}}");
}

TEST_F(HttpNotifiersTest, TelegramWithoutIncidentHasNoButtonAndAcceptsChannelNames) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TelegramClient> client, TelegramClient::Create(Telegram()));
  ASSERT_OK(client->SendMessage("@pn_contoh_info", "Pulih", 0));
  ASSERT_OK_AND_ASSIGN(auto requests, http_->WaitForRequests(1, absl::Seconds(30)));
  EXPECT_EQ(requests[0].body, R"({"chat_id":"@pn_contoh_info","text":"Pulih"})");
  EXPECT_THAT(client->SendMessage("not a chat", "x", 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("neither a number")));
}

TEST_F(HttpNotifiersTest, TelegramCutsLongTextToTheApiLimit) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TelegramClient> client, TelegramClient::Create(Telegram()));
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "\xF0\x9F\x98\x80";  // 6000 UTF-16 units
  ASSERT_OK(client->SendMessage("1", text, 0));
  const std::string body = http_->Requests().at(0).body;
  const std::string sent = body.substr(body.find("\"text\":\"") + 8);
  // 2047 emoji (4094 units) and "…": 4095 units, then the end of the JSON.
  std::string expected;
  for (int i = 0; i < 2047; ++i) expected += "\xF0\x9F\x98\x80";
  expected += "\xE2\x80\xA6\"}";
  EXPECT_EQ(sent, expected);
}

TEST(ClampTelegramText, CountsUtf16UnitsAndNeverSplitsCharacters) {
  EXPECT_EQ(ClampTelegramText("abc", 3), "abc");
  EXPECT_EQ(ClampTelegramText("abcd", 3), "ab\xE2\x80\xA6");
  EXPECT_EQ(ClampTelegramText("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 4),
            "\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
  EXPECT_EQ(ClampTelegramText("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 3),
            "\xF0\x9F\x98\x80\xE2\x80\xA6");
  EXPECT_EQ(ClampTelegramText("\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 2), "\xE2\x80\xA6");
  EXPECT_EQ(ClampTelegramText("a\xFFz", 10), "a\xEF\xBF\xBDz");  // invalid UTF-8 replaced
}

// A getUpdates answer as the Bot API sends it: a plain message (skipped: not asked for, but a
// server may still send it) and a press of the "Tindak lanjuti" button in a supergroup.
constexpr char kUpdates[] = R"({"ok":true,"result":[
{"update_id":815000001,
 "message":{"message_id":76,"from":{"id":111222333,"is_bot":false,"first_name":"Siti",
   "username":"siti_pn","language_code":"id"},
   "chat":{"id":-1001234567890,"title":"Tim IT PN Contoh","type":"supergroup"},
   "date":1715050100,"text":"/start"}},
{"update_id":815000002,
 "callback_query":{"id":"4382bfdwdsb323b2d9",
   "from":{"id":111222333,"is_bot":false,"first_name":"Siti","last_name":"Rahma",
     "username":"siti_pn","language_code":"id"},
   "message":{"message_id":77,
     "from":{"id":7000000001,"is_bot":true,"first_name":"Pantau PN","username":"pantau_pn_bot"},
     "chat":{"id":-1001234567890,"title":"Tim IT PN Contoh","type":"supergroup"},
     "date":1715050123,"text":"Situs tidak dapat diakses \u2014 PN Contoh\n\n...",
     "reply_markup":{"inline_keyboard":[[{"text":"Tindak lanjuti","callback_data":"ack:42"}]]}},
   "chat_instance":"-5123456789012345678","data":"ack:42"}}]})";

TEST_F(HttpNotifiersTest, TelegramReadsCallbackQueriesFromGetUpdates) {
  http_->SetResponse(absl::StrCat("/bot", kBotToken, "/getUpdates"), 200, kUpdates);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TelegramClient> client, TelegramClient::Create(Telegram()));
  ASSERT_OK_AND_ASSIGN(std::vector<TelegramUpdate> updates,
                       client->GetUpdates(815000001, absl::Seconds(0)));
  ASSERT_THAT(updates, SizeIs(2));
  EXPECT_EQ(updates[0].update_id, 815000001);
  EXPECT_FALSE(updates[0].callback.has_value());
  EXPECT_EQ(updates[1].update_id, 815000002);
  ASSERT_TRUE(updates[1].callback.has_value());
  const TelegramCallback& cb = *updates[1].callback;
  EXPECT_EQ(cb.id, "4382bfdwdsb323b2d9");
  EXPECT_EQ(cb.from_user_id, 111222333);
  EXPECT_EQ(cb.from_username, "siti_pn");
  EXPECT_EQ(cb.chat_id, -1001234567890);
  EXPECT_EQ(cb.data, "ack:42");

  const HttpReceiver::Request request = http_->Requests().at(0);
  EXPECT_EQ(request.path, absl::StrCat("/bot", kBotToken, "/getUpdates"));
  EXPECT_EQ(request.body,
            R"({"offset":815000001,"timeout":0,"allowed_updates":["callback_query"]})");
}

TEST_F(HttpNotifiersTest, TelegramAnswersCallbackQueries) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TelegramClient> client, TelegramClient::Create(Telegram()));
  ASSERT_OK(client->AnswerCallback("4382bfdwdsb323b2d9", "Dicatat: Siti menindaklanjuti"));
  const HttpReceiver::Request request = http_->Requests().at(0);
  EXPECT_EQ(request.path, absl::StrCat("/bot", kBotToken, "/answerCallbackQuery"));
  EXPECT_EQ(request.body,
            R"({"callback_query_id":"4382bfdwdsb323b2d9","text":"Dicatat: Siti menindaklanjuti"})");
}

TEST(ParseTelegramUpdates, RefusesWhatIsNotAnUpdateList) {
  EXPECT_THAT(ParseTelegramUpdates("<html>"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTelegramUpdates(R"({"ok":false,"description":"Conflict"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Conflict")));
  EXPECT_THAT(ParseTelegramUpdates(R"({"ok":true,"result":{}})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto updates, ParseTelegramUpdates(R"({"ok":true,"result":[{"x":1},
                           {"update_id":5,"callback_query":{"data":"ack:1"}}]})"));
  ASSERT_THAT(updates, SizeIs(1));                // the entry without update_id is dropped
  EXPECT_FALSE(updates[0].callback.has_value());  // a callback without id cannot be answered
}

TEST_F(HttpNotifiersTest, TelegramMapsApiErrorsAndNeverShowsTheToken) {
  const std::string send_path = absl::StrCat("/bot", kBotToken, "/sendMessage");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TelegramClient> client, TelegramClient::Create(Telegram()));
  struct Case {
    int http_status;
    std::string body;
    absl::StatusCode code;
    std::string text;
  };
  const std::vector<Case> cases = {
      {400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})",
       absl::StatusCode::kInvalidArgument, "error 400: Bad Request: chat not found"},
      {429,
       R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}})",
       absl::StatusCode::kUnavailable, "retry after 7 s"},
      {403,
       R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})",
       absl::StatusCode::kPermissionDenied, "bot was blocked"},
      {502, R"({"ok":false,"error_code":502,"description":"Bad Gateway"})",
       absl::StatusCode::kUnavailable, "Bad Gateway"},
      // The description echoes the token: it is cut out.
      {401,
       absl::StrCat(R"({"ok":false,"error_code":401,"description":"Unauthorized: )", kBotToken,
                    R"("})"),
       absl::StatusCode::kPermissionDenied, "Unauthorized: <redacted>"},
      // Not the Bot API: a proxy's page.
      {503, "<html>Service Unavailable</html>", absl::StatusCode::kUnavailable, "HTTP 503"},
      {200, "<html>captive portal</html>", absl::StatusCode::kUnavailable, "not a Bot API answer"},
  };
  for (const Case& c : cases) {
    http_->SetResponse(send_path, c.http_status, c.body);
    const absl::Status status = client->SendMessage("1", "x", 1);
    EXPECT_THAT(status, StatusIs(c.code, AllOf(HasSubstr(c.text), HasSubstr("sendMessage"))))
        << c.body;
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kBotToken)));
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr("AAH-rahasia")));
  }
}

TEST_F(HttpNotifiersTest, TelegramNetworkErrorsAreUnavailableWithoutTheToken) {
  TelegramConfig config = Telegram();
  ASSERT_OK_AND_ASSIGN(int closed_port, ::pantau::testing::PickFreePort());
  config.api_base_url = absl::StrCat("http://127.0.0.1:", closed_port);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TelegramClient> client, TelegramClient::Create(config));
  const absl::Status sent = client->SendMessage("1", "x", 1);
  EXPECT_THAT(sent, StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr(kBotToken))));
  EXPECT_THAT(client->GetUpdates(0, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kUnavailable, Not(HasSubstr(kBotToken))));
  // A cut-off answer to getUpdates is worth another poll.
  http_->SetResponse(absl::StrCat("/bot", kBotToken, "/getUpdates"), 200, R"({"ok":true,"res)");
  ASSERT_OK_AND_ASSIGN(client, TelegramClient::Create(Telegram()));
  EXPECT_THAT(client->GetUpdates(0, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("getUpdates")));
}

TEST_F(HttpNotifiersTest, TelegramTokenMustBeReadableAndWellFormed) {
  TelegramConfig config = Telegram();
  config.token.file = dir_.path() + "/missing.token";
  EXPECT_THAT(TelegramClient::Create(config),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.token")));
  config.token.file = SecretFile("bad.token", "123:abc/../x?y");
  EXPECT_THAT(TelegramClient::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.token"), Not(HasSubstr("123:abc")))));
}

// ---------------------------------------------------------------------------------------------
// WhatsApp gateway

TEST_F(HttpNotifiersTest, WhatsAppJsonTemplateEscapesTheValues) {
  NotifyConfig config;
  config.whatsapp = WhatsApp(
      "json", R"({"target":"{phone}","message":"{message}","ref":"{key}","typing":false})");
  auto notifiers = Make(config);
  ASSERT_NE(notifiers, nullptr);
  ASSERT_OK(notifiers->Send(Page("whatsapp", "+6281234567890")));
  ASSERT_OK_AND_ASSIGN(auto requests, http_->WaitForRequests(1, absl::Seconds(30)));
  const HttpReceiver::Request& r = requests[0];
  EXPECT_EQ(r.path, "/send");
  EXPECT_EQ(r.Header("authorization"), kGatewayToken);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("idempotency-key"), "inc-42:step-1:whatsapp");
  EXPECT_EQ(r.body,
            "{\"target\":\"+6281234567890\","
            "\"message\":\"Situs tidak dapat diakses — PN Contoh\\n\\nSitus "
            "https://pn-contoh.go.id tidak menjawab sejak 10:02 WIB.\\n\\\"Segera\\\" periksa.\","
            "\"ref\":\"inc-42:step-1:whatsapp\",\"typing\":false}");
}

TEST_F(HttpNotifiersTest, WhatsAppFormTemplatePercentEncodesTheValues) {
  NotifyConfig config;
  config.whatsapp = WhatsApp("form", "target={phone}&message={message}&countryCode=62");
  config.whatsapp->headers["Authorization"] = "Bearer {token}";
  auto notifiers = Make(config);
  ASSERT_NE(notifiers, nullptr);
  Notification n = Page("whatsapp", "+6281234567890");
  n.subject = "Sidang — café";
  n.text = "a&b=c\n100%";
  ASSERT_OK(notifiers->Send(n));
  const HttpReceiver::Request r = http_->Requests().at(0);
  EXPECT_EQ(r.Header("authorization"), absl::StrCat("Bearer ", kGatewayToken));
  EXPECT_EQ(r.Header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body,
            "target=%2B6281234567890&message=Sidang+%E2%80%94+caf%C3%A9%0A%0Aa%26b%3Dc%0A100%25"
            "&countryCode=62");
}

TEST(RenderWhatsAppBody, ReplacesOnlyKnownPlaceholdersInOnePass) {
  WhatsAppFields f;
  f.phone = "{message}";
  f.message = "m";
  f.subject = "s";
  f.key = "k";
  f.token = "t";
  EXPECT_EQ(RenderWhatsAppBody("{\"a\":\"{phone}\",\"b\":\"{message}\",\"{other}\":{x}", "json", f),
            "{\"a\":\"{message}\",\"b\":\"m\",\"{other}\":{x}");
  EXPECT_EQ(RenderWhatsAppBody("{subject}|{key}|{token}|{", "form", f), "s|k|t|{");
}

TEST_F(HttpNotifiersTest, WhatsAppMapsGatewayStatuses) {
  NotifyConfig config;
  config.whatsapp = WhatsApp("json", R"({"target":"{phone}","message":"{message}"})");
  auto notifiers = Make(config);
  ASSERT_NE(notifiers, nullptr);
  const Notification n = Page("whatsapp", "081234567890");
  http_->SetResponse("/send", 500, R"({"status":false})");
  EXPECT_THAT(notifiers->Send(n), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("HTTP 500")));
  http_->SetResponse("/send", 429, "slow down");
  EXPECT_THAT(notifiers->Send(n), StatusIs(absl::StatusCode::kUnavailable));
  http_->SetResponse("/send", 400,
                     absl::StrCat(R"({"reason":"invalid token )", kGatewayToken, "\"}"));
  const absl::Status refused = notifiers->Send(n);
  EXPECT_THAT(refused,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("HTTP 400"), HasSubstr("invalid token <redacted>"))));
  EXPECT_THAT(std::string(refused.message()), Not(HasSubstr(kGatewayToken)));
  EXPECT_THAT(notifiers->Send(Page("whatsapp", "0812-3456")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a phone number")));
  EXPECT_THAT(http_->Requests(), SizeIs(3));  // the bad number was never sent
}

// ---------------------------------------------------------------------------------------------
// Webhooks

TEST_F(HttpNotifiersTest, WebhookPostsTheJsonWithIdempotencyKeyAndBearer) {
  NotifyConfig config;
  config.webhooks = {Webhook("ops", "/hooks/ops", true), Webhook("chat", "/hooks/chat", false)};
  auto notifiers = Make(config);
  ASSERT_NE(notifiers, nullptr);
  Notification n = Page("webhook", "ops");
  n.json = R"({"event":"incident_opened","incident_id":42})";
  ASSERT_OK(notifiers->Send(n));
  Notification plain = Page("webhook", "chat");
  plain.idempotency_key = "k2";
  ASSERT_OK(notifiers->Send(plain));

  ASSERT_OK_AND_ASSIGN(auto requests, http_->WaitForRequests(2, absl::Seconds(30)));
  EXPECT_EQ(requests[0].path, "/hooks/ops");
  EXPECT_EQ(requests[0].body, n.json);
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("idempotency-key"), "inc-42:step-1:webhook");
  EXPECT_EQ(requests[0].Header("authorization"), absl::StrCat("Bearer ", kWebhookToken));
  EXPECT_EQ(requests[1].path, "/hooks/chat");
  EXPECT_EQ(requests[1].Header("authorization"), "");
  EXPECT_EQ(requests[1].Header("idempotency-key"), "k2");
  // Without its own JSON the notification's fields are sent.
  EXPECT_EQ(
      requests[1].body,
      "{\"idempotency_key\":\"k2\",\"subject\":\"Situs tidak dapat diakses — PN Contoh\","
      "\"text\":\"Situs https://pn-contoh.go.id tidak menjawab sejak 10:02 WIB.\\n\\\"Segera\\\" "
      "periksa.\",\"incident_id\":42}");
}

TEST_F(HttpNotifiersTest, WebhookStatusesNamesAndNetworkErrors) {
  NotifyConfig config;
  config.webhooks = {Webhook("ops", "/hooks/ops?secret=abc", true)};
  auto notifiers = Make(config);
  ASSERT_NE(notifiers, nullptr);
  const Notification n = Page("webhook", "ops");
  http_->SetResponse("/hooks/ops", 500, "oops");
  const absl::Status down = notifiers->Send(n);
  EXPECT_THAT(down, StatusIs(absl::StatusCode::kUnavailable,
                             AllOf(HasSubstr("webhook ops"), HasSubstr("HTTP 500"))));
  EXPECT_THAT(std::string(down.message()), Not(HasSubstr("secret=abc")));  // origin only
  http_->SetResponse("/hooks/ops", 404, "no such hook");
  EXPECT_THAT(notifiers->Send(n), StatusIs(absl::StatusCode::kNotFound, HasSubstr("HTTP 404")));
  http_->SetResponse("/hooks/ops", 302, "");
  EXPECT_THAT(notifiers->Send(n), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("redirects are not followed")));
  http_->SetResponse("/hooks/ops", 204, "");
  EXPECT_OK(notifiers->Send(n));

  EXPECT_THAT(notifiers->Send(Page("webhook", "nobody")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("webhook 'nobody'")));
  Notification bad_json = n;
  bad_json.json = "{not json";
  EXPECT_THAT(notifiers->Send(bad_json), StatusIs(absl::StatusCode::kInvalidArgument));

  HttpReceiver::Response crash;
  crash.drop_connection = true;
  http_->SetResponse("/hooks/ops", crash);
  EXPECT_THAT(notifiers->Send(n), StatusIs(absl::StatusCode::kUnavailable));
  http_->Stop();
  const absl::Status refused = notifiers->Send(n);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(refused.message()), Not(HasSubstr(kWebhookToken)));
}

// ---------------------------------------------------------------------------------------------
// Routing and secrets

TEST_F(HttpNotifiersTest, UnconfiguredChannelsFailPermanently) {
  auto notifiers = Make(NotifyConfig{});
  ASSERT_NE(notifiers, nullptr);
  EXPECT_EQ(notifiers->telegram(), nullptr);
  EXPECT_THAT(notifiers->Send(Page("email", "a@b.go.id")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "channel email is not configured"));
  EXPECT_THAT(
      notifiers->Send(Page("telegram", "1")),
      StatusIs(absl::StatusCode::kFailedPrecondition, "channel telegram is not configured"));
  EXPECT_THAT(
      notifiers->Send(Page("whatsapp", "+62812")),
      StatusIs(absl::StatusCode::kFailedPrecondition, "channel whatsapp is not configured"));
  EXPECT_THAT(notifiers->Send(Page("webhook", "ops")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "channel webhook is not configured"));
  EXPECT_THAT(
      notifiers->Send(Page("pager", "x")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown notification channel")));
  EXPECT_THAT(http_->Requests(), IsEmpty());
}

TEST_F(HttpNotifiersTest, SecretErrorsNameTheSourceNotTheValue) {
  NotifyConfig config;
  config.whatsapp = WhatsApp("json", R"({"to":"{phone}","m":"{message}"})");
  config.whatsapp->token.file.clear();
  config.whatsapp->token.env = "PANTAU_NOTIFY_TEST_UNSET_TOKEN";
  ::unsetenv("PANTAU_NOTIFY_TEST_UNSET_TOKEN");
  EXPECT_THAT(MakeNotifiers(config), StatusIs(absl::StatusCode::kNotFound,
                                              AllOf(HasSubstr("notify.whatsapp token"),
                                                    HasSubstr("PANTAU_NOTIFY_TEST_UNSET_TOKEN"))));
  ASSERT_EQ(::setenv("PANTAU_NOTIFY_TEST_BAD_TOKEN", "abc\x01secret-part", 1), 0);
  config.whatsapp->token.env = "PANTAU_NOTIFY_TEST_BAD_TOKEN";
  absl::StatusOr<std::unique_ptr<Notifiers>> bad = MakeNotifiers(config);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument,
                            AllOf(HasSubstr("PANTAU_NOTIFY_TEST_BAD_TOKEN"),
                                  Not(HasSubstr("secret-part")))));
  NotifyConfig webhooks;
  webhooks.webhooks = {Webhook("ops", "/x", false)};
  webhooks.webhooks[0].token.file = dir_.path() + "/nope";
  EXPECT_THAT(MakeNotifiers(webhooks),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("notify.webhooks ops token")));
}

}  // namespace
}  // namespace pantau::collector
