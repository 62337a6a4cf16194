#include "agent/logwatch/scan_log.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "agent/logwatch/log_analysis.h"
#include "common/finding_severity.h"
#include "common/json_writer.h"

namespace pantau::agent::logwatch {
namespace {

constexpr char kUsage[] =
    "usage: pantau-agent scan-log FILE... [options]\n"
    "  Analyses existing web-server logs (plain or .gz) with pantau's rules and prints\n"
    "  visitors and alerts. Line numbers count from 1 across the files in the order given.\n"
    "options:\n"
    "  --format F        combined, common, vhost_combined, json, auto (default auto)\n"
    "  --log-format STR  an nginx log_format string (implies --format nginx)\n"
    "  --type T          access (default) or error\n"
    "  --rules FILE      more rules, after the shipped ones (repeatable)\n"
    "  --window SECONDS  an alert closes after this long without a matching request\n"
    "                    (default 300)\n"
    "  --json            JSON Lines: one object per alert, then a summary object\n";

constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kChunkBytes = 4 << 20;
// How often (in lines) alerts of quiet clients are closed and old minutes are let go, so
// memory does not grow with the length of the input.
constexpr int64_t kCollectEvery = 1 << 16;

struct Args {
  std::vector<std::string> files;
  std::string format = "auto";
  std::string log_format;
  std::string type = "access";
  std::vector<std::string> rules;
  absl::Duration window = absl::Seconds(300);
  bool json = false;
};

// Usage errors come back as InvalidArgument; --help as Cancelled.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& args) {
  Args a;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* name) -> absl::StatusOr<std::string> {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      return args[++i];
    };
    if (arg == "--help" || arg == "-h") return absl::CancelledError("help");
    if (arg == "--json") {
      a.json = true;
    } else if (arg == "--format") {
      absl::StatusOr<std::string> v = value("--format");
      if (!v.ok()) return v.status();
      a.format = *v;
    } else if (arg == "--log-format") {
      absl::StatusOr<std::string> v = value("--log-format");
      if (!v.ok()) return v.status();
      a.log_format = *v;
      a.format = "nginx";
    } else if (arg == "--type") {
      absl::StatusOr<std::string> v = value("--type");
      if (!v.ok()) return v.status();
      if (*v != "access" && *v != "error") {
        return absl::InvalidArgumentError("--type must be access or error");
      }
      a.type = *v;
    } else if (arg == "--rules") {
      absl::StatusOr<std::string> v = value("--rules");
      if (!v.ok()) return v.status();
      a.rules.push_back(*v);
    } else if (arg == "--window") {
      absl::StatusOr<std::string> v = value("--window");
      if (!v.ok()) return v.status();
      double seconds = 0;
      if (!absl::SimpleAtod(*v, &seconds) || seconds < 1 || seconds > 86400) {
        return absl::InvalidArgumentError("--window must be 1..86400 seconds");
      }
      a.window = absl::Seconds(seconds);
    } else if (absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "'"));
    } else {
      a.files.push_back(arg);
    }
  }
  if (a.files.empty()) return absl::InvalidArgumentError("no log file given");
  return a;
}

// Reads one file (plain or gzip) in large chunks and hands out its lines. Lines longer than
// kMaxLineBytes are cut there; the rest up to the newline is skipped.
class LineReader {
 public:
  ~LineReader() { Close(); }

  absl::Status Open(const std::string& path) {
    path_ = path;
    if (absl::EndsWith(path, ".gz")) {
      gz_ = gzopen(path.c_str(), "rb");
      if (gz_ == nullptr) {
        return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
      }
      gzbuffer(gz_, 1 << 20);
    } else {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
      }
      posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    buffer_.resize(kChunkBytes + kMaxLineBytes);
    begin_ = end_ = 0;
    eof_ = false;
    return absl::OkStatus();
  }

  // Next line into *line (valid until the next call). false at the end of the file or on a
  // read error (status() then says which).
  bool Next(absl::string_view* line) {
    for (;;) {
      const char* start = buffer_.data() + begin_;
      const size_t available = end_ - begin_;
      const void* nl = available > 0 ? std::memchr(start, '\n', available) : nullptr;
      if (nl != nullptr) {
        const size_t length = static_cast<const char*>(nl) - start;
        begin_ += length + 1;
        if (skipping_) {  // the tail of a cut line
          skipping_ = false;
          continue;
        }
        *line = absl::string_view(start, std::min(length, kMaxLineBytes));
        if (length > kMaxLineBytes) {
          ++truncated_;
        }
        return true;
      }
      if (!skipping_ && available >= kMaxLineBytes) {
        // A line longer than the bound: hand out its start and skip the rest.
        *line = absl::string_view(start, kMaxLineBytes);
        skipping_ = true;
        begin_ = end_;
        ++truncated_;
        return true;
      }
      if (skipping_) begin_ = end_;
      if (eof_) {
        if (begin_ < end_ && !skipping_) {  // a last line without newline
          *line = absl::string_view(start, end_ - begin_);
          begin_ = end_;
          return true;
        }
        return false;
      }
      // Keep the partial line, refill behind it.
      if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      const size_t room = buffer_.size() - end_;
      const int64_t n = Read(buffer_.data() + end_, std::min(room, kChunkBytes));
      if (n < 0) {
        eof_ = true;
        return false;
      }
      if (n == 0) eof_ = true;
      end_ += static_cast<size_t>(n);
    }
  }

  const absl::Status& status() const { return status_; }
  int64_t truncated() const { return truncated_; }

 private:
  int64_t Read(char* into, size_t size) {
    if (gz_ != nullptr) {
      const int n = gzread(gz_, into, static_cast<unsigned>(size));
      if (n < 0) {
        int code = 0;
        status_ = absl::DataLossError(absl::StrCat(path_, ": ", gzerror(gz_, &code)));
      }
      return n;
    }
    for (;;) {
      const ssize_t n = ::read(fd_, into, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status_ = absl::DataLossError(absl::StrCat("cannot read ", path_, ": ", std::strerror(errno)));
      }
      return n;
    }
  }

  void Close() {
    if (gz_ != nullptr) gzclose(gz_);
    if (fd_ >= 0) ::close(fd_);
    gz_ = nullptr;
    fd_ = -1;
  }

  std::string path_;
  int fd_ = -1;
  gzFile gz_ = nullptr;
  std::string buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;
  int64_t truncated_ = 0;
  absl::Status status_;
};

std::string ReadableTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "0%";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

void WriteAlertJson(const AlertUpdate& alert, std::ostream& out) {
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String("alert");
  w.Key("rule").String(alert.rule->id);
  w.Key("family").String(alert.rule->family);
  w.Key("severity").String(SeverityName(alert.rule->severity));
  w.Key("client").String(alert.client);
  w.Key("count").Int(alert.count);
  w.Key("first_seen").String(absl::FormatTime(absl::RFC3339_sec, alert.first_seen, absl::UTCTimeZone()));
  w.Key("last_seen").String(absl::FormatTime(absl::RFC3339_sec, alert.last_seen, absl::UTCTimeZone()));
  w.Key("lines").BeginArray();
  for (int64_t n : alert.line_numbers) w.Int(n);
  w.EndArray();
  w.Key("samples").BeginArray();
  for (const std::string& s : alert.samples) w.String(s);
  w.EndArray();
  w.Key("description").String(alert.rule->description);
  w.Key("action").String(alert.rule->action);
  w.EndObject();
  out << w.str() << "\n";
}

// What the readable summary keeps of the alerts of one rule: counts and the clients with the
// most requests. Bounded by the number of rules (and kMaxClientsPerRule), not by the input, so
// scan-log's memory stays flat however many alerts a long log holds.
struct RuleSummary {
  const Rule* rule = nullptr;
  int64_t alerts = 0;
  int64_t requests = 0;
  absl::Time first = absl::InfiniteFuture();
  absl::Time last = absl::InfinitePast();
  absl::flat_hash_map<std::string, int64_t> clients;  // requests per client (capped)
  int64_t clients_dropped = 0;                         // clients beyond the cap
  std::string sample;
};
constexpr size_t kMaxClientsPerRule = 10000;

struct ScanResult {
  std::vector<RuleSummary> by_rule;  // indexed like RuleSet::rules()
  int64_t alerts = 0;
  int64_t truncated = 0;
  double seconds = 0;

  void Add(const AlertUpdate& a, const std::vector<Rule>& rules) {
    ++alerts;
    if (by_rule.empty()) by_rule.resize(rules.size());
    RuleSummary& r = by_rule[static_cast<size_t>(a.rule - rules.data())];
    r.rule = a.rule;
    ++r.alerts;
    r.requests += a.count;
    r.first = std::min(r.first, a.first_seen);
    r.last = std::max(r.last, a.last_seen);
    auto it = r.clients.find(a.client);
    if (it != r.clients.end()) {
      it->second += a.count;
    } else if (r.clients.size() < kMaxClientsPerRule) {
      r.clients.emplace(a.client, a.count);
    } else {
      ++r.clients_dropped;
    }
    if (r.sample.empty() && !a.samples.empty()) r.sample = a.samples.front();
  }
};

void PrintSummary(const Args& args, const SiteLogAnalysis& site, const ScanResult& result,
                  std::ostream& out) {
  const LineCounters& c = site.counters();
  out << "scan-log: " << args.files.size() << (args.files.size() == 1 ? " file, " : " files, ")
      << Thousands(c.lines) << " lines in " << absl::StrFormat("%.2f", result.seconds) << " s ("
      << Thousands(result.seconds > 0 ? static_cast<int64_t>(c.lines / result.seconds) : 0)
      << " lines/s)\n";
  if (args.type == "access") {
    out << "  parsed " << Thousands(c.parsed) << ", malformed " << Thousands(c.malformed);
  } else {
    out << "  error-log entries " << Thousands(c.error_lines) << ", other lines "
        << Thousands(c.error_unparsed);
  }
  if (result.truncated > 0) out << ", cut at 64 KiB " << Thousands(result.truncated);
  out << "\n";
  for (const MalformedSample& m : site.malformed_samples()) {
    out << "    line " << m.line_number << ": " << m.reason << ": " << m.line << "\n";
  }
  if (args.type == "access" && c.parsed > 0) {
    const VisitorTotals& t = site.stats().totals();
    out << "visitors:\n";
    out << "  requests " << Thousands(t.requests) << " from " << Thousands(t.unique_clients)
        << " clients; page views " << Thousands(t.page_views) << "; bots "
        << Thousands(t.bot_requests) << " (" << Percent(t.bot_requests, t.requests) << ")\n";
    out << "  2xx " << Percent(t.status_class[2], t.requests) << ", 3xx "
        << Percent(t.status_class[3], t.requests) << ", 4xx "
        << Percent(t.status_class[4], t.requests) << ", 5xx "
        << Percent(t.status_class[5], t.requests) << "; "
        << absl::StrFormat("%.1f MiB", static_cast<double>(t.bytes) / (1 << 20)) << " sent\n";
    if (t.first != absl::InfinitePast() && t.first <= t.last) {
      out << "  from " << ReadableTime(t.first) << " to " << ReadableTime(t.last) << "\n";
    }
  }
  // Rules that fired, most severe first, then most requests.
  std::vector<const RuleSummary*> fired;
  for (const RuleSummary& r : result.by_rule) {
    if (r.alerts > 0) fired.push_back(&r);
  }
  std::stable_sort(fired.begin(), fired.end(), [](const RuleSummary* a, const RuleSummary* b) {
    if (a->rule->severity != b->rule->severity) return a->rule->severity > b->rule->severity;
    return a->requests > b->requests;
  });
  out << "alerts: " << Thousands(result.alerts) << " (per client and rule; --json lists each)\n";
  for (const RuleSummary* r : fired) {
    const std::string severity = absl::AsciiStrToUpper(SeverityName(r->rule->severity));
    const int64_t clients = static_cast<int64_t>(r->clients.size()) + r->clients_dropped;
    out << "  " << absl::StrFormat("%-8s", severity) << " " << r->rule->family << " / "
        << r->rule->id << ": " << Thousands(r->requests)
        << (r->requests == 1 ? " request" : " requests") << " from " << Thousands(clients)
        << (clients == 1 ? " client" : " clients") << ", " << ReadableTime(r->first);
    if (r->last > r->first) out << " .. " << ReadableTime(r->last);
    std::vector<std::pair<std::string, int64_t>> top(r->clients.begin(), r->clients.end());
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (top.size() > 5) top.resize(5);
    out << "\n      most: ";
    for (size_t i = 0; i < top.size(); ++i) {
      out << (i > 0 ? ", " : "") << top[i].first << " (" << Thousands(top[i].second) << ")";
    }
    out << "\n      " << r->rule->description << "\n      Tindakan: " << r->rule->action << "\n";
    if (!r->sample.empty()) out << "      contoh: " << r->sample << "\n";
  }
}

}  // namespace

int RunScanLogCommand(const std::vector<std::string>& raw_args, const std::string& data_dir,
                      std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> parsed = ParseArgs(raw_args);
  if (!parsed.ok()) {
    if (absl::IsCancelled(parsed.status())) {
      out << kUsage;
      return 0;
    }
    err << "pantau-agent scan-log: " << parsed.status().message() << "\n" << kUsage;
    return 2;
  }
  const Args& args = *parsed;

  absl::StatusOr<LogFormat> format = LogFormat::FromConfig(args.format, args.log_format);
  if (!format.ok()) {
    err << "pantau-agent scan-log: " << format.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<std::shared_ptr<const RuleSet>> rules = RuleSet::LoadShipped(data_dir, args.rules);
  if (!rules.ok()) {
    err << "pantau-agent scan-log: " << rules.status().message() << "\n";
    return 1;
  }

  DetectorOptions detector_options;
  detector_options.aggregate_window = args.window;
  detector_options.update_interval = absl::InfiniteDuration();
  detector_options.record_line_numbers = args.json;
  SiteLogAnalysis site("scan-log", *rules, detector_options, VisitorStatsOptions{});
  AccessLogParser access_parser(*format);
  ErrorLogParser error_parser;
  const bool access = args.type == "access";

  ScanResult result;
  std::vector<AlertUpdate> updates;
  // Closed alerts are written out (--json) or summed per rule as they close: nothing grows
  // with the length of the input.
  auto take_closed = [&] {
    for (const AlertUpdate& u : updates) {
      if (!u.closed) continue;
      if (args.json) {
        WriteAlertJson(u, out);
        ++result.alerts;
      } else {
        result.Add(u, (*rules)->rules());
      }
    }
    updates.clear();
  };
  std::vector<v1::VisitorStats> deltas;
  const auto started = std::chrono::steady_clock::now();
  int64_t line_number = 0;
  absl::Time last_time = absl::UnixEpoch();
  for (const std::string& file : args.files) {
    LineReader reader;
    absl::Status opened = reader.Open(file);
    if (!opened.ok()) {
      err << "pantau-agent scan-log: " << opened.message() << "\n";
      return 1;
    }
    absl::string_view line;
    while (reader.Next(&line)) {
      ++line_number;
      if (access) {
        site.AccessLine(access_parser, line, line_number, last_time);
      } else {
        site.ErrorLine(error_parser, line, line_number, last_time);
      }
      if ((line_number & (kCollectEvery - 1)) == 0) {
        const VisitorTotals& totals = site.stats().totals();
        if (totals.last != absl::InfinitePast() && totals.last != absl::InfiniteFuture()) {
          last_time = std::max(last_time, totals.last);
        }
        site.detector().Collect(last_time, &updates);
        take_closed();
        site.stats().Flush(/*include_open=*/false, &deltas);
        deltas.clear();
      }
    }
    if (!reader.status().ok()) {
      err << "pantau-agent scan-log: " << reader.status().message() << "\n";
      return 1;
    }
    result.truncated += reader.truncated();
  }
  site.detector().CloseAll(&updates);
  take_closed();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (args.json) {
    const LineCounters& c = site.counters();
    JsonWriter w;
    w.BeginObject();
    w.Key("type").String("summary");
    w.Key("lines").Int(c.lines);
    w.Key("parsed").Int(access ? c.parsed : c.error_lines);
    w.Key("malformed").Int(access ? c.malformed : c.error_unparsed);
    w.Key("truncated").Int(result.truncated);
    w.Key("alerts").Int(result.alerts);
    w.Key("seconds").Double(result.seconds);
    if (access) {
      const VisitorTotals& t = site.stats().totals();
      w.Key("requests").Int(t.requests);
      w.Key("unique_clients").Int(t.unique_clients);
      w.Key("page_views").Int(t.page_views);
      w.Key("bot_requests").Int(t.bot_requests);
      w.Key("bytes").Int(t.bytes);
    }
    w.EndObject();
    out << w.str() << "\n";
  } else {
    PrintSummary(args, site, result, out);
  }
  return 0;
}

}  // namespace pantau::agent::logwatch
