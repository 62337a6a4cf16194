#include "collector/store/store.h"

#include <map>
#include <tuple>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collector/store/migrations.h"
#include "collector/store/pg_pool.h"
#include "collector/store/statements.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace pantau::collector {

std::map<std::string, const v1::ProbeResult*> NewestProbePerSite(const v1::PushRequest& request) {
  std::map<std::string, const v1::ProbeResult*> newest;
  for (const v1::Event& e : request.events()) {
    if (!e.has_probe()) continue;
    const v1::ProbeResult*& slot = newest[e.probe().site()];
    if (slot == nullptr || slot->started_unix_ms() <= e.probe().started_unix_ms()) {
      slot = &e.probe();
    }
  }
  return newest;
}

Store::Store(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}
Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Create(const std::string& conninfo, int pool_size) {
  PANTAU_ASSIGN_OR_RETURN(int applied, ApplyMigrations(conninfo));
  if (applied > 0) PANTAU_LOG(INFO) << "database schema updated (" << applied << " migrations)";
  auto pool = PgPool::Create(conninfo, pool_size, PrepareStatements);
  // Open one connection now so a bad connection string fails at start, not at first push.
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool->Acquire());
  (void)lease;
  return std::unique_ptr<Store>(new Store(std::move(pool)));
}

absl::StatusOr<BatchOutcome> Store::StoreBatch(const v1::PushRequest& request) {
  // A pooled connection may have died with a PostgreSQL restart: one more try on a fresh
  // connection. Safe, because the last_seq check makes storing a batch idempotent.
  absl::StatusOr<BatchOutcome> outcome = StoreBatchOnce(request);
  if (!outcome.ok() && absl::IsUnavailable(outcome.status())) outcome = StoreBatchOnce(request);
  return outcome;
}

absl::StatusOr<BatchOutcome> Store::StoreBatchOnce(const v1::PushRequest& request) {
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  const std::string what =
      absl::StrCat("storing batch ", request.batch_seq(), " of agent ", request.agent_id());
  try {
    pqxx::work txn(lease.conn());
    pqxx::result locked =
        txn.exec_prepared("lock_agent", request.agent_id(), request.court_id());
    const uint64_t last_seq = locked[0][0].as<uint64_t>();
    if (request.batch_seq() <= last_seq) {
      txn.commit();  // last_seen only
      return BatchOutcome{last_seq, /*duplicate=*/request.batch_seq() != 0};
    }

    const std::map<std::string, const v1::ProbeResult*> newest = NewestProbePerSite(request);
    const v1::Heartbeat* heartbeat = nullptr;
    for (const v1::Event& e : request.events()) {
      if (!e.has_heartbeat()) continue;
      heartbeat = &e.heartbeat();
      // Rare (one a minute per agent): a plain INSERT is fine.
      txn.exec_prepared("insert_heartbeat", request.court_id(), request.agent_id(),
                        static_cast<int64_t>(e.agent_event_id()), PgTime(e.observed_unix_ms()),
                        heartbeat->agent_version(), heartbeat->spooled_events(),
                        heartbeat->dropped_events());
    }
    if (!newest.empty()) {
      pqxx::stream_to copy(txn, "probe_results", ProbeColumns());
      for (const v1::Event& e : request.events()) {
        if (!e.has_probe()) continue;
        const v1::ProbeResult& p = e.probe();
        copy << std::make_tuple(request.court_id(), request.agent_id(),
                                static_cast<int64_t>(e.agent_event_id()),
                                static_cast<int64_t>(request.batch_seq()), p.site(), p.url(),
                                PgTime(p.started_unix_ms()), p.up(), p.http_status(), p.dns_us(),
                                p.connect_us(), p.tls_us(), p.first_byte_us(), p.total_us(),
                                p.body_bytes(), p.error());
      }
      copy.complete();
      for (const auto& [site, probe] : newest) {
        const v1::ProbeResult& p = *probe;
        txn.exec_prepared("upsert_latest", request.court_id(), site, request.agent_id(), p.url(),
                          p.up(), p.http_status(), p.total_us(), p.error(),
                          PgTime(p.started_unix_ms()));
      }
    }
    if (heartbeat != nullptr) {
      txn.exec_prepared("heartbeat", request.agent_id(), heartbeat->agent_version(),
                        heartbeat->spooled_events(), heartbeat->dropped_events());
    }
    txn.exec_prepared("advance_agent", request.agent_id(),
                      static_cast<int64_t>(request.batch_seq()), request.court_id());
    txn.commit();
    return BatchOutcome{request.batch_seq(), false};
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, what);
  }
}

absl::StatusOr<std::vector<SiteLatest>> Store::LatestBySite(const std::string& court_id) {
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    pqxx::read_transaction txn(lease.conn());
    pqxx::result rows = txn.exec_params(
        "SELECT court_id, site, agent_id, url, up, http_status, total_us, error, "
        "(extract(epoch from started_at) * 1000000)::bigint "
        "FROM site_latest WHERE $1 = '' OR court_id = $1 ORDER BY court_id, site",
        court_id);
    std::vector<SiteLatest> out;
    out.reserve(rows.size());
    for (const pqxx::row& r : rows) {
      SiteLatest s;
      s.court_id = r[0].as<std::string>();
      s.site = r[1].as<std::string>();
      s.agent_id = r[2].as<std::string>();
      s.url = r[3].as<std::string>();
      s.up = r[4].as<bool>();
      s.http_status = r[5].as<int>();
      s.total_us = r[6].as<int64_t>();
      s.error = r[7].as<std::string>();
      s.started_at = absl::FromUnixMicros(r[8].as<int64_t>());
      out.push_back(std::move(s));
    }
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading site status");
  }
}

absl::StatusOr<std::vector<v1::ProbeTarget>> Store::ProbeTargets(const std::string& agent_id) {
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    pqxx::read_transaction txn(lease.conn());
    pqxx::result rows = txn.exec_params(
        "SELECT site, url, interval_seconds, timeout_ms, array_to_string(expected_status, ',') "
        "FROM probe_targets WHERE agent_id = $1 ORDER BY site",
        agent_id);
    std::vector<v1::ProbeTarget> out;
    for (const pqxx::row& r : rows) {
      v1::ProbeTarget t;
      t.set_site(r[0].as<std::string>());
      t.set_url(r[1].as<std::string>());
      t.set_interval_seconds(r[2].as<int>());
      t.set_timeout_ms(r[3].as<int>());
      for (absl::string_view code : absl::StrSplit(r[4].as<std::string>(), ',', absl::SkipEmpty())) {
        int value = 0;
        if (absl::SimpleAtoi(code, &value)) t.add_expected_status(value);
      }
      out.push_back(std::move(t));
    }
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading probe targets");
  }
}

}  // namespace pantau::collector
