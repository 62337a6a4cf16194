// Fuzz target: arbitrary bytes as the untrusted inputs of agent/inventory — robots.txt,
// sitemap XML, RSS/Atom feeds, wp-json answers, page text with dates, HTTP and W3C dates,
// links to resolve, and a stored sitemap snapshot. Any input must give a (possibly empty)
// result within the documented bounds, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "agent/inventory/freshness.h"
#include "agent/inventory/sitemap.h"
#include "agent/inventory/resolve_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pantau::agent;  // NOLINT: a fuzz target, not library code
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  if (SitemapUrlsFromRobots(text).size() > 50) __builtin_trap();

  SitemapLimits limits;
  limits.max_entries = 1000;
  const SitemapDoc doc = ParseSitemap(text, limits);
  if (doc.entries.size() > 1000) __builtin_trap();
  SitemapSnapshotBuilder builder;
  builder.AddDocument("https://pn-contoh.go.id/sitemap.xml", doc);
  (void)CompareSitemaps(SitemapSnapshot(), builder.Build(), SitemapPolicy());
  (void)NewestSitemapLastmod(doc);

  (void)NewestFeedDate(text);
  (void)NewestWpJsonPostDate(text);
  (void)ParseHttpDate(text);
  (void)ParseW3cDateTime(text);
  for (const absl::CivilDay& day : FindDates(text)) {
    if (day.year() < 2000 || day.year() > 2100) __builtin_trap();
  }
  (void)HasDateOnOrAfter(text, absl::CivilDay(2026, 11, 25));
  (void)ResolveUrl("https://pn-contoh.go.id/a/b/index.php?x=1", text);
  (void)UrlTextForMatching(text);

  // A snapshot that parses must survive its own round trip.
  const auto snapshot = SitemapSnapshot::Parse(text);
  if (snapshot.ok() && !SitemapSnapshot::Parse(snapshot->Serialize()).ok()) __builtin_trap();
  return 0;
}
