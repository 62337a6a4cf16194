#include "collector/ctl/ctl.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/ctl/command.h"
#include "common/finding_severity.h"
#include "common/json_writer.h"

namespace pantau::ctl {

const char kUsage[] =
    "usage: pantauctl [--collector HOST:PORT] [--ca-file FILE | --insecure] [--timeout SECONDS]\n"
    "                 [--token-file FILE] COMMAND\n"
    "commands:\n"
    "  status [--json] [--court CODE]   every site with its last probe result and its age,\n"
    "                                   certificate, content age, open findings and the age\n"
    "                                   of its last verified backup (\"!\" overdue); exits 1\n"
    "                                   when a critical finding is open\n"
    "  backups [--site SITE] [--court CODE] [--limit N] [--json]\n"
    "                                   backup runs the agents reported, newest first, and\n"
    "                                   each site's last verified backup; exits 1 when a\n"
    "                                   listed site's newest backup failed or its last\n"
    "                                   verified backup is overdue\n"
    "  alerts [--site SITE] [--court CODE] [--all] [--limit N] [--json]\n"
    "                                   suspicious activity found in the sites' logs, newest\n"
    "                                   first: open alerts, or all with --all (limit 1..1000,\n"
    "                                   default 100); exits 1 when a critical one is open\n"
    "  visitors --site SITE [--court CODE] [--minutes N] [--json]\n"
    "                                   visitor statistics per minute of the last N minutes\n"
    "                                   (1..1440, default 60) with totals and top pages\n"
    "  whoami [--json]                  who the token belongs to: role, courts, acting roles\n"
    "  incidents [list] [--court CODE] [--site SITE] [--all] [--limit N] [--json]\n"
    "                                   open incidents (all with --all; limit 1..1000); exits\n"
    "                                   1 when an unresolved critical one is listed\n"
    "  incidents show ID [--json]       one incident: runbook, timeline, notifications\n"
    "  incidents ack ID [--note TEXT]   acknowledge: stops reminders and the escalation steps\n"
    "                                   that last until acknowledged\n"
    "  incidents note ID TEXT...        add a note to the timeline (or --note TEXT)\n"
    "  incidents handoff ID --vendor V --ticket T --contact C [--sla TIME | --sla-hours N]\n"
    "                    [--note TEXT]  hand over to a third party with their ticket\n"
    "  incidents handoff ID --ticket-closed [--note TEXT]\n"
    "                                   the third party closed their ticket\n"
    "  incidents resolve ID --note TEXT resolve with the solution (not while a ticket is open)\n"
    "  maintenance add --court CODE [--site SITE] (--minutes N | --until TIME) [--from TIME]\n"
    "                  --reason TEXT    no incidents or pages for the court (or site) meanwhile\n"
    "  maintenance list [--court CODE] [--all] [--json]\n"
    "                                   current and planned windows (past ones with --all)\n"
    "  maintenance end ID               end a window now\n"
    "  org apply FILE [--dry-run]       apply an organisation file (courts, sites, people,\n"
    "                                   acting officials, policies); admins only\n"
    "  people [--court CODE] [--json]   people with their roles, courts and channels\n"
    "  token issue PERSON               a new token for PERSON (admins; the old one stops\n"
    "                                   working), printed once\n"
    "token: --token-file FILE, else the file named by $PANTAU_TOKEN_FILE, else $PANTAU_TOKEN,\n"
    "       else ~/.config/pantau/token (its first line)\n"
    "TIME: \"YYYY-MM-DD HH:MM\" in WIB (UTC+7), or with \" WITA\", \" WIT\" or an offset\n"
    "      (\"2026-11-27T10:00+08:00\"); incident times are shown in the court's zone\n"
    "defaults: --collector localhost:7443, TLS with the system CAs, --timeout 10\n";

namespace {

// Days left on the certificate, "!" after them when it does not verify; "invalid" when it does
// not verify and could not be read; "-" without TLS.
std::string CertCell(const v1::SiteStatus& s) {
  if (!s.tls_checked()) return "-";
  if (s.tls_days_left_known()) {
    return absl::StrCat(s.tls_days_left(), "d", s.tls_verified() ? "" : "!");
  }
  return s.tls_verified() ? "?" : "invalid";
}

// BACKUP: the age of the last verified backup ("3h"), "—" when there is none, "!" after it
// when it is overdue; "-" when the site never sent a backup summary.
std::string BackupCell(const v1::SiteStatus& s) {
  if (s.last_backup_unix_ms() == 0) return "-";
  const std::string age =
      s.last_verified_backup_known() ? FormatAge(s.last_verified_backup_age_seconds()) : "—";
  return absl::StrCat(age, s.backup_overdue() ? "!" : "");
}

// "2 gambling_spam,cloaking": the number of open findings and their kinds, most severe first,
// cut to fit the column.
std::string FindingsCell(const v1::SiteStatus& s) {
  if (s.open_findings().empty()) return "-";
  std::vector<std::string> kinds;
  for (const v1::OpenFinding& f : s.open_findings()) {
    if (std::find(kinds.begin(), kinds.end(), f.finding().kind()) == kinds.end()) {
      kinds.push_back(f.finding().kind());
    }
  }
  std::string cell = absl::StrCat(s.open_findings_size(), " ", absl::StrJoin(kinds, ","));
  constexpr size_t kWidth = 28;
  if (cell.size() > kWidth) cell = absl::StrCat(cell.substr(0, kWidth - 3), "...");
  return cell;
}

}  // namespace

std::string StatusJson(const v1::GetStatusResponse& status) {
  JsonWriter w;
  w.BeginObject().Key("sites").BeginArray();
  for (const v1::SiteStatus& s : status.sites()) {
    w.BeginObject()
        .Key("site").String(s.site())
        .Key("url").String(s.url())
        .Key("court_id").String(s.court_id())
        .Key("agent_id").String(s.agent_id())
        .Key("up").Bool(s.up())
        .Key("http_status").Int(s.http_status())
        .Key("last_probe_age_seconds").Int(s.last_probe_age_seconds())
        .Key("last_probe_unix_ms").Int(s.last_probe_unix_ms())
        .Key("latency_ms").Double(s.latency_ms())
        .Key("error").String(s.error());
    w.Key("tls").BeginObject().Key("checked").Bool(s.tls_checked()).Key("days_left");
    if (s.tls_days_left_known()) {
      w.Int(s.tls_days_left());
    } else {
      w.Null();
    }
    w.Key("verified").Bool(s.tls_verified()).Key("error").String(s.tls_error()).EndObject();
    w.Key("content_age_days");
    if (s.content_age_known()) {
      w.Double(s.content_age_days());
    } else {
      w.Null();
    }
    w.Key("content_age_source").String(s.content_age_source());
    w.Key("open_log_alerts").Int(s.open_log_alerts());
    w.Key("backup").BeginObject();
    WriteBackupStateMembers(w, s);
    w.EndObject();
    w.Key("requests_last_hour").Int(s.requests_last_hour());
    w.Key("findings").BeginArray();
    for (const v1::OpenFinding& f : s.open_findings()) {
      w.BeginObject()
          .Key("check").String(f.check())
          .Key("kind").String(f.finding().kind())
          .Key("key").String(f.finding().key())
          .Key("severity").String(SeverityName(f.finding().severity()))
          .Key("detail").String(f.finding().detail())
          .Key("evidence").String(f.finding().evidence())
          .Key("first_seen_unix_ms").Int(f.first_seen_unix_ms())
          .Key("last_seen_unix_ms").Int(f.last_seen_unix_ms())
          .EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().Key("now_unix_ms").Int(status.now_unix_ms()).EndObject();
  return w.str();
}

std::string StatusTable(const v1::GetStatusResponse& status) {
  if (status.sites().empty()) {
    return "no sites have reported yet (is an agent running and connected?)\n";
  }
  constexpr char kRow[] = "%-14s %-24s %-5s %6s %10s %8s %-8s %7s %-28s %6s %s  %s\n";
  std::string out = absl::StrFormat(kRow, "COURT", "SITE", "UP", "HTTP", "LATENCY", "AGE", "CERT",
                                    "CONTENT", "FINDINGS", "ALERTS", PadLeft("BACKUP", 6),
                                    "URL / ERROR");
  for (const v1::SiteStatus& s : status.sites()) {
    absl::StrAppend(
        &out, absl::StrFormat(kRow, s.court_id(), s.site(), s.up() ? "up" : "DOWN",
                              absl::StrCat(s.http_status()),
                              absl::StrFormat("%.1fms", s.latency_ms()),
                              FormatAge(s.last_probe_age_seconds()), CertCell(s),
                              s.content_age_known()
                                  ? absl::StrCat(static_cast<int64_t>(s.content_age_days()), "d")
                                  : "-",
                              FindingsCell(s),
                              s.open_log_alerts() > 0 ? absl::StrCat(s.open_log_alerts()) : "-",
                              PadLeft(BackupCell(s), 6),
                              absl::StrCat(s.url(), s.error().empty()
                                                        ? ""
                                                        : absl::StrCat("  (", s.error(), ")"))));
  }
  return out;
}

int CriticalFindings(const v1::GetStatusResponse& status) {
  int n = 0;
  for (const v1::SiteStatus& s : status.sites()) {
    for (const v1::OpenFinding& f : s.open_findings()) {
      if (f.finding().severity() == v1::Finding::CRITICAL) ++n;
    }
  }
  return n;
}

namespace {


void KeyCountsJson(JsonWriter& w, const char* name,
                   const google::protobuf::RepeatedPtrField<v1::KeyCount>& counts) {
  w.Key(name).BeginArray();
  for (const v1::KeyCount& k : counts) {
    w.BeginObject().Key("key").String(k.key()).Key("count").Int(k.count()).EndObject();
  }
  w.EndArray();
}

void VisitorCountersJson(JsonWriter& w, const v1::VisitorStats& v) {
  w.Key("minute_unix_s").Int(v.minute_unix_s())
      .Key("requests").Int(v.requests())
      .Key("unique_visitors").Int(v.unique_visitors())
      .Key("page_views").Int(v.page_views())
      .Key("bot_requests").Int(v.bot_requests())
      .Key("status_2xx").Int(v.status_2xx())
      .Key("status_3xx").Int(v.status_3xx())
      .Key("status_4xx").Int(v.status_4xx())
      .Key("status_5xx").Int(v.status_5xx())
      .Key("status_other").Int(v.status_other())
      .Key("bytes").Int(v.bytes())
      .Key("malformed_lines").Int(v.malformed_lines())
      .Key("attack_requests").Int(v.attack_requests());
}

}  // namespace

std::string AlertsJson(const v1::ListLogAlertsResponse& alerts) {
  JsonWriter w;
  w.BeginObject().Key("alerts").BeginArray();
  for (const v1::StoredLogAlert& s : alerts.alerts()) {
    const v1::LogAlert& a = s.alert();
    w.BeginObject()
        .Key("court_id").String(s.court_id())
        .Key("agent_id").String(s.agent_id())
        .Key("site").String(a.site())
        .Key("alert_id").String(a.alert_id())
        .Key("rule").String(a.rule())
        .Key("family").String(a.family())
        .Key("severity").String(SeverityName(a.severity()))
        .Key("client").String(a.client())
        .Key("country").String(a.country())
        .Key("count").Int(a.count())
        .Key("first_seen_unix_ms").Int(a.first_seen_unix_ms())
        .Key("last_seen_unix_ms").Int(a.last_seen_unix_ms())
        .Key("closed").Bool(a.closed())
        .Key("description").String(a.description())
        .Key("action").String(a.action())
        .Key("log_path").String(a.log_path());
    w.Key("sample_lines").BeginArray();
    for (const std::string& line : a.sample_lines()) w.String(line);
    w.EndArray().EndObject();
  }
  w.EndArray()
      .Key("truncated").Bool(alerts.truncated())
      .Key("now_unix_ms").Int(alerts.now_unix_ms())
      .EndObject();
  return w.str();
}

std::string AlertsTable(const v1::ListLogAlertsResponse& alerts) {
  if (alerts.alerts().empty()) return "no log alerts\n";
  constexpr char kRow[] = "%-20s %-8s %-16s %-22s %-20s %7s %6s %6s %-6s  %s\n";
  std::string out = absl::StrFormat(kRow, "SITE", "SEVERITY", "FAMILY", "RULE", "CLIENT",
                                    "COUNT", "FIRST", "LAST", "STATE", "DESCRIPTION");
  auto age = [&alerts](int64_t unix_ms) { return AgeAt(unix_ms, alerts.now_unix_ms()); };
  for (const v1::StoredLogAlert& s : alerts.alerts()) {
    const v1::LogAlert& a = s.alert();
    const std::string client =
        a.country().empty() ? a.client() : absl::StrCat(a.client(), " (", a.country(), ")");
    absl::StrAppend(&out, absl::StrFormat(kRow, Cut(a.site(), 20), SeverityName(a.severity()),
                                          Cut(a.family(), 16), Cut(a.rule(), 22), client,
                                          absl::StrCat(a.count()), age(a.first_seen_unix_ms()),
                                          age(a.last_seen_unix_ms()),
                                          a.closed() ? "closed" : "OPEN", a.description()));
  }
  if (alerts.truncated()) {
    absl::StrAppend(&out, "(more alerts match: use --limit or --site to see them)\n");
  }
  return out;
}

int OpenCriticalAlerts(const v1::ListLogAlertsResponse& alerts) {
  int n = 0;
  for (const v1::StoredLogAlert& s : alerts.alerts()) {
    if (!s.alert().closed() && s.alert().severity() == v1::Finding::CRITICAL) ++n;
  }
  return n;
}

std::string VisitorsJson(const v1::GetVisitorStatsResponse& stats) {
  JsonWriter w;
  w.BeginObject().Key("site").String(stats.totals().site());
  w.Key("from_unix_s").Int(stats.from_unix_s()).Key("to_unix_s").Int(stats.to_unix_s());
  w.Key("minutes").BeginArray();
  for (const v1::VisitorStats& m : stats.minutes()) {
    w.BeginObject();
    VisitorCountersJson(w, m);
    w.EndObject();
  }
  w.EndArray().Key("totals").BeginObject();
  VisitorCountersJson(w, stats.totals());
  KeyCountsJson(w, "top_pages", stats.totals().top_pages());
  KeyCountsJson(w, "top_clients", stats.totals().top_clients());
  KeyCountsJson(w, "countries", stats.totals().countries());
  w.EndObject().Key("now_unix_ms").Int(stats.now_unix_ms()).EndObject();
  return w.str();
}

std::string VisitorsTable(const v1::GetVisitorStatsResponse& stats, absl::TimeZone zone) {
  const std::string range =
      absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(stats.from_unix_s()),
                                    zone),
                   " - ",
                   absl::FormatTime("%H:%M %Z", absl::FromUnixSeconds(stats.to_unix_s()), zone));
  std::string out = absl::StrCat("site ", stats.totals().site(), ", ", range, "\n");
  if (stats.minutes().empty()) {
    absl::StrAppend(&out, "no visitor statistics in this range (is logwatch enabled for the "
                          "site on its agent?)\n");
    return out;
  }
  constexpr char kRow[] = "%-6s %9s %8s %8s %7s %8s %7s %7s %7s %7s %9s\n";
  absl::StrAppend(&out, absl::StrFormat(kRow, "MINUTE", "REQUESTS", "VISITORS", "PAGES", "BOTS",
                                        "2XX", "3XX", "4XX", "5XX", "ATTACKS", "BYTES"));
  auto row = [&](const std::string& label, const v1::VisitorStats& v) {
    absl::StrAppend(&out, absl::StrFormat(
                              kRow, label, absl::StrCat(v.requests()),
                              absl::StrCat(v.unique_visitors()), absl::StrCat(v.page_views()),
                              absl::StrCat(v.bot_requests()), absl::StrCat(v.status_2xx()),
                              absl::StrCat(v.status_3xx()), absl::StrCat(v.status_4xx()),
                              absl::StrCat(v.status_5xx()), absl::StrCat(v.attack_requests()),
                              FormatBytes(v.bytes())));
  };
  for (const v1::VisitorStats& m : stats.minutes()) {
    row(absl::FormatTime("%H:%M", absl::FromUnixSeconds(m.minute_unix_s()), zone), m);
  }
  row("TOTAL", stats.totals());
  absl::StrAppend(&out, "(VISITORS of TOTAL: the busiest minute's distinct clients)\n");
  auto list = [&out](const char* title,
                     const google::protobuf::RepeatedPtrField<v1::KeyCount>& counts) {
    if (counts.empty()) return;
    absl::StrAppend(&out, "\n", title, "\n");
    for (const v1::KeyCount& k : counts) {
      absl::StrAppend(&out, absl::StrFormat("  %9d  %s\n", k.count(), Cut(k.key(), 100)));
    }
  };
  list("TOP PAGES", stats.totals().top_pages());
  list("TOP CLIENTS", stats.totals().top_clients());
  list("COUNTRIES", stats.totals().countries());
  return out;
}

int RunStatus(Session& session, const std::vector<std::string>& args) {
  bool json = false;
  std::string court;
  ArgParser parser(session, "status");
  parser.Flag("--json", &json).Value("--court", &court);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::GetStatusRequest request;
  request.set_court_id(court);
  v1::GetStatusResponse response;
  grpc::Status status = session.Call(&Stub::GetStatus, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (json ? StatusJson(response) + "\n" : StatusTable(response));
  if (const int critical = CriticalFindings(response); critical > 0) {
    session.err() << "pantauctl: " << critical << " critical finding"
                  << (critical == 1 ? "" : "s") << " open\n";
    return 1;
  }
  return 0;
}

int RunAlerts(Session& session, const std::vector<std::string>& args) {
  ListOptions list;
  bool all = false;
  ArgParser parser(session, "alerts");
  list.AddTo(parser).Flag("--all", &all);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::ListLogAlertsRequest request;
  list.Fill(request);
  request.set_open_only(!all);
  v1::ListLogAlertsResponse response;
  grpc::Status status = session.Call(&Stub::ListLogAlerts, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (list.json ? AlertsJson(response) + "\n" : AlertsTable(response));
  if (const int critical = OpenCriticalAlerts(response); critical > 0) {
    session.err() << "pantauctl: " << critical << " critical log alert"
                  << (critical == 1 ? "" : "s") << " open\n";
    return 1;
  }
  return 0;
}

int RunVisitors(Session& session, const std::vector<std::string>& args) {
  bool json = false;
  std::string court, site;
  int64_t minutes = 0;
  ArgParser parser(session, "visitors");
  parser.Flag("--json", &json)
      .Value("--court", &court)
      .Value("--site", &site)
      .Number("--minutes", &minutes, 1, 1440);
  if (!parser.Parse(args)) return 2;
  if (site.empty()) return parser.UsageError("--site SITE is required");
  if (const int code = session.Connect(); code != 0) return code;
  v1::GetVisitorStatsRequest request;
  request.set_site(site);
  request.set_court_id(court);
  request.set_minutes(static_cast<int32_t>(minutes));
  v1::GetVisitorStatsResponse response;
  grpc::Status status = session.Call(&Stub::GetVisitorStats, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (json ? VisitorsJson(response) + "\n"
                         : VisitorsTable(response, absl::LocalTimeZone()));
  return 0;
}

CtlEnvironment ProcessEnvironment() {
  CtlEnvironment env;
  auto get = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  env.token_file = get("PANTAU_TOKEN_FILE");
  env.token = get("PANTAU_TOKEN");
  env.home = get("HOME");
  return env;
}

int RunCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return RunCtl(args, ProcessEnvironment(), out, err);
}

int RunCtl(const std::vector<std::string>& args, const CtlEnvironment& env, std::ostream& out,
           std::ostream& err) {
  GlobalOptions options;
  options.channel.address = "localhost:7443";
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* target) {
      if (i + 1 >= args.size()) return false;
      *target = args[++i];
      return true;
    };
    if (a == "--collector" || a == "--ca-file" || a == "--token-file") {
      std::string* target = a == "--collector" ? &options.channel.address
                            : a == "--ca-file" ? &options.channel.ca_file
                                               : &options.token_file;
      if (!value(target) || target->empty()) {
        err << "pantauctl: " << a << " needs a value\n" << kUsage;
        return 2;
      }
    } else if (a == "--insecure") {
      options.channel.insecure = true;
    } else if (a == "--timeout") {
      std::string t;
      if (!value(&t) || !absl::SimpleAtod(t, &options.timeout_seconds) ||
          options.timeout_seconds <= 0) {
        err << "pantauctl: --timeout needs a positive number of seconds\n";
        return 2;
      }
    } else if (a == "-h" || a == "--help" || a == "help") {
      out << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      err << "pantauctl: unknown option " << a << "\n" << kUsage;
      return 2;
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    err << kUsage;
    return 2;
  }
  const std::string command = args[i++];
  const std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  using Command = int (*)(Session&, const std::vector<std::string>&);
  static const std::pair<const char*, Command> kCommands[] = {
      {"status", RunStatus},       {"alerts", RunAlerts},
      {"backups", RunBackups},
      {"visitors", RunVisitors},   {"whoami", RunWhoAmI},
      {"incidents", RunIncidents}, {"maintenance", RunMaintenance},
      {"org", RunOrg},             {"people", RunPeople},
      {"token", RunToken},
  };
  for (const auto& [name, run] : kCommands) {
    if (command == name) {
      Session session(std::move(options), env, out, err);
      return run(session, rest);
    }
  }
  err << "pantauctl: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

}  // namespace pantau::ctl
