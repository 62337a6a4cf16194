// The texts court staff receive, in Bahasa Indonesia: a page when an incident opens or
// escalates, reminders, the sekretaris's 15-minute situation update, a level raised, and the
// resolution. Pure functions of an IncidentView, so the outbox worker and the tests render
// the same thing. Times are shown in the court's zone (WIB, WITA, WIT).
//
//   RenderedMessage m = RenderMessage(MessageKind::kOpened, view, catalog.FindRunbook(view.kind));
#ifndef PANTAU_COLLECTOR_INCIDENTS_MESSAGES_H_
#define PANTAU_COLLECTOR_INCIDENTS_MESSAGES_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/incidents/catalog.h"

namespace pantau::collector {

enum class MessageKind {
  kOpened,      // first page to a step's recipients
  kEscalated,   // a later policy step reached (same text as kOpened, says the step)
  kReminder,    // not acknowledged yet
  kSituation,   // the sekretaris's periodic situation update
  kLevelRaised, // the signal got worse (certificate stage, severity raised)
  kResolved,    // recovered (by probes) or resolved by hand
};
// "opened", "escalated", "reminder", "situation", "level_raised", "resolved".
absl::string_view MessageKindName(MessageKind kind);

// What a message says about an incident.
struct IncidentView {
  int64_t id = 0;
  std::string court_id;
  std::string court_name;               // may be empty (court not in the org model yet)
  std::string time_zone = "Asia/Jakarta";
  std::string site;                     // site id (agent_silent: the agent id)
  std::string site_url;                 // may be empty
  std::string kind;
  IncidentSeverity severity = IncidentSeverity::kMajor;
  // "open", "acknowledged", "handed_off", "resolved".
  std::string state;
  // The signal's own words (English technical detail from the agent: error text, finding
  // detail, alert samples); shown under "Rincian teknis", cut to 500 bytes.
  std::string detail;
  absl::Time opened_at;
  absl::Time now;
  // 1-based policy step reached and its role ("staf", "kasubbag", "sekretaris").
  int step = 1;
  std::string step_role;
  // Who acknowledged, when; empty/InfinitePast when nobody yet.
  std::string acknowledged_by;
  absl::Time acknowledged_at = absl::InfinitePast();
  // Third party handling it (handed_off): vendor, ticket, contact, promised time.
  std::string vendor;
  std::string vendor_ticket;
  std::string vendor_contact;
  absl::Time vendor_sla_until = absl::InfinitePast();
  // Resolution note (kResolved) and who resolved ("pantau" when recovered by itself).
  std::string resolution;
  std::string resolved_by;
  // Web-root integrity incidents: the last verified backup before the first finding and how
  // to restore it (restore_known false = not such an incident: nothing is said). With
  // restore_known and an empty id the text says no verified backup is known.
  bool restore_known = false;
  std::string last_clean_backup_id;
  absl::Time last_clean_backup_at = absl::InfinitePast();
  std::string restore_command;
  // How to acknowledge: a pantauctl line is always given; "telegram" adds the button hint.
  std::string channel;
};

struct RenderedMessage {
  std::string subject;  // one line, at most ~150 bytes
  std::string text;     // plain text
  std::string json;     // for webhooks: {"incident": {...}, "message_kind", "subject", "text"}
};

// Subject like "[KRITIS] PN Bandung: Situs tidak dapat diakses (pn-bandung)". The text has:
// court, site (and URL), what happened (runbook title + summary), since when (court zone, and
// how long), severity, current escalation step, who is on it, the runbook's steps under
// "Alternatif pemecahan masalah" (numbered), the third-party hint, and how to acknowledge
// ("pantauctl incidents ack <id>", and the Telegram button). kSituation is short: what is
// down, since when, who is on it, next step. `runbook` may be null (a generic line is used).
RenderedMessage RenderMessage(MessageKind kind, const IncidentView& view, const Runbook* runbook);

// The restore lines of an integrity incident, each ending in "\n"; "" unless restore_known:
//   "Cadangan bersih terakhir: <id> (<local time>)\nPerintah pemulihan: <command>\n", or
//   "Belum ada cadangan terverifikasi sebelum temuan pertama.\n" without an id.
// Part of the full page texts and the situation update.
std::string RestoreLines(const IncidentView& view);

// "26 Nov 2026 08.05 WIB" in the zone; Indonesian month abbreviations.
std::string FormatLocalTime(absl::Time t, absl::string_view zone);
// "1 jam 5 menit", "3 hari 2 jam", "kurang dari 1 menit".
std::string FormatDurationId(absl::Duration d);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_INCIDENTS_MESSAGES_H_
