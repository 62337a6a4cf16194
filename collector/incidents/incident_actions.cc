// IncidentEngine: the operator API's side (authentication, court scoping, incident actions,
// maintenance windows, the organisation).
#include <algorithm>
#include <map>
#include <optional>

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/incidents/incident_engine.h"
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
using incidents_sql::ToProto;

namespace {

constexpr size_t kMaxNoteBytes = 2000;

absl::Status CheckNote(const std::string& note, bool required, absl::string_view what) {
  if (required && note.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  if (note.size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is longer than ", kMaxNoteBytes, " bytes"));
  }
  if (ValidUtf8(note) != note) return absl::InvalidArgumentError(absl::StrCat(what, " is not valid UTF-8"));
  return absl::OkStatus();
}

std::string CourtsText(const std::vector<std::string>& courts) { return absl::StrJoin(courts, ","); }

// The courts a person sees: their courts, the courts below them, and courts where they act
// today.
absl::Status LoadScope(pqxx::work& txn, Principal& p, absl::Time now) {
  p.all_courts = std::find(p.courts.begin(), p.courts.end(), "*") != p.courts.end();
  p.visible.clear();
  for (const pqxx::row& r : txn.exec_params(
           "WITH RECURSIVE v(court_id) AS ("
           "  SELECT unnest(string_to_array($1, ',')) "
           "  UNION SELECT c.court_id FROM courts c JOIN v ON c.parent_id = v.court_id) "
           "SELECT court_id FROM v",
           CourtsText(p.courts))) {
    p.visible.insert(r[0].as<std::string>());
  }
  // Acting today (by UTC+7 day; a day's difference at the edges of WITA/WIT is accepted).
  const absl::CivilDay today = absl::ToCivilDay(now, absl::FixedTimeZone(7 * 3600));
  for (const pqxx::row& r : txn.exec_params(
           "SELECT court_id, role, title FROM acting WHERE person_id = $1 AND $2::date BETWEEN "
           "from_day AND to_day ORDER BY court_id, role",
           p.person_id, absl::FormatCivilTime(today))) {
    p.visible.insert(r[0].as<std::string>());
    p.acting.push_back(absl::StrCat(r[1].as<std::string>(), "@", r[0].as<std::string>(), " (",
                                    r[2].as<std::string>(), ")"));
  }
  return absl::OkStatus();
}

// The active person whose `column` (a constant: token_hash or telegram_user_id) is `value`,
// with their scope; nullopt when there is none.
absl::StatusOr<std::optional<Principal>> FindPrincipal(PgPool& pool, const char* column,
                                                       const std::string& value, absl::Time now) {
  std::optional<Principal> found;
  absl::Status status = RunTxn(pool, "finding an operator", [&](pqxx::work& txn) {
    pqxx::result r = txn.exec_params(
        absl::StrCat("SELECT person_id, name, role, array_to_string(courts, ',') FROM people "
                     "WHERE ", column, " = $1 AND $1 <> '' AND active ORDER BY person_id LIMIT 1"),
        value);
    if (r.empty()) return absl::OkStatus();
    Principal& p = found.emplace();
    p.person_id = r[0][0].as<std::string>();
    p.name = r[0][1].as<std::string>();
    p.role = r[0][2].as<std::string>();
    p.courts = absl::StrSplit(r[0][3].as<std::string>(), ',', absl::SkipEmpty());
    return LoadScope(txn, p, now);
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<IncidentRow> LockIncident(pqxx::work& txn, const Principal& who, int64_t id) {
  pqxx::result r = txn.exec_params(std::string("SELECT ") + incidents_sql::kIncidentColumns +
                                       " FROM incidents WHERE incident_id = $1 FOR UPDATE",
                                   id);
  // Another court's incident is "not found": its existence is not the caller's business.
  if (r.empty() || !who.CanSee(r[0][1].as<std::string>())) {
    return absl::NotFoundError(absl::StrCat("incident ", id, " not found"));
  }
  return ReadIncident(r[0]);
}

absl::Status MayAct(const Principal& who) {
  if (IsRole(who.role)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("role ", who.role, " may not act on incidents"));
}

std::string NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return absl::StrCat("pantau_", absl::BytesToHexString(absl::string_view(
                                      reinterpret_cast<const char*>(bytes), sizeof(bytes))));
}

}  // namespace

absl::StatusOr<Principal> IncidentEngine::Authenticate(const std::string& token) {
  if (token.empty()) {
    return absl::UnauthenticatedError(
        "no operator token: pass --token-file or set PANTAU_TOKEN_FILE");
  }
  absl::StatusOr<std::optional<Principal>> p =
      FindPrincipal(*pool_, "token_hash", HashToken(token), clock_.Now());
  if (!p.ok()) return p.status();
  if (!p->has_value()) return absl::UnauthenticatedError("unknown or revoked operator token");
  return std::move(**p);
}

absl::StatusOr<v1::ListIncidentsResponse> IncidentEngine::ListIncidents(
    const Principal& who, const v1::ListIncidentsRequest& request) {
  const int limit = request.limit() == 0 ? 100 : request.limit();
  if (limit < 1 || limit > 1000) return absl::InvalidArgumentError("limit must be 1..1000");
  if (!request.court_id().empty() && !who.CanSee(request.court_id())) {
    return absl::PermissionDeniedError(absl::StrCat("no access to court ", request.court_id()));
  }
  v1::ListIncidentsResponse out;
  const absl::Time now = clock_.Now();
  out.set_now_unix_ms(absl::ToUnixMillis(now));
  std::vector<std::string> courts(who.visible.begin(), who.visible.end());
  absl::Status status = RunTxn(*pool_, "listing incidents", [&](pqxx::work& txn) {
    pqxx::result rows = txn.exec_params(
        std::string("SELECT ") + incidents_sql::kIncidentColumns +
            " FROM incidents WHERE ($1 OR court_id = ANY (string_to_array($2, ','))) "
            "AND ($3 = '' OR court_id = $3) AND ($4 = '' OR site = $4) "
            "AND ($5 OR state <> 'resolved') "
            "ORDER BY state = 'resolved', severity DESC, opened_at DESC, incident_id DESC "
            "LIMIT $6",
        who.all_courts, CourtsText(courts), request.court_id(), request.site(), request.all(),
        limit + 1);
    OrgCache org(txn);
    for (const pqxx::row& r : rows) {
      if (out.incidents_size() == limit) {
        out.set_truncated(true);
        break;
      }
      *out.add_incidents() = ToProto(ReadIncident(r), catalog_, org, now);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<v1::GetIncidentResponse> IncidentEngine::GetIncident(const Principal& who,
                                                                    int64_t id) {
  v1::GetIncidentResponse out;
  const absl::Time now = clock_.Now();
  out.set_now_unix_ms(absl::ToUnixMillis(now));
  absl::Status status = RunTxn(*pool_, "reading incident", [&](pqxx::work& txn) {
    pqxx::result r = txn.exec_params(std::string("SELECT ") + incidents_sql::kIncidentColumns +
                                         " FROM incidents WHERE incident_id = $1",
                                     id);
    if (r.empty() || !who.CanSee(r[0][1].as<std::string>())) {
      return absl::NotFoundError(absl::StrCat("incident ", id, " not found"));
    }
    IncidentRow row = ReadIncident(r[0]);
    OrgCache org(txn);
    *out.mutable_incident() = ToProto(row, catalog_, org, now);
    for (const pqxx::row& e : txn.exec_params(
             "SELECT (extract(epoch from at) * 1000)::bigint, actor, action, note "
             "FROM incident_events WHERE incident_id = $1 ORDER BY event_id",
             id)) {
      v1::IncidentEvent* ev = out.add_events();
      ev->set_at_unix_ms(e[0].as<int64_t>());
      ev->set_actor(e[1].as<std::string>());
      ev->set_action(e[2].as<std::string>());
      ev->set_note(e[3].as<std::string>());
    }
    for (const pqxx::row& n : txn.exec_params(
             "SELECT outbox_id, channel, person_id, message_kind, state, attempts, last_error, "
             "(extract(epoch from created_at) * 1000)::bigint, "
             "coalesce((extract(epoch from sent_at) * 1000)::bigint, 0) "
             "FROM outbox WHERE incident_id = $1 ORDER BY outbox_id",
             id)) {
      v1::NotificationRecord* rec = out.add_notifications();
      rec->set_id(n[0].as<int64_t>());
      rec->set_channel(n[1].as<std::string>());
      rec->set_person_id(n[2].as<std::string>());
      rec->set_message_kind(n[3].as<std::string>());
      rec->set_state(n[4].as<std::string>());
      rec->set_attempts(n[5].as<int>());
      rec->set_last_error(n[6].as<std::string>());
      rec->set_created_unix_ms(n[7].as<int64_t>());
      rec->set_sent_unix_ms(n[8].as<int64_t>());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (const Runbook* rb = catalog_.FindRunbook(out.incident().kind())) {
    v1::Runbook* proto = out.mutable_runbook();
    proto->set_title(rb->title);
    proto->set_summary(rb->summary);
    for (const std::string& step : rb->steps) proto->add_steps(step);
    proto->set_third_party(rb->third_party);
  }
  return out;
}

namespace {

using ActionFn = std::function<absl::Status(PendingWrites& writes, IncidentRow& row,
                                            OrgCache& org, std::vector<Page>& pages,
                                            absl::Time now)>;

// Locks the incident, lets `fn` change it, recomputes its timers, writes the pages and answers
// the new state, all in one transaction. `written` gets the outbox rows written.
absl::StatusOr<v1::Incident> RunAction(PgPool& pool, const IncidentCatalog& catalog,
                                       const EngineOptions& options, const Clock& clock,
                                       const Principal& who, int64_t id, const std::string& what,
                                       const ActionFn& fn, int* written) {
  const absl::Time now = clock.Now();
  PageContext ctx{&catalog, &options.channels, &options.webhooks, options.flap_page_limit};
  v1::Incident out;
  absl::Status status = RunTxn(pool, what, [&](pqxx::work& txn) -> absl::Status {
    absl::StatusOr<IncidentRow> locked = LockIncident(txn, who, id);
    if (!locked.ok()) return locked.status();
    IncidentRow& row = *locked;
    OrgCache org(txn);
    PendingWrites writes;
    std::vector<Page> pages;
    if (absl::Status s = fn(writes, row, org, pages, now); !s.ok()) return s;
    EscalationResult r = Advance(row, org.Policy(row.court_id), now,
                                 org.MaintenanceUntil(row.court_id, row.site, now));
    for (const TimelineEntry& e : r.events) writes.Event(row, now, "pantau", e.action, e.note);
    pages.insert(pages.end(), r.pages.begin(), r.pages.end());
    writes.Update(row);
    EnqueuePages(writes, org, ctx, row, pages, now);
    *written = writes.Flush(txn);
    out = ToProto(row, catalog, org, now);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

}  // namespace

#define PANTAU_ACTION(what, ...)                                                            \
  int written = 0;                                                                          \
  absl::StatusOr<v1::Incident> result = RunAction(                                          \
      *pool_, catalog_, options_, clock_, who, id, what,                                    \
      [&](PendingWrites& writes, IncidentRow& row, OrgCache& org, std::vector<Page>& pages, \
          absl::Time now) -> absl::Status {                                                 \
        (void)writes, (void)org, (void)pages, (void)now;                                    \
        __VA_ARGS__                                                                         \
        return absl::OkStatus();                                                            \
      },                                                                                    \
      &written);                                                                            \
  if (written > 0) WakeOutbox();                                                            \
  return result;

absl::StatusOr<v1::Incident> IncidentEngine::Acknowledge(const Principal& who, int64_t id,
                                                         const std::string& note) {
  if (absl::Status s = MayAct(who); !s.ok()) return s;
  if (absl::Status s = CheckNote(note, false, "note"); !s.ok()) return s;
  PANTAU_ACTION("acknowledging incident", {
    if (row.state == "resolved") {
      return absl::FailedPreconditionError(absl::StrCat("incident ", id, " is already resolved"));
    }
    if (row.state == "open") {
      row.state = "acknowledged";
      row.acknowledged_at = now;
      row.acknowledged_by = who.person_id;
      writes.Event(row, now, who.person_id, "acknowledged", note);
    } else if (!note.empty()) {
      writes.Event(row, now, who.person_id, "note", note);
    }
  })
}

absl::StatusOr<v1::Incident> IncidentEngine::AcknowledgeFromTelegram(int64_t telegram_user_id,
                                                                     int64_t id) {
  absl::StatusOr<std::optional<Principal>> who =
      FindPrincipal(*pool_, "telegram_user_id", absl::StrCat(telegram_user_id), clock_.Now());
  if (!who.ok()) return who.status();
  if (!who->has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("Telegram user ", telegram_user_id, " is not a known person"));
  }
  return Acknowledge(**who, id, "melalui tombol Telegram");
}

absl::StatusOr<v1::Incident> IncidentEngine::AddNote(const Principal& who, int64_t id,
                                                     const std::string& note) {
  if (absl::Status s = MayAct(who); !s.ok()) return s;
  if (absl::Status s = CheckNote(note, true, "note"); !s.ok()) return s;
  PANTAU_ACTION("adding a note", { writes.Event(row, now, who.person_id, "note", note); })
}

absl::StatusOr<v1::Incident> IncidentEngine::HandOff(const Principal& who,
                                                     const v1::HandOffIncidentRequest& request) {
  if (absl::Status s = MayAct(who); !s.ok()) return s;
  if (absl::Status s = CheckNote(request.note(), false, "note"); !s.ok()) return s;
  for (const std::string* f : {&request.vendor(), &request.ticket(), &request.contact()}) {
    if (absl::Status s = CheckNote(*f, false, "vendor, ticket and contact"); !s.ok()) return s;
  }
  if (!request.ticket_closed() &&
      (request.vendor().empty() || request.ticket().empty() || request.contact().empty())) {
    return absl::InvalidArgumentError(
        "a hand-off needs the third party (vendor), their ticket reference and a contact");
  }
  const int64_t id = request.id();
  PANTAU_ACTION("handing off incident", {
    if (row.state == "resolved") {
      return absl::FailedPreconditionError(absl::StrCat("incident ", id, " is already resolved"));
    }
    if (request.ticket_closed()) {
      if (!row.vendor_ticket_open) {
        return absl::FailedPreconditionError(absl::StrCat("incident ", id, " has no open vendor ticket"));
      }
      row.vendor_ticket_open = false;
      row.state = "acknowledged";
      writes.Event(row, now, who.person_id, "ticket_closed",
                  absl::StrCat("tiket ", row.vendor_ticket, " (", row.vendor, ") ditutup",
                               request.note().empty() ? "" : ": ", request.note()));
    } else {
      if (row.state == "open") {
        row.acknowledged_at = now;
        row.acknowledged_by = who.person_id;
      }
      row.state = "handed_off";
      row.vendor = request.vendor();
      row.vendor_ticket = request.ticket();
      row.vendor_contact = request.contact();
      row.vendor_sla_at = request.sla_unix_ms() > 0 ? absl::FromUnixMillis(request.sla_unix_ms())
                                                    : absl::InfinitePast();
      row.vendor_ticket_open = true;
      writes.Event(row, now, who.person_id, "handed_off",
                  absl::StrCat("pihak ketiga: ", row.vendor, ", tiket: ", row.vendor_ticket,
                               ", kontak: ", row.vendor_contact,
                               request.sla_unix_ms() > 0
                                   ? absl::StrCat(", janji selesai: ",
                                                  absl::FormatTime("%Y-%m-%dT%H:%MZ",
                                                                   row.vendor_sla_at,
                                                                   absl::UTCTimeZone()))
                                   : "",
                               request.note().empty() ? "" : "; ", request.note()));
    }
  })
}

absl::StatusOr<v1::Incident> IncidentEngine::Resolve(const Principal& who, int64_t id,
                                                     const std::string& note) {
  if (absl::Status s = MayAct(who); !s.ok()) return s;
  if (absl::Status s = CheckNote(note, true, "a solution note"); !s.ok()) return s;
  PANTAU_ACTION("resolving incident", {
    if (row.state == "resolved") {
      return absl::FailedPreconditionError(absl::StrCat("incident ", id, " is already resolved"));
    }
    if (row.vendor_ticket_open) {
      return absl::FailedPreconditionError(absl::StrCat(
          "incident ", id, " has an open ticket ", row.vendor_ticket, " with ", row.vendor,
          ": record its closing first (pantauctl incidents handoff ", id, " --ticket-closed)"));
    }
    row.state = "resolved";
    row.resolved_at = now;
    row.resolved_by = who.person_id;
    row.resolution = note;
    writes.Event(row, now, who.person_id, "resolved", note);
    if (row.escalation_step > 0) {
      Page page;
      page.kind = MessageKind::kResolved;
      page.roles = RolesUpTo(org.Policy(row.court_id), row.escalation_step);
      page.step = row.escalation_step;
      page.sequence = "resolved";
      pages.push_back(std::move(page));
    }
  })
}

#undef PANTAU_ACTION

// --- maintenance windows ---------------------------------------------------------------------

namespace {

v1::MaintenanceWindow ReadWindow(const pqxx::row& r) {
  v1::MaintenanceWindow w;
  w.set_id(r[0].as<int64_t>());
  w.set_court_id(r[1].as<std::string>());
  w.set_site(r[2].as<std::string>());
  w.set_starts_unix_ms(r[3].as<int64_t>());
  w.set_ends_unix_ms(r[4].as<int64_t>());
  w.set_reason(r[5].as<std::string>());
  w.set_created_by(r[6].as<std::string>());
  return w;
}

constexpr char kWindowColumns[] =
    "window_id, court_id, site, (extract(epoch from starts_at) * 1000)::bigint, "
    "(extract(epoch from ends_at) * 1000)::bigint, reason, created_by";

}  // namespace

absl::StatusOr<v1::MaintenanceWindow> IncidentEngine::AddMaintenance(
    const Principal& who, const v1::AddMaintenanceRequest& request) {
  if (absl::Status s = MayAct(who); !s.ok()) return s;
  if (request.court_id().empty()) return absl::InvalidArgumentError("court_id is required");
  if (!who.CanSee(request.court_id())) {
    return absl::PermissionDeniedError(absl::StrCat("no access to court ", request.court_id()));
  }
  if (absl::Status s = CheckNote(request.reason(), true, "reason"); !s.ok()) return s;
  if (request.site().size() > 128) return absl::InvalidArgumentError("site is longer than 128 bytes");
  const absl::Time now = clock_.Now();
  const absl::Time starts =
      request.starts_unix_ms() > 0 ? absl::FromUnixMillis(request.starts_unix_ms()) : now;
  const absl::Time ends = absl::FromUnixMillis(request.ends_unix_ms());
  if (ends <= starts) return absl::InvalidArgumentError("the window must end after it starts");
  if (ends <= now) return absl::InvalidArgumentError("the window ends in the past");
  if (ends - starts > absl::Hours(24 * 14)) {
    return absl::InvalidArgumentError("a maintenance window may last at most 14 days");
  }
  v1::MaintenanceWindow out;
  absl::Status status = RunTxn(*pool_, "adding maintenance", [&](pqxx::work& txn) {
    pqxx::result r = txn.exec_params(
        std::string("INSERT INTO maintenance_windows (court_id, site, starts_at, ends_at, reason, "
                    "created_by) VALUES ($1, $2, " PANTAU_PG_TIME(3) ", " PANTAU_PG_TIME(4) ", $5, $6) RETURNING ") +
            kWindowColumns,
        request.court_id(), request.site(), absl::ToUnixMicros(starts), absl::ToUnixMicros(ends),
        request.reason(), who.person_id);
    out = ReadWindow(r[0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  PANTAU_LOG(INFO) << "maintenance window " << out.id() << " for " << request.court_id() << "/"
                   << (request.site().empty() ? "*" : request.site()) << " added by "
                   << who.person_id;
  return out;
}

absl::StatusOr<v1::ListMaintenanceResponse> IncidentEngine::ListMaintenance(
    const Principal& who, const v1::ListMaintenanceRequest& request) {
  if (!request.court_id().empty() && !who.CanSee(request.court_id())) {
    return absl::PermissionDeniedError(absl::StrCat("no access to court ", request.court_id()));
  }
  v1::ListMaintenanceResponse out;
  const absl::Time now = clock_.Now();
  out.set_now_unix_ms(absl::ToUnixMillis(now));
  std::vector<std::string> courts(who.visible.begin(), who.visible.end());
  absl::Status status = RunTxn(*pool_, "listing maintenance", [&](pqxx::work& txn) {
    for (const pqxx::row& r : txn.exec_params(
             std::string("SELECT ") + kWindowColumns +
                 " FROM maintenance_windows WHERE ($1 OR court_id = ANY (string_to_array($2, ','))) "
                 "AND ($3 = '' OR court_id = $3) AND ($4 OR ends_at > " PANTAU_PG_TIME(5) ") "
                 "ORDER BY starts_at DESC LIMIT 1000",
             who.all_courts, CourtsText(courts), request.court_id(), request.all(),
             absl::ToUnixMicros(now))) {
      *out.add_windows() = ReadWindow(r);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<v1::MaintenanceWindow> IncidentEngine::EndMaintenance(const Principal& who,
                                                                     int64_t id) {
  if (absl::Status s = MayAct(who); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  v1::MaintenanceWindow out;
  absl::Status status = RunTxn(*pool_, "ending maintenance", [&](pqxx::work& txn) {
    pqxx::result r = txn.exec_params(std::string("SELECT ") + kWindowColumns +
                                         " FROM maintenance_windows WHERE window_id = $1 FOR UPDATE",
                                     id);
    if (r.empty() || !who.CanSee(r[0][1].as<std::string>())) {
      return absl::NotFoundError(absl::StrCat("maintenance window ", id, " not found"));
    }
    pqxx::result updated = txn.exec_params(
        std::string("UPDATE maintenance_windows SET ends_at = greatest(starts_at + interval '1 second', "
                    "least(ends_at, " PANTAU_PG_TIME(2) ")) WHERE window_id = $1 RETURNING ") +
            kWindowColumns,
        id, absl::ToUnixMicros(now));
    out = ReadWindow(updated[0]);
    // Paused escalations of the court's (or site's) incidents resume at once.
    txn.exec_params("UPDATE incidents SET next_action_at = " PANTAU_PG_TIME(3) " WHERE court_id = $1 AND "
                    "($2 = '' OR site = $2) AND state <> 'resolved' AND next_action_at IS NOT NULL",
                    out.court_id(), out.site(), absl::ToUnixMicros(now));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

// --- organisation ----------------------------------------------------------------------------

absl::StatusOr<v1::ApplyOrgResponse> IncidentEngine::ApplyOrg(const Principal& who,
                                                              const OrgSpec& org, bool dry_run) {
  if (!who.IsAdmin()) return absl::PermissionDeniedError("only an admin may apply the organisation");
  v1::ApplyOrgResponse out;
  std::map<std::string, std::string> parent_in_file;
  for (const CourtSpec& c : org.courts) parent_in_file[c.code] = c.parent;
  // A court the admin may manage: one they see, or one whose parent chain (in the file) leads
  // to one they see.
  auto allowed = [&](const std::string& court) {
    if (court == "*") return who.all_courts;
    std::string c = court;
    for (int depth = 0; depth < 16 && !c.empty(); ++depth) {
      if (who.CanSee(c)) return true;
      auto it = parent_in_file.find(c);
      if (it == parent_in_file.end()) return false;
      c = it->second;
    }
    return false;
  };
  for (const CourtSpec& c : org.courts) {
    if (!allowed(c.code)) {
      return absl::PermissionDeniedError(absl::StrCat("line ", c.line, ": no access to court ", c.code));
    }
  }
  for (const PersonSpec& p : org.people) {
    for (const std::string& c : p.courts) {
      if (!allowed(c)) {
        return absl::PermissionDeniedError(
            absl::StrCat("line ", p.line, ": person ", p.id, ": no access to court ", c));
      }
    }
  }
  for (const ActingSpec& a : org.acting) {
    if (!allowed(a.court)) {
      return absl::PermissionDeniedError(absl::StrCat("line ", a.line, ": no access to court ", a.court));
    }
  }
  for (const PolicySpec& p : org.policies) {
    if (!allowed(p.court)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "line ", p.line, ": no access to court ", p.court == "*" ? "* (the default policy)" : p.court));
    }
  }
  absl::Status status = RunTxn(*pool_, "applying organisation", [&](pqxx::work& txn) -> absl::Status {
    auto known_court = [&](const std::string& code) {
      if (code == "*" || parent_in_file.count(code) > 0) return true;
      return !txn.exec_params("SELECT 1 FROM courts WHERE court_id = $1", code).empty();
    };
    // (inserted, changed) from "RETURNING (xmax = 0)" of an upsert that skips unchanged rows.
    auto record = [&](const pqxx::result& r, const std::string& what) {
      if (r.empty()) return;
      out.add_changes(absl::StrCat(what, r[0][0].as<bool>() ? " added" : " updated"));
    };
    for (const CourtSpec& c : org.courts) {
      if (!c.parent.empty() && !known_court(c.parent)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", c.line, ": court ", c.code, ": parent ", c.parent, " is not known"));
      }
      record(txn.exec_params(
                 "INSERT INTO courts (court_id, name, court_type, parent_id, time_zone) "
                 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (court_id) DO UPDATE SET name = $2, "
                 "court_type = $3, parent_id = $4, time_zone = $5, updated_at = now() "
                 "WHERE (courts.name, courts.court_type, courts.parent_id, courts.time_zone) "
                 "IS DISTINCT FROM ($2, $3, $4, $5) RETURNING (xmax = 0)",
                 c.code, c.name, c.type, c.parent, c.time_zone),
             absl::StrCat("court ", c.code));
      out.set_courts(out.courts() + 1);
      for (const SiteSpec& s : c.sites) {
        record(txn.exec_params(
                   "INSERT INTO sites (court_id, site, name, url) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (court_id, site) DO UPDATE SET name = $3, url = $4 "
                   "WHERE (sites.name, sites.url) IS DISTINCT FROM ($3, $4) RETURNING (xmax = 0)",
                   c.code, s.id, s.name, s.url),
               absl::StrCat("site ", c.code, "/", s.id));
        out.set_sites(out.sites() + 1);
      }
    }
    for (const PersonSpec& p : org.people) {
      for (const std::string& c : p.courts) {
        if (!known_court(c)) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", p.line, ": person ", p.id, ": court ", c, " is not known"));
        }
      }
      // An admin may not take over a person of courts outside their own.
      pqxx::result existing = txn.exec_params(
          "SELECT array_to_string(courts, ',') FROM people WHERE person_id = $1", p.id);
      if (!existing.empty()) {
        for (absl::string_view c : absl::StrSplit(existing[0][0].as<std::string>(), ',',
                                                  absl::SkipEmpty())) {
          if (!allowed(std::string(c))) {
            return absl::PermissionDeniedError(absl::StrCat(
                "line ", p.line, ": person ", p.id, " belongs to court ", c, " outside your courts"));
          }
        }
      }
      record(txn.exec_params(
                 "INSERT INTO people (person_id, name, role, courts, email, telegram_chat_id, "
                 "telegram_user_id, whatsapp, active) VALUES ($1, $2, $3, string_to_array($4, ','), "
                 "$5, $6, $7, $8, $9) ON CONFLICT (person_id) DO UPDATE SET name = $2, role = $3, "
                 "courts = string_to_array($4, ','), email = $5, telegram_chat_id = $6, "
                 "telegram_user_id = $7, whatsapp = $8, active = $9, updated_at = now() "
                 "WHERE (people.name, people.role, people.courts, people.email, "
                 "people.telegram_chat_id, people.telegram_user_id, people.whatsapp, people.active) "
                 "IS DISTINCT FROM ($2, $3, string_to_array($4, ','), $5, $6, $7, $8, $9) "
                 "RETURNING (xmax = 0)",
                 p.id, p.name, p.role, CourtsText(p.courts), p.email, p.telegram_chat_id,
                 p.telegram_user_id, p.whatsapp, p.active),
             absl::StrCat("person ", p.id));
      out.set_people(out.people() + 1);
    }
    for (const ActingSpec& a : org.acting) {
      if (txn.exec_params("SELECT 1 FROM people WHERE person_id = $1", a.person).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", a.line, ": acting: person ", a.person, " is not known"));
      }
      if (!known_court(a.court)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", a.line, ": acting: court ", a.court, " is not known"));
      }
      record(txn.exec_params(
                 "INSERT INTO acting (person_id, court_id, role, title, from_day, to_day) "
                 "VALUES ($1, $2, $3, $4, $5::date, $6::date) ON CONFLICT (person_id, court_id, "
                 "role, from_day) DO UPDATE SET title = $4, to_day = $6::date "
                 "WHERE (acting.title, acting.to_day) IS DISTINCT FROM ($4, $6::date) "
                 "RETURNING (xmax = 0)",
                 a.person, a.court, a.role, a.title, absl::FormatCivilTime(a.from),
                 absl::FormatCivilTime(a.to)),
             absl::StrCat("acting ", a.title, " ", a.role, "@", a.court, " ", a.person));
      out.set_acting(out.acting() + 1);
    }
    for (const PolicySpec& p : org.policies) {
      if (!known_court(p.court)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", p.line, ": policy: court ", p.court, " is not known"));
      }
      record(txn.exec_params(
                 "INSERT INTO escalation_policies (court_id, steps, reminder_minutes, "
                 "situation_minutes) VALUES ($1, $2, $3, $4) ON CONFLICT (court_id) DO UPDATE "
                 "SET steps = $2, reminder_minutes = $3, situation_minutes = $4 "
                 "WHERE (escalation_policies.steps, escalation_policies.reminder_minutes, "
                 "escalation_policies.situation_minutes) IS DISTINCT FROM ($2, $3, $4) "
                 "RETURNING (xmax = 0)",
                 p.court, incidents_sql::StepsToText(p.steps), p.reminder_minutes,
                 p.situation_minutes),
             absl::StrCat("policy ", p.court));
      out.set_policies(out.policies() + 1);
    }
    if (dry_run) return absl::CancelledError("dry run");
    return absl::OkStatus();
  });
  if (dry_run && absl::IsCancelled(status)) return out;
  if (!status.ok()) return status;
  PANTAU_LOG(INFO) << "organisation applied by " << who.person_id << ": " << out.changes_size()
                   << " changes";
  return out;
}

absl::StatusOr<v1::ListPeopleResponse> IncidentEngine::ListPeople(const Principal& who,
                                                                  const std::string& court_id) {
  if (!court_id.empty() && !who.CanSee(court_id)) {
    return absl::PermissionDeniedError(absl::StrCat("no access to court ", court_id));
  }
  v1::ListPeopleResponse out;
  absl::Status status = RunTxn(*pool_, "listing people", [&](pqxx::work& txn) {
    for (const pqxx::row& r : txn.exec(
             "SELECT person_id, name, role, array_to_string(courts, ','), email <> '', "
             "telegram_chat_id <> '', whatsapp <> '', active, token_hash IS NOT NULL "
             "FROM people ORDER BY person_id")) {
      std::vector<std::string> courts =
          absl::StrSplit(r[3].as<std::string>(), ',', absl::SkipEmpty());
      const bool visible =
          who.all_courts || std::any_of(courts.begin(), courts.end(), [&](const std::string& c) {
            return who.CanSee(c);
          });
      if (!visible) continue;
      if (!court_id.empty() && std::find(courts.begin(), courts.end(), court_id) == courts.end()) {
        continue;
      }
      v1::Person* p = out.add_people();
      p->set_id(r[0].as<std::string>());
      p->set_name(r[1].as<std::string>());
      p->set_role(r[2].as<std::string>());
      for (const std::string& c : courts) p->add_courts(c);
      if (r[4].as<bool>()) p->add_channels("email");
      if (r[5].as<bool>()) p->add_channels("telegram");
      if (r[6].as<bool>()) p->add_channels("whatsapp");
      p->set_active(r[7].as<bool>());
      p->set_has_token(r[8].as<bool>());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::string> IncidentEngine::IssueToken(const Principal& who,
                                                       const std::string& person_id) {
  if (!who.IsAdmin()) return absl::PermissionDeniedError("only an admin may issue tokens");
  const std::string token = NewToken();
  if (token.empty()) return absl::InternalError("no random bytes for a token");
  absl::Status status = RunTxn(*pool_, "issuing a token", [&](pqxx::work& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "SELECT array_to_string(courts, ',') FROM people WHERE person_id = $1 FOR UPDATE",
        person_id);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("person ", person_id, " not found"));
    for (absl::string_view c : absl::StrSplit(r[0][0].as<std::string>(), ',', absl::SkipEmpty())) {
      const std::string court(c);
      if (!(court == "*" ? who.all_courts : who.CanSee(court))) {
        return absl::PermissionDeniedError(
            absl::StrCat("person ", person_id, " belongs to court ", court, " outside your courts"));
      }
    }
    txn.exec_params("UPDATE people SET token_hash = $2, updated_at = now() WHERE person_id = $1",
                    person_id, HashToken(token));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  PANTAU_LOG(INFO) << "token issued for " << person_id << " by " << who.person_id;
  return token;
}

absl::StatusOr<std::string> IncidentEngine::BootstrapAdmin(const std::string& person_id,
                                                           const std::string& name) {
  const std::string token = NewToken();
  if (token.empty()) return absl::InternalError("no random bytes for a token");
  absl::Status status = RunTxn(*pool_, "creating an admin", [&](pqxx::work& txn) {
    txn.exec_params(
        "INSERT INTO people (person_id, name, role, courts, token_hash) "
        "VALUES ($1, $2, 'admin', '{*}', $3) ON CONFLICT (person_id) DO UPDATE SET role = 'admin', "
        "courts = '{*}', token_hash = $3, active = true, updated_at = now()",
        person_id, name.empty() ? person_id : name, HashToken(token));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  PANTAU_LOG(INFO) << "admin " << person_id << " created or given a new token";
  return token;
}

}  // namespace pantau::collector
