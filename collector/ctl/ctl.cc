#include "collector/ctl/ctl.h"

#include <algorithm>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/grpc_channel.h"
#include "common/json_writer.h"
#include "pantau/v1/operator_service.grpc.pb.h"

namespace pantau::ctl {
namespace {

constexpr char kUsage[] =
    "usage: pantauctl [--collector HOST:PORT] [--ca-file FILE | --insecure] [--timeout SECONDS]\n"
    "                 COMMAND\n"
    "commands:\n"
    "  status [--json] [--court CODE]   every site with its last probe result and its age,\n"
    "                                   certificate, content age and open findings; exits 1\n"
    "                                   when a critical finding is open\n"
    "defaults: --collector localhost:7443, TLS with the system CAs, --timeout 10\n";

std::string FormatAge(int64_t seconds) {
  if (seconds < 120) return absl::StrCat(seconds, "s");
  if (seconds < 7200) return absl::StrCat(seconds / 60, "m");
  if (seconds < 172800) return absl::StrCat(seconds / 3600, "h");
  return absl::StrCat(seconds / 86400, "d");
}

std::string SeverityName(v1::Finding::Severity severity) {
  switch (severity) {
    case v1::Finding::INFO:
      return "info";
    case v1::Finding::WARNING:
      return "warning";
    case v1::Finding::CRITICAL:
      return "critical";
    default:
      return "unspecified";
  }
}

// Days left on the certificate, "!" after them when it does not verify; "invalid" when it does
// not verify and could not be read; "-" without TLS.
std::string CertCell(const v1::SiteStatus& s) {
  if (!s.tls_checked()) return "-";
  if (s.tls_days_left_known()) {
    return absl::StrCat(s.tls_days_left(), "d", s.tls_verified() ? "" : "!");
  }
  return s.tls_verified() ? "?" : "invalid";
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
  constexpr char kRow[] = "%-14s %-24s %-5s %6s %10s %8s %-8s %7s %-28s  %s\n";
  std::string out = absl::StrFormat(kRow, "COURT", "SITE", "UP", "HTTP", "LATENCY", "AGE", "CERT",
                                    "CONTENT", "FINDINGS", "URL / ERROR");
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

int RunCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ChannelOptions channel_options;
  channel_options.address = "localhost:7443";
  double timeout_seconds = 10;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* target) {
      if (i + 1 >= args.size()) return false;
      *target = args[++i];
      return true;
    };
    if (a == "--collector") {
      if (!value(&channel_options.address)) break;
    } else if (a == "--ca-file") {
      if (!value(&channel_options.ca_file)) break;
    } else if (a == "--insecure") {
      channel_options.insecure = true;
    } else if (a == "--timeout") {
      std::string t;
      if (!value(&t) || !absl::SimpleAtod(t, &timeout_seconds) || timeout_seconds <= 0) {
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
  if (command != "status") {
    err << "pantauctl: unknown command '" << command << "'\n" << kUsage;
    return 2;
  }
  bool json = false;
  v1::GetStatusRequest request;
  for (; i < args.size(); ++i) {
    if (args[i] == "--json") {
      json = true;
    } else if (args[i] == "--court" && i + 1 < args.size()) {
      request.set_court_id(args[++i]);
    } else {
      err << "pantauctl status: unknown argument '" << args[i] << "'\n" << kUsage;
      return 2;
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeCollectorChannel(channel_options);
  if (!channel.ok()) {
    err << "pantauctl: " << channel.status().message() << "\n";
    return 1;
  }
  auto stub = v1::OperatorService::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000)));
  v1::GetStatusResponse response;
  grpc::Status status = stub->GetStatus(&context, request, &response);
  if (!status.ok()) {
    err << "pantauctl: collector at " << channel_options.address << " answered "
        << status.error_code() << ": " << status.error_message() << "\n";
    return 1;
  }
  out << (json ? StatusJson(response) + "\n" : StatusTable(response));
  if (const int critical = CriticalFindings(response); critical > 0) {
    err << "pantauctl: " << critical << " critical finding" << (critical == 1 ? "" : "s")
        << " open\n";
    return 1;
  }
  return 0;
}

}  // namespace pantau::ctl
