// pantauctl whoami, org apply, people, token issue: the operator's identity and the
// organisation.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/ctl/command.h"
#include "common/file.h"
#include "common/json_writer.h"

namespace pantau::ctl {
namespace {

// The collector refuses larger organisation files; so do we, before sending.
constexpr size_t kMaxOrgFileBytes = 4 << 20;

void StringArray(JsonWriter& w, const char* key,
                 const google::protobuf::RepeatedPtrField<std::string>& values) {
  w.Key(key).BeginArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

std::string CourtsText(const google::protobuf::RepeatedPtrField<std::string>& courts) {
  if (courts.empty()) return "-";
  if (std::find(courts.begin(), courts.end(), "*") != courts.end()) return "* (every court)";
  return absl::StrJoin(courts, ", ");
}

}  // namespace

int RunWhoAmI(Session& session, const std::vector<std::string>& args) {
  bool json = false;
  ArgParser parser(session, "whoami");
  parser.Flag("--json", &json);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::WhoAmIResponse response;
  grpc::Status status = session.Call(&Stub::WhoAmI, v1::WhoAmIRequest(), &response);
  if (!status.ok()) return session.Failed(status);
  if (json) {
    JsonWriter w;
    w.BeginObject()
        .Key("person_id").String(response.person_id())
        .Key("name").String(response.name())
        .Key("role").String(response.role());
    StringArray(w, "courts", response.courts());
    StringArray(w, "visible_courts", response.visible_courts());
    StringArray(w, "acting", response.acting());
    w.EndObject();
    session.out() << w.str() << "\n";
    return 0;
  }
  std::string out = absl::StrCat(response.person_id(), " (", response.name(), ")\n");
  absl::StrAppend(&out, "  role     ", response.role(), "\n");
  absl::StrAppend(&out, "  courts   ", CourtsText(response.courts()), "\n");
  if (std::find(response.courts().begin(), response.courts().end(), "*") ==
      response.courts().end()) {
    absl::StrAppend(&out, "  sees     ", CourtsText(response.visible_courts()), "\n");
  }
  if (!response.acting().empty()) {
    absl::StrAppend(&out, "  acting   ", absl::StrJoin(response.acting(), ", "), "\n");
  }
  session.out() << out;
  return 0;
}

int RunOrg(Session& session, const std::vector<std::string>& args) {
  ArgParser usage(session, "org");
  if (args.empty()) return usage.UsageError("missing subcommand: org apply FILE [--dry-run]");
  if (args[0] != "apply") {
    return usage.UsageError(absl::StrCat("unknown subcommand '", args[0], "' (apply)"));
  }
  bool dry_run = false;
  std::vector<std::string> positional;
  ArgParser parser(session, "org apply");
  parser.Flag("--dry-run", &dry_run).Positional(&positional, 1);
  if (!parser.Parse(std::vector<std::string>(args.begin() + 1, args.end()))) return 2;
  if (positional.empty()) return parser.UsageError("missing FILE (the organisation file)");
  const std::string& path = positional[0];

  absl::StatusOr<std::string> yaml = ReadFileToString(path, kMaxOrgFileBytes);
  if (!yaml.ok()) {
    session.err() << "pantauctl org apply: " << yaml.status().message() << "\n";
    return 1;
  }

  if (const int code = session.Connect(); code != 0) return code;
  v1::ApplyOrgRequest request;
  request.set_yaml(std::move(*yaml));
  request.set_source_name(path);
  request.set_dry_run(dry_run);
  v1::ApplyOrgResponse response;
  grpc::Status status = session.Call(&Stub::ApplyOrg, request, &response);
  if (!status.ok()) {
    // Checks against the database name only the line ("line 12: ..."): add the file.
    if (absl::StartsWith(status.error_message(), "line ")) {
      return session.Failed(grpc::Status(status.error_code(),
                                         absl::StrCat(path, ": ", status.error_message())));
    }
    return session.Failed(status);
  }
  std::string out;
  for (const std::string& change : response.changes()) absl::StrAppend(&out, change, "\n");
  if (response.changes().empty()) absl::StrAppend(&out, "no changes\n");
  absl::StrAppend(&out, Plural(response.courts(), "court", "courts"), ", ",
                  Plural(response.sites(), "site", "sites"), ", ",
                  Plural(response.people(), "person", "people"), ", ", response.acting(),
                  " acting, ", Plural(response.policies(), "policy", "policies"),
                  dry_run ? " (dry run: nothing changed)" : "", "\n");
  session.out() << out;
  return 0;
}

int RunPeople(Session& session, const std::vector<std::string>& args) {
  bool json = false;
  std::string court;
  ArgParser parser(session, "people");
  parser.Flag("--json", &json).Value("--court", &court);
  if (!parser.Parse(args)) return 2;
  if (const int code = session.Connect(); code != 0) return code;
  v1::ListPeopleRequest request;
  request.set_court_id(court);
  v1::ListPeopleResponse response;
  grpc::Status status = session.Call(&Stub::ListPeople, request, &response);
  if (!status.ok()) return session.Failed(status);
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("people").BeginArray();
    for (const v1::Person& p : response.people()) {
      w.BeginObject()
          .Key("id").String(p.id())
          .Key("name").String(p.name())
          .Key("role").String(p.role());
      StringArray(w, "courts", p.courts());
      StringArray(w, "channels", p.channels());
      w.Key("active").Bool(p.active()).Key("has_token").Bool(p.has_token()).EndObject();
    }
    w.EndArray().EndObject();
    session.out() << w.str() << "\n";
    return 0;
  }
  if (response.people().empty()) {
    session.out() << (court.empty() ? "no people" : absl::StrCat("no people of ", court))
                  << " (add them with pantauctl org apply FILE)\n";
    return 0;
  }
  constexpr char kRow[] = "%-16s %-24s %-10s %-28s %-23s %-8s %s\n";
  std::string out = absl::StrFormat(kRow, "ID", "NAME", "ROLE", "COURTS", "CHANNELS", "ACTIVE",
                                    "TOKEN");
  for (const v1::Person& p : response.people()) {
    absl::StrAppend(
        &out, absl::StrFormat(kRow, Cut(p.id(), 16), Cut(p.name(), 24), p.role(),
                              Cut(absl::StrJoin(p.courts(), ","), 28),
                              p.channels().empty() ? "-" : absl::StrJoin(p.channels(), ","),
                              p.active() ? "yes" : "no", p.has_token() ? "yes" : "no"));
  }
  session.out() << out;
  return 0;
}

int RunToken(Session& session, const std::vector<std::string>& args) {
  ArgParser usage(session, "token");
  if (args.empty()) return usage.UsageError("missing subcommand: token issue PERSON");
  if (args[0] != "issue") {
    return usage.UsageError(absl::StrCat("unknown subcommand '", args[0], "' (issue)"));
  }
  std::vector<std::string> positional;
  ArgParser parser(session, "token issue");
  parser.Positional(&positional, 1);
  if (!parser.Parse(std::vector<std::string>(args.begin() + 1, args.end()))) return 2;
  if (positional.empty()) return parser.UsageError("missing PERSON (a person id)");
  if (const int code = session.Connect(); code != 0) return code;
  v1::IssueTokenRequest request;
  request.set_person_id(positional[0]);
  v1::IssueTokenResponse response;
  grpc::Status status = session.Call(&Stub::IssueToken, request, &response);
  if (!status.ok()) return session.Failed(status);
  session.out() << response.token() << "\n";
  session.err() << "pantauctl: a new token for " << positional[0]
                << " (any older one stops working); store it now: it is shown once\n";
  return 0;
}

}  // namespace pantau::ctl
