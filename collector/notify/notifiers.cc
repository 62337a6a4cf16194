// MakeNotifiers: reads the secrets, builds one sender per configured channel, and routes each
// notification to its channel.
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/notify/notifier.h"
#include "collector/notify/senders.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/status_macros.h"
#include "common/url.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

// "the file /etc/pantau/x" or "the variable X": where a secret came from, for messages.
std::string SourceName(const SecretSource& source) {
  return source.file.empty() ? absl::StrCat("variable ", source.env)
                             : absl::StrCat("file ", source.file);
}

// A secret goes into a header line or a URL path: no control characters (a CR/LF would let it
// add headers), and for the bot token only what Telegram's tokens are made of.
absl::StatusOr<std::string> ReadChannelSecret(const SecretSource& source, absl::string_view what,
                                              bool url_safe) {
  PANTAU_ASSIGN_OR_RETURN(std::string secret, ReadSecret(source.file, source.env, what));
  for (char c : secret) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool bad = url_safe ? !(absl::ascii_isalnum(u) || c == ':' || c == '_' || c == '-')
                              : (u < 0x20 || u == 0x7F);
    if (bad) {
      return absl::InvalidArgumentError(absl::StrCat(what, " from ", SourceName(source),
                                                     " contains characters not allowed in a ",
                                                     url_safe ? "bot token" : "header"));
    }
  }
  return secret;
}

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

void WarnIfPlainHttp(absl::string_view what, const std::string& url) {
  const std::optional<UrlParts> parts = ParseHttpUrl(url);
  if (parts.has_value() && parts->scheme == "http" && !IsLoopbackHost(parts->host)) {
    PANTAU_LOG(WARNING) << what << " uses plain http to " << parts->host
                        << ": messages and tokens cross the network unencrypted; use https";
  }
}

class ChannelNotifiers : public Notifiers {
 public:
  ChannelNotifiers(std::unique_ptr<ChannelSender> smtp, std::unique_ptr<TelegramClient> telegram,
                   std::unique_ptr<ChannelSender> whatsapp,
                   std::map<std::string, std::unique_ptr<ChannelSender>> webhooks)
      : smtp_(std::move(smtp)),
        telegram_(std::move(telegram)),
        whatsapp_(std::move(whatsapp)),
        webhooks_(std::move(webhooks)) {}

  absl::Status Send(const Notification& n) override {
    if (n.channel == "email") {
      if (smtp_ == nullptr) return NotConfigured(n.channel);
      return smtp_->Send(n);
    }
    if (n.channel == "telegram") {
      if (telegram_ == nullptr) return NotConfigured(n.channel);
      return telegram_->SendMessage(n.address, JoinSubjectAndText(n.subject, n.text),
                                    n.incident_id);
    }
    if (n.channel == "whatsapp") {
      if (whatsapp_ == nullptr) return NotConfigured(n.channel);
      return whatsapp_->Send(n);
    }
    if (n.channel == "webhook") {
      if (webhooks_.empty()) return NotConfigured(n.channel);
      auto it = webhooks_.find(n.address);
      if (it == webhooks_.end()) {
        return absl::NotFoundError(absl::StrCat("webhook '", ClampUtf8(n.address, 64),
                                                "' is not configured in notify.webhooks"));
      }
      return it->second->Send(n);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown notification channel '", ClampUtf8(n.channel, 32), "'"));
  }

  TelegramClient* telegram() override { return telegram_.get(); }

 private:
  static absl::Status NotConfigured(absl::string_view channel) {
    return absl::FailedPreconditionError(absl::StrCat("channel ", channel, " is not configured"));
  }

  const std::unique_ptr<ChannelSender> smtp_;
  const std::unique_ptr<TelegramClient> telegram_;
  const std::unique_ptr<ChannelSender> whatsapp_;
  const std::map<std::string, std::unique_ptr<ChannelSender>> webhooks_;
};

}  // namespace

std::string JoinSubjectAndText(absl::string_view subject, absl::string_view text) {
  if (subject.empty()) return std::string(text);
  if (text.empty()) return std::string(subject);
  return absl::StrCat(subject, "\n\n", text);
}

bool IsPlainMailbox(absl::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const size_t at = address.rfind('@');
  if (at == 0 || at == absl::string_view::npos || at + 1 == address.size()) return false;
  for (char c : address) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '(' || c == ')' || c == '\\' || c == '[' || c == ']') {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<TelegramClient>> TelegramClient::Create(
    const TelegramConfig& config) {
  PANTAU_ASSIGN_OR_RETURN(std::string token,
                          ReadChannelSecret(config.token, "notify.telegram token", true));
  WarnIfPlainHttp("notify.telegram", config.api_base_url);
  return MakeTelegramClient(config, std::move(token));
}

absl::StatusOr<std::unique_ptr<Notifiers>> MakeNotifiers(const NotifyConfig& config,
                                                         const Clock& clock) {
  std::unique_ptr<ChannelSender> smtp;
  std::unique_ptr<TelegramClient> telegram;
  std::unique_ptr<ChannelSender> whatsapp;
  std::map<std::string, std::unique_ptr<ChannelSender>> webhooks;
  if (config.smtp.has_value()) {
    std::string password;
    if (!config.smtp->username.empty()) {
      PANTAU_ASSIGN_OR_RETURN(
          password, ReadChannelSecret(config.smtp->password, "notify.smtp password", false));
    }
    if (config.smtp->tls == "none") {
      PANTAU_LOG(WARNING) << "notify.smtp: tls is none, mail and any password go unencrypted; "
                             "only for a relay on this host";
    }
    smtp = MakeSmtpSender(*config.smtp, std::move(password), clock);
  }
  if (config.telegram.has_value()) {
    PANTAU_ASSIGN_OR_RETURN(telegram, TelegramClient::Create(*config.telegram));
  }
  if (config.whatsapp.has_value()) {
    PANTAU_ASSIGN_OR_RETURN(std::string token, ReadChannelSecret(config.whatsapp->token,
                                                                 "notify.whatsapp token", false));
    WarnIfPlainHttp("notify.whatsapp", config.whatsapp->url);
    whatsapp = MakeWhatsAppSender(*config.whatsapp, std::move(token));
  }
  for (const WebhookConfig& webhook : config.webhooks) {
    const std::string what = absl::StrCat("notify.webhooks ", webhook.name);
    std::string token;
    if (!webhook.token.file.empty() || !webhook.token.env.empty()) {
      PANTAU_ASSIGN_OR_RETURN(
          token, ReadChannelSecret(webhook.token, absl::StrCat(what, " token"), false));
    }
    WarnIfPlainHttp(what, webhook.url);
    if (!webhooks.emplace(webhook.name, MakeWebhookSender(webhook, std::move(token))).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": defined twice"));
    }
  }
  return std::make_unique<ChannelNotifiers>(std::move(smtp), std::move(telegram),
                                            std::move(whatsapp), std::move(webhooks));
}

absl::StatusOr<std::unique_ptr<Notifiers>> MakeNotifiers(const NotifyConfig& config) {
  static const RealClock kClock;
  return MakeNotifiers(config, kClock);
}

}  // namespace pantau::collector
