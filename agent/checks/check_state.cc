#include "agent/checks/check_state.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/sqlite.h"

namespace pantau::agent {
namespace {

absl::StatusOr<sqlite3*> OpenDb(const std::string& path) {
  absl::StatusOr<sqlite3*> db = OpenSqlite(path, "check state");
  if (!db.ok()) return db.status();
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
        "CREATE TABLE IF NOT EXISTS check_state (site TEXT NOT NULL, key TEXT NOT NULL, "
        "value BLOB NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (site, key))"}) {
    if (absl::Status s = ExecSqlite(*db, sql); !s.ok()) {
      sqlite3_close(*db);
      return absl::InternalError(absl::StrCat("cannot prepare check state ", path, ": ", s.message()));
    }
  }
  return db;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CheckStateStore>> CheckStateStore::Open(const std::string& path) {
  absl::StatusOr<sqlite3*> db = OpenDb(path);
  if (!db.ok()) return db.status();
  return std::unique_ptr<CheckStateStore>(new CheckStateStore(*db));
}

absl::StatusOr<std::unique_ptr<CheckStateStore>> CheckStateStore::OpenInMemory() {
  return Open(":memory:");
}

CheckStateStore::~CheckStateStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::StatusOr<std::optional<CheckStateStore::Entry>> CheckStateStore::Get(
    const std::string& site, const std::string& key) const {
  absl::MutexLock lock(&mu_);
  SqliteStatement s(db_, "SELECT value, updated_ms FROM check_state WHERE site=? AND key=?");
  if (!s.ok()) return absl::InternalError(absl::StrCat("check state: ", sqlite3_errmsg(db_)));
  s.BindText(1, site);
  s.BindText(2, key);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<Entry>();
  if (rc != SQLITE_ROW) {
    return absl::InternalError(
        absl::StrCat("check state: cannot read ", site, "/", key, ": ", sqlite3_errmsg(db_)));
  }
  Entry entry;
  const void* blob = sqlite3_column_blob(s.get(), 0);
  const int bytes = sqlite3_column_bytes(s.get(), 0);
  if (blob != nullptr) entry.value.assign(static_cast<const char*>(blob), bytes);
  entry.updated = absl::FromUnixMillis(sqlite3_column_int64(s.get(), 1));
  return entry;
}

absl::Status CheckStateStore::Put(const std::string& site, const std::string& key,
                                  const std::string& value, absl::Time now) {
  absl::MutexLock lock(&mu_);
  SqliteStatement s(db_,
                    "INSERT INTO check_state (site, key, value, updated_ms) VALUES (?,?,?,?) "
                    "ON CONFLICT (site, key) DO UPDATE SET value=excluded.value, "
                    "updated_ms=excluded.updated_ms");
  if (!s.ok()) return absl::InternalError(absl::StrCat("check state: ", sqlite3_errmsg(db_)));
  s.BindText(1, site);
  s.BindText(2, key);
  s.BindBlob(3, value);
  s.Bind(4, absl::ToUnixMillis(now));
  if (s.Step() != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("check state: cannot write ", site, "/", key, ": ",
                                            sqlite3_errmsg(db_)));
  }
  return absl::OkStatus();
}

absl::Status CheckStateStore::ForgetSite(const std::string& site) {
  absl::MutexLock lock(&mu_);
  SqliteStatement s(db_, "DELETE FROM check_state WHERE site=?");
  if (!s.ok()) return absl::InternalError(absl::StrCat("check state: ", sqlite3_errmsg(db_)));
  s.BindText(1, site);
  if (s.Step() != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("check state: ", sqlite3_errmsg(db_)));
  }
  return absl::OkStatus();
}

}  // namespace pantau::agent
