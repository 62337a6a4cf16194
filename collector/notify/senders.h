// The per-channel senders behind Notifiers, internal to collector/notify (MakeNotifiers wires
// them). Each is immutable after construction and makes one request per Send(), so each is
// thread-safe. The pure helpers are declared for tests.
#ifndef PANTAU_COLLECTOR_NOTIFY_SENDERS_H_
#define PANTAU_COLLECTOR_NOTIFY_SENDERS_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/notify/notifier.h"
#include "common/clock.h"

namespace pantau::collector {

// Sends notifications of one channel (one webhook). Thread-safe.
class ChannelSender {
 public:
  virtual ~ChannelSender() = default;
  virtual absl::Status Send(const Notification& notification) = 0;
};

// `password` is empty without AUTH. `clock` dates the messages and must outlive the sender.
std::unique_ptr<ChannelSender> MakeSmtpSender(const SmtpConfig& config, std::string password,
                                              const Clock& clock);
std::unique_ptr<TelegramClient> MakeTelegramClient(const TelegramConfig& config, std::string token);
std::unique_ptr<ChannelSender> MakeWhatsAppSender(const WhatsAppConfig& config, std::string token);
// `token` empty: no Authorization header.
std::unique_ptr<ChannelSender> MakeWebhookSender(const WebhookConfig& config, std::string token);

// Subject and text as one message: "subject\n\ntext" (either alone when the other is empty).
std::string JoinSubjectAndText(absl::string_view subject, absl::string_view text);

// A plain mailbox local@domain without spaces, brackets or quotes (at most 254 bytes).
bool IsPlainMailbox(absl::string_view address);

// ValidUtf8(text) cut to at most `max_units` UTF-16 code units (Telegram counts message
// length so); a cut text ends in "…". Never splits a character.
std::string ClampTelegramText(absl::string_view text, size_t max_units);

// The `result` of a getUpdates reply body: updates in order; entries other than callback
// queries have no `callback`. InvalidArgument when the body is not a Bot API reply.
absl::StatusOr<std::vector<TelegramUpdate>> ParseTelegramUpdates(absl::string_view body);

// Values substituted into a WhatsApp gateway's body template.
struct WhatsAppFields {
  std::string phone;
  std::string message;
  std::string subject;
  std::string key;
  std::string token;
};
// body_template with {phone}, {message}, {subject}, {key} and {token} replaced in one pass
// (a value containing "{phone}" stays as it is): JSON-string-escaped for "json" (the template
// supplies the quotes), percent-encoded for "form" (space as '+'). Other text is kept.
std::string RenderWhatsAppBody(absl::string_view body_template, absl::string_view body_format,
                               const WhatsAppFields& fields);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_NOTIFY_SENDERS_H_
