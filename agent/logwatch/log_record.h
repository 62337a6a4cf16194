// One parsed web-server log line. Fields are views into the line (or into the parser's
// scratch buffer for JSON lines with escapes): valid until the next Parse() on the same parser.
#ifndef PANTAU_AGENT_LOGWATCH_LOG_RECORD_H_
#define PANTAU_AGENT_LOGWATCH_LOG_RECORD_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace pantau::agent::logwatch {

// An access-log line. Empty view = the format has no such field or the log wrote "-".
struct AccessRecord {
  absl::string_view client;      // $remote_addr / %h
  absl::string_view vhost;       // $host / $server_name / %v (vhost_combined), when logged
  absl::string_view user;        // $remote_user / %u
  int64_t time_unix_s = 0;       // request time, UTC seconds
  bool time_known = false;
  absl::string_view method;      // from "$request" or $request_method
  absl::string_view target;      // request target as logged (path?query), undecoded
  absl::string_view protocol;    // HTTP/1.1
  int status = 0;                // 0 when not logged or unparsable
  int64_t bytes = 0;             // $body_bytes_sent / $bytes_sent / %b / %O; 0 for "-"
  absl::string_view referer;
  absl::string_view user_agent;
};

// An error-log line (nginx or Apache).
struct ErrorRecord {
  int64_t time_unix_s = 0;
  bool time_known = false;
  absl::string_view level;       // error, warn, crit, ... (Apache: "core:error" → "error")
  absl::string_view client;      // "client: 1.2.3.4" / "[client 1.2.3.4:5678]", port removed
  absl::string_view message;     // the text after the prefix
  absl::string_view request;     // nginx: request: "GET /x HTTP/1.1" (the quoted part)
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_LOG_RECORD_H_
