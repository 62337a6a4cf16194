#include "collector/store/migrations.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "collector/store/pg_pool.h"
#include "common/log.h"

namespace pantau::collector {
namespace {
// Arbitrary constant naming pantau's migration lock among advisory locks.
constexpr int64_t kMigrationLockKey = 0x70616e746175;  // "pantau"
}  // namespace

absl::StatusOr<int> ApplyMigrations(const std::string& conninfo) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo);
  } catch (const std::exception& e) {
    return absl::UnavailableError(StatusFromException(e, "connecting to PostgreSQL").message());
  }
  int applied = 0;
  for (const Migration& m : AllMigrations()) {
    try {
      pqxx::work txn(*conn);
      txn.exec("SET LOCAL lock_timeout = '60s'");
      txn.exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockKey, ")"));
      txn.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version integer PRIMARY KEY, name text NOT NULL,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      pqxx::result done =
          txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version);
      if (!done.empty()) continue;  // the transaction rolls back; nothing was changed
      txn.exec(m.sql);
      txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                      std::string(m.name));
      txn.commit();
      ++applied;
      PANTAU_LOG(INFO) << "applied migration " << m.name;
    } catch (const std::exception& e) {
      return StatusFromException(e, absl::StrCat("applying migration ", m.name));
    }
  }
  return applied;
}

}  // namespace pantau::collector
