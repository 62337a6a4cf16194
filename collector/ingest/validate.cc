#include "collector/ingest/validate.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
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
// 1..max bytes of [a-z0-9_] plus the characters in `extra` (rule ids also allow ".-").
absl::Status CheckToken(absl::string_view field, absl::string_view value, size_t max,
                        absl::string_view where, absl::string_view extra = "") {
  const bool ok = !value.empty() && value.size() <= max &&
                  std::all_of(value.begin(), value.end(), [&](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                           absl::StrContains(extra, c);
                  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, field, " must be 1..", max, " bytes of [a-z0-9_", extra, "]"));
}

absl::Status CheckTime(absl::string_view field, int64_t unix_ms, absl::string_view where) {
  if (unix_ms < kMinUnixMs || unix_ms > kMaxUnixMs) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, field, " ", unix_ms, " is not between 2000 and 2200"));
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(absl::string_view field, int64_t value, absl::string_view where) {
  if (value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(where, field, " ", value, " is negative"));
}

// Backup ids name archive files on the agent: 1..max bytes of [A-Za-z0-9._-].
absl::Status CheckBackupId(absl::string_view field, absl::string_view value, size_t max,
                           absl::string_view where) {
  const bool ok = !value.empty() && value.size() <= max &&
                  std::all_of(value.begin(), value.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, field, " must be 1..", max, " bytes of [A-Za-z0-9._-]"));
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
  PANTAU_RETURN_IF_ERROR(CheckLength("check.content_age_source", c.content_age_source(), 0,
                                     upto(kMaxContentAgeSourceBytes), where));
  if (!c.last_clean_backup_id().empty()) {
    PANTAU_RETURN_IF_ERROR(CheckBackupId("check.last_clean_backup_id", c.last_clean_backup_id(),
                                         upto(kMaxBackupIdBytes), where));
    PANTAU_RETURN_IF_ERROR(
        CheckTime("check.last_clean_backup_unix_ms", c.last_clean_backup_unix_ms(), where));
  } else if (c.last_clean_backup_unix_ms() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "check.last_clean_backup_unix_ms is set without an id"));
  }
  return CheckLength("check.restore_command", c.restore_command(), 0,
                     upto(kMaxRestoreCommandBytes), where);
}

absl::Status ValidateBackup(const v1::BackupSummary& b, const IngestLimits& limits,
                            const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  auto upto = [cap](int limit) { return std::min<size_t>(static_cast<size_t>(limit), cap); };
  PANTAU_RETURN_IF_ERROR(CheckLength("backup.site", b.site(), 1, upto(kMaxSiteBytes), where));
  PANTAU_RETURN_IF_ERROR(
      CheckBackupId("backup.backup_id", b.backup_id(), upto(kMaxBackupIdBytes), where));
  if (b.kind() != "full" && b.kind() != "incremental") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "backup.kind must be \"full\" or \"incremental\""));
  }
  PANTAU_RETURN_IF_ERROR(CheckTime("backup.started_unix_ms", b.started_unix_ms(), where));
  PANTAU_RETURN_IF_ERROR(CheckTime("backup.finished_unix_ms", b.finished_unix_ms(), where));
  if (b.finished_unix_ms() < b.started_unix_ms()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "backup.finished_unix_ms is before started_unix_ms"));
  }
  const std::pair<const char*, int64_t> counts[] = {
      {"backup.bytes", b.bytes()},           {"backup.files", b.files()},
      {"backup.files_copied", b.files_copied()}, {"backup.source_bytes", b.source_bytes()},
      {"backup.databases", b.databases()},   {"backup.database_bytes", b.database_bytes()}};
  for (const auto& [name, value] : counts) {
    PANTAU_RETURN_IF_ERROR(CheckNonNegative(name, value, where));
  }
  if (b.media_size() > kMaxBackupMedia) {
    return absl::InvalidArgumentError(absl::StrCat(where, "backup.media has ", b.media_size(),
                                                   " entries, the limit is ", kMaxBackupMedia));
  }
  for (int i = 0; i < b.media_size(); ++i) {
    PANTAU_RETURN_IF_ERROR(CheckLength(absl::StrCat("backup.media[", i, "]"), b.media(i), 0,
                                       upto(kMaxBackupMediumBytes), where));
  }
  PANTAU_RETURN_IF_ERROR(CheckLength("backup.error", b.error(), 0, upto(kMaxErrorBytes), where));
  if (b.interval_seconds() != 0 && (b.interval_seconds() < kMinBackupIntervalSeconds ||
                                    b.interval_seconds() > kMaxBackupIntervalSeconds)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "backup.interval_seconds ", b.interval_seconds(), " is not 0 or ",
        kMinBackupIntervalSeconds, "..", kMaxBackupIntervalSeconds));
  }
  return absl::OkStatus();
}

// Rule ids: 1..max bytes of [a-z0-9_.-] (as the agent's rule files allow).

absl::Status CheckVisitorCount(absl::string_view field, int64_t value, absl::string_view where) {
  PANTAU_RETURN_IF_ERROR(CheckNonNegative(field, value, where));
  if (value <= kMaxVisitorCount) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, field, " ", value, " is over the limit of ", kMaxVisitorCount));
}

absl::Status ValidateLogAlert(const v1::LogAlert& a, const IngestLimits& limits,
                              const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  auto upto = [cap](int limit) { return std::min<size_t>(static_cast<size_t>(limit), cap); };
  PANTAU_RETURN_IF_ERROR(CheckLength("log_alert.site", a.site(), 1, upto(kMaxSiteBytes), where));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("log_alert.alert_id", a.alert_id(), 1, upto(kMaxAlertIdBytes), where));
  PANTAU_RETURN_IF_ERROR(CheckToken("log_alert.rule", a.rule(), upto(kMaxRuleBytes), where, ".-"));
  PANTAU_RETURN_IF_ERROR(
      CheckToken("log_alert.family", a.family(), upto(kMaxFamilyBytes), where));
  if (!v1::Finding::Severity_IsValid(a.severity())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "log_alert.severity ", a.severity(), " is not a known severity"));
  }
  PANTAU_RETURN_IF_ERROR(
      CheckLength("log_alert.client", a.client(), 1, upto(kMaxClientBytes), where));
  PANTAU_RETURN_IF_ERROR(CheckTime("log_alert.first_seen_unix_ms", a.first_seen_unix_ms(), where));
  PANTAU_RETURN_IF_ERROR(CheckTime("log_alert.last_seen_unix_ms", a.last_seen_unix_ms(), where));
  if (a.last_seen_unix_ms() < a.first_seen_unix_ms()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "log_alert.last_seen_unix_ms is before first_seen_unix_ms"));
  }
  PANTAU_RETURN_IF_ERROR(CheckNonNegative("log_alert.count", a.count(), where));
  if (a.sample_lines_size() > kMaxSampleLines) {
    return absl::InvalidArgumentError(absl::StrCat(where, "log_alert.sample_lines has ",
                                                   a.sample_lines_size(),
                                                   " entries, the limit is ", kMaxSampleLines));
  }
  for (int i = 0; i < a.sample_lines_size(); ++i) {
    PANTAU_RETURN_IF_ERROR(CheckLength(absl::StrCat("log_alert.sample_lines[", i, "]"),
                                       a.sample_lines(i), 0, upto(kMaxSampleLineBytes), where));
  }
  PANTAU_RETURN_IF_ERROR(CheckLength("log_alert.description", a.description(), 0,
                                     upto(kMaxAlertTextBytes), where));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("log_alert.action", a.action(), 0, upto(kMaxAlertTextBytes), where));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("log_alert.log_path", a.log_path(), 0, upto(kMaxLogPathBytes), where));
  return CheckLength("log_alert.country", a.country(), 0, upto(kMaxCountryBytes), where);
}

// `field` names the list, e.g. "visitor_stats.top_pages".
absl::Status ValidateKeyCounts(absl::string_view field,
                               const google::protobuf::RepeatedPtrField<v1::KeyCount>& counts,
                               int max_entries, size_t max_key_bytes, absl::string_view where) {
  if (counts.size() > max_entries) {
    return absl::InvalidArgumentError(absl::StrCat(where, field, " has ", counts.size(),
                                                   " entries, the limit is ", max_entries));
  }
  for (int i = 0; i < counts.size(); ++i) {
    const std::string name = absl::StrCat(field, "[", i, "]");
    PANTAU_RETURN_IF_ERROR(
        CheckLength(absl::StrCat(name, ".key"), counts[i].key(), 1, max_key_bytes, where));
    PANTAU_RETURN_IF_ERROR(
        CheckVisitorCount(absl::StrCat(name, ".count"), counts[i].count(), where));
  }
  return absl::OkStatus();
}

absl::Status ValidateVisitorStats(const v1::VisitorStats& v, const IngestLimits& limits,
                                  const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  auto upto = [cap](int limit) { return std::min<size_t>(static_cast<size_t>(limit), cap); };
  PANTAU_RETURN_IF_ERROR(
      CheckLength("visitor_stats.site", v.site(), 1, upto(kMaxSiteBytes), where));
  if (v.minute_unix_s() % 60 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "visitor_stats.minute_unix_s ", v.minute_unix_s(), " is not the start of a minute"));
  }
  if (v.minute_unix_s() < kMinUnixMs / 1000 || v.minute_unix_s() > kMaxUnixMs / 1000) {
    return absl::InvalidArgumentError(absl::StrCat(where, "visitor_stats.minute_unix_s ",
                                                   v.minute_unix_s(),
                                                   " is not between 2000 and 2200"));
  }
  const std::pair<const char*, int64_t> counters[] = {
      {"requests", v.requests()},       {"unique_visitors", v.unique_visitors()},
      {"page_views", v.page_views()},   {"bot_requests", v.bot_requests()},
      {"status_2xx", v.status_2xx()},   {"status_3xx", v.status_3xx()},
      {"status_4xx", v.status_4xx()},   {"status_5xx", v.status_5xx()},
      {"status_other", v.status_other()}, {"bytes", v.bytes()},
      {"malformed_lines", v.malformed_lines()}, {"attack_requests", v.attack_requests()}};
  for (const auto& [name, value] : counters) {
    PANTAU_RETURN_IF_ERROR(
        CheckVisitorCount(absl::StrCat("visitor_stats.", name), value, where));
  }
  PANTAU_RETURN_IF_ERROR(ValidateKeyCounts("visitor_stats.top_pages", v.top_pages(),
                                           kMaxTopPages, upto(kMaxPageKeyBytes), where));
  PANTAU_RETURN_IF_ERROR(ValidateKeyCounts("visitor_stats.top_clients", v.top_clients(),
                                           kMaxTopClients, upto(kMaxClientBytes), where));
  return ValidateKeyCounts("visitor_stats.countries", v.countries(), kMaxCountries,
                           upto(kMaxCountryBytes), where);
}

absl::Status ValidateBan(const v1::BanEvent& b, const IngestLimits& limits,
                         const std::string& where) {
  const size_t cap = static_cast<size_t>(limits.max_string_bytes);
  auto upto = [cap](int limit) { return std::min<size_t>(static_cast<size_t>(limit), cap); };
  PANTAU_RETURN_IF_ERROR(CheckLength("ban.site", b.site(), 1, upto(kMaxSiteBytes), where));
  PANTAU_RETURN_IF_ERROR(CheckLength("ban.client", b.client(), 1, upto(kMaxClientBytes), where));
  PANTAU_RETURN_IF_ERROR(CheckToken("ban.rule", b.rule(), upto(kMaxRuleBytes), where, ".-"));
  PANTAU_RETURN_IF_ERROR(
      CheckLength("ban.alert_id", b.alert_id(), 0, upto(kMaxAlertIdBytes), where));
  if (b.outcome() != v1::BanEvent::BANNED && b.outcome() != v1::BanEvent::ALLOWLISTED &&
      b.outcome() != v1::BanEvent::FAILED) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "ban.outcome ", b.outcome(), " must be BANNED, ALLOWLISTED or FAILED"));
  }
  // Only a ban has a timeout; the others may leave it 0.
  if (b.outcome() == v1::BanEvent::BANNED || b.until_unix_ms() != 0) {
    PANTAU_RETURN_IF_ERROR(CheckTime("ban.until_unix_ms", b.until_unix_ms(), where));
  }
  return CheckLength("ban.error", b.error(), 0, upto(kMaxErrorBytes), where);
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
      case v1::Event::kLogAlert:
        PANTAU_RETURN_IF_ERROR(ValidateLogAlert(e.log_alert(), limits, where));
        break;
      case v1::Event::kVisitorStats:
        PANTAU_RETURN_IF_ERROR(ValidateVisitorStats(e.visitor_stats(), limits, where));
        break;
      case v1::Event::kBan:
        PANTAU_RETURN_IF_ERROR(ValidateBan(e.ban(), limits, where));
        break;
      case v1::Event::kBackup:
        PANTAU_RETURN_IF_ERROR(ValidateBackup(e.backup(), limits, where));
        break;
      case v1::Event::KIND_NOT_SET:
        return absl::InvalidArgumentError(absl::StrCat(
            where, "no known event kind (an agent newer than this collector?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace pantau::collector
