// Small helpers over the SQLite C API for the agent's local databases (spool, check state):
// opening with the shared settings, running SQL, and a prepared statement finalized on scope
// exit.
//
//   PANTAU_ASSIGN_OR_RETURN(sqlite3* db, OpenSqlite(path, "spool"));
//   PANTAU_RETURN_IF_ERROR(ExecSqlite(db, "PRAGMA journal_mode=WAL"));
//   SqliteStatement s(db, "SELECT value FROM t WHERE key=?");
//   s.BindText(1, key);
//   if (s.ok() && s.Step() == SQLITE_ROW) ...
#ifndef PANTAU_COMMON_SQLITE_H_
#define PANTAU_COMMON_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pantau {

// Opens or creates `path` (serialized threading mode, 5 s busy timeout). InvalidArgument
// "cannot open <what> <path>: <sqlite's message>" when it cannot. The caller owns the handle
// (sqlite3_close).
absl::StatusOr<sqlite3*> OpenSqlite(const std::string& path, absl::string_view what);

// Runs one or more statements; Internal with SQLite's message on failure.
absl::Status ExecSqlite(sqlite3* db, const char* sql);

// One prepared statement, finalized on scope exit. Not thread-safe. Bound strings and blobs
// are copied (SQLITE_TRANSIENT).
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~SqliteStatement() { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindText(int i, absl::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, absl::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(stmt_); }
  // Ready to run again with new bindings (a statement prepared once for many rows).
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

}  // namespace pantau

#endif  // PANTAU_COMMON_SQLITE_H_
