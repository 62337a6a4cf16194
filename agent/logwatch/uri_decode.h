// Decoding of request targets before rules look at them, so that encodings do not hide an
// attack: "%2e%2e%2f", "%252e%252e%252f" (double), "%u002e", "+" for space, backslashes,
// "//" and "/./" in paths.
//
//   DecodedTarget d;
//   DecodeTarget("/a/..%2f..%2fetc/passwd?x=%3Cscript%3E", &d);
//   d.uri   == "/a/../../etc/passwd?x=<script>"
//   d.path  == "/etc/passwd"           (normalised; d.above_root == true)
//   d.query == "x=<script>"
#ifndef PANTAU_AGENT_LOGWATCH_URI_DECODE_H_
#define PANTAU_AGENT_LOGWATCH_URI_DECODE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace pantau::agent::logwatch {

struct DecodedTarget {
  // The whole target with the web server's log escaping undone (nginx's \x22 → '"', Apache's
  // \" → '"' and \\ → '\'), then percent-decoded repeatedly (up to 4 rounds, until nothing changes),
  // "%uXXXX" → UTF-8, "+" → " " in the query, NUL bytes → "\\0" so they stay visible,
  // other control bytes kept. Dot segments are NOT resolved here (rules look for "../").
  std::string uri;
  // The path part of `uri` (before the first "?" of the raw target), with "\\" → "/", "//"
  // collapsed, "." and ".." segments resolved, a trailing ";jsessionid=..."-style parameter
  // kept. Always starts with "/" when the target did (absolute-form "http://h/p" → "/p").
  std::string path;
  // The query part of `uri` (after the first "?" of the raw target), decoded.
  std::string query;
  // A ".." segment tried to climb above "/".
  bool above_root = false;
  // How many decoding rounds changed something (2+ = double encoding, itself suspicious).
  int decode_rounds = 0;
};

// Fast path: a target without '%', '+', '\\' or "/." or "//" costs a copy and a scan.
// Bounded: the output is never longer than the input plus 3 bytes per "%uXXXX" and NUL.
void DecodeTarget(absl::string_view raw, DecodedTarget* out);

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_URI_DECODE_H_
