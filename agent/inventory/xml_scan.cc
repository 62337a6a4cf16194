#include "agent/inventory/xml_scan.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/utf8.h"

namespace pantau::agent {
namespace {

bool IsNameStart(char c) {
  return absl::ascii_isalpha(c) || c == '_' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || absl::ascii_isdigit(c) || c == '-' || c == '.'; }

// Position just after `terminator` searched from `from`, or the end of `s` when it is absent.
size_t After(absl::string_view s, size_t from, absl::string_view terminator) {
  const size_t at = s.find(terminator, from);
  return at == absl::string_view::npos ? s.size() : at + terminator.size();
}

// Decodes the entity whose body (between & and ;) is `body`; false when unknown.
bool DecodeEntity(absl::string_view body, std::string* out) {
  if (body == "amp") return out->push_back('&'), true;
  if (body == "lt") return out->push_back('<'), true;
  if (body == "gt") return out->push_back('>'), true;
  if (body == "quot") return out->push_back('"'), true;
  if (body == "apos") return out->push_back('\''), true;
  if (body.size() < 2 || body[0] != '#') return false;
  uint32_t cp = 0;
  bool ok;
  if (body[1] == 'x' || body[1] == 'X') {
    ok = body.size() > 2 && absl::SimpleHexAtoi(body.substr(2), &cp);
  } else {
    ok = absl::SimpleAtoi(body.substr(1), &cp);
  }
  if (!ok) return false;
  AppendUtf8(cp, out);
  return true;
}

}  // namespace

bool XmlScanner::Next(XmlToken* token) {
  while (pos_ < xml_.size()) {
    *token = XmlToken();
    if (xml_[pos_] != '<') {
      size_t end = xml_.find('<', pos_);
      if (end == absl::string_view::npos) end = xml_.size();
      token->text = xml_.substr(pos_, end - pos_);
      pos_ = end;
      return true;
    }
    const absl::string_view rest = xml_.substr(pos_);
    if (absl::StartsWith(rest, "<!--")) {
      pos_ = After(xml_, pos_ + 4, "-->");
      continue;
    }
    if (absl::StartsWith(rest, "<![CDATA[")) {
      const size_t start = pos_ + 9;
      size_t end = xml_.find("]]>", start);
      if (end == absl::string_view::npos) end = xml_.size();
      token->text = xml_.substr(start, end - start);
      token->cdata = true;
      pos_ = end == xml_.size() ? end : end + 3;
      return true;
    }
    if (absl::StartsWith(rest, "<?")) {
      pos_ = After(xml_, pos_ + 2, "?>");
      continue;
    }
    if (absl::StartsWith(rest, "<!")) {
      // DOCTYPE and friends; an internal subset ([ ... ]) may contain '>'.
      const size_t close = xml_.find('>', pos_);
      const size_t bracket = xml_.find('[', pos_);
      if (bracket != absl::string_view::npos && bracket < close) {
        pos_ = After(xml_, bracket, "]>");
      } else {
        pos_ = close == absl::string_view::npos ? xml_.size() : close + 1;
      }
      continue;
    }
    const bool end_tag = rest.size() > 1 && rest[1] == '/';
    const size_t name_start = pos_ + 1 + (end_tag ? 1 : 0);
    if (name_start >= xml_.size() || !IsNameStart(xml_[name_start])) {
      token->text = xml_.substr(pos_, 1);  // a lone '<' is text
      ++pos_;
      return true;
    }
    size_t i = name_start;
    while (i < xml_.size() && IsNameChar(xml_[i])) ++i;
    absl::string_view name = xml_.substr(name_start, i - name_start);
    const size_t colon = name.rfind(':');
    if (colon != absl::string_view::npos) name.remove_prefix(colon + 1);
    // Skip attributes up to the closing '>', honouring quotes.
    char quote = 0;
    size_t j = i;
    for (; j < xml_.size(); ++j) {
      const char c = xml_[j];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    token->kind = end_tag ? XmlToken::Kind::kEndTag : XmlToken::Kind::kStartTag;
    token->name = name;
    token->self_closing = !end_tag && j < xml_.size() && j > i && xml_[j - 1] == '/';
    pos_ = j < xml_.size() ? j + 1 : xml_.size();
    return true;
  }
  return false;
}

void AppendXmlText(const XmlToken& token, size_t max_bytes, std::string* out) {
  if (out->size() >= max_bytes) return;
  const absl::string_view text = token.text;
  if (token.cdata) {
    out->append(text.data(), std::min(text.size(), max_bytes - out->size()));
    return;
  }
  for (size_t i = 0; i < text.size() && out->size() < max_bytes; ++i) {
    if (text[i] == '&') {
      const size_t semi = text.find(';', i + 1);
      if (semi != absl::string_view::npos && semi - i <= 12 &&
          DecodeEntity(text.substr(i + 1, semi - i - 1), out)) {
        i = semi;
        continue;
      }
    }
    out->push_back(text[i]);
  }
  if (out->size() > max_bytes) out->resize(max_bytes);
}

}  // namespace pantau::agent
