// The pages every Indonesian court site must offer the public (SK KMA Nomor
// 2-144/KMA/SK/VIII/2022 on public information services at courts, and the rules it builds
// on): a checklist read from data/content/required_pages.yaml, matched against the links on a
// site's home page, and a verdict on each page the caller then fetches (ok, broken, stale).
//
//   PANTAU_ASSIGN_OR_RETURN(RequiredPagesChecklist checklist,
//                           RequiredPagesChecklist::Load("data/content/required_pages.yaml"));
//   HtmlDocument home = ExtractHtml(body);
//   RequiredPagesResult r = MatchRequiredPages(checklist, "PN", home.links, site_url);
//   for (const RequiredPageMatch& m : r.items) {
//     if (!m.found) ...report missing m.item...
//     else { fetch m.url; RequiredPageVerdict v = JudgePage(*checklist.Find(m.id), status,
//                                                              page.visible_text, {}, today); }
//   }
//
// Matching is plain text and regex work, no fetching. Link text is compared after ASCII
// lower-casing and whitespace collapsing (so "JADWAL  SIDANG" matches "jadwal sidang").
#ifndef PANTAU_AGENT_INVENTORY_REQUIRED_PAGES_H_
#define PANTAU_AGENT_INVENTORY_REQUIRED_PAGES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "agent/content/html_document.h"

namespace pantau::agent {

// Court type codes accepted in the checklist: PN PA MS PTUN PM (first instance: general,
// religious, Mahkamah Syar'iyah, administrative, military), PT PTA MSA PTTUN PMT (appeal),
// PMU (Pengadilan Militer Utama).
bool IsKnownCourtType(absl::string_view code);

// One row of the checklist. Patterns are RE2, matched case-insensitively and unanchored
// (use ^ and $ to anchor); a link matches the item when any pattern of any kind matches.
struct RequiredPageItem {
  std::string id;                        // stable key, [a-z0-9_]+, unique
  std::string item;                      // the Indonesian name staff know it by
  std::string legal_basis;               // the rule that requires it
  std::vector<std::string> court_types;  // codes as above
  // On the resolved link's path and query ("/jadwal-sidang", "/index.php?page=jadwal").
  std::vector<std::string> url_path;
  std::vector<std::string> link_text;   // on the normalised link text ("jadwal sidang")
  std::vector<std::string> href;        // on the whole resolved URL ("^https?://sipp\.")
  std::optional<int> max_age_days;      // the page is stale when its newest date is older
  bool must_show_future_dates = false;  // stale unless it shows a date from today on
};

struct RequiredPageMatch {
  std::string id;
  std::string item;
  bool found = false;
  std::string url;         // the resolved absolute URL of the chosen link (when found)
  std::string link_text;   // its text as on the page
  std::string matched_by;  // "href", "link_text" or "url_path": the strongest kind that matched
};

struct RequiredPagesResult {
  std::vector<RequiredPageMatch> items;  // one per item for the court type, checklist order
  int found = 0;
  int missing = 0;
};

class RequiredPagesChecklist;

// Matches the visible links of a home page against the checklist rows for `court_type`
// (case-insensitive code; an unknown one gives no rows). Hidden links do not count: a visitor
// cannot use them. Links are resolved against `base_url` (the home page's final URL); links
// that resolve to nothing (javascript:, mailto:, "#") are skipped. When several links match
// an item, one matched by href beats one matched by link text, which beats one matched by
// path; among equals, the first on the page wins.
RequiredPagesResult MatchRequiredPages(const RequiredPagesChecklist& checklist,
                                       absl::string_view court_type,
                                       const std::vector<HtmlLink>& links_on_home,
                                       absl::string_view base_url);

// The checklist. Thread-safe: immutable after loading (RE2 matching is thread-safe). Copies
// are cheap and share the compiled patterns.
class RequiredPagesChecklist {
 public:
  // Reads the YAML file; NotFound when it is missing; InvalidArgument naming file:line and the
  // key for a bad row (unknown key, bad regex, unknown court type, duplicate id, ...).
  static absl::StatusOr<RequiredPagesChecklist> Load(const std::string& path);
  // The same from text; `source` names it in errors.
  static absl::StatusOr<RequiredPagesChecklist> FromYaml(absl::string_view text,
                                                         absl::string_view source);

  // The rows that apply to `court_type` (case-insensitive), checklist order. The pointers live
  // as long as this checklist (or a copy of it).
  std::vector<const RequiredPageItem*> Select(absl::string_view court_type) const;
  // The row with `id`, or null.
  const RequiredPageItem* Find(absl::string_view id) const;
  size_t size() const { return rows_.size(); }

  // A row with its compiled patterns; defined in the .cc (opaque to callers).
  struct Row;

 private:
  RequiredPagesChecklist() = default;
  std::vector<std::shared_ptr<const Row>> rows_;

  friend RequiredPagesResult MatchRequiredPages(const RequiredPagesChecklist&, absl::string_view,
                                                const std::vector<HtmlLink>&, absl::string_view);
};

enum class PageVerdict { kOk, kBroken, kStale };

// "ok", "broken", "stale".
absl::string_view PageVerdictName(PageVerdict verdict);

struct RequiredPageVerdict {
  PageVerdict verdict = PageVerdict::kOk;
  std::string reason;  // one English sentence for staff and logs; empty when ok
  std::optional<absl::CivilDay> newest_date;  // the date the age was judged on, if any
};

// Judges a fetched required page:
//   broken — no answer (http_status 0), an HTTP status outside 200..299, an empty page, or a
//            short page that says it was not found ("halaman tidak ditemukan", "404");
//   stale  — `item.must_show_future_dates` and no date from `today` on in `page_text`; or
//            `item.max_age_days` set and the newest date (the later of `newest_known`, e.g.
//            from Last-Modified, and NewestDate(page_text)) older than that;
//   ok     — otherwise, including when no date is found at all (unknown age is not stale).
// `page_text` is the page's visible text; `today` the site's local date.
RequiredPageVerdict JudgePage(const RequiredPageItem& item, int http_status,
                              absl::string_view page_text,
                              std::optional<absl::CivilDay> newest_known, absl::CivilDay today);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_INVENTORY_REQUIRED_PAGES_H_
