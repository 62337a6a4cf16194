// The text of one notification email (RFC 5322 + MIME), for the SMTP sender. Pure functions,
// internal to collector/notify; declared here so they can be tested on their own.
//
//   std::string wire = FormatMailMessage(mail);   // CRLF line endings, ready for SMTP DATA
#ifndef PANTAU_COLLECTOR_NOTIFY_MAIL_MESSAGE_H_
#define PANTAU_COLLECTOR_NOTIFY_MAIL_MESSAGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pantau::collector {

struct MailMessage {
  std::string from;             // plain address
  std::string to;               // plain address
  std::string subject;          // UTF-8, one line (line breaks become spaces)
  std::string text;             // UTF-8 plain text, '\n' line breaks
  std::string idempotency_key;  // Message-ID <key@pantau>, key cut to [A-Za-z0-9._-]
  absl::Time date;
};

// Date, From, To, Subject, Message-ID, MIME-Version, Content-Type text/plain; charset=UTF-8
// and Content-Transfer-Encoding (7bit for short ASCII lines, else quoted-printable), then the
// body; CRLF line endings. Invalid UTF-8 becomes U+FFFD. Dot-stuffing is left to curl.
std::string FormatMailMessage(const MailMessage& mail);

// "Tue, 07 May 2024 03:04:05 +0000" (RFC 5322 date-time, UTC).
std::string Rfc5322Date(absl::Time time);

// The Subject header's value: ASCII as is, otherwise RFC 2047 "=?UTF-8?B?...?=" words of at
// most 75 characters, folded with CRLF SP, never splitting a character.
std::string EncodeSubject(absl::string_view subject);

// Quoted-printable (RFC 2045) of '\n'-separated UTF-8 text: CRLF line breaks, lines of at
// most 76 characters with soft breaks.
std::string QuotedPrintable(absl::string_view text);

// <key@pantau> with the key cut to [A-Za-z0-9._-] (at most 200 bytes); "<none@pantau>" for an
// empty key.
std::string MessageIdFor(absl::string_view idempotency_key);

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_NOTIFY_MAIL_MESSAGE_H_
