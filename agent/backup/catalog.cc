// BackupCatalog: the SQLite table of backups, and BackupRecord::ToSummary.
#include <sqlite3.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/backup/backup.h"
#include "common/sqlite.h"
#include "common/status_macros.h"

namespace pantau::agent::backup {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS backups (
  id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  kind TEXT NOT NULL,
  base_id TEXT NOT NULL DEFAULT '',
  started_us INTEGER,
  finished_us INTEGER,
  bytes INTEGER NOT NULL DEFAULT 0,
  files INTEGER NOT NULL DEFAULT 0,
  files_copied INTEGER NOT NULL DEFAULT 0,
  source_bytes INTEGER NOT NULL DEFAULT 0,
  databases INTEGER NOT NULL DEFAULT 0,
  database_bytes INTEGER NOT NULL DEFAULT 0,
  media TEXT NOT NULL DEFAULT '',
  archive_paths TEXT NOT NULL DEFAULT '',
  verified INTEGER NOT NULL DEFAULT 0,
  verified_at_us INTEGER,
  error TEXT NOT NULL DEFAULT '',
  interval_s INTEGER NOT NULL DEFAULT 0,
  reported INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS backups_site_started ON backups(site, started_us);
CREATE INDEX IF NOT EXISTS backups_reported ON backups(reported, seq);
)sql";

constexpr char kColumns[] =
    "id, site, kind, base_id, started_us, finished_us, bytes, files, files_copied, "
    "source_bytes, databases, database_bytes, media, archive_paths, verified, verified_at_us, "
    "error, interval_s";
constexpr int kColumnCount = 18;

absl::Time ColumnTime(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return absl::InfinitePast();
  return absl::FromUnixMicros(sqlite3_column_int64(s, i));
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t),
                                                    sqlite3_column_bytes(s, i));
}

std::vector<std::string> SplitLines(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, '\n');
}

BackupRecord ReadRecord(sqlite3_stmt* s) {
  BackupRecord r;
  r.id = ColumnText(s, 0);
  r.site = ColumnText(s, 1);
  r.kind = ColumnText(s, 2);
  r.base_id = ColumnText(s, 3);
  r.started = ColumnTime(s, 4);
  r.finished = ColumnTime(s, 5);
  r.bytes = sqlite3_column_int64(s, 6);
  r.files = sqlite3_column_int64(s, 7);
  r.files_copied = sqlite3_column_int64(s, 8);
  r.source_bytes = sqlite3_column_int64(s, 9);
  r.databases = sqlite3_column_int64(s, 10);
  r.database_bytes = sqlite3_column_int64(s, 11);
  r.media = SplitLines(ColumnText(s, 12));
  r.archive_paths = SplitLines(ColumnText(s, 13));
  r.verified = sqlite3_column_int64(s, 14) != 0;
  r.verified_at = ColumnTime(s, 15);
  r.error = ColumnText(s, 16);
  r.interval = absl::Seconds(sqlite3_column_int64(s, 17));
  return r;
}

absl::Status StepError(sqlite3* db, absl::string_view what) {
  return absl::InternalError(absl::StrCat("backup catalogue: ", what, ": ", sqlite3_errmsg(db)));
}

int64_t UnixMs(absl::Time t) { return t == absl::InfinitePast() ? 0 : absl::ToUnixMillis(t); }

}  // namespace

v1::BackupSummary BackupRecord::ToSummary() const {
  v1::BackupSummary s;
  s.set_site(site);
  s.set_backup_id(id);
  s.set_kind(kind);
  s.set_started_unix_ms(UnixMs(started));
  s.set_finished_unix_ms(UnixMs(finished));
  s.set_bytes(bytes);
  s.set_files(files);
  s.set_files_copied(files_copied);
  s.set_source_bytes(source_bytes);
  for (size_t i = 0; i < media.size() && i < 16; ++i) s.add_media(media[i].substr(0, 1024));
  s.set_verified(verified);
  s.set_error(error.substr(0, 1024));
  s.set_interval_seconds(absl::ToInt64Seconds(interval));
  s.set_databases(databases);
  s.set_database_bytes(database_bytes);
  return s;
}

absl::StatusOr<std::unique_ptr<BackupCatalog>> BackupCatalog::Open(const std::string& state_dir) {
  PANTAU_ASSIGN_OR_RETURN(sqlite3 * db, OpenSqlite(state_dir + "/backups.db", "backup catalogue"));
  std::unique_ptr<BackupCatalog> catalog(new BackupCatalog(db));
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db, "PRAGMA journal_mode=WAL"));
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db, kSchema));
  return catalog;
}

BackupCatalog::~BackupCatalog() { sqlite3_close(db_); }

absl::StatusOr<std::vector<BackupRecord>> BackupCatalog::List(absl::string_view site) {
  std::string sql = absl::StrCat("SELECT ", kColumns, " FROM backups",
                                 site.empty() ? "" : " WHERE site=?",
                                 " ORDER BY started_us DESC, id DESC");
  SqliteStatement s(db_, sql.c_str());
  if (!s.ok()) return StepError(db_, "list");
  if (!site.empty()) s.BindText(1, site);
  std::vector<BackupRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadRecord(s.get()));
  if (rc != SQLITE_DONE) return StepError(db_, "list");
  return out;
}

absl::StatusOr<BackupRecord> BackupCatalog::Find(absl::string_view id) {
  std::string sql = absl::StrCat("SELECT ", kColumns, " FROM backups WHERE id=?");
  SqliteStatement s(db_, sql.c_str());
  if (!s.ok()) return StepError(db_, "find");
  s.BindText(1, id);
  int rc = s.Step();
  if (rc == SQLITE_ROW) return ReadRecord(s.get());
  if (rc != SQLITE_DONE) return StepError(db_, "find");
  return absl::NotFoundError(absl::StrCat("no backup with id '", id, "'"));
}

absl::StatusOr<std::optional<BackupRecord>> BackupCatalog::LastVerifiedBefore(
    absl::string_view site, absl::Time before) {
  std::string sql =
      absl::StrCat("SELECT ", kColumns,
                   " FROM backups WHERE site=? AND verified=1 AND error='' AND started_us<?"
                   " ORDER BY started_us DESC LIMIT 1");
  SqliteStatement s(db_, sql.c_str());
  if (!s.ok()) return StepError(db_, "last verified");
  s.BindText(1, site);
  s.Bind(2, before == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixMicros(before));
  int rc = s.Step();
  if (rc == SQLITE_ROW) return std::optional<BackupRecord>(ReadRecord(s.get()));
  if (rc != SQLITE_DONE) return StepError(db_, "last verified");
  return std::optional<BackupRecord>();
}

absl::StatusOr<absl::Time> BackupCatalog::NextDue(const SiteConfig& site) {
  // The newest run decides: after a success the full interval, after a failure a retry soon
  // (at most 30 minutes, never later than the interval).
  SqliteStatement s(db_,
                    "SELECT started_us, error FROM backups WHERE site=? AND started_us IS NOT NULL"
                    " ORDER BY started_us DESC, id DESC LIMIT 1");
  if (!s.ok()) return StepError(db_, "next due");
  s.BindText(1, site.id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return absl::InfinitePast();
  if (rc != SQLITE_ROW) return StepError(db_, "next due");
  const absl::Time started = absl::FromUnixMicros(sqlite3_column_int64(s.get(), 0));
  if (ColumnText(s.get(), 1).empty()) return started + site.backup.interval;
  return started + std::min(site.backup.interval, absl::Minutes(30));
}

absl::StatusOr<std::vector<UnreportedBackup>> BackupCatalog::Unreported(int limit) {
  std::string sql = absl::StrCat("SELECT ", kColumns,
                                 ", seq FROM backups WHERE reported=0 ORDER BY seq LIMIT ?");
  SqliteStatement s(db_, sql.c_str());
  if (!s.ok()) return StepError(db_, "unreported");
  s.Bind(1, limit);
  std::vector<UnreportedBackup> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(UnreportedBackup{ReadRecord(s.get()).ToSummary(),
                                   sqlite3_column_int64(s.get(), kColumnCount)});
  }
  if (rc != SQLITE_DONE) return StepError(db_, "unreported");
  return out;
}

absl::Status BackupCatalog::MarkReported(absl::string_view id, int64_t version) {
  // Only the state that was spooled: a Put since then (a new seq) stays unreported.
  SqliteStatement s(db_, "UPDATE backups SET reported=1 WHERE id=? AND seq=?");
  if (!s.ok()) return StepError(db_, "mark reported");
  s.BindText(1, id);
  s.Bind(2, version);
  if (s.Step() != SQLITE_DONE) return StepError(db_, "mark reported");
  return absl::OkStatus();
}

absl::Status BackupCatalog::UpdateVerifiedAt(absl::string_view id, absl::Time at) {
  SqliteStatement s(db_, "UPDATE backups SET verified_at_us=? WHERE id=?");
  if (!s.ok()) return StepError(db_, "update verified");
  s.Bind(1, absl::ToUnixMicros(at));
  s.BindText(2, id);
  if (s.Step() != SQLITE_DONE) return StepError(db_, "update verified");
  return absl::OkStatus();
}

absl::Status BackupCatalog::Put(const BackupRecord& r, bool report) {
  SqliteStatement s(db_,
                    "INSERT OR REPLACE INTO backups (id, site, kind, base_id, started_us, "
                    "finished_us, bytes, files, files_copied, source_bytes, databases, "
                    "database_bytes, media, archive_paths, verified, verified_at_us, error, "
                    "interval_s, reported, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                    "(SELECT COALESCE(MAX(seq),0)+1 FROM backups))");
  if (!s.ok()) return StepError(db_, "put");
  auto bind_time = [&s](int i, absl::Time t) {
    if (t == absl::InfinitePast()) {
      sqlite3_bind_null(s.get(), i);
    } else {
      s.Bind(i, absl::ToUnixMicros(t));
    }
  };
  s.BindText(1, r.id);
  s.BindText(2, r.site);
  s.BindText(3, r.kind);
  s.BindText(4, r.base_id);
  bind_time(5, r.started);
  bind_time(6, r.finished);
  s.Bind(7, r.bytes);
  s.Bind(8, r.files);
  s.Bind(9, r.files_copied);
  s.Bind(10, r.source_bytes);
  s.Bind(11, r.databases);
  s.Bind(12, r.database_bytes);
  s.BindText(13, absl::StrJoin(r.media, "\n"));
  s.BindText(14, absl::StrJoin(r.archive_paths, "\n"));
  s.Bind(15, r.verified ? 1 : 0);
  bind_time(16, r.verified_at);
  s.BindText(17, r.error);
  s.Bind(18, absl::ToInt64Seconds(r.interval));
  s.Bind(19, report ? 0 : 1);
  if (s.Step() != SQLITE_DONE) return StepError(db_, "put");
  return absl::OkStatus();
}

absl::Status BackupCatalog::Remove(absl::string_view id) {
  SqliteStatement s(db_, "DELETE FROM backups WHERE id=?");
  if (!s.ok()) return StepError(db_, "remove");
  s.BindText(1, id);
  if (s.Step() != SQLITE_DONE) return StepError(db_, "remove");
  return absl::OkStatus();
}

}  // namespace pantau::agent::backup
