// What happens to one log line, the same in the live agent and in `scan-log`: parse it,
// match it against the rules (Detector), count it in the visitor statistics, and keep a few
// samples of malformed lines so an operator can see why they did not parse.
//
//   SiteLogAnalysis site("pn-jakpus", rules, detector_options, stats_options);
//   AccessLogParser parser(format);
//   site.AccessLine(parser, line, line_number, clock.Now());
#ifndef PANTAU_AGENT_LOGWATCH_LOG_ANALYSIS_H_
#define PANTAU_AGENT_LOGWATCH_LOG_ANALYSIS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/logwatch/detector.h"
#include "agent/logwatch/log_format.h"
#include "agent/logwatch/rule_set.h"
#include "agent/logwatch/visitor_stats.h"

namespace pantau::agent::logwatch {

struct MalformedSample {
  int64_t line_number = 0;
  std::string reason;
  std::string line;  // at most 200 bytes
};

struct LineCounters {
  int64_t lines = 0;
  int64_t parsed = 0;
  int64_t malformed = 0;
  int64_t error_lines = 0;       // error-log lines parsed
  int64_t error_unparsed = 0;    // error-log lines that are neither (continuations, ...)
};

// The analysis state of one site: detector, statistics, counters. Not thread-safe.
class SiteLogAnalysis {
 public:
  // `stats_options.geoip` (if set) must outlive this object.
  SiteLogAnalysis(std::string site, std::shared_ptr<const RuleSet> rules,
                  DetectorOptions detector_options, VisitorStatsOptions stats_options);

  // One access-log line. `fallback_time` stands in for a record without a time.
  void AccessLine(AccessLogParser& parser, absl::string_view line, int64_t line_number,
                  absl::Time fallback_time);
  // One error-log line (rules with error_log: true; no statistics).
  void ErrorLine(ErrorLogParser& parser, absl::string_view line, int64_t line_number,
                 absl::Time fallback_time);

  const std::string& site() const { return site_; }
  Detector& detector() { return detector_; }
  VisitorStatsAggregator& stats() { return stats_; }
  const VisitorStatsAggregator& stats() const { return stats_; }
  const LineCounters& counters() const { return counters_; }
  // The first few malformed lines (at most 5).
  const std::vector<MalformedSample>& malformed_samples() const { return malformed_samples_; }

 private:
  void Malformed(absl::string_view reason, absl::string_view line, int64_t line_number,
                 absl::Time time);

  std::string site_;
  Detector detector_;
  VisitorStatsAggregator stats_;
  LineCounters counters_;
  std::vector<MalformedSample> malformed_samples_;
  AccessRecord record_;
  ErrorRecord error_record_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_LOG_ANALYSIS_H_
