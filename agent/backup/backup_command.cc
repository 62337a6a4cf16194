// `pantau-agent backup run|list|verify|restore ...`.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/backup/backup.h"
#include "common/json_writer.h"

namespace pantau::agent::backup {
namespace {

constexpr char kUsage[] =
    "usage: pantau-agent backup run [--site S] [--full] [--config F]\n"
    "       pantau-agent backup list [--site S] [--json] [--config F]\n"
    "       pantau-agent backup verify ID|--latest [--site S] [--config F]\n"
    "       pantau-agent backup restore ID (--to DIR | --in-place) [--medium M] "
    "[--delete-extra] [--config F]\n";

struct Args {
  std::string command;
  std::string id;
  std::string config = "/etc/pantau/agent.yaml";
  std::string site;
  std::string to_dir;
  std::string medium;
  bool full = false;
  bool json = false;
  bool latest = false;
  bool in_place = false;
  bool delete_extra = false;
};

// Empty string when fine, else the usage problem.
std::string ParseArgs(const std::vector<std::string>& args, Args* a) {
  auto value = [&](size_t& i, std::string* out) -> bool {
    if (i + 1 >= args.size()) return false;
    *out = args[++i];
    return true;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--config") {
      if (!value(i, &a->config)) return "--config needs a file";
    } else if (s == "--site") {
      if (!value(i, &a->site)) return "--site needs a site id";
    } else if (s == "--to") {
      if (!value(i, &a->to_dir)) return "--to needs a directory";
    } else if (s == "--medium") {
      if (!value(i, &a->medium)) return "--medium needs a directory";
    } else if (s == "--full") {
      a->full = true;
    } else if (s == "--json") {
      a->json = true;
    } else if (s == "--latest") {
      a->latest = true;
    } else if (s == "--in-place") {
      a->in_place = true;
    } else if (s == "--delete-extra") {
      a->delete_extra = true;
    } else if (!s.empty() && s[0] == '-') {
      return absl::StrCat("unknown option ", s);
    } else if (a->command.empty()) {
      a->command = s;
    } else if (a->id.empty()) {
      a->id = s;
    } else {
      return absl::StrCat("unexpected argument ", s);
    }
  }
  if (a->command.empty()) return "missing command";
  if (a->command != "run" && a->command != "list" && a->command != "verify" &&
      a->command != "restore") {
    return absl::StrCat("unknown command ", a->command);
  }
  if (a->command == "verify" && a->id.empty() == !a->latest) return "verify needs ID or --latest";
  if (a->command == "restore") {
    if (a->id.empty()) return "restore needs a backup ID";
    if (a->to_dir.empty() == !a->in_place) {
      return "restore needs --to DIR or --in-place (in place overwrites the live files)";
    }
  }
  if ((a->command == "run" || a->command == "list") && !a->id.empty()) {
    return absl::StrCat("unexpected argument ", a->id);
  }
  return "";
}

std::string Mib(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

// A progress line on stderr when it is a terminal; nothing otherwise.
ProgressFn TerminalProgress(std::ostream& err, bool* used) {
  if (!isatty(2)) return nullptr;
  return [&err, used](const BackupProgress& p) {
    *used = true;
    std::string line = absl::StrCat("\r", p.phase, ": ", p.files_done);
    if (p.files_total > 0) absl::StrAppend(&line, "/", p.files_total);
    absl::StrAppend(&line, " files, ", Mib(p.bytes_done));
    if (p.bytes_total > 0) absl::StrAppend(&line, " of ", Mib(p.bytes_total));
    err << line << "\x1b[K" << std::flush;
  };
}

int Run(const AgentConfig& config, BackupCatalog& catalog, const Args& a, std::ostream& out,
        std::ostream& err) {
  std::vector<const SiteConfig*> sites;
  for (const SiteConfig& s : config.sites) {
    if (!a.site.empty() && s.id != a.site) continue;
    if (!s.backup.enabled) {
      if (!a.site.empty()) {
        err << "site " << s.id << " has no backup job (sites[].backup) in " << a.config << "\n";
        return 1;
      }
      continue;
    }
    sites.push_back(&s);
  }
  if (sites.empty()) {
    err << (a.site.empty() ? std::string("no site has a backup job in ") + a.config
                           : absl::StrCat("no site '", a.site, "' in ", a.config))
        << "\n";
    return 1;
  }
  RealClock clock;
  int rc = 0;
  for (const SiteConfig* site : sites) {
    bool used = false;
    RunOptions options;
    options.force_full = a.full;
    options.progress = TerminalProgress(err, &used);
    auto t0 = std::chrono::steady_clock::now();
    auto summary = RunBackup(config, *site, catalog, clock, options);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (used) err << "\n";
    if (!summary.ok()) {
      err << "backup of " << site->id << " failed: " << summary.status().message() << "\n";
      rc = 1;
      continue;
    }
    const v1::BackupSummary& s = *summary;
    if (!s.error().empty()) {
      out << site->id << ": backup " << s.backup_id() << " FAILED: " << s.error() << "\n";
      rc = 1;
      continue;
    }
    out << site->id << ": " << s.backup_id() << " " << s.kind() << ", " << s.files_copied()
        << " files copied, " << (s.files() - s.files_copied()) << " referenced, "
        << Mib(s.source_bytes()) << " covered, archive " << Mib(s.bytes());
    if (s.databases() > 0) out << ", " << s.databases() << " database(s) " << Mib(s.database_bytes());
    out << absl::StrFormat(", %.1f s, %.1f MB/s", seconds,
                           seconds > 0 ? s.source_bytes() / 1e6 / seconds : 0.0)
        << ", verified: " << (s.verified() ? "yes" : "no") << "\n";
  }
  return rc;
}

int List(BackupCatalog& catalog, const Args& a, std::ostream& out, std::ostream& err) {
  auto records = catalog.List(a.site);
  if (!records.ok()) {
    err << records.status().message() << "\n";
    return 1;
  }
  if (a.json) {
    JsonWriter w;
    w.BeginArray();
    for (const BackupRecord& r : *records) {
      w.BeginObject()
          .Key("id").String(r.id)
          .Key("site").String(r.site)
          .Key("kind").String(r.kind)
          .Key("base_id").String(r.base_id)
          .Key("started").String(absl::FormatTime(absl::RFC3339_sec, r.started, absl::UTCTimeZone()))
          .Key("bytes").Int(r.bytes)
          .Key("files").Int(r.files)
          .Key("files_copied").Int(r.files_copied)
          .Key("source_bytes").Int(r.source_bytes)
          .Key("databases").Int(r.databases)
          .Key("verified").Bool(r.verified)
          .Key("media").BeginArray();
      for (const std::string& m : r.media) w.String(m);
      w.EndArray().Key("error").String(r.error).EndObject();
    }
    w.EndArray();
    out << w.str() << "\n";
    return 0;
  }
  out << absl::StrFormat("%-40s %-11s %-19s %10s %8s %-8s %-30s %s\n", "ID", "KIND",
                         "STARTED", "SIZE", "FILES", "VERIFIED", "MEDIA", "ERROR");
  for (const BackupRecord& r : *records) {
    out << absl::StrFormat("%-40s %-11s %-19s %10s %8d %-8s %-30s %s\n", r.id, r.kind,
                           absl::FormatTime("%Y-%m-%d %H:%M:%S", r.started,
                                            absl::LocalTimeZone()),
                           Mib(r.bytes), r.files, r.verified ? "yes" : "no",
                           absl::StrJoin(r.media, ","), r.error);
  }
  if (records->empty()) out << "(no backups)\n";
  return 0;
}

int Verify(BackupCatalog& catalog, const Args& a, std::ostream& out, std::ostream& err) {
  std::string id = a.id;
  if (a.latest) {
    auto records = catalog.List(a.site);
    if (!records.ok()) {
      err << records.status().message() << "\n";
      return 1;
    }
    for (const BackupRecord& r : *records) {
      if (!r.archive_paths.empty()) {
        id = r.id;
        break;
      }
    }
    if (id.empty()) {
      err << "no backup to verify" << (a.site.empty() ? "" : " for site " + a.site) << "\n";
      return 1;
    }
  }
  bool used = false;
  auto result = VerifyBackup(catalog, id, TerminalProgress(err, &used));
  if (used) err << "\n";
  if (!result.ok()) {
    err << result.status().message() << "\n";
    return 1;
  }
  if (result->ok) {
    out << "backup " << id << ": ok, " << result->files_checked << " files checked\n";
    return 0;
  }
  out << "backup " << id << ": FAILED verification (" << result->problems.size()
      << " problem(s)):\n";
  for (const std::string& p : result->problems) out << "  " << p << "\n";
  return 1;
}

int Restore(const AgentConfig& config, BackupCatalog& catalog, const Args& a, std::ostream& out,
            std::ostream& err) {
  RestoreOptions options;
  options.to_dir = a.to_dir;
  options.medium = a.medium;
  options.delete_extra = a.delete_extra;
  // --delete-extra leaves alone what the job leaves out: its excludes, media and state_dir.
  if (auto record = catalog.Find(a.id); record.ok()) {
    for (const SiteConfig& s : config.sites) {
      if (s.id != record->site) continue;
      options.exclude = s.backup.exclude;
      options.skip_paths = s.backup.media;
    }
  }
  options.skip_paths.push_back(config.state_dir);
  bool used = false;
  options.progress = TerminalProgress(err, &used);
  absl::Status s = RestoreBackup(catalog, a.id, options, out);
  if (used) err << "\n";
  if (!s.ok()) {
    err << "restore of " << a.id << " failed: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunBackupCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Args a;
  std::string problem = ParseArgs(args, &a);
  if (!problem.empty()) {
    err << "pantau-agent backup: " << problem << "\n" << kUsage;
    return 2;
  }
  auto config = LoadAgentConfig(a.config);
  if (!config.ok()) {
    err << "cannot load configuration: " << config.status().message() << "\n";
    return 1;
  }
  if (!a.site.empty()) {
    bool known = false;
    for (const SiteConfig& s : config->sites) known = known || s.id == a.site;
    if (!known) {
      err << "no site '" << a.site << "' in " << a.config << "\n";
      return 1;
    }
  }
  auto catalog = BackupCatalog::Open(config->state_dir);
  if (!catalog.ok()) {
    err << catalog.status().message() << "\n";
    return 1;
  }
  if (a.command == "run") return Run(*config, **catalog, a, out, err);
  if (a.command == "list") return List(**catalog, a, out, err);
  if (a.command == "verify") return Verify(**catalog, a, out, err);
  return Restore(*config, **catalog, a, out, err);
}

}  // namespace pantau::agent::backup
