// The Telegram Bot API client: sendMessage with the acknowledge button, getUpdates and
// answerCallbackQuery, all as JSON POSTs (https://core.telegram.org/bots/api).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/notify/http_call.h"
#include "collector/notify/json_reader.h"
#include "collector/notify/senders.h"
#include "common/json_writer.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

// sendMessage's limit on text, in UTF-16 code units.
constexpr size_t kMaxMessageUnits = 4096;
// answerCallbackQuery's limit on the text shown to the user.
constexpr size_t kMaxCallbackTextUnits = 200;
constexpr size_t kMaxChatIdBytes = 64;

// The meaning of an ok:false reply. Telegram's error_code follows HTTP: 429 (flood control)
// and 5xx are worth another try; 400 (bad chat id, blocked bot...), 401 (bad token), 403 (bot
// removed from the chat) are not.
absl::Status StatusForApiError(int64_t code, absl::string_view description, const JsonValue& reply,
                               absl::string_view what) {
  std::string message = absl::StrCat(what, ": error ", code, ": ", ClampUtf8(description, 300));
  if (const JsonValue* parameters = reply.Find("parameters"); parameters != nullptr) {
    if (std::optional<int64_t> retry = parameters->FindInt64("retry_after"); retry.has_value()) {
      absl::StrAppend(&message, " (retry after ", *retry, " s)");
    }
  }
  if (code == 429 || code >= 500) return absl::UnavailableError(message);
  if (code == 401 || code == 403) return absl::PermissionDeniedError(message);
  if (code == 404) return absl::NotFoundError(message);
  return absl::InvalidArgumentError(message);
}

class BotApiClient : public TelegramClient {
 public:
  BotApiClient(TelegramConfig config, std::string token)
      : config_(std::move(config)), token_(std::move(token)) {}

  absl::Status SendMessage(const std::string& chat_id, const std::string& text,
                           int64_t incident_id) override {
    JsonWriter w;
    w.BeginObject().Key("chat_id");
    int64_t numeric_id = 0;
    if (absl::SimpleAtoi(chat_id, &numeric_id)) {
      w.Int(numeric_id);
    } else if (chat_id.size() > 1 && chat_id.size() <= kMaxChatIdBytes && chat_id[0] == '@') {
      w.String(chat_id);  // a public channel's @username
    } else {
      return absl::InvalidArgumentError(absl::StrCat("telegram sendMessage: chat id '",
                                                     ClampUtf8(chat_id, kMaxChatIdBytes),
                                                     "' is neither a number nor an @channel"));
    }
    w.Key("text").String(ClampTelegramText(text, kMaxMessageUnits));
    if (incident_id > 0) {
      w.Key("reply_markup").BeginObject().Key("inline_keyboard").BeginArray().BeginArray();
      w.BeginObject()
          .Key("text")
          .String("Tindak lanjuti")
          .Key("callback_data")
          .String(absl::StrCat("ack:", incident_id))
          .EndObject();
      w.EndArray().EndArray().EndObject();
    }
    w.EndObject();
    return Call("sendMessage", w.str(), config_.timeout).status();
  }

  absl::StatusOr<std::vector<TelegramUpdate>> GetUpdates(int64_t offset,
                                                         absl::Duration timeout) override {
    JsonWriter w;
    w.BeginObject()
        .Key("offset")
        .Int(offset)
        .Key("timeout")
        .Int(std::max<int64_t>(0, absl::ToInt64Seconds(timeout)))
        .Key("allowed_updates")
        .BeginArray()
        .String("callback_query")
        .EndArray()
        .EndObject();
    // The server holds a long poll for up to `timeout`; the request may take that much longer.
    absl::StatusOr<HttpReply> reply = Call("getUpdates", w.str(), config_.timeout + timeout);
    if (!reply.ok()) return reply.status();
    absl::StatusOr<std::vector<TelegramUpdate>> updates = ParseTelegramUpdates(reply->body);
    if (!updates.ok()) {
      // A proxy's error page or a cut reply: another poll will tell.
      return absl::UnavailableError(absl::StrCat(
          "telegram getUpdates: ", RedactSecrets(updates.status().message(), {token_})));
    }
    return updates;
  }

  absl::Status AnswerCallback(const std::string& callback_id, const std::string& text) override {
    JsonWriter w;
    w.BeginObject()
        .Key("callback_query_id")
        .String(callback_id)
        .Key("text")
        .String(ClampTelegramText(text, kMaxCallbackTextUnits))
        .EndObject();
    return Call("answerCallbackQuery", w.str(), config_.timeout).status();
  }

 private:
  // POSTs `body` to the method; OK with the reply when the API said ok:true.
  absl::StatusOr<HttpReply> Call(absl::string_view method, const std::string& body,
                                 absl::Duration timeout) {
    const std::string what = absl::StrCat("telegram ", method);
    HttpCall call;
    call.url = absl::StrCat(config_.api_base_url, "/bot", token_, "/", method);
    call.headers = {"Content-Type: application/json", "Accept: application/json"};
    call.body = body;
    call.ca_file = config_.ca_file;
    call.timeout = timeout;
    absl::StatusOr<HttpReply> reply = PerformHttpCall(call, what, {token_});
    if (!reply.ok()) return reply.status();
    absl::StatusOr<JsonValue> json = ParseJson(reply->body);
    if (!json.ok() || !json->is_object()) {
      // Not the Bot API talking (a proxy, a load balancer): judge by the HTTP status.
      absl::Status status = StatusForHttpReply(*reply, what, {token_});
      if (!status.ok()) return status;
      return absl::UnavailableError(
          absl::StrCat(what, ": the reply (HTTP ", reply->status, ") is not a Bot API answer"));
    }
    if (json->FindBool("ok").value_or(false)) return reply;
    const int64_t code = json->FindInt64("error_code").value_or(reply->status);
    const std::string description = json->FindString("description").value_or("no description");
    return StatusForApiError(code, RedactSecrets(description, {token_}), *json, what);
  }

  const TelegramConfig config_;
  const std::string token_;
};

std::optional<TelegramCallback> ParseCallback(const JsonValue& query) {
  std::optional<std::string> id = query.FindString("id");
  if (!id.has_value() || id->empty()) return std::nullopt;
  TelegramCallback callback;
  callback.id = *id;
  callback.data = query.FindString("data").value_or("");
  if (const JsonValue* from = query.Find("from"); from != nullptr) {
    callback.from_user_id = from->FindInt64("id").value_or(0);
    callback.from_username = from->FindString("username").value_or("");
  }
  if (const JsonValue* message = query.Find("message"); message != nullptr) {
    if (const JsonValue* chat = message->Find("chat"); chat != nullptr) {
      callback.chat_id = chat->FindInt64("id").value_or(0);
    }
  }
  return callback;
}

}  // namespace

std::string ClampTelegramText(absl::string_view text, size_t max_units) {
  const std::string valid = ValidUtf8(text);
  // UTF-16 units of the whole text, and where the text must end to leave room for "…".
  size_t units = 0;
  size_t cut = 0;
  for (size_t i = 0; i < valid.size();) {
    const unsigned char c = static_cast<unsigned char>(valid[i]);
    const size_t len = c < 0x80 ? 1 : static_cast<size_t>(Utf8SequenceLength(valid, i));
    const size_t char_units = len == 4 ? 2 : 1;  // beyond the BMP: a surrogate pair
    if (units + char_units + 1 <= max_units) cut = i + len;
    units += char_units;
    i += len;
  }
  if (units <= max_units) return valid;
  if (max_units == 0) return "";
  return absl::StrCat(valid.substr(0, cut), "\xE2\x80\xA6");
}

absl::StatusOr<std::vector<TelegramUpdate>> ParseTelegramUpdates(absl::string_view body) {
  absl::StatusOr<JsonValue> reply = ParseJson(body);
  if (!reply.ok()) return reply.status();
  if (!reply->FindBool("ok").value_or(false)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an ok:true reply: ", reply->FindString("description").value_or("")));
  }
  const JsonValue* result = reply->Find("result");
  if (result == nullptr || !result->is_array()) {
    return absl::InvalidArgumentError("reply has no result array");
  }
  std::vector<TelegramUpdate> updates;
  for (const JsonValue& item : result->array()) {
    std::optional<int64_t> id = item.FindInt64("update_id");
    if (!id.has_value()) continue;  // not an update; nothing to confirm either
    TelegramUpdate update;
    update.update_id = *id;
    if (const JsonValue* query = item.Find("callback_query"); query != nullptr) {
      update.callback = ParseCallback(*query);
    }
    updates.push_back(std::move(update));
  }
  return updates;
}

std::unique_ptr<TelegramClient> MakeTelegramClient(const TelegramConfig& config,
                                                   std::string token) {
  return std::make_unique<BotApiClient>(config, std::move(token));
}

}  // namespace pantau::collector
