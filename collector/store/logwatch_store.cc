// Agent logwatch storage: log alerts, visitor statistics and bans (see logwatch_store.h and
// store.h).
#include "collector/store/logwatch_store.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/store/pg_pool.h"
#include "collector/store/statements.h"
#include "common/finding_severity.h"
#include "common/json_writer.h"
#include "common/status_macros.h"

namespace pantau::collector {
namespace {

// The operator API lists at most 1000 alerts and asks for one more to tell whether the answer
// is complete.
constexpr int kMaxLogAlertsListed = 1001;
constexpr int kTopPagesAndClients = 10;
constexpr int kTopCountries = 20;

// Validation caps every count at 2^50, so sums of a batch cannot overflow; this saturates
// anyway, as the cost is nil and signed overflow would be undefined.
int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  return a + b;
}

// Adds the counters of `from` to `into` (unique visitors: the larger); keys untouched.
void AddCounters(const v1::VisitorStats& from, v1::VisitorStats* into) {
  into->set_requests(SaturatingAdd(into->requests(), from.requests()));
  into->set_unique_visitors(std::max(into->unique_visitors(), from.unique_visitors()));
  into->set_page_views(SaturatingAdd(into->page_views(), from.page_views()));
  into->set_bot_requests(SaturatingAdd(into->bot_requests(), from.bot_requests()));
  into->set_status_2xx(SaturatingAdd(into->status_2xx(), from.status_2xx()));
  into->set_status_3xx(SaturatingAdd(into->status_3xx(), from.status_3xx()));
  into->set_status_4xx(SaturatingAdd(into->status_4xx(), from.status_4xx()));
  into->set_status_5xx(SaturatingAdd(into->status_5xx(), from.status_5xx()));
  into->set_status_other(SaturatingAdd(into->status_other(), from.status_other()));
  into->set_bytes(SaturatingAdd(into->bytes(), from.bytes()));
  into->set_malformed_lines(SaturatingAdd(into->malformed_lines(), from.malformed_lines()));
  into->set_attack_requests(SaturatingAdd(into->attack_requests(), from.attack_requests()));
}

std::string LogAlertsArgument(const std::vector<const v1::Event*>& events) {
  JsonWriter w;
  w.BeginArray();
  for (const v1::Event* e : events) {
    const v1::LogAlert& a = e->log_alert();
    w.BeginObject()
        .Key("alert_id").String(a.alert_id())
        .Key("site").String(a.site())
        .Key("rule").String(a.rule())
        .Key("family").String(a.family())
        .Key("severity").Int(a.severity())
        .Key("client").String(a.client())
        .Key("first_seen").String(PgTime(a.first_seen_unix_ms()))
        .Key("last_seen").String(PgTime(a.last_seen_unix_ms()))
        .Key("count").Int(a.count());
    w.Key("sample_lines").BeginArray();
    for (const std::string& line : a.sample_lines()) w.String(line);
    w.EndArray()
        .Key("description").String(a.description())
        .Key("action").String(a.action())
        .Key("log_path").String(a.log_path())
        .Key("closed").Bool(a.closed())
        .Key("country").String(a.country())
        .Key("agent_event_id").Int(static_cast<int64_t>(e->agent_event_id()))
        .EndObject();
  }
  w.EndArray();
  return w.str();
}

std::string VisitorMinutesArgument(const std::vector<v1::VisitorStats>& merged) {
  JsonWriter w;
  w.BeginArray();
  for (const v1::VisitorStats& v : merged) {
    w.BeginObject()
        .Key("site").String(v.site())
        .Key("minute").Int(v.minute_unix_s())
        .Key("requests").Int(v.requests())
        .Key("unique_visitors").Int(v.unique_visitors())
        .Key("page_views").Int(v.page_views())
        .Key("bot_requests").Int(v.bot_requests())
        .Key("s2").Int(v.status_2xx())
        .Key("s3").Int(v.status_3xx())
        .Key("s4").Int(v.status_4xx())
        .Key("s5").Int(v.status_5xx())
        .Key("so").Int(v.status_other())
        .Key("bytes").Int(v.bytes())
        .Key("malformed").Int(v.malformed_lines())
        .Key("attacks").Int(v.attack_requests())
        .EndObject();
  }
  w.EndArray();
  return w.str();
}

// Empty string when there are no keys at all.
std::string VisitorTopArgument(const std::vector<v1::VisitorStats>& merged) {
  JsonWriter w;
  w.BeginArray();
  bool any = false;
  for (const v1::VisitorStats& v : merged) {
    auto write = [&](const char* dimension,
                     const google::protobuf::RepeatedPtrField<v1::KeyCount>& counts) {
      for (const v1::KeyCount& k : counts) {
        any = true;
        w.BeginObject()
            .Key("site").String(v.site())
            .Key("minute").Int(v.minute_unix_s())
            .Key("dimension").String(dimension)
            .Key("key").String(k.key())
            .Key("count").Int(k.count())
            .EndObject();
      }
    };
    write("page", v.top_pages());
    write("client", v.top_clients());
    write("country", v.countries());
  }
  w.EndArray();
  return any ? w.str() : "";
}

// Sums `from` into `into` per key; the result is sorted by key.
void AddKeyCounts(const google::protobuf::RepeatedPtrField<v1::KeyCount>& from,
                  google::protobuf::RepeatedPtrField<v1::KeyCount>* into) {
  std::map<std::string, int64_t> sums;
  for (const v1::KeyCount& k : *into) sums[k.key()] = SaturatingAdd(sums[k.key()], k.count());
  for (const v1::KeyCount& k : from) sums[k.key()] = SaturatingAdd(sums[k.key()], k.count());
  into->Clear();
  for (const auto& [key, count] : sums) {
    v1::KeyCount* k = into->Add();
    k->set_key(key);
    k->set_count(count);
  }
}

}  // namespace

std::vector<const v1::Event*> NewestLogAlerts(const v1::PushRequest& request) {
  std::map<std::string, size_t> index;  // alert_id -> position in `out`
  std::vector<const v1::Event*> out;
  for (const v1::Event& e : request.events()) {
    if (!e.has_log_alert()) continue;
    auto [it, inserted] = index.try_emplace(e.log_alert().alert_id(), out.size());
    if (inserted) {
      out.push_back(&e);
    } else if (out[it->second]->log_alert().last_seen_unix_ms() <=
               e.log_alert().last_seen_unix_ms()) {
      out[it->second] = &e;
    }
  }
  return out;
}

std::vector<v1::VisitorStats> MergeVisitorStats(const v1::PushRequest& request) {
  std::map<std::pair<std::string, int64_t>, v1::VisitorStats> merged;
  for (const v1::Event& e : request.events()) {
    if (!e.has_visitor_stats()) continue;
    const v1::VisitorStats& v = e.visitor_stats();
    auto [it, inserted] = merged.try_emplace({v.site(), v.minute_unix_s()});
    v1::VisitorStats& m = it->second;
    if (inserted) {
      m.set_site(v.site());
      m.set_minute_unix_s(v.minute_unix_s());
    }
    AddCounters(v, &m);
    AddKeyCounts(v.top_pages(), m.mutable_top_pages());
    AddKeyCounts(v.top_clients(), m.mutable_top_clients());
    AddKeyCounts(v.countries(), m.mutable_countries());
  }
  std::vector<v1::VisitorStats> out;
  out.reserve(merged.size());
  for (auto& [key, v] : merged) out.push_back(std::move(v));
  return out;
}

std::vector<NewLogAlert> StoreLogwatchEvents(pqxx::work& txn, const v1::PushRequest& request) {
  const std::string& court = request.court_id();
  const std::string& agent = request.agent_id();
  std::vector<NewLogAlert> fresh;
  bool any_ban = false;
  for (const v1::Event& e : request.events()) any_ban |= e.has_ban();

  const std::vector<const v1::Event*> alerts = NewestLogAlerts(request);
  if (!alerts.empty()) {
    pqxx::result rows =
        txn.exec_prepared("upsert_log_alerts", court, agent, LogAlertsArgument(alerts));
    for (const pqxx::row& r : rows) {
      if (!r[3].as<bool>()) continue;
      fresh.push_back(NewLogAlert{r[0].as<std::string>(), r[1].as<std::string>(),
                                  SeverityFromInt(r[2].as<int>())});
    }
  }
  const std::vector<v1::VisitorStats> merged = MergeVisitorStats(request);
  if (!merged.empty()) {
    txn.exec_prepared("add_visitor_minutes", court, VisitorMinutesArgument(merged));
    const std::string top = VisitorTopArgument(merged);
    if (!top.empty()) txn.exec_prepared("add_visitor_top", court, top);
  }
  if (any_ban) {
    pqxx::stream_to copy(txn, "bans", BanColumns());
    const int64_t batch_seq = static_cast<int64_t>(request.batch_seq());
    for (const v1::Event& e : request.events()) {
      if (!e.has_ban()) continue;
      const v1::BanEvent& b = e.ban();
      std::optional<std::string> until, observed;
      if (b.until_unix_ms() != 0) until = PgTime(b.until_unix_ms());
      if (e.observed_unix_ms() != 0) observed = PgTime(e.observed_unix_ms());
      copy << std::make_tuple(court, agent, static_cast<int64_t>(e.agent_event_id()), batch_seq,
                              b.site(), b.client(), b.rule(), b.alert_id(), until,
                              BanOutcomeName(b.outcome()), b.error(), observed);
    }
    copy.complete();
  }
  return fresh;
}

absl::StatusOr<std::vector<StoredLogAlert>> Store::LogAlerts(const LogAlertQuery& query) {
  if (query.limit < 1 || query.limit > kMaxLogAlertsListed) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", query.limit, " is not 1..", kMaxLogAlertsListed));
  }
  const int64_t since_ms =
      query.since == absl::InfinitePast() ? 0 : absl::ToUnixMillis(query.since);
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    pqxx::read_transaction txn(lease.conn());
    pqxx::result rows = txn.exec_params(
        "SELECT court_id, agent_id, alert_id, site, rule, family, severity, client, "
        "(extract(epoch from first_seen) * 1000)::bigint, "
        "(extract(epoch from last_seen) * 1000)::bigint, count, sample_lines, description, "
        "action, log_path, closed, country, (extract(epoch from created_at) * 1000000)::bigint, "
        "(extract(epoch from updated_at) * 1000000)::bigint "
        "FROM log_alerts WHERE ($1 = '' OR court_id = $1) AND ($2 = '' OR site = $2) "
        "AND (NOT $3 OR NOT closed) AND last_seen >= to_timestamp($4::bigint / 1000.0) "
        "ORDER BY last_seen DESC, agent_id, alert_id LIMIT $5",
        query.court_id, query.site, query.open_only, since_ms, query.limit);
    std::vector<StoredLogAlert> out;
    out.reserve(rows.size());
    for (const pqxx::row& r : rows) {
      StoredLogAlert s;
      s.court_id = r[0].as<std::string>();
      s.agent_id = r[1].as<std::string>();
      v1::LogAlert& a = s.alert;
      a.set_alert_id(r[2].as<std::string>());
      a.set_site(r[3].as<std::string>());
      a.set_rule(r[4].as<std::string>());
      a.set_family(r[5].as<std::string>());
      a.set_severity(SeverityFromInt(r[6].as<int>()));
      a.set_client(r[7].as<std::string>());
      a.set_first_seen_unix_ms(r[8].as<int64_t>());
      a.set_last_seen_unix_ms(r[9].as<int64_t>());
      a.set_count(r[10].as<int64_t>());
      for (std::string& line : TextArray(r[11])) a.add_sample_lines(std::move(line));
      a.set_description(r[12].as<std::string>());
      a.set_action(r[13].as<std::string>());
      a.set_log_path(r[14].as<std::string>());
      a.set_closed(r[15].as<bool>());
      a.set_country(r[16].as<std::string>());
      s.created_at = absl::FromUnixMicros(r[17].as<int64_t>());
      s.updated_at = absl::FromUnixMicros(r[18].as<int64_t>());
      out.push_back(std::move(s));
    }
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading log alerts");
  }
}

absl::StatusOr<VisitorRange> Store::VisitorStatsRange(const std::string& court_id,
                                                      const std::string& site, absl::Time from,
                                                      absl::Time to) {
  const int64_t from_s = absl::ToUnixSeconds(from);
  const int64_t to_s = absl::ToUnixSeconds(to);
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    // One snapshot, so the top lists belong to the minutes listed.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> txn(lease.conn());
    pqxx::result rows = txn.exec_params(
        "SELECT extract(epoch from minute)::bigint, sum(requests)::bigint, "
        "max(unique_visitors), sum(page_views)::bigint, sum(bot_requests)::bigint, "
        "sum(status_2xx)::bigint, sum(status_3xx)::bigint, sum(status_4xx)::bigint, "
        "sum(status_5xx)::bigint, sum(status_other)::bigint, sum(bytes)::bigint, "
        "sum(malformed_lines)::bigint, sum(attack_requests)::bigint "
        "FROM visitor_minutes WHERE ($1 = '' OR court_id = $1) AND site = $2 "
        "AND minute >= to_timestamp($3) AND minute < to_timestamp($4) "
        "GROUP BY minute ORDER BY minute",
        court_id, site, from_s, to_s);
    VisitorRange out;
    v1::VisitorStats& t = out.totals;
    t.set_site(site);
    t.set_minute_unix_s(from_s);
    for (const pqxx::row& r : rows) {
      v1::VisitorStats m;
      m.set_site(site);
      m.set_minute_unix_s(r[0].as<int64_t>());
      m.set_requests(r[1].as<int64_t>());
      m.set_unique_visitors(r[2].as<int64_t>());
      m.set_page_views(r[3].as<int64_t>());
      m.set_bot_requests(r[4].as<int64_t>());
      m.set_status_2xx(r[5].as<int64_t>());
      m.set_status_3xx(r[6].as<int64_t>());
      m.set_status_4xx(r[7].as<int64_t>());
      m.set_status_5xx(r[8].as<int64_t>());
      m.set_status_other(r[9].as<int64_t>());
      m.set_bytes(r[10].as<int64_t>());
      m.set_malformed_lines(r[11].as<int64_t>());
      m.set_attack_requests(r[12].as<int64_t>());
      AddCounters(m, &t);
      out.minutes.push_back(std::move(m));
    }
    pqxx::result top = txn.exec_params(
        "SELECT dimension, key, total FROM ("
        "  SELECT dimension, key, sum(count)::bigint AS total, row_number() OVER ("
        "    PARTITION BY dimension ORDER BY sum(count) DESC, key) AS rank "
        "  FROM visitor_top WHERE ($1 = '' OR court_id = $1) AND site = $2 "
        "  AND minute >= to_timestamp($3) AND minute < to_timestamp($4) "
        "  GROUP BY dimension, key) ranked "
        "WHERE rank <= CASE WHEN dimension = 'country' THEN $5::int ELSE $6::int END "
        "ORDER BY dimension, rank",
        court_id, site, from_s, to_s, kTopCountries, kTopPagesAndClients);
    for (const pqxx::row& r : top) {
      const std::string dimension = r[0].as<std::string>();
      v1::KeyCount* k = dimension == "page"     ? t.add_top_pages()
                        : dimension == "client" ? t.add_top_clients()
                                                : t.add_countries();
      k->set_key(r[1].as<std::string>());
      k->set_count(r[2].as<int64_t>());
    }
    txn.commit();
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading visitor statistics");
  }
}

absl::StatusOr<std::map<std::pair<std::string, std::string>, SiteActivity>>
Store::ActivityBySite(const std::string& court_id, absl::Time since) {
  PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool_->Acquire());
  try {
    pqxx::read_transaction txn(lease.conn());
    std::map<std::pair<std::string, std::string>, SiteActivity> out;
    for (const pqxx::row& r : txn.exec_params(
             "SELECT court_id, site, count(*) FROM log_alerts "
             "WHERE NOT closed AND ($1 = '' OR court_id = $1) GROUP BY court_id, site",
             court_id)) {
      out[{r[0].as<std::string>(), r[1].as<std::string>()}].open_log_alerts = r[2].as<int64_t>();
    }
    for (const pqxx::row& r : txn.exec_params(
             "SELECT court_id, site, sum(requests)::bigint FROM visitor_minutes "
             "WHERE minute >= to_timestamp($2) AND ($1 = '' OR court_id = $1) "
             "GROUP BY court_id, site",
             court_id, absl::ToUnixSeconds(since))) {
      out[{r[0].as<std::string>(), r[1].as<std::string>()}].recent_requests = r[2].as<int64_t>();
    }
    return out;
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e)) lease.MarkBroken();
    return StatusFromException(e, "reading site activity");
  }
}

}  // namespace pantau::collector
