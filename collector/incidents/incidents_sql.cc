#include "collector/incidents/incidents_sql.h"

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/incidents/messages.h"
#include "collector/store/statements.h"
#include "common/log.h"

namespace pantau::collector::incidents_sql {

std::optional<int64_t> ToUs(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return std::nullopt;
  return absl::ToUnixMicros(t);
}

absl::Time FromUs(const pqxx::field& f, absl::Time if_null) {
  if (f.is_null()) return if_null;
  return absl::FromUnixMicros(f.as<int64_t>());
}

absl::Status RunTxn(PgPool& pool, const std::string& what,
                    const std::function<absl::Status(pqxx::work&)>& fn) {
  absl::StatusOr<PgPool::Lease> lease = pool.Acquire();
  if (!lease.ok()) return lease.status();
  try {
    pqxx::work txn(lease->conn());
    absl::Status status = fn(txn);
    if (!status.ok()) return status;  // rolled back by txn's destructor
    txn.commit();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease->MarkBroken();
    return StatusFromException(e, what);
  }
}

#define US(col) "(extract(epoch from " col ") * 1000000)::bigint"
const char kIncidentColumns[] =
    "incident_id, court_id, site, kind, severity, state, detail, level, " US("opened_at") ", "
    US("last_signal_at") ", " US("acknowledged_at") ", acknowledged_by, " US("resolved_at") ", "
    "resolved_by, resolution, vendor, vendor_ticket, vendor_contact, " US("vendor_sla_at") ", "
    "vendor_ticket_open, flap_count, escalation_step, reminders_sent, situations_sent, "
    US("next_reminder_at") ", " US("next_situation_at") ", " US("next_action_at") ", "
    "restore_known, last_clean_backup_id, " US("last_clean_backup_at") ", restore_command";
#undef US

IncidentRow ReadIncident(const pqxx::row& r) {
  IncidentRow row;
  row.id = r[0].as<int64_t>();
  row.court_id = r[1].as<std::string>();
  row.site = r[2].as<std::string>();
  row.kind = r[3].as<std::string>();
  row.severity = static_cast<IncidentSeverity>(std::clamp(r[4].as<int>(), 1, 3));
  row.state = r[5].as<std::string>();
  row.detail = r[6].as<std::string>();
  row.level = r[7].as<int>();
  row.opened_at = FromUs(r[8], absl::InfinitePast());
  row.last_signal_at = FromUs(r[9], absl::InfinitePast());
  row.acknowledged_at = FromUs(r[10], absl::InfinitePast());
  row.acknowledged_by = r[11].as<std::string>();
  row.resolved_at = FromUs(r[12], absl::InfinitePast());
  row.resolved_by = r[13].as<std::string>();
  row.resolution = r[14].as<std::string>();
  row.vendor = r[15].as<std::string>();
  row.vendor_ticket = r[16].as<std::string>();
  row.vendor_contact = r[17].as<std::string>();
  row.vendor_sla_at = FromUs(r[18], absl::InfinitePast());
  row.vendor_ticket_open = r[19].as<bool>();
  row.flap_count = r[20].as<int>();
  row.escalation_step = r[21].as<int>();
  row.reminders_sent = r[22].as<int>();
  row.situations_sent = r[23].as<int>();
  row.next_reminder_at = FromUs(r[24], absl::InfiniteFuture());
  row.next_situation_at = FromUs(r[25], absl::InfiniteFuture());
  row.next_action_at = FromUs(r[26], absl::InfiniteFuture());
  row.restore_known = r[27].as<bool>();
  row.last_clean_backup_id = r[28].as<std::string>();
  row.last_clean_backup_at = FromUs(r[29], absl::InfinitePast());
  row.restore_command = r[30].as<std::string>();
  return row;
}

namespace {

// bigint[] text form, NULL for nullopt.
std::string PgIntArray(const std::vector<std::optional<int64_t>>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += values[i].has_value() ? absl::StrCat(*values[i]) : "NULL";
  }
  out += '}';
  return out;
}

template <typename T, typename F>
std::string IntColumn(const std::vector<T>& rows, F f) {
  std::vector<std::optional<int64_t>> values;
  values.reserve(rows.size());
  for (const T& r : rows) values.push_back(f(r));
  return PgIntArray(values);
}

template <typename T, typename F>
std::string TextColumn(const std::vector<T>& rows, F f) {
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (const T& r : rows) values.push_back(f(r));
  return PgTextArray(values);
}

}  // namespace

void PendingWrites::Update(const IncidentRow& row) {
  auto [it, added] = update_index_.emplace(row.id, updates_.size());
  if (added) {
    updates_.push_back(row);
  } else {
    updates_[it->second] = row;
  }
}

void PendingWrites::Event(const IncidentRow& row, absl::Time at, const std::string& actor,
                          const std::string& action, const std::string& note) {
  events_.push_back({row.id, row.court_id, absl::ToUnixMicros(at), actor, action, note});
}

void PendingWrites::Outbox(const IncidentRow& row, const std::string& person,
                           const std::string& channel, const std::string& address,
                           absl::string_view message_kind, const std::string& key,
                           const std::string& subject, const std::string& body,
                           const std::string& payload, absl::Time now) {
  outbox_.push_back({row.id, row.court_id, person, channel, address, std::string(message_kind),
                     key, subject, body, payload, absl::ToUnixMicros(now)});
}

#define TS_OF(col) "to_timestamp(u." col " / 1000000.0)"

int PendingWrites::Flush(pqxx::work& txn) {
  using Row = IncidentRow;
  if (!updates_.empty()) {
    const std::vector<Row>& u = updates_;
    txn.exec_params(
        "UPDATE incidents i SET severity = u.severity, state = u.state, detail = u.detail, "
        "level = u.level, opened_at = " TS_OF("opened_at") ", last_signal_at = " TS_OF("last_signal_at")
        ", acknowledged_at = " TS_OF("acknowledged_at") ", acknowledged_by = u.acknowledged_by, "
        "resolved_at = " TS_OF("resolved_at") ", resolved_by = u.resolved_by, "
        "resolution = u.resolution, vendor = u.vendor, vendor_ticket = u.vendor_ticket, "
        "vendor_contact = u.vendor_contact, vendor_sla_at = " TS_OF("vendor_sla_at") ", "
        "vendor_ticket_open = u.vendor_ticket_open <> 0, flap_count = u.flap_count, "
        "escalation_step = u.escalation_step, reminders_sent = u.reminders_sent, "
        "situations_sent = u.situations_sent, next_reminder_at = " TS_OF("next_reminder_at") ", "
        "next_situation_at = " TS_OF("next_situation_at") ", next_action_at = " TS_OF("next_action_at")
        ", restore_known = u.restore_known <> 0, last_clean_backup_id = u.last_clean_backup_id, "
        "last_clean_backup_at = " TS_OF("last_clean_backup_at") ", "
        "restore_command = u.restore_command"
        " FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::int[], $6::bigint[], "
        "$7::bigint[], $8::bigint[], $9::text[], $10::bigint[], $11::text[], $12::text[], "
        "$13::text[], $14::text[], $15::text[], $16::bigint[], $17::bigint[], $18::int[], "
        "$19::int[], $20::int[], $21::int[], $22::bigint[], $23::bigint[], $24::bigint[], "
        "$25::int[], $26::text[], $27::bigint[], $28::text[]) AS "
        "u(id, severity, state, detail, level, opened_at, last_signal_at, acknowledged_at, "
        "acknowledged_by, resolved_at, resolved_by, resolution, vendor, vendor_ticket, "
        "vendor_contact, vendor_sla_at, vendor_ticket_open, flap_count, escalation_step, "
        "reminders_sent, situations_sent, next_reminder_at, next_situation_at, next_action_at, "
        "restore_known, last_clean_backup_id, last_clean_backup_at, restore_command) "
        "WHERE i.incident_id = u.id",
        IntColumn(u, [](const Row& r) { return r.id; }),
        IntColumn(u, [](const Row& r) { return static_cast<int64_t>(r.severity); }),
        TextColumn(u, [](const Row& r) { return r.state; }),
        TextColumn(u, [](const Row& r) { return r.detail; }),
        IntColumn(u, [](const Row& r) { return r.level; }),
        IntColumn(u, [](const Row& r) { return ToUs(r.opened_at); }),
        IntColumn(u, [](const Row& r) { return ToUs(r.last_signal_at); }),
        IntColumn(u, [](const Row& r) { return ToUs(r.acknowledged_at); }),
        TextColumn(u, [](const Row& r) { return r.acknowledged_by; }),
        IntColumn(u, [](const Row& r) { return ToUs(r.resolved_at); }),
        TextColumn(u, [](const Row& r) { return r.resolved_by; }),
        TextColumn(u, [](const Row& r) { return r.resolution; }),
        TextColumn(u, [](const Row& r) { return r.vendor; }),
        TextColumn(u, [](const Row& r) { return r.vendor_ticket; }),
        TextColumn(u, [](const Row& r) { return r.vendor_contact; }),
        IntColumn(u, [](const Row& r) { return ToUs(r.vendor_sla_at); }),
        // bigint 0/1, cast below: bool[] has no text form shared with the helpers.
        IntColumn(u, [](const Row& r) { return r.vendor_ticket_open ? 1 : 0; }),
        IntColumn(u, [](const Row& r) { return r.flap_count; }),
        IntColumn(u, [](const Row& r) { return r.escalation_step; }),
        IntColumn(u, [](const Row& r) { return r.reminders_sent; }),
        IntColumn(u, [](const Row& r) { return r.situations_sent; }),
        IntColumn(u, [](const Row& r) { return ToUs(r.next_reminder_at); }),
        IntColumn(u, [](const Row& r) { return ToUs(r.next_situation_at); }),
        IntColumn(u, [](const Row& r) { return ToUs(r.next_action_at); }),
        IntColumn(u, [](const Row& r) { return r.restore_known ? 1 : 0; }),
        TextColumn(u, [](const Row& r) { return r.last_clean_backup_id; }),
        IntColumn(u, [](const Row& r) { return ToUs(r.last_clean_backup_at); }),
        TextColumn(u, [](const Row& r) { return r.restore_command; }));
  }
  if (!events_.empty()) {
    const std::vector<EventRow>& e = events_;
    txn.exec_params(
        "INSERT INTO incident_events (incident_id, court_id, at, actor, action, note) "
        "SELECT u.id, u.court, " TS_OF("at") ", u.actor, u.action, u.note FROM unnest($1::bigint[], "
        "$2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS "
        "u(id, court, at, actor, action, note, n) ORDER BY u.n",
        IntColumn(e, [](const EventRow& r) { return r.incident_id; }),
        TextColumn(e, [](const EventRow& r) { return r.court_id; }),
        IntColumn(e, [](const EventRow& r) { return r.at_us; }),
        TextColumn(e, [](const EventRow& r) { return r.actor; }),
        TextColumn(e, [](const EventRow& r) { return r.action; }),
        TextColumn(e, [](const EventRow& r) { return r.note; }));
  }
  int inserted = 0;
  if (!outbox_.empty()) {
    const std::vector<OutboxRow>& o = outbox_;
    pqxx::result r = txn.exec_params(
        "INSERT INTO outbox (court_id, incident_id, person_id, channel, address, message_kind, "
        "idempotency_key, subject, body, payload, next_attempt_at, created_at) "
        "SELECT u.court, u.id, u.person, u.channel, u.address, u.kind, u.key, u.subject, u.body, "
        "u.payload, " TS_OF("at") ", " TS_OF("at") " FROM unnest($1::text[], $2::bigint[], "
        "$3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
        "$10::text[], $11::bigint[]) WITH ORDINALITY AS u(court, id, person, channel, address, "
        "kind, key, subject, body, payload, at, n) ORDER BY u.n "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        TextColumn(o, [](const OutboxRow& r) { return r.court_id; }),
        IntColumn(o, [](const OutboxRow& r) { return r.incident_id; }),
        TextColumn(o, [](const OutboxRow& r) { return r.person; }),
        TextColumn(o, [](const OutboxRow& r) { return r.channel; }),
        TextColumn(o, [](const OutboxRow& r) { return r.address; }),
        TextColumn(o, [](const OutboxRow& r) { return r.kind; }),
        TextColumn(o, [](const OutboxRow& r) { return r.key; }),
        TextColumn(o, [](const OutboxRow& r) { return r.subject; }),
        TextColumn(o, [](const OutboxRow& r) { return r.body; }),
        TextColumn(o, [](const OutboxRow& r) { return r.payload; }),
        IntColumn(o, [](const OutboxRow& r) { return r.at_us; }));
    inserted = static_cast<int>(r.affected_rows());
  }
  updates_.clear();
  update_index_.clear();
  events_.clear();
  outbox_.clear();
  return inserted;
}

#undef TS_OF

std::string StepsToText(const std::vector<EscalationStepSpec>& steps) {
  std::vector<std::string> parts;
  for (const EscalationStepSpec& s : steps) {
    parts.push_back(absl::StrCat(s.role, "/", s.after_minutes, "/", s.until));
  }
  return absl::StrJoin(parts, ",");
}

std::vector<EscalationStepSpec> StepsFromText(const std::string& text) {
  std::vector<EscalationStepSpec> steps;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(part, '/');
    if (f.size() != 3) continue;
    EscalationStepSpec s;
    s.role = f[0];
    if (!absl::SimpleAtoi(f[1], &s.after_minutes)) continue;
    s.until = f[2];
    steps.push_back(std::move(s));
  }
  return steps;
}

void OrgCache::LoadCourts(const std::vector<std::string>& courts) {
  const std::string list = PgTextArray(courts);
  for (const std::string& c : courts) courts_.try_emplace(c);
  for (const pqxx::row& r : txn_.exec_params(
           "SELECT court_id, name, time_zone FROM courts WHERE court_id = ANY ($1::text[])", list)) {
    CourtInfo& info = courts_[r[0].as<std::string>()];
    info.name = r[1].as<std::string>();
    info.time_zone = r[2].as<std::string>();
  }
  std::map<std::string, PolicySpec> stored;
  for (const pqxx::row& r : txn_.exec_params(
           "SELECT court_id, steps, reminder_minutes, situation_minutes FROM escalation_policies "
           "WHERE court_id = ANY ($1::text[]) OR court_id = '*'",
           list)) {
    std::vector<EscalationStepSpec> steps = StepsFromText(r[1].as<std::string>());
    if (steps.empty()) continue;
    PolicySpec policy;
    policy.court = r[0].as<std::string>();
    policy.steps = std::move(steps);
    policy.reminder_minutes = std::max(1, r[2].as<int>());
    policy.situation_minutes = std::max(1, r[3].as<int>());
    stored.emplace(policy.court, std::move(policy));
  }
  // The court's own policy, else the "*" one, else the SOP's.
  for (const std::string& c : courts) {
    auto own = stored.find(c);
    auto any = stored.find("*");
    policies_.try_emplace(c, own != stored.end()   ? own->second
                             : any != stored.end() ? any->second
                                                   : DefaultPolicy());
  }
}

void OrgCache::LoadRecipients(const std::vector<std::string>& courts, absl::Time now) {
  std::vector<std::string> missing;
  for (const std::string& c : courts) {
    if (courts_.count(c) == 0 || policies_.count(c) == 0) missing.push_back(c);
  }
  if (!missing.empty()) LoadCourts(missing);
  // "Today" differs between WIB, WITA and WIT: acting rows of any of those days are read, and
  // each court keeps those of its own day (acting ranges are whole local days).
  auto today = [&](const std::string& court) {
    const int offset = TimeZoneOffsetHours(courts_[court].time_zone);
    return absl::ToCivilDay(now, absl::FixedTimeZone(offset * 3600));
  };
  const absl::CivilDay earliest = absl::ToCivilDay(now, absl::FixedTimeZone(0));
  const absl::CivilDay latest = absl::ToCivilDay(now, absl::FixedTimeZone(9 * 3600));
  std::map<std::string, std::map<std::string, Recipient>> found;  // court\nrole → person → it
  for (const std::string& c : courts) {
    for (const char* role : {"staf", "kasubbag", "sekretaris", "admin"}) {
      found[absl::StrCat(c, "\n", role)];
    }
  }
  for (const pqxx::row& r : txn_.exec_params(
           "SELECT c, p.role, p.person_id, p.name, p.email, p.telegram_chat_id, p.whatsapp, "
           "NULL::text, NULL::text FROM people p, unnest(p.courts) AS c "
           "WHERE p.active AND c = ANY ($1::text[]) "
           "UNION ALL "
           "SELECT a.court_id, a.role, p.person_id, p.name, p.email, p.telegram_chat_id, "
           "p.whatsapp, a.from_day::text, a.to_day::text FROM acting a JOIN people p "
           "ON p.person_id = a.person_id WHERE p.active AND a.court_id = ANY ($1::text[]) "
           "AND a.to_day >= $2::date AND a.from_day <= $3::date",
           PgTextArray(courts), absl::FormatCivilTime(earliest), absl::FormatCivilTime(latest))) {
    const std::string court = r[0].as<std::string>();
    if (!r[7].is_null()) {
      const std::string day = absl::FormatCivilTime(today(court));
      if (day < r[7].as<std::string>() || day > r[8].as<std::string>()) continue;
    }
    Recipient rec;
    rec.role = r[1].as<std::string>();
    rec.person_id = r[2].as<std::string>();
    rec.name = r[3].as<std::string>();
    if (!r[4].as<std::string>().empty()) rec.addresses["email"] = r[4].as<std::string>();
    if (!r[5].as<std::string>().empty()) rec.addresses["telegram"] = r[5].as<std::string>();
    if (!r[6].as<std::string>().empty()) rec.addresses["whatsapp"] = r[6].as<std::string>();
    found[absl::StrCat(court, "\n", rec.role)].emplace(rec.person_id, rec);
  }
  for (auto& [key, people] : found) {
    std::vector<Recipient>& out = recipients_[key];
    out.clear();
    for (auto& [id, rec] : people) out.push_back(std::move(rec));  // by person id
  }
  recipients_loaded_.insert(courts.begin(), courts.end());
}

void OrgCache::Preload(const std::vector<std::string>& courts, absl::Time now) {
  if (courts.empty()) return;
  LoadCourts(courts);
  LoadRecipients(courts, now);
}

const CourtInfo& OrgCache::Court(const std::string& court_id) {
  if (courts_.count(court_id) == 0) LoadCourts({court_id});
  return courts_[court_id];
}

const PolicySpec& OrgCache::Policy(const std::string& court_id) {
  if (policies_.count(court_id) == 0) LoadCourts({court_id});
  return policies_[court_id];
}

const std::vector<OrgCache::Recipient>& OrgCache::Recipients(const std::string& court_id,
                                                              const std::string& role,
                                                              absl::Time now) {
  if (recipients_loaded_.count(court_id) == 0) LoadRecipients({court_id}, now);
  return recipients_[absl::StrCat(court_id, "\n", role)];
}

std::optional<absl::Time> OrgCache::MaintenanceUntil(const std::string& court_id,
                                                     const std::string& site, absl::Time now) {
  // Every window open at `now`, read once per transaction (a sweep asks for many incidents).
  if (!maintenance_loaded_ || maintenance_at_ != now) {
    maintenance_.clear();
    for (const pqxx::row& r : txn_.exec_params(
             "SELECT court_id, site, (extract(epoch from max(ends_at)) * 1000000)::bigint "
             "FROM maintenance_windows WHERE starts_at <= " PANTAU_PG_TIME(1) " AND ends_at > " PANTAU_PG_TIME(1)
             " GROUP BY court_id, site",
             absl::ToUnixMicros(now))) {
      maintenance_[{r[0].as<std::string>(), r[1].as<std::string>()}] =
          absl::FromUnixMicros(r[2].as<int64_t>());
    }
    maintenance_loaded_ = true;
    maintenance_at_ = now;
  }
  std::optional<absl::Time> until;
  for (const std::string& key : {std::string(), site}) {
    auto it = maintenance_.find({court_id, key});
    if (it != maintenance_.end()) until = std::max(until.value_or(it->second), it->second);
  }
  return until;
}

namespace {

IncidentView MakeView(const IncidentRow& row, OrgCache& org, const PolicySpec& policy,
                      absl::Time now) {
  IncidentView v;
  v.id = row.id;
  v.court_id = row.court_id;
  const CourtInfo& court = org.Court(row.court_id);
  v.court_name = court.name;
  v.time_zone = court.time_zone;
  v.site = row.site;
  v.kind = row.kind;
  v.severity = row.severity;
  v.state = row.state;
  v.detail = row.detail;
  v.opened_at = row.opened_at;
  v.now = now;
  v.step = row.escalation_step;
  if (row.escalation_step > 0 && row.escalation_step <= static_cast<int>(policy.steps.size())) {
    v.step_role = policy.steps[row.escalation_step - 1].role;
  }
  v.acknowledged_by = row.acknowledged_by;
  v.acknowledged_at = row.acknowledged_at;
  v.vendor = row.vendor;
  v.vendor_ticket = row.vendor_ticket;
  v.vendor_contact = row.vendor_contact;
  v.vendor_sla_until = row.vendor_sla_at;
  v.resolution = row.resolution;
  v.resolved_by = row.resolved_by;
  v.restore_known = row.restore_known;
  v.last_clean_backup_id = row.last_clean_backup_id;
  v.last_clean_backup_at = row.last_clean_backup_at;
  v.restore_command = row.restore_command;
  return v;
}

// Sequence numbers restart when an incident reopens; the flap count keeps keys unique.
std::string Key(const IncidentRow& row, const Page& page, const std::string& who,
                const std::string& channel) {
  return absl::StrCat("i", row.id, ".f", row.flap_count, ".", page.sequence, ".", who, ".",
                      channel);
}

bool Flapping(const IncidentRow& row, const PageContext& ctx) {
  return row.flap_count >= ctx.flap_page_limit;
}

}  // namespace

void EnqueuePages(PendingWrites& writes, OrgCache& org, const PageContext& ctx,
                  const IncidentRow& row, const std::vector<Page>& pages, absl::Time now) {
  const PolicySpec& policy = org.Policy(row.court_id);
  const Runbook* runbook = ctx.catalog->FindRunbook(row.kind);
  for (const Page& page : pages) {
    // A flapping incident pages only the sekretaris's situation updates.
    if (Flapping(row, ctx) && page.kind != MessageKind::kSituation) continue;
    IncidentView view = MakeView(row, org, policy, now);
    if (page.step > 0 && page.step <= static_cast<int>(policy.steps.size())) {
      view.step = page.step;
      view.step_role = policy.steps[page.step - 1].role;
    }
    std::map<std::string, RenderedMessage> by_channel;
    auto rendered = [&](const std::string& channel) -> const RenderedMessage& {
      auto it = by_channel.find(channel);
      if (it != by_channel.end()) return it->second;
      view.channel = channel;
      return by_channel.emplace(channel, RenderMessage(page.kind, view, runbook)).first->second;
    };
    auto insert = [&](const std::string& person, const std::string& channel,
                      const std::string& address, const std::string& key) {
      const RenderedMessage& m = rendered(channel);
      writes.Outbox(row, person, channel, address, MessageKindName(page.kind), key, m.subject,
                    m.text, channel == "webhook" ? m.json : std::string(), now);
    };
    for (const std::string& role : page.roles) {
      const std::vector<OrgCache::Recipient>& people = org.Recipients(row.court_id, role, now);
      int reachable = 0;
      for (const OrgCache::Recipient& person : people) {
        for (const std::string& channel : *ctx.channels) {
          auto address = person.addresses.find(channel);
          if (address == person.addresses.end()) continue;
          ++reachable;
          insert(person.person_id, channel, address->second,
                 Key(row, page, person.person_id, channel));
        }
      }
      if (reachable == 0) {
        // Visible in the timeline and the log: a role nobody can be paged for.
        const std::string note = absl::StrCat("tidak ada penerima untuk peran ", role, " di ",
                                              row.court_id, " (", MessageKindName(page.kind), ")");
        PANTAU_LOG(WARNING) << "incident " << row.id << ": nobody to page for role " << role
                            << " at court " << row.court_id;
        writes.Event(row, now, "pantau", "notify_failed", note);
      }
    }
    for (const std::string& hook : *ctx.webhooks) {
      insert("", "webhook", hook, Key(row, page, absl::StrCat("webhook-", hook), "webhook"));
    }
  }
}

v1::Incident ToProto(const IncidentRow& row, const IncidentCatalog& catalog, OrgCache& org,
                     absl::Time now) {
  v1::Incident out;
  out.set_id(row.id);
  out.set_court_id(row.court_id);
  const CourtInfo& court = org.Court(row.court_id);
  out.set_court_name(court.name);
  out.set_time_zone(court.time_zone);
  out.set_site(row.site);
  out.set_kind(row.kind);
  out.set_severity(std::string(IncidentSeverityName(row.severity)));
  out.set_state(row.state);
  if (const Runbook* rb = catalog.FindRunbook(row.kind)) out.set_title(rb->title);
  out.set_detail(row.detail);
  out.set_opened_unix_ms(absl::ToUnixMillis(row.opened_at));
  out.set_last_signal_unix_ms(absl::ToUnixMillis(row.last_signal_at));
  if (row.acknowledged_at != absl::InfinitePast()) {
    out.set_acknowledged_unix_ms(absl::ToUnixMillis(row.acknowledged_at));
  }
  out.set_acknowledged_by(row.acknowledged_by);
  if (row.resolved_at != absl::InfinitePast()) {
    out.set_resolved_unix_ms(absl::ToUnixMillis(row.resolved_at));
  }
  out.set_resolved_by(row.resolved_by);
  out.set_resolution(row.resolution);
  out.set_escalation_step(row.escalation_step);
  const PolicySpec& policy = org.Policy(row.court_id);
  if (row.escalation_step > 0 && row.escalation_step <= static_cast<int>(policy.steps.size())) {
    out.set_escalation_role(policy.steps[row.escalation_step - 1].role);
  }
  if (row.next_action_at != absl::InfiniteFuture()) {
    out.set_next_action_unix_ms(absl::ToUnixMillis(row.next_action_at));
  }
  out.set_vendor(row.vendor);
  out.set_vendor_ticket(row.vendor_ticket);
  out.set_vendor_contact(row.vendor_contact);
  if (row.vendor_sla_at != absl::InfinitePast()) {
    out.set_vendor_sla_unix_ms(absl::ToUnixMillis(row.vendor_sla_at));
  }
  out.set_vendor_ticket_open(row.vendor_ticket_open);
  out.set_level(row.level);
  out.set_flap_count(row.flap_count);
  if (row.restore_known) {
    out.set_restore_known(true);
    out.set_last_clean_backup_id(row.last_clean_backup_id);
    if (row.last_clean_backup_at != absl::InfinitePast()) {
      out.set_last_clean_backup_unix_ms(absl::ToUnixMillis(row.last_clean_backup_at));
    }
    out.set_restore_command(row.restore_command);
  }
  if (row.state != "resolved") {
    out.set_in_maintenance(org.MaintenanceUntil(row.court_id, row.site, now).has_value());
  }
  return out;
}

}  // namespace pantau::collector::incidents_sql
