#include "collector/notify/http_call.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/log.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

constexpr size_t kMaxReplyBytes = 4 << 20;
// Bytes of a refusal's body quoted in the error (enough for an API's error description).
constexpr size_t kQuotedReplyBytes = 300;
constexpr char kUserAgent[] = "pantau-collector/0.1";

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t WriteReply(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t n = size * count;
  if (body->size() < kMaxReplyBytes) body->append(data, std::min(n, kMaxReplyBytes - body->size()));
  return n;
}

long Milliseconds(absl::Duration d) {
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

}  // namespace

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) PANTAU_LOG(ERROR) << "curl_global_init: " << curl_easy_strerror(rc);
  });
}

std::string RedactSecrets(absl::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    if (!secret.empty()) absl::StrReplaceAll({{secret, "<redacted>"}}, &out);
  }
  return out;
}

absl::StatusOr<HttpReply> PerformHttpCall(const HttpCall& call, absl::string_view what,
                                          const std::vector<std::string>& secrets) {
  InitCurlOnce();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr)
    return absl::ResourceExhaustedError(absl::StrCat(what, ": curl_easy_init failed"));
  CURL* e = curl.get();
  // No "Expect: 100-continue" round trip for larger bodies.
  std::vector<std::string> lines = call.headers;
  lines.push_back("Expect:");
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const std::string& line : lines) {
    // On success the list's head stays the same (or is created); on failure the old list
    // is still owned by `headers`.
    curl_slist* head = curl_slist_append(headers.get(), line.c_str());
    if (head == nullptr) return absl::ResourceExhaustedError(absl::StrCat(what, ": out of memory"));
    if (headers == nullptr) headers.reset(head);
  }

  HttpReply reply;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(e, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, Milliseconds(call.timeout));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, Milliseconds(call.timeout));
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteReply);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  if (!call.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, call.ca_file.c_str());
  if (call.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  const CURLcode rc = curl_easy_perform(e);
  if (rc != CURLE_OK) {
    const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
    return absl::UnavailableError(RedactSecrets(absl::StrCat(what, ": ", detail), secrets));
  }
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

absl::Status StatusForHttpReply(const HttpReply& reply, absl::string_view what,
                                const std::vector<std::string>& secrets) {
  if (reply.status >= 200 && reply.status <= 299) return absl::OkStatus();
  std::string quoted = ClampUtf8(reply.body, kQuotedReplyBytes);
  for (char& c : quoted) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  std::string message = absl::StrCat(what, ": HTTP ", reply.status);
  if (!quoted.empty()) absl::StrAppend(&message, ": ", quoted);
  message = RedactSecrets(message, secrets);
  const int s = reply.status;
  if (s == 408 || s == 429 || s >= 500) return absl::UnavailableError(message);
  if (s == 401 || s == 403) return absl::PermissionDeniedError(message);
  if (s == 404) return absl::NotFoundError(message);
  if (s >= 300 && s <= 399) {
    return absl::InvalidArgumentError(
        absl::StrCat(message, " (redirects are not followed: configure the final URL)"));
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace pantau::collector
