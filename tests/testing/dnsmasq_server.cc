#include "tests/testing/dnsmasq_server.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "tests/testing/ports.h"

namespace pantau::testing {
namespace {

constexpr char kDnsmasqBinary[] = "/usr/sbin/dnsmasq";
// Debian's base-passwd always has these; dnsmasq's own default group "dip" may be missing in
// slim containers.
constexpr char kUnprivilegedUser[] = "nobody";
constexpr char kUnprivilegedGroup[] = "nogroup";
constexpr int kMaxPortAttempts = 5;
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);
constexpr int kReplyWaitMs = 100;
constexpr absl::Duration kRetryPause = absl::Milliseconds(5);
constexpr size_t kOutputTailBytes = 4000;

std::string ReadTail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > kOutputTailBytes) text = "..." + text.substr(text.size() - kOutputTailBytes);
  return text;
}

bool IsIp(const std::string& text) {
  unsigned char bytes[16];
  return ::inet_pton(AF_INET, text.c_str(), bytes) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), bytes) == 1;
}

// Letters, digits, '-', '_' and dots: nothing that could reach dnsmasq's option syntax
// (',', '/', '#').
bool IsPlainName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
    }
  }
  return true;
}

// A minimal DNS query (RFC 1035 4.1): header, one question, class IN, recursion desired.
std::string BuildQuery(uint16_t id, const std::string& name, uint16_t type) {
  std::string packet;
  auto put16 = [&packet](uint16_t v) {
    packet.push_back(static_cast<char>(v >> 8));
    packet.push_back(static_cast<char>(v & 0xff));
  };
  put16(id);
  put16(0x0100);  // RD
  put16(1);       // QDCOUNT
  put16(0);
  put16(0);
  put16(0);
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    packet.push_back(static_cast<char>(label.size()));
    packet.append(label.data(), label.size());
  }
  packet.push_back('\0');
  put16(type);
  put16(1);  // IN
  return packet;
}

// True when 127.0.0.1:port answers an A query for `name` with NOERROR and at least one answer.
bool AnswersQuery(int port, const std::string& name, uint16_t id) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  const std::string query = BuildQuery(id, name, /*type=A*/ 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, query.data(), query.size(), 0) == static_cast<ssize_t>(query.size())) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, kReplyWaitMs) == 1) {
      unsigned char reply[512];
      const ssize_t n = ::recv(fd, reply, sizeof(reply), 0);
      if (n >= 12) {
        const uint16_t reply_id = static_cast<uint16_t>(reply[0] << 8 | reply[1]);
        const bool is_response = (reply[2] & 0x80) != 0;
        const int rcode = reply[3] & 0x0f;
        const int answers = reply[6] << 8 | reply[7];
        ok = reply_id == id && is_response && rcode == 0 && answers >= 1;
      }
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DnsmasqServer>> DnsmasqServer::Start(const DnsmasqOptions& options) {
  if (::access(kDnsmasqBinary, X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(kDnsmasqBinary, " not found (install dnsmasq-base)"));
  }
  std::vector<std::string> args = {
      kDnsmasqBinary,
      "--keep-in-foreground",
      "--log-facility=-",  // stderr, i.e. output_path()
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--pid-file=",  // none
      "--bind-interfaces",
      "--listen-address=127.0.0.1",
  };
  if (::geteuid() == 0) {
    if (::getpwnam(kUnprivilegedUser) == nullptr || ::getgrnam(kUnprivilegedGroup) == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("running as root, dnsmasq needs user '",
                                                        kUnprivilegedUser, "' and group '",
                                                        kUnprivilegedGroup, "' to drop to"));
    }
    args.push_back(absl::StrCat("--user=", kUnprivilegedUser));
    args.push_back(absl::StrCat("--group=", kUnprivilegedGroup));
  }
  for (const std::string& domain : options.local_domains) {
    if (!IsPlainName(domain)) {
      return absl::InvalidArgumentError(absl::StrCat("bad local domain '", domain, "'"));
    }
    args.push_back(absl::StrCat("--local=/", domain, "/"));
  }
  for (const auto& [name, addresses] : options.records) {
    if (!IsPlainName(name))
      return absl::InvalidArgumentError(absl::StrCat("bad name '", name, "'"));
    for (const std::string& address : addresses) {
      if (!IsIp(address)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad address '", address, "' for '", name, "'"));
      }
      // One record per address: repeated host-records for a name add up.
      args.push_back(absl::StrCat("--host-record=", name, ",", address));
    }
  }
  if (options.log_queries) args.push_back("--log-queries");
  // A record only this instance knows: readiness checks must not be fooled by another DNS
  // server that took the port.
  std::random_device random;
  const std::string ready_name =
      absl::StrCat("ready-", random(), "-", ::getpid(), ".pantau-harness.invalid");
  args.push_back(absl::StrCat("--host-record=", ready_name, ",127.0.0.1"));

  std::string dir = "/tmp/pantau-dnsmasq-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  std::unique_ptr<DnsmasqServer> server(new DnsmasqServer(dir));
  absl::Status last_error;
  for (int attempt = 1; attempt <= kMaxPortAttempts; ++attempt) {
    PANTAU_ASSIGN_OR_RETURN(server->port_, PickFreePort());
    std::vector<std::string> argv = args;
    argv.push_back(absl::StrCat("--port=", server->port_));
    bool port_taken = false;
    last_error = server->SpawnAndWait(argv, ready_name, &port_taken);
    if (last_error.ok()) return server;
    if (!port_taken) return last_error;
    PANTAU_LOG(WARNING) << "dnsmasq: port " << server->port_ << " was taken, trying another";
  }
  return last_error;
}

DnsmasqServer::~DnsmasqServer() {
  absl::Status status = Stop();
  if (!status.ok()) PANTAU_LOG(WARNING) << "stopping dnsmasq in " << dir_ << ": " << status;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) PANTAU_LOG(WARNING) << "removing " << dir_ << ": " << ec.message();
}

std::string DnsmasqServer::address() const { return absl::StrCat("127.0.0.1:", port_); }
std::string DnsmasqServer::output_path() const { return dir_ + "/dnsmasq.out"; }

absl::Status DnsmasqServer::SpawnAndWait(const std::vector<std::string>& argv,
                                         const std::string& ready_name, bool* port_taken) {
  *port_taken = false;
  // A fresh output per attempt, so an old "Address already in use" is not read again.
  ::unlink(output_path().c_str());
  SpawnOptions spawn;
  spawn.output_path = output_path();
  PANTAU_ASSIGN_OR_RETURN(process_, Subprocess::Spawn(argv, spawn));
  std::mt19937 ids(static_cast<uint32_t>(process_->pid()));
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (true) {
    absl::StatusOr<int> exit_code = process_->Wait(absl::ZeroDuration());
    if (exit_code.ok()) {
      const std::string output = ReadTail(output_path());
      *port_taken = absl::StrContains(output, "Address already in use");
      return absl::UnavailableError(absl::StrCat("dnsmasq exited with code ", *exit_code,
                                                 " during start-up; output:\n", output));
    }
    // The query itself is the wait: each attempt blocks up to kReplyWaitMs for the reply.
    if (AnswersQuery(port_, ready_name, static_cast<uint16_t>(ids()))) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      ::kill(-process_->pid(), SIGKILL);
      (void)process_->Wait(kStopTimeout);
      return absl::DeadlineExceededError(absl::StrCat(
          "dnsmasq did not answer on 127.0.0.1:", port_, " within ",
          absl::FormatDuration(kStartTimeout), "; output:\n", ReadTail(output_path())));
    }
    // Before dnsmasq has bound its port the query fails at once (ICMP port unreachable); a
    // short pause keeps this poll from spinning.
    absl::SleepFor(kRetryPause);
  }
}

absl::Status DnsmasqServer::Stop() {
  if (process_ == nullptr || !process_->running()) return absl::OkStatus();
  const pid_t pid = process_->pid();
  absl::Status signal_status = process_->Signal(SIGTERM);
  absl::StatusOr<int> exit_code = process_->Wait(kStopTimeout);
  // dnsmasq forks a child per TCP connection; the group kill ends any still running (a no-op
  // otherwise), and ends a hung main process.
  ::kill(-pid, SIGKILL);
  if (!exit_code.ok()) exit_code = process_->Wait(kStopTimeout);
  if (!exit_code.ok()) return exit_code.status();
  if (!signal_status.ok()) return signal_status;
  if (*exit_code != 0) {
    return absl::InternalError(absl::StrCat("dnsmasq exited with code ", *exit_code, "; output:\n",
                                            ReadTail(output_path())));
  }
  return absl::OkStatus();
}

}  // namespace pantau::testing
