#include "agent/integrity/integrity_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/finding_severity.h"
#include "common/sqlite.h"
#include "common/status_macros.h"

namespace pantau::agent::integrity {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS files(
  site TEXT NOT NULL, path TEXT NOT NULL, type INTEGER NOT NULL, size INTEGER NOT NULL,
  mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
  sha256 TEXT NOT NULL, link_target TEXT NOT NULL,
  PRIMARY KEY(site, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sites(site TEXT PRIMARY KEY, baseline_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS findings(
  site TEXT NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, severity INTEGER NOT NULL,
  detail TEXT NOT NULL, evidence TEXT NOT NULL, first_seen_ms INTEGER NOT NULL,
  PRIMARY KEY(site, path, kind));
CREATE TABLE IF NOT EXISTS maintenance(
  site TEXT PRIMARY KEY, started_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL,
  reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('generation', 0);
)sql";

absl::Status StepDone(SqliteStatement& s, sqlite3* db) {
  if (!s.ok()) return absl::InternalError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db)));
  const int rc = s.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return absl::UnavailableError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db)));
  }
  return absl::OkStatus();
}

std::string Col(sqlite3_stmt* s, int i) {
  const unsigned char* text = sqlite3_column_text(s, i);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(s, i)));
}

// Paths below `rel`: rel + "/" .. rel + "0" ('0' follows '/' in byte order).
void BindRange(SqliteStatement& s, int first, const std::string& rel) {
  s.BindText(first, rel);
  s.BindText(first + 1, rel + "/");
  s.BindText(first + 2, rel + "0");
}

}  // namespace

absl::StatusOr<std::unique_ptr<IntegrityStore>> IntegrityStore::Open(const std::string& path) {
  PANTAU_ASSIGN_OR_RETURN(sqlite3 * db, OpenSqlite(path, "integrity state"));
  std::unique_ptr<IntegrityStore> store(new IntegrityStore(db));
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db, "PRAGMA journal_mode=WAL"));
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db, "PRAGMA synchronous=NORMAL"));
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db, kSchema));
  return store;
}

IntegrityStore::~IntegrityStore() { sqlite3_close(db_); }

absl::StatusOr<bool> IntegrityStore::HasBaseline(const std::string& site) {
  SqliteStatement s(db_, "SELECT 1 FROM sites WHERE site=?");
  s.BindText(1, site);
  if (!s.ok()) return absl::InternalError(sqlite3_errmsg(db_));
  const int rc = s.Step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return absl::UnavailableError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db_)));
}

absl::StatusOr<absl::flat_hash_map<std::string, FileState>> IntegrityStore::LoadFiles(
    const std::string& site, const std::string& rel) {
  const char* sql_all =
      "SELECT path,type,size,mode,uid,gid,mtime_ns,ctime_ns,inode,sha256,link_target "
      "FROM files WHERE site=?";
  const char* sql_under =
      "SELECT path,type,size,mode,uid,gid,mtime_ns,ctime_ns,inode,sha256,link_target "
      "FROM files WHERE site=? AND (path=? OR (path>=? AND path<?))";
  SqliteStatement s(db_, rel.empty() ? sql_all : sql_under);
  if (!s.ok()) return absl::InternalError(sqlite3_errmsg(db_));
  s.BindText(1, site);
  if (!rel.empty()) BindRange(s, 2, rel);
  absl::flat_hash_map<std::string, FileState> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    FileState f;
    sqlite3_stmt* st = s.get();
    f.path = Col(st, 0);
    f.type = static_cast<EntryType>(sqlite3_column_int(st, 1));
    f.size = sqlite3_column_int64(st, 2);
    f.mode = sqlite3_column_int64(st, 3);
    f.uid = sqlite3_column_int64(st, 4);
    f.gid = sqlite3_column_int64(st, 5);
    f.mtime_ns = sqlite3_column_int64(st, 6);
    f.ctime_ns = sqlite3_column_int64(st, 7);
    f.inode = sqlite3_column_int64(st, 8);
    f.sha256 = Col(st, 9);
    f.link_target = Col(st, 10);
    std::string key = f.path;
    out.emplace(std::move(key), std::move(f));
  }
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db_)));
  }
  return out;
}

absl::Status IntegrityStore::Apply(const std::string& site, const SiteChanges& changes,
                                   int64_t now_ms) {
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db_, "BEGIN IMMEDIATE"));
  auto body = [&]() -> absl::Status {
    if (!changes.upserts.empty()) {
      SqliteStatement s(db_,
                        "INSERT OR REPLACE INTO files(site,path,type,size,mode,uid,gid,mtime_ns,"
                        "ctime_ns,inode,sha256,link_target) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
      for (const FileState& f : changes.upserts) {
        s.Reset();
        s.BindText(1, site);
        s.BindText(2, f.path);
        s.Bind(3, static_cast<int64_t>(f.type));
        s.Bind(4, f.size);
        s.Bind(5, f.mode);
        s.Bind(6, f.uid);
        s.Bind(7, f.gid);
        s.Bind(8, f.mtime_ns);
        s.Bind(9, f.ctime_ns);
        s.Bind(10, f.inode);
        s.BindText(11, f.sha256);
        s.BindText(12, f.link_target);
        PANTAU_RETURN_IF_ERROR(StepDone(s, db_));
      }
    }
    if (!changes.deletes.empty()) {
      SqliteStatement s(db_, "DELETE FROM files WHERE site=? AND path=?");
      for (const std::string& path : changes.deletes) {
        s.Reset();
        s.BindText(1, site);
        s.BindText(2, path);
        PANTAU_RETURN_IF_ERROR(StepDone(s, db_));
      }
    }
    if (!changes.findings.empty()) {
      SqliteStatement s(db_,
                        "INSERT INTO findings(site,path,kind,severity,detail,evidence,first_seen_ms)"
                        " VALUES(?,?,?,?,?,?,?) ON CONFLICT(site,path,kind) DO UPDATE SET "
                        "severity=MAX(severity,excluded.severity),detail=excluded.detail,"
                        "evidence=excluded.evidence");
      for (const StoredFinding& f : changes.findings) {
        s.Reset();
        s.BindText(1, site);
        s.BindText(2, f.path);
        s.BindText(3, f.kind);
        s.Bind(4, static_cast<int64_t>(f.severity));
        s.BindText(5, f.detail);
        s.BindText(6, f.evidence);
        s.Bind(7, f.first_seen_ms > 0 ? f.first_seen_ms : now_ms);
        PANTAU_RETURN_IF_ERROR(StepDone(s, db_));
      }
    }
    if (changes.mark_baseline_taken) {
      SqliteStatement s(db_, "INSERT OR IGNORE INTO sites(site, baseline_ms) VALUES(?,?)");
      s.BindText(1, site);
      s.Bind(2, now_ms);
      PANTAU_RETURN_IF_ERROR(StepDone(s, db_));
    }
    return absl::OkStatus();
  };
  absl::Status status = body();
  if (!status.ok()) {
    (void)ExecSqlite(db_, "ROLLBACK");
    return status;
  }
  return ExecSqlite(db_, "COMMIT");
}

absl::StatusOr<std::vector<StoredFinding>> IntegrityStore::Findings(const std::string& site) {
  SqliteStatement s(db_,
                    "SELECT path,kind,severity,detail,evidence,first_seen_ms FROM findings "
                    "WHERE site=? ORDER BY severity DESC, first_seen_ms, path, kind");
  if (!s.ok()) return absl::InternalError(sqlite3_errmsg(db_));
  s.BindText(1, site);
  std::vector<StoredFinding> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    StoredFinding f;
    f.path = Col(s.get(), 0);
    f.kind = Col(s.get(), 1);
    f.severity = SeverityFromInt(sqlite3_column_int(s.get(), 2));
    f.detail = Col(s.get(), 3);
    f.evidence = Col(s.get(), 4);
    f.first_seen_ms = sqlite3_column_int64(s.get(), 5);
    out.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db_)));
  }
  return out;
}

absl::StatusOr<int> IntegrityStore::DeleteFindings(const std::string& site, const std::string& rel) {
  SqliteStatement s(db_, rel.empty() ? "DELETE FROM findings WHERE site=?"
                                     : "DELETE FROM findings WHERE site=? AND "
                                       "(path=? OR (path>=? AND path<?))");
  s.BindText(1, site);
  if (!rel.empty()) BindRange(s, 2, rel);
  PANTAU_RETURN_IF_ERROR(StepDone(s, db_));
  return sqlite3_changes(db_);
}

absl::StatusOr<std::optional<MaintenanceWindow>> IntegrityStore::Maintenance(
    const std::string& site) {
  SqliteStatement s(db_, "SELECT started_ms, until_ms, reason FROM maintenance WHERE site=?");
  if (!s.ok()) return absl::InternalError(sqlite3_errmsg(db_));
  s.BindText(1, site);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<MaintenanceWindow>();
  if (rc != SQLITE_ROW) {
    return absl::UnavailableError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db_)));
  }
  MaintenanceWindow w;
  w.started_ms = sqlite3_column_int64(s.get(), 0);
  w.until_ms = sqlite3_column_int64(s.get(), 1);
  w.reason = Col(s.get(), 2);
  return std::optional<MaintenanceWindow>(w);
}

absl::Status IntegrityStore::SetMaintenance(const std::string& site,
                                            const MaintenanceWindow& window) {
  SqliteStatement s(db_,
                    "INSERT OR REPLACE INTO maintenance(site,started_ms,until_ms,reason) "
                    "VALUES(?,?,?,?)");
  s.BindText(1, site);
  s.Bind(2, window.started_ms);
  s.Bind(3, window.until_ms);
  s.BindText(4, window.reason);
  return StepDone(s, db_);
}

absl::Status IntegrityStore::EndMaintenance(const std::string& site, int64_t now_ms) {
  SqliteStatement s(db_, "UPDATE maintenance SET until_ms=MIN(until_ms, ?) WHERE site=?");
  s.Bind(1, now_ms);
  s.BindText(2, site);
  return StepDone(s, db_);
}

absl::Status IntegrityStore::ClearMaintenance(const std::string& site) {
  SqliteStatement s(db_, "DELETE FROM maintenance WHERE site=?");
  s.BindText(1, site);
  return StepDone(s, db_);
}

absl::StatusOr<int64_t> IntegrityStore::Generation() {
  SqliteStatement s(db_, "SELECT value FROM meta WHERE key='generation'");
  if (!s.ok()) return absl::InternalError(sqlite3_errmsg(db_));
  const int rc = s.Step();
  if (rc == SQLITE_ROW) return sqlite3_column_int64(s.get(), 0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return absl::UnavailableError(absl::StrCat("integrity.db: ", sqlite3_errmsg(db_)));
}

absl::Status IntegrityStore::BumpGeneration() {
  SqliteStatement s(db_, "UPDATE meta SET value=value+1 WHERE key='generation'");
  return StepDone(s, db_);
}

}  // namespace pantau::agent::integrity
