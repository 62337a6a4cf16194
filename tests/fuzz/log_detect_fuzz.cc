// Fuzz target: arbitrary bytes as access-log lines (combined format), through what the agent
// does with each line: parse, decode the target, match the shipped rules (data/logwatch/
// rules.yaml, found from $PANTAU_DATA_DIR or this file's path), count windows, aggregate
// alerts, count visitor statistics. Any input must finish without a crash, hang or broken
// invariant. The first byte picks whether the bytes are used as a whole line or only as the
// request target / User-Agent inside a well-formed line (so the matcher sees hostile fields).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/logwatch/detector.h"
#include "agent/logwatch/log_format.h"
#include "agent/logwatch/rule_set.h"
#include "agent/logwatch/uri_decode.h"
#include "agent/logwatch/visitor_stats.h"

namespace {

using namespace pantau::agent::logwatch;  // NOLINT(build/namespaces): a fuzz target's one function

std::shared_ptr<const RuleSet> LoadRules() {
  std::string dir;
  if (const char* env = std::getenv("PANTAU_DATA_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    absl::string_view self = __FILE__;  // <source>/tests/fuzz/log_detect_fuzz.cc
    const size_t cut = self.rfind("/tests/fuzz/");
    if (cut != absl::string_view::npos) dir = absl::StrCat(self.substr(0, cut), "/data");
  }
  auto rules = RuleSet::Load({dir + "/logwatch/rules.yaml"});
  if (!rules.ok()) std::abort();  // the shipped rules must load
  return *rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const RuleSet> rules = LoadRules();
  static const LogFormat format = *LogFormat::FromName("combined");
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  DecodedTarget decoded;
  DecodeTarget(input, &decoded);
  // Decoding only shrinks escapes; NUL and %00 grow to "\0" (2 bytes), so at most 2x.
  if (decoded.uri.size() > 2 * input.size() + 1) std::abort();
  if (decoded.path.size() > decoded.uri.size() + 1) std::abort();

  DetectorOptions options;
  options.record_line_numbers = true;
  Detector detector(rules, "fuzz", options);
  VisitorStatsAggregator stats("fuzz", {});
  AccessLogParser parser(format);
  AccessRecord record;
  std::vector<std::string> lines;
  if (mode % 2 == 0) {
    size_t start = 0;
    while (start <= input.size()) {
      size_t end = input.find('\n', start);
      if (end == absl::string_view::npos) end = input.size();
      lines.emplace_back(input.substr(start, end - start));
      start = end + 1;
    }
  } else {
    std::string field(input);
    for (char& c : field) {
      if (c == '"' || c == '\n') c = '_';
    }
    lines.push_back(absl::StrCat("203.0.113.9 - - [25/Nov/2026:10:00:00 +0700] \"GET ", field,
                                 " HTTP/1.1\" 404 0 \"-\" \"", field, "\""));
  }
  int64_t line_number = 0;
  for (const std::string& line : lines) {
    ++line_number;
    if (!parser.Parse(line, &record)) continue;
    const absl::Time t =
        record.time_known ? absl::FromUnixSeconds(record.time_unix_s) : absl::UnixEpoch();
    const bool attack = detector.ProcessAccess(record, line, line_number, t);
    stats.Add(record, t, attack);
  }
  std::vector<AlertUpdate> updates;
  detector.CloseAll(&updates);
  for (const AlertUpdate& u : updates) {
    if (u.rule == nullptr || u.count <= 0 || u.samples.size() > 5) std::abort();
    if (u.alert_id.empty() || u.alert_id.size() > 128) std::abort();
    if (static_cast<int64_t>(u.line_numbers.size()) > u.count) std::abort();
  }
  std::vector<pantau::v1::VisitorStats> deltas;
  stats.Flush(/*include_open=*/true, &deltas);
  return 0;
}
