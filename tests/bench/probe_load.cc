// pantau-probe-load: how many HTTP(S) probes per CPU-second our HttpEngine does, next to
// Prometheus blackbox_exporter probing the same local nginx at the same concurrency.
//
//   pantau-probe-load                                  # defaults: 3 rounds, 20000/5000 probes
//   pantau-probe-load --http-probes 20000 --https-probes 5000 --concurrency 32 --rounds 3
//   pantau-probe-load --only engine --rounds 1         # one side only (for profiling)
//
// Set-up: a test CA and a server certificate for 127.0.0.1 (RSA 2048 or, with --cert-key ec,
// ECDSA P-256; openssl CLI), a private
// nginx (tests/testing/nginx_server.h) serving a small page over http and https (access log
// off), and blackbox_exporter (/usr/bin/prometheus-blackbox-exporter) with an http_2xx module
// and a tls module that trusts the test CA.
//
// Each round, for http then https, N probes per side, run in --chunks chunks that alternate
// between the two sides (and their order), so that both see the same background load:
//   engine:   our HttpEngine fetches the page N times, --concurrency at once, each fetch on a
//             fresh connection (fresh TCP, full TLS handshake, no session reuse), certificate
//             read (inspect_tls) as the agent does. CPU = this process (getrusage RUSAGE_SELF);
//             nothing else runs in it meanwhile.
//   blackbox: the same N probes asked of blackbox_exporter (GET /probe?target=...&module=...,
//             --concurrency at once) by an HttpEngine driver over kept-alive connections.
//             CPU = blackbox_exporter's own (/proc/<pid>/stat utime + stime); the driver's
//             CPU is not counted. blackbox builds a new HTTP client per probe: fresh
//             connection, full handshake, as ours.
// nginx's CPU is counted for neither (printed for reference), nor is the rest of the machine
// ("other": busy CPU of the whole machine minus the processes above).
//
// Figures and discussion: docs/BENCHMARKS.md. Benchmarks are not tests: nothing is asserted
// about speed. Exit code 0, or 1 when set-up failed or a probe did not succeed.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/probes/http_engine.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/ports.h"

namespace pantau::bench {
namespace {

using agent::FetchRequest;
using agent::FetchResult;
using agent::HttpEngine;
using agent::HttpEngineOptions;
using Steady = std::chrono::steady_clock;

constexpr char kBlackbox[] = "/usr/bin/prometheus-blackbox-exporter";

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  int http_probes = 20000;
  int https_probes = 5000;
  int concurrency = 32;
  int rounds = 3;
  std::string only;  // "engine" or "blackbox"
  int chunks = 10;
  bool keep_dir = false;
  bool inspect_tls = true;
  std::string tls_protocols = "TLSv1.2 TLSv1.3";
  std::string cert_key = "rsa";  // or "ec"
};

constexpr char kUsage[] =
    "usage: pantau-probe-load [flags]\n"
    "  --http-probes N    probes of the http page per side and round (default 20000)\n"
    "  --https-probes N   probes of the https page per side and round (default 5000)\n"
    "  --concurrency C    probes in flight at once, both sides (default 32)\n"
    "  --rounds R         repeat and report each round and the median (default 3)\n"
    "  --chunks K         per round and scheme, the probes run in K chunks alternating\n"
    "                     between the sides (default 10), so both see the same load\n"
    "  --only engine|blackbox  run one side only (to profile it)\n"
    "  --keep-dir         keep the temp dir (certificates, configs, logs) for inspection\n"
    "  --no-inspect-tls   engine: do not read the certificate (what reading it costs)\n"
    "  --tls-protocols P  nginx ssl_protocols (default \"TLSv1.2 TLSv1.3\", as nginx >= 1.23.4;\n"
    "                     \"TLSv1.2\" for servers without TLS 1.3)\n"
    "  --cert-key rsa|ec  key of the test CA and server certificate: RSA 2048 (default) or\n"
    "                     ECDSA P-256\n";

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
    if (name == "--keep-dir") {
      o->keep_dir = true;
      continue;
    }
    if (name == "--no-inspect-tls") {
      o->inspect_tls = false;
      continue;
    }
    int* target = nullptr;
    if (name == "--http-probes") target = &o->http_probes;
    if (name == "--https-probes") target = &o->https_probes;
    if (name == "--concurrency") target = &o->concurrency;
    if (name == "--rounds") target = &o->rounds;
    if (name == "--chunks") target = &o->chunks;
    if (target == nullptr && name != "--only" && name != "--tls-protocols" &&
        name != "--cert-key") {
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
    if (name == "--cert-key") {
      if (value != "rsa" && value != "ec") {
        std::cerr << "--cert-key takes rsa or ec\n";
        return false;
      }
      o->cert_key = value;
      continue;
    }
    if (name == "--tls-protocols") {
      o->tls_protocols = value;
      continue;
    }
    if (name == "--only") {
      if (value != "engine" && value != "blackbox") {
        std::cerr << "--only takes engine or blackbox\n";
        return false;
      }
      o->only = value;
      continue;
    }
    if (!absl::SimpleAtoi(value, target) || *target < 1) {
      std::cerr << name << " needs a positive integer, got '" << value << "'\n";
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

double TicksToSeconds(double ticks) { return ticks / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// Fields of /proc/<pid>/stat after the command name: field n of proc(5) is at [n - 3].
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

// utime + stime of one process (all its threads).
double PidCpuSeconds(int pid) {
  const std::vector<std::string> f = ProcStat(pid);
  return TicksToSeconds(StatField(f, 14) + StatField(f, 15));
}

// A process and its live children (nginx: master + worker).
double TreeCpuSeconds(int pid) {
  if (pid <= 0) return 0;
  double total = PidCpuSeconds(pid);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    int child = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &child)) continue;
    const std::vector<std::string> f = ProcStat(child);
    if (static_cast<int>(StatField(f, 4)) == pid) total += PidCpuSeconds(child);
  }
  return total;
}

// Busy CPU seconds of the whole machine, from /proc/stat.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
  double busy = 0;
  for (size_t i = 1; i < f.size() && i <= 8; ++i) {
    if (i == 4 || i == 5) continue;  // idle, iowait
    double v = 0;
    if (absl::SimpleAtod(f[i], &v)) busy += v;
  }
  return TicksToSeconds(busy);
}

// ---------------------------------------------------------------------------------------------
// Set-up: certificates, nginx, blackbox_exporter

absl::Status Run(const std::vector<std::string>& argv) {
  PANTAU_ASSIGN_OR_RETURN(CommandResult result, RunCommand(argv, {}, absl::Minutes(2)));
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(absl::StrJoin(argv, " "), " exited ", result.exit_code, ":\n", result.output));
  }
  return absl::OkStatus();
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A CA and a server certificate for 127.0.0.1, both RSA 2048 (what most court sites use) or
// both ECDSA P-256.
absl::Status MakeCertificates(const std::string& d, const std::string& key_type) {
  std::vector<std::string> key = {"-newkey", "rsa:2048"};
  if (key_type == "ec") key = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"};
  auto with_key = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin() + 2, key.begin(), key.end());
    return argv;
  };
  PANTAU_RETURN_IF_ERROR(WriteText(d + "/san.cnf", "subjectAltName=IP:127.0.0.1\n"));
  PANTAU_RETURN_IF_ERROR(Run(with_key({"openssl", "req", "-x509", "-nodes", "-keyout",
                                       d + "/ca.key", "-out", d + "/ca.pem", "-days", "365",
                                       "-subj", "/O=Pantau Bench/CN=Pantau Bench CA", "-addext",
                                       "basicConstraints=critical,CA:TRUE"})));
  PANTAU_RETURN_IF_ERROR(Run(with_key({"openssl", "req", "-new", "-nodes", "-keyout",
                                       d + "/server.key", "-out", d + "/server.csr", "-subj",
                                       "/CN=127.0.0.1"})));
  return Run({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem",
              "-CAkey", d + "/ca.key", "-set_serial", "7", "-days", "365", "-extfile",
              d + "/san.cnf", "-out", d + "/server.pem"});
}

std::string PercentEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Measurement

struct Phase {
  std::string scheme;  // "http" / "https"
  std::string side;    // "engine" / "blackbox"
  int probes = 0;
  int failed = 0;
  std::string first_error;
  double seconds = 0;
  double cpu = 0;        // the counted process: ours (engine) or blackbox's
  double driver_cpu = 0; // blackbox side only: our driver, not counted
  double nginx_cpu = 0;
  double other_cpu = 0;
  double PerSecond() const { return probes / seconds; }
  double PerCpuSecond() const { return cpu > 0 ? probes / cpu : 0; }
};

// Runs `total` fetches made by `make`, `concurrency` in flight, on `engine` in this thread;
// `check` says whether a result counts as a successful probe.
void Drive(HttpEngine& engine, int total, int concurrency,
           const std::function<FetchRequest()>& make,
           const std::function<bool(const FetchResult&, std::string*)>& check, Phase* phase) {
  int submitted = 0;
  std::function<void(FetchResult)> done = [&](FetchResult result) {
    std::string why;
    if (!check(result, &why)) {
      if (phase->failed++ == 0) phase->first_error = why;
    }
    if (submitted < total) {
      ++submitted;
      engine.Submit(make(), done);
    }
  };
  for (; submitted < std::min(total, concurrency);) {
    ++submitted;
    engine.Submit(make(), done);
  }
  engine.RunUntilIdle();
}

bool ProbeOk(const FetchResult& r, std::string* why) {
  if (r.transfer_ok && r.status == 200) return true;
  *why = absl::StrCat("status ", r.status, " ", r.error);
  return false;
}

bool BlackboxOk(const FetchResult& r, std::string* why) {
  if (r.transfer_ok && r.status == 200 && absl::StrContains(r.body, "\nprobe_success 1")) {
    return true;
  }
  *why = absl::StrCat("status ", r.status, " ", r.error, " ", r.body.substr(0, 300));
  return false;
}

struct Setup {
  std::string dir;
  std::unique_ptr<testing::NginxServer> nginx;
  int nginx_pid = 0;
  int https_port = 0;
  std::unique_ptr<Subprocess> blackbox;
  int blackbox_port = 0;
  std::string ca_file;
  std::string PageUrl(const std::string& scheme) const {
    return scheme == "http" ? nginx->Url("/index.html")
                            : absl::StrCat("https://127.0.0.1:", https_port, "/index.html");
  }
};

absl::Status StartServers(const Options& options, Setup* s) {
  std::string dir = "/tmp/pantau-probe-load-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  // nginx's worker (`nobody` when we are root) serves www/ below it.
  ::chmod(dir.c_str(), 0755);
  s->dir = dir;
  s->ca_file = dir + "/ca.pem";
  PANTAU_RETURN_IF_ERROR(MakeCertificates(dir, options.cert_key));
  const std::string www = dir + "/www";
  std::filesystem::create_directories(www);
  ::chmod(www.c_str(), 0755);
  // A small court home page: about 2 KB.
  std::string page = "<!DOCTYPE html><html><head><title>Pengadilan Negeri Contoh</title></head><body>";
  for (int i = 0; i < 30; ++i) {
    absl::StrAppend(&page, "<p>Jadwal sidang perkara nomor ", 100 + i, "/Pdt.G/2024</p>\n");
  }
  absl::StrAppend(&page, "</body></html>\n");
  PANTAU_RETURN_IF_ERROR(WriteText(www + "/index.html", page));
  ::chmod((www + "/index.html").c_str(), 0644);

  PANTAU_ASSIGN_OR_RETURN(s->https_port, testing::PickFreePort());
  testing::NginxOptions nginx_options;
  nginx_options.root_dir = www;
  nginx_options.extra_server_conf = "access_log off;\n";
  nginx_options.extra_http_conf = absl::StrCat(
      "server {\n  listen 127.0.0.1:", s->https_port, " ssl;\n  access_log off;\n  ssl_protocols ",
      options.tls_protocols, ";\n  root ", www,
      ";\n  ssl_certificate ", dir, "/server.pem;\n  ssl_certificate_key ", dir,
      "/server.key;\n}\n");
  PANTAU_ASSIGN_OR_RETURN(s->nginx, testing::NginxServer::Start(nginx_options));
  (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadText(s->nginx->dir() + "/nginx.pid")),
                         &s->nginx_pid);

  if (options.only == "engine") return absl::OkStatus();
  if (::access(kBlackbox, X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(
        kBlackbox, " not found: apt-get install --no-install-recommends prometheus-blackbox-exporter"));
  }
  const std::string config = absl::StrCat(
      "modules:\n"
      "  http_2xx:\n"
      "    prober: http\n"
      "    timeout: 10s\n"
      "    http:\n"
      "      preferred_ip_protocol: ip4\n"
      "  https_2xx:\n"
      "    prober: http\n"
      "    timeout: 10s\n"
      "    http:\n"
      "      preferred_ip_protocol: ip4\n"
      "      tls_config:\n"
      "        ca_file: ",
      s->ca_file, "\n");
  PANTAU_RETURN_IF_ERROR(WriteText(dir + "/blackbox.yml", config));
  PANTAU_ASSIGN_OR_RETURN(s->blackbox_port, testing::PickFreePort());
  SpawnOptions spawn;
  spawn.output_path = dir + "/blackbox.log";
  PANTAU_ASSIGN_OR_RETURN(
      s->blackbox,
      Subprocess::Spawn({kBlackbox, absl::StrCat("--config.file=", dir, "/blackbox.yml"),
                         absl::StrCat("--web.listen-address=127.0.0.1:", s->blackbox_port)},
                        spawn));
  // Ready when it answers a probe (polling: it gives no readiness signal).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    FetchRequest request;
    request.url = absl::StrCat("http://127.0.0.1:", s->blackbox_port, "/probe?module=http_2xx&target=",
                               PercentEncode(s->PageUrl("http")));
    request.keep_body = true;
    std::vector<FetchResult> r = agent::FetchAll({request});
    std::string why;
    if (BlackboxOk(r[0], &why)) return absl::OkStatus();
    if (!s->blackbox->running() || absl::Now() > deadline) {
      return absl::UnavailableError(absl::StrCat("blackbox_exporter not ready: ", why, "\nlog:\n",
                                                 ReadText(dir + "/blackbox.log")));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

// One side of one scheme: its engine (ours probing, or the driver of blackbox_exporter), the
// request it repeats, and the figures summed over its chunks.
class Side {
 public:
  static absl::StatusOr<std::unique_ptr<Side>> Create(const Setup& s, const Options& options,
                                                      const std::string& scheme,
                                                      const std::string& name) {
    auto side = std::unique_ptr<Side>(new Side(s, options.concurrency));
    side->phase_.scheme = scheme;
    side->phase_.side = name;
    HttpEngineOptions engine_options;
    engine_options.max_concurrent = options.concurrency;
    if (name == "engine") {
      engine_options.ca_file = s.ca_file;
      side->request_.url = s.PageUrl(scheme);
      side->request_.inspect_tls = options.inspect_tls;
      side->check_ = ProbeOk;
    } else {
      side->request_.url =
          absl::StrCat("http://127.0.0.1:", s.blackbox_port, "/probe?module=", scheme,
                       "_2xx&target=", PercentEncode(s.PageUrl(scheme)));
      side->request_.keep_body = true;
      side->request_.fresh_connection = false;  // as Prometheus scrapes: kept-alive connections
      side->request_.timeout = absl::Seconds(30);
      side->check_ = BlackboxOk;
      side->blackbox_pid_ = s.blackbox->pid();
    }
    PANTAU_ASSIGN_OR_RETURN(side->engine_, HttpEngine::Create(engine_options));
    // Warm-up, not counted: the first handles, the CA store, blackbox's Go runtime.
    Phase warmup;
    side->Run(options.concurrency * 2, &warmup);
    if (warmup.failed > 0) {
      return absl::UnavailableError(absl::StrCat(name, " ", scheme, " warm-up failed: ",
                                                 warmup.first_error));
    }
    return side;
  }

  // Runs `probes` more probes and adds their figures.
  void Chunk(int probes) {
    const double machine0 = MachineBusySeconds(), nginx0 = TreeCpuSeconds(setup_.nginx_pid);
    const double self0 = ProcessCpuSeconds();
    const double blackbox0 = blackbox_pid_ > 0 ? PidCpuSeconds(blackbox_pid_) : 0;
    const Steady::time_point start = Steady::now();
    Run(probes, &phase_);
    const double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    const double self = ProcessCpuSeconds() - self0;
    const double nginx = TreeCpuSeconds(setup_.nginx_pid) - nginx0;
    double counted = self, driver = 0;
    if (blackbox_pid_ > 0) {
      counted = PidCpuSeconds(blackbox_pid_) - blackbox0;
      driver = self;
    }
    phase_.probes += probes;
    phase_.seconds += seconds;
    phase_.cpu += counted;
    phase_.driver_cpu += driver;
    phase_.nginx_cpu += nginx;
    phase_.other_cpu += MachineBusySeconds() - machine0 - counted - driver - nginx;
  }

  const Phase& phase() const { return phase_; }

 private:
  Side(const Setup& s, int concurrency) : setup_(s), concurrency_(concurrency) {}

  void Run(int probes, Phase* phase) {
    Drive(*engine_, probes, concurrency_, [this] { return request_; }, check_, phase);
  }

  const Setup& setup_;
  const int concurrency_;
  std::unique_ptr<HttpEngine> engine_;
  FetchRequest request_;
  std::function<bool(const FetchResult&, std::string*)> check_;
  int blackbox_pid_ = 0;
  Phase phase_;
};

// The TLS version of an https probe, as blackbox_exporter reports it ("TLS 1.3"); "?" when
// blackbox is not running.
std::string NegotiatedTlsVersion(const Setup& s) {
  if (s.blackbox == nullptr) return "?";
  FetchRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", s.blackbox_port,
                             "/probe?module=https_2xx&target=", PercentEncode(s.PageUrl("https")));
  request.keep_body = true;
  const std::vector<FetchResult> r = agent::FetchAll({request});
  const std::string kKey = "probe_tls_version_info{version=\"";
  const size_t at = r[0].body.find(kKey);
  if (at == std::string::npos) return "?";
  const size_t start = at + kKey.size();
  return r[0].body.substr(start, r[0].body.find('"', start) - start);
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
  return absl::StrFormat("%d CPUs (nproc), %s", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)),
                         model);
}

std::string FirstLine(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> r = RunCommand(argv, {}, absl::Seconds(30));
  if (!r.ok()) return "?";
  std::string out = r->output;
  return std::string(absl::StripAsciiWhitespace(out.substr(0, out.find('\n'))));
}

void PrintPhase(const Phase& p) {
  std::string cpu_note =
      p.side == "engine"
          ? absl::StrFormat("(nginx %.1f, other %.1f)", p.nginx_cpu, p.other_cpu)
          : absl::StrFormat("(driver %.1f, nginx %.1f, other %.1f)", p.driver_cpu, p.nginx_cpu,
                            p.other_cpu);
  std::cout << absl::StrFormat("  %-5s %-22s %7d %7.2f %9.0f %7.2f %11.0f   %s\n", p.scheme,
                               p.side == "engine" ? "pantau HttpEngine" : "blackbox_exporter",
                               p.probes, p.seconds, p.PerSecond(), p.cpu, p.PerCpuSecond(),
                               cpu_note);
  if (p.failed > 0) {
    std::cout << "        FAILED probes: " << p.failed << ", first: " << p.first_error << "\n";
  }
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) return 2;
  agent::GlobalInitCurl();
  Setup setup;
  absl::Status status = StartServers(options, &setup);
  int exit_code = 0;
  if (!status.ok()) {
    std::cerr << "set-up failed: " << status << "\n";
    exit_code = 1;
  }
  if (exit_code == 0) {
    std::cout << "pantau probe benchmark\n"
              << "  machine:  " << MachineLine() << "; nginx, blackbox_exporter and this "
              << "program share it\n"
              << "  engine:   " << curl_version() << "\n"
              << "  blackbox: " << FirstLine({kBlackbox, "--version"}) << "\n"
              << "  nginx:    " << FirstLine({"/usr/sbin/nginx", "-v"})
              << ", 1 worker, access log off; page "
              << std::filesystem::file_size(setup.dir + "/www/index.html")
              << " bytes; TLS certificate "
              << (options.cert_key == "ec" ? "ECDSA P-256" : "RSA 2048")
              << " from a test CA; ssl_protocols "
              << options.tls_protocols << " (negotiated: " << NegotiatedTlsVersion(setup)
              << ")\n"
              << "  workload: " << options.http_probes << " http + " << options.https_probes
              << " https probes per side and round, " << options.concurrency
              << " in flight, fresh connection each\n";
    std::vector<double> ratio_http, ratio_https;
    std::vector<double> per_cpu[2][2];  // [scheme][side]
    for (int round = 1; round <= options.rounds && exit_code == 0; ++round) {
      std::cout << "\nround " << round << " of " << options.rounds << "\n"
                << absl::StrFormat("  %-5s %-22s %7s %7s %9s %7s %11s\n", "", "", "probes",
                                   "seconds", "probes/s", "CPU s", "per CPU-s");
      for (int si = 0; si < 2 && exit_code == 0; ++si) {
        const std::string scheme = si == 0 ? "http" : "https";
        const int probes = si == 0 ? options.http_probes : options.https_probes;
        std::vector<std::string> names;
        if (options.only != "blackbox") names.push_back("engine");
        if (options.only != "engine") names.push_back("blackbox");
        std::vector<std::unique_ptr<Side>> sides;
        for (const std::string& name : names) {
          absl::StatusOr<std::unique_ptr<Side>> side =
              Side::Create(setup, options, scheme, name);
          if (!side.ok()) {
            std::cerr << side.status() << "\n";
            exit_code = 1;
            break;
          }
          sides.push_back(std::move(*side));
        }
        if (exit_code != 0) break;
        // Small chunks, alternating sides and order: both see the same background load.
        for (int chunk = 0; chunk < options.chunks; ++chunk) {
          const int n = probes / options.chunks + (chunk < probes % options.chunks ? 1 : 0);
          if ((chunk + round) % 2 == 0) {
            for (auto& side : sides) side->Chunk(n);
          } else {
            for (auto it = sides.rbegin(); it != sides.rend(); ++it) (*it)->Chunk(n);
          }
        }
        Phase measured[2];
        for (auto& side : sides) {
          const Phase& p = side->phase();
          PrintPhase(p);
          if (p.failed > 0) exit_code = 1;
          const int side_index = p.side == "engine" ? 0 : 1;
          measured[side_index] = p;
          per_cpu[si][side_index].push_back(p.PerCpuSecond());
        }
        if (options.only.empty() && measured[1].PerCpuSecond() > 0) {
          const double ratio = measured[0].PerCpuSecond() / measured[1].PerCpuSecond();
          (si == 0 ? ratio_http : ratio_https).push_back(ratio);
          std::cout << absl::StrFormat("  %-5s ratio engine / blackbox, probes per CPU-s: %.2f\n",
                                       scheme, ratio);
        }
      }
    }
    if (exit_code == 0) {
      std::cout << "\nsummary (median of " << options.rounds << " rounds, probes per CPU-second)\n"
                << absl::StrFormat("  %-6s %18s %18s %8s\n", "", "pantau HttpEngine",
                                   "blackbox_exporter", "ratio");
      for (int si = 0; si < 2; ++si) {
        const std::vector<double>& ratios = si == 0 ? ratio_http : ratio_https;
        const double ratio = Median(ratios);
        std::cout << absl::StrFormat(
            "  %-6s %18.0f %18.0f %8s%s\n", si == 0 ? "http" : "https", Median(per_cpu[si][0]),
            Median(per_cpu[si][1]), ratios.empty() ? "-" : absl::StrFormat("%.2f", ratio),
            ratios.empty() ? "" : (ratio >= 2 ? "  (goal >= 2: met)" : "  (goal >= 2: NOT met)"));
      }
    }
  }
  if (setup.blackbox != nullptr) {
    (void)setup.blackbox->Signal(SIGTERM);
    (void)setup.blackbox->Wait(absl::Seconds(10));
  }
  setup.nginx.reset();
  if (!setup.dir.empty()) {
    if (options.keep_dir) {
      std::cout << "kept " << setup.dir << "\n";
    } else {
      std::error_code ignored;
      std::filesystem::remove_all(setup.dir, ignored);
    }
  }
  return exit_code;
}

}  // namespace
}  // namespace pantau::bench

int main(int argc, char** argv) { return pantau::bench::Main(argc, argv); }
