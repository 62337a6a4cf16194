#include "agent/content/html_document.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/utf8.h"

namespace pantau::agent {
namespace {

// ---------------------------------------------------------------------------------------------
// Character references.

struct NamedReference {
  const char* name;
  uint32_t code_point;
};

// Sorted by name (binary search). The Latin-1 set (which browsers also decode without the
// trailing ';'), typographic punctuation, and the CSS-ish punctuation names that can be used
// to disguise an inline style ("display&colon;none").
// clang-format off
constexpr NamedReference kNamedReferences[] = {
    {"AElig", 0xC6},   {"Aacute", 0xC1}, {"Acirc", 0xC2},  {"Agrave", 0xC0}, {"Aring", 0xC5},
    {"Atilde", 0xC3},  {"Auml", 0xC4},   {"Ccedil", 0xC7}, {"ETH", 0xD0},    {"Eacute", 0xC9},
    {"Ecirc", 0xCA},   {"Egrave", 0xC8}, {"Euml", 0xCB},   {"Iacute", 0xCD}, {"Icirc", 0xCE},
    {"Igrave", 0xCC},  {"Iuml", 0xCF},   {"Ntilde", 0xD1}, {"Oacute", 0xD3}, {"Ocirc", 0xD4},
    {"Ograve", 0xD2},  {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6},   {"THORN", 0xDE},
    {"Uacute", 0xDA},  {"Ucirc", 0xDB},  {"Ugrave", 0xD9}, {"Uuml", 0xDC},   {"Yacute", 0xDD},
    {"aacute", 0xE1},  {"acirc", 0xE2},  {"acute", 0xB4},  {"aelig", 0xE6},  {"agrave", 0xE0},
    {"amp", '&'},      {"apos", '\''},   {"aring", 0xE5},  {"atilde", 0xE3}, {"auml", 0xE4},
    {"brvbar", 0xA6},  {"bsol", '\\'},   {"bull", 0x2022}, {"ccedil", 0xE7}, {"cedil", 0xB8},
    {"cent", 0xA2},    {"colon", ':'},   {"comma", ','},   {"commat", '@'},  {"copy", 0xA9},
    {"curren", 0xA4},  {"dagger", 0x2020}, {"deg", 0xB0},  {"divide", 0xF7}, {"dollar", '$'},
    {"eacute", 0xE9},  {"ecirc", 0xEA},  {"egrave", 0xE8}, {"equals", '='},  {"eth", 0xF0},
    {"euml", 0xEB},    {"euro", 0x20AC}, {"excl", '!'},    {"frac12", 0xBD}, {"frac14", 0xBC},
    {"frac34", 0xBE},  {"gt", '>'},      {"hellip", 0x2026}, {"hyphen", 0x2010},
    {"iacute", 0xED},  {"icirc", 0xEE},  {"iexcl", 0xA1},  {"igrave", 0xEC}, {"iquest", 0xBF},
    {"iuml", 0xEF},    {"laquo", 0xAB},  {"ldquo", 0x201C}, {"lowbar", '_'}, {"lpar", '('},
    {"lsaquo", 0x2039}, {"lsqb", '['},   {"lsquo", 0x2018}, {"lt", '<'},     {"macr", 0xAF},
    {"mdash", 0x2014}, {"micro", 0xB5},  {"middot", 0xB7}, {"nbsp", 0xA0},   {"ndash", 0x2013},
    {"not", 0xAC},     {"ntilde", 0xF1}, {"num", '#'},     {"oacute", 0xF3}, {"ocirc", 0xF4},
    {"ograve", 0xF2},  {"ordf", 0xAA},   {"ordm", 0xBA},   {"oslash", 0xF8}, {"otilde", 0xF5},
    {"ouml", 0xF6},    {"para", 0xB6},   {"percnt", '%'},  {"period", '.'},  {"plus", '+'},
    {"plusmn", 0xB1},  {"pound", 0xA3},  {"quest", '?'},   {"quot", '"'},    {"raquo", 0xBB},
    {"rdquo", 0x201D}, {"reg", 0xAE},    {"rpar", ')'},    {"rsaquo", 0x203A}, {"rsqb", ']'},
    {"rsquo", 0x2019}, {"sect", 0xA7},   {"semi", ';'},    {"shy", 0xAD},    {"sol", '/'},
    {"sup1", 0xB9},    {"sup2", 0xB2},   {"sup3", 0xB3},   {"szlig", 0xDF},  {"thinsp", 0x2009},
    {"thorn", 0xFE},   {"times", 0xD7},  {"trade", 0x2122}, {"uacute", 0xFA}, {"ucirc", 0xFB},
    {"ugrave", 0xF9},  {"uml", 0xA8},    {"uuml", 0xFC},   {"yacute", 0xFD}, {"yen", 0xA5},
    {"yuml", 0xFF},    {"zwj", 0x200D},  {"zwnj", 0x200C},
};
// clang-format on

// Names browsers also accept without ';' (the legacy set): Latin-1 letters and symbols.
bool IsLegacyReference(const NamedReference& ref) {
  return ref.code_point >= 0xA0 ? ref.code_point <= 0xFF
                                : (ref.code_point == '&' || ref.code_point == '<' ||
                                   ref.code_point == '>' || ref.code_point == '"');
}

const NamedReference* FindNamedReference(absl::string_view name) {
  const NamedReference* begin = std::begin(kNamedReferences);
  const NamedReference* end = std::end(kNamedReferences);
  const NamedReference* it =
      std::lower_bound(begin, end, name, [](const NamedReference& ref, absl::string_view n) {
        return absl::string_view(ref.name) < n;
      });
  if (it != end && absl::string_view(it->name) == name) return it;
  return nullptr;
}

// Windows-1252 for numeric references &#128; .. &#159; (what browsers do).
constexpr uint16_t kWindows1252[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178,
};

bool IsAsciiAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// Decodes the character reference starting at s[i] == '&'. On success returns the number of
// bytes consumed and sets *cp; returns 0 when this '&' is literal text.
size_t DecodeReference(absl::string_view s, size_t i, bool in_attribute, uint32_t* cp) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const size_t digits_start = j;
    uint32_t value = 0;
    while (j < s.size()) {
      const char c = s[j];
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        break;
      }
      value = std::min<uint32_t>(value * (hex ? 16 : 10) + digit, 0x110000);  // saturates
      ++j;
    }
    if (j == digits_start) return 0;
    if (j < s.size() && s[j] == ';') ++j;
    if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      value = 0xFFFD;
    } else if (value >= 0x80 && value <= 0x9F) {
      value = kWindows1252[value - 0x80];
    }
    *cp = value;
    return j - i;
  }
  // Named: letters and digits, at most 8 of them (the longest name we know is 6).
  while (j < s.size() && j - i <= 9 && IsAsciiAlnum(s[j])) ++j;
  const absl::string_view name = s.substr(i + 1, j - i - 1);
  if (name.empty() || name.size() > 8) return 0;
  const NamedReference* ref = FindNamedReference(name);
  if (ref != nullptr && j < s.size() && s[j] == ';') {
    *cp = ref->code_point;
    return j + 1 - i;
  }
  // Without ';' browsers decode the longest legacy name that starts the run ("&copy2026" is
  // "©2026"), except in attributes when a letter, digit or '=' follows ("?a=1&copy=2").
  for (size_t len = std::min<size_t>(name.size(), 6); len >= 2; --len) {
    ref = FindNamedReference(name.substr(0, len));
    if (ref == nullptr || !IsLegacyReference(*ref)) continue;
    const size_t after = i + 1 + len;
    if (in_attribute && after < s.size() && (s[after] == '=' || IsAsciiAlnum(s[after]))) {
      return 0;
    }
    *cp = ref->code_point;
    return after - i;
  }
  return 0;
}

// Decodes character references of an attribute value.
std::string DecodeAttribute(absl::string_view raw, size_t max_bytes) {
  std::string out;
  raw = raw.substr(0, max_bytes);
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    const size_t amp = raw.find('&', i);
    if (amp == absl::string_view::npos) {
      out.append(raw.data() + i, raw.size() - i);
      break;
    }
    out.append(raw.data() + i, amp - i);
    uint32_t cp;
    const size_t used = DecodeReference(raw, amp, /*in_attribute=*/true, &cp);
    if (used == 0) {
      out.push_back('&');
      i = amp + 1;
    } else {
      AppendUtf8(cp, &out);
      i = amp + used;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Element names.

// Per element name, what the extractor needs to know. Looked up once per tag.
enum ElementFlag : uint32_t {
  kVoid = 1u << 0,           // never has content or an end tag
  kBlock = 1u << 1,          // separates words (start and end)
  kRawIgnored = 1u << 2,     // raw text, not shown: script, style, iframe, ...
  kRawText = 1u << 3,        // raw text shown as is: xmp, plaintext
  kRcdata = 1u << 4,         // text with references: textarea, title
  kAlwaysHidden = 1u << 5,   // content parsed but never shown: noscript, template
  kClosesP = 1u << 6,        // starting it closes an open <p>
  kScopeBoundary = 1u << 7,  // ends the search for an implicitly closed element
  kForeign = 1u << 8,        // svg, math: "/>" closes the element
};

struct ElementInfo {
  const char* name;
  uint32_t flags;
};

constexpr uint32_t kBlockP = kBlock | kClosesP;

// Sorted by name.
constexpr ElementInfo kElements[] = {
    {"a", 0},
    {"address", kBlockP},
    {"applet", kScopeBoundary},
    {"area", kVoid},
    {"article", kBlockP},
    {"aside", kBlockP},
    {"base", kVoid},
    {"basefont", kVoid},
    {"bgsound", kVoid},
    {"blockquote", kBlockP},
    {"body", kBlock},
    {"br", kVoid | kBlock},
    {"button", kScopeBoundary},
    {"caption", kBlock | kScopeBoundary},
    {"center", kBlockP},
    {"col", kVoid},
    {"dd", kBlockP},
    {"details", kBlockP},
    {"dialog", kBlockP},
    {"dir", kBlockP},
    {"div", kBlockP},
    {"dl", kBlockP},
    {"dt", kBlockP},
    {"embed", kVoid},
    {"fieldset", kBlockP},
    {"figcaption", kBlockP},
    {"figure", kBlockP},
    {"footer", kBlockP},
    {"form", kBlockP},
    {"frame", kVoid},
    {"h1", kBlockP},
    {"h2", kBlockP},
    {"h3", kBlockP},
    {"h4", kBlockP},
    {"h5", kBlockP},
    {"h6", kBlockP},
    {"head", kBlock},
    {"header", kBlockP},
    {"hgroup", kBlockP},
    {"hr", kVoid | kBlockP},
    {"html", kBlock | kScopeBoundary},
    {"iframe", kRawIgnored},
    {"img", kVoid},
    {"input", kVoid},
    {"keygen", kVoid},
    {"li", kBlockP},
    {"link", kVoid},
    {"main", kBlockP},
    {"marquee", kScopeBoundary},
    {"math", kForeign},
    {"menu", kBlockP},
    {"meta", kVoid},
    {"nav", kBlockP},
    {"noembed", kRawIgnored},
    {"noframes", kRawIgnored},
    {"noscript", kAlwaysHidden},
    {"object", kScopeBoundary},
    {"ol", kBlockP},
    {"option", kBlock},
    {"p", kBlockP},
    {"param", kVoid},
    {"plaintext", kRawText | kBlockP},
    {"pre", kBlockP},
    {"script", kRawIgnored},
    {"section", kBlockP},
    {"select", kBlock},
    {"source", kVoid},
    {"style", kRawIgnored},
    {"summary", kBlockP},
    {"svg", kForeign},
    {"table", kBlockP | kScopeBoundary},
    {"tbody", kBlock},
    {"td", kBlock | kScopeBoundary},
    {"template", kAlwaysHidden | kScopeBoundary},
    {"textarea", kRcdata | kBlock},
    {"tfoot", kBlock},
    {"th", kBlock | kScopeBoundary},
    {"thead", kBlock},
    {"title", kRcdata},
    {"tr", kBlock},
    {"track", kVoid},
    {"ul", kBlockP},
    {"wbr", kVoid},
    {"xmp", kRawText | kBlockP},
};

uint32_t ElementFlags(absl::string_view lower_name) {
  const ElementInfo* begin = std::begin(kElements);
  const ElementInfo* end = std::end(kElements);
  const ElementInfo* it = std::lower_bound(
      begin, end, lower_name,
      [](const ElementInfo& e, absl::string_view n) { return absl::string_view(e.name) < n; });
  if (it != end && absl::string_view(it->name) == lower_name) return it->flags;
  return 0;
}

// FNV-1a of the lower-cased name: identifies open elements for end-tag matching.
constexpr uint64_t NameHash(const char* s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(s[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}
uint64_t NameHash(absl::string_view lower_name) {
  return NameHash(lower_name.data(), lower_name.size());
}

constexpr uint64_t kHashA = NameHash("a", 1);
constexpr uint64_t kHashP = NameHash("p", 1);
constexpr uint64_t kHashSvg = NameHash("svg", 3);
constexpr uint64_t kHashMath = NameHash("math", 4);

// ---------------------------------------------------------------------------------------------
// Inline-style hiding.

constexpr size_t kMaxStyleBytes = 4096;

struct CssLength {
  bool valid = false;
  double value = 0;
  absl::string_view unit;  // "px", "em", "%", "" ...
};

// Parses "-9999px", ".0", "0.5em", "1E2px" (no exponent: treated as unit garbage).
CssLength ParseLength(absl::string_view v) {
  CssLength out;
  size_t i = 0;
  bool negative = false;
  if (i < v.size() && (v[i] == '-' || v[i] == '+')) negative = v[i++] == '-';
  double value = 0;
  bool digits = false;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
    value = std::min(value * 10 + (v[i] - '0'), 1e12);
    digits = true;
    ++i;
  }
  if (i < v.size() && v[i] == '.') {
    ++i;
    double scale = 0.1;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
      value += (v[i] - '0') * scale;
      scale /= 10;
      digits = true;
      ++i;
    }
  }
  if (!digits) return out;
  size_t unit_end = i;
  while (unit_end < v.size() &&
         (absl::ascii_isalpha(static_cast<unsigned char>(v[unit_end])) || v[unit_end] == '%')) {
    ++unit_end;
  }
  out.valid = true;
  out.value = negative ? -value : value;
  out.unit = v.substr(i, unit_end - i);
  return out;
}

// Lengths in px (em/rem counted as 16px); other units (%, vw, ...) give nullopt-like NaN.
bool LengthInPx(const CssLength& len, double* px) {
  if (!len.valid) return false;
  if (len.unit.empty() || len.unit == "px") {
    *px = len.value;
  } else if (len.unit == "em" || len.unit == "rem") {
    *px = len.value * 16;
  } else if (len.unit == "pt") {
    *px = len.value * 4 / 3;
  } else if (len.unit == "cm") {
    *px = len.value * 37.8;
  } else if (len.unit == "mm") {
    *px = len.value * 3.78;
  } else if (len.unit == "in") {
    *px = len.value * 96;
  } else {
    return false;
  }
  return true;
}

// What an inline style does to visibility. `hides` cannot be undone by descendants
// (display:none, opacity:0, off-screen boxes, clipping); the tri-states (-1 hides, +1 shows,
// 0 not set) are inherited properties that a descendant may set back: a container with
// font-size:0 whose children set font-size:14px is a common layout trick, not hiding.
struct StyleEffect {
  bool hides = false;
  int8_t font = 0;        // font-size too small to read / readable
  int8_t visibility = 0;  // visibility:hidden|collapse / visible
  int8_t color = 0;       // color:transparent / another colour
};

// Reads a decoded inline style. `lenient` (set by aria-hidden="true", which declares the
// element decorative) accepts weaker evidence: smaller offsets, bigger boxes, fainter text.
StyleEffect ParseStyle(absl::string_view style, bool lenient) {
  StyleEffect effect;
  if (style.size() > kMaxStyleBytes) style = style.substr(0, kMaxStyleBytes);
  const std::string lower = absl::AsciiStrToLower(style);
  bool positioned = false, overflow_hidden = false, tiny_box = false, offscreen = false,
       clipped = false;
  const double offscreen_px = lenient ? -100 : -500;
  for (absl::string_view decl : absl::StrSplit(lower, ';')) {
    const size_t colon = decl.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view prop = absl::StripAsciiWhitespace(decl.substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(decl.substr(colon + 1));
    if (absl::ConsumeSuffix(&value, "important")) {
      value = absl::StripAsciiWhitespace(value);
      absl::ConsumeSuffix(&value, "!");
      value = absl::StripAsciiWhitespace(value);
    }
    if (prop == "display") {
      if (value == "none") effect.hides = true;
    } else if (prop == "visibility") {
      effect.visibility = (value == "hidden" || value == "collapse") ? -1 : 1;
    } else if (prop == "opacity") {
      const CssLength len = ParseLength(value);
      if (len.valid && len.value <= (len.unit == "%" ? 100 : 1) * (lenient ? 0.1 : 0.02)) {
        effect.hides = true;
      }
    } else if (prop == "font-size") {
      const CssLength len = ParseLength(value);
      double px;
      if (len.valid) {
        const bool tiny = len.value <= 0 || (LengthInPx(len, &px) && px < (lenient ? 4 : 2)) ||
                          (len.unit == "%" && len.value < (lenient ? 25 : 12));
        effect.font = tiny ? -1 : 1;
      } else {
        effect.font = 1;  // "small", "inherit", calc(): assume readable
      }
    } else if (prop == "color") {
      effect.color = value == "transparent" ? -1 : 1;
    } else if (prop == "position") {
      positioned = value == "absolute" || value == "fixed" || value == "relative";
    } else if (prop == "overflow" || prop == "overflow-x" || prop == "overflow-y") {
      if (value == "hidden" || value == "clip") overflow_hidden = true;
    } else if (prop == "text-indent" || prop == "margin-left" || prop == "margin-top") {
      double px;
      if (LengthInPx(ParseLength(value), &px) && px <= offscreen_px) effect.hides = true;
    } else if (prop == "left" || prop == "top" || prop == "right") {
      double px;
      if (LengthInPx(ParseLength(value), &px) && px <= offscreen_px) offscreen = true;
    } else if (prop == "height" || prop == "width" || prop == "max-height" || prop == "max-width") {
      const CssLength len = ParseLength(value);
      double px;
      if ((len.valid && len.value <= 0) || (LengthInPx(len, &px) && px <= (lenient ? 5 : 1))) {
        tiny_box = true;
      }
    } else if (prop == "clip") {
      // rect(0 0 0 0), rect(0,0,0,0), rect(1px, 1px, 1px, 1px)
      if (absl::StartsWith(value, "rect(")) {
        bool all_small = true;
        for (absl::string_view part :
             absl::StrSplit(value.substr(5), absl::ByAnyChar(" ,)"), absl::SkipEmpty())) {
          double px;
          if (!LengthInPx(ParseLength(part), &px) || px > 1) all_small = false;
        }
        if (all_small) clipped = true;
      }
    } else if (prop == "clip-path") {
      if (value == "inset(50%)" || value == "inset(100%)" || value == "circle(0)" ||
          value == "circle(0px)") {
        effect.hides = true;
      }
    } else if (prop == "transform") {
      if (value == "scale(0)" || value == "scale(0,0)" || value == "scale(0, 0)") {
        effect.hides = true;
      }
    }
  }
  if (positioned && offscreen) effect.hides = true;
  if (tiny_box && overflow_hidden) effect.hides = true;
  if (clipped && (positioned || lenient)) effect.hides = true;
  return effect;
}

// The visibility state of an open element, inherited by its content.
struct Visibility {
  bool removed = false;      // hidden in a way descendants cannot undo
  bool font_hidden = false;  // inherited font-size too small
  bool visibility_hidden = false;
  bool color_hidden = false;
  bool hidden() const { return removed || font_hidden || visibility_hidden || color_hidden; }
};

// ---------------------------------------------------------------------------------------------
// Text output with whitespace collapsing and a byte limit.

class TextSink {
 public:
  TextSink() = default;
  void Reset(std::string* out, size_t limit) {
    out_ = out;
    limit_ = limit;
    pending_space_ = false;
    full_ = false;
  }
  bool active() const { return out_ != nullptr; }
  bool full() const { return full_; }

  void Separate() {
    if (out_ != nullptr && !out_->empty()) pending_space_ = true;
  }
  // One byte of text (not whitespace).
  void Put(char c) {
    if (out_ == nullptr || full_) return;
    if (out_->size() + 2 > limit_) {
      full_ = true;
      return;
    }
    if (pending_space_) {
      out_->push_back(' ');
      pending_space_ = false;
    }
    out_->push_back(c);
  }

 private:
  std::string* out_ = nullptr;
  size_t limit_ = 0;
  bool pending_space_ = false;
  bool full_ = false;
};

constexpr size_t kMaxLinkTextBytes = 512;
constexpr size_t kMaxTitleBytes = 1024;
constexpr size_t kMaxAttributeBytes = 4096;
constexpr size_t kMaxTagNameBytes = 64;
constexpr size_t kMaxDeepElements = 1 << 20;  // 4 bytes each

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsAsciiAlpha(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }

// The attributes of one tag that the extractor uses (raw, undecoded views into the input).
struct TagAttributes {
  absl::string_view href, style, name, property, content, alt, aria_hidden;
  bool has_href = false, has_hidden = false, has_content = false, has_alt = false;
};

struct OpenElement {
  uint64_t hash;
  Visibility visibility;
  bool is_link;     // the <a> whose link is being collected
  int16_t p_index;  // index of the innermost open <p> at or below this entry reachable
                    // without crossing a scope boundary; -1 when none
};

// ---------------------------------------------------------------------------------------------

class Extractor {
 public:
  Extractor(absl::string_view html, const HtmlLimits& limits, HtmlDocument* doc)
      : html_(html), limits_(limits), doc_(doc) {
    const size_t text_limit = static_cast<size_t>(std::max<int64_t>(limits.max_text_bytes, 0));
    visible_.Reset(&doc_->visible_text, text_limit);
    hidden_.Reset(&doc_->hidden_text, text_limit);
    stack_.reserve(std::min(std::max(limits.max_depth, 0), 64));
  }

  void Run() {
    const size_t n = html_.size();
    size_t text_start = 0;  // start of the pending text run
    size_t scan = 0;
    while (scan < n) {
      const char* lt = static_cast<const char*>(std::memchr(html_.data() + scan, '<', n - scan));
      if (lt == nullptr) break;
      const size_t p = static_cast<size_t>(lt - html_.data());
      if (!StartsMarkup(p)) {  // a literal '<' stays in the text run
        scan = p + 1;
        continue;
      }
      if (p > text_start) Text(html_.substr(text_start, p - text_start), /*decode=*/true);
      scan = text_start = Markup(p);
    }
    if (n > text_start) Text(html_.substr(text_start), /*decode=*/true);
    if (visible_.full() || hidden_.full()) doc_->truncated = true;
  }

 private:
  // Whether the '<' at html_[p] starts a tag, comment or the like (else it is text).
  bool StartsMarkup(size_t p) const {
    if (p + 1 >= html_.size()) return false;
    const char c = html_[p + 1];
    return c == '!' || c == '?' || IsAsciiAlpha(c) || (c == '/' && p + 2 < html_.size());
  }

  // Handles the markup starting at html_[p] == '<' (StartsMarkup(p)); returns the position
  // after it.
  size_t Markup(size_t p) {
    const size_t n = html_.size();
    const char c = html_[p + 1];
    if (c == '!') {
      if (html_.substr(p, 4) == "<!--") {
        // "<!-->" and "<!--->" are complete (empty) comments, as in browsers.
        if (html_.substr(p + 4, 1) == ">") return p + 5;
        if (html_.substr(p + 4, 2) == "->") return p + 6;
        const size_t end = html_.find("-->", p + 4);
        return end == absl::string_view::npos ? n : end + 3;
      }
      if (absl::StartsWith(html_.substr(p + 2), "[CDATA[")) {
        // Outside SVG/MathML a browser shows none of it either: treated as a comment.
        const size_t end = html_.find("]]>", p + 9);
        return end == absl::string_view::npos ? n : end + 3;
      }
      return SkipPast(p + 2, '>');  // <!DOCTYPE ...> and other bogus comments
    }
    if (c == '?') return SkipPast(p + 2, '>');
    if (c == '/') {
      if (IsAsciiAlpha(html_[p + 2])) return Tag(p + 2, /*end_tag=*/true);
      if (html_[p + 2] == '>') return p + 3;  // "</>" is dropped
      return SkipPast(p + 2, '>');            // "</ x>" is a bogus comment
    }
    return Tag(p + 1, /*end_tag=*/false);
  }

  size_t SkipPast(size_t from, char c) {
    const size_t end = html_.find(c, from);
    return end == absl::string_view::npos ? html_.size() : end + 1;
  }

  // Parses a tag whose name starts at html_[i]. A tag cut off by the end of input is dropped,
  // as browsers do.
  size_t Tag(size_t i, bool end_tag) {
    const size_t n = html_.size();
    char name_buf[kMaxTagNameBytes];
    size_t name_len = 0;
    while (i < n && !IsHtmlSpace(html_[i]) && html_[i] != '/' && html_[i] != '>') {
      if (name_len < kMaxTagNameBytes) {
        name_buf[name_len++] = absl::ascii_tolower(static_cast<unsigned char>(html_[i]));
      }
      ++i;
    }
    const absl::string_view name(name_buf, name_len);
    TagAttributes attrs;
    bool self_closing = false;
    bool seen_attr[8] = {};
    while (true) {
      while (i < n && (IsHtmlSpace(html_[i]) || html_[i] == '/')) {
        self_closing = html_[i] == '/' && i + 1 < n && html_[i + 1] == '>';
        ++i;
      }
      if (i >= n) return n;
      if (html_[i] == '>') {
        ++i;
        break;
      }
      const size_t name_start = i;
      ++i;  // the first character may be '=' (then part of the name)
      while (i < n && !IsHtmlSpace(html_[i]) && html_[i] != '/' && html_[i] != '>' &&
             html_[i] != '=') {
        ++i;
      }
      const absl::string_view attr_name = html_.substr(name_start, i - name_start);
      size_t j = i;
      while (j < n && IsHtmlSpace(html_[j])) ++j;
      absl::string_view value;
      bool has_value = false;
      if (j < n && html_[j] == '=') {
        ++j;
        while (j < n && IsHtmlSpace(html_[j])) ++j;
        if (j >= n) return n;
        if (html_[j] == '"' || html_[j] == '\'') {
          const size_t close = html_.find(html_[j], j + 1);
          if (close == absl::string_view::npos) return n;
          value = html_.substr(j + 1, close - j - 1);
          i = close + 1;
        } else {
          const size_t start = j;
          while (j < n && !IsHtmlSpace(html_[j]) && html_[j] != '>') ++j;
          value = html_.substr(start, j - start);
          i = j;
        }
        has_value = true;
      }
      if (!end_tag) RecordAttribute(attr_name, value, has_value, &attrs, seen_attr);
    }
    if (end_tag) {
      EndTag(name);
      return i;
    }
    return StartTag(name, attrs, self_closing, i);
  }

  static void RecordAttribute(absl::string_view name, absl::string_view value, bool has_value,
                              TagAttributes* attrs, bool* seen) {
    // Only the first occurrence of an attribute counts (as in browsers).
    auto first = [&](int slot) {
      if (seen[slot]) return false;
      seen[slot] = true;
      return true;
    };
    if (name.size() > 11) return;
    if (absl::EqualsIgnoreCase(name, "href")) {
      if (first(0)) {
        attrs->href = value;
        attrs->has_href = true;
      }
    } else if (absl::EqualsIgnoreCase(name, "style")) {
      if (first(1)) attrs->style = value;
    } else if (absl::EqualsIgnoreCase(name, "hidden")) {
      attrs->has_hidden = true;
    } else if (absl::EqualsIgnoreCase(name, "name")) {
      if (first(2)) attrs->name = value;
    } else if (absl::EqualsIgnoreCase(name, "property")) {
      if (first(3)) attrs->property = value;
    } else if (absl::EqualsIgnoreCase(name, "content")) {
      if (first(4)) {
        attrs->content = value;
        attrs->has_content = has_value;
      }
    } else if (absl::EqualsIgnoreCase(name, "alt")) {
      if (first(5)) {
        attrs->alt = value;
        attrs->has_alt = true;
      }
    } else if (absl::EqualsIgnoreCase(name, "aria-hidden")) {
      if (first(6)) attrs->aria_hidden = value;
    }
  }

  Visibility Current() const {
    if (!deep_.empty()) return deep_.back();
    return stack_.empty() ? Visibility() : stack_.back().visibility;
  }
  bool CurrentHidden() const { return Current().hidden(); }
  TextSink& CurrentSink() { return CurrentHidden() ? hidden_ : visible_; }

  void SeparateWords() {
    visible_.Separate();
    hidden_.Separate();
    if (link_.active()) link_.Separate();
  }

  size_t StartTag(absl::string_view name, const TagAttributes& attrs, bool self_closing,
                  size_t after) {
    const uint32_t flags = ElementFlags(name);
    const uint64_t hash = NameHash(name);
    if ((flags & kClosesP) && !stack_.empty() && stack_.back().p_index >= 0) {
      PopTo(static_cast<size_t>(stack_.back().p_index));
    }
    if (hash == kHashA && link_index_ >= 0) {
      // A link inside a link: the browser closes the first one.
      for (size_t k = stack_.size(); k-- > 0;) {
        if (stack_[k].is_link) {
          PopTo(k);
          break;
        }
      }
      EndLink();
    }
    if (flags & kBlock) SeparateWords();

    Visibility visibility = Current();
    if ((flags & kAlwaysHidden) || attrs.has_hidden) visibility.removed = true;
    if (!visibility.removed && !attrs.style.empty()) {
      const bool lenient = absl::EqualsIgnoreCase(attrs.aria_hidden, "true");
      const StyleEffect effect = ParseStyle(DecodeAttribute(attrs.style, kMaxStyleBytes), lenient);
      if (effect.hides) visibility.removed = true;
      if (effect.font != 0) visibility.font_hidden = effect.font < 0;
      if (effect.visibility != 0) visibility.visibility_hidden = effect.visibility < 0;
      if (effect.color != 0) visibility.color_hidden = effect.color < 0;
    }
    const bool hidden = visibility.hidden();

    if (flags & kVoid) {
      if (name == "img" && attrs.has_alt && link_.active()) {
        link_.Separate();
        PutText(&link_, DecodeAttribute(attrs.alt, kMaxAttributeBytes));
        link_.Separate();
      } else if (name == "meta") {
        AddMeta(attrs);
      }
      return after;
    }
    if (flags & (kRawIgnored | kRawText | kRcdata)) return RawText(name, flags, hidden, after);

    const bool foreign = (flags & kForeign) || foreign_open_ > 0;
    if (self_closing && foreign) return after;
    if (stack_.size() >= static_cast<size_t>(std::max(limits_.max_depth, 0))) {
      // Too deep to track by name: keep only the visibility, and let any end tag close the
      // innermost of these elements.
      doc_->truncated = true;
      if (deep_.size() < kMaxDeepElements) deep_.push_back(visibility);
      if (hash == kHashA) StartLink(attrs, hidden);
      return after;
    }
    OpenElement e;
    e.hash = hash;
    e.visibility = visibility;
    e.is_link = false;
    e.p_index = stack_.empty() ? -1 : stack_.back().p_index;
    if (flags & kScopeBoundary) e.p_index = -1;
    if (hash == kHashP) e.p_index = static_cast<int16_t>(stack_.size());
    stack_.push_back(e);
    ++open_counts_[hash];
    if (flags & kForeign) ++foreign_open_;
    if (hash == kHashA && attrs.has_href) {
      stack_.back().is_link = StartLink(attrs, hidden);
    }
    return after;
  }

  void EndTag(absl::string_view name) {
    const uint32_t flags = ElementFlags(name);
    if (flags & kBlock) SeparateWords();
    if (name == "br") return;  // "</br>" is a line break
    if (!deep_.empty()) {
      deep_.pop_back();
      if (name == "a") EndLink();
      return;
    }
    auto it = open_counts_.find(NameHash(name));
    if (it == open_counts_.end() || it->second <= 0) {
      if (name == "a") EndLink();  // an untracked (too deep) link ends here
      return;
    }
    const uint64_t hash = it->first;
    for (size_t k = stack_.size(); k-- > 0;) {
      if (stack_[k].hash == hash) {
        PopTo(k);
        return;
      }
    }
  }

  // Pops stack_[k] and everything above it.
  void PopTo(size_t k) {
    while (stack_.size() > k) {
      const OpenElement& top = stack_.back();
      auto it = open_counts_.find(top.hash);
      if (it != open_counts_.end() && --it->second == 0) open_counts_.erase(it);
      if (top.hash == kHashSvg || top.hash == kHashMath) --foreign_open_;
      if (top.is_link) EndLink();
      stack_.pop_back();
    }
  }

  // Starts collecting a link (when it has an href and the limit allows); returns whether.
  bool StartLink(const TagAttributes& attrs, bool hidden) {
    EndLink();
    if (!attrs.has_href) return false;
    if (doc_->links.size() >= static_cast<size_t>(std::max(limits_.max_links, 0))) {
      doc_->truncated = true;
      return false;
    }
    HtmlLink link;
    link.href =
        std::string(absl::StripAsciiWhitespace(DecodeAttribute(attrs.href, kMaxAttributeBytes)));
    link.hidden = hidden;
    doc_->links.push_back(std::move(link));
    link_index_ = static_cast<int>(doc_->links.size()) - 1;
    link_.Reset(&doc_->links.back().text, kMaxLinkTextBytes);
    return true;
  }

  void EndLink() {
    link_index_ = -1;
    link_.Reset(nullptr, 0);
  }

  void AddMeta(const TagAttributes& attrs) {
    absl::string_view key = !attrs.name.empty() ? attrs.name : attrs.property;
    if (key.empty() || !attrs.has_content) return;
    if (doc_->metas.size() >= static_cast<size_t>(std::max(limits_.max_metas, 0))) {
      doc_->truncated = true;
      return;
    }
    HtmlMeta meta;
    meta.name =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(DecodeAttribute(key, kMaxAttributeBytes)));
    meta.content = DecodeAttribute(attrs.content, kMaxAttributeBytes);
    doc_->metas.push_back(std::move(meta));
  }

  // The content of script/style/iframe/... (ignored), xmp/plaintext (shown as is) or
  // textarea/title (shown, references decoded), up to the matching end tag.
  size_t RawText(absl::string_view name, uint32_t flags, bool hidden, size_t after) {
    size_t content_end = html_.size();
    size_t resume = html_.size();
    if (name != "plaintext") FindRawTextEnd(name, after, &content_end, &resume);
    const absl::string_view content = html_.substr(after, content_end - after);
    if (name == "title") {
      if (!title_seen_) {
        title_seen_ = true;
        TextSink title;
        title.Reset(&doc_->title, kMaxTitleBytes);
        EmitText(content, true, &title, nullptr);
      }
    } else if (flags & (kRawText | kRcdata)) {
      TextSink& sink = hidden ? hidden_ : visible_;
      EmitText(content, (flags & kRcdata) != 0, &sink, link_.active() ? &link_ : nullptr);
      if (flags & kBlock) SeparateWords();
    }
    return resume;
  }

  // Finds "</name" followed by space, '/' or '>' (case-insensitive) from `from`.
  void FindRawTextEnd(absl::string_view name, size_t from, size_t* content_end, size_t* resume) {
    const size_t n = html_.size();
    size_t i = from;
    while (true) {
      const size_t lt = html_.find("</", i);
      if (lt == absl::string_view::npos) break;
      const size_t name_end = lt + 2 + name.size();
      if (name_end <= n && absl::EqualsIgnoreCase(html_.substr(lt + 2, name.size()), name) &&
          (name_end == n || IsHtmlSpace(html_[name_end]) || html_[name_end] == '/' ||
           html_[name_end] == '>')) {
        *content_end = lt;
        *resume = SkipPast(name_end, '>');
        return;
      }
      i = lt + 2;
    }
    *content_end = n;
    *resume = n;
  }

  void Text(absl::string_view raw, bool decode) {
    EmitText(raw, decode, &CurrentSink(), link_.active() ? &link_ : nullptr);
  }

  static void PutText(TextSink* sink, absl::string_view text) {
    EmitText(text, false, sink, nullptr);
  }

  // Writes text to one or two sinks: whitespace (incl. no-break space) collapses, NUL bytes
  // vanish (browsers do not render them), references are decoded when `decode`.
  static void EmitText(absl::string_view raw, bool decode, TextSink* a, TextSink* b) {
    std::string utf8;
    const size_t n = raw.size();
    for (size_t i = 0; i < n; ++i) {
      const char c = raw[i];
      if (IsHtmlSpace(c) || (c == '\xC2' && i + 1 < n && raw[i + 1] == '\xA0')) {
        if (c == '\xC2') ++i;
        a->Separate();
        if (b != nullptr) b->Separate();
        continue;
      }
      if (c == '\0') continue;
      if (c == '&' && decode) {
        uint32_t cp;
        const size_t used = DecodeReference(raw, i, /*in_attribute=*/false, &cp);
        if (used > 0) {
          i += used - 1;
          if (cp == 0xA0 || cp == 0x2009) {
            a->Separate();
            if (b != nullptr) b->Separate();
            continue;
          }
          utf8.clear();
          AppendUtf8(cp, &utf8);
          for (char u : utf8) {
            a->Put(u);
            if (b != nullptr) b->Put(u);
          }
          continue;
        }
      }
      a->Put(c);
      if (b != nullptr) b->Put(c);
    }
  }

  const absl::string_view html_;
  const HtmlLimits& limits_;
  HtmlDocument* const doc_;
  TextSink visible_, hidden_, link_;
  int link_index_ = -1;
  bool title_seen_ = false;
  int foreign_open_ = 0;
  std::vector<OpenElement> stack_;                  // at most limits_.max_depth
  std::vector<Visibility> deep_;                    // elements beyond max_depth, innermost last
  absl::flat_hash_map<uint64_t, int> open_counts_;  // open elements per name hash
};

}  // namespace

HtmlDocument ExtractHtml(absl::string_view html, const HtmlLimits& limits) {
  HtmlDocument doc;
  const size_t max_input = static_cast<size_t>(std::max<int64_t>(limits.max_input_bytes, 0));
  if (html.size() > max_input) {
    html = html.substr(0, max_input);
    doc.truncated = true;
  }
  Extractor(html, limits, &doc).Run();
  return doc;
}

}  // namespace pantau::agent
