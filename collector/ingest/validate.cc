#include "collector/ingest/validate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace pantau::collector {
namespace {

// 2000-01-01 .. 2200-01-01 in Unix milliseconds: what PostgreSQL's timestamptz and the
// rest of pantau can take, with room for badly set clocks.
constexpr int64_t kMinUnixMs = 946684800000;
constexpr int64_t kMaxUnixMs = 7258118400000;

absl::Status CheckLength(absl::string_view field, absl::string_view value, size_t min,
                         size_t max, absl::string_view where) {
  // PostgreSQL text cannot hold NUL; proto3 strings can.
  if (value.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(where, field, " contains a NUL byte"));
  }
  if (value.size() < min) {
    return absl::InvalidArgumentError(absl::StrCat(where, field, " is empty"));
  }
  if (value.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(where, field, " is ", value.size(),
                                                   " bytes, the limit is ", max));
  }
  return absl::OkStatus();
}

absl::Status ValidateProbe(const v1::ProbeResult& p, const IngestLimits& limits,
                           const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  if (auto s = CheckLength("probe.site", p.site(), 1, std::min<size_t>(kMaxSiteBytes, cap), where);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckLength("probe.url", p.url(), 1, cap, where); !s.ok()) return s;
  if (auto s = CheckLength("probe.error", p.error(), 0, std::min<size_t>(kMaxErrorBytes, cap),
                           where);
      !s.ok()) {
    return s;
  }
  if (p.http_status() < 0 || p.http_status() > 999) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "probe.http_status ", p.http_status(), " is not 0..999"));
  }
  for (int64_t v : {p.dns_us(), p.connect_us(), p.tls_us(), p.first_byte_us(), p.total_us(),
                    p.body_bytes()}) {
    if (v < 0) return absl::InvalidArgumentError(absl::StrCat(where, "probe timing is negative"));
  }
  if (p.started_unix_ms() < kMinUnixMs || p.started_unix_ms() > kMaxUnixMs) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "probe.started_unix_ms ", p.started_unix_ms(), " is not between 2000 and 2200"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePush(const v1::PushRequest& request, const IngestLimits& limits) {
  if (!IsValidId(request.agent_id())) {
    return absl::InvalidArgumentError(
        "agent_id must be 1..128 bytes of letters, digits, '.', '_' or '-'");
  }
  if (auto s = CheckLength("court_id", request.court_id(), 0, kMaxCourtIdBytes, ""); !s.ok()) {
    return s;
  }
  if (request.events_size() > limits.max_events_per_batch) {
    return absl::ResourceExhaustedError(
        absl::StrCat("batch has ", request.events_size(), " events, the limit is ",
                     limits.max_events_per_batch, "; send smaller batches"));
  }
  if (request.batch_seq() == 0 && request.events_size() > 0) {
    return absl::InvalidArgumentError("batch_seq must be at least 1 when events are sent");
  }
  if (request.batch_seq() > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("batch_seq is beyond 2^63-1");
  }
  for (int i = 0; i < request.events_size(); ++i) {
    const v1::Event& e = request.events(i);
    const std::string where = absl::StrCat("event ", i, ": ");
    if (e.agent_event_id() == 0 || e.agent_event_id() > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "agent_event_id must be 1..2^63-1"));
    }
    if (e.observed_unix_ms() != 0 &&
        (e.observed_unix_ms() < kMinUnixMs || e.observed_unix_ms() > kMaxUnixMs)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "observed_unix_ms ", e.observed_unix_ms(), " is not between 2000 and 2200"));
    }
    switch (e.kind_case()) {
      case v1::Event::kProbe:
        if (auto s = ValidateProbe(e.probe(), limits, where); !s.ok()) return s;
        break;
      case v1::Event::kHeartbeat:
        if (auto s = CheckLength("heartbeat.agent_version", e.heartbeat().agent_version(), 0,
                                 kMaxVersionBytes, where);
            !s.ok()) {
          return s;
        }
        break;
      case v1::Event::KIND_NOT_SET:
        return absl::InvalidArgumentError(absl::StrCat(
            where, "no known event kind (an agent newer than this collector?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace pantau::collector
