// The integrity monitor's state in SQLite (state_dir/integrity.db, WAL): the baseline of every
// file of every site, the open findings, maintenance windows and a generation counter that
// `pantau-agent integrity` bumps so a running agent notices accepts and windows. The agent
// and the command open it at the same time; every change is one short IMMEDIATE transaction
// and the 5 s busy timeout of OpenSqlite covers the other side's commit.
#ifndef PANTAU_AGENT_INTEGRITY_INTEGRITY_STORE_H_
#define PANTAU_AGENT_INTEGRITY_INTEGRITY_STORE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::integrity {

enum class EntryType { kFile = 0, kDir = 1, kSymlink = 2, kOther = 3 };

// One baseline row: a file, directory, symlink or special file under a web root.
struct FileState {
  std::string path;  // relative to the web root, "/"-separated, no leading "/"
  EntryType type = EntryType::kFile;
  int64_t size = 0;
  int64_t mode = 0;  // st_mode (type and permission bits)
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  int64_t inode = 0;
  std::string sha256;       // hex; "p:<hex>" for files hashed partially (see site_scanner.h)
  std::string link_target;  // symlinks only
};

struct StoredFinding {
  std::string path;
  std::string kind;
  v1::Finding::Severity severity = v1::Finding::WARNING;
  std::string detail;
  std::string evidence;
  int64_t first_seen_ms = 0;
};

struct MaintenanceWindow {
  int64_t started_ms = 0;
  int64_t until_ms = 0;
  std::string reason;
};

// Everything one scan writes, applied in one transaction.
struct SiteChanges {
  std::vector<FileState> upserts;
  std::vector<std::string> deletes;
  std::vector<StoredFinding> findings;  // upserted; an existing one keeps its first_seen
  bool mark_baseline_taken = false;
};

// Not thread-safe (one per thread or process).
class IntegrityStore {
 public:
  // Opens or creates the database and its tables.
  static absl::StatusOr<std::unique_ptr<IntegrityStore>> Open(const std::string& path);
  ~IntegrityStore();

  absl::StatusOr<bool> HasBaseline(const std::string& site);
  // Rows of `site` at `rel` and below it ("" = all rows).
  absl::StatusOr<absl::flat_hash_map<std::string, FileState>> LoadFiles(const std::string& site,
                                                                       const std::string& rel);
  absl::Status Apply(const std::string& site, const SiteChanges& changes, int64_t now_ms);

  absl::StatusOr<std::vector<StoredFinding>> Findings(const std::string& site);
  // Deletes the findings at `rel` and below it ("" = all of the site). Returns how many.
  absl::StatusOr<int> DeleteFindings(const std::string& site, const std::string& rel);

  absl::StatusOr<std::optional<MaintenanceWindow>> Maintenance(const std::string& site);
  absl::Status SetMaintenance(const std::string& site, const MaintenanceWindow& window);
  // Ends the window now (until = now_ms) so its changes are taken into the baseline by
  // whoever scans next; no-op without a window.
  absl::Status EndMaintenance(const std::string& site, int64_t now_ms);
  // The window's changes were taken into the baseline: forget it.
  absl::Status ClearMaintenance(const std::string& site);

  absl::StatusOr<int64_t> Generation();
  absl::Status BumpGeneration();

 private:
  explicit IntegrityStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace pantau::agent::integrity

#endif  // PANTAU_AGENT_INTEGRITY_INTEGRITY_STORE_H_
