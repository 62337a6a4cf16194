// Email over SMTP with libcurl: one connection per message, STARTTLS or implicit TLS.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/notify/http_call.h"
#include "collector/notify/mail_message.h"
#include "collector/notify/senders.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

constexpr size_t kMaxServerReplyBytes = 200;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The message curl uploads after DATA.
struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data->size() - upload->offset);
  std::memcpy(buffer, upload->data->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// Keeps the server's last reply line ("550 5.1.1 <x@y>: Recipient address rejected"): curl's
// own error names only the code.
int KeepServerReply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  absl::string_view line(data, size);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (!line.empty()) *static_cast<std::string*>(user) = ClampUtf8(line, kMaxServerReplyBytes);
  return 0;
}

class SmtpSender : public ChannelSender {
 public:
  SmtpSender(SmtpConfig config, std::string password, const Clock& clock)
      : config_(std::move(config)), password_(std::move(password)), clock_(clock) {
    scheme_ = absl::AsciiStrToLower(config_.url.substr(0, config_.url.find("://")));
  }

  absl::Status Send(const Notification& n) override {
    const std::string what = absl::StrCat("email to ", ClampUtf8(n.address, 254));
    if (!IsPlainMailbox(n.address)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": not a plain email address (local@domain)"));
    }
    MailMessage mail;
    mail.from = config_.from;
    mail.to = n.address;
    mail.subject = n.subject;
    mail.text = n.text;
    mail.idempotency_key = n.idempotency_key;
    mail.date = clock_.Now();
    const std::string message = FormatMailMessage(mail);

    InitCurlOnce();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (curl == nullptr) return absl::ResourceExhaustedError(what + ": curl_easy_init failed");
    CURL* e = curl.get();
    const std::string rcpt = absl::StrCat("<", n.address, ">");
    std::unique_ptr<curl_slist, SlistDeleter> recipients(curl_slist_append(nullptr, rcpt.c_str()));
    if (recipients == nullptr) return absl::ResourceExhaustedError(what + ": out of memory");
    const std::string mail_from = absl::StrCat("<", config_.from, ">");
    Upload upload{&message};
    std::string server_reply;
    char error[CURL_ERROR_SIZE] = {0};
    const long timeout_ms =
        static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(config_.timeout)));

    curl_easy_setopt(e, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    // Only the configured protocol: an smtp:// URL never becomes anything else.
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, scheme_.c_str());
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, scheme_.c_str());
    curl_easy_setopt(e, CURLOPT_USE_SSL,
                     config_.tls == "none" ? static_cast<long>(CURLUSESSL_NONE)
                                           : static_cast<long>(CURLUSESSL_ALL));
    if (!config_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (!config_.username.empty()) {
      curl_easy_setopt(e, CURLOPT_USERNAME, config_.username.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, password_.c_str());
    }
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, ReadMessage);
    curl_easy_setopt(e, CURLOPT_READDATA, &upload);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
    // The debug callback only sees the server's replies; nothing is printed.
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, KeepServerReply);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, &server_reply);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);

    const CURLcode rc = curl_easy_perform(e);
    if (rc == CURLE_OK) return absl::OkStatus();
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    std::string message_text = absl::StrCat(what, " via ", Origin(), ": ",
                                            error[0] != '\0' ? error : curl_easy_strerror(rc));
    if (code >= 400 && !server_reply.empty())
      absl::StrAppend(&message_text, "; server said: ", server_reply);
    message_text = RedactSecrets(message_text, {password_});
    if (rc == CURLE_LOGIN_DENIED || code == 530 || code == 535) {
      return absl::PermissionDeniedError(message_text);
    }
    if (rc == CURLE_USE_SSL_FAILED) {
      return absl::InvalidArgumentError(
          absl::StrCat(message_text, " (the server offers no STARTTLS)"));
    }
    if (code >= 400 && code <= 499) return absl::UnavailableError(message_text);
    if (code >= 500 && code <= 599) return absl::InvalidArgumentError(message_text);
    // No SMTP answer to go by: connect, TLS or timeout trouble, worth another try.
    return absl::UnavailableError(message_text);
  }

 private:
  // scheme://host[:port] of the URL (no path), for messages.
  std::string Origin() const {
    const size_t start = config_.url.find("://") + 3;
    return config_.url.substr(0, config_.url.find('/', start));
  }

  const SmtpConfig config_;
  const std::string password_;
  const Clock& clock_;
  std::string scheme_;
};

}  // namespace

std::unique_ptr<ChannelSender> MakeSmtpSender(const SmtpConfig& config, std::string password,
                                              const Clock& clock) {
  return std::make_unique<SmtpSender>(config, std::move(password), clock);
}

}  // namespace pantau::collector
