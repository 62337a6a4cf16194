// Versioned schema migrations: collector/store/migrations/NNNN_name.sql, embedded in the
// binary at build time and applied at start, each once, each in its own transaction, under
// an advisory lock so several collectors starting together do not race.
#ifndef PANTAU_COLLECTOR_STORE_MIGRATIONS_H_
#define PANTAU_COLLECTOR_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pantau::collector {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Sorted by version.
const std::vector<Migration>& AllMigrations();

// Applies the migrations not yet recorded in schema_migrations. Returns how many it applied.
// Unavailable when PostgreSQL cannot be reached; Internal when a migration fails (its
// transaction is rolled back, nothing of it stays).
absl::StatusOr<int> ApplyMigrations(const std::string& conninfo);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_MIGRATIONS_H_
