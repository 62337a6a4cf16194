// The escalation rules of one incident as a pure function of its row, its court's policy and
// the time: which policy steps are due, reminders while nobody acknowledged, the sekretaris's
// situation updates, and when to look again. The sweep (incident_engine.h) runs it on rows
// claimed with FOR UPDATE SKIP LOCKED and stores the result in the same transaction.
//
//   EscalationResult r = Advance(row, policy, now, /*maintenance_until=*/std::nullopt);
//   for (const Page& p : r.pages) ... one outbox row per recipient and channel ...
#ifndef PANTAU_COLLECTOR_INCIDENTS_ESCALATION_H_
#define PANTAU_COLLECTOR_INCIDENTS_ESCALATION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/messages.h"
#include "collector/incidents/org_spec.h"

namespace pantau::collector {

// One row of `incidents`.
struct IncidentRow {
  int64_t id = 0;
  std::string court_id;
  std::string site;
  std::string kind;
  IncidentSeverity severity = IncidentSeverity::kMajor;
  std::string state = "open";  // open, acknowledged, handed_off, resolved
  std::string detail;
  int level = 0;
  absl::Time opened_at;
  absl::Time last_signal_at;
  absl::Time acknowledged_at = absl::InfinitePast();
  std::string acknowledged_by;
  absl::Time resolved_at = absl::InfinitePast();
  std::string resolved_by;
  std::string resolution;
  std::string vendor;
  std::string vendor_ticket;
  std::string vendor_contact;
  absl::Time vendor_sla_at = absl::InfinitePast();
  bool vendor_ticket_open = false;
  int flap_count = 0;
  int escalation_step = 0;
  int reminders_sent = 0;
  int situations_sent = 0;
  // InfiniteFuture = nothing pending.
  absl::Time next_reminder_at = absl::InfiniteFuture();
  absl::Time next_situation_at = absl::InfiniteFuture();
  absl::Time next_action_at = absl::InfiniteFuture();
  // Integrity incidents: what to restore (see IncidentView); restore_known false otherwise.
  bool restore_known = false;
  std::string last_clean_backup_id;
  absl::Time last_clean_backup_at = absl::InfinitePast();
  std::string restore_command;
};

// Pages to send: to the people holding `roles` at the incident's court.
struct Page {
  MessageKind kind = MessageKind::kOpened;
  std::vector<std::string> roles;
  // Part of the idempotency key: the step, reminder or situation number, the level...
  std::string sequence;
  // The step the page is for (escalation pages), else the step reached.
  int step = 0;
};

// A timeline entry to record (actor "pantau").
struct TimelineEntry {
  std::string action;
  std::string note;
};

struct EscalationResult {
  std::vector<Page> pages;
  std::vector<TimelineEntry> events;
};

// The steps in effect for a severity: critical incidents get every step at once (the
// sekretaris at once, as the SOP's critical kinds require).
absl::Duration StepDelay(const EscalationStepSpec& step, IncidentSeverity severity);

// Roles of steps 1..`step` without repeats, in step order ("everyone paged so far").
std::vector<std::string> RolesUpTo(const PolicySpec& policy, int step);

// Moves `row` to `now`: pages the due steps whose `until` still holds, sends one reminder
// when one is due (to everyone paged so far, while unacknowledged), one situation update when
// due (sekretaris, major/critical, unresolved), and sets the next_* times. After a long pause
// it catches up with one page per kind, not one per missed interval. Within a maintenance
// window (`maintenance_until` set) nothing is paged and next_action_at moves to its end.
// A resolved row gets next_action_at = InfiniteFuture and no pages.
EscalationResult Advance(IncidentRow& row, const PolicySpec& policy, absl::Time now,
                         std::optional<absl::Time> maintenance_until);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INCIDENTS_ESCALATION_H_
