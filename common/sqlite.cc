#include "common/sqlite.h"

#include "absl/strings/str_cat.h"

namespace pantau {

absl::StatusOr<sqlite3*> OpenSqlite(const std::string& path, absl::string_view what) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::InvalidArgumentError(absl::StrCat("cannot open ", what, " ", path, ": ", message));
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

absl::Status ExecSqlite(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    absl::Status s = absl::InternalError(absl::StrCat("sqlite: ", message ? message : "error"));
    sqlite3_free(message);
    return s;
  }
  return absl::OkStatus();
}

}  // namespace pantau
