#include "agent/logwatch/visitor_stats.h"

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::agent::logwatch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kBase = 1699999980;  // a minute boundary (2023-11-14 22:13 UTC)
constexpr const char* kChrome =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36";

absl::Time At(int64_t offset_s) { return absl::FromUnixSeconds(kBase + offset_s); }

// Owns the strings an AccessRecord views.
struct Req {
  std::string client = "203.0.113.1";
  std::string target = "/";
  std::string ua = kChrome;
  int status = 200;
  int64_t bytes = 100;

  AccessRecord Record() const {
    AccessRecord r;
    r.client = client;
    r.method = "GET";
    r.target = target;
    r.status = status;
    r.bytes = bytes;
    r.user_agent = ua;
    return r;
  }
};

void AddReq(VisitorStatsAggregator* stats, const Req& req, int64_t offset_s, bool attack = false) {
  stats->Add(req.Record(), At(offset_s), attack);
}

Req Make(std::string client, std::string target, int status = 200, int64_t bytes = 100,
         std::string ua = kChrome) {
  Req r;
  r.client = std::move(client);
  r.target = std::move(target);
  r.status = status;
  r.bytes = bytes;
  r.ua = std::move(ua);
  return r;
}

std::vector<std::pair<std::string, int64_t>> Keys(
    const google::protobuf::RepeatedPtrField<v1::KeyCount>& list) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& kc : list) out.emplace_back(kc.key(), kc.count());
  return out;
}

using KV = std::pair<std::string, int64_t>;

TEST(BotUserAgent, CrawlersToolsAndScriptsAreBots) {
  EXPECT_TRUE(
      IsBotUserAgent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
  EXPECT_TRUE(
      IsBotUserAgent("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"));
  EXPECT_TRUE(IsBotUserAgent("curl/7.88.1"));
  EXPECT_TRUE(IsBotUserAgent("python-requests/2.31.0"));
  EXPECT_TRUE(IsBotUserAgent("Go-http-client/1.1"));
  EXPECT_TRUE(IsBotUserAgent("sqlmap/1.7.2#stable (https://sqlmap.org)"));
  EXPECT_TRUE(IsBotUserAgent("Wget/1.21.3"));
  EXPECT_TRUE(IsBotUserAgent(""));
  EXPECT_TRUE(IsBotUserAgent("-"));
}

TEST(BotUserAgent, BrowsersArePeople) {
  EXPECT_FALSE(IsBotUserAgent(kChrome));
  EXPECT_FALSE(
      IsBotUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"));
  EXPECT_FALSE(IsBotUserAgent(
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
      "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"));
  EXPECT_FALSE(IsBotUserAgent(
      "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/119.0.6045.163 Mobile Safari/537.36"));
}

TEST(PageRequest, PagesAreNotAssets) {
  EXPECT_TRUE(IsPageRequest("/"));
  EXPECT_TRUE(IsPageRequest("/berita?id=12&order=desc"));
  EXPECT_TRUE(IsPageRequest("/index.php?page=jadwal.css"));  // extension of the query ignored
  EXPECT_TRUE(IsPageRequest("/perkara/detail.html"));
  EXPECT_TRUE(IsPageRequest("/v1.2/info"));  // a dot in a directory, not in the last segment
  EXPECT_FALSE(IsPageRequest("/assets/app.css?v=3"));
  EXPECT_FALSE(IsPageRequest("/js/jquery.min.js"));
  EXPECT_FALSE(IsPageRequest("/img/logo.PNG"));
  EXPECT_FALSE(IsPageRequest("/favicon.ico"));
  EXPECT_FALSE(IsPageRequest("/fonts/roboto.woff2"));
  EXPECT_FALSE(IsPageRequest("/putusan/123.pdf"));
}

TEST(VisitorStats, CountsPerMinuteOverSeveralMinutes) {
  VisitorStatsAggregator stats("pn-test", {});
  // Minute 0: two people, one bot, a 404, an asset, a 5xx.
  AddReq(&stats, Make("203.0.113.1", "/berita?id=1"), 1);
  AddReq(&stats, Make("203.0.113.1", "/css/site.css", 200, 5000), 2);
  AddReq(&stats, Make("203.0.113.2", "/jadwal", 200, 700), 30);
  AddReq(&stats, Make("203.0.113.3", "/wp-login.php", 404, 10, "curl/8.0"), 40, true);
  AddReq(&stats, Make("203.0.113.2", "/cari", 502, 0), 59);
  // Minute 1: a redirect and a request with no status.
  AddReq(&stats, Make("203.0.113.4", "/old", 301, 0), 61);
  AddReq(&stats, Make("203.0.113.4", "/", 0, 0), 62);
  // Minute 3.
  AddReq(&stats, Make("203.0.113.5", "/", 200, 1), 185);
  stats.AddMalformed(At(186));

  std::vector<v1::VisitorStats> out;
  stats.Flush(/*include_open=*/true, &out);
  ASSERT_EQ(out.size(), 3u);

  const v1::VisitorStats& m0 = out[0];
  EXPECT_EQ(m0.site(), "pn-test");
  EXPECT_EQ(m0.minute_unix_s(), kBase);
  EXPECT_EQ(m0.requests(), 5);
  EXPECT_EQ(m0.unique_visitors(), 3);
  EXPECT_EQ(m0.page_views(), 2);  // /berita and /jadwal; not the asset, the 404 or the 502
  EXPECT_EQ(m0.bot_requests(), 1);
  EXPECT_EQ(m0.status_2xx(), 3);
  EXPECT_EQ(m0.status_4xx(), 1);
  EXPECT_EQ(m0.status_5xx(), 1);
  EXPECT_EQ(m0.bytes(), 100 + 5000 + 700 + 10);
  EXPECT_EQ(m0.attack_requests(), 1);
  EXPECT_THAT(Keys(m0.top_pages()), ElementsAre(KV{"/berita", 1}, KV{"/jadwal", 1}));
  EXPECT_THAT(Keys(m0.top_clients()),
              ElementsAre(KV{"203.0.113.1", 2}, KV{"203.0.113.2", 2}, KV{"203.0.113.3", 1}));
  EXPECT_THAT(m0.countries(), IsEmpty());

  const v1::VisitorStats& m1 = out[1];
  EXPECT_EQ(m1.minute_unix_s(), kBase + 60);
  EXPECT_EQ(m1.requests(), 2);
  EXPECT_EQ(m1.unique_visitors(), 1);
  EXPECT_EQ(m1.status_3xx(), 1);
  EXPECT_EQ(m1.status_other(), 1);
  EXPECT_EQ(m1.page_views(), 0);

  const v1::VisitorStats& m3 = out[2];
  EXPECT_EQ(m3.minute_unix_s(), kBase + 180);
  EXPECT_EQ(m3.requests(), 1);
  EXPECT_EQ(m3.malformed_lines(), 1);

  const VisitorTotals& t = stats.totals();
  EXPECT_EQ(t.requests, 8);
  EXPECT_EQ(t.page_views, 3);
  EXPECT_EQ(t.bot_requests, 1);
  EXPECT_EQ(t.malformed, 1);
  EXPECT_EQ(t.attacks, 1);
  EXPECT_EQ(t.unique_clients, 5);
  EXPECT_EQ(t.status_class[2], 4);
  EXPECT_EQ(t.status_class[3], 1);
  EXPECT_EQ(t.status_class[0], 1);
  EXPECT_EQ(t.first, At(1));
  EXPECT_EQ(t.last, At(185));

  // Nothing new: nothing emitted.
  out.clear();
  stats.Flush(true, &out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(VisitorStats, EmptyAggregatorHasInfiniteTimesAndNoDeltas) {
  VisitorStatsAggregator stats("pn-test", {});
  std::vector<v1::VisitorStats> out;
  stats.Flush(true, &out);
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ(stats.totals().requests, 0);
  EXPECT_EQ(stats.totals().first, absl::InfinitePast());
  EXPECT_EQ(stats.totals().last, absl::InfiniteFuture());
}

TEST(VisitorStats, TopPagesAndClientsAreOrderedAndBounded) {
  VisitorStatsOptions options;
  options.top_n = 3;
  VisitorStatsAggregator stats("pn-test", options);
  // Page i requested (6 - i) times by client i.
  for (int i = 1; i <= 5; ++i) {
    for (int k = 0; k < 6 - i; ++k) {
      AddReq(&stats, Make(absl::StrCat("198.51.100.", i), absl::StrCat("/p", i, "?q=", k)), 5);
    }
  }
  AddReq(&stats, Make("198.51.100.9", "/missing", 404), 6);  // not a page view
  AddReq(&stats, Make("198.51.100.9", "/a.js"), 6);          // an asset
  std::vector<v1::VisitorStats> out;
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(Keys(out[0].top_pages()), ElementsAre(KV{"/p1", 5}, KV{"/p2", 4}, KV{"/p3", 3}));
  EXPECT_THAT(Keys(out[0].top_clients()),
              ElementsAre(KV{"198.51.100.1", 5}, KV{"198.51.100.2", 4}, KV{"198.51.100.3", 3}));
  EXPECT_EQ(out[0].unique_visitors(), 6);

  // A second delta of the same minute ranks by what was added since the last flush.
  AddReq(&stats, Make("198.51.100.5", "/p5"), 7);
  AddReq(&stats, Make("198.51.100.5", "/p5"), 7);
  AddReq(&stats, Make("198.51.100.4", "/p4"), 8);
  out.clear();
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].requests(), 3);
  EXPECT_EQ(out[0].unique_visitors(), 6);  // running distinct count of the minute
  EXPECT_THAT(Keys(out[0].top_pages()), ElementsAre(KV{"/p5", 2}, KV{"/p4", 1}));
  EXPECT_THAT(Keys(out[0].top_clients()),
              ElementsAre(KV{"198.51.100.5", 2}, KV{"198.51.100.4", 1}));
}

TEST(VisitorStats, MinuteClosesOnlyAfterLateness) {
  VisitorStatsOptions options;
  options.lateness = absl::Seconds(60);
  VisitorStatsAggregator stats("pn-test", options);
  AddReq(&stats, Make("203.0.113.1", "/"), 10);
  AddReq(&stats, Make("203.0.113.1", "/"), 119);  // minute 1; minute 0 closes at 120
  std::vector<v1::VisitorStats> out;
  stats.Flush(/*include_open=*/false, &out);
  EXPECT_THAT(out, IsEmpty());

  AddReq(&stats, Make("203.0.113.2", "/"), 50);   // within lateness: still minute 0's bucket
  AddReq(&stats, Make("203.0.113.1", "/"), 120);  // closes minute 0
  stats.Flush(false, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].minute_unix_s(), kBase);
  EXPECT_EQ(out[0].requests(), 2);
  EXPECT_EQ(out[0].unique_visitors(), 2);
  EXPECT_EQ(stats.minutes_held(), 2u);  // minutes 1 and 2

  // A record for the forgotten minute 0 is not lost: it forms another delta.
  out.clear();
  AddReq(&stats, Make("203.0.113.3", "/"), 20);
  stats.Flush(false, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].minute_unix_s(), kBase);
  EXPECT_EQ(out[0].requests(), 1);
  EXPECT_EQ(out[0].unique_visitors(), 1);

  // include_open emits the open minutes too, and they stay open.
  out.clear();
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].minute_unix_s(), kBase + 60);
  EXPECT_EQ(out[0].requests(), 1);
  EXPECT_EQ(out[1].minute_unix_s(), kBase + 120);
  EXPECT_EQ(out[1].requests(), 1);
  EXPECT_EQ(stats.minutes_held(), 2u);
  EXPECT_EQ(stats.totals().requests, 5);
}

TEST(VisitorStats, MaxKeysPerMinuteBoundsKeysAndEstimatesVisitors) {
  VisitorStatsOptions options;
  options.max_keys_per_minute = 100;
  options.top_n = 5;
  VisitorStatsAggregator stats("pn-test", options);
  for (int i = 0; i < 2000; ++i) {
    const std::string client = absl::StrCat("10.", i / 250, ".", i % 250, ".1");
    AddReq(&stats, Make(client, absl::StrCat("/random/", i)), 3);
    AddReq(&stats, Make(client, absl::StrCat("/random/", i)), 4);
  }
  std::vector<v1::VisitorStats> out;
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].requests(), 4000);
  EXPECT_EQ(out[0].page_views(), 4000);
  EXPECT_EQ(out[0].top_pages_size(), 5);
  EXPECT_EQ(out[0].top_clients_size(), 5);
  // 100 exact + an estimate of the other 1900.
  EXPECT_NEAR(out[0].unique_visitors(), 2000, 100);
  EXPECT_EQ(stats.totals().unique_clients, 2000);
}

TEST(VisitorStats, MemoryStaysFlatOverHoursOfRecords) {
  VisitorStatsAggregator flushed("pn-test", {});
  VisitorStatsAggregator unflushed("pn-test", {});
  std::vector<v1::VisitorStats> out;
  size_t max_held = 0;
  int64_t emitted_requests = 0;
  for (int64_t s = 0; s < 6 * 3600; s += 2) {
    const Req req = Make(absl::StrCat("192.0.2.", s % 200), absl::StrCat("/page/", s % 50));
    AddReq(&flushed, req, s);
    AddReq(&unflushed, req, s);
    max_held = std::max({max_held, flushed.minutes_held(), unflushed.minutes_held()});
    if (s % 600 == 0) {
      flushed.Flush(false, &out);
      for (const auto& d : out) emitted_requests += d.requests();
      out.clear();
    }
  }
  EXPECT_LE(max_held, 3u);
  flushed.Flush(true, &out);
  for (const auto& d : out) emitted_requests += d.requests();
  EXPECT_EQ(emitted_requests, 3 * 3600);
  out.clear();
  unflushed.Flush(true, &out);
  EXPECT_EQ(out.size(), 360u);  // one delta per minute, none lost
}

TEST(VisitorStats, FarOutOfOrderRecordsAreKeptWithBoundedMemory) {
  VisitorStatsAggregator stats("pn-test", {});
  size_t max_held = 0;
  int64_t added = 0;
  for (int64_t s = 3600; s < 4 * 3600; ++s) {
    // Every 10th record is half an hour old (e.g. a second, lagging source in one log).
    const int64_t t = s % 10 == 0 ? s - 1800 : s;
    AddReq(&stats, Make("192.0.2.1", "/"), t);
    ++added;
    max_held = std::max(max_held, stats.minutes_held());
  }
  EXPECT_LE(max_held, 6u);
  std::vector<v1::VisitorStats> out;
  stats.Flush(true, &out);
  int64_t emitted = 0;
  for (const auto& d : out) emitted += d.requests();
  EXPECT_EQ(emitted, added);
}

TEST(VisitorStats, MalformedLinesAreCountedInTheirMinute) {
  VisitorStatsAggregator stats("pn-test", {});
  stats.AddMalformed(At(5));
  stats.AddMalformed(At(6));
  AddReq(&stats, Make("203.0.113.1", "/"), 7);
  std::vector<v1::VisitorStats> out;
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].malformed_lines(), 2);
  EXPECT_EQ(out[0].requests(), 1);
  EXPECT_EQ(stats.totals().malformed, 2);
}

// Property: whatever the order of records and the flush points, the deltas add up exactly to
// the per-minute counts and to the totals.
TEST(VisitorStats, DeltasAcrossRandomFlushesAddUpToTotals) {
  const std::vector<std::string> uas = {kChrome, "curl/8.0", "", "Googlebot/2.1",
                                        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Firefox/120.0"};
  const std::vector<int> statuses = {200, 200, 200, 304, 301, 404, 500, 0, 503};
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937 rng(seed);
    VisitorStatsOptions options;
    options.top_n = 1000;  // every key appears, so key deltas can be summed as well
    options.lateness = absl::Seconds(std::uniform_int_distribution<int>(0, 90)(rng));
    VisitorStatsAggregator stats("pn-test", options);

    struct Expect {
      int64_t requests = 0, page_views = 0, bots = 0, bytes = 0, attacks = 0, malformed = 0;
      int64_t status[6] = {};
    };
    std::map<int64_t, Expect> expect;
    std::map<std::pair<int64_t, std::string>, int64_t> expect_pages, expect_clients;
    std::map<int64_t, std::set<std::string>> expect_visitors;

    Expect got_total;
    std::map<int64_t, Expect> got;
    std::map<std::pair<int64_t, std::string>, int64_t> got_pages, got_clients;
    auto take = [&](std::vector<v1::VisitorStats>& out) {
      for (const auto& d : out) {
        Expect& g = got[d.minute_unix_s()];
        g.requests += d.requests();
        g.page_views += d.page_views();
        g.bots += d.bot_requests();
        g.bytes += d.bytes();
        g.attacks += d.attack_requests();
        g.malformed += d.malformed_lines();
        g.status[0] += d.status_other();
        g.status[2] += d.status_2xx();
        g.status[3] += d.status_3xx();
        g.status[4] += d.status_4xx();
        g.status[5] += d.status_5xx();
        EXPECT_LE(d.unique_visitors(),
                  static_cast<int64_t>(expect_visitors[d.minute_unix_s()].size()));
        for (const auto& kc : d.top_pages()) got_pages[{d.minute_unix_s(), kc.key()}] += kc.count();
        for (const auto& kc : d.top_clients()) {
          got_clients[{d.minute_unix_s(), kc.key()}] += kc.count();
        }
      }
      out.clear();
    };

    std::vector<v1::VisitorStats> out;
    int64_t clock = 0;
    const int n = 3000;
    for (int i = 0; i < n; ++i) {
      clock += std::uniform_int_distribution<int>(0, 3)(rng);
      int64_t t = clock - std::uniform_int_distribution<int>(0, 40)(rng);
      if (std::uniform_int_distribution<int>(0, 99)(rng) < 3) {
        t = clock - std::uniform_int_distribution<int>(0, 900)(rng);  // far out of order
      }
      const int64_t minute = kBase + (t >= 0 ? t / 60 * 60 : (t - 59) / 60 * 60);
      if (std::uniform_int_distribution<int>(0, 49)(rng) == 0) {
        stats.AddMalformed(At(t));
        ++expect[minute].malformed;
      } else {
        Req req;
        req.client = absl::StrCat("198.51.100.", std::uniform_int_distribution<int>(1, 40)(rng));
        const int page = std::uniform_int_distribution<int>(0, 14)(rng);
        req.target = page < 10 ? absl::StrCat("/halaman/", page, "?x=", i)
                               : absl::StrCat("/static/f", page, ".css");
        req.ua = uas[std::uniform_int_distribution<size_t>(0, uas.size() - 1)(rng)];
        req.status = statuses[std::uniform_int_distribution<size_t>(0, statuses.size() - 1)(rng)];
        req.bytes = std::uniform_int_distribution<int>(0, 10000)(rng);
        const bool attack = std::uniform_int_distribution<int>(0, 9)(rng) == 0;
        stats.Add(req.Record(), At(t), attack);

        Expect& e = expect[minute];
        ++e.requests;
        const bool success = (req.status >= 200 && req.status < 300) || req.status == 304;
        const bool page_view = success && page < 10;
        e.page_views += page_view;
        e.bots += IsBotUserAgent(req.ua);
        e.bytes += req.bytes;
        e.attacks += attack;
        const int cls = req.status / 100;
        ++e.status[cls >= 2 && cls <= 5 ? cls : 0];
        if (page_view) ++expect_pages[{minute, absl::StrCat("/halaman/", page)}];
        ++expect_clients[{minute, req.client}];
        expect_visitors[minute].insert(req.client);
      }
      if (std::uniform_int_distribution<int>(0, 199)(rng) == 0) {
        stats.Flush(/*include_open=*/std::uniform_int_distribution<int>(0, 1)(rng) == 1, &out);
        take(out);
      }
      ASSERT_LE(stats.minutes_held(), 25u);  // open minutes + late buckets (≤ 16)
    }
    stats.Flush(true, &out);
    take(out);

    ASSERT_EQ(got.size(), expect.size());
    for (const auto& [minute, e] : expect) {
      SCOPED_TRACE(absl::StrCat("minute ", minute));
      const Expect& g = got[minute];
      EXPECT_EQ(g.requests, e.requests);
      EXPECT_EQ(g.page_views, e.page_views);
      EXPECT_EQ(g.bots, e.bots);
      EXPECT_EQ(g.bytes, e.bytes);
      EXPECT_EQ(g.attacks, e.attacks);
      EXPECT_EQ(g.malformed, e.malformed);
      for (int s : {0, 2, 3, 4, 5}) EXPECT_EQ(g.status[s], e.status[s]) << "class " << s;
      got_total.requests += g.requests;
      got_total.page_views += g.page_views;
      got_total.bytes += g.bytes;
      got_total.bots += g.bots;
      got_total.malformed += g.malformed;
    }
    EXPECT_EQ(got_pages, expect_pages);
    EXPECT_EQ(got_clients, expect_clients);
    const VisitorTotals& totals = stats.totals();
    EXPECT_EQ(got_total.requests, totals.requests);
    EXPECT_EQ(got_total.page_views, totals.page_views);
    EXPECT_EQ(got_total.bytes, totals.bytes);
    EXPECT_EQ(got_total.bots, totals.bot_requests);
    EXPECT_EQ(got_total.malformed, totals.malformed);
    EXPECT_EQ(totals.unique_clients, 40);
  }
}

// With records in order, the last delta of each minute carries its exact distinct clients.
TEST(VisitorStats, UniqueVisitorsIsTheRunningDistinctCountOfTheMinute) {
  VisitorStatsAggregator stats("pn-test", {});
  std::vector<v1::VisitorStats> out;
  AddReq(&stats, Make("203.0.113.1", "/"), 1);
  AddReq(&stats, Make("203.0.113.2", "/"), 2);
  stats.Flush(true, &out);
  AddReq(&stats, Make("203.0.113.1", "/"), 3);
  AddReq(&stats, Make("203.0.113.3", "/"), 4);
  AddReq(&stats, Make("", "/"), 5);  // no client logged: a request, not a visitor
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].unique_visitors(), 2);
  EXPECT_EQ(out[1].unique_visitors(), 3);
  EXPECT_EQ(out[1].requests(), 3);
}

}  // namespace
}  // namespace pantau::agent::logwatch
