#include "collector/store/statements.h"

#include "absl/time/time.h"

namespace pantau::collector {

std::string PgTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

void PrepareStatements(pqxx::connection& conn) {
  // Creates the agent on first contact and locks its row for the rest of the transaction, so
  // two collectors handling the same agent serialise here.
  conn.prepare("lock_agent",
               "INSERT INTO agents AS a (agent_id, court_id) VALUES ($1, $2) "
               "ON CONFLICT (agent_id) DO UPDATE SET last_seen = now() "
               "RETURNING a.last_seq");
  conn.prepare("advance_agent",
               "UPDATE agents SET last_seq = $2, court_id = $3, last_seen = now() "
               "WHERE agent_id = $1");
  conn.prepare("heartbeat",
               "UPDATE agents SET agent_version = $2, spooled_events = $3, dropped_events = $4 "
               "WHERE agent_id = $1");
  conn.prepare("insert_heartbeat",
               "INSERT INTO agent_heartbeats (court_id, agent_id, agent_event_id, observed_at, "
               "agent_version, spooled_events, dropped_events) VALUES ($1, $2, $3, $4, $5, $6, $7)");
  conn.prepare("upsert_latest",
               "INSERT INTO site_latest AS l (court_id, site, agent_id, url, up, http_status, "
               "total_us, error, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
               "ON CONFLICT (court_id, site) DO UPDATE SET agent_id = EXCLUDED.agent_id, "
               "url = EXCLUDED.url, up = EXCLUDED.up, http_status = EXCLUDED.http_status, "
               "total_us = EXCLUDED.total_us, error = EXCLUDED.error, "
               "started_at = EXCLUDED.started_at "
               "WHERE l.started_at <= EXCLUDED.started_at");
}

const std::vector<std::string>& ProbeColumns() {
  static const std::vector<std::string> kColumns = {
      "court_id", "agent_id",   "agent_event_id", "batch_seq",     "site",
      "url",      "started_at", "up",             "http_status",   "dns_us",
      "connect_us", "tls_us",   "first_byte_us",  "total_us",      "body_bytes",
      "error"};
  return kColumns;
}

}  // namespace pantau::collector
