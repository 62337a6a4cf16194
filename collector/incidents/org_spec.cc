#include "collector/incidents/org_spec.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "common/status_macros.h"
#include "common/url.h"
#include "common/yaml_fields.h"

namespace pantau::collector {
namespace {

// First instance: PN (general), PA (religious), MS (Mahkamah Syar'iyah, Aceh's religious
// courts), PTUN (administrative), PM (military). Appeal: PT, PTA, MSA (Mahkamah Syar'iyah
// Aceh), PTTUN, PMT (Pengadilan Militer Tinggi, formerly DILMILTI, still accepted), PMU
// (Pengadilan Militer Utama). MA: the Supreme Court. The same codes as the agent's court_type,
// plus DILMILTI and MA. Directorates general (BADILUM, BADILAG, ...) are not courts.
constexpr absl::string_view kCourtTypes[] = {"PN",  "PA",    "MS",  "PTUN", "PM",       "PT", "PTA",
                                             "MSA", "PTTUN", "PMT", "PMU",  "DILMILTI", "MA"};

struct Zone {
  absl::string_view name;
  absl::string_view abbreviation;
  int offset_hours;
};
constexpr Zone kZones[] = {
    {"Asia/Jakarta", "WIB", 7},
    {"Asia/Makassar", "WITA", 8},
    {"Asia/Jayapura", "WIT", 9},
};

constexpr absl::string_view kRoles[] = {"staf", "kasubbag", "sekretaris", "admin"};
constexpr absl::string_view kStepRoles[] = {"staf", "kasubbag", "sekretaris"};

const Zone* FindZone(absl::string_view name) {
  for (const Zone& z : kZones) {
    if (z.name == name) return &z;
  }
  return nullptr;
}

bool IdChars(absl::string_view s, size_t max, bool upper_allowed) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '_' || c == '-' ||
           (upper_allowed && absl::ascii_isupper(c));
  });
}
bool ValidCourtCode(absl::string_view s) { return IdChars(s, 64, true); }
bool ValidSiteId(absl::string_view s) { return IdChars(s, 128, true); }
bool ValidPersonId(absl::string_view s) { return IdChars(s, 64, false); }

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
}

// local@domain: one '@', something before it, a dotted domain after it, no spaces.
bool LooksLikeEmail(absl::string_view s) {
  const size_t at = s.find('@');
  if (at == absl::string_view::npos || at == 0 || s.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  const absl::string_view domain = s.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == absl::string_view::npos || domain.front() == '.' ||
      domain.back() == '.') {
    return false;
  }
  return std::none_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isspace(c) || absl::ascii_iscntrl(c) || c == ',' || c == ';' || c == '<' ||
           c == '>';
  });
}

// YYYY-MM-DD, a real calendar day.
bool ParseDay(absl::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(text[i])) return false;
  }
  return absl::ParseCivilTime(text, day);
}

std::string OneOf(absl::Span<const absl::string_view> names) { return absl::StrJoin(names, ", "); }

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

// Parses the org file section by section. Each parse function records the first error in
// status_ and returns early; later cross-entry checks name both lines.
class OrgParser {
 public:
  explicit OrgParser(std::string source) : source_(std::move(source)) {}

  absl::StatusOr<OrgSpec> Parse(absl::string_view yaml) {
    PANTAU_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(yaml, source_));
    YamlFields f(root, source_);
    std::vector<YAML::Node> courts = f.MapList("courts");
    std::vector<YAML::Node> people = f.MapList("people");
    std::vector<YAML::Node> acting = f.MapList("acting");
    std::vector<YAML::Node> policies = f.MapList("policies");
    f.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(f.status());

    OrgSpec org;
    for (const YAML::Node& node : courts) {
      PANTAU_RETURN_IF_ERROR(ParseCourt(node, &org.courts.emplace_back()));
    }
    PANTAU_RETURN_IF_ERROR(CheckCourts(org.courts));
    for (const YAML::Node& node : people) {
      PANTAU_RETURN_IF_ERROR(ParsePerson(node, &org.people.emplace_back()));
    }
    for (const YAML::Node& node : acting) {
      PANTAU_RETURN_IF_ERROR(ParseActing(node, &org.acting.emplace_back()));
    }
    std::map<std::string, int> policy_lines;
    for (const YAML::Node& node : policies) {
      PolicySpec& policy = org.policies.emplace_back();
      PANTAU_RETURN_IF_ERROR(ParsePolicy(node, &policy));
      auto [it, inserted] = policy_lines.emplace(policy.court, policy.line);
      if (!inserted) {
        return Error(policy.line, absl::StrCat("policy '", policy.court, "'.court"),
                     absl::StrCat("a second policy for court '", policy.court, "' (first at line ",
                                  it->second, ")"));
      }
    }
    return org;
  }

 private:
  absl::Status Error(int line, absl::string_view key, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ": ", key, ": ", message));
  }

  absl::Status ParseCourt(const YAML::Node& node, CourtSpec* court) {
    court->line = LineOf(node);
    YamlFields head(node, source_, "court.");
    court->code = head.String("code", true);
    PANTAU_RETURN_IF_ERROR(head.status());
    if (!ValidCourtCode(court->code)) {
      head.Fail("code", absl::StrCat("'", court->code,
                                     "' is not a valid court code: 1..64 of [A-Za-z0-9._-]"));
      return head.status();
    }
    YamlFields f(node, source_, absl::StrCat("court '", court->code, "'."));
    f.String("code", true);
    court->name = f.String("name", true);
    court->type = f.String("type", true);
    court->parent = f.String("parent", false);
    court->time_zone = f.String("time_zone", false, "Asia/Jakarta");
    std::vector<YAML::Node> sites = f.MapList("sites");
    f.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(f.status());

    if (absl::StripAsciiWhitespace(court->name).empty() || court->name.size() > 200) {
      f.Fail("name", "must be 1..200 bytes, e.g. 'Pengadilan Negeri Bandung'");
    }
    if (!IsCourtType(court->type)) {
      f.Fail("type",
             absl::StrCat("unknown court type '", court->type, "' (", OneOf(kCourtTypes), ")"));
    }
    if (!court->parent.empty()) {
      if (!ValidCourtCode(court->parent)) {
        f.Fail("parent", absl::StrCat("'", court->parent, "' is not a valid court code"));
      } else if (court->parent == court->code) {
        f.Fail("parent", "a court cannot be its own parent");
      }
    }
    if (!IsIndonesianTimeZone(court->time_zone)) {
      f.Fail("time_zone", absl::StrCat("unknown zone '", court->time_zone,
                                       "' (Asia/Jakarta for WIB, Asia/Makassar for WITA, "
                                       "Asia/Jayapura for WIT)"));
    }
    PANTAU_RETURN_IF_ERROR(f.status());

    for (const YAML::Node& node : sites) {
      SiteSpec& site = court->sites.emplace_back();
      const int line = LineOf(node);
      YamlFields s(node, source_, absl::StrCat("court '", court->code, "' site."));
      site.id = s.String("id", true);
      site.name = s.String("name", false);
      site.url = s.String("url", false);
      s.CheckNoUnknownKeys();
      PANTAU_RETURN_IF_ERROR(s.status());
      if (!ValidSiteId(site.id)) {
        s.Fail("id",
               absl::StrCat("'", site.id, "' is not a valid site id: 1..128 of [A-Za-z0-9._-]"));
      } else if (site.name.size() > 200) {
        s.Fail("name", "is longer than 200 bytes");
      } else if (!site.url.empty() && !IsHttpUrl(site.url)) {
        s.Fail("url", absl::StrCat("'", site.url, "' is not an http:// or https:// URL"));
      }
      PANTAU_RETURN_IF_ERROR(s.status());
      auto [it, inserted] = site_lines_.emplace(site.id, line);
      if (!inserted) {
        return Error(
            line, absl::StrCat("court '", court->code, "' site.id"),
            absl::StrCat("site id '", site.id, "' appears twice (first at line ", it->second, ")"));
      }
    }
    return absl::OkStatus();
  }

  // Codes unique; no cycle of parents among the courts in the file (parents outside it are
  // the store's business).
  absl::Status CheckCourts(const std::vector<CourtSpec>& courts) {
    std::map<std::string, const CourtSpec*> by_code;
    for (const CourtSpec& court : courts) {
      auto [it, inserted] = by_code.emplace(court.code, &court);
      if (!inserted) {
        return Error(court.line, absl::StrCat("court '", court.code, "'.code"),
                     absl::StrCat("court code '", court.code, "' appears twice (first at line ",
                                  it->second->line, ")"));
      }
    }
    for (const CourtSpec& court : courts) {
      std::set<std::string> seen = {court.code};
      std::vector<std::string> chain = {court.code};
      const CourtSpec* at = &court;
      while (!at->parent.empty()) {
        auto it = by_code.find(at->parent);
        if (it == by_code.end()) break;
        chain.push_back(at->parent);
        if (!seen.insert(at->parent).second) {
          return Error(court.line, absl::StrCat("court '", court.code, "'.parent"),
                       absl::StrCat("the parents form a cycle: ", absl::StrJoin(chain, " -> ")));
        }
        at = it->second;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParsePerson(const YAML::Node& node, PersonSpec* person) {
    person->line = LineOf(node);
    YamlFields head(node, source_, "person.");
    person->id = head.String("id", true);
    PANTAU_RETURN_IF_ERROR(head.status());
    if (!ValidPersonId(person->id)) {
      head.Fail("id",
                absl::StrCat("'", person->id, "' is not a valid person id: 1..64 of [a-z0-9._-]"));
      return head.status();
    }
    YamlFields f(node, source_, absl::StrCat("person '", person->id, "'."));
    f.String("id", true);
    person->name = f.String("name", true);
    person->role = f.String("role", true);
    if (!f.Has("courts"))
      f.Fail("courts", "is required: the court codes the person works for, or [\"*\"]");
    person->courts = f.StringList("courts", 100, 64);
    person->email = f.String("email", false);
    person->telegram_chat_id = f.String("telegram_chat_id", false);
    person->telegram_user_id = f.String("telegram_user_id", false);
    person->whatsapp = f.String("whatsapp", false);
    person->active = f.Bool("active", true);
    f.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(f.status());

    if (absl::StripAsciiWhitespace(person->name).empty() || person->name.size() > 200) {
      f.Fail("name", "must be 1..200 bytes");
    }
    if (!IsRole(person->role)) {
      f.Fail("role", absl::StrCat("unknown role '", person->role, "' (", OneOf(kRoles), ")"));
    }
    if (person->courts.empty()) f.Fail("courts", "must list at least one court code, or \"*\"");
    for (const std::string& court : person->courts) {
      if (court != "*" && !ValidCourtCode(court)) {
        f.Fail("courts", absl::StrCat("'", court, "' is not a valid court code (or \"*\")"));
      }
    }
    if (person->courts.size() > 1 &&
        std::find(person->courts.begin(), person->courts.end(), "*") != person->courts.end()) {
      f.Fail("courts", "\"*\" (every court) cannot be combined with court codes");
    }
    if (!person->email.empty() && (person->email.size() > 254 || !LooksLikeEmail(person->email))) {
      f.Fail("email", absl::StrCat("'", person->email, "' is not an e-mail address"));
    }
    const std::string& chat = person->telegram_chat_id;
    if (!chat.empty() && (chat.size() > 20 || !AllDigits(chat[0] == '-' ? chat.substr(1) : chat))) {
      f.Fail("telegram_chat_id",
             absl::StrCat("'", chat, "' must be a number (groups are negative)"));
    }
    const std::string& user = person->telegram_user_id;
    if (!user.empty() && (user.size() > 20 || !AllDigits(user))) {
      f.Fail("telegram_user_id", absl::StrCat("'", user, "' must be a positive number"));
    }
    const std::string& wa = person->whatsapp;
    if (!wa.empty() && (wa[0] != '+' || wa.size() < 9 || wa.size() > 16 ||
                        !AllDigits(absl::string_view(wa).substr(1)))) {
      f.Fail("whatsapp", absl::StrCat("'", wa,
                                      "' must be + and 8..15 digits, e.g. +6281234567890 "
                                      "(not 0812...)"));
    }
    PANTAU_RETURN_IF_ERROR(f.status());
    auto [it, inserted] = person_lines_.emplace(person->id, person->line);
    if (!inserted) {
      return Error(person->line, absl::StrCat("person '", person->id, "'.id"),
                   absl::StrCat("person id '", person->id, "' appears twice (first at line ",
                                it->second, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status ParseActing(const YAML::Node& node, ActingSpec* acting) {
    acting->line = LineOf(node);
    YamlFields f(node, source_, "acting.");
    acting->person = f.String("person", true);
    acting->court = f.String("court", true);
    acting->role = f.String("role", true);
    acting->title = f.String("title", false, "Plh.");
    const std::string from = f.String("from", true);
    const std::string to = f.String("to", true);
    f.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(f.status());

    if (!ValidPersonId(acting->person)) {
      f.Fail("person", absl::StrCat("'", acting->person, "' is not a valid person id"));
    }
    if (!ValidCourtCode(acting->court)) {
      f.Fail("court", absl::StrCat("'", acting->court, "' is not a valid court code"));
    }
    if (std::find(std::begin(kStepRoles), std::end(kStepRoles), acting->role) ==
        std::end(kStepRoles)) {
      f.Fail("role", absl::StrCat("'", acting->role, "': one can act as ", OneOf(kStepRoles)));
    }
    if (acting->title != "Plh." && acting->title != "Plt.") {
      f.Fail("title", absl::StrCat("must be Plh. or Plt., got '", acting->title, "'"));
    }
    if (!ParseDay(from, &acting->from)) {
      f.Fail("from", absl::StrCat("'", from, "' is not a date YYYY-MM-DD"));
    }
    if (!ParseDay(to, &acting->to)) {
      f.Fail("to", absl::StrCat("'", to, "' is not a date YYYY-MM-DD"));
    }
    PANTAU_RETURN_IF_ERROR(f.status());
    if (acting->from > acting->to) {
      f.Fail("to", absl::StrCat("the range ends (", to, ") before it starts (", from, ")"));
    }
    return f.status();
  }

  absl::Status ParsePolicy(const YAML::Node& node, PolicySpec* policy) {
    policy->line = LineOf(node);
    YamlFields head(node, source_, "policy.");
    policy->court = head.String("court", false, "*");
    PANTAU_RETURN_IF_ERROR(head.status());
    if (policy->court != "*" && !ValidCourtCode(policy->court)) {
      head.Fail("court",
                absl::StrCat("'", policy->court, "' is not a valid court code (or \"*\")"));
      return head.status();
    }
    YamlFields g(node, source_, absl::StrCat("policy '", policy->court, "'."));
    g.String("court", false);
    std::vector<YAML::Node> steps = g.MapList("steps");
    policy->reminder_minutes = static_cast<int>(g.Int("reminder_minutes", 15, 1, 1440));
    policy->situation_minutes = static_cast<int>(g.Int("situation_minutes", 15, 1, 1440));
    g.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(g.status());
    if (steps.empty()) {
      g.Fail("steps", "are required: at least one step, and one for the sekretaris");
      return g.status();
    }
    std::map<std::string, int> role_lines;
    for (const YAML::Node& step_node : steps) {
      EscalationStepSpec& step = policy->steps.emplace_back();
      const int line = LineOf(step_node);
      YamlFields s(step_node, source_, absl::StrCat("policy '", policy->court, "' step."));
      step.role = s.String("role", true);
      step.after_minutes = static_cast<int>(s.Int("after_minutes", 0, 0, 10080));
      step.until = s.String("until", false, "unacknowledged");
      s.CheckNoUnknownKeys();
      PANTAU_RETURN_IF_ERROR(s.status());
      if (std::find(std::begin(kStepRoles), std::end(kStepRoles), step.role) ==
          std::end(kStepRoles)) {
        s.Fail("role", absl::StrCat("unknown role '", step.role, "' (", OneOf(kStepRoles), ")"));
      } else if (step.until != "unacknowledged" && step.until != "unresolved") {
        s.Fail("until",
               absl::StrCat("must be unacknowledged or unresolved, got '", step.until, "'"));
      } else if (policy->steps.size() > 1 &&
                 step.after_minutes < policy->steps[policy->steps.size() - 2].after_minutes) {
        s.Fail("after_minutes",
               absl::StrCat(step.after_minutes, " comes before the previous step's ",
                            policy->steps[policy->steps.size() - 2].after_minutes,
                            ": list the steps in after_minutes order"));
      }
      PANTAU_RETURN_IF_ERROR(s.status());
      auto [it, inserted] = role_lines.emplace(step.role, line);
      if (!inserted) {
        s.Fail("role",
               absl::StrCat("'", step.role, "' has a step already (line ", it->second, ")"));
        return s.status();
      }
    }
    // SOP activity 5: the situation is reported to the Secretary, whatever the court.
    if (role_lines.count("sekretaris") == 0) {
      g.Fail("steps", "must include a step for the sekretaris (the SOP reports to the Secretary)");
    }
    return g.status();
  }

  std::string source_;
  std::map<std::string, int> site_lines_;
  std::map<std::string, int> person_lines_;
};

}  // namespace

bool IsCourtType(absl::string_view type) {
  return std::find(std::begin(kCourtTypes), std::end(kCourtTypes), type) != std::end(kCourtTypes);
}

bool IsIndonesianTimeZone(absl::string_view zone) { return FindZone(zone) != nullptr; }

absl::string_view TimeZoneAbbreviation(absl::string_view zone) {
  const Zone* z = FindZone(zone);
  return z == nullptr ? "UTC" : z->abbreviation;
}

int TimeZoneOffsetHours(absl::string_view zone) {
  const Zone* z = FindZone(zone);
  return z == nullptr ? 0 : z->offset_hours;
}

bool IsPersonId(absl::string_view id) { return ValidPersonId(id); }

bool IsRole(absl::string_view role) {
  return std::find(std::begin(kRoles), std::end(kRoles), role) != std::end(kRoles);
}

PolicySpec DefaultPolicy() {
  PolicySpec policy;
  policy.court = "*";
  policy.steps = {
      {"staf", 0, "unacknowledged"},
      {"kasubbag", 15, "unacknowledged"},
      {"sekretaris", 60, "unresolved"},
  };
  policy.reminder_minutes = 15;
  policy.situation_minutes = 15;
  return policy;
}

absl::StatusOr<OrgSpec> ParseOrgSpec(absl::string_view yaml, absl::string_view source_name) {
  return OrgParser(std::string(source_name)).Parse(yaml);
}

}  // namespace pantau::collector
