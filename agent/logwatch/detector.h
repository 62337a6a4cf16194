// Turns parsed log lines into aggregated alerts: decodes the target, matches the rule set,
// counts window rules per client (or per site) in exact sliding windows, and aggregates every
// firing per (client, rule) — first seen, last seen, count, a few sample lines — so an attack
// of 100k requests becomes one alert with a few updates. Memory is bounded: window state of
// quiet clients is forgotten, the number of tracked clients is capped.
//
//   Detector detector(rules, "pn-jakpus", {});
//   detector.ProcessAccess(record, line, line_number, time);
//   detector.Collect(now, &updates);   // new, grown and closed alerts to send
#ifndef PANTAU_AGENT_LOGWATCH_DETECTOR_H_
#define PANTAU_AGENT_LOGWATCH_DETECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/logwatch/log_record.h"
#include "agent/logwatch/rule_set.h"

namespace pantau::agent::logwatch {

struct DetectorOptions {
  // An alert closes once its client has sent no matching request for this long (log time).
  absl::Duration aggregate_window = absl::Minutes(5);
  // An open alert that grew is sent again at most this often.
  absl::Duration update_interval = absl::Minutes(1);
  // Keep the 1-based line number of every request an alert covers (scan-log --json).
  bool record_line_numbers = false;
  int max_samples = 5;
  size_t max_sample_bytes = 1024;
  // Most clients with window state at once; the least recently seen are forgotten first.
  size_t max_tracked_clients = 100000;
  // Most open alerts at once; beyond it, new (client, rule) hits are folded into one alert per
  // rule with client "*" so that a request from a million addresses cannot exhaust memory.
  size_t max_open_alerts = 20000;
};

struct AlertUpdate {
  std::string alert_id;        // stable while the alert is open
  const Rule* rule = nullptr;  // points into the RuleSet (kept alive by the Detector)
  std::string site;
  std::string client;          // "*" for site-scope rules
  absl::Time first_seen;
  absl::Time last_seen;
  int64_t count = 0;
  std::vector<std::string> samples;
  std::vector<int64_t> line_numbers;  // only with record_line_numbers, ascending
  bool closed = false;
  bool is_new = false;         // the first update of this alert (active response keys on it)
};

// Not thread-safe; one per site (or per scan-log run).
class Detector {
 public:
  Detector(std::shared_ptr<const RuleSet> rules, std::string site, DetectorOptions options);
  ~Detector();

  // One access-log line. `time` is the record's time (the caller passes its own clock's time
  // when the log has none). Returns true when a signature rule matched the request.
  bool ProcessAccess(const AccessRecord& record, absl::string_view line, int64_t line_number,
                     absl::Time time);
  // One error-log line (rules with error_log: true).
  bool ProcessError(const ErrorRecord& record, absl::string_view line, int64_t line_number,
                    absl::Time time);

  // Appends what should be sent now: alerts opened since the last call (is_new), open alerts
  // that grew and were last sent update_interval ago or more, and alerts quiet since
  // `now - aggregate_window` (closed = true; then forgotten). Also drops idle window state.
  void Collect(absl::Time now, std::vector<AlertUpdate>* out);
  // Closes and appends every open alert (end of input, shutdown).
  void CloseAll(std::vector<AlertUpdate>* out);

  size_t open_alerts() const;
  size_t tracked_clients() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_DETECTOR_H_
