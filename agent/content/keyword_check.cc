#include "agent/content/keyword_check.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace pantau::agent {

absl::StatusOr<KeywordCheck::List> KeywordCheck::MakeList(const std::vector<std::string>& keywords,
                                                          absl::string_view list_name) {
  List list;
  std::vector<PhraseMatcher::Source> distinct;
  absl::flat_hash_map<std::string, size_t> by_key;  // normalised words without spaces
  for (const std::string& keyword : keywords) {
    std::string key = NormalizeForMatching(keyword);
    key.erase(std::remove(key.begin(), key.end(), ' '), key.end());
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(list_name, ": '", keyword, "' has no letters or digits"));
    }
    auto [it, inserted] = by_key.emplace(std::move(key), distinct.size());
    if (inserted) {
      distinct.push_back({keyword, std::string(list_name)});
      list.spellings.emplace_back();
    }
    list.spellings[it->second].push_back(keyword);
  }
  PANTAU_ASSIGN_OR_RETURN(list.matcher, PhraseMatcher::Create(distinct));
  return list;
}

absl::StatusOr<KeywordCheck> KeywordCheck::Create(
    const std::vector<std::string>& must_contain,
    const std::vector<std::string>& must_not_contain) {
  KeywordCheck check;
  PANTAU_ASSIGN_OR_RETURN(check.must_contain_, MakeList(must_contain, "must_contain"));
  PANTAU_ASSIGN_OR_RETURN(check.must_not_contain_, MakeList(must_not_contain, "must_not_contain"));
  return check;
}

std::vector<bool> KeywordCheck::Find(const List& list, absl::string_view visible_text,
                                     absl::string_view title) {
  std::vector<bool> found(list.spellings.size(), false);
  if (found.empty()) return found;
  for (absl::string_view text : {title, visible_text}) {
    if (text.empty()) continue;
    const MatchForms forms = MakeMatchForms(text);
    for (const std::string* form : {&forms.plain, &forms.digits_as_letters, &forms.joined}) {
      if (form == &forms.digits_as_letters && *form == forms.plain) continue;
      // The joined form also finds multi-word phrases inside compounds ("hackedby").
      const auto boundaries = form == &forms.joined ? PhraseMatcher::Boundaries::kAlsoInsideWords
                                                    : PhraseMatcher::Boundaries::kWholeWords;
      size_t pos = 0;
      PhraseMatcher::Hit hit;
      while (list.matcher.FindNext(*form, &pos, &hit, boundaries)) found[hit.phrase] = true;
    }
  }
  return found;
}

KeywordFindings KeywordCheck::Check(absl::string_view visible_text, absl::string_view title) const {
  KeywordFindings findings;
  const std::vector<bool> present = Find(must_contain_, visible_text, title);
  for (size_t i = 0; i < present.size(); ++i) {
    if (present[i]) continue;
    for (const std::string& s : must_contain_.spellings[i]) findings.missing.push_back(s);
  }
  const std::vector<bool> shown = Find(must_not_contain_, visible_text, title);
  for (size_t i = 0; i < shown.size(); ++i) {
    if (!shown[i]) continue;
    for (const std::string& s : must_not_contain_.spellings[i]) findings.forbidden.push_back(s);
  }
  return findings;
}

}  // namespace pantau::agent
