#include "collector/incidents/incident_engine.h"

#include <algorithm>
#include <map>

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collector/incidents/incidents_sql.h"
#include "collector/store/pg_pool.h"
#include "common/log.h"
#include "common/utf8.h"

namespace pantau::collector {

using incidents_sql::EnqueuePages;
using incidents_sql::OrgCache;
using incidents_sql::PageContext;
using incidents_sql::PendingWrites;
using incidents_sql::ReadIncident;
using incidents_sql::RunTxn;

std::string HashToken(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

namespace {

constexpr size_t kMaxDetailBytes = 1000;

// What a rule sees for one site right now.
// What an integrity report names to restore (its last clean backup).
struct RestoreHint {
  std::string backup_id;  // empty: no verified backup before the first finding
  absl::Time backup_at = absl::InfinitePast();
  std::string command;
};

struct Condition {
  enum State { kUnknown, kActive, kRecovered };
  State state = kUnknown;
  IncidentSeverity severity = IncidentSeverity::kMajor;
  int level = 0;
  std::string detail;
  std::string recovery;  // why it counts as recovered (Bahasa Indonesia)
  // Set when the active signal comes from an integrity report: stored on the incident.
  std::optional<RestoreHint> restore;
};

// Backups read per site: enough to find the previous successful run behind a few failures.
constexpr int kBackupsRead = 20;

struct ProbeRow {
  bool up = false;
  int64_t total_us = 0;
  int http_status = 0;
  std::string error;
};

struct SiteSignals {
  std::vector<ProbeRow> probes;  // newest first
  bool tls_known = false;
  int tls_days_left = 0;
  struct FindingRow {
    std::string kind, key, detail;
    int severity = 0;
    std::string check;
  };
  std::vector<FindingRow> findings;
  // From the newest integrity report that ran (only read when an integrity finding is open).
  std::optional<RestoreHint> integrity_restore;
  struct BackupRow {
    std::string id, error;
    absl::Time finished;
    bool verified = false;
    int64_t files = 0, source_bytes = 0, interval_seconds = 0;
  };
  std::vector<BackupRow> backups;  // newest start first, at most kBackupsRead
  // The newest verified backup without error (its finish), and the first backup's finish.
  std::optional<absl::Time> last_verified_finished;
  absl::Time first_backup_finished;
  // The engine's clock when the signals were read (backup_overdue).
  absl::Time now;
  struct AlertRow {
    std::string family, rule, client;
    int severity = 0;
    int64_t count = 0;
  };
  std::vector<AlertRow> alerts;
};

IncidentSeverity FromSignalSeverity(int finding_severity) {
  if (finding_severity >= 3) return IncidentSeverity::kCritical;
  if (finding_severity == 2) return IncidentSeverity::kMajor;
  return IncidentSeverity::kMinor;
}

std::string ProbeText(const ProbeRow& p) {
  if (!p.error.empty()) return absl::StrCat("HTTP ", p.http_status, ": ", p.error);
  return absl::StrCat("HTTP ", p.http_status, ", ", p.total_us / 1000, " ms");
}

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// A fall by more than `share`: now < (1 - share) * before.
bool DroppedBy(int64_t before, int64_t now, double share) {
  return before > 0 && static_cast<double>(now) < (1.0 - share) * static_cast<double>(before);
}

void EvaluateBackup(const IncidentRule& rule, const IncidentCatalog& catalog, const SiteSignals& s,
                    Condition& c) {
  if (s.backups.empty()) return;  // never sent a summary: nothing to say
  const SiteSignals::BackupRow& newest = s.backups.front();
  switch (rule.backup_signal) {
    case BackupSignal::kOverdue: {
      // Agent times (the summaries') against the engine's clock, like the escalation timers;
      // a finish "in the future" (a fast agent clock) counts as just now.
      const absl::Time since = s.last_verified_finished.value_or(s.first_backup_finished);
      const absl::Duration allowed = BackupOverdueAfter(catalog, newest.interval_seconds);
      if (s.now - since > allowed) {
        c.state = Condition::kActive;
        c.detail = s.last_verified_finished.has_value()
                       ? absl::StrCat("no verified backup since ", Utc(since))
                       : absl::StrCat("no verified backup at all; first backup run ", Utc(since));
        absl::StrAppend(&c.detail, " (allowed ", absl::FormatDuration(allowed),
                        "); newest run ", newest.id,
                        newest.error.empty() ? (newest.verified ? " verified" : " not verified")
                                             : absl::StrCat(" failed: ", newest.error));
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "cadangan terverifikasi yang baru sudah diterima";
      }
      break;
    }
    case BackupSignal::kFailed:
      if (!newest.error.empty()) {
        c.state = Condition::kActive;
        c.detail = absl::StrCat("backup ", newest.id, " failed: ", newest.error);
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "cadangan berikutnya berhasil";
      }
      break;
    case BackupSignal::kUnverified:
      if (!newest.error.empty()) break;  // backup_failed's business; this one stays as it is
      if (!newest.verified) {
        c.state = Condition::kActive;
        c.detail = absl::StrCat("backup ", newest.id, " finished ", Utc(newest.finished),
                                " but was not verified");
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "cadangan terbaru sudah terverifikasi";
      }
      break;
    case BackupSignal::kSuspicious: {
      const SiteSignals::BackupRow* last = nullptr;
      const SiteSignals::BackupRow* before = nullptr;
      for (const SiteSignals::BackupRow& b : s.backups) {
        if (!b.error.empty()) continue;
        if (last == nullptr) {
          last = &b;
        } else {
          before = &b;
          break;
        }
      }
      if (last == nullptr || before == nullptr) break;
      const bool files = DroppedBy(before->files, last->files, rule.drop_share);
      const bool bytes = DroppedBy(before->source_bytes, last->source_bytes, rule.drop_share);
      if (files || bytes) {
        c.state = Condition::kActive;
        c.detail = absl::StrCat("backup ", last->id, " covers ", last->files, " files / ",
                                last->source_bytes, " bytes; the one before (", before->id,
                                ") covered ", before->files, " files / ", before->source_bytes,
                                " bytes");
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "jumlah berkas cadangan kembali wajar";
      }
      break;
    }
  }
}

Condition Evaluate(const IncidentRule& rule, const IncidentCatalog& catalog,
                   const SiteSignals& s) {
  Condition c;
  c.severity = rule.severity;
  switch (rule.source) {
    case SignalSource::kProbeDown:
    case SignalSource::kProbeSlow: {
      const bool slow_rule = rule.source == SignalSource::kProbeSlow;
      auto bad = [&](const ProbeRow& p) {
        return slow_rule ? p.up && p.total_us > rule.slow_ms * 1000 : !p.up;
      };
      auto good = [&](const ProbeRow& p) {
        return slow_rule ? p.up && p.total_us <= rule.slow_ms * 1000 : p.up;
      };
      const int n = static_cast<int>(s.probes.size());
      if (n >= rule.consecutive &&
          std::all_of(s.probes.begin(), s.probes.begin() + rule.consecutive, bad)) {
        c.state = Condition::kActive;
        c.detail = absl::StrCat(rule.consecutive, " probe berturut-turut: ",
                                ProbeText(s.probes.front()));
      } else if (n >= rule.recover_consecutive &&
                 std::all_of(s.probes.begin(), s.probes.begin() + rule.recover_consecutive,
                             good)) {
        c.state = Condition::kRecovered;
        c.recovery = absl::StrCat(slow_rule ? "waktu respons kembali normal" : "situs kembali dapat diakses",
                                  " (", rule.recover_consecutive, " probe berturut-turut berhasil)");
      }
      break;
    }
    case SignalSource::kTlsExpiry: {
      if (!s.tls_known || rule.tls_days.empty()) break;
      int level = 0;
      for (int days : rule.tls_days) {
        if (s.tls_days_left <= days) ++level;
      }
      if (level > 0) {
        c.state = Condition::kActive;
        c.level = level;
        c.detail = absl::StrCat("certificate expires in ", s.tls_days_left, " days");
        if (s.tls_days_left < 0) c.severity = IncidentSeverity::kCritical;
      } else {
        c.state = Condition::kRecovered;
        c.recovery = absl::StrCat("sertifikat sudah diperpanjang (", s.tls_days_left, " hari lagi)");
      }
      break;
    }
    case SignalSource::kFinding: {
      const SiteSignals::FindingRow* worst = nullptr;
      int count = 0;
      bool integrity = false;
      for (const auto& f : s.findings) {
        if (std::find(rule.finding_kinds.begin(), rule.finding_kinds.end(), f.kind) ==
            rule.finding_kinds.end()) {
          continue;
        }
        ++count;
        integrity |= f.check == "integrity";
        if (worst == nullptr || f.severity > worst->severity) worst = &f;
      }
      if (worst != nullptr) {
        c.state = Condition::kActive;
        if (integrity) c.restore = s.integrity_restore.value_or(RestoreHint{});
        if (rule.severity_from_signal) c.severity = FromSignalSeverity(worst->severity);
        c.detail = absl::StrCat(worst->kind, worst->key.empty() ? "" : " ", worst->key, ": ",
                                worst->detail, count > 1 ? absl::StrCat(" (+", count - 1, ")") : "");
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "temuan tidak lagi dilaporkan oleh pemeriksaan berikutnya";
      }
      break;
    }
    case SignalSource::kLogAlert: {
      const SiteSignals::AlertRow* worst = nullptr;
      int64_t total = 0;
      for (const auto& a : s.alerts) {
        if (std::find(rule.log_families.begin(), rule.log_families.end(), a.family) ==
                rule.log_families.end() ||
            a.count < rule.min_count) {
          continue;
        }
        total += a.count;
        if (worst == nullptr || a.severity > worst->severity ||
            (a.severity == worst->severity && a.count > worst->count)) {
          worst = &a;
        }
      }
      if (worst != nullptr) {
        c.state = Condition::kActive;
        if (rule.severity_from_signal) c.severity = FromSignalSeverity(worst->severity);
        c.detail = absl::StrCat(worst->rule, " (", worst->family, ") from ", worst->client, ": ",
                                worst->count, " requests; ", total, " in open alerts");
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "peringatan log sudah ditutup (aktivitas berhenti)";
      }
      break;
    }
    case SignalSource::kBackup:
      EvaluateBackup(rule, catalog, s, c);
      break;
    case SignalSource::kAgentSilent:
      break;  // EvaluateAgents
  }
  if (c.severity < rule.severity && !rule.severity_from_signal) c.severity = rule.severity;
  c.detail = ClampUtf8(c.detail, kMaxDetailBytes);
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

IncidentEngine::IncidentEngine(std::unique_ptr<PgPool> pool, IncidentCatalog catalog,
                               EngineOptions options, const Clock& clock)
    : pool_(std::move(pool)),
      catalog_(std::move(catalog)),
      options_(std::move(options)),
      clock_(clock) {}

IncidentEngine::~IncidentEngine() { Stop(); }

absl::StatusOr<std::unique_ptr<IncidentEngine>> IncidentEngine::Create(
    const std::string& conninfo, int pool_size, IncidentCatalog catalog, EngineOptions options,
    const Clock& clock) {
  std::unique_ptr<PgPool> pool = PgPool::Create(conninfo, std::max(1, pool_size), nullptr);
  return std::unique_ptr<IncidentEngine>(
      new IncidentEngine(std::move(pool), std::move(catalog), std::move(options), clock));
}

void IncidentEngine::Start(std::function<void()> wake_outbox) {
  if (started_) return;
  started_ = true;
  wake_outbox_ = std::move(wake_outbox);
  evaluator_ = std::thread([this] { EvaluationLoop(); });
  sweeper_ = std::thread([this] { SweepLoop(); });
}

void IncidentEngine::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (evaluator_.joinable()) evaluator_.join();
  if (sweeper_.joinable()) sweeper_.join();
}

void IncidentEngine::WakeOutbox() {
  if (wake_outbox_) wake_outbox_();
}

void IncidentEngine::OnBatchStored(const v1::PushRequest& request) {
  absl::MutexLock lock(&mu_);
  for (const v1::Event& e : request.events()) {
    const std::string* site = nullptr;
    if (e.has_probe()) site = &e.probe().site();
    if (e.has_check()) site = &e.check().site();
    if (e.has_log_alert()) site = &e.log_alert().site();
    if (site != nullptr) queued_.emplace(request.court_id(), *site);
  }
}

bool IncidentEngine::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queued_.empty() && evaluating_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void IncidentEngine::EvaluationLoop() {
  for (;;) {
    std::set<std::pair<std::string, std::string>> sites;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queued_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queued_.empty()) return;  // stopping, nothing left
      sites.swap(queued_);
      ++evaluating_;
    }
    for (const auto& [court, site] : sites) {
      absl::Status status = EvaluateSite(court, site);
      if (!status.ok()) {
        PANTAU_LOG(WARNING) << "evaluating incidents of site " << site << ": " << status.message();
      }
    }
    absl::MutexLock lock(&mu_);
    --evaluating_;
  }
}

void IncidentEngine::SweepLoop() {
  absl::Time next_full = absl::Now() + options_.full_evaluation_interval;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.sweep_interval)) return;
    }
    absl::StatusOr<int> swept = Sweep();
    if (!swept.ok()) PANTAU_LOG(WARNING) << "escalation sweep: " << swept.status().message();
    absl::Status agents = EvaluateAgents();
    if (!agents.ok()) PANTAU_LOG(WARNING) << "agent silence check: " << agents.message();
    if (options_.full_evaluation_interval > absl::ZeroDuration() && absl::Now() >= next_full) {
      next_full = absl::Now() + options_.full_evaluation_interval;
      absl::Status all = EvaluateAll();
      if (!all.ok()) PANTAU_LOG(WARNING) << "full incident evaluation: " << all.message();
    }
  }
}

namespace {

// Applies one rule's condition to the open incident of its kind (or opens one); the writes
// are queued in `writes` for the caller to flush.
struct Reconciler {
  pqxx::work& txn;
  OrgCache& org;
  const PageContext& ctx;
  const EngineOptions& options;
  absl::Time now;
  PendingWrites writes;

  void Apply(const IncidentRule& rule, const Condition& c, const std::string& court,
             const std::string& site, std::optional<IncidentRow> open) {
    if (c.state == Condition::kUnknown) return;
    const std::optional<absl::Time> maintenance = org.MaintenanceUntil(court, site, now);
    if (c.state == Condition::kRecovered) {
      if (!open.has_value() || !rule.auto_resolve) return;
      IncidentRow& row = *open;
      row.state = "resolved";
      row.resolved_at = now;
      row.resolved_by = "pantau";
      row.resolution = absl::StrCat("Pulih dengan sendirinya: ", c.recovery);
      writes.Event(row, now, "pantau", "resolved", row.resolution);
      if (row.vendor_ticket_open) {
        writes.Event(row, now, "pantau", "note",
                    absl::StrCat("tiket pihak ketiga ", row.vendor_ticket, " (", row.vendor,
                                 ") masih terbuka: tutup tiketnya"));
      }
      std::vector<Page> pages;
      if (row.escalation_step > 0 && !maintenance.has_value()) {
        Page page;
        page.kind = MessageKind::kResolved;
        page.roles = RolesUpTo(org.Policy(court), row.escalation_step);
        page.step = row.escalation_step;
        page.sequence = "resolved";
        pages.push_back(std::move(page));
      }
      Advance(row, org.Policy(court), now, std::nullopt);  // clears the timers
      writes.Update(row);
      EnqueuePages(writes, org, ctx, row, pages, now);
      return;
    }

    // Active.
    std::vector<Page> pages;
    IncidentRow row;
    auto take_restore = [&c](IncidentRow& r) {
      if (!c.restore.has_value()) return;
      r.restore_known = true;
      r.last_clean_backup_id = c.restore->backup_id;
      r.last_clean_backup_at = c.restore->backup_at;
      r.restore_command = c.restore->command;
    };
    if (open.has_value()) {
      row = *open;
      take_restore(row);
      row.last_signal_at = now;
      row.detail = c.detail;
      if (c.level > row.level || c.severity > row.severity) {
        const std::string note =
            absl::StrCat("tingkat ", row.level, "→", std::max(row.level, c.level), ", ",
                         IncidentSeverityName(row.severity), "→",
                         IncidentSeverityName(std::max(row.severity, c.severity)), ": ", c.detail);
        row.level = std::max(row.level, c.level);
        row.severity = std::max(row.severity, c.severity);
        writes.Event(row, now, "pantau", "level_raised", note);
        if (row.escalation_step > 0) {
          Page page;
          page.kind = MessageKind::kLevelRaised;
          page.roles = RolesUpTo(org.Policy(court), row.escalation_step);
          page.step = row.escalation_step;
          page.sequence = absl::StrCat("level", row.level, "s", static_cast<int>(row.severity));
          pages.push_back(std::move(page));
        }
      }
    } else {
      if (maintenance.has_value()) return;  // planned work: nobody is paged, nothing opens
      // Back within the flap window: the same incident reopens.
      pqxx::result recent = txn.exec_params(
          std::string("SELECT ") + incidents_sql::kIncidentColumns +
              " FROM incidents WHERE court_id = $1 AND site = $2 AND kind = $3 AND "
              "state = 'resolved' AND resolved_at > " PANTAU_PG_TIME(4) " ORDER BY resolved_at DESC LIMIT 1 "
              "FOR UPDATE",
          court, site, rule.kind, absl::ToUnixMicros(now - options.flap_window));
      if (!recent.empty()) {
        row = ReadIncident(recent[0]);
        const absl::Time first_opened = row.opened_at;
        row.state = "open";
        row.flap_count += 1;
        row.opened_at = now;
        row.last_signal_at = now;
        row.severity = c.severity;
        row.level = c.level;
        row.detail = c.detail;
        row.acknowledged_at = row.resolved_at = absl::InfinitePast();
        row.acknowledged_by.clear();
        row.resolved_by.clear();
        row.resolution.clear();
        row.escalation_step = row.reminders_sent = row.situations_sent = 0;
        take_restore(row);
        writes.Event(row, now, "pantau", "reopened",
                    absl::StrCat("muncul lagi (ke-", row.flap_count, ", pertama dibuka ",
                                 absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", first_opened,
                                                  absl::UTCTimeZone()),
                                 row.flap_count >= options.flap_page_limit
                                     ? "); berkedip (flapping): tidak ada halaman baru"
                                     : ")",
                                 ": ", c.detail));
      } else {
        pqxx::result inserted = txn.exec_params(
            "INSERT INTO incidents (court_id, site, kind, severity, state, detail, level, "
            "opened_at, last_signal_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, " PANTAU_PG_TIME(7) ", " PANTAU_PG_TIME(7)
            ") ON CONFLICT (court_id, site, kind) WHERE state <> 'resolved' DO NOTHING "
            "RETURNING incident_id",
            court, site, rule.kind, static_cast<int>(c.severity), c.detail, c.level,
            absl::ToUnixMicros(now));
        if (inserted.empty()) return;  // another collector opened it a moment ago
        row.id = inserted[0][0].as<int64_t>();
        row.court_id = court;
        row.site = site;
        row.kind = rule.kind;
        row.severity = c.severity;
        row.state = "open";
        row.detail = c.detail;
        row.level = c.level;
        row.opened_at = row.last_signal_at = now;
        take_restore(row);
        writes.Event(row, now, "pantau", "opened", c.detail);
      }
    }
    EscalationResult r = Advance(row, org.Policy(court), now, maintenance);
    for (const TimelineEntry& e : r.events) writes.Event(row, now, "pantau", e.action, e.note);
    pages.insert(pages.end(), r.pages.begin(), r.pages.end());
    writes.Update(row);
    EnqueuePages(writes, org, ctx, row, pages, now);
  }
};

}  // namespace

absl::Status IncidentEngine::EvaluateSite(const std::string& court_id, const std::string& site) {
  const absl::Time now = clock_.Now();
  int written = 0;
  int max_probes = 1;
  for (const IncidentRule& rule : catalog_.rules) {
    max_probes = std::max({max_probes, rule.consecutive, rule.recover_consecutive});
  }
  PageContext ctx{&catalog_, &options_.channels, &options_.webhooks, options_.flap_page_limit};
  absl::Status status = RunTxn(*pool_, absl::StrCat("evaluating site ", site), [&](pqxx::work& txn) {
    // One evaluation of a site at a time, across collectors.
    txn.exec_params("SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", court_id, site);
    SiteSignals s;
    for (const pqxx::row& r : txn.exec_params(
             "SELECT up, total_us, http_status, error FROM probe_results WHERE court_id = $1 "
             "AND site = $2 AND probe_kind = 'http' ORDER BY started_at DESC LIMIT $3",
             court_id, site, max_probes)) {
      s.probes.push_back({r[0].as<bool>(), r[1].as<int64_t>(), r[2].as<int>(),
                          r[3].as<std::string>()});
    }
    pqxx::result tls = txn.exec_params(
        "SELECT tls_days_left FROM site_latest WHERE court_id = $1 AND site = $2 AND "
        "tls_checked AND tls_days_left IS NOT NULL",
        court_id, site);
    if (!tls.empty()) {
      s.tls_known = true;
      s.tls_days_left = tls[0][0].as<int>();
    }
    bool any_integrity = false;
    for (const pqxx::row& r : txn.exec_params(
             "SELECT kind, key, detail, severity, check_name FROM open_findings "
             "WHERE court_id = $1 AND site = $2",
             court_id, site)) {
      s.findings.push_back({r[0].as<std::string>(), r[1].as<std::string>(),
                            r[2].as<std::string>(), r[3].as<int>(), r[4].as<std::string>()});
      any_integrity |= s.findings.back().check == "integrity";
    }
    if (any_integrity) {
      pqxx::result report = txn.exec_params(
          "SELECT last_clean_backup_id, "
          "(extract(epoch from last_clean_backup_at) * 1000000)::bigint, restore_command "
          "FROM check_reports WHERE court_id = $1 AND site = $2 AND check_name = 'integrity' "
          "AND error = '' ORDER BY started_at DESC LIMIT 1",
          court_id, site);
      if (!report.empty()) {
        RestoreHint hint;
        hint.backup_id = report[0][0].as<std::string>();
        if (!report[0][1].is_null()) {
          hint.backup_at = absl::FromUnixMicros(report[0][1].as<int64_t>());
        }
        hint.command = report[0][2].as<std::string>();
        s.integrity_restore = std::move(hint);
      }
    }
    s.now = now;
    for (const pqxx::row& r : txn.exec_params(
             "SELECT backup_id, error, (extract(epoch from finished) * 1000000)::bigint, "
             "verified, files, source_bytes, interval_seconds FROM backups "
             "WHERE court_id = $1 AND site = $2 "
             "ORDER BY started DESC, finished DESC, received_at DESC LIMIT $3",
             court_id, site, kBackupsRead)) {
      s.backups.push_back({r[0].as<std::string>(), r[1].as<std::string>(),
                           absl::FromUnixMicros(r[2].as<int64_t>()), r[3].as<bool>(),
                           r[4].as<int64_t>(), r[5].as<int64_t>(), r[6].as<int64_t>()});
    }
    if (!s.backups.empty()) {
      pqxx::result times = txn.exec_params(
          "SELECT (SELECT (extract(epoch from max(finished)) * 1000000)::bigint FROM backups "
          "  WHERE court_id = $1 AND site = $2 AND verified AND error = ''), "
          "(SELECT (extract(epoch from min(finished)) * 1000000)::bigint FROM backups "
          "  WHERE court_id = $1 AND site = $2)",
          court_id, site);
      if (!times[0][0].is_null()) {
        s.last_verified_finished = absl::FromUnixMicros(times[0][0].as<int64_t>());
      }
      s.first_backup_finished = absl::FromUnixMicros(times[0][1].as<int64_t>());
    }
    for (const pqxx::row& r : txn.exec_params(
             "SELECT family, rule, client, severity, count FROM log_alerts WHERE court_id = $1 "
             "AND site = $2 AND NOT closed",
             court_id, site)) {
      s.alerts.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                          r[3].as<int>(), r[4].as<int64_t>()});
    }
    std::map<std::string, IncidentRow> open;
    for (const pqxx::row& r : txn.exec_params(
             std::string("SELECT ") + incidents_sql::kIncidentColumns +
                 " FROM incidents WHERE court_id = $1 AND site = $2 AND state <> 'resolved' "
                 "FOR UPDATE",
             court_id, site)) {
      IncidentRow row = ReadIncident(r);
      open.emplace(row.kind, std::move(row));
    }
    OrgCache org(txn);
    Reconciler rec{txn, org, ctx, options_, now, {}};
    for (const IncidentRule& rule : catalog_.rules) {
      if (rule.source == SignalSource::kAgentSilent) continue;
      auto it = open.find(rule.kind);
      rec.Apply(rule, Evaluate(rule, catalog_, s), court_id, site,
                it == open.end() ? std::nullopt : std::optional<IncidentRow>(it->second));
    }
    written = rec.writes.Flush(txn);
    return absl::OkStatus();
  });
  if (written > 0) WakeOutbox();
  return status;
}

absl::Status IncidentEngine::EvaluateAgents() {
  const IncidentRule* rule = nullptr;
  for (const IncidentRule& r : catalog_.rules) {
    if (r.source == SignalSource::kAgentSilent) rule = &r;
  }
  if (rule == nullptr) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  int written = 0;
  PageContext ctx{&catalog_, &options_.channels, &options_.webhooks, options_.flap_page_limit};
  absl::Status status = RunTxn(*pool_, "checking agent silence", [&](pqxx::work& txn) {
    // One collector at a time; the others skip this round.
    if (!txn.exec("SELECT pg_try_advisory_xact_lock(hashtext('pantau.agent_silence'))")[0][0]
             .as<bool>()) {
      return absl::OkStatus();
    }
    std::map<std::pair<std::string, std::string>, IncidentRow> open;
    for (const pqxx::row& r : txn.exec_params(
             std::string("SELECT ") + incidents_sql::kIncidentColumns +
                 " FROM incidents WHERE kind = $1 AND state <> 'resolved' FOR UPDATE",
             rule->kind)) {
      IncidentRow row = ReadIncident(r);
      open.emplace(std::make_pair(row.court_id, row.site), std::move(row));
    }
    OrgCache org(txn);
    Reconciler rec{txn, org, ctx, options_, now, {}};
    // Silence is measured on the database's clock: the one that stamps agents.last_seen
    // (the collector's clock, faked in tests, would make every agent look silent or alive).
    for (const pqxx::row& r : txn.exec_params(
             "SELECT agent_id, court_id, (extract(epoch from last_seen) * 1000000)::bigint, "
             "now() - last_seen >= make_interval(secs => $1) FROM agents",
             absl::ToDoubleSeconds(rule->silent_after))) {
      const std::string agent = r[0].as<std::string>();
      const std::string court = r[1].as<std::string>();
      const absl::Time last_seen = absl::FromUnixMicros(r[2].as<int64_t>());
      Condition c;
      c.severity = rule->severity;
      if (r[3].as<bool>()) {
        c.state = Condition::kActive;
        c.detail = absl::StrCat("agent ", agent, " sent nothing since ",
                                absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", last_seen,
                                                 absl::UTCTimeZone()));
      } else {
        c.state = Condition::kRecovered;
        c.recovery = "agen mengirim data lagi";
      }
      auto it = open.find({court, agent});
      rec.Apply(*rule, c, court, agent,
                it == open.end() ? std::nullopt : std::optional<IncidentRow>(it->second));
    }
    written = rec.writes.Flush(txn);
    return absl::OkStatus();
  });
  if (written > 0) WakeOutbox();
  return status;
}

absl::Status IncidentEngine::EvaluateAll() {
  std::vector<std::pair<std::string, std::string>> sites;
  absl::Status listed = RunTxn(*pool_, "listing sites", [&](pqxx::work& txn) {
    for (const pqxx::row& r : txn.exec(
             "SELECT court_id, site FROM site_latest UNION SELECT court_id, site FROM open_findings "
             "UNION SELECT court_id, site FROM log_alerts WHERE NOT closed "
             // Backups: backup_overdue needs no new event, only time passing.
             "UNION SELECT court_id, site FROM backups GROUP BY court_id, site "
             "UNION SELECT court_id, site FROM incidents WHERE state <> 'resolved'")) {
      sites.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!listed.ok()) return listed;
  absl::Status first;
  for (const auto& [court, site] : sites) {
    absl::Status status = EvaluateSite(court, site);
    if (!status.ok() && first.ok()) first = status;
  }
  return first;
}

absl::StatusOr<int> IncidentEngine::Sweep() {
  int advanced = 0;
  PageContext ctx{&catalog_, &options_.channels, &options_.webhooks, options_.flap_page_limit};
  for (;;) {
    const absl::Time now = clock_.Now();
    int claimed = 0;
    int written = 0;
    absl::Status status = RunTxn(*pool_, "escalation sweep", [&](pqxx::work& txn) {
      pqxx::result rows = txn.exec_params(
          std::string("SELECT ") + incidents_sql::kIncidentColumns +
              " FROM incidents WHERE next_action_at <= " PANTAU_PG_TIME(1) " ORDER BY next_action_at "
              "LIMIT $2 FOR UPDATE SKIP LOCKED",
          absl::ToUnixMicros(now), options_.sweep_batch);
      claimed = static_cast<int>(rows.size());
      OrgCache org(txn);
      std::set<std::string> courts;
      for (const pqxx::row& r : rows) courts.insert(r[1].as<std::string>());
      org.Preload({courts.begin(), courts.end()}, now);
      PendingWrites writes;
      for (const pqxx::row& r : rows) {
        IncidentRow row = ReadIncident(r);
        EscalationResult result = Advance(row, org.Policy(row.court_id), now,
                                          org.MaintenanceUntil(row.court_id, row.site, now));
        for (const TimelineEntry& e : result.events) {
          writes.Event(row, now, "pantau", e.action, e.note);
        }
        writes.Update(row);
        EnqueuePages(writes, org, ctx, row, result.pages, now);
      }
      written = writes.Flush(txn);
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    advanced += claimed;
    if (written > 0) WakeOutbox();
    if (claimed < options_.sweep_batch) break;
  }
  return advanced;
}

}  // namespace pantau::collector
