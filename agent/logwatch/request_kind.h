// What kind of request a target is, shared by detection (rules with `page: true`) and the
// visitor statistics (page views): a page a person reads, or an asset (stylesheet, script,
// image, font, media, download).
#ifndef PANTAU_AGENT_LOGWATCH_REQUEST_KIND_H_
#define PANTAU_AGENT_LOGWATCH_REQUEST_KIND_H_

#include "absl/strings/string_view.h"

namespace pantau::agent::logwatch {

// The path part of a target: up to the first '?' or '#'.
absl::string_view PathOf(absl::string_view target);

// A request for a page rather than an asset: the last path segment has no extension, or one
// that is not .css/.js/.png/.jpg/.gif/.svg/.ico/.woff*/.ttf/.map/.webp/.avif/.mp4/.pdf/.zip/
// .txt/.xml/.json/... (case-insensitive; the query is ignored).
bool IsPageRequest(absl::string_view target);

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_REQUEST_KIND_H_
