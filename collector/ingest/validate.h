// Checks a Push request against the collector's limits before anything is stored.
#ifndef PANTAU_COLLECTOR_INGEST_VALIDATE_H_
#define PANTAU_COLLECTOR_INGEST_VALIDATE_H_

#include "absl/status/status.h"
#include "collector/config/collector_config.h"
#include "pantau/v1/agent_service.pb.h"

namespace pantau::collector {

// Per-field limits in bytes (the proto comments quote these).
inline constexpr int kMaxCourtIdBytes = 64;
inline constexpr int kMaxSiteBytes = 128;
inline constexpr int kMaxErrorBytes = 1024;
inline constexpr int kMaxVersionBytes = 64;

// OK, or InvalidArgument / ResourceExhausted with a message naming the event and field.
absl::Status ValidatePush(const v1::PushRequest& request, const IngestLimits& limits);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_VALIDATE_H_
