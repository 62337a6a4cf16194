// Turns a site's open findings (from the integrity state) into the CheckReport the collector
// receives: at most 100 findings, most severe first; beyond that the 99 most severe plus one
// "integrity_more" finding that counts the rest (its severity is that of the first finding not
// listed). With a CRITICAL finding open, the newest clean backup before the earliest
// first_seen of the open CRITICAL findings is named.
#ifndef PANTAU_AGENT_INTEGRITY_REPORT_H_
#define PANTAU_AGENT_INTEGRITY_REPORT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/integrity/integrity_monitor.h"
#include "agent/integrity/integrity_store.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::integrity {

inline constexpr int kMaxReportFindings = 100;

// `findings` as IntegrityStore::Findings returns them (most severe first). `lookup` may be
// empty.
v1::CheckReport BuildReport(const std::string& site, const std::vector<StoredFinding>& findings,
                            absl::Time scan_time, const CleanBackupLookup& lookup);

// Equal for equal sets of findings (what the report carries), to send only changes.
std::string FindingsFingerprint(const std::vector<StoredFinding>& findings);

}  // namespace pantau::agent::integrity

#endif  // PANTAU_AGENT_INTEGRITY_REPORT_H_
