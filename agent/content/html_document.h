// Visible-text extraction from untrusted HTML: one linear pass of a small streaming tokenizer
// (no DOM), with bounded memory and time, so a hostile or enormous page costs at most its size.
//
//   HtmlDocument doc = ExtractHtml(body);
//   for (const HtmlLink& link : doc.links) ...
//
// Why not a DOM parser (gumbo, libxml2): we need only text, links, meta tags and which
// elements are hidden; a DOM for a 5 MiB page costs tens of MiB, and the agent's whole
// budget is 20 MiB.
//
// What the tokenizer follows from the HTML standard, and where it simplifies:
//   - Tags: case-insensitive names; attributes quoted, unquoted or bare; only an attribute's
//     first occurrence counts. A tag, quoted value or comment cut off by the end of input is
//     dropped, as in browsers. "<" not starting a tag is text.
//   - Skipped: comments, <!DOCTYPE>, <?...?>, CDATA sections (a browser shows none of it
//     outside SVG either), and the raw text of script, style, iframe, noembed, noframes.
//     textarea and title text is decoded; xmp and plaintext text is kept as is.
//   - noscript and template content is parsed as markup but counts as hidden: visitors with
//     JavaScript never see noscript, nobody sees template, yet crawlers index both, which is
//     exactly where cloaked spam goes.
//   - Character references: numeric (decimal, hex; Windows-1252 for 128..159; invalid ones
//     become U+FFFD), the Latin-1 names (with or without ';' as browsers do), typographic
//     and punctuation names (&hellip; &rsquo; &colon; ...). Unknown names stay literal.
//     No-break spaces (&nbsp;, U+00A0) become ordinary spaces; NUL bytes vanish.
//   - Void elements (br, img, meta, input, ...) never open; "/>" closes only inside svg/math.
//     An end tag closes the innermost open element of that name and everything inside it,
//     or is ignored when none is open. A block element closes an open <p>, and a nested <a>
//     closes the outer one, as browsers do; other implied end tags are not modelled.
//   - Block elements (div, p, li, td, h1, br, ...) separate words; inline ones (b, span, a)
//     do not: "sl<b>ot</b>" is "slot".
//   - Hidden: display:none, visibility:hidden|collapse, opacity <= 0.02, font-size 0 (any
//     unit) or under 2px, color:transparent, transform:scale(0), clip-path inset(50%),
//     text-indent / margin-left / margin-top <= -500px, left/top/right <= -500px with
//     position absolute|fixed|relative, width/height (or max-) <= 1px with overflow hidden,
//     clip:rect(<=1px ...) when positioned; the `hidden` attribute; noscript, template.
//     Only inline styles count (class-based hiding is not seen). aria-hidden="true" alone
//     hides nothing (screen readers only) but makes the style checks lenient: opacity <= 0.1,
//     font-size < 4px, offsets <= -100px, boxes <= 5px. Hidden-ness is inherited; a
//     descendant may undo an inherited font-size, visibility or color (a common layout
//     trick), never display:none, opacity or the positional tricks.
//   - Deeper than max_depth, elements are still followed for visibility but no longer by
//     name: any end tag closes the innermost of them (and `truncated` is set).
//
// Thread-safe: ExtractHtml is a pure function.
#ifndef PANTAU_AGENT_CONTENT_HTML_DOCUMENT_H_
#define PANTAU_AGENT_CONTENT_HTML_DOCUMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pantau::agent {

struct HtmlLink {
  std::string href;     // attribute value, entities decoded, trimmed; not resolved; <= 4 KiB
  std::string text;     // the link's text (and img alt inside it), collapsed; <= 512 bytes
  bool hidden = false;  // inside (or is) an element hidden from visitors
};

// Only <meta> tags with a `content` attribute and a `name` or `property`.
struct HtmlMeta {
  std::string name;     // lower-cased `name` or `property` (e.g. "description", "og:title")
  std::string content;  // entities decoded; <= 4 KiB
};

struct HtmlDocument {
  std::string title;         // the first <title>, whitespace collapsed; <= 1 KiB
  std::string visible_text;  // text a visitor sees: no script/style/template/comments, no
                             // hidden elements; entities decoded; whitespace collapsed to
                             // single spaces; block elements separate words
  std::string hidden_text;   // text inside hidden elements (display:none, visibility:hidden,
                             // opacity:0, font-size:0, off-screen positioning, the `hidden`
                             // attribute, aria-hidden with such styles), collapsed likewise
  std::vector<HtmlLink> links;
  std::vector<HtmlMeta> metas;
  bool truncated = false;  // a limit below was reached; what was read is still returned
};

struct HtmlLimits {
  int64_t max_input_bytes = 5 << 20;  // the rest of the input is ignored
  int64_t max_text_bytes = 1 << 20;   // per text field (visible_text, hidden_text)
  int max_links = 5000;
  int max_metas = 500;
  int max_depth = 512;  // open elements tracked by name (see the top of this file)
};

// Never fails: any byte sequence gives a document (invalid UTF-8 is kept as is). Time is
// linear in the input (about 4 ms per MiB of a typical page); memory is the output plus a
// few dozen bytes per open element.
HtmlDocument ExtractHtml(absl::string_view html, const HtmlLimits& limits = {});

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONTENT_HTML_DOCUMENT_H_
