// Internal to collector/ctl: what pantauctl's command files share. The connection to the
// collector with the operator's token (Session), a parser for one command's arguments
// (ArgParser), and text helpers for tables. Not part of pantau_ctl's interface (ctl.h).
//
//   int RunWhoAmI(Session& session, const std::vector<std::string>& args) {
//     bool json = false;
//     ArgParser parser(session, "whoami");
//     parser.Flag("--json", &json);
//     if (!parser.Parse(args)) return 2;
//     if (const int code = session.Connect(); code != 0) return code;
//     v1::WhoAmIResponse response;
//     grpc::Status status = session.Call(&Stub::WhoAmI, v1::WhoAmIRequest(), &response);
//     if (!status.ok()) return session.Failed(status);
//     ...
//   }
#ifndef PANTAU_COLLECTOR_CTL_COMMAND_H_
#define PANTAU_COLLECTOR_CTL_COMMAND_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/ctl/ctl.h"
#include "common/grpc_channel.h"
#include "common/json_writer.h"
#include "pantau/v1/operator_service.grpc.pb.h"

namespace pantau::ctl {

using Stub = v1::OperatorService::Stub;

// The whole usage text (ctl.cc).
extern const char kUsage[];

// --- text helpers ---------------------------------------------------------------------------

// The backup members of a site's state as JSON (inside an object the caller opened), for
// SiteStatus (status --json) and BackupSiteState (backups --json), which share these fields.
template <typename BackupState>
void WriteBackupStateMembers(JsonWriter& w, const BackupState& s) {
  w.Key("last_backup_unix_ms").Int(s.last_backup_unix_ms())
      .Key("last_backup_verified").Bool(s.last_backup_verified())
      .Key("last_backup_error").String(s.last_backup_error());
  w.Key("last_verified_backup_unix_ms");
  if (s.last_verified_backup_known()) {
    w.Int(s.last_verified_backup_unix_ms());
  } else {
    w.Null();
  }
  w.Key("last_verified_backup_age_seconds");
  if (s.last_verified_backup_known()) {
    w.Int(s.last_verified_backup_age_seconds());
  } else {
    w.Null();
  }
  w.Key("interval_seconds").Int(s.backup_interval_seconds())
      .Key("overdue").Bool(s.backup_overdue());
}

// "12s", "5m", "3h", "2d".
std::string FormatAge(int64_t seconds);
// The age of `unix_ms` at `now_unix_ms` (never negative).
std::string AgeAt(int64_t unix_ms, int64_t now_unix_ms);
// Cut to `width` bytes with "..." (on a UTF-8 character boundary).
std::string Cut(const std::string& text, size_t width);
// "12.3M": bytes for people.
std::string FormatBytes(int64_t bytes);
// `text` with spaces before it up to `width` characters (UTF-8 aware: "—" is one).
std::string PadLeft(const std::string& text, size_t width);
// "1 court", "2 courts".
std::string Plural(int64_t n, absl::string_view one, absl::string_view many);

// An Indonesian court's zone as a fixed offset (tzdata may be missing on the operator's
// machine; Indonesia has no daylight saving time) and its abbreviation.
struct CourtZone {
  absl::TimeZone zone;
  std::string abbreviation;  // "WIB", "WITA", "WIT"; "UTC" for other names
};
// Asia/Jakarta (and "" and "WIB") +07 WIB, Asia/Makassar (WITA) +08 WITA, Asia/Jayapura (WIT)
// +09 WIT; anything else UTC.
CourtZone ZoneOf(absl::string_view name);
// WIB, the zone of operator input without an offset.
CourtZone Wib();
// "2026-01-01 07:00 WIB"; "-" for 0 (no time).
std::string FormatTimeIn(int64_t unix_ms, const CourtZone& zone);

// Operator time input: "YYYY-MM-DD HH:MM" (or with "T" and/or ":SS") taken as WIB, or with an
// explicit zone: an offset ("+08:00", "Z") or a trailing " WIB" / " WITA" / " WIT". False with
// `error` set when the text is none of these.
bool ParseOperatorTime(absl::string_view text, absl::Time* time, std::string* error);

// --- the connection -------------------------------------------------------------------------

struct GlobalOptions {
  ChannelOptions channel;
  double timeout_seconds = 10;
  std::string token_file;  // --token-file
};

// One pantauctl run: global options, environment, output streams and, once Connect()ed, the
// stub. Not thread-safe. `env`, `out` and `err` must outlive it.
class Session {
 public:
  Session(GlobalOptions options, const CtlEnvironment& env, std::ostream& out, std::ostream& err);

  // Finds the operator token (--token-file, $PANTAU_TOKEN_FILE, $PANTAU_TOKEN,
  // ~/.config/pantau/token) and opens the channel. Returns 0 when connected, else prints why
  // and returns the exit code: 2 without a usable token, 1 when the channel cannot be made.
  int Connect();

  // One unary call with the deadline and the token. REQUIRES: Connect() returned 0.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    Prepare(context);
    return (stub_.get()->*method)(&context, request, response);
  }

  // Prints what the collector answered (the server's own message for refusals such as
  // PERMISSION_DENIED or FAILED_PRECONDITION; with the address and code for transport
  // trouble). Returns 1, the exit code.
  int Failed(const grpc::Status& status);

  // The operator's "now" (for --minutes, --sla-hours).
  absl::Time Now() const;

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

 private:
  void Prepare(grpc::ClientContext& context) const;

  const GlobalOptions options_;
  const CtlEnvironment& env_;
  std::ostream& out_;
  std::ostream& err_;
  std::string token_;
  // Where the token came from, named in errors (the token itself never is).
  std::string token_source_;
  std::unique_ptr<Stub> stub_;
};

// --- arguments of one command ---------------------------------------------------------------

// Parses a command's arguments: the options declared up front ("--json", "--court CODE",
// "--limit N"), everything else positional; "--" ends the options. Errors are printed as
// "pantauctl <command>: ..." to the session's err. Not thread-safe; targets must outlive it.
class ArgParser {
 public:
  ArgParser(Session& session, std::string command)
      : err_(session.err()), command_(std::move(command)) {}

  ArgParser& Flag(const char* name, bool* target);
  ArgParser& Value(const char* name, std::string* target);
  // A whole number within [min, max]; `*given` (optional) is set when the option was given.
  ArgParser& Number(const char* name, int64_t* target, int64_t min, int64_t max,
                    bool* given = nullptr);
  // Accepts up to `max` positional arguments into `target` (without this call: none).
  ArgParser& Positional(std::vector<std::string>* target, size_t max);

  // False after printing the problem (the caller returns 2).
  bool Parse(const std::vector<std::string>& args);

  // Prints "pantauctl <command>: <message>" and the usage; returns 2.
  int UsageError(absl::string_view message);

 private:
  struct Option {
    std::string name;
    bool* flag = nullptr;
    std::string* value = nullptr;
    int64_t* number = nullptr;
    int64_t min = 0, max = 0;
    bool* given = nullptr;
  };
  std::ostream& err_;
  const std::string command_;
  std::vector<Option> options_;
  std::vector<std::string>* positional_ = nullptr;
  size_t max_positional_ = 0;
};

// The options the list commands share (alerts, incidents, backups): --json, --court, --site,
// --limit 1..1000 (0 = the collector's default).
struct ListOptions {
  bool json = false;
  std::string court;
  std::string site;
  int64_t limit = 0;

  ArgParser& AddTo(ArgParser& parser) {
    return parser.Flag("--json", &json)
        .Value("--court", &court)
        .Value("--site", &site)
        .Number("--limit", &limit, 1, 1000);
  }
  // Court, site and limit of a List* request.
  template <typename Request>
  void Fill(Request& request) const {
    request.set_court_id(court);
    request.set_site(site);
    request.set_limit(static_cast<int32_t>(limit));
  }
};

// A positive incident or window id from `text`; false after printing a usage error.
bool ParseId(ArgParser& parser, const std::vector<std::string>& positional, const char* what,
             int64_t* id);

// --- commands: `args` are the arguments after the command's name; return the exit code -----

int RunStatus(Session& session, const std::vector<std::string>& args);
int RunAlerts(Session& session, const std::vector<std::string>& args);
int RunBackups(Session& session, const std::vector<std::string>& args);
int RunVisitors(Session& session, const std::vector<std::string>& args);
int RunIncidents(Session& session, const std::vector<std::string>& args);
int RunMaintenance(Session& session, const std::vector<std::string>& args);
int RunWhoAmI(Session& session, const std::vector<std::string>& args);
int RunOrg(Session& session, const std::vector<std::string>& args);
int RunPeople(Session& session, const std::vector<std::string>& args);
int RunToken(Session& session, const std::vector<std::string>& args);

}  // namespace pantau::ctl

#endif  // PANTAU_COLLECTOR_CTL_COMMAND_H_
