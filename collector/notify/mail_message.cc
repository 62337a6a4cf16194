#include "collector/notify/mail_message.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/utf8.h"

namespace pantau::collector {
namespace {

constexpr size_t kMaxSubjectBytes = 900;
constexpr size_t kMaxKeyBytes = 200;
// RFC 2047: an encoded word is at most 75 characters; "=?UTF-8?B?" + "?=" take 12, leaving
// 63 for base64, i.e. 45 bytes of text (60 characters).
constexpr size_t kEncodedWordTextBytes = 45;
constexpr size_t kQpLineLength = 76;
// RFC 5322 allows 998; stay well below so no relay rewraps the line.
constexpr size_t kMax7bitLine = 900;

bool IsPrintableAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// One line of subject: control characters (CR, LF, TAB...) become spaces so no header can be
// injected through it.
std::string SubjectLine(absl::string_view subject) {
  std::string line = ClampUtf8(subject, kMaxSubjectBytes);
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return line;
}

// '\n'-separated lines of valid UTF-8 with "\r\n" and lone "\r" treated as line breaks too.
std::string NormalisedText(absl::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size(); ++i) {
    if (valid[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < valid.size() && valid[i + 1] == '\n') ++i;
    } else {
      out.push_back(valid[i]);
    }
  }
  return out;
}

bool Fits7bit(absl::string_view text) {
  size_t line = 0;
  for (char c : text) {
    if (c == '\n') {
      line = 0;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c > 0x7E) return false;
    if (++line > kMax7bitLine) return false;
  }
  return true;
}

std::string WithCrlf(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string Rfc5322Date(absl::Time time) {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Day and month names spelt out here: strftime's %a/%b follow the locale.
  const absl::TimeZone::CivilInfo c = absl::UTCTimeZone().At(time);
  const int weekday = static_cast<int>(absl::GetWeekday(c.cs));  // Monday = 0
  return absl::StrFormat("%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[weekday], c.cs.day(),
                         kMonths[c.cs.month() - 1], c.cs.year(), c.cs.hour(), c.cs.minute(),
                         c.cs.second());
}

std::string EncodeSubject(absl::string_view subject) {
  const std::string line = SubjectLine(subject);
  // Plain ASCII stays readable, unless it looks like an encoded word itself.
  if (IsPrintableAscii(line) && line.find("=?") == std::string::npos) return line;
  std::string out;
  size_t i = 0;
  while (i < line.size()) {
    // Take whole characters while they fit in one encoded word.
    size_t end = i;
    while (end < line.size()) {
      const unsigned char c = static_cast<unsigned char>(line[end]);
      const size_t len = c < 0x80 ? 1 : static_cast<size_t>(Utf8SequenceLength(line, end));
      if (end + len - i > kEncodedWordTextBytes) break;
      end += len;
    }
    if (!out.empty()) out += "\r\n ";
    absl::StrAppend(&out, "=?UTF-8?B?", absl::Base64Escape(line.substr(i, end - i)), "?=");
    i = end;
  }
  return out;
}

std::string QuotedPrintable(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t line_length = 0;
  const auto append = [&](absl::string_view piece) {
    // Soft break so that the line, with a trailing '=', stays within 76 characters.
    if (line_length + piece.size() > kQpLineLength - 1) {
      out += "=\r\n";
      line_length = 0;
    }
    out.append(piece.data(), piece.size());
    line_length += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\r\n";
      line_length = 0;
      continue;
    }
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n';
    const bool literal =
        (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    if (literal) {
      const char ch = static_cast<char>(c);
      append(absl::string_view(&ch, 1));
    } else {
      const char escaped[3] = {'=', kHex[c >> 4], kHex[c & 0xF]};
      append(absl::string_view(escaped, 3));
    }
  }
  return out;
}

std::string MessageIdFor(absl::string_view idempotency_key) {
  std::string key;
  for (char c : idempotency_key) {
    if (key.size() >= kMaxKeyBytes) break;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-') {
      key.push_back(c);
    }
  }
  // A dot may not start or end the id's left part, nor repeat (RFC 5322 dot-atom).
  while (!key.empty() && key.front() == '.') key.erase(key.begin());
  while (!key.empty() && key.back() == '.') key.pop_back();
  for (size_t dots; (dots = key.find("..")) != std::string::npos;) key.erase(dots, 1);
  if (key.empty()) key = "none";
  return absl::StrCat("<", key, "@pantau>");
}

std::string FormatMailMessage(const MailMessage& mail) {
  const std::string text = NormalisedText(mail.text);
  const bool plain = Fits7bit(text);
  std::string out = absl::StrCat(
      "Date: ", Rfc5322Date(mail.date), "\r\n", "From: ", mail.from, "\r\n", "To: ", mail.to,
      "\r\n", "Subject: ", EncodeSubject(mail.subject), "\r\n",
      "Message-ID: ", MessageIdFor(mail.idempotency_key), "\r\n", "MIME-Version: 1.0\r\n",
      "Content-Type: text/plain; charset=UTF-8\r\n",
      "Content-Transfer-Encoding: ", plain ? "7bit" : "quoted-printable", "\r\n", "\r\n");
  out += plain ? WithCrlf(text) : QuotedPrintable(text);
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

}  // namespace pantau::collector
