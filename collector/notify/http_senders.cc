// WhatsApp through an HTTP gateway (Fonnte, Wablas and the like: one request template) and
// generic JSON webhooks.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "collector/notify/http_call.h"
#include "collector/notify/json_reader.h"
#include "collector/notify/senders.h"
#include "common/json_writer.h"
#include "common/url.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

constexpr size_t kMaxKeyHeaderBytes = 200;

// scheme://host[:port] of a configured URL: names the endpoint in messages without its path,
// which may itself carry a secret (e.g. a webhook URL with a token in it).
std::string Origin(const std::string& url) {
  const std::optional<UrlParts> parts = ParseHttpUrl(url);
  return parts.has_value() ? UrlOrigin(*parts) : "(invalid url)";
}

// The idempotency key as a header value: visible ASCII only.
std::string KeyHeaderValue(absl::string_view key) {
  std::string out;
  for (char c : key) {
    if (out.size() >= kMaxKeyHeaderBytes) break;
    if (c > 0x20 && c < 0x7F) out.push_back(c);
  }
  return out;
}

// JSON string contents (no quotes), escaped by the project's writer.
std::string JsonEscaped(absl::string_view value) {
  JsonWriter w;
  w.String(value);
  const std::string& quoted = w.str();
  return quoted.substr(1, quoted.size() - 2);
}

// application/x-www-form-urlencoded: unreserved bytes as they are, space as '+', the rest %XX.
std::string FormEncoded(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '.' || c == '_' || c == '*') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

// +6281234567890 or 081234567890: digits with an optional leading '+'.
bool IsPhoneNumber(absl::string_view phone) {
  if (absl::StartsWith(phone, "+")) phone.remove_prefix(1);
  if (phone.size() < 5 || phone.size() > 20) return false;
  for (char c : phone) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

class WhatsAppSender : public ChannelSender {
 public:
  WhatsAppSender(WhatsAppConfig config, std::string token)
      : config_(std::move(config)), token_(std::move(token)) {}

  absl::Status Send(const Notification& n) override {
    const std::string what =
        absl::StrCat("whatsapp to ", ClampUtf8(n.address, 32), " via ", Origin(config_.url));
    if (!IsPhoneNumber(n.address)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": not a phone number (digits, optionally with a leading +)"));
    }
    WhatsAppFields fields;
    fields.phone = n.address;
    fields.message = JoinSubjectAndText(n.subject, n.text);
    fields.subject = ValidUtf8(n.subject);
    fields.key = n.idempotency_key;
    fields.token = token_;
    HttpCall call;
    call.url = config_.url;
    call.body = RenderWhatsAppBody(config_.body_template, config_.body_format, fields);
    call.ca_file = config_.ca_file;
    call.timeout = config_.timeout;
    bool has_content_type = false;
    for (const auto& [name, value] : config_.headers) {
      if (absl::EqualsIgnoreCase(name, "content-type")) has_content_type = true;
      call.headers.push_back(
          absl::StrCat(name, ": ", absl::StrReplaceAll(value, {{"{token}", token_}})));
    }
    if (!has_content_type) {
      call.headers.push_back(config_.body_format == "form"
                                 ? "Content-Type: application/x-www-form-urlencoded"
                                 : "Content-Type: application/json");
    }
    call.headers.push_back(absl::StrCat("Idempotency-Key: ", KeyHeaderValue(n.idempotency_key)));
    absl::StatusOr<HttpReply> reply = PerformHttpCall(call, what, {token_});
    if (!reply.ok()) return reply.status();
    return StatusForHttpReply(*reply, what, {token_});
  }

 private:
  const WhatsAppConfig config_;
  const std::string token_;
};

class WebhookSender : public ChannelSender {
 public:
  WebhookSender(WebhookConfig config, std::string token)
      : config_(std::move(config)), token_(std::move(token)) {}

  absl::Status Send(const Notification& n) override {
    const std::string what = absl::StrCat("webhook ", config_.name, " (", Origin(config_.url), ")");
    HttpCall call;
    call.url = config_.url;
    call.ca_file = config_.ca_file;
    call.timeout = config_.timeout;
    if (n.json.empty()) {
      call.body = DefaultJson(n);
    } else {
      absl::StatusOr<JsonValue> parsed = ParseJson(n.json);
      if (!parsed.ok() || !parsed->is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": the notification's json is not a JSON object"));
      }
      call.body = n.json;
    }
    call.headers = {"Content-Type: application/json",
                    absl::StrCat("Idempotency-Key: ", KeyHeaderValue(n.idempotency_key))};
    if (!token_.empty()) call.headers.push_back(absl::StrCat("Authorization: Bearer ", token_));
    absl::StatusOr<HttpReply> reply = PerformHttpCall(call, what, {token_});
    if (!reply.ok()) return reply.status();
    return StatusForHttpReply(*reply, what, {token_});
  }

 private:
  // For a notification without its own JSON: what there is to say.
  static std::string DefaultJson(const Notification& n) {
    JsonWriter w;
    w.BeginObject()
        .Key("idempotency_key")
        .String(n.idempotency_key)
        .Key("subject")
        .String(n.subject)
        .Key("text")
        .String(n.text);
    if (n.incident_id > 0) w.Key("incident_id").Int(n.incident_id);
    w.EndObject();
    return w.str();
  }

  const WebhookConfig config_;
  const std::string token_;
};

}  // namespace

std::string RenderWhatsAppBody(absl::string_view body_template, absl::string_view body_format,
                               const WhatsAppFields& fields) {
  const bool form = body_format == "form";
  const auto encode = [form](absl::string_view value) {
    return form ? FormEncoded(value) : JsonEscaped(value);
  };
  const std::pair<absl::string_view, const std::string*> placeholders[] = {
      {"{phone}", &fields.phone}, {"{message}", &fields.message}, {"{subject}", &fields.subject},
      {"{key}", &fields.key},     {"{token}", &fields.token},
  };
  std::string out;
  size_t i = 0;
  while (i < body_template.size()) {
    const size_t brace = body_template.find('{', i);
    if (brace == absl::string_view::npos) break;
    out.append(body_template.data() + i, brace - i);
    bool replaced = false;
    for (const auto& [name, value] : placeholders) {
      if (body_template.substr(brace, name.size()) == name) {
        out += encode(*value);
        i = brace + name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.push_back('{');
      i = brace + 1;
    }
  }
  if (i < body_template.size()) out.append(body_template.data() + i, body_template.size() - i);
  return out;
}

std::unique_ptr<ChannelSender> MakeWhatsAppSender(const WhatsAppConfig& config, std::string token) {
  return std::make_unique<WhatsAppSender>(config, std::move(token));
}

std::unique_ptr<ChannelSender> MakeWebhookSender(const WebhookConfig& config, std::string token) {
  return std::make_unique<WebhookSender>(config, std::move(token));
}

}  // namespace pantau::collector
