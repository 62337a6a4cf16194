// The lower-case name of a finding's severity ("info", "warning", "critical", "unspecified"),
// as shown by pantauctl and scan-log and used as a metric label. Header-only; for targets that
// link pantau_proto.
#ifndef PANTAU_COMMON_FINDING_SEVERITY_H_
#define PANTAU_COMMON_FINDING_SEVERITY_H_

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

}  // namespace pantau

#endif  // PANTAU_COMMON_FINDING_SEVERITY_H_
