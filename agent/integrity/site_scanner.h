// Compares one site's web root (or a part of it) with its baseline, raises findings for what
// changed and writes the new state into the baseline: the work shared by the monitor's full
// rescans, its inotify-driven checks and the `integrity scan|accept` command.
//
// A file that cannot be read (EACCES, I/O error) is logged at warning and read again by the
// next check: its old row stays (a new one is stored without a hash).
//
// Symlinks are recorded with their target and never followed. A file is hashed (SHA-256) only
// when its size, mtime, inode or ctime differ from the baseline; files larger than
// kFullHashMaxBytes are hashed partially (size, first and last max_read_bytes; the stored hash
// then starts with "p:"), so a hostile huge file costs a bounded read.
#ifndef PANTAU_AGENT_INTEGRITY_SITE_SCANNER_H_
#define PANTAU_AGENT_INTEGRITY_SITE_SCANNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/config/agent_config.h"
#include "agent/integrity/integrity_store.h"
#include "agent/integrity/signature_set.h"
#include "common/clock.h"

namespace pantau::agent::integrity {

inline constexpr int64_t kFullHashMaxBytes = int64_t{64} << 20;

enum class ScanMode {
  kReport,  // changes raise findings
  kSilent,  // first baseline: changes go into the baseline; only signature matches
            // (webshell_file) are raised
  kMaintenance,  // a maintenance window (open, or ended but not yet absorbed): a change made
                 // before the window's end (ctime < until) goes into the baseline, raising
                 // only signature matches and script_in_uploads; a later change is reported
                 // as in kReport
  kAccept,  // `integrity accept`: the current state goes into the baseline, nothing is raised
};

struct ScanResult {
  int64_t entries = 0;       // files, dirs and links looked at
  int64_t hashed = 0;        // files read and hashed
  int64_t bytes_read = 0;
  int64_t findings = 0;      // findings raised (new or again)
  std::vector<std::string> dirs;  // directories seen (relative; "" is the root), for watches
};

// Not thread-safe; `store` and `signatures` must outlive it.
class SiteScanner {
 public:
  SiteScanner(const SiteConfig& site, std::shared_ptr<const SignatureSet> signatures,
              IntegrityStore* store);

  // Scans `rel` ("" = the whole web root). With `descend`, a directory is walked and rows
  // below it that are gone are removed; without, only the entry itself is looked at.
  // `now_ms` becomes the first_seen of new findings.
  absl::StatusOr<ScanResult> Scan(const std::string& rel, bool descend, ScanMode mode,
                                  int64_t now_ms);

  // A scan checks `stop` between directories and gives up with Cancelled once it is requested
  // (nothing is written then). `stop` must outlive the scanner.
  void set_stop(const StopToken* stop) { stop_ = stop; }

  // Whether `rel` (with file name `name`) matches an exclude pattern.
  bool Excluded(absl::string_view rel, absl::string_view name) const;
  const SiteConfig& site() const { return site_; }

 private:
  SiteConfig site_;
  std::shared_ptr<const SignatureSet> signatures_;
  IntegrityStore* store_;
  const StopToken* stop_ = nullptr;
};

// The mode a scan of `site` runs in: silent without a baseline, maintenance with a window
// (open, or ended but not yet absorbed), else report.
absl::StatusOr<ScanMode> ModeFor(IntegrityStore& store, const std::string& site, int64_t now_ms);
// A full scan in ModeFor's mode; a window that has ended (until <= now_ms) is cleared after it,
// its changes now being in the baseline.
absl::StatusOr<ScanResult> FullScan(SiteScanner& scanner, IntegrityStore& store, int64_t now_ms);

// Classification of paths (exposed for tests).
bool IsExecutableScript(absl::string_view name);
bool IsUnderUploadDir(absl::string_view rel, const std::vector<std::string>& upload_dirs);
bool IsVerificationFile(absl::string_view name);
std::string HumanMode(int64_t mode);  // "0644"

}  // namespace pantau::agent::integrity

#endif  // PANTAU_AGENT_INTEGRITY_SITE_SCANNER_H_
