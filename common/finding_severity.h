// Names of enum values of the wire as pantau shows them (pantauctl, scan-log, metric labels,
// SQL columns), and the severity of an integer read back from the database. Header-only; for
// targets that link pantau_proto.
#ifndef PANTAU_COMMON_FINDING_SEVERITY_H_
#define PANTAU_COMMON_FINDING_SEVERITY_H_

#include <string>

#include "absl/strings/ascii.h"
#include "pantau/v1/events.pb.h"

namespace pantau {

inline const char* SeverityName(v1::Finding::Severity severity) {
  switch (severity) {
    case v1::Finding::INFO:
      return "info";
    case v1::Finding::WARNING:
      return "warning";
    case v1::Finding::CRITICAL:
      return "critical";
    default:
      return "unspecified";
  }
}

// A stored severity; values this build does not know read as SEVERITY_UNSPECIFIED.
inline v1::Finding::Severity SeverityFromInt(int value) {
  return v1::Finding::Severity_IsValid(value) ? static_cast<v1::Finding::Severity>(value)
                                              : v1::Finding::SEVERITY_UNSPECIFIED;
}

// "banned", "allowlisted", "failed" (the enum's own names, lower case).
inline std::string BanOutcomeName(v1::BanEvent::Outcome outcome) {
  return absl::AsciiStrToLower(v1::BanEvent::Outcome_Name(outcome));
}

}  // namespace pantau

#endif  // PANTAU_COMMON_FINDING_SEVERITY_H_
