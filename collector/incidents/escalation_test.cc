#include "collector/incidents/escalation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"

namespace pantau::collector {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kOpened = absl::FromUnixSeconds(1'790'000'000);

IncidentRow Open(IncidentSeverity severity = IncidentSeverity::kMinor) {
  IncidentRow row;
  row.id = 7;
  row.court_id = "PN-X";
  row.site = "pn-x";
  row.kind = "site_down";
  row.severity = severity;
  row.opened_at = row.last_signal_at = kOpened;
  return row;
}

std::vector<std::string> Kinds(const EscalationResult& r) {
  std::vector<std::string> out;
  for (const Page& p : r.pages) {
    out.push_back(std::string(MessageKindName(p.kind)) + ":" + absl::StrJoin(p.roles, "+"));
  }
  return out;
}

absl::Time At(int minutes) { return kOpened + absl::Minutes(minutes); }

TEST(EscalationTest, SopDefaultStafAtOnceKasubbagAt15SekretarisAt60) {
  const PolicySpec policy = DefaultPolicy();
  IncidentRow row = Open();
  EXPECT_THAT(Kinds(Advance(row, policy, At(0), std::nullopt)), ElementsAre("opened:staf"));
  EXPECT_EQ(row.escalation_step, 1);
  EXPECT_EQ(row.next_action_at, At(15));
  EXPECT_THAT(Kinds(Advance(row, policy, At(14), std::nullopt)), IsEmpty());
  EXPECT_THAT(Kinds(Advance(row, policy, At(15), std::nullopt)),
              ElementsAre("escalated:kasubbag", "reminder:staf+kasubbag"));
  EXPECT_EQ(row.escalation_step, 2);
  EXPECT_EQ(row.next_action_at, At(30));
  EXPECT_THAT(Kinds(Advance(row, policy, At(30), std::nullopt)),
              ElementsAre("reminder:staf+kasubbag"));
  EXPECT_THAT(Kinds(Advance(row, policy, At(60), std::nullopt)),
              ElementsAre("escalated:sekretaris", "reminder:staf+kasubbag+sekretaris"));
  EXPECT_EQ(row.escalation_step, 3);
}

TEST(EscalationTest, AcknowledgementStopsRemindersAndSkipsKasubbagButNotSekretaris) {
  const PolicySpec policy = DefaultPolicy();
  IncidentRow row = Open();
  Advance(row, policy, At(0), std::nullopt);
  row.state = "acknowledged";
  EXPECT_THAT(Kinds(Advance(row, policy, At(5), std::nullopt)), IsEmpty());
  EXPECT_EQ(row.next_reminder_at, absl::InfiniteFuture());
  EXPECT_EQ(row.next_action_at, At(60));  // the kasubbag step no longer holds
  EXPECT_THAT(Kinds(Advance(row, policy, At(20), std::nullopt)), IsEmpty());
  EXPECT_THAT(Kinds(Advance(row, policy, At(60), std::nullopt)),
              ElementsAre("escalated:sekretaris"));
  EXPECT_EQ(row.next_action_at, absl::InfiniteFuture());
}

TEST(EscalationTest, CriticalReachesEveryStepAtOnceWithSituationUpdates) {
  const PolicySpec policy = DefaultPolicy();
  IncidentRow row = Open(IncidentSeverity::kCritical);
  EXPECT_THAT(Kinds(Advance(row, policy, At(0), std::nullopt)),
              ElementsAre("opened:staf", "escalated:kasubbag", "escalated:sekretaris"));
  row.state = "acknowledged";
  EXPECT_THAT(Kinds(Advance(row, policy, At(15), std::nullopt)),
              ElementsAre("situation:sekretaris"));
  EXPECT_EQ(row.next_action_at, At(30));
}

TEST(EscalationTest, MajorGetsSituationUpdatesEvery15MinutesUntilResolved) {
  const PolicySpec policy = DefaultPolicy();
  IncidentRow row = Open(IncidentSeverity::kMajor);
  Advance(row, policy, At(0), std::nullopt);
  row.state = "handed_off";
  EXPECT_THAT(Kinds(Advance(row, policy, At(15), std::nullopt)),
              ElementsAre("situation:sekretaris"));
  row.state = "resolved";
  EXPECT_THAT(Kinds(Advance(row, policy, At(30), std::nullopt)), IsEmpty());
  EXPECT_EQ(row.next_action_at, absl::InfiniteFuture());
}

TEST(EscalationTest, CatchesUpWithOnePagePerKindAfterAPause) {
  const PolicySpec policy = DefaultPolicy();
  IncidentRow row = Open(IncidentSeverity::kMajor);
  Advance(row, policy, At(0), std::nullopt);
  // The collectors were down for two hours.
  EXPECT_THAT(Kinds(Advance(row, policy, At(125), std::nullopt)),
              ElementsAre("escalated:kasubbag", "escalated:sekretaris",
                          "reminder:staf+kasubbag+sekretaris", "situation:sekretaris"));
  EXPECT_EQ(row.reminders_sent, 8);
  EXPECT_EQ(row.next_action_at, At(135));
}

TEST(EscalationTest, MaintenanceHoldsPagesUntilTheWindowEnds) {
  const PolicySpec policy = DefaultPolicy();
  IncidentRow row = Open();
  Advance(row, policy, At(0), std::nullopt);
  EXPECT_THAT(Kinds(Advance(row, policy, At(20), At(90))), IsEmpty());
  EXPECT_EQ(row.next_action_at, At(90));
  EXPECT_EQ(row.escalation_step, 1);
  EXPECT_THAT(Kinds(Advance(row, policy, At(90), std::nullopt)),
              ElementsAre("escalated:kasubbag", "escalated:sekretaris",
                          "reminder:staf+kasubbag+sekretaris"));
}

TEST(EscalationTest, RolesUpToListsEachRoleOnce) {
  PolicySpec policy = DefaultPolicy();
  policy.steps.push_back({"staf", 120, "unresolved"});
  EXPECT_THAT(RolesUpTo(policy, 4), ElementsAre("staf", "kasubbag", "sekretaris"));
  EXPECT_THAT(RolesUpTo(policy, 0), IsEmpty());
}

}  // namespace
}  // namespace pantau::collector
