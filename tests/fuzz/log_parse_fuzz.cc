// Fuzz target: arbitrary bytes as web-server log lines. The first byte picks the parser
// (combined, common, vhost_combined, json, auto, a fixed nginx custom format, or the error-log
// parser); the rest is split on '\n' and every line parsed. Any input must finish without a
// crash or hang, and the parser's answer must be consistent: a rejected line has a reason and
// an empty record, an accepted one has no reason and fields that lie inside the line (or, for
// JSON, are no longer than it).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "agent/logwatch/log_format.h"
#include "agent/logwatch/log_record.h"

namespace {

using namespace pantau::agent::logwatch;  // NOLINT(build/namespaces): a fuzz target's one function

constexpr char kCustomFormat[] =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\" \"$http_x_forwarded_for\" rt=$request_time "
    "uct=\"$upstream_connect_time\" $host $msec $uri$is_args$args";

constexpr int kAccessParsers = 6;

std::vector<LogFormat> MakeFormats() {
  std::vector<LogFormat> formats;
  for (const char* name : {"combined", "common", "vhost_combined", "json", "auto"}) {
    auto format = LogFormat::FromName(name);
    if (!format.ok()) __builtin_trap();
    formats.push_back(*format);
  }
  auto custom = LogFormat::FromNginx(kCustomFormat);
  if (!custom.ok()) __builtin_trap();
  formats.push_back(*custom);
  return formats;
}

AccessLogParser& Parser(int index) {
  static const std::vector<LogFormat>* const formats = new std::vector<LogFormat>(MakeFormats());
  static std::unique_ptr<AccessLogParser>* const parsers = [] {
    auto* p = new std::unique_ptr<AccessLogParser>[kAccessParsers];
    for (int i = 0; i < kAccessParsers; ++i) p[i] = std::make_unique<AccessLogParser>((*formats)[i]);
    return p;
  }();
  return *parsers[index];
}

bool Inside(absl::string_view field, absl::string_view line) {
  return field.empty() ||
         (field.data() >= line.data() && field.data() + field.size() <= line.data() + line.size());
}

void CheckAccess(int index, absl::string_view line) {
  AccessLogParser& parser = Parser(index);
  AccessRecord r;
  const bool ok = parser.Parse(line, &r);
  if (ok != parser.last_error().empty()) __builtin_trap();
  const absl::string_view fields[] = {r.client, r.vhost,  r.user,    r.method,
                                      r.target, r.protocol, r.referer, r.user_agent};
  if (!ok) {
    for (absl::string_view f : fields) {
      if (!f.empty()) __builtin_trap();
    }
    if (r.status != 0 || r.bytes != 0 || r.time_known) __builtin_trap();
    return;
  }
  if (r.status < 0 || r.status > 999 || r.bytes < 0) __builtin_trap();
  const bool json = index == 3 || (index == 4 && line.find('{') != absl::string_view::npos);
  for (absl::string_view f : fields) {
    if (json ? f.size() > line.size() : !Inside(f, line)) __builtin_trap();
  }
}

void CheckError(absl::string_view line) {
  static ErrorLogParser* const parser = new ErrorLogParser(7 * 3600);
  ErrorRecord r;
  const bool ok = parser->Parse(line, &r);
  if (ok != parser->last_error().empty()) __builtin_trap();
  if (ok && (!r.time_known || r.level.empty())) __builtin_trap();
  for (absl::string_view f : {r.level, r.client, r.message, r.request}) {
    if (!Inside(f, line)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int choice = data[0] % (kAccessParsers + 1);
  absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  while (true) {
    const size_t nl = rest.find('\n');
    const absl::string_view line = rest.substr(0, nl);
    if (choice == kAccessParsers) {
      CheckError(line);
    } else {
      CheckAccess(choice, line);
    }
    if (nl == absl::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return 0;
}
