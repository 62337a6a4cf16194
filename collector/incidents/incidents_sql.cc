#include "collector/incidents/incidents_sql.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/incidents/messages.h"
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
    US("next_reminder_at") ", " US("next_situation_at") ", " US("next_action_at");
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
  return row;
}

void UpdateIncident(pqxx::work& txn, const IncidentRow& row) {
  txn.exec_params(
      "UPDATE incidents SET severity = $2, state = $3, detail = $4, level = $5, "
      "opened_at = " PANTAU_PG_TIME(6) ", last_signal_at = " PANTAU_PG_TIME(7) ", acknowledged_at = " PANTAU_PG_TIME(8) ", "
      "acknowledged_by = $9, resolved_at = " PANTAU_PG_TIME(10) ", resolved_by = $11, resolution = $12, "
      "vendor = $13, vendor_ticket = $14, vendor_contact = $15, vendor_sla_at = " PANTAU_PG_TIME(16) ", "
      "vendor_ticket_open = $17, flap_count = $18, escalation_step = $19, reminders_sent = $20, "
      "situations_sent = $21, next_reminder_at = " PANTAU_PG_TIME(22) ", next_situation_at = " PANTAU_PG_TIME(23) ", "
      "next_action_at = " PANTAU_PG_TIME(24) " WHERE incident_id = $1",
      row.id, static_cast<int>(row.severity), row.state, row.detail, row.level, ToUs(row.opened_at),
      ToUs(row.last_signal_at), ToUs(row.acknowledged_at), row.acknowledged_by,
      ToUs(row.resolved_at), row.resolved_by, row.resolution, row.vendor, row.vendor_ticket,
      row.vendor_contact, ToUs(row.vendor_sla_at), row.vendor_ticket_open, row.flap_count,
      row.escalation_step, row.reminders_sent, row.situations_sent, ToUs(row.next_reminder_at),
      ToUs(row.next_situation_at), ToUs(row.next_action_at));
}

void InsertEvent(pqxx::work& txn, const IncidentRow& row, absl::Time at, const std::string& actor,
                 const std::string& action, const std::string& note) {
  txn.exec_params("INSERT INTO incident_events (incident_id, court_id, at, actor, action, note) "
                  "VALUES ($1, $2, " PANTAU_PG_TIME(3) ", $4, $5, $6)",
                  row.id, row.court_id, ToUs(at), actor, action, note);
}

const CourtInfo& OrgCache::Court(const std::string& court_id) {
  auto it = courts_.find(court_id);
  if (it != courts_.end()) return it->second;
  CourtInfo info;
  pqxx::result r = txn_.exec_params("SELECT name, time_zone FROM courts WHERE court_id = $1",
                                    court_id);
  if (!r.empty()) {
    info.name = r[0][0].as<std::string>();
    info.time_zone = r[0][1].as<std::string>();
  }
  return courts_.emplace(court_id, std::move(info)).first->second;
}

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

const PolicySpec& OrgCache::Policy(const std::string& court_id) {
  auto it = policies_.find(court_id);
  if (it != policies_.end()) return it->second;
  PolicySpec policy = DefaultPolicy();
  pqxx::result r = txn_.exec_params(
      "SELECT court_id, steps, reminder_minutes, situation_minutes FROM escalation_policies "
      "WHERE court_id = $1 OR court_id = '*' ORDER BY court_id = '*' LIMIT 1",
      court_id);
  if (!r.empty()) {
    std::vector<EscalationStepSpec> steps = StepsFromText(r[0][1].as<std::string>());
    if (!steps.empty()) {
      policy.court = r[0][0].as<std::string>();
      policy.steps = std::move(steps);
      policy.reminder_minutes = std::max(1, r[0][2].as<int>());
      policy.situation_minutes = std::max(1, r[0][3].as<int>());
    }
  }
  return policies_.emplace(court_id, std::move(policy)).first->second;
}

const std::vector<OrgCache::Recipient>& OrgCache::Recipients(const std::string& court_id,
                                                              const std::string& role,
                                                              absl::Time now) {
  const std::string key = absl::StrCat(court_id, "\n", role);
  auto it = recipients_.find(key);
  if (it != recipients_.end()) return it->second;
  // "Today" in the court's zone (acting ranges are whole local days).
  const int offset = TimeZoneOffsetHours(Court(court_id).time_zone);
  const absl::CivilDay today = absl::ToCivilDay(now, absl::FixedTimeZone(offset * 3600));
  pqxx::result r = txn_.exec_params(
      "SELECT person_id, name, email, telegram_chat_id, whatsapp FROM people "
      "WHERE active AND role = $2 AND $1 = ANY (courts) "
      "UNION "
      "SELECT p.person_id, p.name, p.email, p.telegram_chat_id, p.whatsapp "
      "FROM acting a JOIN people p ON p.person_id = a.person_id "
      "WHERE p.active AND a.court_id = $1 AND a.role = $2 AND $3::date BETWEEN a.from_day AND a.to_day "
      "ORDER BY 1",
      court_id, role, absl::FormatCivilTime(today));
  std::vector<Recipient> out;
  for (const pqxx::row& row : r) {
    Recipient rec;
    rec.person_id = row[0].as<std::string>();
    rec.name = row[1].as<std::string>();
    rec.role = role;
    if (!row[2].as<std::string>().empty()) rec.addresses["email"] = row[2].as<std::string>();
    if (!row[3].as<std::string>().empty()) rec.addresses["telegram"] = row[3].as<std::string>();
    if (!row[4].as<std::string>().empty()) rec.addresses["whatsapp"] = row[4].as<std::string>();
    out.push_back(std::move(rec));
  }
  return recipients_.emplace(key, std::move(out)).first->second;
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

int EnqueuePages(pqxx::work& txn, OrgCache& org, const PageContext& ctx, const IncidentRow& row,
                 const std::vector<Page>& pages, absl::Time now) {
  int written = 0;
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
      pqxx::result r = txn.exec_params(
          "INSERT INTO outbox (court_id, incident_id, person_id, channel, address, message_kind, "
          "idempotency_key, subject, body, payload, next_attempt_at, created_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, " PANTAU_PG_TIME(11) ", " PANTAU_PG_TIME(11) ") "
          "ON CONFLICT (idempotency_key) DO NOTHING RETURNING outbox_id",
          row.court_id, row.id, person, channel, address,
          std::string(MessageKindName(page.kind)), key, m.subject, m.text,
          channel == "webhook" ? m.json : std::string(), absl::ToUnixMicros(now));
      written += static_cast<int>(r.size());
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
        InsertEvent(txn, row, now, "pantau", "notify_failed", note);
      }
    }
    for (const std::string& hook : *ctx.webhooks) {
      insert("", "webhook", hook, Key(row, page, absl::StrCat("webhook-", hook), "webhook"));
    }
  }
  return written;
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
  if (row.state != "resolved") {
    out.set_in_maintenance(org.MaintenanceUntil(row.court_id, row.site, now).has_value());
  }
  return out;
}

}  // namespace pantau::collector::incidents_sql
