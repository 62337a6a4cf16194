#include "agent/logwatch/log_analysis.h"

#include <utility>

namespace pantau::agent::logwatch {
namespace {

// Logs written on Windows or through some shippers end lines with CRLF: the '\r' is not part
// of the line (nor of an alert's sample).
absl::string_view WithoutCr(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

constexpr size_t kMaxMalformedSamples = 5;
constexpr size_t kMaxSampleBytes = 200;

}  // namespace

SiteLogAnalysis::SiteLogAnalysis(std::string site, std::shared_ptr<const RuleSet> rules,
                                 DetectorOptions detector_options,
                                 VisitorStatsOptions stats_options)
    : site_(site),
      detector_(std::move(rules), site, detector_options),
      stats_(std::move(site), stats_options) {}

void SiteLogAnalysis::AccessLine(AccessLogParser& parser, absl::string_view line,
                                 int64_t line_number, absl::Time fallback_time) {
  line = WithoutCr(line);
  ++counters_.lines;
  if (!parser.Parse(line, &record_)) {
    Malformed(parser.last_error(), line, line_number, fallback_time);
    return;
  }
  ++counters_.parsed;
  const absl::Time time =
      record_.time_known ? absl::FromUnixSeconds(record_.time_unix_s) : fallback_time;
  const bool attack = detector_.ProcessAccess(record_, line, line_number, time);
  stats_.Add(record_, time, attack);
}

void SiteLogAnalysis::ErrorLine(ErrorLogParser& parser, absl::string_view line,
                                int64_t line_number, absl::Time fallback_time) {
  line = WithoutCr(line);
  ++counters_.lines;
  if (!parser.Parse(line, &error_record_)) {
    // Stack traces and other continuation lines are normal in error logs: counted, not
    // reported as malformed.
    ++counters_.error_unparsed;
    return;
  }
  ++counters_.error_lines;
  const absl::Time time = error_record_.time_known
                              ? absl::FromUnixSeconds(error_record_.time_unix_s)
                              : fallback_time;
  detector_.ProcessError(error_record_, line, line_number, time);
}

void SiteLogAnalysis::Malformed(absl::string_view reason, absl::string_view line,
                                int64_t line_number, absl::Time time) {
  ++counters_.malformed;
  stats_.AddMalformed(time);
  if (malformed_samples_.size() < kMaxMalformedSamples) {
    malformed_samples_.push_back(MalformedSample{
        line_number, std::string(reason), std::string(line.substr(0, kMaxSampleBytes))});
  }
}

}  // namespace pantau::agent::logwatch
