#include "collector/store/store.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collector/store/logwatch_store.h"
#include "collector/store/migrations.h"
#include "collector/store/pg_pool.h"
#include "collector/store/statements.h"
#include "common/finding_severity.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace pantau::collector {
namespace {

// Newest probe per (site, probe kind); of equal start times the later event wins.
std::map<std::pair<std::string, std::string>, const v1::ProbeResult*> NewestProbePerSiteAndKind(
    const v1::PushRequest& request) {
  std::map<std::pair<std::string, std::string>, const v1::ProbeResult*> newest;
  for (const v1::Event& e : request.events()) {
    if (!e.has_probe()) continue;
    const v1::ProbeResult*& slot = newest[{e.probe().site(), ProbeKindOf(e.probe())}];
    if (slot == nullptr || slot->started_unix_ms() <= e.probe().started_unix_ms()) {
      slot = &e.probe();
    }
  }
  return newest;
}

// The findings of a run with one entry per (kind, key): a report that names the same (kind,
// key) twice is an agent bug, and would make one statement update a row twice. The most
// severe (then the first) copy stays. Sorted by (kind, key).
std::vector<const v1::Finding*> DistinctFindings(
    const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
  std::map<std::pair<std::string, std::string>, const v1::Finding*> by_key;
  for (const v1::Finding& f : findings) {
    const v1::Finding*& slot = by_key[{f.kind(), f.key()}];
    if (slot == nullptr || slot->severity() < f.severity()) slot = &f;
  }
  std::vector<const v1::Finding*> out;
  out.reserve(by_key.size());
  for (const auto& [key, f] : by_key) out.push_back(f);
  return out;
}

// The JSON argument of apply_findings (see statements.h).
std::string ApplyFindingsArgument(const std::vector<CheckRun>& runs) {
  JsonWriter w;
  w.BeginArray();
  for (const CheckRun& run : runs) {
    const std::vector<const v1::Finding*> findings = DistinctFindings(*run.findings);
    w.BeginObject()
        .Key("site").String(*run.site)
        .Key("check_name").String(run.check)
        .Key("started_at").String(PgTime(run.started_unix_ms));
    w.Key("keys").BeginArray();
    for (const v1::Finding* f : findings) w.String(absl::StrCat(f->kind(), "/", f->key()));
    w.EndArray().Key("findings").BeginArray();
    for (const v1::Finding* f : findings) {
      w.BeginObject()
          .Key("kind").String(f->kind())
          .Key("key").String(f->key())
          .Key("severity").Int(f->severity())
          .Key("detail").String(f->detail())
          .Key("evidence").String(f->evidence())
          .EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  return w.str();
}

// Per site: its newest backup run (by start), the finish of its newest verified one without
// error, and the finish of its first one. $1 court ('' = any), $2 site ('' = any).
constexpr char kSiteBackupStateSql[] =
    "SELECT DISTINCT ON (b.court_id, b.site) b.court_id, b.site, "
    "(extract(epoch from b.finished) * 1000000)::bigint, b.verified, b.error, b.interval_seconds, "
    "(SELECT (extract(epoch from max(v.finished)) * 1000000)::bigint FROM backups v "
    "  WHERE v.court_id = b.court_id AND v.site = b.site AND v.verified AND v.error = ''), "
    "(SELECT (extract(epoch from min(f.finished)) * 1000000)::bigint FROM backups f "
    "  WHERE f.court_id = b.court_id AND f.site = b.site) "
    "FROM backups b WHERE ($1 = '' OR b.court_id = $1) AND ($2 = '' OR b.site = $2) "
    "ORDER BY b.court_id, b.site, b.started DESC, b.finished DESC, b.received_at DESC";

SiteBackupState ReadSiteBackupState(const pqxx::row& r) {
  SiteBackupState s;
  s.court_id = r[0].as<std::string>();
  s.site = r[1].as<std::string>();
  s.last_finished = absl::FromUnixMicros(r[2].as<int64_t>());
  s.last_verified = r[3].as<bool>();
  s.last_error = r[4].as<std::string>();
  s.interval_seconds = r[5].as<int64_t>();
  if (!r[6].is_null()) s.last_verified_finished = absl::FromUnixMicros(r[6].as<int64_t>());
  s.first_finished = absl::FromUnixMicros(r[7].as<int64_t>());
  return s;
}

std::optional<int> TlsDaysLeft(const v1::ProbeResult& p) {
  if (!p.tls_checked() || !p.tls_days_left_known()) return std::nullopt;
  return p.tls_days_left();
}

}  // namespace

std::string ProbeKindOf(const v1::ProbeResult& probe) {
  return probe.probe_kind().empty() ? "http" : probe.probe_kind();
}

std::map<std::string, const v1::ProbeResult*> NewestHttpProbePerSite(
    const v1::PushRequest& request) {
  std::map<std::string, const v1::ProbeResult*> newest;
  for (const auto& [site_kind, probe] : NewestProbePerSiteAndKind(request)) {
    if (site_kind.second == "http") newest[site_kind.first] = probe;
  }
  return newest;
}

std::vector<CheckRun> NewestCheckRuns(const v1::PushRequest& request) {
  std::map<std::pair<std::string, std::string>, CheckRun> newest;
  auto offer = [&newest](const std::string& site, std::string check, int64_t started_unix_ms,
                         const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
    CheckRun& slot = newest[{site, check}];
    if (slot.site == nullptr || slot.started_unix_ms <= started_unix_ms) {
      slot = CheckRun{&site, std::move(check), started_unix_ms, &findings};
    }
  };
  for (const v1::Event& e : request.events()) {
    if (e.has_probe()) {
      offer(e.probe().site(), ProbeKindOf(e.probe()), e.probe().started_unix_ms(),
            e.probe().findings());
    } else if (e.has_check() && e.check().error().empty()) {
      offer(e.check().site(), e.check().check(), e.check().started_unix_ms(),
            e.check().findings());
    }
  }
  std::vector<CheckRun> out;
  out.reserve(newest.size());
  for (auto& [key, run] : newest) out.push_back(std::move(run));
  return out;
}

std::map<std::string, const v1::CheckReport*> NewestContentAgePerSite(
    const v1::PushRequest& request) {
  std::map<std::string, const v1::CheckReport*> newest;
  for (const v1::Event& e : request.events()) {
    if (!e.has_check() || !e.check().error().empty() || !e.check().content_age_known()) continue;
    const v1::CheckReport*& slot = newest[e.check().site()];
    if (slot == nullptr || slot->started_unix_ms() <= e.check().started_unix_ms()) {
      slot = &e.check();
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
      return BatchOutcome{last_seq, /*duplicate=*/request.batch_seq() != 0, {}};
    }

    const std::string& court = request.court_id();
    const std::string& agent = request.agent_id();
    const int64_t batch_seq = static_cast<int64_t>(request.batch_seq());
    const v1::Heartbeat* heartbeat = nullptr;
    bool any_probe = false, any_check = false, any_finding = false;
    for (const v1::Event& e : request.events()) {
      any_probe |= e.has_probe();
      any_check |= e.has_check();
      any_finding |= (e.has_probe() && e.probe().findings_size() > 0) ||
                     (e.has_check() && e.check().findings_size() > 0);
      if (!e.has_heartbeat()) continue;
      heartbeat = &e.heartbeat();
      // Rare (one a minute per agent): a plain INSERT is fine.
      txn.exec_prepared("insert_heartbeat", court, agent,
                        static_cast<int64_t>(e.agent_event_id()), PgTime(e.observed_unix_ms()),
                        heartbeat->agent_version(), heartbeat->spooled_events(),
                        heartbeat->dropped_events());
    }
    if (any_probe) {
      pqxx::stream_to copy(txn, "probe_results", ProbeColumns());
      for (const v1::Event& e : request.events()) {
        if (!e.has_probe()) continue;
        const v1::ProbeResult& p = e.probe();
        copy << std::make_tuple(court, agent, static_cast<int64_t>(e.agent_event_id()),
                                batch_seq, p.site(), p.url(), PgTime(p.started_unix_ms()), p.up(),
                                p.http_status(), p.dns_us(), p.connect_us(), p.tls_us(),
                                p.first_byte_us(), p.total_us(), p.body_bytes(), p.error(),
                                ProbeKindOf(p), p.http_version(), p.redirect_count(),
                                p.final_url(), p.tls_checked(), p.tls_verified(), TlsDaysLeft(p),
                                p.tls_issuer(), p.tls_error(), PgTextArray(p.dns_answers()));
      }
      copy.complete();
    }
    if (any_check) {
      pqxx::stream_to copy(txn, "check_reports", CheckReportColumns());
      for (const v1::Event& e : request.events()) {
        if (!e.has_check()) continue;
        const v1::CheckReport& c = e.check();
        std::optional<double> age;
        if (c.content_age_known()) age = c.content_age_days();
        std::optional<std::string> clean_at;
        if (!c.last_clean_backup_id().empty()) clean_at = PgTime(c.last_clean_backup_unix_ms());
        copy << std::make_tuple(court, agent, static_cast<int64_t>(e.agent_event_id()),
                                batch_seq, c.site(), c.check(), PgTime(c.started_unix_ms()),
                                c.error(), c.findings_size(), age, c.content_age_source(),
                                c.last_clean_backup_id(), clean_at, c.restore_command());
      }
      copy.complete();
    }
    if (any_finding) {
      pqxx::stream_to copy(txn, "findings", FindingColumns());
      auto write = [&](const v1::Event& e, const std::string& site, const std::string& check,
                       int64_t started_unix_ms,
                       const google::protobuf::RepeatedPtrField<v1::Finding>& findings) {
        const std::string observed_at = PgTime(started_unix_ms);
        for (const v1::Finding& f : findings) {
          copy << std::make_tuple(court, agent, static_cast<int64_t>(e.agent_event_id()), site,
                                  check, f.kind(), static_cast<int>(f.severity()), f.key(),
                                  f.detail(), f.evidence(), observed_at);
        }
      };
      for (const v1::Event& e : request.events()) {
        if (e.has_probe()) {
          write(e, e.probe().site(), ProbeKindOf(e.probe()), e.probe().started_unix_ms(),
                e.probe().findings());
        } else if (e.has_check()) {
          write(e, e.check().site(), e.check().check(), e.check().started_unix_ms(),
                e.check().findings());
        }
      }
      copy.complete();
    }
    // One statement per site (or site and probe kind) below: bounded by the sites an agent
    // watches, not by the events in the batch.
    for (const auto& [site_kind, probe] : NewestProbePerSiteAndKind(request)) {
      const v1::ProbeResult& p = *probe;
      if (site_kind.second == "http") {
        txn.exec_prepared("upsert_latest", court, p.site(), agent, p.url(), p.up(),
                          p.http_status(), p.total_us(), p.error(), PgTime(p.started_unix_ms()),
                          p.http_version(), p.final_url(), p.tls_checked(), p.tls_verified(),
                          TlsDaysLeft(p), p.tls_issuer(), p.tls_error());
      } else {
        txn.exec_prepared("upsert_probe_latest", court, p.site(), site_kind.second, agent,
                          p.url(), p.up(), p.error(), p.total_us(),
                          PgTextArray(p.dns_answers()), PgTime(p.started_unix_ms()));
      }
    }
    const std::vector<CheckRun> runs = NewestCheckRuns(request);
    if (!runs.empty()) {
      // Every finding of the batch's newest runs in one statement.
      txn.exec_prepared("apply_findings", court, ApplyFindingsArgument(runs));
    }
    for (const auto& [site, report] : NewestContentAgePerSite(request)) {
      txn.exec_prepared("upsert_content", court, site, report->content_age_days(),
                        report->content_age_source(), PgTime(report->started_unix_ms()));
    }
    // Rare (one per site and backup run): a statement each; batch order, so the later of two
    // summaries of one backup id wins.
    for (const v1::Event& e : request.events()) {
      if (!e.has_backup()) continue;
      const v1::BackupSummary& b = e.backup();
      txn.exec_prepared("upsert_backup", agent, court, b.site(), b.backup_id(), b.kind(),
                        PgTime(b.started_unix_ms()), PgTime(b.finished_unix_ms()), b.bytes(),
                        b.files(), b.files_copied(), b.source_bytes(), PgTextArray(b.media()),
                        b.verified(), b.error(), b.interval_seconds(), b.databases(),
                        b.database_bytes(), static_cast<int64_t>(e.agent_event_id()));
    }
    if (heartbeat != nullptr) {
      txn.exec_prepared("heartbeat", agent, heartbeat->agent_version(),
                        heartbeat->spooled_events(), heartbeat->dropped_events());
    }
    BatchOutcome outcome{request.batch_seq(), false, {}};
    outcome.new_log_alerts = StoreLogwatchEvents(txn, request);
    txn.exec_prepared("advance_agent", agent, batch_seq, court);
    txn.commit();
    return outcome;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, what);
  }
}

absl::StatusOr<std::vector<SiteLatest>> Store::LatestBySite(const std::string& court_id) {
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    // One snapshot for both queries, so the findings belong to the sites listed.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> txn(lease.conn());
    pqxx::result rows = txn.exec_params(
        "SELECT l.court_id, l.site, l.agent_id, l.url, l.up, l.http_status, l.total_us, "
        "l.error, (extract(epoch from l.started_at) * 1000000)::bigint, l.tls_checked, "
        "l.tls_verified, l.tls_days_left, l.tls_issuer, l.tls_error, c.content_age_days, "
        "coalesce(c.content_age_source, '') "
        "FROM site_latest l LEFT JOIN site_content c "
        "  ON c.court_id = l.court_id AND c.site = l.site "
        "WHERE $1 = '' OR l.court_id = $1 ORDER BY l.court_id, l.site",
        court_id);
    std::vector<SiteLatest> out;
    out.reserve(rows.size());
    std::map<std::pair<std::string, std::string>, size_t> index;
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
      s.tls_checked = r[9].as<bool>();
      s.tls_verified = r[10].as<bool>();
      if (!r[11].is_null()) s.tls_days_left = r[11].as<int>();
      s.tls_issuer = r[12].as<std::string>();
      s.tls_error = r[13].as<std::string>();
      if (!r[14].is_null()) s.content_age_days = r[14].as<double>();
      s.content_age_source = r[15].as<std::string>();
      index[{s.court_id, s.site}] = out.size();
      out.push_back(std::move(s));
    }
    pqxx::result findings = txn.exec_params(
        "SELECT court_id, site, check_name, kind, key, severity, detail, evidence, "
        "(extract(epoch from first_seen) * 1000000)::bigint, "
        "(extract(epoch from last_seen) * 1000000)::bigint "
        "FROM open_findings WHERE $1 = '' OR court_id = $1 "
        "ORDER BY court_id, site, severity DESC, kind, check_name, key",
        court_id);
    for (const pqxx::row& r : findings) {
      auto it = index.find({r[0].as<std::string>(), r[1].as<std::string>()});
      if (it == index.end()) continue;  // a site without an HTTP probe: not listed
      OpenFinding f;
      f.check = r[2].as<std::string>();
      f.finding.set_kind(r[3].as<std::string>());
      f.finding.set_key(r[4].as<std::string>());
      const int severity = r[5].as<int>();
      f.finding.set_severity(SeverityFromInt(severity));
      f.finding.set_detail(r[6].as<std::string>());
      f.finding.set_evidence(r[7].as<std::string>());
      f.first_seen = absl::FromUnixMicros(r[8].as<int64_t>());
      f.last_seen = absl::FromUnixMicros(r[9].as<int64_t>());
      out[it->second].open_findings.push_back(std::move(f));
    }
    txn.commit();
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading site status");
  }
}

absl::StatusOr<std::vector<StoredBackup>> Store::Backups(const BackupQuery& query) {
  if (query.limit < 1 || query.limit > 1001) {
    return absl::InvalidArgumentError(absl::StrCat("limit ", query.limit, " is not 1..1001"));
  }
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    pqxx::read_transaction txn(lease.conn());
    pqxx::result rows = txn.exec_params(
        "SELECT court_id, agent_id, site, backup_id, kind, "
        "(extract(epoch from started) * 1000)::bigint, "
        "(extract(epoch from finished) * 1000)::bigint, bytes, files, files_copied, "
        "source_bytes, media, verified, error, interval_seconds, databases, "
        "database_bytes, (extract(epoch from received_at) * 1000000)::bigint "
        "FROM backups WHERE ($1 = '' OR court_id = $1) AND ($2 = '' OR site = $2) "
        "ORDER BY started DESC, backup_id LIMIT $3",
        query.court_id, query.site, query.limit);
    std::vector<StoredBackup> out;
    out.reserve(rows.size());
    for (const pqxx::row& r : rows) {
      StoredBackup b;
      b.court_id = r[0].as<std::string>();
      b.agent_id = r[1].as<std::string>();
      v1::BackupSummary& s = b.summary;
      s.set_site(r[2].as<std::string>());
      s.set_backup_id(r[3].as<std::string>());
      s.set_kind(r[4].as<std::string>());
      s.set_started_unix_ms(r[5].as<int64_t>());
      s.set_finished_unix_ms(r[6].as<int64_t>());
      s.set_bytes(r[7].as<int64_t>());
      s.set_files(r[8].as<int64_t>());
      s.set_files_copied(r[9].as<int64_t>());
      s.set_source_bytes(r[10].as<int64_t>());
      for (std::string& m : TextArray(r[11])) s.add_media(std::move(m));
      s.set_verified(r[12].as<bool>());
      s.set_error(r[13].as<std::string>());
      s.set_interval_seconds(r[14].as<int64_t>());
      s.set_databases(r[15].as<int64_t>());
      s.set_database_bytes(r[16].as<int64_t>());
      b.received_at = absl::FromUnixMicros(r[17].as<int64_t>());
      out.push_back(std::move(b));
    }
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading backups");
  }
}

absl::StatusOr<std::vector<SiteBackupState>> Store::BackupStates(const std::string& court_id,
                                                                 const std::string& site) {
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    pqxx::read_transaction txn(lease.conn());
    pqxx::result rows = txn.exec_params(std::string(kSiteBackupStateSql), court_id, site);
    std::vector<SiteBackupState> out;
    out.reserve(rows.size());
    for (const pqxx::row& r : rows) out.push_back(ReadSiteBackupState(r));
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading backup states");
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
