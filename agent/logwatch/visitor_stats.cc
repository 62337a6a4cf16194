#include "agent/logwatch/visitor_stats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "agent/logwatch/geoip.h"

namespace pantau::agent::logwatch {
namespace {

// ---------------------------------------------------------------------------------------------
// Classification.

// Lower-case substrings that mark a User-Agent as a crawler, monitor, tool or script.
// clang-format off
constexpr const char* kBotTokens[] = {
    "bot", "crawl", "spider", "slurp", "curl/", "wget/", "python", "go-http", "java/", "libwww",
    "httpclient", "okhttp", "scrapy", "sqlmap", "nikto", "nmap", "masscan", "zgrab", "nuclei",
    "wpscan", "headlesschrome", "phantomjs", "facebookexternalhit", "uptime", "pingdom", "monitor",
    "feedfetcher", "axios/", "node-fetch", "php/", "perl", "ruby", "httpie", "powershell",
    "dirbuster", "gobuster", "ffuf", "feroxbuster", "censys", "netcraft", "ahrefs", "semrush",
    "mj12", "yandex", "baiduspider", "petalbot", "archive.org", "lighthouse", "check_http",
    "zabbix", "nagios", "prometheus", "apache-httpclient", "winhttp", "libcurl", "aiohttp",
    "urllib", "fasthttp", "reqwest",
};
// clang-format on


constexpr size_t kMaxUaCacheKey = 512;       // longer User-Agents are classified, not cached
constexpr size_t kMaxUaCacheEntries = 4096;  // the cache is cleared beyond this
constexpr size_t kMaxExactTotalClients = 200000;
constexpr int kMinuteSketchWords = 1024;   // 65536 bits = 8 KiB, allocated on overflow
constexpr int kTotalsSketchWords = 16384;  // 1 Mi bits = 128 KiB, allocated on overflow

// ---------------------------------------------------------------------------------------------
// Distinct counting beyond the exact limit: linear counting (Whang et al.) on a bitmap of
// hashed keys. Keys that are already in the exact map never reach the sketch, so the sketch
// estimates only the distinct keys that did not fit, and the two add up.

class OverflowSketch {
 public:
  explicit OverflowSketch(int words) : words_(words) {}
  void Add(absl::string_view key) {
    if (bits_.empty()) bits_.assign(static_cast<size_t>(words_), 0);
    const uint64_t h = absl::HashOf(key) * 0x9E3779B97F4A7C15ull;
    const uint64_t bit = (h >> 20) % (static_cast<uint64_t>(words_) * 64);
    bits_[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  int64_t Estimate() const {
    if (bits_.empty()) return 0;
    const double m = static_cast<double>(words_) * 64;
    int64_t set = 0;
    for (uint64_t w : bits_) set += __builtin_popcountll(w);
    const double zeros = m - static_cast<double>(set);
    if (zeros <= 0) return static_cast<int64_t>(m * std::log(m));  // saturated
    return static_cast<int64_t>(std::llround(-m * std::log(zeros / m)));
  }

 private:
  int words_;
  std::vector<uint64_t> bits_;
};

// ---------------------------------------------------------------------------------------------
// One minute.

struct Counters {
  int64_t requests = 0, page_views = 0, bot_requests = 0, bytes = 0, malformed = 0, attacks = 0;
  int64_t status[6] = {0, 0, 0, 0, 0, 0};
};

struct Counted {
  int64_t count = 0;
  int64_t flushed = 0;  // count at the last flush
};

struct ClientEntry {
  int64_t count = 0;
  int64_t flushed = 0;
  uint16_t country = 0;  // two ASCII characters packed; 0 = unknown
};

struct Minute {
  Minute(int64_t start, int64_t close_at)
      : start_s(start), close_at_s(close_at), overflow(kMinuteSketchWords) {}
  int64_t start_s;
  // Input time (max seen) at which the minute closes: start + 60 s + lateness, or for a
  // "late" bucket (created for a record older than an already closed minute) its creation
  // time + 60 s + lateness, so a burst of late records still lands in one delta while the
  // number of late buckets stays bounded. Late buckets are also emitted by any Flush.
  int64_t close_at_s;
  bool late = false;
  bool dirty = false;  // anything added since the last flush
  Counters now, sent;
  absl::flat_hash_map<std::string, Counted> pages;
  absl::flat_hash_map<std::string, ClientEntry> clients;
  absl::flat_hash_map<uint16_t, Counted> countries;
  OverflowSketch overflow;  // distinct clients that did not fit into `clients`

  int64_t UniqueVisitors() const {
    return static_cast<int64_t>(clients.size()) + overflow.Estimate();
  }
};

// A cheap hash for the User-Agent cache: the length and five 8-byte words spread over the
// string. UAs are long (100-300 bytes) and repeat heavily, so hashing every byte would cost
// more than the lookup; a collision only costs one extra comparison.
struct UaHash {
  using is_transparent = void;
  static uint64_t Load(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static uint64_t Mix(uint64_t h, uint64_t v) {
    h = (h ^ v) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }
  size_t operator()(absl::string_view s) const {
    const size_t n = s.size();
    uint64_t h = Mix(0x243F6A8885A308D3ull, n);
    const char* p = s.data();
    if (n >= 32) {
      h = Mix(h, Load(p));
      h = Mix(h, Load(p + n / 4));
      h = Mix(h, Load(p + n / 2));
      h = Mix(h, Load(p + n - 16));
      h = Mix(h, Load(p + n - 8));
    } else if (n >= 8) {  // every load stays within [p, p + n)
      h = Mix(h, Load(p));
      h = Mix(h, Load(p + (n - 8) / 2));
      h = Mix(h, Load(p + n - 8));
    } else {
      uint64_t v = 0;
      std::memcpy(&v, s.data(), n);
      h = Mix(h, v);
    }
    return static_cast<size_t>(Mix(h, h >> 32));
  }
};
struct UaEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const { return a == b; }
};

int StatusSlot(int status) {
  const int cls = status / 100;
  return (cls >= 2 && cls <= 5) ? cls : 0;
}

uint16_t PackCountry(const std::string& code) {
  if (code.size() != 2) return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(code[0]) << 8) |
                               static_cast<uint8_t>(code[1]));
}

std::string UnpackCountry(uint16_t packed) {
  return std::string{static_cast<char>(packed >> 8), static_cast<char>(packed & 0xff)};
}

// Appends to `out` the keys with a positive delta since the last flush, the largest first
// (ties by key, so the output is deterministic), at most `limit`; then marks all as flushed.
template <typename Map, typename KeyFn>
void TakeTopDeltas(Map* map, int limit, KeyFn key_fn,
                   google::protobuf::RepeatedPtrField<v1::KeyCount>* out) {
  using Entry = std::pair<int64_t, typename Map::key_type>;
  std::vector<Entry> deltas;
  for (auto& [key, value] : *map) {
    const int64_t delta = value.count - value.flushed;
    value.flushed = value.count;
    if (delta > 0) deltas.emplace_back(delta, key);
  }
  const auto better = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  const size_t n = std::min(deltas.size(), static_cast<size_t>(std::max(limit, 0)));
  std::partial_sort(deltas.begin(), deltas.begin() + static_cast<std::ptrdiff_t>(n), deltas.end(),
                    better);
  for (size_t i = 0; i < n; ++i) {
    v1::KeyCount* kc = out->Add();
    kc->set_key(key_fn(deltas[i].second));
    kc->set_count(deltas[i].first);
  }
}

}  // namespace

bool IsBotUserAgent(absl::string_view user_agent) {
  if (user_agent.empty() || user_agent == "-") return true;
  // Lower-case into a stack buffer; tokens are searched in the first 1 KiB only.
  char buf[1024];
  const size_t n = std::min(user_agent.size(), sizeof(buf));
  for (size_t i = 0; i < n; ++i) {
    const char c = user_agent[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const absl::string_view lower(buf, n);
  for (const char* token : kBotTokens) {
    if (absl::StrContains(lower, token)) return true;
  }
  return false;
}


struct VisitorStatsAggregator::State {
  State(std::string site_in, VisitorStatsOptions options_in)
      : site(std::move(site_in)),
        options(std::move(options_in)),
        lateness_s(std::max<int64_t>(0, absl::ToInt64Seconds(options.lateness))),
        totals_overflow(kTotalsSketchWords) {
    totals.first = absl::InfinitePast();
    totals.last = absl::InfiniteFuture();
  }

  std::string site;
  VisitorStatsOptions options;
  int64_t lateness_s;

  // Minutes still held, by start. Usually the current one and the previous (within lateness),
  // plus "late" buckets for records older than an already closed minute.
  std::map<int64_t, std::unique_ptr<Minute>> minutes;
  Minute* current = nullptr;  // cache of the last minute used by Add
  int64_t max_seen_s = std::numeric_limits<int64_t>::min();
  int64_t next_close_at_s = std::numeric_limits<int64_t>::max();
  std::vector<v1::VisitorStats> pending;  // deltas of minutes closed since the last Flush

  absl::flat_hash_map<std::string, bool, UaHash, UaEq> ua_cache;

  VisitorTotals totals;
  // 64-bit hashes of the clients seen (no allocation per client; collisions are negligible).
  absl::flat_hash_set<uint64_t> total_clients;
  // Sizes of the last closed minute, to reserve the next one's maps (no rehash growth).
  size_t expect_clients = 0, expect_pages = 0;
  OverflowSketch totals_overflow;
  int64_t min_s = 0, max_s = 0;

  bool IsClosed(int64_t start_s) const {
    return max_seen_s != std::numeric_limits<int64_t>::min() &&
           start_s + 60 + lateness_s <= max_seen_s;
  }

  bool IsBot(absl::string_view ua) {
    if (ua.size() > kMaxUaCacheKey) return IsBotUserAgent(ua);
    auto it = ua_cache.find(ua);
    if (it != ua_cache.end()) return it->second;
    const bool bot = IsBotUserAgent(ua);
    if (ua_cache.size() >= kMaxUaCacheEntries) ua_cache.clear();
    ua_cache.emplace(std::string(ua), bot);
    return bot;
  }

  Minute* MinuteFor(int64_t t_s) {
    // Floor division: also right for times before 1970.
    int64_t start = t_s / 60 * 60;
    if (start > t_s) start -= 60;
    if (current != nullptr && current->start_s == start) return current;
    auto it = minutes.find(start);
    if (it == minutes.end()) {
      const bool late = IsClosed(start);
      auto minute = std::make_unique<Minute>(start, (late ? max_seen_s : start) + 60 + lateness_s);
      minute->late = late;
      if (!late) {
        minute->clients.reserve(expect_clients);
        minute->pages.reserve(expect_pages);
      }
      next_close_at_s = std::min(next_close_at_s, minute->close_at_s);
      it = minutes.emplace(start, std::move(minute)).first;
    }
    current = it->second.get();
    return current;
  }

  void Observe(int64_t t_s) {
    if (t_s <= max_seen_s) return;
    max_seen_s = t_s;
    if (max_seen_s >= next_close_at_s) CloseMinutes(/*include_late=*/false, &pending);
  }

  // Emits deltas of closed minutes (and of all late buckets with include_late) and forgets
  // them.
  void CloseMinutes(bool include_late, std::vector<v1::VisitorStats>* out) {
    next_close_at_s = std::numeric_limits<int64_t>::max();
    for (auto it = minutes.begin(); it != minutes.end();) {
      Minute* m = it->second.get();
      if (m->close_at_s <= max_seen_s || (include_late && m->late)) {
        if (!m->late) {
          expect_clients = m->clients.size();
          expect_pages = m->pages.size();
        }
        if (m->dirty) out->push_back(MakeDelta(m));
        if (current == m) current = nullptr;
        it = minutes.erase(it);
        continue;
      }
      next_close_at_s = std::min(next_close_at_s, m->close_at_s);
      ++it;
    }
  }

  v1::VisitorStats MakeDelta(Minute* m) {
    v1::VisitorStats s;
    s.set_site(site);
    s.set_minute_unix_s(m->start_s);
    const Counters& a = m->now;
    const Counters& b = m->sent;
    s.set_requests(a.requests - b.requests);
    s.set_unique_visitors(m->UniqueVisitors());
    s.set_page_views(a.page_views - b.page_views);
    s.set_bot_requests(a.bot_requests - b.bot_requests);
    s.set_status_2xx(a.status[2] - b.status[2]);
    s.set_status_3xx(a.status[3] - b.status[3]);
    s.set_status_4xx(a.status[4] - b.status[4]);
    s.set_status_5xx(a.status[5] - b.status[5]);
    s.set_status_other(a.status[0] + a.status[1] - b.status[0] - b.status[1]);
    s.set_bytes(a.bytes - b.bytes);
    s.set_malformed_lines(a.malformed - b.malformed);
    s.set_attack_requests(a.attacks - b.attacks);
    const auto same = [](const std::string& k) -> const std::string& { return k; };
    TakeTopDeltas(&m->pages, options.top_n, same, s.mutable_top_pages());
    TakeTopDeltas(&m->clients, options.top_n, same, s.mutable_top_clients());
    TakeTopDeltas(&m->countries, options.top_countries, UnpackCountry, s.mutable_countries());
    m->sent = m->now;
    m->dirty = false;
    return s;
  }

  void CountTotalClient(absl::string_view client) {
    const uint64_t h = absl::HashOf(client);
    if (total_clients.size() < kMaxExactTotalClients) {
      total_clients.insert(h);
    } else if (!total_clients.contains(h)) {
      totals_overflow.Add(client);
    }
  }

  void Add(const AccessRecord& record, absl::Time time, bool attack) {
    const int64_t t_s = absl::ToUnixSeconds(time);
    const bool bot = IsBot(record.user_agent);
    const int slot = StatusSlot(record.status);
    const bool success = slot == 2 || record.status == 304;
    const bool page_view = success && IsPageRequest(record.target);
    const int64_t bytes = record.bytes > 0 ? record.bytes : 0;

    // Totals.
    if (totals.requests == 0 || t_s < min_s) {
      min_s = t_s;
      totals.first = time;
    }
    if (totals.requests == 0 || t_s > max_s) {
      max_s = t_s;
      totals.last = time;
    }
    ++totals.requests;
    totals.page_views += page_view;
    totals.bot_requests += bot;
    totals.bytes += bytes;
    totals.attacks += attack;
    ++totals.status_class[slot];

    Observe(t_s);
    Minute* m = MinuteFor(t_s);
    m->dirty = true;
    Counters& c = m->now;
    ++c.requests;
    c.page_views += page_view;
    c.bot_requests += bot;
    c.bytes += bytes;
    c.attacks += attack;
    ++c.status[slot];

    if (page_view) {
      const absl::string_view path = PathOf(record.target);
      auto it = m->pages.find(path);
      if (it != m->pages.end()) {
        ++it->second.count;
      } else if (m->pages.size() < options.max_keys_per_minute) {
        m->pages.emplace(std::string(path), Counted{1, 0});
      }
    }

    if (!record.client.empty()) {
      auto it = m->clients.find(record.client);
      ClientEntry* entry = nullptr;
      if (it != m->clients.end()) {
        entry = &it->second;
      } else if (m->clients.size() < options.max_keys_per_minute) {
        CountTotalClient(record.client);
        ClientEntry fresh;
        if (options.geoip != nullptr) {
          fresh.country = PackCountry(options.geoip->Country(record.client));
        }
        entry = &m->clients.emplace(std::string(record.client), fresh).first->second;
      } else {
        // Beyond the bound: the client is counted (approximately) in the unique visitors but
        // not in the top clients or countries.
        m->overflow.Add(record.client);
        CountTotalClient(record.client);
      }
      if (entry != nullptr) {
        ++entry->count;
        if (entry->country != 0) ++m->countries[entry->country].count;
      }
    }
  }

  void AddMalformed(absl::Time time) {
    ++totals.malformed;
    Minute* m = MinuteFor(absl::ToUnixSeconds(time));
    m->dirty = true;
    ++m->now.malformed;
  }

  void Flush(bool include_open, std::vector<v1::VisitorStats>* out) {
    const size_t first = out->size();
    for (auto& s : pending) out->push_back(std::move(s));
    pending.clear();
    CloseMinutes(/*include_late=*/true, out);
    if (include_open) {
      for (auto& [start, m] : minutes) {
        if (m->dirty) out->push_back(MakeDelta(m.get()));
      }
    }
    std::stable_sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
                     [](const v1::VisitorStats& a, const v1::VisitorStats& b) {
                       return a.minute_unix_s() < b.minute_unix_s();
                     });
    totals.unique_clients = static_cast<int64_t>(total_clients.size()) + totals_overflow.Estimate();
  }
};

VisitorStatsAggregator::VisitorStatsAggregator(std::string site, VisitorStatsOptions options)
    : state_(std::make_unique<State>(std::move(site), std::move(options))) {}

VisitorStatsAggregator::~VisitorStatsAggregator() = default;

void VisitorStatsAggregator::Add(const AccessRecord& record, absl::Time time, bool attack) {
  state_->Add(record, time, attack);
}

void VisitorStatsAggregator::AddMalformed(absl::Time time) { state_->AddMalformed(time); }

void VisitorStatsAggregator::Flush(bool include_open, std::vector<v1::VisitorStats>* out) {
  state_->Flush(include_open, out);
}

const VisitorTotals& VisitorStatsAggregator::totals() const {
  state_->totals.unique_clients =
      static_cast<int64_t>(state_->total_clients.size()) + state_->totals_overflow.Estimate();
  return state_->totals;
}

size_t VisitorStatsAggregator::minutes_held() const { return state_->minutes.size(); }

}  // namespace pantau::agent::logwatch
