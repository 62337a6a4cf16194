// The SQL of batch storage, in one place: the prepared statements Store::StoreBatch runs around
// its COPYs, the COPYs' column lists and the value encodings they write. The ingest benchmark
// (tests/bench) runs the same pieces over plain libpq, so it measures exactly what the
// collector does.
#ifndef PANTAU_COLLECTOR_STORE_STATEMENTS_H_
#define PANTAU_COLLECTOR_STORE_STATEMENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "google/protobuf/repeated_ptr_field.h"

namespace pantau::collector {

// Prepares on `conn`:
//   lock_agent(agent_id, court_id) -> last_seq      advance_agent(agent_id, seq, court_id)
//   heartbeat(agent_id, version, spooled, dropped)   insert_heartbeat(court, agent, event id,
//                                                      observed_at, version, spooled, dropped)
//   upsert_latest(court, site, agent, url, up, http_status, total_us, error, started_at,
//                 http_version, final_url, tls_checked, tls_verified, tls_days_left (NULL when
//                 unknown), tls_issuer, tls_error)            -- http probes; newest wins
//   upsert_probe_latest(court, site, probe_kind, agent, url, up, error, total_us,
//                       dns_answers (array literal), started_at)  -- dns/tcp; newest wins
//   upsert_content(court, site, age_days, source, checked_at)   -- newest wins
//   upsert_backup(agent, court, site, backup_id, kind, started, finished, bytes, files,
//                 files_copied, source_bytes, media (array literal), verified, error,
//                 interval_seconds, databases, database_bytes, agent_event_id)
//       -- replaces the row of (agent, backup_id)
//   apply_findings(court, runs) -> (runs applied, findings closed, findings open or updated)
//       runs: JSON [{"site", "check_name", "started_at", "keys": ["kind/key", ...],
//                    "findings": [{"kind", "key", "severity", "detail", "evidence"}]}],
//             one per (site, check), (kind, key) distinct within a run.
//     For each run not older than site_check_state's last_started_at of its (site, check),
//     moves that forward and makes open_findings of the (site, check) equal the run's
//     findings: new ones open with first_seen = last_seen = started_at, present ones keep
//     first_seen and move last_seen, absent ones are deleted. One statement for the batch.
//   upsert_log_alerts(court, agent, alerts) -> (site, family, severity, inserted) per row
//       written; alerts: JSON [{"alert_id", "site", "rule", "family", "severity", "client",
//       "first_seen", "last_seen", "count", "sample_lines": [...], "description", "action",
//       "log_path", "closed", "country", "agent_event_id"}], alert_id distinct. A stored row
//       with a later last_seen is kept.
//   add_visitor_minutes(court, minutes)   -- counters added, unique_visitors the greatest
//       minutes: JSON [{"site", "minute" (Unix s), "requests", "unique_visitors",
//       "page_views", "bot_requests", "s2", "s3", "s4", "s5", "so", "bytes", "malformed",
//       "attacks"}], (site, minute) distinct.
//   add_visitor_top(court, keys)          -- counts added
//       keys: JSON [{"site", "minute", "dimension" (page|client|country), "key", "count"}],
//       (site, minute, dimension, key) distinct.
// Throws what libpqxx throws.
void PrepareStatements(pqxx::connection& conn);

// Columns of probe_results that the COPY fills, in order.
const std::vector<std::string>& ProbeColumns();
// Columns of check_reports that the COPY fills, in order.
const std::vector<std::string>& CheckReportColumns();
// Columns of findings (the history) that the COPY fills, in order.
const std::vector<std::string>& FindingColumns();

// Columns of bans that the COPY fills, in order.
const std::vector<std::string>& BanColumns();

// The elements of a text[] field in order (NULL elements read as "").
std::vector<std::string> TextArray(const pqxx::field& f);

// Text form PostgreSQL parses as timestamptz, to the microsecond (UTC).
std::string PgTime(int64_t unix_ms);

// Text form PostgreSQL parses as text[]: {"a","b \"quoted\""}; {} when empty. `values` is any
// range of std::string (a repeated proto field, a vector).
template <typename Strings>
std::string PgTextArray(const Strings& values) {
  // Every element quoted, so empty strings, commas, braces and the word NULL stay text.
  std::string out = "{";
  bool first = true;
  for (const std::string& value : values) {
    if (!first) out += ',';
    first = false;
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_STATEMENTS_H_
