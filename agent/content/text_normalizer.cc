#include "agent/content/text_normalizer.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"
#include "yaml-cpp/yaml.h"

namespace pantau::agent {
namespace {

constexpr uint32_t kInvalid = 0xFFFFFFFF;

// Memory cap of one compiled phrase list (RE2's lazily built DFA cache). Word lists of a few
// hundred phrases need far less; a cache that fills up is flushed and rebuilt, never grown.
constexpr int64_t kRe2MaxMem = 2 << 20;

// Decodes one UTF-8 sequence at s[i]; returns its length (1 for an invalid byte, with
// *cp = kInvalid). Overlong forms and surrogates are invalid.
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  const unsigned char b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  uint32_t value;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, value = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, value = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, value = b0 & 0x07, min = 0x10000;
  } else {
    *cp = kInvalid;
    return 1;
  }
  if (i + len > s.size()) {
    *cp = kInvalid;
    return 1;
  }
  for (size_t k = 1; k < len; ++k) {
    const unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      *cp = kInvalid;
      return 1;
    }
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    *cp = kInvalid;
    return 1;
  }
  *cp = value;
  return len;
}

// U+00C0..U+00FF: the ASCII letter each imitates. 'A' = "ae", 'T' = "th", 'S' = "ss",
// ' ' = separator (× and ÷).
constexpr char kLatin1Letters[] =
    "aaaaaaAceeeeiiiidnooooo ouuuuyTS"
    "aaaaaaAceeeeiiiidnooooo ouuuuyTy";
// U+0100..U+017F (Latin Extended-A). '1' = "ij", '2' = "oe".
constexpr char kLatinExtendedA[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii11jjkkkllllllllllnnnnnnnnnoooooo22"
    "rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(sizeof(kLatin1Letters) == 65, "64 entries");
static_assert(sizeof(kLatinExtendedA) == 129, "128 entries");

struct Lookalike {
  uint32_t code_point;
  char ascii;
};

// Letters of other scripts that look like ASCII letters, sorted by code point.
// clang-format off
constexpr Lookalike kLookalikes[] = {
    {0x0251, 'a'}, {0x0261, 'g'}, {0x0262, 'g'}, {0x0269, 'i'}, {0x026A, 'i'}, {0x0274, 'n'},
    {0x0280, 'r'}, {0x028F, 'y'}, {0x0299, 'b'}, {0x029C, 'h'}, {0x029F, 'l'},
    // Greek capitals and small letters.
    {0x0391, 'a'}, {0x0392, 'b'}, {0x0395, 'e'}, {0x0396, 'z'}, {0x0397, 'h'}, {0x0399, 'i'},
    {0x039A, 'k'}, {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'}, {0x03A1, 'p'}, {0x03A4, 't'},
    {0x03A5, 'y'}, {0x03A7, 'x'}, {0x03AC, 'a'}, {0x03AD, 'e'}, {0x03AF, 'i'}, {0x03B1, 'a'},
    {0x03B5, 'e'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'},
    {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'}, {0x03CC, 'o'}, {0x03CD, 'u'},
    // Cyrillic capitals and small letters.
    {0x0401, 'e'}, {0x0405, 's'}, {0x0406, 'i'}, {0x0407, 'i'}, {0x0408, 'j'}, {0x0410, 'a'},
    {0x0412, 'b'}, {0x0415, 'e'}, {0x041A, 'k'}, {0x041C, 'm'}, {0x041D, 'h'}, {0x041E, 'o'},
    {0x0420, 'p'}, {0x0421, 'c'}, {0x0422, 't'}, {0x0423, 'y'}, {0x0425, 'x'}, {0x0430, 'a'},
    {0x0432, 'b'}, {0x0435, 'e'}, {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x043E, 'o'},
    {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'}, {0x0445, 'x'}, {0x0451, 'e'},
    {0x0455, 's'}, {0x0456, 'i'}, {0x0457, 'i'}, {0x0458, 'j'}, {0x04AE, 'y'}, {0x04AF, 'y'},
    {0x04BB, 'h'}, {0x04CF, 'l'}, {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'},
    // Small capitals.
    {0x1D00, 'a'}, {0x1D04, 'c'}, {0x1D05, 'd'}, {0x1D07, 'e'}, {0x1D0A, 'j'}, {0x1D0B, 'k'},
    {0x1D0D, 'm'}, {0x1D0F, 'o'}, {0x1D18, 'p'}, {0x1D1B, 't'}, {0x1D1C, 'u'}, {0x1D20, 'v'},
    {0x1D21, 'w'}, {0x1D22, 'z'}, {0xA730, 'f'}, {0xA731, 's'},
};
// clang-format on

char FindLookalike(uint32_t cp) {
  const Lookalike* end = std::end(kLookalikes);
  const Lookalike* it =
      std::lower_bound(std::begin(kLookalikes), end, cp,
                       [](const Lookalike& l, uint32_t c) { return l.code_point < c; });
  return it != end && it->code_point == cp ? it->ascii : '\0';
}

// Characters that vanish: zero-width and format characters, combining marks, apostrophes.
bool IsDropped(uint32_t cp) {
  return cp == '\'' || cp == 0x2019 || cp == 0x02BC || cp == 0x00AD || cp == 0x034F ||
         cp == 0x180E || cp == 0xFEFF || (cp >= 0x0300 && cp <= 0x036F) ||
         (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x206F) || (cp >= 0x20D0 && cp <= 0x20FF) ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0000 && cp <= 0xE01EF);
}

// Non-ASCII characters that separate words: spaces, punctuation, symbols, emoji.
bool IsSeparator(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x02B0 && cp <= 0x02FF) ||
         cp == 0x037E || cp == 0x0387 || (cp >= 0x2000 && cp <= 0x2BFF) ||
         (cp >= 0x2E00 && cp <= 0x2E7F) || (cp >= 0x3000 && cp <= 0x303F) ||
         (cp >= 0xD800 && cp <= 0xF8FF) || (cp >= 0xFE10 && cp <= 0xFE6F) ||
         (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
         (cp >= 0xFFF0 && cp <= 0xFFFF) || (cp >= 0x1F000 && cp <= 0x1FAFF) || cp >= 0xF0000;
}

// The ASCII letter or digit a code point stands for, or '\0'.
char LetterFor(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return static_cast<char>(cp - 'A' + 'a');
  if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) return static_cast<char>(cp);
  if (cp < 0x80) return '\0';
  if (cp >= 0xFF10 && cp <= 0xFF19) return static_cast<char>('0' + cp - 0xFF10);
  if (cp >= 0xFF21 && cp <= 0xFF3A) return static_cast<char>('a' + cp - 0xFF21);
  if (cp >= 0xFF41 && cp <= 0xFF5A) return static_cast<char>('a' + cp - 0xFF41);
  if (cp >= 0x1D400 && cp <= 0x1D6A3) {
    // 13 alphabets of 52 letters (A-Z then a-z): bold, italic, script, fraktur, sans,
    // monospace, ... Unassigned holes map too; that is harmless.
    const uint32_t k = (cp - 0x1D400) % 52;
    return static_cast<char>('a' + (k < 26 ? k : k - 26));
  }
  if (cp >= 0x1D7CE && cp <= 0x1D7FF) return static_cast<char>('0' + (cp - 0x1D7CE) % 10);
  if (cp >= 0x249C && cp <= 0x24B5) return static_cast<char>('a' + cp - 0x249C);     // ⒜
  if (cp >= 0x24B6 && cp <= 0x24CF) return static_cast<char>('a' + cp - 0x24B6);     // Ⓐ
  if (cp >= 0x24D0 && cp <= 0x24E9) return static_cast<char>('a' + cp - 0x24D0);     // ⓐ
  if (cp >= 0x1F130 && cp <= 0x1F149) return static_cast<char>('a' + cp - 0x1F130);  // 🄰
  if (cp >= 0x1F150 && cp <= 0x1F169) return static_cast<char>('a' + cp - 0x1F150);  // 🅐
  if (cp >= 0x1F170 && cp <= 0x1F189) return static_cast<char>('a' + cp - 0x1F170);  // 🅰
  if (cp >= 0x1F1E6 && cp <= 0x1F1FF) return static_cast<char>('a' + cp - 0x1F1E6);  // 🇦
  return FindLookalike(cp);
}

char SwapFor(char c) {
  switch (c) {
    case '0':
      return 'o';
    case '1':
      return 'i';
    case '3':
      return 'e';
    case '4':
      return 'a';
    case '5':
      return 's';
    case '7':
      return 't';
    case '8':
      return 'b';
    case '@':
      return 'a';
    case '$':
      return 's';
    default:
      return c;
  }
}

// Builds normalised text token by token.
class TokenWriter {
 public:
  TokenWriter(bool swap, size_t size_hint) : swap_(swap) { out_.reserve(size_hint); }

  void Letter(char c) {
    token_.push_back(c);
    has_letter_ = true;
  }
  void Digit(char c) { token_.push_back(c); }
  void Symbol(char c) { token_.push_back(c); }  // '@' or '$' (swap mode only)
  void Bytes(absl::string_view utf8) {
    token_.append(utf8.data(), utf8.size());
    has_letter_ = true;
  }
  void Separator() {
    if (token_.empty()) return;
    if (swap_ && has_letter_) {
      for (char& c : token_) c = SwapFor(c);
      Emit(token_);
    } else if (swap_) {
      // Digits and symbols only: the symbols separate.
      for (absl::string_view piece :
           absl::StrSplit(token_, absl::ByAnyChar("@$"), absl::SkipEmpty())) {
        Emit(piece);
      }
    } else {
      Emit(token_);
    }
    token_.clear();
    has_letter_ = false;
  }
  std::string Finish() {
    Separator();
    return std::move(out_);
  }

 private:
  void Emit(absl::string_view token) {
    if (!out_.empty()) out_.push_back(' ');
    out_.append(token.data(), token.size());
  }

  const bool swap_;
  std::string out_;
  std::string token_;
  bool has_letter_ = false;
};

std::string Normalize(absl::string_view text, bool swap) {
  TokenWriter w(swap, text.size());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    const size_t len = DecodeUtf8(text, i, &cp);
    const absl::string_view bytes = text.substr(i, len);
    i += len;
    if (cp == kInvalid) {
      w.Separator();
      continue;
    }
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (c >= 'a' && c <= 'z') {
        w.Letter(c);
      } else if (c >= 'A' && c <= 'Z') {
        w.Letter(static_cast<char>(c - 'A' + 'a'));
      } else if (c >= '0' && c <= '9') {
        w.Digit(c);
      } else if (c == '\'') {
        // vanishes
      } else if (swap && (c == '@' || c == '$')) {
        w.Symbol(c);
      } else {
        w.Separator();
      }
      continue;
    }
    if (IsDropped(cp)) continue;
    if (cp >= 0xC0 && cp <= 0xFF) {
      const char m = kLatin1Letters[cp - 0xC0];
      switch (m) {
        case ' ':
          w.Separator();
          break;
        case 'A':
          w.Letter('a'), w.Letter('e');
          break;
        case 'T':
          w.Letter('t'), w.Letter('h');
          break;
        case 'S':
          w.Letter('s'), w.Letter('s');
          break;
        default:
          w.Letter(m);
      }
      continue;
    }
    if (cp >= 0x100 && cp <= 0x17F) {
      const char m = kLatinExtendedA[cp - 0x100];
      if (m == '1') {
        w.Letter('i'), w.Letter('j');
      } else if (m == '2') {
        w.Letter('o'), w.Letter('e');
      } else {
        w.Letter(m);
      }
      continue;
    }
    if (cp >= 0xFF01 && cp <= 0xFF5E && swap && (cp == 0xFF20 || cp == 0xFF04)) {
      w.Symbol(static_cast<char>(cp - 0xFEE0));  // fullwidth @ and $
      continue;
    }
    const char letter = LetterFor(cp);
    if (letter >= '0' && letter <= '9') {
      w.Digit(letter);
    } else if (letter != '\0') {
      w.Letter(letter);
    } else if (IsSeparator(cp)) {
      w.Separator();
    } else {
      w.Bytes(bytes);
    }
  }
  return w.Finish();
}

// Applies the digit swaps to the tokens (of a normalised text) that contain a letter.
std::string SwapDigitsInTokens(absl::string_view normalized) {
  std::string out(normalized);
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find(' ', start);
    if (end == std::string::npos) end = out.size();
    bool has_letter = false;
    for (size_t k = start; k < end; ++k) {
      const unsigned char c = static_cast<unsigned char>(out[k]);
      if (c >= 0x80 || (c >= 'a' && c <= 'z')) has_letter = true;
    }
    if (has_letter) {
      for (size_t k = start; k < end; ++k) out[k] = SwapFor(out[k]);
    }
    start = end + 1;
  }
  return out;
}

bool IsSpace(char c) { return c == ' '; }

}  // namespace

std::string NormalizeForMatching(absl::string_view text) { return Normalize(text, false); }

std::string NormalizeWithDigitsAsLetters(absl::string_view text) { return Normalize(text, true); }

std::string JoinSpelledOutLetters(absl::string_view normalized) {
  std::string out;
  out.reserve(normalized.size());
  std::string run;  // single-character tokens seen in a row, concatenated
  auto flush_run = [&]() {
    if (run.empty()) return;
    if (run.size() >= 3) {
      if (!out.empty()) out.push_back(' ');
      out += run;
    } else {
      for (char c : run) {
        if (!out.empty()) out.push_back(' ');
        out.push_back(c);
      }
    }
    run.clear();
  };
  size_t start = 0;
  const size_t n = normalized.size();
  while (start < n) {
    size_t end = start;
    while (end < n && !IsSpace(normalized[end])) ++end;
    const absl::string_view token = normalized.substr(start, end - start);
    if (token.size() == 1) {
      run.push_back(token[0]);
    } else if (!token.empty()) {
      flush_run();
      if (!out.empty()) out.push_back(' ');
      out.append(token.data(), token.size());
    }
    start = end + 1;
  }
  flush_run();
  return out;
}

MatchForms MakeMatchForms(absl::string_view text) {
  MatchForms forms;
  forms.plain = NormalizeForMatching(text);
  forms.digits_as_letters = NormalizeWithDigitsAsLetters(text);
  // Joining can leave digits that stood alone ("s l 0 t" → "sl0t"): swap once more.
  forms.joined = SwapDigitsInTokens(JoinSpelledOutLetters(forms.digits_as_letters));
  return forms;
}

// ---------------------------------------------------------------------------------------------

absl::StatusOr<PhraseMatcher> PhraseMatcher::Create(const std::vector<std::string>& phrases) {
  std::vector<Source> sources;
  sources.reserve(phrases.size());
  for (const std::string& p : phrases) sources.push_back({p, ""});
  return Create(sources);
}

absl::StatusOr<PhraseMatcher> PhraseMatcher::Create(const std::vector<Source>& phrases) {
  constexpr size_t kMaxPhrases = 10000;
  if (phrases.size() > kMaxPhrases) {
    return absl::InvalidArgumentError(
        absl::StrCat(phrases.size(), " phrases; at most ", kMaxPhrases, " are allowed"));
  }
  PhraseMatcher m;
  m.normalized_.reserve(phrases.size());
  for (size_t i = 0; i < phrases.size(); ++i) {
    const Source& source = phrases[i];
    const std::string where = source.where.empty() ? "" : absl::StrCat(source.where, ": ");
    std::string normalized = NormalizeForMatching(source.text);
    if (normalized.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "'", source.text, "' has no letters or digits"));
    }
    std::string key = normalized;
    key.erase(std::remove(key.begin(), key.end(), ' '), key.end());
    auto [it, inserted] = m.index_by_key_.emplace(std::move(key), static_cast<int>(i));
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(where, "'", source.text, "' repeats '",
                                                     phrases[it->second].text,
                                                     "' (the same words once normalised)"));
    }
    m.normalized_.push_back(std::move(normalized));
  }
  if (phrases.empty()) return m;

  // Longest first: RE2 picks the first alternative that matches at the leftmost position.
  std::vector<int> order(phrases.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const std::string& x = m.normalized_[a];
    const std::string& y = m.normalized_[b];
    return x.size() != y.size() ? x.size() > y.size() : x < y;
  });
  std::string whole_words;  // alternatives for all phrases
  std::string multi_word;   // alternatives for phrases of two or more words
  for (int index : order) {
    std::string alternative;
    bool first_word = true;
    for (absl::string_view word : absl::StrSplit(m.normalized_[index], ' ')) {
      if (!first_word) alternative += " ?";
      first_word = false;
      alternative += RE2::QuoteMeta(re2::StringPiece(word.data(), word.size()));
    }
    absl::StrAppend(&whole_words, whole_words.empty() ? "" : "|", alternative);
    if (m.normalized_[index].find(' ') != std::string::npos) {
      absl::StrAppend(&multi_word, multi_word.empty() ? "" : "|", alternative);
    }
  }
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);  // bytes; \b is ASCII-only anyway
  options.set_log_errors(false);
  options.set_max_mem(kRe2MaxMem);
  const std::string whole_pattern = absl::StrCat("\\b(?:", whole_words, ")\\b");
  auto re = std::make_shared<const RE2>(whole_pattern, options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the phrase list does not compile: ", re->error()));
  }
  m.re_ = re;
  m.re_inside_words_ = re;
  if (!multi_word.empty()) {
    // Leftmost-first: at each position a whole-word hit is preferred to a compound one.
    auto inside =
        std::make_shared<const RE2>(absl::StrCat(whole_pattern, "|(?:", multi_word, ")"), options);
    if (!inside->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the phrase list does not compile: ", inside->error()));
    }
    m.re_inside_words_ = std::move(inside);
  }
  return m;
}

bool PhraseMatcher::FindNext(absl::string_view normalized, size_t* pos, Hit* hit,
                             Boundaries boundaries) const {
  const RE2* re = boundaries == Boundaries::kWholeWords ? re_.get() : re_inside_words_.get();
  std::string key;
  while (re != nullptr && *pos < normalized.size()) {
    re2::StringPiece match;
    const re2::StringPiece text(normalized.data(), normalized.size());
    if (!re->Match(text, *pos, text.size(), RE2::UNANCHORED, &match, 1)) {
      *pos = normalized.size();
      return false;
    }
    const size_t begin = static_cast<size_t>(match.data() - normalized.data());
    const size_t end = begin + match.size();
    *pos = end > *pos ? end : *pos + 1;
    key.assign(match.data(), match.size());
    key.erase(std::remove(key.begin(), key.end(), ' '), key.end());
    auto it = index_by_key_.find(key);
    if (it == index_by_key_.end()) continue;  // cannot happen: every alternative is a key
    hit->phrase = it->second;
    hit->begin = begin;
    hit->end = end;
    return true;
  }
  return false;
}

void PhraseMatcher::CountAll(absl::string_view normalized, std::vector<int>* counts,
                             Boundaries boundaries) const {
  if (counts->size() < normalized_.size()) counts->resize(normalized_.size(), 0);
  size_t pos = 0;
  Hit hit;
  while (FindNext(normalized, &pos, &hit, boundaries)) ++(*counts)[hit.phrase];
}

std::vector<PhraseMatcher::Source> PhraseSourcesWithLines(const YAML::Node& map,
                                                          absl::string_view key,
                                                          const std::vector<std::string>& values,
                                                          absl::string_view source) {
  std::vector<PhraseMatcher::Source> out;
  out.reserve(values.size());
  YAML::Node list;
  try {
    const YAML::Node& const_map = map;  // const: operator[] must not insert the key
    list = const_map[std::string(key)];
  } catch (const YAML::Exception&) {
    list = YAML::Node();
  }
  for (size_t k = 0; k < values.size(); ++k) {
    int line = 0;
    try {
      if (list.IsSequence() && k < list.size()) line = list[k].Mark().line + 1;
    } catch (const YAML::Exception&) {
      line = 0;
    }
    out.push_back(
        {values[k], line > 0 ? absl::StrCat(source, ":", line) : absl::StrCat(source, ": ", key)});
  }
  return out;
}

}  // namespace pantau::agent
