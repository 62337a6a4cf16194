#include "agent/integrity/report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace pantau::agent::integrity {

v1::CheckReport BuildReport(const std::string& site, const std::vector<StoredFinding>& findings,
                            absl::Time scan_time, const CleanBackupLookup& lookup) {
  v1::CheckReport report;
  report.set_site(site);
  report.set_check("integrity");
  report.set_started_unix_ms(absl::ToUnixMillis(scan_time));
  std::vector<const StoredFinding*> sorted;
  for (const StoredFinding& f : findings) sorted.push_back(&f);
  std::stable_sort(sorted.begin(), sorted.end(), [](const StoredFinding* a, const StoredFinding* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    if (a->first_seen_ms != b->first_seen_ms) return a->first_seen_ms < b->first_seen_ms;
    if (a->path != b->path) return a->path < b->path;
    return a->kind < b->kind;
  });
  const size_t shown = sorted.size() > static_cast<size_t>(kMaxReportFindings)
                           ? static_cast<size_t>(kMaxReportFindings - 1)
                           : sorted.size();
  // The compromise is what the CRITICAL findings show: the clean backup must predate the
  // earliest of them (an older warning, e.g. an edited robots.txt, must not push it back).
  bool critical = false;
  int64_t earliest = INT64_MAX;
  for (const StoredFinding* f : sorted) {
    if (f->severity != v1::Finding::CRITICAL) continue;
    critical = true;
    earliest = std::min(earliest, f->first_seen_ms);
  }
  for (size_t i = 0; i < shown; ++i) {
    const StoredFinding& f = *sorted[i];
    v1::Finding* out = report.add_findings();
    out->set_kind(f.kind);
    out->set_severity(f.severity);
    out->set_detail(ClampUtf8(f.detail, 1024));
    out->set_evidence(ClampUtf8(f.evidence, 1024));
    out->set_key(ClampUtf8(f.path.empty() ? "." : f.path, 256));
  }
  if (shown < sorted.size()) {
    v1::Finding* more = report.add_findings();
    more->set_kind("integrity_more");
    more->set_severity(sorted[shown]->severity);
    int critical_rest = 0;
    for (size_t i = shown; i < sorted.size(); ++i) {
      critical_rest += sorted[i]->severity == v1::Finding::CRITICAL ? 1 : 0;
    }
    more->set_detail(absl::StrCat(sorted.size() - shown, " more integrity findings (",
                                  critical_rest, " critical) are not listed; see `pantau-agent "
                                  "integrity status --site ", site, "` on the host"));
    more->set_evidence(ClampUtf8(absl::StrCat("first not listed: ", sorted[shown]->path), 1024));
    more->set_key("integrity_more");
  }
  if (critical && lookup) {
    if (auto backup = lookup(site, absl::FromUnixMillis(earliest)); backup.has_value()) {
      report.set_last_clean_backup_id(backup->id);
      report.set_last_clean_backup_unix_ms(absl::ToUnixMillis(backup->started));
      report.set_restore_command(ClampUtf8(backup->restore_command, 1024));
    }
  }
  return report;
}

std::string FindingsFingerprint(const std::vector<StoredFinding>& findings) {
  std::string out;
  for (const StoredFinding& f : findings) {
    absl::StrAppend(&out, f.path, "\x1f", f.kind, "\x1f", static_cast<int>(f.severity), "\x1f",
                    f.detail, "\x1f", f.evidence, "\x1e");
  }
  return out;
}

}  // namespace pantau::agent::integrity
