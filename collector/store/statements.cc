#include "collector/store/statements.h"

#include <tuple>

#include "absl/time/time.h"

namespace pantau::collector {

std::string PgTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::vector<std::string> TextArray(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  pqxx::array_parser parser = f.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(value);
    if (kind == pqxx::array_parser::null_value) out.emplace_back();
  }
  return out;
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
               "total_us, error, started_at, http_version, final_url, tls_checked, tls_verified, "
               "tls_days_left, tls_issuer, tls_error) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
               "ON CONFLICT (court_id, site) DO UPDATE SET agent_id = EXCLUDED.agent_id, "
               "url = EXCLUDED.url, up = EXCLUDED.up, http_status = EXCLUDED.http_status, "
               "total_us = EXCLUDED.total_us, error = EXCLUDED.error, "
               "started_at = EXCLUDED.started_at, http_version = EXCLUDED.http_version, "
               "final_url = EXCLUDED.final_url, tls_checked = EXCLUDED.tls_checked, "
               "tls_verified = EXCLUDED.tls_verified, tls_days_left = EXCLUDED.tls_days_left, "
               "tls_issuer = EXCLUDED.tls_issuer, tls_error = EXCLUDED.tls_error "
               "WHERE l.started_at <= EXCLUDED.started_at");
  conn.prepare("upsert_probe_latest",
               "INSERT INTO site_probe_latest AS l (court_id, site, probe_kind, agent_id, url, up, "
               "error, total_us, dns_answers, started_at) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
               "ON CONFLICT (court_id, site, probe_kind) DO UPDATE SET "
               "agent_id = EXCLUDED.agent_id, url = EXCLUDED.url, up = EXCLUDED.up, "
               "error = EXCLUDED.error, total_us = EXCLUDED.total_us, "
               "dns_answers = EXCLUDED.dns_answers, started_at = EXCLUDED.started_at "
               "WHERE l.started_at <= EXCLUDED.started_at");
  conn.prepare("upsert_backup",
               "INSERT INTO backups AS b (agent_id, court_id, site, backup_id, kind, started, "
               "finished, bytes, files, files_copied, source_bytes, media, verified, error, "
               "interval_seconds, databases, database_bytes, agent_event_id) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
               "$17, $18) "
               "ON CONFLICT (agent_id, backup_id) DO UPDATE SET court_id = EXCLUDED.court_id, "
               "site = EXCLUDED.site, kind = EXCLUDED.kind, started = EXCLUDED.started, "
               "finished = EXCLUDED.finished, bytes = EXCLUDED.bytes, files = EXCLUDED.files, "
               "files_copied = EXCLUDED.files_copied, source_bytes = EXCLUDED.source_bytes, "
               "media = EXCLUDED.media, verified = EXCLUDED.verified, error = EXCLUDED.error, "
               "interval_seconds = EXCLUDED.interval_seconds, databases = EXCLUDED.databases, "
               "database_bytes = EXCLUDED.database_bytes, "
               "agent_event_id = EXCLUDED.agent_event_id, received_at = now()");
  conn.prepare("upsert_content",
               "INSERT INTO site_content AS c (court_id, site, content_age_days, "
               "content_age_source, checked_at) VALUES ($1, $2, $3, $4, $5) "
               "ON CONFLICT (court_id, site) DO UPDATE SET "
               "content_age_days = EXCLUDED.content_age_days, "
               "content_age_source = EXCLUDED.content_age_source, "
               "checked_at = EXCLUDED.checked_at "
               "WHERE c.checked_at <= EXCLUDED.checked_at");
  // Data-modifying CTEs all see the table as it was before the statement; the DELETE and the
  // INSERT touch disjoint rows of open_findings (absent vs present (kind, key)), so that is
  // what we want. `applied` holds only the runs that won against site_check_state. Each run
  // carries its own findings (and their "kind/key" names, kind having no '/'), so no join
  // between the batch's findings and its runs is needed: the planner knows nothing of the
  // sizes of JSON input, and a nested loop over 50,000 x 50,000 rows would take minutes.
  conn.prepare(
      "apply_findings",
      "WITH runs AS ("
      "  SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(site text, check_name text, "
      "    started_at timestamptz, keys text[], findings jsonb)), "
      "applied AS ("
      "  INSERT INTO site_check_state AS s (court_id, site, check_name, last_started_at) "
      "  SELECT $1, site, check_name, started_at FROM runs "
      "  ON CONFLICT (court_id, site, check_name) DO UPDATE "
      "    SET last_started_at = EXCLUDED.last_started_at "
      "    WHERE s.last_started_at <= EXCLUDED.last_started_at "
      "  RETURNING s.site, s.check_name, s.last_started_at), "
      "todo AS ("
      "  SELECT r.site, r.check_name, a.last_started_at, r.keys, r.findings "
      "  FROM applied a JOIN runs r ON r.site = a.site AND r.check_name = a.check_name), "
      "closed AS ("
      "  DELETE FROM open_findings o USING todo t "
      "  WHERE o.court_id = $1 AND o.site = t.site AND o.check_name = t.check_name "
      "    AND NOT (o.kind || '/' || o.key = ANY (t.keys)) "
      "  RETURNING 1), "
      "opened AS ("
      "  INSERT INTO open_findings AS o (court_id, site, check_name, kind, key, severity, "
      "    detail, evidence, first_seen, last_seen) "
      "  SELECT $1, t.site, t.check_name, f.kind, f.key, f.severity, f.detail, f.evidence, "
      "    t.last_started_at, t.last_started_at "
      "  FROM todo t, jsonb_to_recordset(t.findings) AS f(kind text, key text, "
      "    severity smallint, detail text, evidence text) "
      "  ON CONFLICT (court_id, site, check_name, kind, key) DO UPDATE SET "
      "    severity = EXCLUDED.severity, detail = EXCLUDED.detail, "
      "    evidence = EXCLUDED.evidence, last_seen = EXCLUDED.last_seen "
      "  RETURNING 1) "
      "SELECT (SELECT count(*) FROM applied), (SELECT count(*) FROM closed), "
      "  (SELECT count(*) FROM opened)");
  // Agent logwatch. $3 / $2: JSON arrays built by collector/store/logwatch_store.cc, with one
  // entry per conflict key (ON CONFLICT cannot touch a row twice in one statement).
  // `(a.xmax = 0)` is true for a row this statement inserted, false for one it updated.
  conn.prepare(
      "upsert_log_alerts",
      "INSERT INTO log_alerts AS a (court_id, agent_id, alert_id, site, rule, family, severity, "
      "  client, first_seen, last_seen, count, sample_lines, description, action, log_path, "
      "  closed, country, agent_event_id) "
      "SELECT $1, $2, r.alert_id, r.site, r.rule, r.family, r.severity, r.client, r.first_seen, "
      "  r.last_seen, r.count, r.sample_lines, r.description, r.action, r.log_path, r.closed, "
      "  r.country, r.agent_event_id "
      "FROM jsonb_to_recordset($3::jsonb) AS r(alert_id text, site text, rule text, "
      "  family text, severity smallint, client text, first_seen timestamptz, "
      "  last_seen timestamptz, count bigint, sample_lines text[], description text, "
      "  action text, log_path text, closed boolean, country text, agent_event_id bigint) "
      "ON CONFLICT (agent_id, alert_id) DO UPDATE SET court_id = EXCLUDED.court_id, "
      "  site = EXCLUDED.site, rule = EXCLUDED.rule, family = EXCLUDED.family, "
      "  severity = EXCLUDED.severity, client = EXCLUDED.client, "
      "  first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, "
      "  count = EXCLUDED.count, sample_lines = EXCLUDED.sample_lines, "
      "  description = EXCLUDED.description, action = EXCLUDED.action, "
      "  log_path = EXCLUDED.log_path, closed = EXCLUDED.closed, country = EXCLUDED.country, "
      "  agent_event_id = EXCLUDED.agent_event_id, updated_at = now() "
      "  WHERE a.last_seen <= EXCLUDED.last_seen "
      "RETURNING a.site, a.family, a.severity, (a.xmax = 0)");
  conn.prepare(
      "add_visitor_minutes",
      "INSERT INTO visitor_minutes AS v (court_id, site, minute, requests, unique_visitors, "
      "  page_views, bot_requests, status_2xx, status_3xx, status_4xx, status_5xx, "
      "  status_other, bytes, malformed_lines, attack_requests) "
      "SELECT $1, r.site, to_timestamp(r.minute), r.requests, r.unique_visitors, r.page_views, "
      "  r.bot_requests, r.s2, r.s3, r.s4, r.s5, r.so, r.bytes, r.malformed, r.attacks "
      "FROM jsonb_to_recordset($2::jsonb) AS r(site text, minute bigint, requests bigint, "
      "  unique_visitors bigint, page_views bigint, bot_requests bigint, s2 bigint, s3 bigint, "
      "  s4 bigint, s5 bigint, so bigint, bytes bigint, malformed bigint, attacks bigint) "
      "ON CONFLICT (site, minute, court_id) DO UPDATE SET "
      "  requests = v.requests + EXCLUDED.requests, "
      "  unique_visitors = greatest(v.unique_visitors, EXCLUDED.unique_visitors), "
      "  page_views = v.page_views + EXCLUDED.page_views, "
      "  bot_requests = v.bot_requests + EXCLUDED.bot_requests, "
      "  status_2xx = v.status_2xx + EXCLUDED.status_2xx, "
      "  status_3xx = v.status_3xx + EXCLUDED.status_3xx, "
      "  status_4xx = v.status_4xx + EXCLUDED.status_4xx, "
      "  status_5xx = v.status_5xx + EXCLUDED.status_5xx, "
      "  status_other = v.status_other + EXCLUDED.status_other, "
      "  bytes = v.bytes + EXCLUDED.bytes, "
      "  malformed_lines = v.malformed_lines + EXCLUDED.malformed_lines, "
      "  attack_requests = v.attack_requests + EXCLUDED.attack_requests, updated_at = now()");
  conn.prepare(
      "add_visitor_top",
      "INSERT INTO visitor_top AS t (court_id, site, minute, dimension, key, count) "
      "SELECT $1, r.site, to_timestamp(r.minute), r.dimension, r.key, r.count "
      "FROM jsonb_to_recordset($2::jsonb) AS r(site text, minute bigint, dimension text, "
      "  key text, count bigint) "
      "ON CONFLICT (site, minute, dimension, key, court_id) DO UPDATE SET "
      "  count = t.count + EXCLUDED.count");
}

const std::vector<std::string>& BanColumns() {
  static const std::vector<std::string> kColumns = {
      "court_id", "agent_id", "agent_event_id", "batch_seq", "site",       "client",
      "rule",     "alert_id", "until_at",       "outcome",   "error",      "observed_at"};
  return kColumns;
}

const std::vector<std::string>& ProbeColumns() {
  static const std::vector<std::string> kColumns = {
      "court_id",     "agent_id",     "agent_event_id", "batch_seq",      "site",
      "url",          "started_at",   "up",             "http_status",    "dns_us",
      "connect_us",   "tls_us",       "first_byte_us",  "total_us",       "body_bytes",
      "error",        "probe_kind",   "http_version",   "redirect_count", "final_url",
      "tls_checked",  "tls_verified", "tls_days_left",  "tls_issuer",     "tls_error",
      "dns_answers"};
  return kColumns;
}

const std::vector<std::string>& CheckReportColumns() {
  static const std::vector<std::string> kColumns = {
      "court_id",   "agent_id", "agent_event_id", "batch_seq",        "site",
      "check_name", "started_at", "error",        "findings_count",   "content_age_days",
      "content_age_source", "last_clean_backup_id", "last_clean_backup_at", "restore_command"};
  return kColumns;
}

const std::vector<std::string>& FindingColumns() {
  static const std::vector<std::string> kColumns = {
      "court_id", "agent_id", "agent_event_id", "site",     "check_name", "kind",
      "severity", "key",      "detail",         "evidence", "observed_at"};
  return kColumns;
}

}  // namespace pantau::collector
