// Text normalisation for matching page text against word lists (gambling terms, defacement
// phrases, required keywords), and the phrase matcher that runs over normalised text.
//
// Spam and defacement text is often disguised so that a plain substring search misses it:
// "ѕlοt gаcor" with Cyrillic/Greek look-alikes, "𝐬𝐥𝐨𝐭" in mathematical bold, "sl0t g4c0r",
// "s.l.o.t", zero-width spaces inside words. The forms below undo these tricks.
//
//   MatchForms forms = MakeMatchForms(doc.visible_text);
//   PhraseMatcher::Hit hit;
//   for (size_t pos = 0; matcher.FindNext(forms.plain, &pos, &hit);) ...
//
// What NormalizeForMatching does, code point by code point (input is UTF-8; invalid bytes
// count as separators):
//   - ASCII letters are lower-cased; ASCII digits are kept.
//   - Look-alike letters become the ASCII letter they imitate: accented Latin (é→e, ß→ss,
//     æ→ae; Latin-1 and Latin Extended-A), Cyrillic (а в е і ј к м н о р с т у х ѕ and their
//     capitals: а→a, в→b, н→h, р→p, с→c, у→y, х→x, ...), Greek (α ε ι κ ν ο ρ τ υ χ and
//     capitals), small capitals (ᴀ ʙ ᴄ ... ʟ ɢ ʀ), fullwidth Ａ-Ｚ ａ-ｚ ０-９, mathematical
//     alphanumerics (U+1D400-U+1D6A3 letters, U+1D7CE-U+1D7FF digits), circled, parenthesised,
//     squared letters and regional indicators.
//   - Zero-width and format characters (U+200B-U+200F, U+2060-U+2064, U+FEFF, soft hyphen
//     U+00AD, bidi controls, variation selectors, combining marks U+0300-U+036F) and the
//     apostrophes ' and ’ vanish without a trace: "sl\u200Bot" → "slot", "Jum'at" → "jumat".
//   - Every other ASCII character, Latin-1 symbol, general punctuation, symbol, arrow, box
//     drawing, CJK punctuation, emoji and private-use character is a separator; a run of
//     separators becomes one space; no leading or trailing space.
//   - Any other character (letters of other scripts) is kept as its UTF-8 bytes.
// The result contains only [a-z0-9 ] and kept non-ASCII letters.
//
// Thread-safe: the functions are pure; PhraseMatcher is immutable.
#ifndef PANTAU_AGENT_CONTENT_TEXT_NORMALIZER_H_
#define PANTAU_AGENT_CONTENT_TEXT_NORMALIZER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace re2 {
class RE2;
}  // namespace re2
namespace YAML {
class Node;
}  // namespace YAML

namespace pantau::agent {

// The plain normalised form (see the top of this file). "Situs SLOT-Gacor!!" → "situs slot
// gacor"; "𝐬𝐥𝐨𝐭 ɢᴀᴄᴏʀ" → "slot gacor".
std::string NormalizeForMatching(absl::string_view text);

// Like NormalizeForMatching, and then, only in tokens that also contain a letter, digits and
// symbols standing for letters become those letters: 0→o 1→i 3→e 4→a 5→s 7→t 8→b @→a $→s.
// "sl0t g4c0r" → "slot gacor", "m@xw1n" → "maxwin"; "2024", "100" and "10.000" stay digits.
// In this form '@' and '$' join a token instead of separating ("g@cor" → "gacor"); a token
// of only digits and symbols keeps its digits and loses the symbols.
std::string NormalizeWithDigitsAsLetters(absl::string_view text);

// Joins runs of three or more single-character tokens of a normalised string: "s l o t gacor"
// → "slot gacor" (so "s.l.o.t" and "s-l-o-t" match "slot" too). Other tokens are unchanged.
std::string JoinSpelledOutLetters(absl::string_view normalized);

// The forms of one text that word lists are matched against. A phrase found in any form
// counts; `digits_as_letters` and `joined` often equal `plain` (then matchers skip them).
struct MatchForms {
  std::string plain;              // NormalizeForMatching(text)
  std::string digits_as_letters;  // NormalizeWithDigitsAsLetters(text)
  std::string joined;             // JoinSpelledOutLetters(digits_as_letters)
};
MatchForms MakeMatchForms(absl::string_view text);

// Finds phrases (word sequences) in normalised text, on word boundaries, in linear time (one
// RE2 over all phrases). Phrases are normalised with NormalizeForMatching when the matcher is
// made; the space between two words of a phrase may be missing in the text ("slot gacor"
// matches "slotgacor"). At one position the longest phrase wins; hits do not overlap.
// Immutable after Create; thread-safe; cheap to copy (shares the compiled patterns).
class PhraseMatcher {
 public:
  struct Source {
    std::string text;   // the phrase as written
    std::string where;  // prefix for errors, e.g. "terms.yaml:12"; may be empty
  };
  struct Hit {
    int phrase = -1;   // index into the phrases given to Create
    size_t begin = 0;  // byte offsets in the searched text
    size_t end = 0;
  };
  enum class Boundaries {
    kWholeWords,
    // Phrases of two or more words are also found inside longer tokens: "situsslotgacor"
    // (hashtags, host names) and "slotgacormaxwin" (JoinSpelledOutLetters of "s.l.o.t
    // g.a.c.o.r m.a.x.w.i.n" cannot tell where a word ended). Single words still need word
    // boundaries ("judi" must not match "perjudian"). Meant for MatchForms::joined.
    kAlsoInsideWords,
  };

  // InvalidArgument when a phrase normalises to nothing, two phrases normalise to the same
  // words, or there are more than 10000 phrases. An empty list gives a matcher that finds
  // nothing.
  static absl::StatusOr<PhraseMatcher> Create(const std::vector<Source>& phrases);
  static absl::StatusOr<PhraseMatcher> Create(const std::vector<std::string>& phrases);

  PhraseMatcher() = default;

  // Finds the first phrase occurring at or after *pos in `normalized` (a string from this
  // header's functions). On a hit fills *hit, moves *pos past it and returns true.
  bool FindNext(absl::string_view normalized, size_t* pos, Hit* hit,
                Boundaries boundaries = Boundaries::kWholeWords) const;

  // Counts hits of every phrase in `normalized`: counts->at(i) += hits of phrase i.
  // `counts` is resized to size() if smaller.
  void CountAll(absl::string_view normalized, std::vector<int>* counts,
                Boundaries boundaries = Boundaries::kWholeWords) const;

  int size() const { return static_cast<int>(normalized_.size()); }
  // The phrase as normalised (e.g. for evidence).
  const std::string& phrase(int i) const { return normalized_[i]; }

 private:
  std::shared_ptr<const re2::RE2> re_;                  // kWholeWords
  std::shared_ptr<const re2::RE2> re_inside_words_;     // kAlsoInsideWords
  absl::flat_hash_map<std::string, int> index_by_key_;  // phrase without spaces -> index
  std::vector<std::string> normalized_;
};

// For word lists read from YAML: `values` (read from the list `key` of the mapping `map`, e.g.
// with YamlFields::StringList) paired with "source:line" of each entry, so that
// PhraseMatcher::Create names the offending line.
std::vector<PhraseMatcher::Source> PhraseSourcesWithLines(const YAML::Node& map,
                                                          absl::string_view key,
                                                          const std::vector<std::string>& values,
                                                          absl::string_view source);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONTENT_TEXT_NORMALIZER_H_
