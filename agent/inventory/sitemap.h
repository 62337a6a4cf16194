// Sitemaps of a court site: the `Sitemap:` lines of robots.txt, a tolerant bounded reader for
// sitemap XML (<urlset> and <sitemapindex>), and a comparison of what the sitemaps list now
// with what they listed on the previous run. Injected gambling pages (thousands of
// `/?id=slot-gacor-...` URLs added to a court site's sitemap so search engines index them) are
// one of the commonest defacements of Indonesian government sites; they show up here as new
// sitemap files, sudden growth, and URLs that carry gambling terms.
//
//   std::vector<std::string> sitemap_urls = SitemapUrlsFromRobots(robots_body);
//   SitemapSnapshotBuilder builder(policy);
//   for (...each fetched sitemap file...) builder.AddDocument(url, ParseSitemap(body));
//   SitemapSnapshot now = builder.Build();
//   SitemapFindings findings = CompareSitemaps(previous, now, policy);
//   store.Save(site, now.Serialize());  // Parse() reads it back on the next run
//
// Everything here is pure (bytes in, results out), thread-safe unless a class says otherwise,
// and bounded; fetching the files (and
// following an index to its children, which the caller does with the URLs ParseSitemap
// returns) is the caller's job. Gzip-compressed sitemaps (.xml.gz) are not decompressed here:
// the caller must inflate them first (or skip them); gzip bytes simply give no entries.
#ifndef PANTAU_AGENT_INVENTORY_SITEMAP_H_
#define PANTAU_AGENT_INVENTORY_SITEMAP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pantau::agent {

// The URLs of `Sitemap:` lines (field name case-insensitive; comments and blank lines
// ignored), in order, without duplicates, at most 50; only the first 512 KiB are read (the
// size Google reads). Values are not checked: they are whatever the site's robots.txt says.
std::vector<std::string> SitemapUrlsFromRobots(absl::string_view robots_txt);

enum class SitemapKind {
  kUnknown,       // neither a sitemap nor a sitemap index (an HTML error page, gzip bytes, ...)
  kUrlSet,        // <urlset>: entries are pages
  kSitemapIndex,  // <sitemapindex>: entries are further sitemap files
  kText,          // a plain-text sitemap: one URL per line
};

struct SitemapEntry {
  std::string loc;                    // entities decoded, CDATA unwrapped, trimmed
  std::optional<absl::Time> lastmod;  // when <lastmod> is present and a W3C date-time
};

struct SitemapDoc {
  SitemapKind kind = SitemapKind::kUnknown;
  std::vector<SitemapEntry> entries;  // <url> (urlset) or <sitemap> (index), in order
  bool truncated = false;             // a limit was reached; the entries read are kept
};

struct SitemapLimits {
  int64_t max_input_bytes = 50 << 20;  // the protocol's 50 MiB; the rest is ignored
  int max_entries = 50000;             // the protocol's 50,000 URLs per file
  int max_loc_bytes = 2048;            // longer <loc> values are dropped
};

// Reads a sitemap file. Never fails: anything that is not a sitemap gives kind kUnknown and
// no entries. Namespace prefixes (<sm:url>), CDATA, XML entities, whitespace, comments and a
// missing XML declaration are all accepted; only <loc>/<lastmod> that are direct children of
// an entry count (so <image:loc> inside a <url> is ignored).
SitemapDoc ParseSitemap(absl::string_view xml, const SitemapLimits& limits = {});

// Tells whether a URL's path and query look like gambling spam. It receives them
// percent-decoded, lower-cased, with every run of punctuation (/ ? = & - _ . + and the like)
// turned into a single space: "/?id=Togel-Macau" arrives as "id togel macau".
using UrlTextPredicate = std::function<bool(absl::string_view)>;

// A small fixed RE2 list (slot, gacor, maxwin, togel, sbobet, ...) for tests and as a
// fallback; production plugs in the page-analysis gambling detector, whose vocabulary lives
// in a data file. Thread-safe.
UrlTextPredicate DefaultGamblingUrlPredicate();

// The text a UrlTextPredicate is given for `url` (see above). Exposed for tests and callers
// that want to show why a URL was flagged.
std::string UrlTextForMatching(absl::string_view url);

struct SitemapPolicy {
  // Flags page URLs as gambling spam; empty means none is flagged.
  UrlTextPredicate looks_gambling = DefaultGamblingUrlPredicate();
  // Growth is "sudden" when the page-URL count (or the estimated number of URLs not listed
  // before) grew by more than `growth_percent` percent of the previous count AND by more than
  // `growth_min_urls` URLs. Defaults: 50 %, 200 URLs.
  double growth_percent = 50;
  int64_t growth_min_urls = 200;
  // Sample of URL hashes kept per snapshot to estimate how many URLs are new. Default 4096
  // (about 70 KiB serialised).
  int max_sample_hashes = 4096;
  // Most gambling URLs kept in a snapshot and reported in findings. Default 50.
  int max_flagged_urls = 50;
  // Most sitemap-file URLs kept in a snapshot. Default 1000.
  int max_sitemap_urls = 1000;
};

// What the sitemaps of one site listed on one run, small enough to store per site and run.
// Thread-compatible value type.
struct SitemapSnapshot {
  // Set by SitemapSnapshotBuilder (and kept by Serialize/Parse). A default-constructed
  // snapshot stands for "no previous run", so a site whose sitemap appears later (it had none
  // on a recorded run) is still reported.
  bool recorded = false;
  std::set<std::string> sitemap_urls;  // sitemap files: from robots.txt and from indexes
  int64_t url_count = 0;               // page entries listed over all <urlset> files
  // The smallest `max_sample_hashes` 64-bit FNV-1a hashes of the page URLs (a bottom-k
  // sample: two runs sample the same URLs, so the overlap estimates how many are new).
  // Holds every URL's hash when fewer URLs than that were listed.
  std::set<uint64_t> url_hashes;
  bool url_hashes_complete = true;         // false once the sample dropped a hash
  std::vector<std::string> gambling_urls;  // first flagged page URLs, at most max_flagged_urls
  int64_t gambling_url_count = 0;          // all flagged page URLs

  // A line-based text form ("pantau-sitemap-snapshot 1" header) for the agent's SQLite store.
  std::string Serialize() const;
  // Reads Serialize()'s output; InvalidArgument naming the line when it is not that.
  static absl::StatusOr<SitemapSnapshot> Parse(absl::string_view text);
};

// Builds the snapshot of one run from the fetched sitemap files. Not thread-safe.
class SitemapSnapshotBuilder {
 public:
  explicit SitemapSnapshotBuilder(SitemapPolicy policy = {});

  // A sitemap file the site points to (from robots.txt, or a conventional /sitemap.xml that
  // answered), whether or not it was fetched.
  void AddSitemapUrl(absl::string_view url);
  // A fetched and parsed sitemap file: records its URL; an index's children as sitemap URLs; a
  // urlset's (or text sitemap's) pages in the count, the hash sample and the gambling list.
  void AddDocument(absl::string_view sitemap_url, const SitemapDoc& doc);

  SitemapSnapshot Build() const { return snapshot_; }

 private:
  SitemapPolicy policy_;
  SitemapSnapshot snapshot_;
};

struct SitemapFindings {
  // `previous` was not recorded (no previous run): nothing to compare; only gambling URLs are
  // reported.
  bool first_run = false;
  std::vector<std::string> new_sitemap_urls;  // listed now, not on the previous run
  int64_t previous_url_count = 0;
  int64_t url_count = 0;
  int64_t estimated_new_urls = 0;          // from the hash samples; exact when both are complete
  bool sudden_growth = false;              // see SitemapPolicy::growth_percent
  std::vector<std::string> gambling_urls;  // flagged now (at most max_flagged_urls)
  std::vector<std::string> new_gambling_urls;  // of those, not flagged on the previous run
  int64_t gambling_url_count = 0;

  // True when anything here deserves an alert.
  bool any() const { return !new_sitemap_urls.empty() || sudden_growth || gambling_url_count > 0; }
};

// Compares two runs of one site. `now` and `previous` should come from builders with the same
// policy (the same sample size).
SitemapFindings CompareSitemaps(const SitemapSnapshot& previous, const SitemapSnapshot& now,
                                const SitemapPolicy& policy);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_INVENTORY_SITEMAP_H_
