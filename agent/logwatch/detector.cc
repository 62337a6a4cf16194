#include "agent/logwatch/detector.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "agent/logwatch/uri_decode.h"
#include "common/utf8.h"

namespace pantau::agent::logwatch {
namespace {

// User-Agents, methods and Referers repeat heavily (a few hundred distinct values cover most
// traffic), so their RE2::Set results are cached per value.
constexpr size_t kFieldCacheMax = 4096;
constexpr size_t kFieldCacheMaxBytes = 512;
constexpr size_t kMaxAlertIdBytes = 128;
constexpr absl::string_view kSiteClient = "*";

// Times of the requests that counted toward one window rule, oldest first: a ring that grows
// to at most `threshold` entries, since the rule fires at that size. The first entries live
// inside the object (most clients send a request or two per window), so counting a request
// touches no memory beyond the client's own state.
class WindowRing {
 public:
  struct Entry {
    int64_t time_us;
    int64_t line_number;
  };

  WindowRing() = default;
  WindowRing(WindowRing&& other) noexcept { MoveFrom(other); }
  WindowRing& operator=(WindowRing&& other) noexcept {
    if (this != &other) MoveFrom(other);
    return *this;
  }
  WindowRing(const WindowRing&) = delete;
  WindowRing& operator=(const WindowRing&) = delete;

  size_t size() const { return size_; }
  const Entry& front() const { return data()[head_]; }
  // Capacity stays a power of two, so positions wrap with a mask.
  const Entry& at(size_t i) const { return data()[(head_ + i) & (capacity_ - 1)]; }

  void Push(Entry e) {
    if (size_ == capacity_) Grow();
    data()[(head_ + size_) & (capacity_ - 1)] = e;
    ++size_;
  }
  void PopFront() {
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  void Clear() {
    heap_.reset();
    capacity_ = kInline;
    head_ = 0;
    size_ = 0;
  }

 private:
  static constexpr uint32_t kInline = 2;

  Entry* data() { return heap_ != nullptr ? heap_.get() : inline_; }
  const Entry* data() const { return heap_ != nullptr ? heap_.get() : inline_; }

  void Grow() {
    auto bigger = std::make_unique<Entry[]>(static_cast<size_t>(capacity_) * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = at(i);
    heap_ = std::move(bigger);
    capacity_ *= 2;
    head_ = 0;
  }

  void MoveFrom(WindowRing& other) {
    heap_ = std::move(other.heap_);
    std::copy(other.inline_, other.inline_ + kInline, inline_);
    capacity_ = other.capacity_;
    head_ = other.head_;
    size_ = other.size_;
    other.Clear();
  }

  Entry inline_[kInline] = {};
  std::unique_ptr<Entry[]> heap_;
  uint32_t capacity_ = kInline;
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

struct WindowState {
  WindowRing ring;
  // The rule fired and its alert is open: matching requests go straight to the alert.
  bool firing = false;
};

struct ClientState {
  absl::Time last_seen;
  // By rule index; a client meets few window rules (rate, 404s, a login), kept inline.
  absl::InlinedVector<std::pair<int, WindowState>, 3> windows;
};

struct Alert {
  std::string alert_id;
  absl::Time first_seen;
  absl::Time last_seen;
  int64_t count = 0;
  std::vector<std::string> samples;
  std::vector<int64_t> line_numbers;
  bool emitted = false;
  absl::Time last_emit;
  int64_t emitted_count = 0;
};

using AlertKey = std::pair<int, std::string>;

std::string MakeAlertId(absl::string_view rule_id, absl::string_view client,
                        absl::Time first_seen) {
  std::string id = absl::StrCat(rule_id, ":", client == kSiteClient ? "site" : client, ":",
                                absl::ToUnixMillis(first_seen));
  for (char& c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) c = '_';
  }
  if (id.size() > kMaxAlertIdBytes) {
    // Keep the rule and the time (the unique parts); cut the middle of an absurd client.
    const std::string tail = id.substr(id.size() - 24);
    id.resize(kMaxAlertIdBytes - tail.size());
    id += tail;
  }
  return id;
}

}  // namespace

struct Detector::State {
  std::shared_ptr<const RuleSet> rules;
  std::string site;
  DetectorOptions options;
  absl::Duration max_window = absl::ZeroDuration();

  DecodedTarget decoded;
  std::vector<int> hits;

  // Window state per client. Most requests count toward some window rule (rate spikes), so
  // this is looked up once per request; least recently seen clients go first at the cap.
  absl::flat_hash_map<std::string, ClientState> clients;
  absl::flat_hash_map<int, WindowState> site_windows;

  absl::flat_hash_map<AlertKey, Alert> alerts;

  // A bounded cache of one field's RE2::Set results; cleared when full (values repeat so
  // heavily that refilling is cheap). Very long values are usually payloads: not cached.
  struct FieldCache {
    absl::flat_hash_map<std::string, std::vector<int>> map;
    std::vector<int> scratch;
  };
  FieldCache ua_cache, method_cache, referer_cache;

  const std::vector<int>* Cached(FieldCache* cache, Field field, absl::string_view text) {
    if (!rules->HasPatterns(field)) return &cache->scratch;  // stays empty
    if (text.size() > kFieldCacheMaxBytes) {
      cache->scratch.clear();
      rules->MatchField(field, text, &cache->scratch);
      return &cache->scratch;
    }
    auto it = cache->map.find(text);
    if (it != cache->map.end()) return &it->second;
    if (cache->map.size() >= kFieldCacheMax) cache->map.clear();
    std::vector<int> result;
    rules->MatchField(field, text, &result);
    return &cache->map.emplace(std::string(text), std::move(result)).first->second;
  }

  void AddLineNumber(Alert* a, int64_t line_number) {
    if (!options.record_line_numbers) return;
    auto& v = a->line_numbers;
    if (v.empty() || v.back() < line_number) {
      v.push_back(line_number);
    } else {
      v.insert(std::upper_bound(v.begin(), v.end(), line_number), line_number);
    }
  }

  Alert* FindOrOpenAlert(int rule, absl::string_view client, absl::Time first_seen) {
    AlertKey key(rule, std::string(client));
    auto it = alerts.find(key);
    if (it != alerts.end()) return &it->second;
    if (alerts.size() >= options.max_open_alerts && client != kSiteClient) {
      key.second = std::string(kSiteClient);
      it = alerts.find(key);
      if (it != alerts.end()) return &it->second;
    }
    Alert& a = alerts[key];
    a.alert_id = MakeAlertId(rules->rules()[rule].id, key.second, first_seen);
    a.first_seen = first_seen;
    a.last_seen = first_seen;
    return &a;
  }

  void Record(Alert* a, absl::string_view line, absl::Time time) {
    if (time < a->first_seen) a->first_seen = time;
    if (time > a->last_seen) a->last_seen = time;
    if (static_cast<int>(a->samples.size()) < options.max_samples) {
      a->samples.push_back(ClampUtf8(line, options.max_sample_bytes));
    }
  }

  void AddHit(int rule, absl::string_view client, absl::string_view line, int64_t line_number,
              absl::Time time) {
    Alert* a = FindOrOpenAlert(rule, client, time);
    ++a->count;
    Record(a, line, time);
    AddLineNumber(a, line_number);
  }

  // Forgets the least recently seen tenth of the clients (at least one): called at the cap,
  // so the scan is paid once per many new clients.
  void EvictLeastRecentClients() {
    if (clients.empty()) return;
    std::vector<absl::Time> seen;
    seen.reserve(clients.size());
    for (const auto& [client, c] : clients) seen.push_back(c.last_seen);
    const size_t drop = std::max<size_t>(1, clients.size() / 10);
    std::nth_element(seen.begin(), seen.begin() + (drop - 1), seen.end());
    const absl::Time cutoff = seen[drop - 1];
    size_t dropped = 0;
    for (auto it = clients.begin(); it != clients.end() && dropped < drop;) {
      if (it->second.last_seen <= cutoff) {
        clients.erase(it++);
        ++dropped;
      } else {
        ++it;
      }
    }
  }

  ClientState* FindClient(absl::string_view client, absl::Time time) {
    auto it = clients.find(client);
    if (it == clients.end()) {
      if (clients.size() >= options.max_tracked_clients) EvictLeastRecentClients();
      it = clients.emplace(std::string(client), ClientState()).first;
    }
    ClientState* c = &it->second;
    if (time > c->last_seen) c->last_seen = time;
    return c;
  }

  WindowState* ClientWindow(ClientState* c, int rule, absl::string_view client) {
    for (auto& [r, w] : c->windows) {
      if (r == rule) return &w;
    }
    c->windows.emplace_back(rule, WindowState());
    WindowState* w = &c->windows.back().second;
    // The state may have been forgotten while its alert stayed open.
    w->firing = alerts.contains(AlertKey(rule, std::string(client)));
    return w;
  }

  // `client_state` is the client's window state (looked up once per request by Dispatch).
  void CountWindow(int rule_index, absl::string_view client, ClientState* client_state,
                   absl::string_view line, int64_t line_number, absl::Time time) {
    const Rule& rule = rules->rules()[rule_index];
    const bool site_scope = rule.scope == Rule::Scope::kSite;
    const absl::string_view key = site_scope ? kSiteClient : client;
    WindowState* w;
    if (site_scope) {
      auto [it, inserted] = site_windows.try_emplace(rule_index);
      if (inserted) it->second.firing = alerts.contains(AlertKey(rule_index, std::string(key)));
      w = &it->second;
    } else {
      w = ClientWindow(client_state, rule_index, client);
    }
    if (w->firing) {
      AddHit(rule_index, key, line, line_number, time);
      return;
    }
    const int64_t now_us = absl::ToUnixMicros(time);
    const int64_t window_us = absl::ToInt64Microseconds(rule.window);
    w->ring.Push({now_us, line_number});
    while (w->ring.size() > 0 && w->ring.front().time_us <= now_us - window_us) w->ring.PopFront();
    if (static_cast<int>(w->ring.size()) < rule.threshold) return;
    // Fired: the alert starts with the requests that made up the threshold.
    const absl::Time first = absl::FromUnixMicros(w->ring.front().time_us);
    Alert* a = FindOrOpenAlert(rule_index, key, first);
    a->count += static_cast<int64_t>(w->ring.size());
    Record(a, line, time);
    if (first < a->first_seen) a->first_seen = first;
    for (size_t i = 0; i < w->ring.size(); ++i) AddLineNumber(a, w->ring.at(i).line_number);
    w->ring.Clear();
    w->firing = true;
  }

  bool Dispatch(absl::string_view client, absl::string_view line, int64_t line_number,
                absl::Time time) {
    bool signature = false;
    ClientState* client_state = nullptr;
    for (int r : hits) {
      const Rule& rule = rules->rules()[r];
      if (rule.scope == Rule::Scope::kRequest) {
        signature = true;
        AddHit(r, client, line, line_number, time);
      } else {
        if (rule.scope == Rule::Scope::kClient && client_state == nullptr) {
          client_state = FindClient(client, time);
        }
        CountWindow(r, client, client_state, line, line_number, time);
      }
    }
    return signature;
  }

  // The window state of a closed window-rule alert starts counting afresh.
  void StopFiring(const AlertKey& key) {
    const Rule& rule = rules->rules()[key.first];
    if (rule.scope == Rule::Scope::kRequest) return;
    if (rule.scope == Rule::Scope::kSite) {
      auto it = site_windows.find(key.first);
      if (it != site_windows.end()) it->second.firing = false;
      return;
    }
    if (key.second == kSiteClient) {
      // The alert that clients were folded into beyond max_open_alerts: every client firing
      // into it (no alert of its own) counts afresh. Rare, so a pass over all clients is fine.
      for (auto& [client, c] : clients) {
        if (alerts.contains(AlertKey(key.first, client))) continue;
        for (auto& [r, w] : c.windows) {
          if (r == key.first) w.firing = false;
        }
      }
      return;
    }
    auto it = clients.find(key.second);
    if (it == clients.end()) return;
    for (auto& [r, w] : it->second.windows) {
      if (r == key.first) w.firing = false;
    }
  }

  AlertUpdate MakeUpdate(const AlertKey& key, Alert& a, bool closed) {
    AlertUpdate u;
    u.alert_id = a.alert_id;
    u.rule = &rules->rules()[key.first];
    u.site = site;
    u.client = key.second;
    u.first_seen = a.first_seen;
    u.last_seen = a.last_seen;
    u.count = a.count;
    u.closed = closed;
    u.is_new = !a.emitted;
    if (closed) {
      u.samples = std::move(a.samples);
      u.line_numbers = std::move(a.line_numbers);
    } else {
      u.samples = a.samples;
      u.line_numbers = a.line_numbers;
    }
    return u;
  }
};

Detector::Detector(std::shared_ptr<const RuleSet> rules, std::string site,
                   DetectorOptions options)
    : state_(std::make_unique<State>()) {
  state_->rules = std::move(rules);
  state_->site = std::move(site);
  if (options.max_tracked_clients == 0) options.max_tracked_clients = 1;
  if (options.max_open_alerts == 0) options.max_open_alerts = 1;
  if (options.max_samples < 0) options.max_samples = 0;
  state_->options = options;
  for (const Rule& rule : state_->rules->rules()) {
    state_->max_window = std::max(state_->max_window, rule.window);
  }
}

Detector::~Detector() = default;

bool Detector::ProcessAccess(const AccessRecord& record, absl::string_view line,
                             int64_t line_number, absl::Time time) {
  State& s = *state_;
  DecodeTarget(record.target, &s.decoded);
  MatchInput input;
  input.uri = s.decoded.uri;
  input.path = s.decoded.path;
  input.query = s.decoded.query;
  input.raw = record.target;
  input.method = record.method;
  input.user_agent = record.user_agent;
  input.referer = record.referer;
  input.status = record.status;
  s.hits.clear();
  RuleSet::FieldRules cached;
  cached.user_agent = s.Cached(&s.ua_cache, Field::kUserAgent, record.user_agent);
  cached.method = s.Cached(&s.method_cache, Field::kMethod, record.method);
  cached.referer = s.Cached(&s.referer_cache, Field::kReferer, record.referer);
  s.rules->MatchWithFieldRules(input, cached, &s.hits);
  if (s.hits.empty()) return false;
  const absl::string_view client = record.client.empty() ? "-" : record.client;
  return s.Dispatch(client, line, line_number, time);
}

bool Detector::ProcessError(const ErrorRecord& record, absl::string_view line,
                            int64_t line_number, absl::Time time) {
  State& s = *state_;
  MatchInput input;
  input.message = record.message;
  input.error_log = true;
  s.hits.clear();
  s.rules->Match(input, &s.hits);
  if (s.hits.empty()) return false;
  const absl::string_view client = record.client.empty() ? "-" : record.client;
  return s.Dispatch(client, line, line_number, time);
}

void Detector::Collect(absl::Time now, std::vector<AlertUpdate>* out) {
  State& s = *state_;
  for (auto it = s.alerts.begin(); it != s.alerts.end();) {
    Alert& a = it->second;
    if (a.last_seen + s.options.aggregate_window <= now) {
      out->push_back(s.MakeUpdate(it->first, a, /*closed=*/true));
      s.StopFiring(it->first);
      s.alerts.erase(it++);
      continue;
    }
    if (!a.emitted ||
        (a.count > a.emitted_count && now - a.last_emit >= s.options.update_interval)) {
      out->push_back(s.MakeUpdate(it->first, a, /*closed=*/false));
      a.emitted = true;
      a.last_emit = now;
      a.emitted_count = a.count;
    }
    ++it;
  }
  // Window state of clients quiet for longer than the longest window cannot fire any more.
  for (auto it = s.clients.begin(); it != s.clients.end();) {
    if (it->second.last_seen + s.max_window <= now) {
      s.clients.erase(it++);
    } else {
      ++it;
    }
  }
}

void Detector::CloseAll(std::vector<AlertUpdate>* out) {
  State& s = *state_;
  for (auto& [key, alert] : s.alerts) {
    out->push_back(s.MakeUpdate(key, alert, /*closed=*/true));
  }
  s.alerts.clear();
  for (auto& [rule, w] : s.site_windows) w.firing = false;
  for (auto& [client, c] : s.clients) {
    for (auto& [rule, w] : c.windows) w.firing = false;
  }
}

size_t Detector::open_alerts() const { return state_->alerts.size(); }
size_t Detector::tracked_clients() const { return state_->clients.size(); }

}  // namespace pantau::agent::logwatch
