// ParseNotifyConfig: the `notify:` section of the collector's config (docs/NOTIFICATIONS.md).
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/notify/notifier.h"
#include "collector/notify/senders.h"
#include "common/status_macros.h"
#include "common/url.h"
#include "common/yaml_fields.h"
#include "yaml-cpp/yaml.h"

namespace pantau::collector {
namespace {

constexpr double kMinTimeoutSeconds = 1;
constexpr double kMaxTimeoutSeconds = 600;
// Telegram waits at most 50 s in getUpdates; longer values are cut by the API anyway.
constexpr double kMaxPollTimeoutSeconds = 50;

// Reads `<prefix>_file` / `<prefix>_env`. At most one; `required` demands exactly one.
SecretSource ReadSecretSource(YamlFields& f, absl::string_view prefix, bool required) {
  const std::string file_key = absl::StrCat(prefix, "_file");
  const std::string env_key = absl::StrCat(prefix, "_env");
  SecretSource source;
  source.file = f.String(file_key, false);
  source.env = f.String(env_key, false);
  if (!source.file.empty() && !source.env.empty()) {
    f.Fail(env_key, absl::StrCat("give either ", file_key, " or ", env_key, ", not both"));
  } else if (required && source.file.empty() && source.env.empty()) {
    f.Fail(file_key, absl::StrCat("is required (or ", env_key, ")"));
  }
  return source;
}

// http:// or https:// without credentials in the URL (they would be a secret in the config
// and in every error message that names the URL).
void CheckHttpUrl(YamlFields& f, absl::string_view key, const std::string& url) {
  if (url.empty()) return;  // already reported as required
  const std::optional<UrlParts> parts = ParseHttpUrl(url);
  if (!parts.has_value()) {
    f.Fail(key, "must be an http:// or https:// URL with a host");
    return;
  }
  const absl::string_view rest = absl::string_view(url).substr(url.find("://") + 3);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (absl::StrContains(authority, '@')) {
    f.Fail(key, "must not contain user:password@; use a token_file or token_env");
  } else if (absl::StrContains(url, '#')) {
    f.Fail(key, "must not contain a #fragment");
  } else if (url.find_first_of(" \t\r\n") != std::string::npos) {
    f.Fail(key, "must not contain whitespace");
  }
}

// smtp://host[:port][/ehlo-domain] or smtps://...; returns the scheme ("" when invalid).
std::string CheckSmtpUrl(YamlFields& f, absl::string_view key, const std::string& url) {
  if (url.empty()) return "";
  const size_t scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string::npos ? "" : absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (scheme != "smtp" && scheme != "smtps") {
    f.Fail(key, "must be an smtp:// or smtps:// URL");
    return "";
  }
  const std::string rest = url.substr(scheme_end + 3);
  const std::string authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string::npos) {
    f.Fail(key, "must not contain user:password@; use username and password_file");
    return "";
  }
  // Reuse the HTTP URL checks of host and port: the authority has the same shape.
  const std::optional<UrlParts> parts = ParseHttpUrl(absl::StrCat("http://", authority, "/"));
  if (!parts.has_value() || url.find_first_of(" \t\r\n?#") != std::string::npos) {
    f.Fail(key, "must be smtp://host[:port] or smtps://host[:port]");
    return "";
  }
  return scheme;
}

bool ValidWebhookName(absl::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

// An HTTP header name (RFC 9110 token).
bool ValidHeaderName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
          absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos)) {
      return false;
    }
  }
  return true;
}

absl::Status ParseSmtp(const YAML::Node& node, const std::string& source, SmtpConfig* c) {
  YamlFields f(node, source, "notify.smtp.");
  c->url = f.String("url", true);
  const std::string scheme = CheckSmtpUrl(f, "url", c->url);
  const bool tls_given = f.Has("tls");
  c->tls = f.String("tls", false, scheme == "smtps" ? "tls" : "starttls");
  if (c->tls != "starttls" && c->tls != "tls" && c->tls != "none") {
    f.Fail("tls", "must be starttls, tls or none");
  } else if (scheme == "smtps" && c->tls != "tls") {
    f.Fail(tls_given ? "tls" : "url", "an smtps:// URL needs tls: tls");
  } else if (scheme == "smtp" && c->tls == "tls") {
    f.Fail("tls", "tls: tls needs an smtps:// URL (use starttls with smtp://)");
  }
  c->from = f.String("from", true);
  if (!c->from.empty() && !IsPlainMailbox(c->from)) {
    f.Fail("from", "must be a plain address such as pantau@pn-contoh.go.id");
  }
  c->username = f.String("username", false);
  c->password = ReadSecretSource(f, "password", false);
  const bool has_password = !c->password.file.empty() || !c->password.env.empty();
  if (c->username.empty() && has_password) {
    f.Fail(c->password.file.empty() ? "password_env" : "password_file",
           "a password needs a username");
  } else if (!c->username.empty() && !has_password) {
    f.Fail("username", "needs password_file or password_env");
  }
  c->ca_file = f.String("ca_file", false);
  c->timeout = f.Seconds("timeout_seconds", c->timeout, kMinTimeoutSeconds, kMaxTimeoutSeconds);
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseTelegram(const YAML::Node& node, const std::string& source, TelegramConfig* c) {
  YamlFields f(node, source, "notify.telegram.");
  c->api_base_url = f.String("api_base_url", false, c->api_base_url);
  CheckHttpUrl(f, "api_base_url", c->api_base_url);
  if (absl::StrContains(c->api_base_url, '?')) f.Fail("api_base_url", "must not have a query");
  while (absl::EndsWith(c->api_base_url, "/")) c->api_base_url.pop_back();
  c->token = ReadSecretSource(f, "token", true);
  c->ca_file = f.String("ca_file", false);
  c->timeout = f.Seconds("timeout_seconds", c->timeout, kMinTimeoutSeconds, kMaxTimeoutSeconds);
  c->poll_timeout = f.Seconds("poll_timeout_seconds", c->poll_timeout, 0, kMaxPollTimeoutSeconds);
  c->poll_updates = f.Bool("poll_updates", c->poll_updates);
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::Status ParseWhatsApp(const YAML::Node& node, const std::string& source, WhatsAppConfig* c) {
  YamlFields f(node, source, "notify.whatsapp.");
  c->url = f.String("url", true);
  CheckHttpUrl(f, "url", c->url);
  c->body_format = f.String("body_format", false, c->body_format);
  if (c->body_format != "json" && c->body_format != "form") {
    f.Fail("body_format", "must be json or form");
  }
  c->body_template = f.String("body_template", true);
  if (f.status().ok() && (!absl::StrContains(c->body_template, "{phone}") ||
                          !absl::StrContains(c->body_template, "{message}"))) {
    f.Fail("body_template", "must contain the placeholders {phone} and {message}");
  }
  c->token = ReadSecretSource(f, "token", true);
  c->ca_file = f.String("ca_file", false);
  c->timeout = f.Seconds("timeout_seconds", c->timeout, kMinTimeoutSeconds, kMaxTimeoutSeconds);

  const YAML::Node headers_node = f.Map("headers");
  YamlFields headers(headers_node, source, "notify.whatsapp.headers.");
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  bool token_used = absl::StrContains(c->body_template, "{token}");
  if (headers_node.IsMap()) {
    for (const auto& kv : headers_node) {
      const std::string name = kv.first.as<std::string>();
      const std::string value = headers.String(name, true);
      if (!headers.status().ok()) break;
      const std::string lower = absl::AsciiStrToLower(name);
      if (!ValidHeaderName(name)) {
        headers.Fail(name, "is not a valid HTTP header name");
      } else if (value.find_first_of("\r\n") != std::string::npos ||
                 value.find('\0') != std::string::npos) {
        headers.Fail(name, "must be one line");
      } else if (lower == "content-length" || lower == "host" || lower == "idempotency-key" ||
                 lower == "transfer-encoding" || lower == "connection") {
        headers.Fail(name, "is set by pantau and cannot be configured");
      }
      if (absl::StrContains(value, "{token}")) token_used = true;
      c->headers[name] = value;
    }
  }
  PANTAU_RETURN_IF_ERROR(headers.status());
  if (!token_used) {
    f.Fail(c->token.file.empty() ? "token_env" : "token_file",
           "the token is never sent: put {token} in a header (e.g. Authorization: \"{token}\") "
           "or in body_template");
  }
  return f.status();
}

absl::Status ParseWebhook(const YAML::Node& node, const std::string& source, size_t index,
                          std::set<std::string>* names, WebhookConfig* c) {
  YamlFields f(node, source, absl::StrCat("notify.webhooks[", index, "]."));
  c->name = f.String("name", true);
  if (f.status().ok() && !ValidWebhookName(c->name)) {
    f.Fail("name", "must be 1..32 characters of a-z, 0-9, _ and -");
  } else if (f.status().ok() && !names->insert(c->name).second) {
    f.Fail("name", absl::StrCat("webhook '", c->name, "' is defined twice"));
  }
  c->url = f.String("url", true);
  CheckHttpUrl(f, "url", c->url);
  c->token = ReadSecretSource(f, "token", false);
  c->ca_file = f.String("ca_file", false);
  c->timeout = f.Seconds("timeout_seconds", c->timeout, kMinTimeoutSeconds, kMaxTimeoutSeconds);
  f.CheckNoUnknownKeys();
  return f.status();
}

absl::StatusOr<NotifyConfig> FromYaml(const YAML::Node& node, const std::string& source) {
  NotifyConfig config;
  YamlFields f(node, source, "notify.");
  const YAML::Node smtp = f.Map("smtp");
  const YAML::Node telegram = f.Map("telegram");
  const YAML::Node whatsapp = f.Map("whatsapp");
  const std::vector<YAML::Node> webhooks = f.MapList("webhooks");
  f.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(f.status());
  if (smtp.IsMap()) {
    PANTAU_RETURN_IF_ERROR(ParseSmtp(smtp, source, &config.smtp.emplace()));
  }
  if (telegram.IsMap()) {
    PANTAU_RETURN_IF_ERROR(ParseTelegram(telegram, source, &config.telegram.emplace()));
  }
  if (whatsapp.IsMap()) {
    PANTAU_RETURN_IF_ERROR(ParseWhatsApp(whatsapp, source, &config.whatsapp.emplace()));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < webhooks.size(); ++i) {
    PANTAU_RETURN_IF_ERROR(
        ParseWebhook(webhooks[i], source, i, &names, &config.webhooks.emplace_back()));
  }
  return config;
}

}  // namespace

absl::StatusOr<NotifyConfig> ParseNotifyConfig(const YAML::Node& node,
                                               absl::string_view source_name) {
  const std::string source(source_name);
  // Absent (also as a const lookup's invalid node) or `notify:` with nothing after it.
  if (!node.IsDefined() || node.IsNull()) return NotifyConfig{};
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", node.Mark().line + 1, ": notify must be a mapping"));
  }
  // yaml-cpp reports some shapes of input only by throwing; none of it may escape.
  try {
    return FromYaml(node, source);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": notify: ", e.what()));
  }
}

}  // namespace pantau::collector
