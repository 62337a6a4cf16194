#include "collector/incidents/org_spec.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A region as a Pengadilan Tinggi would set it up: the appeal court, two district courts, a
// religious court whose appeal court is set up elsewhere, people with every channel, a Plh.
// sekretaris, the default policy and a faster one for one court.
constexpr char kRegion[] = R"(# Wilayah hukum PT Bandung
courts:
  - code: PT-BANDUNG
    name: Pengadilan Tinggi Bandung
    type: PT
    time_zone: Asia/Jakarta
    sites:
      - {id: pt-bandung, name: Situs resmi, url: "https://pt-bandung.go.id/"}
  - code: PN-BANDUNG
    name: Pengadilan Negeri Bandung
    type: PN
    parent: PT-BANDUNG
    sites:
      - {id: pn-bandung, name: Situs resmi, url: "https://pn-bandung.go.id/"}
      - {id: pn-bandung-sipp, name: SIPP, url: "https://sipp.pn-bandung.go.id/"}
  - code: PN-BEKASI
    name: Pengadilan Negeri Bekasi
    type: PN
    parent: PT-BANDUNG
    sites:
      - id: pn-bekasi
  - code: PA-BANDUNG
    name: Pengadilan Agama Bandung
    type: PA
    parent: PTA-BANDUNG
people:
  - {id: budi, name: Budi Santoso, role: staf, courts: [PN-BANDUNG], email: budi@pn-bandung.go.id, telegram_chat_id: "123", telegram_user_id: "123", whatsapp: "+6281234567890"}
  - id: siti
    name: Siti Rahmawati
    role: kasubbag
    courts: [PN-BANDUNG, PN-BEKASI]
    telegram_chat_id: -1001234567890
  - {id: rina, name: Rina Wulandari, role: staf, courts: [PN-BANDUNG]}
  - {id: agus, name: Agus Salim, role: sekretaris, courts: [PN-BANDUNG], email: agus@pn-bandung.go.id}
  - {id: wawan, name: Wawan Setiawan, role: sekretaris, courts: [PT-BANDUNG], active: false}
  - {id: admin.pusat, name: Admin Pantau, role: admin, courts: ["*"]}
acting:
  - {person: rina, court: PN-BANDUNG, role: sekretaris, title: Plh., from: 2026-12-01, to: 2026-12-05}
  - {person: siti, court: PN-BEKASI, role: kasubbag, from: 2026-12-24, to: 2026-12-24}
policies:
  - court: "*"
    steps:
      - {role: staf, after_minutes: 0, until: unacknowledged}
      - {role: kasubbag, after_minutes: 15, until: unacknowledged}
      - {role: sekretaris, after_minutes: 60, until: unresolved}
    reminder_minutes: 15
    situation_minutes: 15
  - court: PN-BANDUNG
    steps:
      - {role: staf, after_minutes: 0}
      - {role: kasubbag, after_minutes: 10}
      - {role: sekretaris, after_minutes: 30, until: unresolved}
    reminder_minutes: 10
)";

TEST(ParseOrgSpec, ParsesAWholeRegion) {
  absl::StatusOr<OrgSpec> org = ParseOrgSpec(kRegion, "region-jabar.yaml");
  ASSERT_THAT(org, IsOk());

  ASSERT_EQ(org->courts.size(), 4u);
  const CourtSpec& pn = org->courts[1];
  EXPECT_EQ(pn.code, "PN-BANDUNG");
  EXPECT_EQ(pn.name, "Pengadilan Negeri Bandung");
  EXPECT_EQ(pn.type, "PN");
  EXPECT_EQ(pn.parent, "PT-BANDUNG");
  EXPECT_EQ(pn.time_zone, "Asia/Jakarta");  // the default
  EXPECT_EQ(pn.line, 9);
  ASSERT_EQ(pn.sites.size(), 2u);
  EXPECT_EQ(pn.sites[1].id, "pn-bandung-sipp");
  EXPECT_EQ(pn.sites[1].name, "SIPP");
  EXPECT_EQ(pn.sites[1].url, "https://sipp.pn-bandung.go.id/");
  EXPECT_EQ(org->courts[2].sites[0].id, "pn-bekasi");
  EXPECT_EQ(org->courts[2].sites[0].url, "");
  EXPECT_EQ(org->courts[3].parent, "PTA-BANDUNG");  // not in the file: left to the store

  ASSERT_EQ(org->people.size(), 6u);
  const PersonSpec& budi = org->people[0];
  EXPECT_EQ(budi.id, "budi");
  EXPECT_EQ(budi.role, "staf");
  EXPECT_THAT(budi.courts, ElementsAre("PN-BANDUNG"));
  EXPECT_EQ(budi.email, "budi@pn-bandung.go.id");
  EXPECT_EQ(budi.telegram_chat_id, "123");
  EXPECT_EQ(budi.telegram_user_id, "123");
  EXPECT_EQ(budi.whatsapp, "+6281234567890");
  EXPECT_TRUE(budi.active);
  EXPECT_EQ(org->people[1].telegram_chat_id, "-1001234567890");
  EXPECT_THAT(org->people[1].courts, ElementsAre("PN-BANDUNG", "PN-BEKASI"));
  EXPECT_FALSE(org->people[4].active);
  EXPECT_THAT(org->people[5].courts, ElementsAre("*"));

  ASSERT_EQ(org->acting.size(), 2u);
  const ActingSpec& plh = org->acting[0];
  EXPECT_EQ(plh.person, "rina");
  EXPECT_EQ(plh.role, "sekretaris");
  EXPECT_EQ(plh.title, "Plh.");
  EXPECT_EQ(plh.from, absl::CivilDay(2026, 12, 1));
  EXPECT_EQ(plh.to, absl::CivilDay(2026, 12, 5));
  EXPECT_EQ(org->acting[1].title, "Plh.");  // the default
  EXPECT_EQ(org->acting[1].from, org->acting[1].to);

  ASSERT_EQ(org->policies.size(), 2u);
  const PolicySpec& def = org->policies[0];
  const PolicySpec expected = DefaultPolicy();
  EXPECT_EQ(def.court, "*");
  ASSERT_EQ(def.steps.size(), expected.steps.size());
  for (size_t i = 0; i < def.steps.size(); ++i) {
    EXPECT_EQ(def.steps[i].role, expected.steps[i].role);
    EXPECT_EQ(def.steps[i].after_minutes, expected.steps[i].after_minutes);
    EXPECT_EQ(def.steps[i].until, expected.steps[i].until);
  }
  const PolicySpec& fast = org->policies[1];
  EXPECT_EQ(fast.court, "PN-BANDUNG");
  EXPECT_EQ(fast.steps[1].after_minutes, 10);
  EXPECT_EQ(fast.steps[1].until, "unacknowledged");  // the default
  EXPECT_EQ(fast.reminder_minutes, 10);
  EXPECT_EQ(fast.situation_minutes, 15);  // the default
}

TEST(ParseOrgSpec, AcceptsAFileWithOnlyPeople) {
  absl::StatusOr<OrgSpec> org =
      ParseOrgSpec("people:\n  - {id: budi, name: Budi, role: staf, courts: [PN-X]}\n", "p.yaml");
  ASSERT_THAT(org, IsOk());
  EXPECT_TRUE(org->courts.empty());
  EXPECT_EQ(org->people.size(), 1u);
}

TEST(OrgSpec, CourtTypesZonesAndRoles) {
  for (const char* type : {"PN", "PA", "MS", "PTUN", "PM", "PT", "PTA", "MSA", "PTTUN", "PMT",
                           "DILMILTI", "PMU", "MA"}) {
    EXPECT_TRUE(IsCourtType(type)) << type;
  }
  for (const char* type : {"BADILUM", "BADILAG", "pn", "", "KPN"}) {
    EXPECT_FALSE(IsCourtType(type)) << type;
  }
  EXPECT_TRUE(IsIndonesianTimeZone("Asia/Makassar"));
  EXPECT_FALSE(IsIndonesianTimeZone("Asia/Singapore"));
  EXPECT_EQ(TimeZoneAbbreviation("Asia/Jakarta"), "WIB");
  EXPECT_EQ(TimeZoneAbbreviation("Asia/Makassar"), "WITA");
  EXPECT_EQ(TimeZoneAbbreviation("Asia/Jayapura"), "WIT");
  EXPECT_EQ(TimeZoneAbbreviation("Europe/Paris"), "UTC");
  EXPECT_EQ(TimeZoneOffsetHours("Asia/Jakarta"), 7);
  EXPECT_EQ(TimeZoneOffsetHours("Asia/Makassar"), 8);
  EXPECT_EQ(TimeZoneOffsetHours("Asia/Jayapura"), 9);
  EXPECT_EQ(TimeZoneOffsetHours("UTC"), 0);
  for (const char* role : {"staf", "kasubbag", "sekretaris", "admin"}) EXPECT_TRUE(IsRole(role));
  EXPECT_FALSE(IsRole("ketua"));
}

TEST(OrgSpec, DefaultPolicyFollowsTheSop) {
  const PolicySpec policy = DefaultPolicy();
  EXPECT_EQ(policy.court, "*");
  ASSERT_EQ(policy.steps.size(), 3u);
  EXPECT_EQ(policy.steps[0].role, "staf");
  EXPECT_EQ(policy.steps[0].after_minutes, 0);
  EXPECT_EQ(policy.steps[0].until, "unacknowledged");
  EXPECT_EQ(policy.steps[1].role, "kasubbag");
  EXPECT_EQ(policy.steps[1].after_minutes, 15);
  EXPECT_EQ(policy.steps[1].until, "unacknowledged");
  EXPECT_EQ(policy.steps[2].role, "sekretaris");
  EXPECT_EQ(policy.steps[2].after_minutes, 60);
  EXPECT_EQ(policy.steps[2].until, "unresolved");
  EXPECT_EQ(policy.reminder_minutes, 15);
  EXPECT_EQ(policy.situation_minutes, 15);
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string error;  // expected in the message, with file:line
};

constexpr char kCourt[] =
    "courts:\n"
    "  - code: PN-BANDUNG\n"
    "    name: Pengadilan Negeri Bandung\n"
    "    type: PN\n";
constexpr char kPolicyHead[] = "policies:\n  - court: \"*\"\n    steps:\n";

std::string Person(absl::string_view extra) {
  return absl::StrCat("people:\n  - {id: budi, name: Budi, role: staf, courts: [PN-BANDUNG]", extra,
                      "}\n");
}

std::vector<BadCase> BadCases() {
  return {
      // A block value's line is that of its first line.
      {"unknown top-level key", "court:\n  - code: PN-X\n", "org.yaml:2: court: unknown key"},
      {"unknown court key", absl::StrCat(kCourt, "    timezone: Asia/Jakarta\n"),
       "org.yaml:5: court 'PN-BANDUNG'.timezone: unknown key (misspelt?)"},
      {"missing court name", "courts:\n  - code: PN-X\n    type: PN\n",
       "org.yaml:2: court 'PN-X'.name: is required"},
      {"bad court code", "courts:\n  - code: PN BANDUNG\n    name: X\n    type: PN\n",
       "org.yaml:2: court.code: 'PN BANDUNG' is not a valid court code"},
      {"not a court", "courts:\n  - code: BADILUM\n    name: Badilum\n    type: BADILUM\n",
       "org.yaml:4: court 'BADILUM'.type: unknown court type 'BADILUM' (PN, PA, MS"},
      {"unknown zone", absl::StrCat(kCourt, "    time_zone: Asia/Singapore\n"),
       "org.yaml:5: court 'PN-BANDUNG'.time_zone: unknown zone 'Asia/Singapore'"},
      {"duplicate court", absl::StrCat(kCourt, "  - {code: PN-BANDUNG, name: Lagi, type: PN}\n"),
       "org.yaml:5: court 'PN-BANDUNG'.code: court code 'PN-BANDUNG' appears twice (first at "
       "line 2)"},
      {"bad parent", absl::StrCat(kCourt, "    parent: PT BANDUNG\n"),
       "org.yaml:5: court 'PN-BANDUNG'.parent: 'PT BANDUNG' is not a valid court code"},
      {"own parent", absl::StrCat(kCourt, "    parent: PN-BANDUNG\n"),
       "org.yaml:5: court 'PN-BANDUNG'.parent: a court cannot be its own parent"},
      {"parent cycle",
       "courts:\n"
       "  - {code: A, name: A, type: PN, parent: B}\n"
       "  - {code: B, name: B, type: PT, parent: C}\n"
       "  - {code: C, name: C, type: MA, parent: A}\n",
       "org.yaml:2: court 'A'.parent: the parents form a cycle: A -> B -> C -> A"},
      {"duplicate site",
       absl::StrCat(kCourt, "    sites:\n      - {id: pn-bandung}\n      - {id: pn-bandung}\n"),
       "org.yaml:7: court 'PN-BANDUNG' site.id: site id 'pn-bandung' appears twice (first at "
       "line 6)"},
      {"site id with a space", absl::StrCat(kCourt, "    sites:\n      - {id: pn bandung}\n"),
       "org.yaml:6: court 'PN-BANDUNG' site.id: 'pn bandung' is not a valid site id"},
      {"site url", absl::StrCat(kCourt, "    sites:\n      - {id: pn, url: pn-bandung.go.id}\n"),
       "org.yaml:6: court 'PN-BANDUNG' site.url: 'pn-bandung.go.id' is not an http:// or "
       "https:// URL"},
      {"unknown role", "people:\n  - {id: budi, name: Budi, role: ketua, courts: [PN-X]}\n",
       "org.yaml:2: person 'budi'.role: unknown role 'ketua' (staf, kasubbag, sekretaris, admin)"},
      {"upper-case person id", "people:\n  - {id: Budi, name: Budi, role: staf, courts: [X]}\n",
       "org.yaml:2: person.id: 'Budi' is not a valid person id"},
      {"person without courts", "people:\n  - {id: budi, name: Budi, role: staf}\n",
       "org.yaml:2: person 'budi'.courts: is required"},
      {"duplicate person",
       absl::StrCat(Person(""), "  - {id: budi, name: Budi Lain, role: staf, courts: [X]}\n"),
       "org.yaml:3: person 'budi'.id: person id 'budi' appears twice (first at line 2)"},
      {"bad email", Person(", email: budi.pn-bandung.go.id"),
       "org.yaml:2: person 'budi'.email: 'budi.pn-bandung.go.id' is not an e-mail address"},
      {"local whatsapp number", Person(", whatsapp: \"081234567890\""),
       "org.yaml:2: person 'budi'.whatsapp: '081234567890' must be + and 8..15 digits"},
      {"telegram chat id not a number", Person(", telegram_chat_id: \"@budi\""),
       "org.yaml:2: person 'budi'.telegram_chat_id: '@budi' must be a number"},
      {"negative telegram user id", Person(", telegram_user_id: \"-5\""),
       "org.yaml:2: person 'budi'.telegram_user_id: '-5' must be a positive number"},
      {"active not a bool", Person(", active: maybe"),
       "org.yaml:2: person 'budi'.active: must be true or false"},
      {"acting from after to",
       "acting:\n  - {person: rina, court: PN-X, role: sekretaris, from: 2026-12-05, "
       "to: 2026-12-01}\n",
       "org.yaml:2: acting.to: the range ends (2026-12-01) before it starts (2026-12-05)"},
      {"acting bad date",
       "acting:\n  - person: rina\n    court: PN-X\n    role: sekretaris\n"
       "    from: 2026-02-30\n    to: 2026-03-01\n",
       "org.yaml:5: acting.from: '2026-02-30' is not a date YYYY-MM-DD"},
      {"acting unknown title",
       "acting:\n  - {person: rina, court: PN-X, role: sekretaris, title: Pjs., "
       "from: 2026-12-01, to: 2026-12-05}\n",
       "org.yaml:2: acting.title: must be Plh. or Plt., got 'Pjs.'"},
      {"acting as admin",
       "acting:\n  - {person: rina, court: PN-X, role: admin, from: 2026-12-01, "
       "to: 2026-12-05}\n",
       "org.yaml:2: acting.role: 'admin': one can act as staf, kasubbag, sekretaris"},
      {"steps out of order",
       absl::StrCat(kPolicyHead, "      - {role: staf, after_minutes: 30}\n",
                    "      - {role: sekretaris, after_minutes: 10}\n"),
       "org.yaml:5: policy '*' step.after_minutes: 10 comes before the previous step's 30"},
      {"unknown until",
       absl::StrCat(kPolicyHead, "      - {role: sekretaris, after_minutes: 0, until: closed}\n"),
       "org.yaml:4: policy '*' step.until: must be unacknowledged or unresolved, got 'closed'"},
      {"minutes out of range",
       absl::StrCat(kPolicyHead, "      - {role: sekretaris, after_minutes: 20000}\n"),
       "org.yaml:4: policy '*' step.after_minutes: must be between 0 and 10080, got 20000"},
      {"reminder out of range",
       absl::StrCat(kPolicyHead, "      - {role: sekretaris}\n    reminder_minutes: 0\n"),
       "org.yaml:5: policy '*'.reminder_minutes: must be between 1 and 1440, got 0"},
      {"policy without steps", "policies:\n  - {court: PN-X}\n",
       "org.yaml:2: policy 'PN-X'.steps: are required"},
      {"policy without sekretaris",
       absl::StrCat(kPolicyHead,
                    "      - {role: staf}\n      - {role: kasubbag, after_minutes: 15}\n"),
       "org.yaml:4: policy '*'.steps: must include a step for the sekretaris"},
      {"admin step", absl::StrCat(kPolicyHead, "      - {role: admin}\n"),
       "org.yaml:4: policy '*' step.role: unknown role 'admin' (staf, kasubbag, sekretaris)"},
      {"one role twice",
       absl::StrCat(kPolicyHead,
                    "      - {role: staf}\n      - {role: staf, after_minutes: 5}\n"
                    "      - {role: sekretaris, after_minutes: 60}\n"),
       "org.yaml:5: policy '*' step.role: 'staf' has a step already (line 4)"},
      {"duplicate policy",
       absl::StrCat(kPolicyHead, "      - {role: sekretaris}\n",
                    "  - {steps: [{role: sekretaris, after_minutes: 5}]}\n"),
       "org.yaml:5: policy '*'.court: a second policy for court '*' (first at line 2)"},
      {"not a mapping", "- courts\n", "org.yaml: the top level must be a mapping"},
      {"syntax error", "courts:\n  - {code: PN-X\n", "org.yaml:"},
  };
}

TEST(ParseOrgSpec, RefusesBadFilesNamingFileLineAndKey) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseOrgSpec(c.yaml, "org.yaml"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)));
  }
}

TEST(ParseOrgSpec, BasesOfTheBadCasesAreValid) {
  EXPECT_THAT(
      ParseOrgSpec(absl::StrCat(kCourt, Person(", whatsapp: \"+6281234567890\"")), "org.yaml"),
      IsOk());
  EXPECT_THAT(ParseOrgSpec(absl::StrCat(kPolicyHead, "      - {role: sekretaris}\n"), "org.yaml"),
              IsOk());
}

}  // namespace
}  // namespace pantau::collector
