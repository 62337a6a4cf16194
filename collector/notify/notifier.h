// Delivery of incident notifications to the outside world: email over SMTP (libcurl, STARTTLS),
// the Telegram Bot API, a WhatsApp gateway (a configurable HTTP request template) and generic
// JSON webhooks. The collector's outbox worker (collector/incidents) calls Send() once per
// outbox row and retries on Unavailable; nothing here keeps state between calls.
//
//   PANTAU_ASSIGN_OR_RETURN(auto notifiers, MakeNotifiers(config.notify));
//   absl::Status sent = notifiers.Send(notification);   // Unavailable → retry later
//
// Secrets (SMTP password, bot token, gateway token, webhook bearer token) come from files or
// environment variables (common/secret.h) and never appear in a Status message or a log line.
#ifndef PANTAU_COLLECTOR_NOTIFY_NOTIFIER_H_
#define PANTAU_COLLECTOR_NOTIFY_NOTIFIER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace YAML {
class Node;
}

namespace pantau {
class Clock;
}

namespace pantau::collector {

// One message to one address over one channel.
struct Notification {
  // Stable across retries of the same page (the outbox row's key): the email's Message-ID
  // (<key@pantau>), the webhook's and WhatsApp gateway's Idempotency-Key header.
  std::string idempotency_key;
  // "email", "telegram", "whatsapp" or "webhook".
  std::string channel;
  // email: the address; telegram: the chat id (decimal, may be negative for groups);
  // whatsapp: the phone number in international form (+628...); webhook: the webhook's name.
  std::string address;
  // One line (Bahasa Indonesia); the email's Subject, bold first line elsewhere.
  std::string subject;
  // Plain text body (Bahasa Indonesia), UTF-8, lines separated by '\n'.
  std::string text;
  // > 0: Telegram adds an inline button "Tindak lanjuti" with callback_data "ack:<id>".
  int64_t incident_id = 0;
  // webhook: the JSON object to POST (already serialised). Other channels ignore it.
  std::string json;
};

// Where a secret comes from: a file (first line, trailing whitespace cut) or an environment
// variable. Exactly one is set when the secret is required.
struct SecretSource {
  std::string file;
  std::string env;
};

struct SmtpConfig {
  // smtp://host[:port] (STARTTLS when tls is "starttls") or smtps://host[:port].
  std::string url;
  // "starttls" (default; required, the mail is not sent in clear text), "tls" (smtps://),
  // or "none" (plain SMTP: only for a relay on loopback; logged as a warning).
  std::string tls = "starttls";
  // Envelope and header From, e.g. "pantau@pn-bandung.go.id".
  std::string from;
  // Optional AUTH login; the password from `password`.
  std::string username;
  SecretSource password;
  // CA bundle to verify the server with; system CAs when empty.
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
};

struct TelegramConfig {
  // Base of the Bot API; tests point it at a local server.
  std::string api_base_url = "https://api.telegram.org";
  SecretSource token;
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
  // Long-poll timeout given to getUpdates (the HTTP timeout is this plus `timeout`).
  absl::Duration poll_timeout = absl::Seconds(20);
  // Poll getUpdates for the acknowledge button (default true).
  bool poll_updates = true;
};

struct WhatsAppConfig {
  std::string url;
  // "json" (Content-Type: application/json; placeholders JSON-escaped) or "form"
  // (application/x-www-form-urlencoded; placeholders percent-encoded).
  std::string body_format = "json";
  // Body with placeholders {phone}, {message} (subject + "\n\n" + text), {subject}, {key}
  // (idempotency key). E.g. {"target":"{phone}","message":"{message}"}.
  std::string body_template;
  // Extra request headers; "{token}" in a value is replaced by the secret,
  // e.g. Authorization: "{token}" (Fonnte, Wablas) or "Bearer {token}".
  std::map<std::string, std::string> headers;
  SecretSource token;
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
};

struct WebhookConfig {
  // The name incidents route to (Notification::address).
  std::string name;
  std::string url;
  // Optional: sent as "Authorization: Bearer <token>".
  SecretSource token;
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
};

// The collector config's `notify:` section. Channels left out are not configured (a page for
// such a channel fails permanently with a clear error).
struct NotifyConfig {
  std::optional<SmtpConfig> smtp;
  std::optional<TelegramConfig> telegram;
  std::optional<WhatsAppConfig> whatsapp;
  std::vector<WebhookConfig> webhooks;
};

// Parses the `notify:` YAML node (see docs/NOTIFICATIONS.md); InvalidArgument names
// source_name:line and the key. Does not read the secrets (MakeNotifiers does).
absl::StatusOr<NotifyConfig> ParseNotifyConfig(const YAML::Node& node,
                                               absl::string_view source_name);

// A callback query (the "Tindak lanjuti" button) from getUpdates.
struct TelegramCallback {
  std::string id;          // callback_query.id, for answerCallbackQuery
  int64_t from_user_id = 0;
  std::string from_username;
  int64_t chat_id = 0;     // chat of the message the button was on (0 when unknown)
  std::string data;        // e.g. "ack:42"
};

struct TelegramUpdate {
  int64_t update_id = 0;
  std::optional<TelegramCallback> callback;  // other update types are skipped
};

// The Bot API calls the collector makes. Thread-safe.
class TelegramClient {
 public:
  // Reads the token; InvalidArgument/NotFound when it cannot be read or is empty.
  static absl::StatusOr<std::unique_ptr<TelegramClient>> Create(const TelegramConfig& config);
  virtual ~TelegramClient() = default;
  // sendMessage (plain text, no parse_mode) with the ack button when incident_id > 0.
  // OK when the API answered ok:true; Unavailable on network errors, 5xx and 429; another
  // code (with the API's description) on other refusals.
  virtual absl::Status SendMessage(const std::string& chat_id, const std::string& text,
                                   int64_t incident_id) = 0;
  // getUpdates?offset=..&timeout=..&allowed_updates=["callback_query"]. Updates in order.
  virtual absl::StatusOr<std::vector<TelegramUpdate>> GetUpdates(int64_t offset,
                                                                 absl::Duration timeout) = 0;
  // answerCallbackQuery with a short text shown to the user.
  virtual absl::Status AnswerCallback(const std::string& callback_id,
                                      const std::string& text) = 0;
};

// Sends one notification; channel-specific senders behind one call. Thread-safe.
class Notifiers {
 public:
  virtual ~Notifiers() = default;
  // OK: accepted by the server (SMTP 250 after DATA, HTTP 2xx, Telegram ok:true).
  // Unavailable: try again later (connect/timeout errors, SMTP 4xx, HTTP 5xx/429).
  // FailedPrecondition: the channel is not configured. Other codes: permanent refusal
  // (SMTP 5xx, HTTP 4xx, bad address); the message says which, without secrets.
  virtual absl::Status Send(const Notification& notification) = 0;
  // The Telegram client when telegram is configured, else nullptr.
  virtual TelegramClient* telegram() = 0;
};

// Reads the secrets and builds the senders; errors name the channel and the secret's source
// (file path or variable name), never its value.
absl::StatusOr<std::unique_ptr<Notifiers>> MakeNotifiers(const NotifyConfig& config);
// The same with the clock that dates emails (tests pass a fake one); `clock` must outlive the
// returned object. The overload above uses the wall clock.
absl::StatusOr<std::unique_ptr<Notifiers>> MakeNotifiers(const NotifyConfig& config,
                                                         const Clock& clock);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_NOTIFY_NOTIFIER_H_
