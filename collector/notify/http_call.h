// One HTTP request with libcurl's easy interface, for the Telegram, WhatsApp and webhook
// senders; internal to collector/notify. A fresh handle per call: no state between calls,
// so it is safe from any thread. No redirects are followed (a 3xx is an answer like any
// other), only http and https are spoken, and secrets are cut out of every error message.
#ifndef PANTAU_COLLECTOR_NOTIFY_HTTP_CALL_H_
#define PANTAU_COLLECTOR_NOTIFY_HTTP_CALL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pantau::collector {

struct HttpCall {
  // "POST" (with `body`) or "GET".
  std::string method = "POST";
  std::string url;
  // Complete header lines, "Name: value".
  std::vector<std::string> headers;
  std::string body;
  // CA bundle; system CAs when empty.
  std::string ca_file;
  absl::Duration timeout = absl::Seconds(30);
};

struct HttpReply {
  int status = 0;
  // At most 4 MiB; the rest is dropped.
  std::string body;
};

// Runs the call. A reply of any status is OK; Unavailable "<what>: <curl's error>" when no
// HTTP answer came (connect, TLS, timeout). `secrets` are replaced by "<redacted>" in the
// message.
absl::StatusOr<HttpReply> PerformHttpCall(const HttpCall& call, absl::string_view what,
                                          const std::vector<std::string>& secrets);

// The usual meaning of a status for a notification: 2xx OK; 408, 429 and 5xx Unavailable
// (retry); 401/403 PermissionDenied, 404 NotFound, other 3xx/4xx InvalidArgument (permanent).
// The message says `what`, the status and the start of the reply's body, redacted.
absl::Status StatusForHttpReply(const HttpReply& reply, absl::string_view what,
                                const std::vector<std::string>& secrets);

// `text` with every non-empty secret replaced by "<redacted>".
std::string RedactSecrets(absl::string_view text, const std::vector<std::string>& secrets);

// curl_global_init, once per process.
void InitCurlOnce();

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_NOTIFY_HTTP_CALL_H_
