// pantauctl incidents: list, show, ack, note, handoff, resolve.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/ctl/command.h"
#include "collector/ctl/ctl.h"
#include "common/json_writer.h"

namespace pantau::ctl {
namespace {

void WriteIncident(JsonWriter& w, const v1::Incident& i) {
  w.BeginObject()
      .Key("id").Int(i.id())
      .Key("court_id").String(i.court_id())
      .Key("court_name").String(i.court_name())
      .Key("time_zone").String(i.time_zone())
      .Key("site").String(i.site())
      .Key("kind").String(i.kind())
      .Key("severity").String(i.severity())
      .Key("state").String(i.state())
      .Key("title").String(i.title())
      .Key("detail").String(i.detail())
      .Key("opened_unix_ms").Int(i.opened_unix_ms())
      .Key("last_signal_unix_ms").Int(i.last_signal_unix_ms())
      .Key("acknowledged_unix_ms").Int(i.acknowledged_unix_ms())
      .Key("acknowledged_by").String(i.acknowledged_by())
      .Key("resolved_unix_ms").Int(i.resolved_unix_ms())
      .Key("resolved_by").String(i.resolved_by())
      .Key("resolution").String(i.resolution())
      .Key("escalation_step").Int(i.escalation_step())
      .Key("escalation_role").String(i.escalation_role())
      .Key("next_action_unix_ms").Int(i.next_action_unix_ms())
      .Key("vendor").String(i.vendor())
      .Key("vendor_ticket").String(i.vendor_ticket())
      .Key("vendor_contact").String(i.vendor_contact())
      .Key("vendor_sla_unix_ms").Int(i.vendor_sla_unix_ms())
      .Key("vendor_ticket_open").Bool(i.vendor_ticket_open())
      .Key("level").Int(i.level())
      .Key("flap_count").Int(i.flap_count())
      .Key("in_maintenance").Bool(i.in_maintenance());
  if (i.restore_known()) {
    w.Key("restore").BeginObject()
        .Key("last_clean_backup_id").String(i.last_clean_backup_id())
        .Key("last_clean_backup_unix_ms").Int(i.last_clean_backup_unix_ms())
        .Key("restore_command").String(i.restore_command())
        .EndObject();
  }
  w.EndObject();
}

// "2 kasubbag": the escalation step reached and its role; "-" before the first page.
std::string StepCell(const v1::Incident& i) {
  if (i.escalation_step() <= 0) return "-";
  return i.escalation_role().empty() ? absl::StrCat(i.escalation_step())
                                     : absl::StrCat(i.escalation_step(), " ", i.escalation_role());
}

// Who holds it: the third party while their ticket is open, else who acknowledged it.
std::string HolderCell(const v1::Incident& i) {
  if (i.vendor_ticket_open()) return absl::StrCat(i.vendor(), " ", i.vendor_ticket());
  return i.acknowledged_by().empty() ? "-" : i.acknowledged_by();
}

// Marks before the title: maintenance, flapping.
std::string Marks(const v1::Incident& i) {
  std::string marks;
  if (i.in_maintenance()) absl::StrAppend(&marks, "[maintenance] ");
  if (i.flap_count() > 0) absl::StrAppend(&marks, "[flapping x", i.flap_count(), "] ");
  return marks;
}

// `text` broken at spaces into lines of at most `width` bytes (longer words stay whole), each
// line after `indent`.
std::string Wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      absl::StrAppend(&out, indent, line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&out, indent, line, "\n");
  return out;
}

}  // namespace

std::string IncidentsJson(const v1::ListIncidentsResponse& incidents) {
  JsonWriter w;
  w.BeginObject().Key("incidents").BeginArray();
  for (const v1::Incident& i : incidents.incidents()) WriteIncident(w, i);
  w.EndArray()
      .Key("truncated").Bool(incidents.truncated())
      .Key("now_unix_ms").Int(incidents.now_unix_ms())
      .EndObject();
  return w.str();
}

std::string IncidentsTable(const v1::ListIncidentsResponse& incidents, bool all) {
  if (incidents.incidents().empty()) {
    return all ? "no incidents\n" : "no open incidents (--all lists resolved ones too)\n";
  }
  constexpr char kRow[] = "%6s %-8s %-12s %-14s %-20s %-22s %6s %-14s %-20s  %s\n";
  std::string out = absl::StrFormat(kRow, "ID", "SEVERITY", "STATE", "COURT", "SITE", "KIND",
                                    "OPENED", "STEP", "ACK BY / VENDOR", "TITLE");
  for (const v1::Incident& i : incidents.incidents()) {
    absl::StrAppend(
        &out, absl::StrFormat(kRow, absl::StrCat(i.id()), i.severity(), i.state(),
                              Cut(i.court_id(), 14), Cut(i.site(), 20), Cut(i.kind(), 22),
                              AgeAt(i.opened_unix_ms(), incidents.now_unix_ms()), StepCell(i),
                              Cut(HolderCell(i), 20), absl::StrCat(Marks(i), i.title())));
  }
  if (incidents.truncated()) {
    absl::StrAppend(&out, "(more incidents match: use --limit, --court or --site to see them)\n");
  }
  return out;
}

int UnresolvedCriticalIncidents(const v1::ListIncidentsResponse& incidents) {
  int n = 0;
  for (const v1::Incident& i : incidents.incidents()) {
    if (i.severity() == "critical" && i.state() != "resolved") ++n;
  }
  return n;
}

std::string IncidentStateLine(const v1::Incident& i) {
  std::string state;
  if (i.state() == "acknowledged") {
    state = i.acknowledged_by().empty() ? "acknowledged"
                                        : absl::StrCat("acknowledged by ", i.acknowledged_by());
  } else if (i.state() == "handed_off") {
    state = absl::StrCat("handed off to ", i.vendor(), ", ticket ", i.vendor_ticket());
  } else if (i.state() == "resolved") {
    state = i.resolved_by().empty() ? "resolved" : absl::StrCat("resolved by ", i.resolved_by());
  } else {
    state = i.state();
  }
  return absl::StrCat("incident ", i.id(), ": ", state);
}

std::string IncidentJson(const v1::GetIncidentResponse& incident) {
  JsonWriter w;
  w.BeginObject().Key("incident");
  WriteIncident(w, incident.incident());
  const v1::Runbook& rb = incident.runbook();
  w.Key("runbook").BeginObject()
      .Key("title").String(rb.title())
      .Key("summary").String(rb.summary())
      .Key("steps").BeginArray();
  for (const std::string& step : rb.steps()) w.String(step);
  w.EndArray().Key("third_party").String(rb.third_party()).EndObject();
  w.Key("events").BeginArray();
  for (const v1::IncidentEvent& e : incident.events()) {
    w.BeginObject()
        .Key("at_unix_ms").Int(e.at_unix_ms())
        .Key("actor").String(e.actor())
        .Key("action").String(e.action())
        .Key("note").String(e.note())
        .EndObject();
  }
  w.EndArray().Key("notifications").BeginArray();
  for (const v1::NotificationRecord& n : incident.notifications()) {
    w.BeginObject()
        .Key("id").Int(n.id())
        .Key("channel").String(n.channel())
        .Key("person_id").String(n.person_id())
        .Key("message_kind").String(n.message_kind())
        .Key("state").String(n.state())
        .Key("attempts").Int(n.attempts())
        .Key("last_error").String(n.last_error())
        .Key("created_unix_ms").Int(n.created_unix_ms())
        .Key("sent_unix_ms").Int(n.sent_unix_ms())
        .EndObject();
  }
  w.EndArray().Key("now_unix_ms").Int(incident.now_unix_ms()).EndObject();
  return w.str();
}

std::string IncidentDetail(const v1::GetIncidentResponse& incident) {
  const v1::Incident& i = incident.incident();
  const CourtZone zone = ZoneOf(i.time_zone());
  const int64_t now = incident.now_unix_ms();
  auto when = [&](int64_t unix_ms) { return FormatTimeIn(unix_ms, zone); };
  auto ago = [&](int64_t unix_ms) { return absl::StrCat(AgeAt(unix_ms, now), " ago"); };
  std::string out = absl::StrCat("incident ", i.id(), ": ",
                                 i.title().empty() ? i.kind() : i.title(), "\n");
  auto field = [&out](absl::string_view name, const std::string& value) {
    absl::StrAppend(&out, absl::StrFormat("  %-12s %s\n", name, value));
  };
  field("court", i.court_name().empty() ? i.court_id()
                                        : absl::StrCat(i.court_id(), " (", i.court_name(), ")"));
  field("site", i.site());
  field("kind", absl::StrCat(i.kind(), ", severity ", i.severity(),
                             i.level() > 0 ? absl::StrCat(" (level ", i.level(), ")") : ""));
  std::string state = i.state();
  if (i.acknowledged_unix_ms() > 0) {
    absl::StrAppend(&state, ", acknowledged by ", i.acknowledged_by(), " at ",
                    when(i.acknowledged_unix_ms()));
  }
  field("state", state);
  field("opened", absl::StrCat(when(i.opened_unix_ms()), " (", ago(i.opened_unix_ms()),
                               "), last signal ", when(i.last_signal_unix_ms()), " (",
                               ago(i.last_signal_unix_ms()), ")"));
  std::string escalation = "nobody paged yet";
  if (i.escalation_step() > 0) {
    escalation = absl::StrCat("step ", i.escalation_step());
    if (!i.escalation_role().empty()) absl::StrAppend(&escalation, " (", i.escalation_role(), ")");
  }
  if (i.next_action_unix_ms() > 0) {
    absl::StrAppend(&escalation, ", next action ", when(i.next_action_unix_ms()));
  }
  field("escalation", escalation);
  if (!i.vendor().empty()) {
    field("third party",
          absl::StrCat(i.vendor(), ", ticket ", i.vendor_ticket(), ", contact ",
                       i.vendor_contact(),
                       i.vendor_sla_unix_ms() > 0
                           ? absl::StrCat(", promised by ", when(i.vendor_sla_unix_ms()))
                           : "",
                       i.vendor_ticket_open() ? " (ticket open)" : " (ticket closed)"));
  }
  if (i.resolved_unix_ms() > 0) {
    field("resolved", absl::StrCat(when(i.resolved_unix_ms()), " by ", i.resolved_by(),
                                   i.resolution().empty() ? "" : ": ", i.resolution()));
  }
  if (i.flap_count() > 0) {
    field("flapping", absl::StrCat("came back ", Plural(i.flap_count(), "time", "times"),
                                   " soon after resolving"));
  }
  if (i.in_maintenance()) field("maintenance", "a maintenance window covers it: no pages");
  if (!i.detail().empty()) field("detail", i.detail());
  if (i.restore_known()) {
    // The same words as the pages (collector/incidents/messages.cc RestoreLines).
    if (i.last_clean_backup_id().empty()) {
      absl::StrAppend(&out, "\nBelum ada cadangan terverifikasi sebelum temuan pertama.\n");
    } else {
      absl::StrAppend(&out, "\nCadangan bersih terakhir: ", i.last_clean_backup_id());
      if (i.last_clean_backup_unix_ms() > 0) {
        absl::StrAppend(&out, " (", when(i.last_clean_backup_unix_ms()), ")");
      }
      absl::StrAppend(&out, "\n");
      if (!i.restore_command().empty()) {
        absl::StrAppend(&out, "Perintah pemulihan: ", i.restore_command(), "\n");
      }
    }
  }

  const v1::Runbook& rb = incident.runbook();
  if (!rb.title().empty() || !rb.steps().empty()) {
    absl::StrAppend(&out, "\nRunbook: ", rb.title(), "\n");
    if (!rb.summary().empty()) absl::StrAppend(&out, Wrap(rb.summary(), 96, "  "));
    if (!rb.steps().empty()) {
      absl::StrAppend(&out, "\nAlternatif pemecahan masalah:\n");
      for (int n = 0; n < rb.steps_size(); ++n) {
        std::string wrapped = Wrap(rb.steps(n), 90, "      ");
        // The first line carries the number instead of the indent.
        wrapped.replace(0, 6, absl::StrFormat("  %2d. ", n + 1));
        absl::StrAppend(&out, wrapped);
      }
    }
    if (!rb.third_party().empty()) {
      absl::StrAppend(&out, "\nPihak ketiga:\n", Wrap(rb.third_party(), 96, "  "));
    }
  }

  absl::StrAppend(&out, "\nTimeline (", zone.abbreviation, "):\n");
  if (incident.events().empty()) absl::StrAppend(&out, "  (no events)\n");
  for (const v1::IncidentEvent& e : incident.events()) {
    absl::StrAppend(&out, absl::StrFormat(
                              "  %s  %-20s %-14s %s\n",
                              absl::FormatTime("%Y-%m-%d %H:%M",
                                               absl::FromUnixMillis(e.at_unix_ms()), zone.zone),
                              Cut(e.actor(), 20), e.action(), e.note()));
  }
  absl::StrAppend(&out, "\nNotifications:\n");
  if (incident.notifications().empty()) {
    absl::StrAppend(&out, "  (none)\n");
    return out;
  }
  constexpr char kRow[] = "  %-10s %-16s %-14s %-8s %8s %-16s  %s\n";
  absl::StrAppend(&out, absl::StrFormat(kRow, "CHANNEL", "PERSON", "KIND", "STATE", "ATTEMPTS",
                                        "SENT", "LAST ERROR"));
  for (const v1::NotificationRecord& n : incident.notifications()) {
    absl::StrAppend(
        &out, absl::StrFormat(kRow, Cut(n.channel(), 10),
                              n.person_id().empty() ? "-" : Cut(n.person_id(), 16),
                              Cut(n.message_kind(), 14), n.state(), absl::StrCat(n.attempts()),
                              n.sent_unix_ms() > 0
                                  ? absl::FormatTime("%Y-%m-%d %H:%M",
                                                     absl::FromUnixMillis(n.sent_unix_ms()),
                                                     zone.zone)
                                  : "-",
                              n.last_error().empty() ? "-" : n.last_error()));
  }
  return out;
}

namespace {

int ListIncidents(Session& session, const std::vector<std::string>& args) {
  ListOptions list;
  bool all = false;
  ArgParser parser(session, "incidents");
  list.AddTo(parser).Flag("--all", &all);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::ListIncidentsRequest request;
  list.Fill(request);
  request.set_all(all);
  v1::ListIncidentsResponse response;
  grpc::Status status = session.Call(&Stub::ListIncidents, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (list.json ? IncidentsJson(response) + "\n" : IncidentsTable(response, all));
  if (const int critical = UnresolvedCriticalIncidents(response); critical > 0) {
    session.err() << "pantauctl: " << critical << " critical incident"
                  << (critical == 1 ? "" : "s") << " not resolved\n";
    return 1;
  }
  return 0;
}

int ShowIncident(Session& session, const std::vector<std::string>& args) {
  bool json = false;
  std::vector<std::string> positional;
  ArgParser parser(session, "incidents show");
  parser.Flag("--json", &json).Positional(&positional, 1);
  int64_t id = 0;
  if (!parser.Parse(args) || !ParseId(parser, positional, "incident", &id)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::GetIncidentRequest request;
  request.set_id(id);
  v1::GetIncidentResponse response;
  grpc::Status status = session.Call(&Stub::GetIncident, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (json ? IncidentJson(response) + "\n" : IncidentDetail(response));
  return 0;
}

// ack, note, resolve: an id and a note.
int IncidentAction(Session& session, const std::string& action,
                   const std::vector<std::string>& args) {
  std::string note;
  std::vector<std::string> positional;
  ArgParser parser(session, absl::StrCat("incidents ", action));
  parser.Value("--note", &note).Positional(&positional, action == "note" ? 10000 : 1);
  int64_t id = 0;
  if (!parser.Parse(args) || !ParseId(parser, positional, "incident", &id)) return 2;
  if (action == "note" && positional.size() > 1) {
    if (!note.empty()) return parser.UsageError("give the note as words or with --note, not both");
    note = absl::StrJoin(positional.begin() + 1, positional.end(), " ");
  }
  if (action == "note" && note.empty()) return parser.UsageError("the note's TEXT is missing");
  if (action == "resolve" && note.empty()) {
    return parser.UsageError("--note TEXT is required: how the problem was solved");
  }
  if (const int code = session.Connect(); code != 0) return code;
  v1::IncidentActionRequest request;
  request.set_id(id);
  request.set_note(note);
  v1::IncidentResponse response;
  grpc::Status status = session.Call(action == "ack"    ? &Stub::AckIncident
                                     : action == "note" ? &Stub::AddIncidentNote
                                                        : &Stub::ResolveIncident,
                                     request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << IncidentStateLine(response.incident())
                << (action == "note" ? " (note added)" : "") << "\n";
  return 0;
}

int HandOff(Session& session, const std::vector<std::string>& args) {
  v1::HandOffIncidentRequest request;
  std::string vendor, ticket, contact, sla, note;
  int64_t sla_hours = 0;
  bool ticket_closed = false, sla_hours_given = false;
  std::vector<std::string> positional;
  ArgParser parser(session, "incidents handoff");
  parser.Value("--vendor", &vendor)
      .Value("--ticket", &ticket)
      .Value("--contact", &contact)
      .Value("--sla", &sla)
      .Number("--sla-hours", &sla_hours, 1, 24 * 365, &sla_hours_given)
      .Value("--note", &note)
      .Flag("--ticket-closed", &ticket_closed)
      .Positional(&positional, 1);
  int64_t id = 0;
  if (!parser.Parse(args) || !ParseId(parser, positional, "incident", &id)) return 2;
  request.set_id(id);
  request.set_note(note);
  if (ticket_closed) {
    if (!vendor.empty() || !ticket.empty() || !contact.empty() || !sla.empty() ||
        sla_hours_given) {
      return parser.UsageError(
          "--ticket-closed records the third party's closing: only --note goes with it");
    }
    request.set_ticket_closed(true);
  } else {
    if (vendor.empty() || ticket.empty() || contact.empty()) {
      return parser.UsageError(
          "--vendor, --ticket and --contact are required (or --ticket-closed)");
    }
    if (!sla.empty() && sla_hours_given) {
      return parser.UsageError("give --sla or --sla-hours, not both");
    }
    request.set_vendor(vendor);
    request.set_ticket(ticket);
    request.set_contact(contact);
    if (!sla.empty()) {
      absl::Time at;
      std::string error;
      if (!ParseOperatorTime(sla, &at, &error)) {
        return parser.UsageError(absl::StrCat("--sla: ", error));
      }
      request.set_sla_unix_ms(absl::ToUnixMillis(at));
    } else if (sla_hours_given) {
      request.set_sla_unix_ms(absl::ToUnixMillis(session.Now() + absl::Hours(sla_hours)));
    }
  }
  if (const int code = session.Connect(); code != 0) return code;
  v1::IncidentResponse response;
  grpc::Status status = session.Call(&Stub::HandOffIncident, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << IncidentStateLine(response.incident())
                << (ticket_closed ? " (third-party ticket closed)" : "") << "\n";
  return 0;
}

}  // namespace

int RunIncidents(Session& session, const std::vector<std::string>& args) {
  if (args.empty() || args[0].empty() || args[0][0] == '-') return ListIncidents(session, args);
  const std::string& sub = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "list") return ListIncidents(session, rest);
  if (sub == "show") return ShowIncident(session, rest);
  if (sub == "ack" || sub == "note" || sub == "resolve") return IncidentAction(session, sub, rest);
  if (sub == "handoff") return HandOff(session, rest);
  ArgParser parser(session, "incidents");
  return parser.UsageError(absl::StrCat(
      "unknown subcommand '", sub, "' (list, show, ack, note, handoff or resolve)"));
}

}  // namespace pantau::ctl
