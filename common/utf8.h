// UTF-8 encoding of one code point, shared by the HTML and XML readers of untrusted pages.
#ifndef PANTAU_COMMON_UTF8_H_
#define PANTAU_COMMON_UTF8_H_

#include <cstdint>
#include <string>

namespace pantau {

// Appends `cp` as UTF-8. NUL, surrogates and values beyond U+10FFFF are dropped (callers that
// must show something map them to U+FFFD first, as HTML does).
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace pantau

#endif  // PANTAU_COMMON_UTF8_H_
