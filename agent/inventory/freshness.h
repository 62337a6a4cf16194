// "When was this court site last updated?": dates from the places a site reveals them — a
// WordPress REST answer, an RSS or Atom feed, sitemap <lastmod>, the Last-Modified header, and
// dates written in Indonesian page text — and the choice among them. A court site that has
// not published anything for months fails its information-service duty; a jadwal sidang
// (hearing schedule) page that shows no hearing from today on is stale whatever its age.
//
//   FreshnessInputs in;
//   in.wp_json = NewestWpJsonPostDate(wp_body);      // /wp-json/wp/v2/posts?per_page=1
//   in.feed = NewestFeedDate(feed_body);             // /feed, /rss.xml, ...
//   in.last_modified = ParseHttpDate(header_value);
//   in.listing_date = NewestDate(news_page.visible_text, today);
//   FreshnessResult r = PickFreshness(in, clock.Now(), jakarta);
//   if (r.known && r.age_days > 90) ...
//
// All functions are pure and thread-safe, bounded in time and memory, never throw, and return
// nothing (not an error) for input they cannot read: a missing date is an ordinary answer here.
#ifndef PANTAU_AGENT_INVENTORY_FRESHNESS_H_
#define PANTAU_AGENT_INVENTORY_FRESHNESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "agent/inventory/sitemap.h"

namespace pantau::agent {

// --- Single date-time values ---

// An HTTP date (RFC 9110: "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94
// 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994"), leniently: also RFC 822 forms as found
// in RSS <pubDate> (numeric zones "+0700", zone names GMT/UT/UTC/Z/WIB/WITA/WIT and US ones,
// no weekday, no seconds, no time). An unknown word makes it fail.
std::optional<absl::Time> ParseHttpDate(absl::string_view text);

// A W3C date-time / RFC 3339 value as in sitemap <lastmod>, Atom <updated> and wp-json:
// "2026", "2026-11", "2026-11-20", "2026-11-20T03:04Z", "2026-11-20T03:04:05.123+07:00";
// a space may stand for 'T'. Without a zone it is read as UTC.
std::optional<absl::Time> ParseW3cDateTime(absl::string_view text);

// --- Newest date of a whole document ---
// Each returns the newest plausible time (years 1995..2100) found, or nothing.

// RSS 2.0 (<pubDate>, <lastBuildDate>, <dc:date>) or Atom (<updated>, <published>). Reads at
// most the first 10 MiB and 10,000 date elements.
std::optional<absl::Time> NewestFeedDate(absl::string_view xml);

// The answer of /wp-json/wp/v2/posts (a JSON array of posts): the newest "date_gmt" or
// "modified_gmt". Not a JSON parser: it looks for those keys with string values, in an input
// that starts with '['; an error object or an HTML page gives nothing. First 4 MiB only.
std::optional<absl::Time> NewestWpJsonPostDate(absl::string_view json);

// The newest <lastmod> of a sitemap's entries.
std::optional<absl::Time> NewestSitemapLastmod(const SitemapDoc& doc);

// --- Dates written in page text ---

struct DateScanLimits {
  int64_t max_input_bytes = 2 << 20;  // the rest of the text is ignored
  int max_dates = 5000;
};

// Calendar dates written in (Indonesian or English) page text, in order of appearance:
// "25/11/2026", "25-11-2026", "25.11.2026", "2026-11-25", "2026/11/25", "25 November 2026",
// "25 Nov 2026", "25 Nop. 2026", "Rabu, 25 November 2026", "November 25, 2026",
// "25-Nov-2026". Month names in Indonesian (Januari .. Desember, old spellings Pebruari and
// Nopember, abbreviations Jan Feb Peb Mar Apr Mei Jun Jul Agu Agt Ags Sep Okt Nov Nop Des)
// and English. Years 2000..2100 only; impossible dates (31/02/2026) are dropped; a numeric
// date is read day-first and month-first only when day-first is impossible (11/25/2026).
// Numbers that are part of something longer give nothing: phone numbers (021-1234-5678),
// case numbers (12/Pdt.G/2026/PN Jkt.Pst), letter numbers (W10-U1/123/HK.02/11/2026),
// versions (1.2.3), amounts (Rp 1.250.000).
// The text is a page's visible text; a non-breaking space (U+00A0) counts as a space.
std::vector<absl::CivilDay> FindDates(absl::string_view text, const DateScanLimits& limits = {});

// The newest date in `text` that is not after tomorrow (a date further ahead is a schedule or
// a typo, not the page's age). `today` is the site's local date, e.g.
// absl::ToCivilDay(clock.Now(), jakarta).
std::optional<absl::CivilDay> NewestDate(absl::string_view text, absl::CivilDay today,
                                         const DateScanLimits& limits = {});

// Whether `text` shows a date from `today` to a year after it: a hearing schedule that lists
// upcoming hearings. (Dates more than 366 days ahead are placeholders or typos.)
bool HasDateOnOrAfter(absl::string_view text, absl::CivilDay today,
                      const DateScanLimits& limits = {});

// --- Choosing the answer ---

enum class FreshnessSource {
  kWpJson,          // newest WordPress post (wp-json)
  kFeed,            // newest RSS/Atom item
  kSitemapLastmod,  // newest sitemap <lastmod>
  kLastModified,    // Last-Modified header of the home page
  kListingDate,     // newest date written on the news listing page
  kListingHash,     // when the listing page's content last changed, as the caller recorded
};

// "wp_json", "feed", "sitemap_lastmod", "last_modified", "listing_date", "listing_hash".
absl::string_view FreshnessSourceName(FreshnessSource source);

// Whatever the caller could find out this run; every field optional. Fields are tried in the
// order below (the most direct evidence of publishing first) and the first usable one wins.
struct FreshnessInputs {
  std::optional<absl::Time> wp_json;          // NewestWpJsonPostDate(...)
  std::optional<absl::Time> feed;             // NewestFeedDate(...)
  std::optional<absl::Time> sitemap_lastmod;  // NewestSitemapLastmod(...) over the urlsets
  // ParseHttpDate(Last-Modified) of the home (or listing) page. Skipped when within a minute
  // of `now`: dynamic pages stamp the time they were generated, which says nothing.
  std::optional<absl::Time> last_modified;
  std::optional<absl::CivilDay> listing_date;  // NewestDate(listing page text, today)
  // When the listing page's content hash last changed (the caller keeps the hash history).
  std::optional<absl::Time> listing_hash_changed;
};

struct FreshnessResult {
  bool known = false;  // false: no input was usable; the fields below are unset
  FreshnessSource source = FreshnessSource::kWpJson;
  absl::Time newest = absl::InfinitePast();
  int64_t age_days = 0;  // whole days from `newest` to `now`, never negative
};

// Picks the first usable input. An input is unusable when it is absent, before 1995, or more
// than a day after `now` (a clock or typo problem; the next source is tried instead).
// `listing_date` is taken as the start of that day in `tz` (the site's zone, Asia/Jakarta for
// most courts).
FreshnessResult PickFreshness(const FreshnessInputs& inputs, absl::Time now, absl::TimeZone tz);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_INVENTORY_FRESHNESS_H_
