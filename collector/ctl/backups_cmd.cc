// pantauctl backups: the backup runs agents reported and each site's last verified backup.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/ctl/command.h"
#include "common/json_writer.h"

namespace pantau::ctl {
namespace {

// "1m30s": how long a run took.
std::string Duration(int64_t ms) {
  const int64_t s = ms / 1000;
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m", s % 60 == 0 ? "" : absl::StrCat(s % 60, "s"));
  return absl::StrCat(s / 3600, "h", (s % 3600) / 60, "m");
}

bool Failed(const v1::BackupSiteState& s) { return !s.last_backup_error().empty(); }

}  // namespace

std::string BackupsJson(const v1::ListBackupsResponse& backups) {
  JsonWriter w;
  w.BeginObject().Key("backups").BeginArray();
  for (const v1::BackupInfo& b : backups.backups()) {
    const v1::BackupSummary& s = b.summary();
    w.BeginObject()
        .Key("court_id").String(b.court_id())
        .Key("agent_id").String(b.agent_id())
        .Key("site").String(s.site())
        .Key("backup_id").String(s.backup_id())
        .Key("kind").String(s.kind())
        .Key("started_unix_ms").Int(s.started_unix_ms())
        .Key("finished_unix_ms").Int(s.finished_unix_ms())
        .Key("bytes").Int(s.bytes())
        .Key("files").Int(s.files())
        .Key("files_copied").Int(s.files_copied())
        .Key("source_bytes").Int(s.source_bytes())
        .Key("databases").Int(s.databases())
        .Key("database_bytes").Int(s.database_bytes())
        .Key("verified").Bool(s.verified())
        .Key("error").String(s.error())
        .Key("interval_seconds").Int(s.interval_seconds());
    w.Key("media").BeginArray();
    for (const std::string& m : s.media()) w.String(m);
    w.EndArray().Key("received_unix_ms").Int(b.received_unix_ms()).EndObject();
  }
  w.EndArray().Key("sites").BeginArray();
  for (const v1::BackupSiteState& s : backups.sites()) {
    w.BeginObject()
        .Key("court_id").String(s.court_id())
        .Key("site").String(s.site());
    WriteBackupStateMembers(w, s);
    w.EndObject();
  }
  w.EndArray()
      .Key("truncated").Bool(backups.truncated())
      .Key("now_unix_ms").Int(backups.now_unix_ms())
      .EndObject();
  return w.str();
}

std::string BackupsTable(const v1::ListBackupsResponse& backups) {
  if (backups.backups().empty() && backups.sites().empty()) {
    return "no backups reported (is the backup job enabled on the agent?)\n";
  }
  constexpr char kRow[] = "%-20s %-36s %-11s %-20s %8s %8s %8s %-8s  %s\n";
  std::string out = absl::StrFormat(kRow, "SITE", "ID", "KIND", "STARTED", "DURATION", "SIZE",
                                    "FILES", "VERIFIED", "ERROR");
  for (const v1::BackupInfo& b : backups.backups()) {
    const v1::BackupSummary& s = b.summary();
    absl::StrAppend(
        &out, absl::StrFormat(kRow, Cut(s.site(), 20), Cut(s.backup_id(), 36), s.kind(),
                              FormatTimeIn(s.started_unix_ms(), Wib()),
                              Duration(s.finished_unix_ms() - s.started_unix_ms()),
                              FormatBytes(s.bytes()), absl::StrCat(s.files()),
                              s.verified() ? "yes" : "NO", s.error().empty() ? "-" : s.error()));
  }
  if (backups.truncated()) {
    absl::StrAppend(&out, "(more backups match: use --limit or --site to see them)\n");
  }
  if (!backups.sites().empty()) {
    constexpr char kSiteRow[] = "%-14s %-20s %-16s %9s  %s\n";
    absl::StrAppend(&out, "\n",
                    absl::StrFormat(kSiteRow, "COURT", "SITE", "LAST VERIFIED", "INTERVAL",
                                    "STATE"));
    for (const v1::BackupSiteState& s : backups.sites()) {
      std::string verified = "none";
      if (s.last_verified_backup_known()) {
        verified = absl::StrCat(FormatAge(s.last_verified_backup_age_seconds()), " ago");
      }
      std::string state = "ok";
      if (Failed(s)) {
        state = absl::StrCat("FAILED: ", s.last_backup_error());
      } else if (!s.last_backup_verified()) {
        state = "newest not verified";
      }
      if (s.backup_overdue()) state = absl::StrCat("OVERDUE; ", state);
      absl::StrAppend(
          &out, absl::StrFormat(kSiteRow, s.court_id(), Cut(s.site(), 20), verified,
                                s.backup_interval_seconds() > 0
                                    ? FormatAge(s.backup_interval_seconds())
                                    : "6h (SOP)",
                                state));
    }
  }
  return out;
}

int BackupProblems(const v1::ListBackupsResponse& backups) {
  int n = 0;
  for (const v1::BackupSiteState& s : backups.sites()) {
    if (Failed(s) || s.backup_overdue()) ++n;
  }
  return n;
}

int RunBackups(Session& session, const std::vector<std::string>& args) {
  ListOptions list;
  ArgParser parser(session, "backups");
  list.AddTo(parser);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::ListBackupsRequest request;
  list.Fill(request);
  v1::ListBackupsResponse response;
  grpc::Status status = session.Call(&Stub::ListBackups, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << (list.json ? BackupsJson(response) + "\n" : BackupsTable(response));
  if (const int problems = BackupProblems(response); problems > 0) {
    session.err() << "pantauctl: " << problems << " site" << (problems == 1 ? "" : "s")
                  << " with a failed or overdue backup\n";
    return 1;
  }
  return 0;
}

}  // namespace pantau::ctl
