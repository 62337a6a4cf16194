#include "collector/ingest/validate.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"

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

// Identifiers that incident rules and runbooks key on: 1..max bytes of [a-z0-9_].
absl::Status CheckToken(absl::string_view field, absl::string_view value, size_t max,
                        absl::string_view where) {
  const bool ok = !value.empty() && value.size() <= max &&
                  std::all_of(value.begin(), value.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, field, " must be 1..", max, " bytes of [a-z0-9_]"));
}

absl::Status CheckTime(absl::string_view field, int64_t unix_ms, absl::string_view where) {
  if (unix_ms < kMinUnixMs || unix_ms > kMaxUnixMs) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, field, " ", unix_ms, " is not between 2000 and 2200"));
  }
  return absl::OkStatus();
}

// `field` is the repeated field's name with its message, e.g. "probe.findings".
absl::Status ValidateFindings(absl::string_view field,
                              const google::protobuf::RepeatedPtrField<v1::Finding>& findings,
                              size_t cap, absl::string_view where) {
  if (findings.size() > kMaxFindings) {
    return absl::InvalidArgumentError(absl::StrCat(where, field, " has ", findings.size(),
                                                   " entries, the limit is ", kMaxFindings));
  }
  const size_t text_max = std::min<size_t>(kMaxFindingTextBytes, cap);
  for (int i = 0; i < findings.size(); ++i) {
    const v1::Finding& f = findings[i];
    const std::string name = absl::StrCat(field, "[", i, "]");
    PANTAU_RETURN_IF_ERROR(CheckToken(absl::StrCat(name, ".kind"), f.kind(),
                                      std::min<size_t>(kMaxFindingKindBytes, cap), where));
    if (!v1::Finding::Severity_IsValid(f.severity())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, name, ".severity ", f.severity(), " is not a known severity"));
    }
    PANTAU_RETURN_IF_ERROR(CheckLength(absl::StrCat(name, ".detail"), f.detail(), 0, text_max,
                                       where));
    PANTAU_RETURN_IF_ERROR(CheckLength(absl::StrCat(name, ".evidence"), f.evidence(), 0,
                                       text_max, where));
    PANTAU_RETURN_IF_ERROR(CheckLength(absl::StrCat(name, ".key"), f.key(), 0,
                                       std::min<size_t>(kMaxFindingKeyBytes, cap), where));
  }
  return absl::OkStatus();
}

absl::Status ValidateProbe(const v1::ProbeResult& p, const IngestLimits& limits,
                           const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  auto upto = [cap](int limit) { return std::min<size_t>(static_cast<size_t>(limit), cap); };
  PANTAU_RETURN_IF_ERROR(CheckLength("probe.site", p.site(), 1, upto(kMaxSiteBytes), where));
  // URLs are held to limits.max_string_bytes alone (2048 by default, as the proto says).
  PANTAU_RETURN_IF_ERROR(CheckLength("probe.url", p.url(), 1, cap, where));
  PANTAU_RETURN_IF_ERROR(CheckLength("probe.error", p.error(), 0, upto(kMaxErrorBytes), where));
  if (p.http_status() < 0 || p.http_status() > 999) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "probe.http_status ", p.http_status(), " is not 0..999"));
  }
  for (int64_t v : {p.dns_us(), p.connect_us(), p.tls_us(), p.first_byte_us(), p.total_us(),
                    p.body_bytes()}) {
    if (v < 0) return absl::InvalidArgumentError(absl::StrCat(where, "probe timing is negative"));
  }
  PANTAU_RETURN_IF_ERROR(CheckTime("probe.started_unix_ms", p.started_unix_ms(), where));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("probe.probe_kind", p.probe_kind(), 0, kMaxProbeKindBytes, where));
  if (p.probe_kind() != "" && p.probe_kind() != "http" && p.probe_kind() != "dns" &&
      p.probe_kind() != "tcp") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "probe.probe_kind must be empty, \"http\", \"dns\" or \"tcp\""));
  }
  PANTAU_RETURN_IF_ERROR(
      CheckLength("probe.http_version", p.http_version(), 0, upto(kMaxHttpVersionBytes), where));
  if (p.redirect_count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "probe.redirect_count ", p.redirect_count(), " is negative"));
  }
  PANTAU_RETURN_IF_ERROR(
      CheckLength("probe.final_url", p.final_url(), 0, cap, where));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("probe.tls_issuer", p.tls_issuer(), 0, upto(kMaxTlsIssuerBytes), where));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("probe.tls_error", p.tls_error(), 0, upto(kMaxErrorBytes), where));
  if (p.dns_answers_size() > kMaxDnsAnswers) {
    return absl::InvalidArgumentError(absl::StrCat(where, "probe.dns_answers has ",
                                                   p.dns_answers_size(),
                                                   " entries, the limit is ", kMaxDnsAnswers));
  }
  for (int i = 0; i < p.dns_answers_size(); ++i) {
    PANTAU_RETURN_IF_ERROR(CheckLength(absl::StrCat("probe.dns_answers[", i, "]"),
                                       p.dns_answers(i), 0, upto(kMaxDnsAnswerBytes), where));
  }
  return ValidateFindings("probe.findings", p.findings(), cap, where);
}

absl::Status ValidateCheck(const v1::CheckReport& c, const IngestLimits& limits,
                           const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  auto upto = [cap](int limit) { return std::min<size_t>(static_cast<size_t>(limit), cap); };
  PANTAU_RETURN_IF_ERROR(CheckLength("check.site", c.site(), 1, upto(kMaxSiteBytes), where));
  PANTAU_RETURN_IF_ERROR(CheckToken("check.check", c.check(), upto(kMaxCheckBytes), where));
  if (c.check() == "http" || c.check() == "dns" || c.check() == "tcp") {
    // Probe results own these: a report under the same name would replace their findings.
    return absl::InvalidArgumentError(absl::StrCat(
        where, "check.check \"", c.check(), "\" is reserved for probe results"));
  }
  PANTAU_RETURN_IF_ERROR(CheckTime("check.started_unix_ms", c.started_unix_ms(), where));
  PANTAU_RETURN_IF_ERROR(CheckLength("check.error", c.error(), 0, upto(kMaxErrorBytes), where));
  PANTAU_RETURN_IF_ERROR(ValidateFindings("check.findings", c.findings(), cap, where));
  if (c.content_age_known() &&
      !(std::isfinite(c.content_age_days()) && c.content_age_days() >= 0 &&
        c.content_age_days() <= kMaxContentAgeDays)) {
    return absl::InvalidArgumentError(absl::StrCat(where, "check.content_age_days ",
                                                   c.content_age_days(), " is not 0..",
                                                   kMaxContentAgeDays));
  }
  return CheckLength("check.content_age_source", c.content_age_source(), 0,
                     upto(kMaxContentAgeSourceBytes), where);
}

}  // namespace

absl::Status ValidatePush(const v1::PushRequest& request, const IngestLimits& limits) {
  if (!IsValidId(request.agent_id())) {
    return absl::InvalidArgumentError(
        "agent_id must be 1..128 bytes of letters, digits, '.', '_' or '-'");
  }
  PANTAU_RETURN_IF_ERROR(CheckLength("court_id", request.court_id(), 0, kMaxCourtIdBytes, ""));
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
    if (e.observed_unix_ms() != 0) {
      PANTAU_RETURN_IF_ERROR(CheckTime("observed_unix_ms", e.observed_unix_ms(), where));
    }
    switch (e.kind_case()) {
      case v1::Event::kProbe:
        PANTAU_RETURN_IF_ERROR(ValidateProbe(e.probe(), limits, where));
        break;
      case v1::Event::kHeartbeat:
        PANTAU_RETURN_IF_ERROR(CheckLength("heartbeat.agent_version",
                                           e.heartbeat().agent_version(), 0, kMaxVersionBytes,
                                           where));
        break;
      case v1::Event::kCheck:
        PANTAU_RETURN_IF_ERROR(ValidateCheck(e.check(), limits, where));
        break;
      case v1::Event::KIND_NOT_SET:
        return absl::InvalidArgumentError(absl::StrCat(
            where, "no known event kind (an agent newer than this collector?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace pantau::collector
