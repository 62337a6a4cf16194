#include "agent/checks/probe_report.h"

#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/checks/availability.h"
#include "agent/checks/check_state.h"
#include "agent/checks/content_checks.h"
#include "agent/probes/dns_prober.h"
#include "agent/probes/http_engine.h"
#include "common/json_writer.h"
#include "common/url.h"

namespace pantau::agent {
namespace {

constexpr char kUsage[] =
    "usage: pantau-agent probe URL [--json] [--court-type PN|PA|...] [--data-dir DIR]\n"
    "                              [--ca-file FILE] [--resolver IP[:PORT]]... \n"
    "                              [--must-contain WORD]... [--timeout SECONDS]\n"
    "Runs every check once against URL and prints what it found.\n"
    "Exit code: 0 all checks passed, 1 a check failed or found a problem, 2 usage error.\n";

const char* SeverityName(v1::Finding::Severity s) {
  switch (s) {
    case v1::Finding::CRITICAL: return "critical";
    case v1::Finding::WARNING: return "warning";
    case v1::Finding::INFO: return "info";
    default: return "unspecified";
  }
}

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

struct FlatFinding {
  std::string check;
  const v1::Finding* finding;
};

std::vector<FlatFinding> AllFindings(const OneShotResult& r) {
  std::vector<FlatFinding> all;
  for (const v1::Finding& f : r.http.findings()) all.push_back({"http", &f});
  if (r.dns.has_value()) {
    for (const v1::Finding& f : r.dns->findings()) all.push_back({"dns", &f});
  }
  for (const v1::CheckReport& report : r.reports) {
    for (const v1::Finding& f : report.findings()) all.push_back({report.check(), &f});
  }
  return all;
}

const v1::CheckReport* Freshness(const OneShotResult& r) {
  for (const v1::CheckReport& report : r.reports) {
    if (report.check() == "freshness" && report.content_age_known()) return &report;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<OneShotResult> RunOneShot(const ProbeCommand& command, const Clock& clock) {
  if (!IsHttpUrl(command.url)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", command.url, "' is not an http:// or https:// URL"));
  }
  for (const std::string& r : command.resolvers) {
    if (absl::Status s = ValidateResolverAddress(r); !s.ok()) return s;
  }
  SiteConfig site;
  site.id = "probe";
  site.url = command.url;
  site.court_type = command.court_type;
  site.timeout = command.timeout;
  site.content.timeout = command.timeout;
  site.content.must_contain = command.must_contain;
  site.dns.enabled = !command.resolvers.empty();
  site.dns.resolvers = command.resolvers;

  absl::StatusOr<std::unique_ptr<ContentAnalyzers>> analyzers =
      ContentAnalyzers::Load(command.data_dir);
  if (!analyzers.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load the data files (--data-dir ", command.data_dir,
                     "): ", analyzers.status().message()));
  }
  absl::StatusOr<std::unique_ptr<CheckStateStore>> state = CheckStateStore::OpenInMemory();
  if (!state.ok()) return state.status();
  HttpEngineOptions options;
  options.ca_file = command.ca_file;
  absl::StatusOr<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(options);
  if (!engine.ok()) return engine.status();

  OneShotResult result;
  const absl::Time started = clock.Now();
  (*engine)->Submit(AvailabilityRequest(site, command.max_body_bytes),
                    [&](FetchResult fetch) {
                      result.http = AvailabilityResult(site, fetch, started, clock.Now());
                    });
  ContentContext context;
  context.engine = engine->get();
  context.state = state->get();
  context.analyzers = analyzers->get();
  context.clock = &clock;
  context.max_body_bytes = command.max_body_bytes;
  RunContentChecks(context, site, started, [&](std::vector<v1::CheckReport> reports) {
    result.reports = std::move(reports);
  });
  (*engine)->RunUntilIdle();
  if (site.dns.enabled) {
    DnsProber prober;
    result.dns = DnsResult(site, prober.Probe(DnsSpec(site)), started);
  }
  return result;
}

std::string OneShotJson(const OneShotResult& r) {
  JsonWriter w;
  const v1::ProbeResult& h = r.http;
  w.BeginObject();
  w.Key("url").String(h.url());
  w.Key("up").Bool(h.up());
  w.Key("status").Int(h.http_status());
  w.Key("http_version").String(h.http_version());
  w.Key("redirects").Int(h.redirect_count());
  w.Key("final_url").String(h.final_url());
  w.Key("error").String(h.error());
  w.Key("body_bytes").Int(h.body_bytes());
  w.Key("timings_ms").BeginObject();
  w.Key("dns").Double(Ms(h.dns_us()));
  w.Key("connect").Double(Ms(h.connect_us()));
  w.Key("tls").Double(Ms(h.tls_us()));
  w.Key("first_byte").Double(Ms(h.first_byte_us()));
  w.Key("total").Double(Ms(h.total_us()));
  w.EndObject();
  w.Key("tls");
  if (!h.tls_checked()) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("days_left");
    if (h.tls_days_left_known()) w.Int(h.tls_days_left()); else w.Null();
    w.Key("verified").Bool(h.tls_verified());
    w.Key("issuer").String(h.tls_issuer());
    w.Key("error").String(h.tls_error());
    w.EndObject();
  }
  const v1::CheckReport* fresh = Freshness(r);
  w.Key("content_age_days");
  if (fresh != nullptr) w.Double(fresh->content_age_days()); else w.Null();
  w.Key("content_age_source").String(fresh != nullptr ? fresh->content_age_source() : "");
  if (r.dns.has_value()) {
    w.Key("dns").BeginObject();
    w.Key("resolved").Bool(r.dns->up());
    w.Key("error").String(r.dns->error());
    w.Key("answers").BeginArray();
    for (const std::string& a : r.dns->dns_answers()) w.String(a);
    w.EndArray().EndObject();
  }
  w.Key("findings").BeginArray();
  for (const FlatFinding& f : AllFindings(r)) {
    w.BeginObject();
    w.Key("check").String(f.check);
    w.Key("kind").String(f.finding->kind());
    w.Key("severity").String(SeverityName(f.finding->severity()));
    w.Key("detail").String(f.finding->detail());
    w.Key("evidence").String(f.finding->evidence());
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks").BeginArray();
  for (const v1::CheckReport& report : r.reports) {
    w.BeginObject().Key("check").String(report.check());
    w.Key("ran").Bool(report.error().empty());
    w.Key("error").String(report.error()).EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str() + "\n";
}

std::string OneShotText(const OneShotResult& r) {
  const v1::ProbeResult& h = r.http;
  std::string out = absl::StrCat("URL          ", h.url(), "\n");
  absl::StrAppend(&out, "Result       ", h.up() ? "UP" : "DOWN",
                  h.error().empty() ? "" : absl::StrCat(" (", h.error(), ")"), "\n");
  absl::StrAppend(&out, "HTTP         status ", h.http_status(), ", HTTP/", h.http_version(), ", ",
                  h.redirect_count(), " redirect(s), ", h.body_bytes(), " bytes\n");
  if (h.redirect_count() > 0) absl::StrAppend(&out, "Final URL    ", h.final_url(), "\n");
  absl::StrAppend(&out, "Timings      dns ", Ms(h.dns_us()), " ms, connect ", Ms(h.connect_us()),
                  " ms, tls ", Ms(h.tls_us()), " ms, first byte ", Ms(h.first_byte_us()),
                  " ms, total ", Ms(h.total_us()), " ms\n");
  if (h.tls_checked()) {
    absl::StrAppend(&out, "Certificate  ", h.tls_verified() ? "verified" : "NOT VERIFIED",
                    h.tls_days_left_known() ? absl::StrCat(", ", h.tls_days_left(), " days left")
                                            : "",
                    h.tls_issuer().empty() ? "" : absl::StrCat(", issuer ", h.tls_issuer()),
                    h.tls_error().empty() ? "" : absl::StrCat(" (", h.tls_error(), ")"), "\n");
  }
  if (const v1::CheckReport* fresh = Freshness(r)) {
    absl::StrAppend(&out, "Content age  ", fresh->content_age_days(), " days (from ",
                    fresh->content_age_source(), ")\n");
  } else {
    absl::StrAppend(&out, "Content age  unknown\n");
  }
  if (r.dns.has_value()) {
    absl::StrAppend(&out, "DNS          ", r.dns->up() ? "resolved" : "NOT RESOLVED", ":");
    for (const std::string& a : r.dns->dns_answers()) absl::StrAppend(&out, " ", a);
    absl::StrAppend(&out, "\n");
  }
  for (const v1::CheckReport& report : r.reports) {
    absl::StrAppend(&out, "Check        ", report.check(), ": ",
                    !report.error().empty() ? absl::StrCat("could not run (", report.error(), ")")
                    : report.findings().empty() ? "ok"
                                                : absl::StrCat(report.findings_size(), " finding(s)"),
                    "\n");
  }
  const std::vector<FlatFinding> findings = AllFindings(r);
  absl::StrAppend(&out, "\n", findings.empty() ? "No findings.\n"
                                               : absl::StrCat(findings.size(), " finding(s):\n"));
  for (const FlatFinding& f : findings) {
    absl::StrAppend(&out, "  [", SeverityName(f.finding->severity()), "] ", f.finding->kind(),
                    " (", f.check, "): ", f.finding->detail(), "\n");
    if (!f.finding->evidence().empty()) {
      absl::StrAppend(&out, "      evidence: ", f.finding->evidence().substr(0, 300), "\n");
    }
  }
  return out;
}

int OneShotExitCode(const OneShotResult& r) {
  if (!r.http.up()) return 1;
  if (r.dns.has_value() && !r.dns->up()) return 1;
  if (!AllFindings(r).empty()) return 1;
  for (const v1::CheckReport& report : r.reports) {
    if (!report.error().empty()) return 1;
  }
  return 0;
}

int RunProbeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  ProbeCommand command;
  bool json = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* into) {
      if (i + 1 >= args.size()) return false;
      *into = args[++i];
      return true;
    };
    std::string v;
    if (a == "--json") {
      json = true;
    } else if (a == "--help" || a == "-h") {
      out << kUsage;
      return 0;
    } else if (a == "--court-type" && value(&v)) {
      command.court_type = absl::AsciiStrToUpper(v);
    } else if (a == "--data-dir" && value(&v)) {
      command.data_dir = v;
    } else if (a == "--ca-file" && value(&v)) {
      command.ca_file = v;
    } else if (a == "--resolver" && value(&v)) {
      command.resolvers.push_back(v);
    } else if (a == "--must-contain" && value(&v)) {
      command.must_contain.push_back(v);
    } else if (a == "--timeout" && value(&v)) {
      double seconds = 0;
      if (!absl::SimpleAtod(v, &seconds) || !(seconds >= 0.1 && seconds <= 120)) {
        err << "pantau-agent probe: --timeout wants seconds between 0.1 and 120, got '" << v << "'\n";
        return 2;
      }
      command.timeout = absl::Seconds(seconds);
    } else if (!a.empty() && a[0] != '-' && command.url.empty()) {
      command.url = a;
    } else {
      err << "pantau-agent probe: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (command.url.empty()) {
    err << "pantau-agent probe: a URL is required\n" << kUsage;
    return 2;
  }
  RealClock clock;
  absl::StatusOr<OneShotResult> result = RunOneShot(command, clock);
  if (!result.ok()) {
    err << "pantau-agent probe: " << result.status().message() << "\n";
    return result.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  out << (json ? OneShotJson(*result) : OneShotText(*result));
  return OneShotExitCode(*result);
}

}  // namespace pantau::agent
