// `pantau-agent integrity status|scan|accept|maintenance ...`: works on state_dir/integrity.db
// directly, beside a running agent (SQLite WAL; one transaction per site scan). Every change
// bumps the state's generation, which the running monitor looks at every second.
#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/config/agent_config.h"
#include "agent/integrity/integrity_monitor.h"
#include "agent/integrity/integrity_store.h"
#include "agent/integrity/signature_set.h"
#include "agent/integrity/site_scanner.h"
#include "common/finding_severity.h"
#include "common/json_writer.h"

namespace pantau::agent::integrity {
namespace {

constexpr const char* kUsage =
    "usage: pantau-agent integrity status [--site S] [--json] [--config FILE]\n"
    "       pantau-agent integrity scan [--site S] [--config FILE]\n"
    "       pantau-agent integrity accept [--site S] [PATH...] [--config FILE]\n"
    "       pantau-agent integrity maintenance start --site S --minutes N [--reason TEXT] "
    "[--config FILE]\n"
    "       pantau-agent integrity maintenance end --site S [--config FILE]\n";

struct Args {
  std::string command;
  std::string sub;  // maintenance start|end
  std::string config = "/etc/pantau/agent.yaml";
  std::string site;
  bool json = false;
  int64_t minutes = 0;
  bool has_minutes = false;
  std::string reason;
  std::vector<std::string> paths;
};

// Returns an error message for bad usage, empty when fine.
std::string ParseArgs(const std::vector<std::string>& args, Args* out) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) -> bool {
      if (i + 1 >= args.size()) return false;
      *dst = args[++i];
      return true;
    };
    if (a == "--config") {
      if (!value(&out->config)) return "--config needs a file";
    } else if (a == "--site") {
      if (!value(&out->site)) return "--site needs a site id";
    } else if (a == "--json") {
      out->json = true;
    } else if (a == "--minutes") {
      std::string m;
      if (!value(&m) || !absl::SimpleAtoi(m, &out->minutes) || out->minutes < 1 ||
          out->minutes > 7 * 24 * 60) {
        return "--minutes needs a number of minutes, 1..10080";
      }
      out->has_minutes = true;
    } else if (a == "--reason") {
      if (!value(&out->reason)) return "--reason needs a text";
    } else if (a == "--help" || a == "-h") {
      return "help";
    } else if (absl::StartsWith(a, "--")) {
      return absl::StrCat("unknown option ", a);
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty()) return "missing command";
  out->command = positional[0];
  if (out->command == "maintenance") {
    if (positional.size() != 2 || (positional[1] != "start" && positional[1] != "end")) {
      return "maintenance needs start or end";
    }
    out->sub = positional[1];
    if (out->site.empty()) return "maintenance needs --site";
    if (out->sub == "start" && !out->has_minutes) return "maintenance start needs --minutes";
  } else if (out->command == "accept") {
    out->paths.assign(positional.begin() + 1, positional.end());
  } else if (out->command == "status" || out->command == "scan") {
    if (positional.size() > 1) return absl::StrCat("unexpected argument ", positional[1]);
  } else {
    return absl::StrCat("unknown command ", out->command);
  }
  return "";
}

// PATH as given (absolute under the web root, or relative to it) -> relative path; empty
// string and false when it is outside or climbs out.
bool RelativePath(const std::string& web_root, std::string path, std::string* rel) {
  std::string root = web_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (absl::StartsWith(path, "/")) {
    if (path == root) {
      *rel = "";
      return true;
    }
    if (!absl::StartsWith(path, root + "/")) return false;
    path = path.substr(root.size() + 1);
  }
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    if (p == "..") return false;
    parts.emplace_back(p);
  }
  *rel = absl::StrJoin(parts, "/");
  return true;
}

void PrintFindings(const std::string& site, const std::vector<StoredFinding>& findings,
                   std::ostream& out) {
  if (findings.empty()) {
    out << site << ": no open integrity findings\n";
    return;
  }
  out << site << ": " << findings.size() << " open integrity finding"
      << (findings.size() == 1 ? "" : "s") << "\n";
  for (const StoredFinding& f : findings) {
    out << "  " << absl::AsciiStrToUpper(SeverityName(f.severity)) << "  " << f.kind << "  "
        << (f.path.empty() ? "." : f.path) << "\n      " << f.detail << "\n      evidence: "
        << f.evidence << "\n      since "
        << absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(f.first_seen_ms),
                            absl::UTCTimeZone())
        << "\n";
  }
}

}  // namespace

int RunIntegrityCommand(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  Args a;
  const std::string usage_error = ParseArgs(args, &a);
  if (usage_error == "help") {
    out << kUsage;
    return 0;
  }
  if (!usage_error.empty()) {
    err << "pantau-agent integrity: " << usage_error << "\n" << kUsage;
    return 2;
  }
  auto config = LoadAgentConfig(a.config);
  if (!config.ok()) {
    err << "pantau-agent integrity: " << config.status().message() << "\n";
    return 1;
  }
  std::vector<SiteConfig> sites;
  for (const SiteConfig& site : config->sites) {
    if (!site.integrity.enabled || site.web_root.empty()) continue;
    if (!a.site.empty() && site.id != a.site) continue;
    sites.push_back(site);
  }
  if (sites.empty()) {
    if (!a.site.empty()) {
      err << "pantau-agent integrity: no site '" << a.site
          << "' with integrity monitoring (and a web_root) in " << a.config << "\n";
    } else {
      err << "pantau-agent integrity: no site with integrity monitoring in " << a.config << "\n";
    }
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(config->state_dir, ec);
  auto store = IntegrityStore::Open(config->state_dir + "/integrity.db");
  if (!store.ok()) {
    err << "pantau-agent integrity: " << store.status().message() << "\n";
    return 1;
  }
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  auto fail = [&](const absl::Status& status) {
    err << "pantau-agent integrity: " << status.message() << "\n";
    return 1;
  };

  if (a.command == "status") {
    bool any = false;
    JsonWriter json;
    json.BeginObject().Key("sites").BeginArray();
    for (const SiteConfig& site : sites) {
      auto findings = (*store)->Findings(site.id);
      if (!findings.ok()) return fail(findings.status());
      auto window = (*store)->Maintenance(site.id);
      if (!window.ok()) return fail(window.status());
      any = any || !findings->empty();
      if (a.json) {
        json.BeginObject().Key("site").String(site.id);
        if (window->has_value()) {
          json.Key("maintenance_until_unix_ms").Int((*window)->until_ms);
          json.Key("maintenance_reason").String((*window)->reason);
        }
        json.Key("findings").BeginArray();
        for (const StoredFinding& f : *findings) {
          json.BeginObject()
              .Key("path").String(f.path)
              .Key("kind").String(f.kind)
              .Key("severity").String(SeverityName(f.severity))
              .Key("detail").String(f.detail)
              .Key("evidence").String(f.evidence)
              .Key("first_seen_unix_ms").Int(f.first_seen_ms)
              .EndObject();
        }
        json.EndArray().EndObject();
      } else {
        PrintFindings(site.id, *findings, out);
        if (window->has_value() && (*window)->until_ms > now_ms) {
          out << "  maintenance until "
              << absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                  absl::FromUnixMillis((*window)->until_ms), absl::UTCTimeZone())
              << ((*window)->reason.empty() ? "" : ": ") << (*window)->reason << "\n";
        }
      }
    }
    json.EndArray().EndObject();
    if (a.json) out << json.str() << "\n";
    return any ? 1 : 0;
  }

  auto signatures = SignatureSet::Load(config->data_dir + "/integrity/signatures.yaml");
  if (!signatures.ok()) return fail(signatures.status());

  if (a.command == "scan") {
    bool any = false;
    for (const SiteConfig& site : sites) {
      SiteScanner scanner(site, *signatures, store->get());
      auto result = FullScan(scanner, **store, now_ms);
      if (!result.ok()) return fail(result.status());
      auto findings = (*store)->Findings(site.id);
      if (!findings.ok()) return fail(findings.status());
      out << site.id << ": scanned " << result->entries << " entries, hashed " << result->hashed
          << "\n";
      PrintFindings(site.id, *findings, out);
      any = any || !findings->empty();
    }
    if (auto s = (*store)->BumpGeneration(); !s.ok()) return fail(s);
    return any ? 1 : 0;
  }

  if (a.command == "accept") {
    if (!a.paths.empty() && a.site.empty() && sites.size() > 1) {
      for (const std::string& p : a.paths) {
        if (!absl::StartsWith(p, "/")) {
          err << "pantau-agent integrity: relative PATH " << p
              << " needs --site (there are several sites)\n";
          return 2;
        }
      }
    }
    int accepted = 0;
    for (const SiteConfig& site : sites) {
      SiteScanner scanner(site, *signatures, store->get());
      std::vector<std::string> rels;
      if (a.paths.empty()) {
        rels.push_back("");
      } else {
        for (const std::string& p : a.paths) {
          std::string rel;
          if (!RelativePath(site.web_root, p, &rel) &&
              !RelativePath(scanner.site().web_root, p, &rel)) {
            if (sites.size() == 1) {
              err << "pantau-agent integrity: " << p << " is not under the web root "
                  << site.web_root << " of site " << site.id << "\n";
              return 2;
            }
            continue;  // another site's path
          }
          rels.push_back(rel);
        }
      }
      for (const std::string& rel : rels) {
        auto result = scanner.Scan(rel, true, ScanMode::kAccept, now_ms);
        if (!result.ok()) return fail(result.status());
        auto deleted = (*store)->DeleteFindings(site.id, rel);
        if (!deleted.ok()) return fail(deleted.status());
        accepted += *deleted;
        out << site.id << ": accepted " << (rel.empty() ? "the whole web root" : rel) << " ("
            << *deleted << " finding" << (*deleted == 1 ? "" : "s") << " cleared)\n";
      }
    }
    if (auto s = (*store)->BumpGeneration(); !s.ok()) return fail(s);
    (void)accepted;
    return 0;
  }

  // maintenance
  const SiteConfig& site = sites.front();
  if (a.sub == "start") {
    MaintenanceWindow window;
    window.started_ms = now_ms;
    window.until_ms = now_ms + a.minutes * 60 * 1000;
    window.reason = a.reason;
    if (auto s = (*store)->SetMaintenance(site.id, window); !s.ok()) return fail(s);
    if (auto s = (*store)->BumpGeneration(); !s.ok()) return fail(s);
    out << site.id << ": maintenance until "
        << absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(window.until_ms),
                            absl::UTCTimeZone())
        << "; changes made until then are taken into the baseline (webshell signatures are "
           "still reported)\n";
    return 0;
  }
  auto window = (*store)->Maintenance(site.id);
  if (!window.ok()) return fail(window.status());
  if (!window->has_value()) {
    err << "pantau-agent integrity: site " << site.id << " has no maintenance window\n";
    return 1;
  }
  if (auto s = (*store)->EndMaintenance(site.id, now_ms); !s.ok()) return fail(s);
  // Take the window's changes into the baseline here, so it holds without a running agent.
  SiteScanner scanner(site, *signatures, store->get());
  auto result = FullScan(scanner, **store, now_ms);
  if (!result.ok()) return fail(result.status());
  if (auto s = (*store)->BumpGeneration(); !s.ok()) return fail(s);
  out << site.id << ": maintenance ended; changes taken into the baseline\n";
  return 0;
}

}  // namespace pantau::agent::integrity
