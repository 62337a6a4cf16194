// Visitor statistics per site per minute from access-log records: requests, distinct
// clients, page views (successful page requests, not assets), bots vs people (by User-Agent),
// status classes, bytes, top pages, top clients, countries (with a GeoIP database). This is
// the SOP's "visitor activity log".
//
// Minutes are emitted as deltas (v1::VisitorStats): a minute closes once a record at least
// `lateness` past its end has been seen; a checkpoint can also flush the minutes still open
// (their later records form another delta for the same minute, which the collector adds).
//
//   VisitorStatsAggregator stats("pn-jakpus", {});
//   stats.Add(record, time, /*attack=*/false);
//   stats.Flush(/*include_open=*/false, &deltas);
#ifndef PANTAU_AGENT_LOGWATCH_VISITOR_STATS_H_
#define PANTAU_AGENT_LOGWATCH_VISITOR_STATS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/logwatch/log_record.h"
#include "agent/logwatch/request_kind.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::logwatch {

class GeoIp;

// Crawlers, monitoring, tools and scripts (Googlebot, bingbot, curl, python-requests,
// Go-http-client, sqlmap, an empty or "-" User-Agent, ...). Case-insensitive.
bool IsBotUserAgent(absl::string_view user_agent);

struct VisitorStatsOptions {
  int top_n = 10;
  int top_countries = 20;
  // Most distinct pages / clients remembered per minute; beyond it new keys are counted only
  // in the totals (memory stays flat under a flood of random URLs).
  size_t max_keys_per_minute = 20000;
  absl::Duration lateness = absl::Minutes(1);
  const GeoIp* geoip = nullptr;  // optional; must outlive the aggregator
};

// Whole-input totals (scan-log's summary).
struct VisitorTotals {
  int64_t requests = 0, page_views = 0, bot_requests = 0, bytes = 0, malformed = 0, attacks = 0;
  int64_t status_class[6] = {0, 0, 0, 0, 0, 0};  // [0]=other, [2]=2xx ... [5]=5xx
  int64_t unique_clients = 0;                    // distinct over the whole input (capped)
  absl::Time first, last;                        // InfinitePast/Future when no record
};

// Semantics:
// - page_views and top_pages: requests with status 2xx or 304 whose path (before '?') is not
//   an asset (IsPageRequest); top_pages are keyed by that path, undecoded.
// - top_clients: all requests per client; countries: requests per country of the client.
// - unique_visitors: distinct non-empty clients of the minute so far; exact up to
//   max_keys_per_minute, beyond it the extra clients are estimated by linear counting on a
//   64 Ki-bit bitmap (a few % error up to ~100k extra clients per minute).
// - A record older than an already closed (and forgotten) minute is not lost: it goes into
//   a "late" bucket for its minute, emitted as another delta at the next Flush or once the
//   input has moved 60 s + lateness past the bucket's creation (its unique_visitors then
//   counts only the clients of that bucket). So memory stays bounded even when records are
//   far out of order and Flush is rare.
// - Deltas of minutes closed by Add wait (as small protos, without the per-key maps) until the
//   next Flush: call Flush regularly (the agent does at each checkpoint).
// - Totals' `first`/`last` are InfinitePast/InfiniteFuture while requests == 0;
//   unique_clients is exact up to 200k clients, estimated beyond.
//
// Not thread-safe.
class VisitorStatsAggregator {
 public:
  VisitorStatsAggregator(std::string site, VisitorStatsOptions options);
  ~VisitorStatsAggregator();

  void Add(const AccessRecord& record, absl::Time time, bool attack);
  // A malformed line, counted in the minute of `time` (the reader's clock).
  void AddMalformed(absl::Time time);
  // Appends deltas of closed minutes (and, with include_open, of open ones) that have
  // anything new since the last flush. Closed minutes are then forgotten.
  void Flush(bool include_open, std::vector<v1::VisitorStats>* out);
  const VisitorTotals& totals() const;
  // Minutes whose state is held (open ones plus late buckets); stays at 2-3 with records in
  // time order. For tests and memory checks.
  size_t minutes_held() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_VISITOR_STATS_H_
