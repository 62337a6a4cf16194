// Detection of gambling spam ("judi online" SEO injection) on a court's page: terms from a
// staff-editable word list (data/content/gambling_terms.yaml) are searched in every surface of
// the page, disguises undone (see text_normalizer.h), and scored.
//
//   PANTAU_ASSIGN_OR_RETURN(GamblingDetector detector,
//                           GamblingDetector::Load("/etc/pantau/gambling_terms.yaml"));
//   GamblingScan scan = detector.Scan(ExtractHtml(body), "pn-contoh.go.id");
//   if (scan.suspicious) Report(scan.score, scan.evidence);
//
// Surfaces and how they score (weights and multipliers come from the data file):
//   - visible text: every term occurrence scores its group's weight; one term counts at most
//     `max_count` times, a group at most `group_cap` in total (repetition saturates);
//   - hidden text (display:none, off-screen, ...): the same, times `hidden_multiplier`;
//   - title and description/keywords/og:/twitter: metas: the same, times
//     `title_meta_multiplier`;
//   - link text: each link whose text carries a term of a group with `link_text: true` adds
//     `link_text_weight` (times `hidden_multiplier` when the link is hidden), on top of the
//     text surfaces, since anchor text is what SEO spam is for;
//   - link targets: each outbound link (host not the page's site) whose host matches one of
//     `gambling_hosts` adds `gambling_host_weight`; each link whose path or query carries a
//     term (e.g. the court's own search page "?s=slot+gacor") adds the best term's weight
//     (both times `hidden_multiplier` for hidden links).
//   At most `max_scored_links` links score per link surface.
//
// False-positive guard: courts publish warnings about gambling ("mengimbau masyarakat untuk
// tidak terlibat judi online ... Pasal 303 KUHP"). An occurrence within `warning_window_chars`
// of anti-gambling wording (`warning_context`) keeps only `near_warning_percent` of its
// weight: 0 for news vocabulary (topic, ambiguous terms), 100 for promotion vocabulary
// ("gacor", "maxwin", "bonus new member") that no warning uses. Occurrences revealed only by
// undoing a disguise are never discounted.
//
// Thread-safe: immutable after Load/FromYaml; Scan() is const. Cheap to copy.
#ifndef PANTAU_AGENT_CONTENT_GAMBLING_DETECTOR_H_
#define PANTAU_AGENT_CONTENT_GAMBLING_DETECTOR_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/content/html_document.h"

namespace pantau::agent {

// Term occurrences (text surfaces) or links (link surfaces) that added to the score.
struct GamblingSurfaceCounts {
  int visible_text = 0;
  int hidden_text = 0;
  int title_meta = 0;
  int link_text = 0;    // links whose text carries a term
  int link_target = 0;  // links to a gambling-like host or with terms in path/query
};

struct GamblingScan {
  bool suspicious = false;  // score >= threshold
  double score = 0;
  double threshold = 0;
  GamblingSurfaceCounts counts;
  int discounted = 0;  // occurrences near anti-gambling wording that scored less or nothing
  // Strongest findings first, at most kMaxEvidence, e.g. "hidden text: 'slot gacor' x4",
  // "hidden link 'slot gacor' -> https://x.example/ (gambling-like host)".
  std::vector<std::string> evidence;
  static constexpr int kMaxEvidence = 10;
};

class GamblingDetector {
 public:
  // Reads the word list. NotFound when the file is missing; InvalidArgument naming file:line
  // for bad data (unknown key, out-of-range number, a term repeated across groups, a term
  // without letters, a gambling_hosts pattern that is not a valid RE2).
  static absl::StatusOr<GamblingDetector> Load(const std::string& path);
  // The same from text; `source_name` names it in errors.
  static absl::StatusOr<GamblingDetector> FromYaml(absl::string_view yaml,
                                                   absl::string_view source_name);

  // Scores `doc`. `page_host` is the host the page was fetched from ("pn-contoh.go.id"); links
  // to it, its subdomains and its "www." twin are not outbound. Never fails.
  GamblingScan Scan(const HtmlDocument& doc, absl::string_view page_host) const;

  double threshold() const;

  // For short texts such as a URL's words ("id slot gacor maxwin 12"): true when a term of
  // weight kStrongTermWeight or more appears (the topic and promotion groups of the data
  // file; an ambiguous word alone such as "toto" is not enough, nor a topic term next to
  // warning wording such as "bahaya judi online").
  bool LooksLikeGamblingText(absl::string_view text) const;
  static constexpr double kStrongTermWeight = 3;

  struct Data;  // the compiled word list; opaque, defined in the .cc

 private:
  explicit GamblingDetector(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

// The tokens of <meta name="google-site-verification" content="..."> tags, trimmed, in page
// order, without repeats. A token that was not there before means someone else claimed the
// site in Google Search Console: a common first step of SEO-spam hijacking.
std::vector<std::string> SiteVerificationTokens(const HtmlDocument& doc);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONTENT_GAMBLING_DETECTOR_H_
