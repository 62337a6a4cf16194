#include "agent/logwatch/log_watcher.h"

#include <time.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/logwatch/active_response.h"
#include "agent/logwatch/geoip.h"
#include "agent/logwatch/log_analysis.h"
#include "agent/logwatch/log_format.h"
#include "agent/logwatch/rule_set.h"
#include "agent/logwatch/tailer.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"

namespace pantau::agent::logwatch {
namespace {

// Bytes read from one source per round, so one busy log cannot hold up checkpoints.
constexpr int64_t kMaxBytesPerPoll = 8 << 20;
// Lines read since the last checkpoint beyond which one is taken early.
constexpr int64_t kEarlyCheckpointLines = 200000;

// Limits of the wire (events.proto; the collector refuses a whole batch that breaks one), so
// text from logs is repaired to UTF-8 and cut to them here.
constexpr size_t kMaxClientBytes = 128;
constexpr size_t kMaxSampleBytes = 1024;
constexpr size_t kMaxAlertTextBytes = 1024;
constexpr size_t kMaxPageKeyBytes = 512;

// Repairs and cuts the keys of a top list; keys that become equal are merged.
void ClampKeys(google::protobuf::RepeatedPtrField<v1::KeyCount>* list, size_t max_bytes) {
  std::vector<std::pair<std::string, int64_t>> merged;
  for (const v1::KeyCount& kc : *list) {
    std::string key = ClampUtf8(kc.key(), max_bytes);
    if (key.empty()) key = "-";
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const auto& m) { return m.first == key; });
    if (it != merged.end()) {
      it->second += kc.count();
    } else {
      merged.emplace_back(std::move(key), kc.count());
    }
  }
  list->Clear();
  for (auto& [key, count] : merged) {
    v1::KeyCount* kc = list->Add();
    kc->set_key(std::move(key));
    kc->set_count(count);
  }
}

int LocalUtcOffsetSeconds(absl::Time now) {
  const time_t t = absl::ToTimeT(now);
  struct tm local;
  if (localtime_r(&t, &local) == nullptr) return 0;
  return static_cast<int>(local.tm_gmtoff);
}

}  // namespace

struct LogWatcher::State {
  struct Source {
    SiteLogAnalysis* site = nullptr;
    bool access = true;
    std::unique_ptr<LogTailer> tailer;
    std::unique_ptr<AccessLogParser> access_parser;
    std::unique_ptr<ErrorLogParser> error_parser;
    int64_t line_number = 0;  // lines of this source since the agent started
  };

  State(SpoolStore& spool_in, const Clock& clock_in) : spool(spool_in), clock(clock_in) {}

  SpoolStore& spool;
  const Clock& clock;
  LogwatchConfig config;
  std::function<void()> on_spooled;
  std::unique_ptr<GeoIp> geoip;
  std::unique_ptr<ActiveResponder> responder;
  std::vector<std::unique_ptr<SiteLogAnalysis>> sites;
  std::vector<Source> sources;
  // Events produced but not yet committed (a failed commit keeps them for the next one).
  std::vector<std::pair<v1::Event, EventPriority>> pending;
  int64_t lines_since_checkpoint = 0;
  bool positions_dirty = false;
  StopToken stop;

  prometheus::Family<prometheus::Counter>* lines_family = nullptr;
  prometheus::Family<prometheus::Counter>* malformed_family = nullptr;
  prometheus::Family<prometheus::Counter>* alerts_family = nullptr;
  prometheus::Family<prometheus::Counter>* truncated_family = nullptr;
  prometheus::Family<prometheus::Counter>* read_errors_family = nullptr;

  mutable absl::Mutex mu;
  LogWatcherCounters counters ABSL_GUARDED_BY(mu);

  int64_t Poll();
  absl::Status Checkpoint(bool final);
  void AddAlert(const SiteLogAnalysis& site, const AlertUpdate& update, absl::Time now);
};

LogWatcher::LogWatcher(std::unique_ptr<State> state) : state_(std::move(state)) {}

LogWatcher::~LogWatcher() { Stop(); }

absl::StatusOr<std::unique_ptr<LogWatcher>> LogWatcher::Create(
    const AgentConfig& config, SpoolStore& spool, const Clock& clock,
    prometheus::Registry& registry, std::function<void()> on_spooled) {
  auto state = std::make_unique<State>(spool, clock);
  state->config = config.logwatch;
  state->on_spooled = std::move(on_spooled);
  state->lines_family = &prometheus::BuildCounter()
                             .Name("pantau_agent_log_lines_total")
                             .Help("Web-server log lines read, by site")
                             .Register(registry);
  state->malformed_family = &prometheus::BuildCounter()
                                 .Name("pantau_agent_log_malformed_lines_total")
                                 .Help("Access-log lines that did not parse, by site")
                                 .Register(registry);
  state->alerts_family = &prometheus::BuildCounter()
                              .Name("pantau_agent_log_alerts_total")
                              .Help("Log alerts opened, by site and rule family")
                              .Register(registry);
  state->truncated_family = &prometheus::BuildCounter()
                                 .Name("pantau_agent_log_truncated_lines_total")
                                 .Help("Log lines longer than max_line_bytes, cut, by site")
                                 .Register(registry);
  state->read_errors_family =
      &prometheus::BuildCounter()
           .Name("pantau_agent_log_read_errors_total")
           .Help("Times a log could not be read (permission, not a file, ...), by site")
           .Register(registry);

  bool any = false;
  for (const SiteConfig& site : config.sites) any |= !site.logs.empty();
  if (!any) return std::unique_ptr<LogWatcher>(new LogWatcher(std::move(state)));

  PANTAU_ASSIGN_OR_RETURN(std::shared_ptr<const RuleSet> rules,
                          RuleSet::LoadShipped(config.data_dir, config.logwatch.rules_files));
  if (!config.logwatch.geoip_file.empty()) {
    PANTAU_ASSIGN_OR_RETURN(state->geoip,
                            GeoIp::Open(config.logwatch.geoip_file, config.logwatch.geoip_v6_file));
  }
  PANTAU_ASSIGN_OR_RETURN(state->responder,
                          ActiveResponder::Create(config.logwatch.active_response));

  std::vector<LogPosition> saved;
  PANTAU_RETURN_IF_ERROR(spool.WithDatabase([&](sqlite3* db) -> absl::Status {
    PANTAU_RETURN_IF_ERROR(CreateLogPositionsTable(db));
    PANTAU_ASSIGN_OR_RETURN(saved, LoadLogPositions(db));
    return absl::OkStatus();
  }));

  DetectorOptions detector_options;
  detector_options.aggregate_window = config.logwatch.aggregate_window;
  VisitorStatsOptions stats_options;
  stats_options.geoip = state->geoip.get();
  TailerOptions tailer_options;
  tailer_options.max_line_bytes = static_cast<size_t>(config.logwatch.max_line_bytes);
  tailer_options.start_at_end = config.logwatch.start_at_end;
  const int utc_offset = LocalUtcOffsetSeconds(clock.Now());
  for (const SiteConfig& site : config.sites) {
    if (site.logs.empty()) continue;
    state->sites.push_back(
        std::make_unique<SiteLogAnalysis>(site.id, rules, detector_options, stats_options));
    for (const LogSourceConfig& log : site.logs) {
      State::Source source;
      source.site = state->sites.back().get();
      source.access = log.type == "access";
      if (source.access) {
        absl::StatusOr<LogFormat> format = LogFormat::FromConfig(log.format, log.log_format);
        if (!format.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("site ", site.id, ": log ",
                                                         log.paths.front(), ": ",
                                                         format.status().message()));
        }
        source.access_parser = std::make_unique<AccessLogParser>(*format);
      } else {
        source.error_parser = std::make_unique<ErrorLogParser>(utc_offset);
      }
      source.tailer = std::make_unique<LogTailer>(log.paths, tailer_options, saved, clock);
      state->sources.push_back(std::move(source));
    }
  }
  PANTAU_LOG(INFO) << "watching " << state->sources.size() << " logs of "
                   << state->sites.size() << " sites with " << rules->rules().size()
                   << " rules" << (state->responder->enabled() ? "; active response on" : "");
  return std::unique_ptr<LogWatcher>(new LogWatcher(std::move(state)));
}

size_t LogWatcher::sources() const { return state_->sources.size(); }

void LogWatcher::Start() {
  if (state_->sources.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void LogWatcher::Stop() {
  if (!thread_.joinable()) return;
  state_->stop.RequestStop();
  thread_.join();
}

void LogWatcher::Loop() {
  State& s = *state_;
  absl::Time next_checkpoint = s.clock.Now() + s.config.checkpoint_interval;
  bool commit_failed = false;
  while (!s.stop.StopRequested()) {
    // After a failed commit (disk full, ...) nothing more is read until the results waiting
    // in memory are committed: memory stays bounded, and the read positions stay where the
    // committed results end, so no line is lost or counted twice.
    const int64_t read = commit_failed ? 0 : s.Poll();
    const absl::Time now = s.clock.Now();
    if (commit_failed || now >= next_checkpoint ||
        s.lines_since_checkpoint >= kEarlyCheckpointLines) {
      absl::Status status = s.Checkpoint(/*final=*/false);
      if (!status.ok() && !commit_failed) {
        PANTAU_LOG(ERROR) << "log checkpoint failed (log reading paused until it succeeds): "
                          << status.message();
      } else if (status.ok() && commit_failed) {
        PANTAU_LOG(INFO) << "log checkpoint committed again; reading logs";
      }
      commit_failed = !status.ok();
      next_checkpoint = now + s.config.checkpoint_interval;
    }
    // A source that had more than one round's worth is read again at once.
    if (read < kMaxBytesPerPoll) s.clock.WaitUntil(now + s.config.poll_interval, s.stop);
  }
  absl::Status status = s.Checkpoint(/*final=*/true);
  if (!status.ok()) PANTAU_LOG(ERROR) << "last log checkpoint failed: " << status.message();
}

absl::Status LogWatcher::RunOnce(bool checkpoint) {
  state_->Poll();
  return checkpoint ? state_->Checkpoint(/*final=*/false) : absl::OkStatus();
}

LogWatcherCounters LogWatcher::counters() const {
  absl::MutexLock lock(&state_->mu);
  return state_->counters;
}

int64_t LogWatcher::State::Poll() {
  int64_t most = 0;
  for (Source& source : sources) {
    const absl::Time now = clock.Now();
    const int64_t malformed_before = source.site->counters().malformed;
    const TailerCounters tailer_before = source.tailer->counters();
    int64_t lines = 0;
    const int64_t bytes = source.tailer->Poll(
        [&](const LogLine& line) {
          ++lines;
          ++source.line_number;
          if (source.access) {
            source.site->AccessLine(*source.access_parser, line.text, source.line_number, now);
          } else {
            source.site->ErrorLine(*source.error_parser, line.text, source.line_number, now);
          }
        },
        kMaxBytesPerPoll);
    most = std::max(most, bytes);
    const TailerCounters& tailer_after = source.tailer->counters();
    const prometheus::Labels site_label = {{"site", source.site->site()}};
    if (tailer_after.truncated_lines > tailer_before.truncated_lines) {
      truncated_family->Add(site_label).Increment(
          static_cast<double>(tailer_after.truncated_lines - tailer_before.truncated_lines));
    }
    if (tailer_after.read_errors > tailer_before.read_errors) {
      read_errors_family->Add(site_label).Increment(
          static_cast<double>(tailer_after.read_errors - tailer_before.read_errors));
    }
    if (bytes > 0) positions_dirty = true;
    if (lines > 0) {
      lines_since_checkpoint += lines;
      const int64_t malformed = source.site->counters().malformed - malformed_before;
      lines_family->Add(site_label).Increment(static_cast<double>(lines));
      if (malformed > 0) malformed_family->Add(site_label).Increment(static_cast<double>(malformed));
      absl::MutexLock lock(&mu);
      counters.lines += lines;
      counters.malformed += malformed;
    }
  }
  return most;
}

void LogWatcher::State::AddAlert(const SiteLogAnalysis& site, const AlertUpdate& update,
                                 absl::Time now) {
  v1::Event event;
  event.set_observed_unix_ms(absl::ToUnixMillis(now));
  v1::LogAlert* alert = event.mutable_log_alert();
  alert->set_site(site.site());
  alert->set_alert_id(update.alert_id);
  alert->set_rule(update.rule->id);
  alert->set_family(update.rule->family);
  alert->set_severity(update.rule->severity);
  // Log text is bytes; protobuf strings must be UTF-8 (the collector refuses a batch otherwise).
  alert->set_client(ClampUtf8(update.client, kMaxClientBytes));
  alert->set_first_seen_unix_ms(absl::ToUnixMillis(update.first_seen));
  alert->set_last_seen_unix_ms(absl::ToUnixMillis(update.last_seen));
  alert->set_count(update.count);
  for (const std::string& sample : update.samples) {
    alert->add_sample_lines(ClampUtf8(sample, kMaxSampleBytes));
  }
  alert->set_description(ClampUtf8(update.rule->description, kMaxAlertTextBytes));
  alert->set_action(ClampUtf8(update.rule->action, kMaxAlertTextBytes));
  alert->set_closed(update.closed);
  if (geoip != nullptr && update.client != "*") alert->set_country(geoip->Country(update.client));
  pending.emplace_back(std::move(event), EventPriority::kSecurity);
  if (!update.is_new) return;
  alerts_family->Add({{"site", site.site()}, {"family", update.rule->family}}).Increment();
  PANTAU_LOG(WARNING) << "log alert on " << site.site() << ": " << update.rule->id << " ("
                      << update.rule->family << ") from " << update.client;
  {
    absl::MutexLock lock(&mu);
    ++counters.alerts_opened;
  }
  if (responder == nullptr || !responder->enabled() || update.client == "*" ||
      !responder->Applies(update.rule->family)) {
    return;
  }
  absl::optional<v1::BanEvent> ban =
      responder->Ban(site.site(), update.client, update.rule->id, update.alert_id, now);
  if (!ban.has_value()) return;
  PANTAU_LOG(WARNING) << "active response for " << update.client << " on " << site.site()
                      << ": " << v1::BanEvent::Outcome_Name(ban->outcome())
                      << (ban->error().empty() ? "" : ": ") << ban->error();
  v1::Event ban_event;
  ban_event.set_observed_unix_ms(absl::ToUnixMillis(now));
  *ban_event.mutable_ban() = std::move(*ban);
  pending.emplace_back(std::move(ban_event), EventPriority::kSecurity);
}

absl::Status LogWatcher::State::Checkpoint(bool final) {
  const absl::Time now = clock.Now();
  std::vector<AlertUpdate> updates;
  std::vector<v1::VisitorStats> deltas;
  for (const std::unique_ptr<SiteLogAnalysis>& site : sites) {
    updates.clear();
    site->detector().Collect(now, &updates);
    for (const AlertUpdate& update : updates) AddAlert(*site, update, now);
    deltas.clear();
    site->stats().Flush(/*include_open=*/true, &deltas);
    for (v1::VisitorStats& delta : deltas) {
      ClampKeys(delta.mutable_top_pages(), kMaxPageKeyBytes);
      ClampKeys(delta.mutable_top_clients(), kMaxClientBytes);
      v1::Event event;
      event.set_observed_unix_ms(absl::ToUnixMillis(now));
      *event.mutable_visitor_stats() = std::move(delta);
      pending.emplace_back(std::move(event), EventPriority::kStatistics);
    }
  }
  if (pending.empty() && !positions_dirty) return absl::OkStatus();
  std::vector<LogPosition> positions;
  for (const Source& source : sources) {
    std::vector<LogPosition> p = source.tailer->Positions();
    positions.insert(positions.end(), std::make_move_iterator(p.begin()),
                     std::make_move_iterator(p.end()));
  }
  absl::Status committed = spool.AppendAll(
      pending, [&](sqlite3* db) { return SaveLogPositions(db, positions); });
  if (!committed.ok()) {
    // Kept for the next checkpoint: nothing produced so far is lost, and the positions stay
    // where they were, so a crash now re-reads these lines instead of skipping them.
    return absl::Status(committed.code(),
                        absl::StrCat("cannot commit ", pending.size(),
                                     " log events and positions: ", committed.message()));
  }
  const size_t spooled = pending.size();
  pending.clear();
  positions_dirty = false;
  lines_since_checkpoint = 0;
  {
    absl::MutexLock lock(&mu);
    ++counters.checkpoints;
    counters.events_spooled += static_cast<int64_t>(spooled);
  }
  if (spooled > 0 && on_spooled) on_spooled();
  if (final) PANTAU_LOG(INFO) << "log watching stopped; positions saved";
  return absl::OkStatus();
}

}  // namespace pantau::agent::logwatch
