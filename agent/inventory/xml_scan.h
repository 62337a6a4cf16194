// A tolerant, bounded scanner over XML-ish bytes, shared by the sitemap and feed readers of
// agent/inventory. It yields start tags, end tags and text (CDATA included), and skips
// comments, processing instructions and DOCTYPE. It does not check well-formedness, resolve
// namespaces or keep attributes: the readers need element names and text only, and real
// sitemaps and feeds are often not well-formed (a PHP notice before `<?xml`, an unescaped `&`).
//
//   XmlScanner scanner(xml);
//   XmlToken token;
//   while (scanner.Next(&token)) {
//     if (token.kind == XmlToken::Kind::kStartTag && token.name == "loc") ...
//   }
//
// Cost: one linear pass; every byte is looked at a bounded number of times, whatever the input.
#ifndef PANTAU_AGENT_INVENTORY_XML_SCAN_H_
#define PANTAU_AGENT_INVENTORY_XML_SCAN_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace pantau::agent {

struct XmlToken {
  enum class Kind { kStartTag, kEndTag, kText };
  Kind kind = Kind::kText;
  // Tags: the local name, namespace prefix removed ("image:loc" gives "loc"), case as written.
  absl::string_view name;
  bool self_closing = false;  // `<loc/>`
  // Text: raw bytes between tags (entities not decoded), or a CDATA section's content.
  absl::string_view text;
  bool cdata = false;
};

// Not thread-safe; `xml` must outlive the scanner and the tokens it yields.
class XmlScanner {
 public:
  explicit XmlScanner(absl::string_view xml) : xml_(xml) {}

  // The next token; false at the end of the input. A `<` that does not start a tag is text.
  bool Next(XmlToken* token);

 private:
  absl::string_view xml_;
  size_t pos_ = 0;
};

// Appends a text token to `out`: CDATA as is; other text with the XML entities (&amp; &lt;
// &gt; &quot; &apos; &#NN; &#xHH;) decoded, unknown ones kept as written. `out` stops growing
// at `max_bytes`.
void AppendXmlText(const XmlToken& token, size_t max_bytes, std::string* out);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_INVENTORY_XML_SCAN_H_
