// The SQL of batch storage, in one place: the prepared statements Store::StoreBatch runs around
// its COPY, the COPY's column list and the timestamp text it writes. The ingest benchmark
// (tests/bench) runs the same pieces over plain libpq, so it measures exactly what the
// collector does.
#ifndef PANTAU_COLLECTOR_STORE_STATEMENTS_H_
#define PANTAU_COLLECTOR_STORE_STATEMENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace pantau::collector {

// Prepares lock_agent, advance_agent, heartbeat, insert_heartbeat and upsert_latest on `conn`.
// Throws what libpqxx throws.
void PrepareStatements(pqxx::connection& conn);

// Columns of probe_results that the COPY fills, in order.
const std::vector<std::string>& ProbeColumns();

// Text form PostgreSQL parses as timestamptz, to the microsecond (UTC).
std::string PgTime(int64_t unix_ms);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_STATEMENTS_H_
