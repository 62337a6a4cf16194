// Web-root integrity monitoring (SOP activity 3): a baseline of every file under each site's
// web_root (path, size, mode, owner, mtime, SHA-256) in the agent's SQLite state
// (state_dir/integrity.db), inotify for changes as they happen and a periodic full rescan
// (inotify queues overflow; a rescan also follows IN_Q_OVERFLOW at once). Findings are kept in
// the state until accepted and reported as the complete set of a CheckReport with check
// "integrity" whenever the set changes.
//
// Finding kinds (Finding.key is the path relative to the web root):
//   webshell_file            CRITICAL  content matches a webshell / obfuscation signature
//   script_in_uploads        CRITICAL  a new or modified executable script in an upload dir
//   script_added             WARNING   a new executable script elsewhere
//   script_modified          WARNING   an executable script's content changed
//   htaccess_modified        WARNING   .htaccess added, changed or removed
//   index_modified           WARNING   index.* changed or removed
//   robots_modified          WARNING   robots.txt added, changed or removed
//   verification_file_added  WARNING   a new google*.html (or similar) verification file
//   world_writable           WARNING   a file or directory became writable by everyone
// Scripts: .php .phtml .php3-8 .phar .cgi .pl .py .sh .jsp .asp .aspx (case-insensitive).
// Signatures come from data_dir/integrity/signatures.yaml (RE2), searched in the first and
// last max_read_bytes of each file.
//
//   auto monitor = IntegrityMonitor::Create(config, clock, sink, lookup);
//   (*monitor)->Start();  ...  (*monitor)->Stop();
#ifndef PANTAU_AGENT_INTEGRITY_INTEGRITY_MONITOR_H_
#define PANTAU_AGENT_INTEGRITY_INTEGRITY_MONITOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/config/agent_config.h"
#include "common/clock.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::integrity {

// The newest verified backup taken before a compromise (from the backup catalogue).
struct CleanBackup {
  std::string id;
  absl::Time started;
  std::string restore_command;  // e.g. "pantau-agent backup restore ID --to STATE_DIR/restore/ID"
};
using CleanBackupLookup =
    std::function<std::optional<CleanBackup>(const std::string& site, absl::Time before)>;
// Receives each site's complete integrity report (called from the monitor's thread).
using ReportSink = std::function<void(v1::CheckReport report)>;

class IntegrityMonitor {
 public:
  // Sites with integrity enabled and a web_root are monitored. Opens state_dir/integrity.db
  // and loads data_dir/integrity/signatures.yaml (InvalidArgument with file:line when broken).
  static absl::StatusOr<std::unique_ptr<IntegrityMonitor>> Create(const AgentConfig& config,
                                                                  const Clock& clock,
                                                                  ReportSink sink,
                                                                  CleanBackupLookup lookup);
  virtual ~IntegrityMonitor() = default;
  // Starts the monitor's thread: a first scan (which takes the baseline of a site that has
  // none: nothing is reported as new then, but signatures are searched in every script),
  // inotify watches (of every directory, also after a restart), periodic rescans, and a
  // check every second for accepts and maintenance windows made by `pantau-agent integrity`
  // in another process.
  virtual absl::Status Start() = 0;
  // Stops and joins the thread. Idempotent.
  virtual void Stop() = 0;
  // Runs a full rescan of every site on the monitor's thread and waits for it (tests, and the
  // `integrity scan` command through a running agent is not needed: it scans itself).
  virtual absl::Status RescanNow() = 0;

  // What the monitor has done so far (for tests and metrics). Thread-safe.
  struct Stats {
    int64_t full_scans = 0;      // full rescans of a site (first scan, periodic, overflow, ...)
    int64_t event_checks = 0;    // paths checked after inotify events
    int64_t overflows = 0;       // IN_Q_OVERFLOW seen
    int64_t reports = 0;         // reports handed to the sink
    int64_t watches = 0;         // directories watched now
    bool watch_limit_reached = false;  // inotify_add_watch failed with ENOSPC
  };
  virtual Stats GetStats() const = 0;
  // Test seam: while paused the monitor's thread does not read inotify events, which then
  // queue in the kernel (IN_Q_OVERFLOW once the queue is full). Thread-safe.
  virtual void PauseEventsForTesting(bool paused) = 0;
};

// `pantau-agent integrity status|scan|accept|maintenance ...` (args after "integrity"; they
// may hold --config FILE). accept [--site S] [PATH...] takes the files' current state into the
// baseline and clears their findings (every finding of the site without a PATH);
// maintenance start --site S --minutes N [--reason TEXT] / maintenance end --site S: changes
// made before the window's end are taken into the baseline, except signature matches and
// scripts in upload directories (reported all the same); later changes are reported.
// Returns the exit code: 0 done (status: no open findings), 1 failed or findings open, 2 usage.
int RunIntegrityCommand(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err);

}  // namespace pantau::agent::integrity

#endif  // PANTAU_AGENT_INTEGRITY_INTEGRITY_MONITOR_H_
