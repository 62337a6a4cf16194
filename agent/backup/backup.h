// Backups of a site's web root and databases to backup media (SOP activity 2), as .tar.zst
// archives that plain GNU tar restores (`tar --zstd -xf`), each with a manifest of every file's
// SHA-256 inside and the manifest's checksum beside it; incremental runs reference the
// unchanged files of the last full archive. The catalogue of backups lives in the agent's
// SQLite state (state_dir/backups.db); summaries go to the collector through the spool.
//
//   PANTAU_ASSIGN_OR_RETURN(auto catalog, BackupCatalog::Open(config.state_dir));
//   PANTAU_ASSIGN_OR_RETURN(v1::BackupSummary s, RunBackup(config, site, *catalog, clock, {}));
//   if (!s.error().empty()) ...   // the failure is recorded and reported, not only returned
//
// Layout of an archive (paths inside it; GNU tar extracts them under the current directory):
//   <path without its leading '/'>/...      the files of each backed-up path, e.g. var/www/html/
//   databases/<name>.sql.partNNNNN          database dumps in parts of at most 64 MiB
//   .pantau/manifest.tsv                    one line per file (see docs/BACKUPS.md)
//   .pantau/SHA256SUMS                      `sha256sum -c` input for the files in this archive
// Beside the archive on each medium: <id>.tar.zst, <id>.manifest.tsv (a copy of the manifest),
// <id>.manifest.sha256 (the manifest's checksum), all written as .tmp, fsynced, then renamed
// (the archive last), so a crash never leaves a complete-looking <id>.tar.zst; the next run of
// the site removes its stale <site>-*.tmp. The manifest format is described in manifest.h.
//
// Without pantau: `mkdir r && cd r && tar --zstd -xf /media/x/<id>.tar.zst &&
// sha256sum -c .pantau/SHA256SUMS`, then `cat databases/<name>.sql.part* > <name>.sql`. An
// incremental archive holds only the files that changed since its full archive (the manifest
// names the archive holding each file): extract the full first, then the incremental over it
// (files deleted in between stay; RestoreBackup leaves them out).
//
// Incremental runs trust stat(2): a regular file whose size, mtime (ns) and inode equal its
// entry in the last full archive's manifest is referenced with that entry's hash and not read.
// A rewrite that keeps all three (same size, mtime forced back) is missed until the next full
// archive; full_interval (default 24 h) bounds that. Everything else is read once, hashed while
// it streams into the archive.
#ifndef PANTAU_AGENT_BACKUP_BACKUP_H_
#define PANTAU_AGENT_BACKUP_BACKUP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/config/agent_config.h"
#include "common/clock.h"
#include "pantau/v1/events.pb.h"

struct sqlite3;

namespace pantau::agent::backup {

// One backup in the catalogue.
struct BackupRecord {
  std::string id;       // "<site>-YYYYMMDDTHHMMSSZ" (UTC start), unique
  std::string site;
  std::string kind;     // "full" or "incremental"
  std::string base_id;  // incremental: the full backup it references; empty for a full
  absl::Time started = absl::InfinitePast();
  absl::Time finished = absl::InfinitePast();
  int64_t bytes = 0;         // archive bytes (one medium)
  int64_t files = 0;         // files covered (copied + referenced)
  int64_t files_copied = 0;  // files stored in this archive
  int64_t source_bytes = 0;  // bytes of the files covered
  int64_t databases = 0;
  int64_t database_bytes = 0;
  std::vector<std::string> media;          // media directories holding it
  std::vector<std::string> archive_paths;  // the archive on each medium (same order)
  bool verified = false;
  absl::Time verified_at = absl::InfinitePast();
  std::string error;  // why it failed or failed verification; empty when fine
  absl::Duration interval;  // the job's interval when it ran

  v1::BackupSummary ToSummary() const;
};

// A summary waiting for the spool, and the version of the record it was made from.
struct UnreportedBackup {
  v1::BackupSummary summary;
  int64_t version = 0;
};

// The catalogue (state_dir/backups.db). Thread-safe (one connection, serialized mode); several
// processes (the agent and a manual `pantau-agent backup run`) may open it at once.
class BackupCatalog {
 public:
  static absl::StatusOr<std::unique_ptr<BackupCatalog>> Open(const std::string& state_dir);
  ~BackupCatalog();

  // Newest first; an empty site lists every site.
  absl::StatusOr<std::vector<BackupRecord>> List(absl::string_view site);
  // NotFound "no backup with id ..." when unknown.
  absl::StatusOr<BackupRecord> Find(absl::string_view id);
  // The newest verified backup of `site` that started before `before` (the last clean backup
  // when a compromise was first seen at `before`); nullopt when there is none.
  absl::StatusOr<std::optional<BackupRecord>> LastVerifiedBefore(absl::string_view site,
                                                                 absl::Time before);
  // When the site's next backup is due, decided by its newest run: after a run without error
  // its start plus the job's interval; after a failed run its start plus min(interval, 30 min)
  // (a retry). InfinitePast when it never ran. A run cancelled by shutdown is not recorded, so
  // it does not count: the next start runs it again.
  absl::StatusOr<absl::Time> NextDue(const SiteConfig& site);
  // Summaries not yet handed to the spool, oldest first (a finished run, or a verification that
  // changed a backup's state, makes one), each with the version of the record it was made
  // from. MarkReported(id, version) once spooled: it marks only that version, so a newer state
  // Put in between stays unreported.
  absl::StatusOr<std::vector<UnreportedBackup>> Unreported(int limit);
  absl::Status MarkReported(absl::string_view id, int64_t version);
  // Records when a backup was last verified without changing its reported state (a
  // verification that found nothing new is not news).
  absl::Status UpdateVerifiedAt(absl::string_view id, absl::Time at);

  // Used by the runner (backup.cc): insert/replace a record, delete one. Every Put gives the
  // record a new version. `report` false stores it as already reported (a run's record while
  // it is verified: the collector is told only the verified outcome).
  absl::Status Put(const BackupRecord& record, bool report = true);
  absl::Status Remove(absl::string_view id);

 private:
  explicit BackupCatalog(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// What a running backup, verification or restore is doing (for the terminal of manual runs).
struct BackupProgress {
  std::string phase;  // "scan", "archive", "database <name>", "verify <medium>", "restore"
  int64_t files_done = 0;
  int64_t files_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;  // 0 when unknown
};
using ProgressFn = std::function<void(const BackupProgress&)>;

struct RunOptions {
  bool force_full = false;
  ProgressFn progress;                // may be empty; called at most ~10 times a second
  const StopToken* stop = nullptr;    // when requested: abandon, record nothing (Cancelled)
  // Largest part of a database dump held in memory and written as one archive entry
  // (databases/<name>.sql.partNNNNN). Default 64 MiB; tests make it small.
  int64_t database_part_bytes = int64_t{64} << 20;
  // zstd worker threads (0 = compress on the calling thread). Default 1: reading, hashing
  // and tar framing on the caller's thread overlap with compression on one worker. Measured
  // on 2 cores (docs/BENCHMARKS.md): 1 worker beats 2, which compete with the reader thread.
  int compression_threads = 1;
};

// Runs one backup of `site` now (its `backup` job): takes the per-site lock
// (state_dir/backup-<site>.lock; FailedPrecondition "a backup of <site> is already running"
// when another process holds it), checks free space on every medium (a clear error naming the
// medium, the space needed and the space free), scans, streams files and database dumps into
// <medium>/<id>.tar.zst.tmp on every medium, fsyncs and renames, verifies when the job says
// so, applies retention, and records the run in `catalog`: reportable (Unreported) only once
// verification is done, so the collector never sees an interim unverified state.
// A run that failed is recorded too and returned with error() set; a non-OK status means not
// even that was possible (catalogue unwritable, lock held, job disabled). When `options.stop`
// is requested (checked per read chunk, in verification and retention) the run is abandoned
// and Cancelled returned: nothing is recorded, its temporaries (or its unverified archive)
// are removed, so NextDue still finds it due.
absl::StatusOr<v1::BackupSummary> RunBackup(const AgentConfig& config, const SiteConfig& site,
                                            BackupCatalog& catalog, const Clock& clock,
                                            const RunOptions& options);

struct VerifyResult {
  bool ok = false;
  int64_t files_checked = 0;
  std::vector<std::string> problems;  // "<medium>: var/www/html/x.php: hash mismatch", ...
};
// Re-reads the backup from every medium: the archive decompresses, the manifest matches its
// checksum beside the archive, every file in the manifest is there with its size and SHA-256
// (referenced files in the base archive). Updates the catalogue's verified flag (and makes the
// summary unreported again when it changed).
absl::StatusOr<VerifyResult> VerifyBackup(BackupCatalog& catalog, absl::string_view id,
                                          const ProgressFn& progress);

struct RestoreOptions {
  // Target directory; files land under it at their archive paths (var/www/html/...).
  // Empty = in place (the original absolute paths); the CLI asks for --in-place for that.
  // An existing target must be a directory owned by the effective user and not writable by
  // group or others (FailedPrecondition otherwise: a web user must not be able to prepare
  // links in it); a missing one is created with mode 0700.
  std::string to_dir;
  std::string medium;         // read from this medium; empty = the first that has the archive
  // In place: move files not in the backup to <root>.pantau-quarantine-<id> beside each
  // backed-up root (".2", ".3", ... when that exists). Files the job leaves out (`exclude`,
  // and `skip_paths`) are not extra. A file that cannot be moved there without copying (EXDEV)
  // is reported and left.
  bool delete_extra = false;
  std::vector<std::string> exclude;     // the job's exclude patterns (BackupJobConfig::exclude)
  std::vector<std::string> skip_paths;  // absolute paths the scan skips (media, state_dir)
  ProgressFn progress;
};
// Restores a backup (an incremental resolves its chain: unchanged files come from its full
// archive). Every file's SHA-256 is checked as it is written; a mismatch stops with an error
// naming the file, and the partly written file is removed. Files are written to a temporary
// created with O_EXCL|O_NOFOLLOW and renamed over the target, so a symlink planted at a path
// the restore writes is replaced, never written through. Writes what it did to `report`.
absl::Status RestoreBackup(BackupCatalog& catalog, absl::string_view id,
                           const RestoreOptions& options, std::ostream& report);

// `pantau-agent backup run|list|verify|restore ...` (args after "backup"; they may hold
// --config FILE, default /etc/pantau/agent.yaml). Returns the exit code: 0 done, 1 failed,
// 2 usage. Progress goes to `err` when it is a terminal.
int RunBackupCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pantau::agent::backup

#endif  // PANTAU_AGENT_BACKUP_BACKUP_H_
