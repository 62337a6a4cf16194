#include "collector/incidents/escalation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pantau::collector {
namespace {

bool StepHolds(const EscalationStepSpec& step, const IncidentRow& row) {
  if (row.state == "resolved") return false;
  if (step.until == "unacknowledged") return row.state == "open";
  return true;  // "unresolved"
}

bool IsMajorOrWorse(IncidentSeverity s) { return s >= IncidentSeverity::kMajor; }

// How many whole `interval`s lie between `start` and `now`.
int IntervalsPassed(absl::Time start, absl::Duration interval, absl::Time now) {
  const int64_t step = absl::ToInt64Milliseconds(interval);
  if (now < start || step <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(now - start) / step, 1 << 30));
}

}  // namespace

absl::Duration StepDelay(const EscalationStepSpec& step, IncidentSeverity severity) {
  if (severity == IncidentSeverity::kCritical) return absl::ZeroDuration();
  return absl::Minutes(step.after_minutes);
}

std::vector<std::string> RolesUpTo(const PolicySpec& policy, int step) {
  std::vector<std::string> roles;
  for (int i = 0; i < step && i < static_cast<int>(policy.steps.size()); ++i) {
    const std::string& role = policy.steps[i].role;
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
  }
  return roles;
}

EscalationResult Advance(IncidentRow& row, const PolicySpec& policy, absl::Time now,
                         std::optional<absl::Time> maintenance_until) {
  EscalationResult out;
  if (row.state == "resolved") {
    row.next_reminder_at = row.next_situation_at = row.next_action_at = absl::InfiniteFuture();
    return out;
  }
  const int steps = static_cast<int>(policy.steps.size());
  if (maintenance_until.has_value() && *maintenance_until > now) {
    row.next_action_at = *maintenance_until;
    return out;
  }

  // Policy steps due now, in order. A step whose condition no longer holds (acknowledged
  // before the kasubbag's turn) is passed over; later steps may still come.
  for (int i = row.escalation_step; i < steps; ++i) {
    const EscalationStepSpec& step = policy.steps[i];
    if (row.opened_at + StepDelay(step, row.severity) > now) break;
    if (!StepHolds(step, row)) continue;
    Page page;
    page.kind = row.escalation_step == 0 ? MessageKind::kOpened : MessageKind::kEscalated;
    page.roles = {step.role};
    page.step = i + 1;
    page.sequence = absl::StrCat("step", i + 1);
    out.pages.push_back(std::move(page));
    out.events.push_back({"escalated", absl::StrCat("tahap ", i + 1, " (", step.role, ")")});
    row.escalation_step = i + 1;
  }

  // Reminders to everyone paged so far while nobody acknowledged.
  const absl::Duration reminder = absl::Minutes(policy.reminder_minutes);
  if (row.state == "open" && row.escalation_step > 0) {
    const int due = IntervalsPassed(row.opened_at, reminder, now);
    if (due > row.reminders_sent) {
      Page page;
      page.kind = MessageKind::kReminder;
      page.roles = RolesUpTo(policy, row.escalation_step);
      page.step = row.escalation_step;
      page.sequence = absl::StrCat("reminder", due);
      out.pages.push_back(std::move(page));
      out.events.push_back({"reminded", absl::StrCat("pengingat ke-", due)});
      row.reminders_sent = due;
    }
    row.next_reminder_at = row.opened_at + reminder * (row.reminders_sent + 1);
  } else {
    row.next_reminder_at = absl::InfiniteFuture();
  }

  // The sekretaris's situation update while a major or critical incident is open.
  const absl::Duration situation = absl::Minutes(policy.situation_minutes);
  if (IsMajorOrWorse(row.severity)) {
    const int due = IntervalsPassed(row.opened_at, situation, now);
    if (due > row.situations_sent) {
      Page page;
      page.kind = MessageKind::kSituation;
      page.roles = {"sekretaris"};
      page.step = row.escalation_step;
      page.sequence = absl::StrCat("situation", due);
      out.pages.push_back(std::move(page));
      out.events.push_back({"situation", absl::StrCat("laporan situasi ke-", due)});
      row.situations_sent = due;
    }
    row.next_situation_at = row.opened_at + situation * (row.situations_sent + 1);
  } else {
    row.next_situation_at = absl::InfiniteFuture();
  }

  absl::Time next = std::min(row.next_reminder_at, row.next_situation_at);
  for (int i = row.escalation_step; i < steps; ++i) {
    if (!StepHolds(policy.steps[i], row)) continue;
    next = std::min(next, row.opened_at + StepDelay(policy.steps[i], row.severity));
    break;
  }
  row.next_action_at = next;
  return out;
}

}  // namespace pantau::collector
