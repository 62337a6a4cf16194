// Checks a Push request against the collector's limits before anything is stored.
//
//   absl::Status valid = ValidatePush(request, config.limits);
//   if (!valid.ok()) return ToGrpcStatus(valid);  // "event 3: probe.findings[2].kind ..."
#ifndef PANTAU_COLLECTOR_INGEST_VALIDATE_H_
#define PANTAU_COLLECTOR_INGEST_VALIDATE_H_

#include "absl/status/status.h"
#include "collector/config/collector_config.h"
#include "pantau/v1/agent_service.pb.h"

namespace pantau::collector {

// Per-field limits in bytes (the proto comments quote these). A string field is also held to
// IngestLimits::max_string_bytes when that is lower.
inline constexpr int kMaxCourtIdBytes = 64;
inline constexpr int kMaxSiteBytes = 128;
inline constexpr int kMaxErrorBytes = 1024;
inline constexpr int kMaxVersionBytes = 64;
inline constexpr int kMaxProbeKindBytes = 16;  // and one of "", "http", "dns", "tcp"
inline constexpr int kMaxHttpVersionBytes = 8;
inline constexpr int kMaxTlsIssuerBytes = 512;
inline constexpr int kMaxDnsAnswers = 64;
inline constexpr int kMaxDnsAnswerBytes = 128;
inline constexpr int kMaxCheckBytes = 32;  // [a-z0-9_], at least 1; not http, dns, tcp
inline constexpr int kMaxFindingKindBytes = 64;  // [a-z0-9_], at least 1
inline constexpr int kMaxFindingTextBytes = 1024;  // detail and evidence
inline constexpr int kMaxFindingKeyBytes = 256;
inline constexpr int kMaxFindings = 100;  // per probe result or check report
inline constexpr int kMaxContentAgeSourceBytes = 32;
inline constexpr double kMaxContentAgeDays = 36500;
// Agent logwatch (LogAlert, VisitorStats, BanEvent).
inline constexpr int kMaxAlertIdBytes = 128;
inline constexpr int kMaxRuleBytes = 64;         // [a-z0-9_.-], at least 1
inline constexpr int kMaxFamilyBytes = 64;       // [a-z0-9_], at least 1
inline constexpr int kMaxClientBytes = 128;      // an IP address, "*" or "site"
inline constexpr int kMaxAlertTextBytes = 1024;  // description and action
inline constexpr int kMaxSampleLines = 5;
inline constexpr int kMaxSampleLineBytes = 1024;
inline constexpr int kMaxLogPathBytes = 1024;
inline constexpr int kMaxCountryBytes = 8;       // ISO 3166 code, or empty
inline constexpr int kMaxTopPages = 10;
inline constexpr int kMaxTopClients = 10;
inline constexpr int kMaxCountries = 20;
inline constexpr int kMaxPageKeyBytes = 512;     // a path; clients and countries as above
// Agent backups (BackupSummary) and the CheckReport's last clean backup (check "integrity").
inline constexpr int kMaxBackupIdBytes = 128;    // [A-Za-z0-9._-], at least 1
inline constexpr int kMaxBackupMedia = 16;
inline constexpr int kMaxBackupMediumBytes = 1024;
inline constexpr int kMaxRestoreCommandBytes = 1024;
// interval_seconds: 0 (not reported) or 60..604800 (one minute to one week).
inline constexpr int64_t kMinBackupIntervalSeconds = 60;
inline constexpr int64_t kMaxBackupIntervalSeconds = 604800;
// Largest VisitorStats counter or KeyCount count (2^50, about 10^15 per minute): far beyond
// any real site, and low enough that the collector's sums cannot overflow.
inline constexpr int64_t kMaxVisitorCount = int64_t{1} << 50;

// OK, or InvalidArgument / ResourceExhausted with a message naming the event and field.
absl::Status ValidatePush(const v1::PushRequest& request, const IngestLimits& limits);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INGEST_VALIDATE_H_
