// Must-contain / must-not-contain words of a site's page (ContentCheckConfig::must_contain and
// must_not_contain): a court's homepage that no longer says "Pengadilan Negeri Contoh", or
// that shows a word it never should, has been tampered with.
//
//   PANTAU_ASSIGN_OR_RETURN(KeywordCheck check,
//                           KeywordCheck::Create(config.must_contain, config.must_not_contain));
//   KeywordFindings f = check.Check(doc.visible_text, doc.title);
//   for (const std::string& word : f.missing) ...
//
// Matching is on whole words of the normalised text (text_normalizer.h): case, accents and
// look-alike letters do not matter, punctuation counts as a space, and the space between
// words of a keyword may be missing ("pengadilan negeri" matches "PengadilanNegeri"). A
// forbidden word is also found when disguised ("sl0t", "s.l.o.t"); a required word counts as
// present in any of these forms. Title and visible text are searched separately (a keyword
// does not span them). Hidden text does not count: visitors do not see it.
//
// Thread-safe: immutable after Create(); Check() is const. Cheap to copy.
#ifndef PANTAU_AGENT_CONTENT_KEYWORD_CHECK_H_
#define PANTAU_AGENT_CONTENT_KEYWORD_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/content/text_normalizer.h"

namespace pantau::agent {

struct KeywordFindings {
  std::vector<std::string> missing;    // must_contain keywords not found, as configured
  std::vector<std::string> forbidden;  // must_not_contain keywords found, as configured
  bool ok() const { return missing.empty() && forbidden.empty(); }
};

class KeywordCheck {
 public:
  // InvalidArgument when a keyword has no letters or digits. Keywords that normalise to the
  // same words are checked once and reported under each spelling.
  static absl::StatusOr<KeywordCheck> Create(const std::vector<std::string>& must_contain,
                                             const std::vector<std::string>& must_not_contain);

  KeywordFindings Check(absl::string_view visible_text, absl::string_view title) const;

 private:
  // One list: a matcher over its distinct normalised keywords, and for each of those the
  // configured spellings.
  struct List {
    PhraseMatcher matcher;
    std::vector<std::vector<std::string>> spellings;
  };
  static absl::StatusOr<List> MakeList(const std::vector<std::string>& keywords,
                                       absl::string_view list_name);
  // found[i]: keyword i of `list` occurs in title or visible text.
  static std::vector<bool> Find(const List& list, absl::string_view visible_text,
                                absl::string_view title);

  List must_contain_;
  List must_not_contain_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONTENT_KEYWORD_CHECK_H_
