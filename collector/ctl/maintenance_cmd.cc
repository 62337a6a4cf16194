// pantauctl maintenance: add, list, end. Maintenance windows carry no court zone, so their
// times are shown (and taken, without an explicit zone) in WIB.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/ctl/command.h"
#include "common/json_writer.h"

namespace pantau::ctl {
namespace {

std::string Where(const v1::MaintenanceWindow& w) {
  return absl::StrCat(w.court_id(), w.site().empty() ? " (every site)" : "/" + w.site());
}

std::string WindowState(const v1::MaintenanceWindow& w, int64_t now_unix_ms) {
  if (now_unix_ms < w.starts_unix_ms()) return "planned";
  if (now_unix_ms < w.ends_unix_ms()) return "active";
  return "ended";
}

std::string MaintenanceJson(const v1::ListMaintenanceResponse& list) {
  JsonWriter w;
  w.BeginObject().Key("windows").BeginArray();
  for (const v1::MaintenanceWindow& m : list.windows()) {
    w.BeginObject()
        .Key("id").Int(m.id())
        .Key("court_id").String(m.court_id())
        .Key("site").String(m.site())
        .Key("starts_unix_ms").Int(m.starts_unix_ms())
        .Key("ends_unix_ms").Int(m.ends_unix_ms())
        .Key("state").String(WindowState(m, list.now_unix_ms()))
        .Key("reason").String(m.reason())
        .Key("created_by").String(m.created_by())
        .EndObject();
  }
  w.EndArray().Key("now_unix_ms").Int(list.now_unix_ms()).EndObject();
  return w.str();
}

std::string MaintenanceTable(const v1::ListMaintenanceResponse& list, bool all) {
  if (list.windows().empty()) {
    return all ? "no maintenance windows\n"
               : "no current or planned maintenance windows (--all lists past ones too)\n";
  }
  const CourtZone wib = Wib();
  constexpr char kRow[] = "%6s %-14s %-20s %-20s %-20s %-8s %-16s  %s\n";
  std::string out = absl::StrFormat(kRow, "ID", "COURT", "SITE", "FROM", "UNTIL", "STATE", "BY",
                                    "REASON");
  for (const v1::MaintenanceWindow& m : list.windows()) {
    absl::StrAppend(&out, absl::StrFormat(kRow, absl::StrCat(m.id()), Cut(m.court_id(), 14),
                                          m.site().empty() ? "*" : Cut(m.site(), 20),
                                          FormatTimeIn(m.starts_unix_ms(), wib),
                                          FormatTimeIn(m.ends_unix_ms(), wib),
                                          WindowState(m, list.now_unix_ms()),
                                          Cut(m.created_by(), 16), m.reason()));
  }
  return out;
}

int AddMaintenance(Session& session, const std::vector<std::string>& args) {
  std::string court, site, until, from, reason;
  int64_t minutes = 0;
  bool minutes_given = false;
  ArgParser parser(session, "maintenance add");
  parser.Value("--court", &court)
      .Value("--site", &site)
      .Number("--minutes", &minutes, 1, 14 * 24 * 60, &minutes_given)
      .Value("--until", &until)
      .Value("--from", &from)
      .Value("--reason", &reason);
  if (!parser.Parse(args)) return 2;
  if (court.empty()) return parser.UsageError("--court CODE is required");
  if (reason.empty()) return parser.UsageError("--reason TEXT is required");
  if (minutes_given == !until.empty()) {
    return parser.UsageError("give how long: --minutes N or --until TIME");
  }
  v1::AddMaintenanceRequest request;
  request.set_court_id(court);
  request.set_site(site);
  request.set_reason(reason);
  absl::Time starts = session.Now();
  std::string error;
  if (!from.empty()) {
    if (!ParseOperatorTime(from, &starts, &error)) {
      return parser.UsageError(absl::StrCat("--from: ", error));
    }
    request.set_starts_unix_ms(absl::ToUnixMillis(starts));
  }
  absl::Time ends;
  if (minutes_given) {
    ends = starts + absl::Minutes(minutes);
  } else if (!ParseOperatorTime(until, &ends, &error)) {
    return parser.UsageError(absl::StrCat("--until: ", error));
  }
  request.set_ends_unix_ms(absl::ToUnixMillis(ends));
  if (const int code = session.Connect(); code != 0) return code;
  v1::MaintenanceWindow response;
  grpc::Status status = session.Call(&Stub::AddMaintenance, request, &response);
  if (!status.ok()) return session.Failed(status);
  const CourtZone wib = Wib();
  session.out() << "maintenance window " << response.id() << ": " << Where(response) << " from "
                << FormatTimeIn(response.starts_unix_ms(), wib) << " until "
                << FormatTimeIn(response.ends_unix_ms(), wib) << ": " << response.reason()
                << "\n";
  return 0;
}

int ListMaintenance(Session& session, const std::vector<std::string>& args) {
  bool json = false, all = false;
  std::string court;
  ArgParser parser(session, "maintenance list");
  parser.Flag("--json", &json).Flag("--all", &all).Value("--court", &court);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::ListMaintenanceRequest request;
  request.set_court_id(court);
  request.set_all(all);
  v1::ListMaintenanceResponse response;
  grpc::Status status = session.Call(&Stub::ListMaintenance, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (json ? MaintenanceJson(response) + "\n" : MaintenanceTable(response, all));
  return 0;
}

int EndMaintenance(Session& session, const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  ArgParser parser(session, "maintenance end");
  parser.Positional(&positional, 1);
  int64_t id = 0;
  if (!parser.Parse(args) || !ParseId(parser, positional, "maintenance window", &id)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::EndMaintenanceRequest request;
  request.set_id(id);
  v1::MaintenanceWindow response;
  grpc::Status status = session.Call(&Stub::EndMaintenance, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << "maintenance window " << response.id() << ": " << Where(response)
                << " ended at " << FormatTimeIn(response.ends_unix_ms(), Wib()) << "\n";
  return 0;
}

}  // namespace

int RunMaintenance(Session& session, const std::vector<std::string>& args) {
  // Without a subcommand: the list.
  if (args.empty() || args[0].empty() || args[0][0] == '-') return ListMaintenance(session, args);
  ArgParser parser(session, "maintenance");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "add") return AddMaintenance(session, rest);
  if (args[0] == "list") return ListMaintenance(session, rest);
  if (args[0] == "end") return EndMaintenance(session, rest);
  return parser.UsageError(
      absl::StrCat("unknown subcommand '", args[0], "' (add, list or end)"));
}

}  // namespace pantau::ctl
