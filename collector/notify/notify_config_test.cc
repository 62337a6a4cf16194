#include <string>

#include "absl/status/status.h"
#include "collector/notify/notifier.h"
#include "common/yaml_fields.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Parses `yaml` (a whole collector config) and hands its notify: section over.
absl::StatusOr<NotifyConfig> Parse(const std::string& yaml) {
  absl::StatusOr<YAML::Node> root = ParseYaml(yaml, "collector.yaml");
  if (!root.ok()) return root.status();
  return ParseNotifyConfig((*root)["notify"], "collector.yaml");
}

constexpr char kFull[] = R"(
notify:
  smtp:
    url: smtp://mail.pn-contoh.go.id:587
    from: pantau@pn-contoh.go.id
    username: pantau
    password_file: /etc/pantau/smtp.pass
    timeout_seconds: 20
  telegram:
    token_env: PANTAU_TELEGRAM_TOKEN
    poll_timeout_seconds: 25
    poll_updates: false
  whatsapp:
    url: https://api.fonnte.com/send
    body_format: form
    body_template: "target={phone}&message={message}"
    headers:
      Authorization: "{token}"
    token_file: /etc/pantau/fonnte.token
  webhooks:
    - name: ops
      url: https://ops.example/hook
      token_file: /etc/pantau/ops.token
    - name: chat_2
      url: http://127.0.0.1:9000/in
)";

TEST(ParseNotifyConfig, ReadsEveryChannel) {
  ASSERT_OK_AND_ASSIGN(NotifyConfig c, Parse(kFull));
  ASSERT_TRUE(c.smtp.has_value());
  EXPECT_EQ(c.smtp->url, "smtp://mail.pn-contoh.go.id:587");
  EXPECT_EQ(c.smtp->tls, "starttls");
  EXPECT_EQ(c.smtp->from, "pantau@pn-contoh.go.id");
  EXPECT_EQ(c.smtp->username, "pantau");
  EXPECT_EQ(c.smtp->password.file, "/etc/pantau/smtp.pass");
  EXPECT_EQ(c.smtp->timeout, absl::Seconds(20));
  ASSERT_TRUE(c.telegram.has_value());
  EXPECT_EQ(c.telegram->api_base_url, "https://api.telegram.org");
  EXPECT_EQ(c.telegram->token.env, "PANTAU_TELEGRAM_TOKEN");
  EXPECT_EQ(c.telegram->poll_timeout, absl::Seconds(25));
  EXPECT_FALSE(c.telegram->poll_updates);
  EXPECT_EQ(c.telegram->timeout, absl::Seconds(30));
  ASSERT_TRUE(c.whatsapp.has_value());
  EXPECT_EQ(c.whatsapp->body_format, "form");
  EXPECT_EQ(c.whatsapp->headers.at("Authorization"), "{token}");
  ASSERT_EQ(c.webhooks.size(), 2u);
  EXPECT_EQ(c.webhooks[0].name, "ops");
  EXPECT_EQ(c.webhooks[0].token.file, "/etc/pantau/ops.token");
  EXPECT_EQ(c.webhooks[1].name, "chat_2");
  EXPECT_TRUE(c.webhooks[1].token.file.empty() && c.webhooks[1].token.env.empty());
}

TEST(ParseNotifyConfig, AbsentSectionConfiguresNothing) {
  ASSERT_OK_AND_ASSIGN(NotifyConfig c, Parse("database: x\n"));
  EXPECT_FALSE(c.smtp.has_value());
  EXPECT_FALSE(c.telegram.has_value());
  EXPECT_FALSE(c.whatsapp.has_value());
  EXPECT_TRUE(c.webhooks.empty());
}

TEST(ParseNotifyConfig, AcceptsAnEmptySectionAndAConstLookupOfAMissingKey) {
  ASSERT_OK_AND_ASSIGN(NotifyConfig empty, Parse("notify:\n"));
  EXPECT_FALSE(empty.smtp.has_value());
  ASSERT_OK_AND_ASSIGN(YAML::Node root, ParseYaml("database: x\n", "collector.yaml"));
  const YAML::Node& const_root = root;
  EXPECT_THAT(ParseNotifyConfig(const_root["notify"], "collector.yaml"), IsOk());
  EXPECT_THAT(ParseNotifyConfig(const_root["database"], "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("collector.yaml:1: notify must be a mapping")));
}

TEST(ParseNotifyConfig, SmtpsDefaultsToTlsAndTrailingSlashesAreCut) {
  ASSERT_OK_AND_ASSIGN(NotifyConfig c, Parse(R"(
notify:
  smtp: {url: "smtps://mail.example:465", from: a@b.go.id}
  telegram: {api_base_url: "http://127.0.0.1:8081/", token_file: /t}
)"));
  EXPECT_EQ(c.smtp->tls, "tls");
  EXPECT_EQ(c.telegram->api_base_url, "http://127.0.0.1:8081");
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* line_and_key;  // "collector.yaml:N: notify.x.key"
  const char* problem;
};

class ParseNotifyConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ParseNotifyConfigErrors, NameTheLineAndKey) {
  const BadCase& c = GetParam();
  EXPECT_THAT(Parse(c.yaml), StatusIs(absl::StatusCode::kInvalidArgument,
                                      AllOf(HasSubstr(c.line_and_key), HasSubstr(c.problem))));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseNotifyConfigErrors,
    ::testing::Values(
        BadCase{"UnknownChannel", "notify:\n  smpt: {}\n", "collector.yaml:2: notify.smpt",
                "unknown key"},
        BadCase{
            "UnknownSmtpKey",
            "notify:\n  smtp:\n    url: smtp://m.example\n    from: a@b.id\n    pasword_file: /x\n",
            "collector.yaml:5: notify.smtp.pasword_file", "unknown key"},
        BadCase{"SmtpWrongScheme",
                "notify:\n  smtp:\n    url: http://m.example\n    from: a@b.id\n",
                "collector.yaml:3: notify.smtp.url", "smtp:// or smtps://"},
        BadCase{"SmtpCredentialsInUrl",
                "notify:\n  smtp:\n    url: smtp://u:p@m.example\n    from: a@b.id\n",
                "collector.yaml:3: notify.smtp.url", "user:password@"},
        BadCase{
            "SmtpsWithStarttls",
            "notify:\n  smtp:\n    url: smtps://m.example\n    from: a@b.id\n    tls: starttls\n",
            "collector.yaml:5: notify.smtp.tls", "smtps:// URL needs tls: tls"},
        BadCase{"SmtpWithImplicitTls",
                "notify:\n  smtp:\n    url: smtp://m.example\n    from: a@b.id\n    tls: tls\n",
                "collector.yaml:5: notify.smtp.tls", "needs an smtps:// URL"},
        BadCase{
            "SmtpBadTlsValue",
            "notify:\n  smtp:\n    url: smtp://m.example\n    from: a@b.id\n    tls: yes-please\n",
            "collector.yaml:5: notify.smtp.tls", "starttls, tls or none"},
        BadCase{"SmtpFromRequired", "notify:\n  smtp:\n    url: smtp://m.example\n",
                "notify.smtp.from", "is required"},
        BadCase{"SmtpBadFrom",
                "notify:\n  smtp:\n    url: smtp://m.example\n    from: Pantau <a@b.id>\n",
                "collector.yaml:4: notify.smtp.from", "plain address"},
        BadCase{
            "SmtpPasswordWithoutUser",
            "notify:\n  smtp:\n    url: smtp://m.example\n    from: a@b.id\n    password_env: P\n",
            "collector.yaml:5: notify.smtp.password_env", "needs a username"},
        BadCase{"SmtpTimeoutRange",
                "notify:\n  smtp:\n    url: smtp://m.example\n    from: a@b.id\n    "
                "timeout_seconds: 0\n",
                "collector.yaml:5: notify.smtp.timeout_seconds", "between 1 and 600"},
        BadCase{"TelegramTokenRequired", "notify:\n  telegram:\n    poll_updates: true\n",
                "notify.telegram.token_file", "is required (or token_env)"},
        BadCase{"TelegramTwoTokenSources",
                "notify:\n  telegram:\n    token_file: /t\n    token_env: T\n",
                "collector.yaml:4: notify.telegram.token_env", "not both"},
        BadCase{"TelegramBadBaseUrl",
                "notify:\n  telegram:\n    api_base_url: ftp://x\n    token_env: T\n",
                "collector.yaml:3: notify.telegram.api_base_url", "http:// or https://"},
        BadCase{"WhatsAppTemplateNeedsPlaceholders",
                "notify:\n  whatsapp:\n    url: https://gw.example/send\n    token_env: T\n"
                "    headers: {Authorization: \"{token}\"}\n    body_template: "
                "'{\"to\":\"{phone}\"}'\n",
                "collector.yaml:6: notify.whatsapp.body_template", "{phone} and {message}"},
        BadCase{"WhatsAppBadFormat",
                "notify:\n  whatsapp:\n    url: https://gw.example/send\n    token_env: T\n"
                "    body_format: xml\n    body_template: '{phone}{message}{token}'\n",
                "collector.yaml:5: notify.whatsapp.body_format", "json or form"},
        BadCase{"WhatsAppTokenUnused",
                "notify:\n  whatsapp:\n    url: https://gw.example/send\n    token_file: /t\n"
                "    body_template: '{phone}{message}'\n",
                "collector.yaml:4: notify.whatsapp.token_file", "never sent"},
        BadCase{"WhatsAppBadHeaderName",
                "notify:\n  whatsapp:\n    url: https://gw.example/send\n    token_env: T\n"
                "    body_template: '{phone}{message}'\n    headers:\n      \"Bad Header\": "
                "\"{token}\"\n",
                "collector.yaml:7: notify.whatsapp.headers.Bad Header", "not a valid HTTP header"},
        BadCase{"WhatsAppReservedHeader",
                "notify:\n  whatsapp:\n    url: https://gw.example/send\n    token_env: T\n"
                "    body_template: '{phone}{message}{token}'\n    headers:\n      "
                "Idempotency-Key: x\n",
                "collector.yaml:7: notify.whatsapp.headers.Idempotency-Key", "set by pantau"},
        BadCase{"WebhookBadName",
                "notify:\n  webhooks:\n    - name: Ops Team\n      url: https://x.example/\n",
                "collector.yaml:3: notify.webhooks[0].name", "a-z, 0-9"},
        BadCase{"WebhookDuplicateName",
                "notify:\n  webhooks:\n    - {name: ops, url: 'https://a.example/'}\n"
                "    - {name: ops, url: 'https://b.example/'}\n",
                "collector.yaml:4: notify.webhooks[1].name", "defined twice"},
        BadCase{"WebhookUrlRequired", "notify:\n  webhooks:\n    - name: ops\n",
                "notify.webhooks[0].url", "is required"},
        BadCase{"WebhooksNotAList", "notify:\n  webhooks: {name: ops}\n",
                "collector.yaml:2: notify.webhooks", "must be a list"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

}  // namespace
}  // namespace pantau::collector
