// Access- and error-log parsers. A parser is made once from a format and then parses many
// lines; it never throws or aborts on bad input: a malformed line is `false` plus a short
// reason.
//
//   PANTAU_ASSIGN_OR_RETURN(LogFormat format, LogFormat::FromName("combined"));
//   AccessLogParser parser(format);
//   AccessRecord record;
//   if (!parser.Parse(line, &record)) { ++malformed; sample(parser.last_error()); }
//
// Formats:
//   combined        nginx/Apache combined:  $remote_addr - $remote_user [$time_local]
//                   "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//   common          the same without referer and user agent (Apache %b "-" = 0 bytes)
//   vhost_combined  Apache: %v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"
//   json            one JSON object per line; keys as nginx's variable names (remote_addr,
//                   time_local | time_iso8601 | time | @timestamp | msec, request, or
//                   request_method + request_uri, status, body_bytes_sent | bytes_sent,
//                   http_referer, http_user_agent, host | server_name); unknown keys ignored
//   nginx           any nginx log_format string given in config (`log_format`), e.g.
//                   '$remote_addr - $remote_user [$time_local] "$request" $status ...';
//                   variables the parser does not know are skipped as opaque fields
//   auto            tries combined, vhost_combined, common and json on each line
#ifndef PANTAU_AGENT_LOGWATCH_LOG_FORMAT_H_
#define PANTAU_AGENT_LOGWATCH_LOG_FORMAT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/logwatch/log_record.h"

namespace pantau::agent::logwatch {

// A compiled access-log format (copyable, immutable).
class LogFormat {
 public:
  // "combined", "common", "vhost_combined", "json", "auto". InvalidArgument names the
  // accepted values.
  static absl::StatusOr<LogFormat> FromName(absl::string_view name);
  // An nginx log_format string. InvalidArgument for an empty format, a format with no
  // variable, two variables with nothing between them that could separate them, or one
  // without $remote_addr/$request (or $request_uri) — the fields detection needs.
  static absl::StatusOr<LogFormat> FromNginx(absl::string_view log_format);
  // As configured: `format` "nginx" means FromNginx(log_format), any other FromName(format).
  static absl::StatusOr<LogFormat> FromConfig(absl::string_view format,
                                              absl::string_view log_format);

  const std::string& name() const;

  struct Impl;
  std::shared_ptr<const Impl> impl() const { return impl_; }

 private:
  explicit LogFormat(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Not thread-safe (scratch buffers, a one-entry timestamp cache); one per thread.
class AccessLogParser {
 public:
  explicit AccessLogParser(LogFormat format);
  ~AccessLogParser();

  // Parses one line (without its newline; a trailing '\r' is ignored). Returns false for a
  // malformed line; last_error() then says why ("no closing quote after request", ...).
  // Fast: no allocation per line for the text formats.
  bool Parse(absl::string_view line, AccessRecord* record);
  absl::string_view last_error() const { return last_error_; }

 private:
  LogFormat format_;
  std::string scratch_;
  std::string last_error_;
  struct TimeCache;
  std::unique_ptr<TimeCache> time_cache_;
};

// nginx ("2024/01/31 23:59:59 [error] 12#12: *3 message, client: 1.2.3.4, server: x,
// request: \"GET / HTTP/1.1\", host: \"x\"") and Apache 2.4 ("[Wed Jan 31 23:59:59.123456
// 2024] [core:error] [pid 1:tid 2] [client 1.2.3.4:5678] AH00126: message") error logs.
// nginx error-log times are local time of the web server: `utc_offset_seconds` converts them.
class ErrorLogParser {
 public:
  explicit ErrorLogParser(int utc_offset_seconds = 0) : utc_offset_seconds_(utc_offset_seconds) {}
  bool Parse(absl::string_view line, ErrorRecord* record);
  absl::string_view last_error() const { return last_error_; }

 private:
  int utc_offset_seconds_;
  std::string last_error_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_LOG_FORMAT_H_
