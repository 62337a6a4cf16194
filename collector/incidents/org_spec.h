// The organisation as a YAML file: courts (satker) with their sites, people with roles and
// contact channels, acting officials (Plt./Plh.) and escalation policies. `pantauctl org apply
// FILE` sends the file's text to the collector, which parses it with ParseOrgSpec and applies
// it in one transaction (idempotent), so a region is set up in one step.
//
//   PANTAU_ASSIGN_OR_RETURN(OrgSpec org, ParseOrgSpec(yaml_text, "region-jabar.yaml"));
//
// The file format is documented in docs/INCIDENTS.md ("Organisation file").
#ifndef PANTAU_COLLECTOR_INCIDENTS_ORG_SPEC_H_
#define PANTAU_COLLECTOR_INCIDENTS_ORG_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace pantau::collector {

// Court types: PN, PA, MS, PTUN, PM (first instance), PT, PTA, MSA, PTTUN, PMT (= DILMILTI,
// also accepted), PMU (appeal), MA; the agent's court_type codes plus DILMILTI and MA.
// BADILUM/BADILAG/... are not courts (refused).
bool IsCourtType(absl::string_view type);
// Asia/Jakarta (WIB, +07), Asia/Makassar (WITA, +08), Asia/Jayapura (WIT, +09).
bool IsIndonesianTimeZone(absl::string_view zone);
// "WIB", "WITA", "WIT" for the zones above; "UTC" otherwise.
absl::string_view TimeZoneAbbreviation(absl::string_view zone);
// UTC offset of the zones above in hours (7, 8, 9); 0 otherwise. Indonesia has no DST.
int TimeZoneOffsetHours(absl::string_view zone);

// Roles: staf, kasubbag, sekretaris, admin.
bool IsRole(absl::string_view role);
// A person id: 1..64 of [a-z0-9._-].
bool IsPersonId(absl::string_view id);

struct SiteSpec {
  std::string id;    // site id as agents report it, [A-Za-z0-9._-]{1,128}
  std::string name;  // optional display name
  std::string url;   // optional
};

struct CourtSpec {
  std::string code;    // court_id, [A-Za-z0-9._-]{1,64}
  std::string name;    // e.g. "Pengadilan Negeri Bandung"
  std::string type;    // IsCourtType
  std::string parent;  // code of the appeal court above it; may be empty
  std::string time_zone = "Asia/Jakarta";
  std::vector<SiteSpec> sites;
  int line = 0;
};

struct PersonSpec {
  std::string id;  // [a-z0-9._-]{1,64}
  std::string name;
  std::string role;  // IsRole
  // Courts the person works for. A court also covers the courts below it (parent chain), so
  // a regional person lists the appeal court. "*" means every court (admins of the collector).
  std::vector<std::string> courts;
  std::string email;             // optional, checked loosely (local@domain)
  std::string telegram_chat_id;  // optional, decimal (may be negative)
  std::string telegram_user_id;  // optional, decimal; who may press the ack button
  std::string whatsapp;          // optional, +62... (8-15 digits after +)
  bool active = true;            // false: receives nothing, token refused
  int line = 0;
};

// A person standing in for a role at a court over a date range (inclusive, in the court's
// zone): they receive that role's pages and may act as it.
struct ActingSpec {
  std::string person;
  std::string court;
  std::string role;
  std::string title = "Plh.";  // "Plt." or "Plh."
  absl::CivilDay from;
  absl::CivilDay to;
  int line = 0;
};

struct EscalationStepSpec {
  std::string role;       // staf, kasubbag or sekretaris
  int after_minutes = 0;  // since the incident opened
  // The step fires only while the incident is "unacknowledged" or "unresolved".
  std::string until = "unacknowledged";
};

struct PolicySpec {
  // The court it applies to; "*" is the default for courts without their own.
  std::string court = "*";
  // In after_minutes order. The SOP default (DefaultPolicy()): staf at 0 until acknowledged,
  // kasubbag at 15 until acknowledged, sekretaris at 60 until resolved.
  std::vector<EscalationStepSpec> steps;
  // Reminders to everyone paged so far, while unacknowledged (default 15).
  int reminder_minutes = 15;
  // Situation updates to the sekretaris while a major or critical incident is open (default 15).
  int situation_minutes = 15;
  int line = 0;
};

// The SOP's default policy (court "*").
PolicySpec DefaultPolicy();

struct OrgSpec {
  std::vector<CourtSpec> courts;
  std::vector<PersonSpec> people;
  std::vector<ActingSpec> acting;
  std::vector<PolicySpec> policies;
};

// Parses and validates; InvalidArgument names source_name:line, the key and what is wrong:
// unknown keys, missing required keys, bad codes/ids, duplicate court codes, site ids or
// person ids, a parent that is neither in the file nor syntactically valid, a cycle of
// parents within the file, unknown type/zone/role, bad contacts, acting with from > to or an
// unknown title, policy steps not in after_minutes order, unknown `until`, minutes outside
// 0..10080 (reminder/situation 1..1440). Also refused: a policy for a court given twice, a
// policy without steps or without a sekretaris step (SOP: report to the Secretary), one role
// in two steps of a policy, acting as admin, "*" combined with court codes in a person's
// courts. References to courts or people not in the file are left to the store (they may
// exist already).
absl::StatusOr<OrgSpec> ParseOrgSpec(absl::string_view yaml, absl::string_view source_name);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INCIDENTS_ORG_SPEC_H_
