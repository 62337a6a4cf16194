// UTF-8 helpers for untrusted text: encoding one code point (HTML and XML readers), checking
// a sequence (JSON output), and replacing what is not UTF-8 (text from logs that goes into
// protobuf strings, which must be valid UTF-8).
#ifndef PANTAU_COMMON_UTF8_H_
#define PANTAU_COMMON_UTF8_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace pantau {

// Writes `cp` (at most U+10FFFF, not a surrogate: the caller checks) as UTF-8 at `dst`, for
// decoders that write in place; returns the bytes written (1..4).
inline int EncodeUtf8(uint32_t cp, char* dst) {
  if (cp < 0x80) {
    dst[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = static_cast<char>(0xC0 | (cp >> 6));
    dst[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = static_cast<char>(0xE0 | (cp >> 12));
    dst[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    dst[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  dst[0] = static_cast<char>(0xF0 | (cp >> 18));
  dst[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  dst[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  dst[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// Appends `cp` as UTF-8. NUL, surrogates and values beyond U+10FFFF are dropped (callers that
// must show something map them to U+FFFD first, as HTML does).
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  char bytes[4];
  out->append(bytes, static_cast<size_t>(EncodeUtf8(cp, bytes)));
}

// Length of the well-formed UTF-8 sequence starting at text[i] (a byte >= 0x80), or 0.
inline int Utf8SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  int len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (int k = 2; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return len;
}


// Appends `text` with every byte that does not start a well-formed sequence replaced by
// U+FFFD. NUL bytes are kept (they are valid UTF-8).
inline void AppendValidUtf8(absl::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    size_t ascii = i;
    while (ascii < text.size() && static_cast<unsigned char>(text[ascii]) < 0x80) ++ascii;
    out->append(text.data() + i, ascii - i);
    i = ascii;
    if (i >= text.size()) break;
    const int len = Utf8SequenceLength(text, i);
    if (len > 0) {
      out->append(text.data() + i, len);
      i += len;
    } else {
      out->append("\xEF\xBF\xBD");
      ++i;
    }
  }
}

inline std::string ValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendValidUtf8(text, &out);
  return out;
}

// ValidUtf8(text) cut to at most `max_bytes` without splitting a character: for fields with a
// byte limit on the wire.
inline std::string ClampUtf8(absl::string_view text, size_t max_bytes) {
  std::string out = ValidUtf8(text.substr(0, max_bytes + 3));
  if (out.size() <= max_bytes) return out;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;
  out.resize(n);
  return out;
}

}  // namespace pantau

#endif  // PANTAU_COMMON_UTF8_H_
