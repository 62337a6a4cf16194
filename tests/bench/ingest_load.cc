// pantau-ingest-load: how many probe results per second the collector stores, next to a raw
// COPY of the same rows into the same table on the same machine in the same run.
//
//   pantau-ingest-load                          # private PostgreSQL, default workload
//   pantau-ingest-load --agents 200 --batch 500 --batches 15 --concurrency 8 --rounds 3
//   pantau-ingest-load --database "host=/run/postgresql dbname=bench"   # EMPTIES its tables
//
// Each round:
//   1. ingest: --concurrency client threads, each with its own gRPC channel (own TCP
//      connection), drive their share of --agents simulated agents. Every agent first asks for
//      its stored seq (batch_seq 0, as the real agent does at start; not timed), then sends
//      batch_seq 1..--batches of --batch probe results each, round-robin over its agents.
//      Timed from the first send to the last ack. Then every row is checked to be stored
//      exactly once.
//   2. raw COPY, per batch: the same rows (same column values) straight into probe_results
//      with pqxx::stream_to over --concurrency connections, one transaction per batch, as the
//      collector does it, but without the agent lock, site_latest upsert and gRPC.
//   3. raw COPY, single: all rows in one COPY in one transaction on one connection.
//   4. with --collector-sql only: the collector's whole per-batch SQL (agent row lock, COPY,
//      site_latest upserts, last_seq) straight over libpq, i.e. the ingest without gRPC and
//      without the collector process; tells the two costs apart.
// and prints rows/s of each, the ratio ingest / raw COPY, Push latency percentiles, where the
// CPU went, and the machine. Exit code 0, or 1 when a phase failed or a row count is wrong.
//
// Figures and discussion: docs/BENCHMARKS.md. Benchmarks are not tests: nothing is asserted
// about speed.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "collector/app/collector_app.h"
#include "collector/config/collector_config.h"
#include "collector/store/statements.h"
#include "common/clock.h"
#include "common/log.h"
#include "pantau/v1/agent_service.grpc.pb.h"
#include "pantau/v1/agent_service.pb.h"
#include "tests/testing/postgres_server.h"

namespace pantau::bench {
namespace {

using Steady = std::chrono::steady_clock;

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  int agents = 200;
  int batch = 500;
  int batches = 15;
  int concurrency = 8;
  int sites = 10;
  int rounds = 1;
  bool single_copy = true;
  bool collector_sql = false;
  std::string only;  // "ingest" or "copy": run one side only (for profiling)
  std::string database;  // empty: start a private PostgreSQL
};

constexpr char kUsage[] =
    "usage: pantau-ingest-load [flags]\n"
    "  --agents N        simulated agents (default 200)\n"
    "  --batch B         probe results per Push (default 500; the collector takes at most 1000)\n"
    "  --batches K       batches per agent (default 15: 200 x 500 x 15 = 1.5 million rows)\n"
    "  --concurrency C   client threads, gRPC channels and COPY connections (default 8);\n"
    "                    also the collector's database pool size\n"
    "  --sites S         sites each agent probes, round-robin (default 10, at most 200)\n"
    "  --rounds R        repeat ingest + raw COPY R times and report each and the median\n"
    "                    (default 1)\n"
    "  --no-single-copy  skip the single-transaction COPY reference\n"
    "  --collector-sql   also run the collector's per-batch SQL (agent lock, COPY, site_latest\n"
    "                    upserts, last_seq) straight over libpq: ingest minus gRPC and the\n"
    "                    collector process\n"
    "  --only ingest|copy  run one side only (to profile it, e.g. under perf record)\n"
    "  --database CONNINFO  use this database instead of a private PostgreSQL; its pantau\n"
    "                    tables (probe_results, agents, site_latest, agent_heartbeats) are\n"
    "                    EMPTIED\n";

bool ParseOptions(int argc, char** argv, Options* o) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "--help" || name == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (name == "--no-single-copy") {
      o->single_copy = false;
      continue;
    }
    if (name == "--collector-sql") {
      o->collector_sql = true;
      continue;
    }
    static const char* const kValued[] = {"--database", "--only",        "--agents", "--batch",
                                          "--batches",  "--concurrency", "--sites",  "--rounds"};
    if (std::find(std::begin(kValued), std::end(kValued), name) == std::end(kValued)) {
      std::cerr << "unknown flag " << name << "\n" << kUsage;
      return false;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        std::cerr << "missing value for " << name << "\n" << kUsage;
        return false;
      }
      value = args[++i];
    }
    if (name == "--database") {
      o->database = value;
      continue;
    }
    if (name == "--only") {
      if (value != "ingest" && value != "copy") {
        std::cerr << "--only takes ingest or copy\n";
        return false;
      }
      o->only = value;
      continue;
    }
    int* target = nullptr;
    if (name == "--agents") target = &o->agents;
    if (name == "--batch") target = &o->batch;
    if (name == "--batches") target = &o->batches;
    if (name == "--concurrency") target = &o->concurrency;
    if (name == "--sites") target = &o->sites;
    if (name == "--rounds") target = &o->rounds;
    if (target == nullptr) {
      std::cerr << "unknown flag " << name << "\n" << kUsage;
      return false;
    }
    if (!absl::SimpleAtoi(value, target) || *target < 1) {
      std::cerr << name << " needs a positive integer, got '" << value << "'\n";
      return false;
    }
  }
  if (o->sites > 200) {
    std::cerr << "--sites is at most 200\n";
    return false;
  }
  if (o->batch > 1000) {
    std::cerr << "--batch is at most 1000 (collector limit max_events_per_batch)\n";
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The workload: deterministic probe results, identical for the gRPC and the COPY phases.

// 2024-01-01T00:00:00Z: all probes start after this.
constexpr int64_t kEpochMs = 1704067200000;
constexpr int64_t kProbeIntervalMs = 60000;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Agent {
  std::string agent_id;  // "agent-pn-0042"
  std::string court_id;  // "PN-0042"
  std::vector<std::string> sites;
  std::vector<std::string> urls;
};

// One probe result, all columns but the agent's and the batch's.
struct Probe {
  uint64_t event_id;
  int site;
  int64_t started_ms;
  int64_t observed_ms;
  int32_t http_status;
  int64_t dns_us, connect_us, tls_us, first_byte_us, total_us, body_bytes;
};

class Workload {
 public:
  explicit Workload(const Options& o) : o_(o) {
    static const char* const kSiteNames[] = {"www",  "sipp", "eraterang", "jdih",  "ecourt",
                                             "ppid", "lpse", "mail",      "zi-wbk", "survei"};
    constexpr int kNames = sizeof(kSiteNames) / sizeof(kSiteNames[0]);
    agents_.resize(o.agents);
    for (int a = 0; a < o.agents; ++a) {
      Agent& agent = agents_[a];
      const std::string court = absl::StrFormat("pn-%04d", a + 1);
      agent.agent_id = absl::StrCat("agent-", court);
      agent.court_id = absl::StrFormat("PN-%04d", a + 1);
      for (int s = 0; s < o.sites; ++s) {
        std::string name = kSiteNames[s % kNames];
        if (s >= kNames) absl::StrAppend(&name, "-", s / kNames);
        agent.sites.push_back(absl::StrCat(court, "-", name));
        agent.urls.push_back(s % kNames == 0
                                 ? absl::StrCat("https://", court, ".go.id/")
                                 : absl::StrCat("https://", name, ".", court,
                                                ".go.id/index.php?page=status"));
      }
    }
  }

  const Options& options() const { return o_; }
  const Agent& agent(int a) const { return agents_[a]; }
  int64_t total_rows() const {
    return static_cast<int64_t>(o_.agents) * o_.batches * o_.batch;
  }

  // Event `event_id` (1-based, strictly increasing per agent) of agent `a`.
  Probe MakeProbe(int a, uint64_t event_id) const {
    Probe p;
    p.event_id = event_id;
    const uint64_t n = event_id - 1;
    p.site = static_cast<int>(n % o_.sites);
    // Every site once per interval, staggered by 250 ms; agents staggered by 7 ms.
    p.started_ms = kEpochMs + a * 7 + static_cast<int64_t>(n / o_.sites) * kProbeIntervalMs +
                   p.site * 250;
    uint64_t r = Mix((static_cast<uint64_t>(a) << 40) ^ event_id);
    auto take = [&r](int64_t lo, int64_t hi) {
      const int64_t v = lo + static_cast<int64_t>(r % static_cast<uint64_t>(hi - lo + 1));
      r = Mix(r);
      return v;
    };
    p.http_status = 200;
    p.dns_us = take(150, 4000);
    p.connect_us = take(800, 40000);
    p.tls_us = take(4000, 90000);
    p.first_byte_us = take(15000, 900000);
    const int64_t transfer_us = take(100, 60000);
    p.total_us = p.dns_us + p.connect_us + p.tls_us + p.first_byte_us + transfer_us;
    p.body_bytes = take(4000, 250000);
    p.observed_ms = p.started_ms + p.total_us / 1000;
    return p;
  }

  uint64_t FirstEventId(int batch_seq) const {
    return static_cast<uint64_t>(batch_seq - 1) * o_.batch + 1;
  }

  // The Push of batch `batch_seq` (1-based) of agent `a`. Reuses `req`'s memory.
  void BuildRequest(int a, int batch_seq, v1::PushRequest* req) const {
    const Agent& agent = agents_[a];
    req->Clear();
    req->set_agent_id(agent.agent_id);
    req->set_court_id(agent.court_id);
    req->set_batch_seq(batch_seq);
    const uint64_t first = FirstEventId(batch_seq);
    for (int j = 0; j < o_.batch; ++j) {
      const Probe p = MakeProbe(a, first + j);
      v1::Event* e = req->add_events();
      e->set_agent_event_id(p.event_id);
      e->set_observed_unix_ms(p.observed_ms);
      v1::ProbeResult* r = e->mutable_probe();
      r->set_site(agent.sites[p.site]);
      r->set_url(agent.urls[p.site]);
      r->set_started_unix_ms(p.started_ms);
      r->set_up(true);
      r->set_http_status(p.http_status);
      r->set_dns_us(p.dns_us);
      r->set_connect_us(p.connect_us);
      r->set_tls_us(p.tls_us);
      r->set_first_byte_us(p.first_byte_us);
      r->set_total_us(p.total_us);
      r->set_body_bytes(p.body_bytes);
    }
  }

  // Agents of client thread `t`: a % concurrency == t.
  std::vector<int> AgentsOf(int t) const {
    std::vector<int> out;
    for (int a = t; a < o_.agents; a += o_.concurrency) out.push_back(a);
    return out;
  }

 private:
  const Options o_;
  std::vector<Agent> agents_;
};

// PgTime, ProbeColumns and the prepared statements are the collector's own
// (collector/store/statements.h), so the raw COPY and --collector-sql write exactly what
// Store::StoreBatch writes.
using collector::PgTime;
using collector::ProbeColumns;

// Writes batch `batch_seq` of agent `a` as COPY rows, with the column values the collector
// stores for the same Push.
void CopyBatch(const Workload& w, int a, int batch_seq, pqxx::stream_to& copy) {
  const Agent& agent = w.agent(a);
  const uint64_t first = w.FirstEventId(batch_seq);
  static const std::string kNoError, kHttp = "http", kNoAnswers = "{}";
  static const std::optional<int> kNoDays;
  for (int j = 0; j < w.options().batch; ++j) {
    const Probe p = w.MakeProbe(a, first + j);
    copy << std::make_tuple(agent.court_id, agent.agent_id, static_cast<int64_t>(p.event_id),
                            static_cast<int64_t>(batch_seq), agent.sites[p.site],
                            agent.urls[p.site], PgTime(p.started_ms), true, p.http_status,
                            p.dns_us, p.connect_us, p.tls_us, p.first_byte_us, p.total_us,
                            p.body_bytes, kNoError, kHttp, kNoError, 0, kNoError, false, false,
                            kNoDays, kNoError, kNoError, kNoAnswers);
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: where the cycles of a phase went.

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

double TicksToSeconds(double ticks) { return ticks / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// Busy CPU seconds of the whole machine (all processes), from /proc/stat.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
  // cpu user nice system idle iowait irq softirq steal ...
  double busy = 0;
  for (size_t i = 1; i < f.size() && i <= 8; ++i) {
    if (i == 4 || i == 5) continue;  // idle, iowait
    double v = 0;
    if (absl::SimpleAtod(f[i], &v)) busy += v;
  }
  return TicksToSeconds(busy);
}

// Fields of /proc/<pid>/stat after the command name: [0] is field 3 (state), so field n of
// proc(5) is at [n - 3]. Empty when the process is gone.
std::vector<std::string> ProcStat(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return {};
  return absl::StrSplit(line.substr(paren + 1), ' ', absl::SkipEmpty());
}

double StatField(const std::vector<std::string>& f, int n) {
  double v = 0;
  if (static_cast<int>(f.size()) > n - 3) (void)absl::SimpleAtod(f[n - 3], &v);
  return v;
}

// CPU seconds used so far by a local PostgreSQL server: the postmaster, its live children
// (backends, walwriter, checkpointer, ...) and the children it has already reaped (cutime,
// cstime), so backends of closed connections still count. -1 when `postmaster` is 0 or gone.
double PostgresCpuSeconds(int postmaster) {
  if (postmaster <= 0) return -1;
  const std::vector<std::string> pm = ProcStat(postmaster);
  if (pm.empty()) return -1;
  double ticks = StatField(pm, 14) + StatField(pm, 15) + StatField(pm, 16) + StatField(pm, 17);
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(it->path().filename().string(), &pid)) continue;
    const std::vector<std::string> f = ProcStat(pid);
    if (f.empty() || static_cast<int>(StatField(f, 4)) != postmaster) continue;
    ticks += StatField(f, 14) + StatField(f, 15);
  }
  return TicksToSeconds(ticks);
}

// The postmaster of the server behind `conninfo` when it runs on this machine, else 0.
int FindPostmaster(const std::string& conninfo) {
  try {
    pqxx::connection c(conninfo);
    pqxx::nontransaction txn(c);
    const int backend = txn.exec("SELECT pg_backend_pid()")[0][0].as<int>();
    const std::vector<std::string> f = ProcStat(backend);
    if (f.empty()) return 0;
    // A backend's parent is its postmaster.
    const int parent = static_cast<int>(StatField(f, 4));
    std::ifstream comm(absl::StrCat("/proc/", parent, "/comm"));
    std::string name;
    std::getline(comm, name);
    return absl::StartsWith(name, "postgres") ? parent : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

int g_postmaster = 0;

struct CpuSnapshot {
  double process = ProcessCpuSeconds();
  double machine = MachineBusySeconds();
  double postgres = PostgresCpuSeconds(g_postmaster);
};

struct CpuUse {
  double client = 0;      // load-generator / COPY client threads
  double in_process = 0;  // whole process (client + in-process collector)
  double postgres = -1;   // the PostgreSQL server; -1 when not local
  double machine = 0;     // every process on the machine
  // Everything else on the machine (other work running at the same time).
  // (Clamped: the counters tick at different granularities.)
  double other() const { return std::max(0.0, machine - in_process - std::max(postgres, 0.0)); }
};

CpuUse CpuSince(const CpuSnapshot& start, double client_seconds) {
  CpuSnapshot end;
  CpuUse use{client_seconds, end.process - start.process, -1, end.machine - start.machine};
  if (start.postgres >= 0 && end.postgres >= 0) use.postgres = end.postgres - start.postgres;
  return use;
}

// ---------------------------------------------------------------------------------------------
// Phases

struct PhaseResult {
  bool ok = false;
  std::string error;
  double seconds = 0;
  int64_t rows = 0;
  double rows_per_second() const { return seconds > 0 ? rows / seconds : 0; }
  CpuUse cpu;
  std::vector<double> latencies_ms;  // ingest only: one per Push
  int64_t retries = 0;
};

struct Timed {
  double seconds = 0;
  CpuUse cpu;
};

// Runs fn(t, ready) on `threads` threads; each calls ready() once set up, which waits for the
// common start. Returns the wall time from the start to the last thread's end, and the CPU
// used meanwhile (set-up excluded; "client" is the threads' own CPU time).
template <typename Fn>
Timed RunTimed(int threads, Fn fn) {
  absl::BlockingCounter ready(threads);
  absl::Notification go;
  std::vector<double> cpu(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      fn(t, [&] {
        ready.DecrementCount();
        go.WaitForNotification();
        cpu[t] = -ThreadCpuSeconds();
      });
      cpu[t] += ThreadCpuSeconds();
    });
  }
  ready.Wait();
  const CpuSnapshot cpu_start;
  const Steady::time_point start = Steady::now();
  go.Notify();
  for (std::thread& th : pool) th.join();
  Timed timed;
  timed.seconds = SecondsSince(start);
  double client = 0;
  for (double c : cpu) client += c;
  timed.cpu = CpuSince(cpu_start, client);
  return timed;
}

class ErrorSink {
 public:
  void Set(const std::string& e) {
    absl::MutexLock l(&mu_);
    if (error_.empty()) error_ = e;
    failed_.store(true);
  }
  bool failed() const { return failed_.load(); }
  std::string error() {
    absl::MutexLock l(&mu_);
    return error_;
  }

 private:
  absl::Mutex mu_;
  std::string error_;
  std::atomic<bool> failed_{false};
};

PhaseResult RunIngest(const Workload& w, int grpc_port) {
  const Options& o = w.options();
  const std::string address = absl::StrCat("127.0.0.1:", grpc_port);
  ErrorSink errors;
  std::vector<std::vector<double>> latencies(o.concurrency);
  std::atomic<int64_t> retries{0};
  std::atomic<int64_t> rows{0};

  const Timed timed = RunTimed(o.concurrency, [&](int t, auto ready) {
    const std::vector<int> agents = w.AgentsOf(t);
    // Its own channel with a private subchannel pool: its own TCP connection, as separate
    // agent hosts would have.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    std::unique_ptr<v1::AgentService::Stub> stub = v1::AgentService::NewStub(channel);
    auto push = [&](const v1::PushRequest& req, v1::PushResponse* resp) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      return stub->Push(&ctx, req, resp);
    };
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      errors.Set("cannot connect to the collector at " + address);
    }
    // What the agent does at start: ask for the highest stored seq (not timed).
    v1::PushRequest req;
    v1::PushResponse resp;
    for (int a : agents) {
      if (errors.failed()) break;
      req.Clear();
      req.set_agent_id(w.agent(a).agent_id);
      req.set_court_id(w.agent(a).court_id);
      grpc::Status s = push(req, &resp);
      if (!s.ok() || resp.acked_seq() != 0) {
        errors.Set(absl::StrCat("start-up Push of ", req.agent_id(), ": ", s.error_message(),
                                " acked_seq=", resp.acked_seq(), " (tables not empty?)"));
      }
    }
    std::vector<double>& lat = latencies[t];
    lat.reserve(static_cast<size_t>(agents.size()) * o.batches);
    ready();
    for (int k = 1; k <= o.batches && !errors.failed(); ++k) {
      for (int a : agents) {
        if (errors.failed()) break;
        w.BuildRequest(a, k, &req);
        for (int attempt = 1;; ++attempt) {
          const Steady::time_point sent = Steady::now();
          grpc::Status s = push(req, &resp);
          if (s.ok() && resp.acked_seq() == static_cast<uint64_t>(k)) {
            lat.push_back(SecondsSince(sent) * 1e3);
            break;
          }
          // The collector stores a batch exactly once, so resending is always safe.
          if (attempt == 5) {
            errors.Set(absl::StrCat("Push of batch ", k, " of ", req.agent_id(), " failed: code ",
                                    s.error_code(), " ", s.error_message(),
                                    " acked_seq=", resp.acked_seq()));
            break;
          }
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
        }
        rows += o.batch;
      }
    }
  });

  PhaseResult r;
  r.cpu = timed.cpu;
  r.seconds = timed.seconds;
  r.rows = rows.load();
  r.retries = retries.load();
  for (auto& v : latencies) r.latencies_ms.insert(r.latencies_ms.end(), v.begin(), v.end());
  r.ok = !errors.failed();
  r.error = errors.error();
  return r;
}

// The same rows as RunIngest, COPY straight into probe_results: `concurrency` connections,
// one transaction per batch. With `collector_sql` each transaction also runs the collector's
// other statements (agent row lock, one site_latest upsert per site, last_seq update) exactly
// as StoreBatch does, so the difference to the ingest is gRPC and the collector process alone.
PhaseResult RunCopyPerBatch(const Workload& w, const std::string& conninfo, bool collector_sql) {
  const Options& o = w.options();
  ErrorSink errors;
  std::atomic<int64_t> rows{0};
  const Timed timed = RunTimed(o.concurrency, [&](int t, auto ready) {
    const std::vector<int> agents = w.AgentsOf(t);
    std::unique_ptr<pqxx::connection> conn;
    try {
      conn = std::make_unique<pqxx::connection>(conninfo);
      if (collector_sql) collector::PrepareStatements(*conn);
    } catch (const std::exception& e) {
      errors.Set(absl::StrCat("connecting: ", e.what()));
    }
    ready();
    if (conn == nullptr) return;
    static const std::string kNoError;
    try {
      for (int k = 1; k <= o.batches && !errors.failed(); ++k) {
        for (int a : agents) {
          const Agent& agent = w.agent(a);
          pqxx::work txn(*conn);
          if (collector_sql) {
            const pqxx::result locked =
                txn.exec_prepared("lock_agent", agent.agent_id, agent.court_id);
            if (locked[0][0].as<int64_t>() >= k) throw std::runtime_error("batch stored twice");
          }
          {
            pqxx::stream_to copy(txn, "probe_results", ProbeColumns());
            CopyBatch(w, a, k, copy);
            copy.complete();
          }
          if (collector_sql) {
            // Newest probe per site: the batch's last event of each site.
            std::map<int, Probe> newest;
            const uint64_t first = w.FirstEventId(k);
            for (int j = 0; j < o.batch; ++j) {
              const Probe p = w.MakeProbe(a, first + j);
              newest[p.site] = p;
            }
            for (const auto& [site, p] : newest) {
              txn.exec_prepared("upsert_latest", agent.court_id, agent.sites[site],
                                agent.agent_id, agent.urls[site], true, p.http_status,
                                p.total_us, kNoError, PgTime(p.started_ms), kNoError,
                                kNoError, false, false, std::optional<int>(), kNoError,
                                kNoError);
            }
            txn.exec_prepared("advance_agent", agent.agent_id, static_cast<int64_t>(k),
                              agent.court_id);
          }
          txn.commit();
          rows += o.batch;
        }
      }
    } catch (const std::exception& e) {
      errors.Set(absl::StrCat("COPY: ", e.what()));
    }
  });
  PhaseResult r;
  r.cpu = timed.cpu;
  r.seconds = timed.seconds;
  r.rows = rows.load();
  r.ok = !errors.failed();
  r.error = errors.error();
  return r;
}

// The same rows in one COPY, one transaction, one connection.
PhaseResult RunCopySingle(const Workload& w, const std::string& conninfo) {
  const Options& o = w.options();
  ErrorSink errors;
  std::atomic<int64_t> rows{0};
  const Timed timed = RunTimed(1, [&](int, auto ready) {
    std::unique_ptr<pqxx::connection> conn;
    try {
      conn = std::make_unique<pqxx::connection>(conninfo);
    } catch (const std::exception& e) {
      errors.Set(absl::StrCat("connecting: ", e.what()));
    }
    ready();
    if (conn == nullptr) return;
    try {
      pqxx::work txn(*conn);
      pqxx::stream_to copy(txn, "probe_results", ProbeColumns());
      for (int k = 1; k <= o.batches; ++k) {
        for (int a = 0; a < o.agents; ++a) {
          CopyBatch(w, a, k, copy);
          rows += o.batch;
        }
      }
      copy.complete();
      txn.commit();
    } catch (const std::exception& e) {
      errors.Set(absl::StrCat("COPY: ", e.what()));
    }
  });
  PhaseResult r;
  r.cpu = timed.cpu;
  r.seconds = timed.seconds;
  r.rows = rows.load();
  r.ok = !errors.failed();
  r.error = errors.error();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Database helpers

std::string QueryText(const std::string& conninfo, const std::string& sql) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction txn(c);
  pqxx::result r = txn.exec(sql);
  return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

// Empties the tables a round writes and flushes dirty buffers, so every phase starts from the
// same state and no phase pays for the previous one's checkpoint.
void ResetTables(const std::string& conninfo, bool agents_too) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction txn(c);
  txn.exec(agents_too ? "TRUNCATE probe_results, agents, site_latest, agent_heartbeats"
                      : "TRUNCATE probe_results");
  try {
    txn.exec("CHECKPOINT");  // needs superuser (the private server's user is one)
  } catch (const std::exception&) {
  }
}

// Checks that each of the workload's rows is stored exactly once. Returns a one-line summary,
// or an error naming the mismatch.
absl::StatusOr<std::string> VerifyRows(const Workload& w, const std::string& conninfo,
                                       bool check_agents) {
  const Options& o = w.options();
  const int64_t expected = w.total_rows();
  pqxx::connection c(conninfo);
  pqxx::nontransaction txn(c);
  pqxx::result r = txn.exec(
      "SELECT count(*), count(DISTINCT (agent_id, agent_event_id)), "
      "coalesce(min(agent_event_id), 0), coalesce(max(agent_event_id), 0) FROM probe_results");
  const int64_t count = r[0][0].as<int64_t>();
  const int64_t distinct = r[0][1].as<int64_t>();
  const int64_t min_id = r[0][2].as<int64_t>();
  const int64_t max_id = r[0][3].as<int64_t>();
  std::string summary = absl::StrCat(count, " rows, ", distinct,
                                     " distinct (agent_id, agent_event_id), ids ", min_id, "..",
                                     max_id);
  const int64_t per_agent = static_cast<int64_t>(o.batches) * o.batch;
  bool ok = count == expected && distinct == expected && min_id == 1 && max_id == per_agent;
  if (check_agents) {
    pqxx::result a = txn.exec_params("SELECT count(*) FROM agents WHERE last_seq = $1",
                                     static_cast<int64_t>(o.batches));
    const int64_t done = a[0][0].as<int64_t>();
    absl::StrAppend(&summary, ", ", done, " agents at last_seq ", o.batches);
    ok = ok && done == o.agents;
  }
  if (!ok) {
    return absl::DataLossError(
        absl::StrCat("expected ", expected, " rows each exactly once, found ", summary));
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Report

std::string MachineLine() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (absl::StartsWith(line, "model name")) {
      model = std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  double mem_gib = 0;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (absl::StartsWith(line, "MemTotal:")) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      double kb = 0;
      if (f.size() >= 2 && absl::SimpleAtod(f[1], &kb)) mem_gib = kb / (1024 * 1024);
    }
  }
  return absl::StrFormat("%d CPUs (nproc), %s, %.1f GiB RAM",
                         static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), model, mem_gib);
}

double Percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::ceil(q * sorted.size()));
  i = std::clamp<size_t>(i, 1, sorted.size()) - 1;
  return sorted[i];
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Thousands(double v) {
  std::string digits = absl::StrCat(static_cast<int64_t>(std::llround(v)));
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    if (i < n - 1 && (n - 1 - i) % 3 == 0 && digits[i] != '-') out.push_back(',');
  }
  return out;
}

void PrintPhase(const std::string& name, const PhaseResult& r, bool with_collector) {
  std::string cpu = with_collector
                        ? absl::StrFormat("loadgen %.1f, collector %.1f", r.cpu.client,
                                          r.cpu.in_process - r.cpu.client)
                        : absl::StrFormat("client %.1f", r.cpu.in_process);
  if (r.cpu.postgres >= 0) absl::StrAppendFormat(&cpu, ", postgres %.1f", r.cpu.postgres);
  absl::StrAppendFormat(&cpu, ", other %.1f", r.cpu.other());
  std::cout << absl::StrFormat("  %-38s %10d %8.2f %11s   %s\n", name, r.rows, r.seconds,
                               Thousands(r.rows_per_second()), cpu);
}

struct Round {
  PhaseResult ingest, copy_batch, copy_single, collector_sql;
};

int Run(const Options& o) {
  std::unique_ptr<testing::PostgresServer> pg;
  std::string conninfo = o.database;
  if (conninfo.empty()) {
    absl::StatusOr<std::unique_ptr<testing::PostgresServer>> started =
        testing::PostgresServer::Start();
    if (!started.ok()) {
      std::cerr << "cannot start PostgreSQL: " << started.status() << "\n";
      return 1;
    }
    pg = std::move(*started);
    absl::StatusOr<std::string> db = pg->CreateDatabase();
    if (!db.ok()) {
      std::cerr << "cannot create a database: " << db.status() << "\n";
      return 1;
    }
    conninfo = *db;
  }

  RealClock clock;
  collector::CollectorConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "";
  config.insecure = true;
  config.database = conninfo;
  config.database_pool_size = o.concurrency;
  absl::StatusOr<std::unique_ptr<collector::CollectorApp>> app =
      collector::CollectorApp::Create(config, clock);
  if (!app.ok()) {
    std::cerr << "cannot create the collector: " << app.status() << "\n";
    return 1;
  }
  if (absl::Status s = (*app)->Start(); !s.ok()) {
    std::cerr << "cannot start the collector: " << s << "\n";
    return 1;
  }

  const Workload w(o);
  g_postmaster = FindPostmaster(conninfo);
  std::string pg_version, pg_settings;
  try {
    pg_version = QueryText(conninfo, "SELECT split_part(version(), ' on ', 1)");
    pg_settings = QueryText(
        conninfo,
        "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) "
        "FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', "
        "'max_wal_size', 'wal_level', 'full_page_writes')");
  } catch (const std::exception& e) {
    std::cerr << "cannot query PostgreSQL: " << e.what() << "\n";
    return 1;
  }

  std::cout << "pantau ingest benchmark\n"
            << "  machine:  " << MachineLine() << "; load generator, collector and "
            << "PostgreSQL share it\n"
            << "  database: " << pg_version << " (" << pg_settings << ")"
            << (o.database.empty() ? ", private server from tests/testing" : "") << "\n"
            << absl::StrFormat(
                   "  workload: %d agents x %d batches x %d probe results = %s rows, %d sites "
                   "per agent; %d client threads/channels, %d COPY connections, collector "
                   "pool %d\n",
                   o.agents, o.batches, o.batch, Thousands(w.total_rows()), o.sites,
                   o.concurrency, o.concurrency, o.concurrency)
            << std::flush;

  const bool do_ingest = o.only != "copy";
  const bool do_copy = o.only != "ingest";
  auto check = [&](const PhaseResult& r, bool check_agents) {
    if (!r.ok) throw std::runtime_error(r.error);
    absl::StatusOr<std::string> v = VerifyRows(w, conninfo, check_agents);
    if (!v.ok()) throw std::runtime_error(std::string(v.status().message()));
    return *v;
  };

  bool ok = true;
  std::vector<Round> rounds;
  for (int round = 1; round <= o.rounds && ok; ++round) {
    Round rd;
    try {
      std::cout << "\nround " << round << " of " << o.rounds << "\n"
                << absl::StrFormat("  %-38s %10s %8s %11s   %s\n", "phase", "rows", "seconds",
                                   "rows/s", "CPU seconds")
                << std::flush;
      // Odd rounds start with the ingest, even rounds with the raw COPY, so neither always
      // runs on the warmer (or more fragmented) machine.
      std::string ingest_verified;
      auto ingest = [&] {
        ResetTables(conninfo, /*agents_too=*/true);
        rd.ingest = RunIngest(w, (*app)->grpc_port());
        PrintPhase("ingest: gRPC Push -> collector -> COPY", rd.ingest, true);
        ingest_verified = check(rd.ingest, /*check_agents=*/true);
      };
      auto copy = [&] {
        ResetTables(conninfo, /*agents_too=*/false);
        rd.copy_batch = RunCopyPerBatch(w, conninfo, /*collector_sql=*/false);
        PrintPhase(absl::StrFormat("raw COPY: %d conns, 1 txn/%d rows", o.concurrency, o.batch),
                   rd.copy_batch, false);
        check(rd.copy_batch, false);
        if (o.single_copy) {
          ResetTables(conninfo, /*agents_too=*/false);
          rd.copy_single = RunCopySingle(w, conninfo);
          PrintPhase("raw COPY: 1 conn, 1 txn (reference)", rd.copy_single, false);
          check(rd.copy_single, false);
        }
        if (o.collector_sql) {
          ResetTables(conninfo, /*agents_too=*/true);
          rd.collector_sql = RunCopyPerBatch(w, conninfo, /*collector_sql=*/true);
          PrintPhase("collector's SQL over libpq, no gRPC", rd.collector_sql, false);
          check(rd.collector_sql, /*check_agents=*/true);
        }
      };
      if (round % 2 == 1) {
        if (do_ingest) ingest();
        if (do_copy) copy();
      } else {
        if (do_copy) copy();
        if (do_ingest) ingest();
      }

      if (do_ingest && do_copy) {
        std::cout << absl::StrFormat("  ratio ingest / raw COPY (1 txn per batch): %.2f",
                                     rd.ingest.rows_per_second() /
                                         rd.copy_batch.rows_per_second());
        if (o.single_copy) {
          std::cout << absl::StrFormat(";  / single-txn COPY: %.2f",
                                       rd.ingest.rows_per_second() /
                                           rd.copy_single.rows_per_second());
        }
        std::cout << "\n";
      }
      if (do_ingest) {
        std::vector<double> lat = rd.ingest.latencies_ms;
        std::sort(lat.begin(), lat.end());
        std::cout << absl::StrFormat(
                         "  Push latency (%d pushes of %d): p50 %.1f ms, p99 %.1f ms, max %.1f "
                         "ms; retries %d\n",
                         lat.size(), o.batch, Percentile(lat, 0.50), Percentile(lat, 0.99),
                         lat.empty() ? 0.0 : lat.back(), rd.ingest.retries)
                  << "  verified after ingest: " << ingest_verified << "\n";
      }
      std::cout << std::flush;
      rounds.push_back(std::move(rd));
    } catch (const std::exception& e) {
      std::cout << std::flush;
      std::cerr << "FAILED: " << e.what() << "\n";
      ok = false;
    }
  }

  if (ok && !rounds.empty()) {
    std::vector<double> ingest, copy_batch, copy_single, collector_sql, ratio, ratio_single, p50,
        p99;
    for (const Round& rd : rounds) {
      collector_sql.push_back(rd.collector_sql.rows_per_second());
      ingest.push_back(rd.ingest.rows_per_second());
      copy_batch.push_back(rd.copy_batch.rows_per_second());
      copy_single.push_back(rd.copy_single.rows_per_second());
      if (do_ingest && do_copy) {
        ratio.push_back(rd.ingest.rows_per_second() / rd.copy_batch.rows_per_second());
        if (o.single_copy) {
          ratio_single.push_back(rd.ingest.rows_per_second() / rd.copy_single.rows_per_second());
        }
      }
      std::vector<double> lat = rd.ingest.latencies_ms;
      std::sort(lat.begin(), lat.end());
      p50.push_back(Percentile(lat, 0.5));
      p99.push_back(Percentile(lat, 0.99));
    }
    auto line = [](const std::string& label, const std::string& value) {
      std::cout << absl::StrFormat("  %-46s %s\n", label, value);
    };
    std::cout << "\nsummary (" << (rounds.size() == 1 ? "1 round" : absl::StrCat(
                                                                      "median of ", rounds.size(),
                                                                      " rounds"))
              << ")\n";
    if (do_ingest) {
      line(absl::StrFormat("ingest, gRPC Push (%d agents, batches of %d)", o.agents, o.batch),
           Thousands(Median(ingest)) + " rows/s");
    }
    if (do_copy) {
      line(absl::StrFormat("raw COPY, %d conns, 1 txn per %d rows", o.concurrency, o.batch),
           Thousands(Median(copy_batch)) + " rows/s");
      if (o.single_copy) {
        line("raw COPY, 1 conn, 1 txn (reference)", Thousands(Median(copy_single)) + " rows/s");
      }
      if (o.collector_sql) {
        line("collector's SQL over libpq, no gRPC", Thousands(Median(collector_sql)) + " rows/s");
      }
    }
    if (!ratio.empty()) {
      line("ratio ingest / raw COPY (1 txn per batch)",
           absl::StrFormat("%.2f", Median(ratio)) +
               (Median(ratio) >= 0.5 ? "  (goal >= 0.50: met)" : "  (goal >= 0.50: NOT met)"));
    }
    if (!ratio_single.empty()) {
      line("ratio ingest / raw COPY (1 txn)", absl::StrFormat("%.2f", Median(ratio_single)));
    }
    if (do_ingest) {
      line("Push latency p50 / p99",
           absl::StrFormat("%.1f / %.1f ms", Median(p50), Median(p99)));
    }
  }

  (*app)->Shutdown();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace pantau::bench

int main(int argc, char** argv) {
  pantau::bench::Options options;
  if (!pantau::bench::ParseOptions(argc, argv, &options)) return 2;
  // Info lines of the in-process collector would clutter the table; warnings (refused or
  // failed pushes, and the expected "serving gRPC WITHOUT TLS") still go to stderr.
  pantau::SetMinLogLevel(pantau::LogLevel::kWarning);
  return pantau::bench::Run(options);
}
