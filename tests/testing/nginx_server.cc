#include "tests/testing/nginx_server.h"

#include "tests/testing/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace pantau::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kNginxBinary[] = "/usr/sbin/nginx";
// Debian's nginx drops its worker to this user when the master runs as root.
constexpr char kWorkerUser[] = "nobody";
constexpr int kMaxPortAttempts = 5;
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);
constexpr size_t kLogTailBytes = 4000;

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Tail(std::string text) {
  if (text.size() > kLogTailBytes) text = "..." + text.substr(text.size() - kLogTailBytes);
  return text;
}

bool AcceptsConnections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  // Loopback connects complete (or are refused) at once, so a blocking connect is fine.
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// nginx config string literal.
std::string Quote(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

bool HasDotDot(const fs::path& path) {
  for (const fs::path& part : path) {
    if (part == "..") return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::Start(const NginxOptions& options) {
  if (::access(kNginxBinary, X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(kNginxBinary, " not found (install nginx-core)"));
  }
  std::string dir = "/tmp/pantau-nginx-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return ErrnoStatus("mkdtemp");
  // Our dirs are world-readable so that nginx's worker (`nobody` when we are root) can reach
  // the document root and its temp dirs; nothing secret lives here.
  if (::chmod(dir.c_str(), 0755) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("chmod ", dir));
    ::rmdir(dir.c_str());
    return status;
  }
  std::string root_dir = options.root_dir.empty() ? dir + "/www" : options.root_dir;
  // From here on the destructor removes the temp dir on any error.
  std::unique_ptr<NginxServer> server(new NginxServer(dir, root_dir));

  if (options.root_dir.empty()) {
    if (::mkdir(root_dir.c_str(), 0755) != 0 || ::chmod(root_dir.c_str(), 0755) != 0) {
      return ErrnoStatus(absl::StrCat("mkdir ", root_dir));
    }
  } else if (::geteuid() == 0) {
    // A caller's dir (often made with mkdtemp, mode 0700) gets o+rx so the worker can serve
    // it; a parent that `nobody` cannot traverse is reported rather than silently changed.
    struct stat st;
    if (::stat(root_dir.c_str(), &st) != 0) return ErrnoStatus(absl::StrCat("stat ", root_dir));
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("root_dir ", root_dir, " is not a dir"));
    }
    if (::chmod(root_dir.c_str(), (st.st_mode & 07777) | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH) !=
        0) {
      return ErrnoStatus(absl::StrCat("chmod ", root_dir));
    }
    SpawnOptions as_worker;
    as_worker.run_as_user = kWorkerUser;
    PANTAU_ASSIGN_OR_RETURN(
        CommandResult probe,
        RunCommand({"test", "-r", root_dir, "-a", "-x", root_dir}, as_worker, absl::Seconds(30)));
    if (probe.exit_code != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("root_dir ", root_dir, " is not readable by nginx's worker user '",
                       kWorkerUser, "': make its parent dirs traversable (chmod o+x)"));
    }
  }

  absl::Status last_error;
  for (int attempt = 1; attempt <= kMaxPortAttempts; ++attempt) {
    PANTAU_ASSIGN_OR_RETURN(server->port_, PickFreePort());
    PANTAU_RETURN_IF_ERROR(server->WriteConfig(options));
    bool port_taken = false;
    last_error = server->SpawnAndWait(&port_taken);
    if (last_error.ok()) return server;
    if (!port_taken) return last_error;
    PANTAU_LOG(WARNING) << "nginx: port " << server->port_ << " was taken, trying another";
  }
  return last_error;
}

NginxServer::~NginxServer() {
  absl::Status status = Stop();
  if (!status.ok()) PANTAU_LOG(WARNING) << "stopping nginx in " << dir_ << ": " << status;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) PANTAU_LOG(WARNING) << "removing " << dir_ << ": " << ec.message();
}

std::string NginxServer::Url(absl::string_view path) const {
  return absl::StrCat("http://127.0.0.1:", port_, absl::StartsWith(path, "/") ? "" : "/", path);
}

std::string NginxServer::access_log_path() const { return dir_ + "/access.log"; }
std::string NginxServer::error_log_path() const { return dir_ + "/error.log"; }
std::string NginxServer::conf_path() const { return dir_ + "/nginx.conf"; }
std::string NginxServer::pid_path() const { return dir_ + "/nginx.pid"; }
std::string NginxServer::output_path() const { return dir_ + "/nginx.out"; }

absl::Status NginxServer::WriteConfig(const NginxOptions& options) const {
  // `daemon off; master_process on;` are passed with -g on the command line.
  std::string conf = absl::StrCat(
      "# Written by pantau::testing::NginxServer.\n", "worker_processes 1;\n", "pid ",
      Quote(pid_path()), ";\n", "lock_file ", Quote(dir_ + "/nginx.lock"), ";\n", "error_log ",
      Quote(error_log_path()), ";\n", "events {\n  worker_connections 1024;\n}\n", "http {\n",
      // A small inline table instead of /etc/nginx/mime.types keeps the server hermetic.
      "  types {\n"
      "    text/html html htm;\n"
      "    text/plain txt log;\n"
      "    text/css css;\n"
      "    application/javascript js;\n"
      "    application/json json;\n"
      "    application/xml xml;\n"
      "    image/png png;\n"
      "    image/jpeg jpg jpeg;\n"
      "    application/pdf pdf;\n"
      "  }\n",
      "  default_type application/octet-stream;\n", "  access_log ", Quote(access_log_path()),
      " combined;\n", "  client_body_temp_path ", Quote(dir_ + "/client_body_temp"), ";\n",
      "  proxy_temp_path ", Quote(dir_ + "/proxy_temp"), ";\n", "  fastcgi_temp_path ",
      Quote(dir_ + "/fastcgi_temp"), ";\n", "  uwsgi_temp_path ", Quote(dir_ + "/uwsgi_temp"),
      ";\n", "  scgi_temp_path ", Quote(dir_ + "/scgi_temp"), ";\n", options.extra_http_conf, "\n",
      "  server {\n", "    listen 127.0.0.1:", port_, ";\n", "    server_name localhost;\n",
      "    root ", Quote(root_dir_), ";\n", options.extra_server_conf, "\n", "  }\n", "}\n");
  std::ofstream out(conf_path(), std::ios::trunc);
  out << conf;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", conf_path()));
  return absl::OkStatus();
}

absl::Status NginxServer::SpawnAndWait(bool* port_taken) {
  *port_taken = false;
  // A fresh error log per attempt, so an old "Address already in use" is not read again.
  ::unlink(error_log_path().c_str());
  ::unlink(pid_path().c_str());
  SpawnOptions spawn;
  spawn.output_path = output_path();
  PANTAU_ASSIGN_OR_RETURN(
      process_, Subprocess::Spawn({kNginxBinary, "-p", dir_ + "/", "-c", conf_path(), "-e",
                                   error_log_path(), "-g", "daemon off; master_process on;"},
                                  spawn));
  const std::string expected_pid = absl::StrCat(process_->pid());
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (true) {
    absl::StatusOr<int> exit_code = process_->Wait(absl::ZeroDuration());
    if (exit_code.ok()) {
      std::string error_log = ReadFile(error_log_path());
      *port_taken = absl::StrContains(error_log, "Address already in use");
      return absl::UnavailableError(absl::StrCat("nginx exited with code ", *exit_code,
                                                 " during start-up; error log:\n", Tail(error_log),
                                                 "\noutput:\n", Tail(ReadFile(output_path()))));
    }
    // nginx writes its pid file only after it has bound its listening sockets, so a connect
    // that succeeds then reaches our nginx, not a process that took the port first.
    std::string pid_file = ReadFile(pid_path());
    if (absl::StartsWith(pid_file, expected_pid) && AcceptsConnections(port_)) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      ::kill(-process_->pid(), SIGKILL);
      (void)process_->Wait(kStopTimeout);
      return absl::DeadlineExceededError(absl::StrCat(
          "nginx did not accept connections on port ", port_, " within ",
          absl::FormatDuration(kStartTimeout), "; error log:\n", Tail(ReadFile(error_log_path())),
          "\noutput:\n", Tail(ReadFile(output_path()))));
    }
    // Polling: nginx gives no readiness signal when it runs in the foreground.
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::Status NginxServer::Stop() {
  if (process_ == nullptr || !process_->running()) return absl::OkStatus();
  const pid_t pid = process_->pid();
  // SIGQUIT: graceful shutdown (master waits for its worker to finish requests in flight).
  absl::Status signal_status = process_->Signal(SIGQUIT);
  absl::StatusOr<int> exit_code = process_->Wait(kStopTimeout);
  if (exit_code.ok() && *exit_code == 0) return absl::OkStatus();
  // Hung or crashed: kill the whole process group (nginx's master leads it, its worker is in
  // it), so no orphaned worker keeps the port or the logs open.
  ::kill(-pid, SIGKILL);
  if (!exit_code.ok()) exit_code = process_->Wait(kStopTimeout);
  if (!exit_code.ok()) return exit_code.status();
  if (!signal_status.ok()) return signal_status;
  return absl::InternalError(absl::StrCat("nginx exited with code ", *exit_code, "; error log:\n",
                                          Tail(ReadFile(error_log_path()))));
}

absl::Status NginxServer::ReopenLogs() {
  if (process_ == nullptr || !process_->running()) {
    return absl::FailedPreconditionError("nginx is not running");
  }
  return process_->Signal(SIGUSR1);
}

absl::Status NginxServer::WriteFile(absl::string_view relative_path,
                                    absl::string_view content) const {
  const fs::path relative(std::string{relative_path});
  if (relative.empty() || relative.is_absolute() || HasDotDot(relative)) {
    return absl::InvalidArgumentError(
        absl::StrCat("WriteFile needs a relative path inside root_dir, got '", relative_path, "'"));
  }
  const fs::path root(root_dir_);
  const fs::path target = root / relative;
  const fs::path parent = target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("mkdir -p ", parent.string(), ": ", ec.message()));
  }
  // Dirs below root_dir get 0755 whatever the umask; root_dir itself is set up by Start().
  fs::path dir = root;
  for (const fs::path& part : relative.parent_path()) {
    dir /= part;
    if (::chmod(dir.c_str(), 0755) != 0) return ErrnoStatus(absl::StrCat("chmod ", dir.string()));
  }
  // Temp file + rename: nginx never serves a half-written file.
  std::string tmp = (parent / ".pantau-write-XXXXXX").string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return ErrnoStatus(absl::StrCat("mkstemp in ", parent.string()));
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoStatus(absl::StrCat("write ", tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("fchmod ", tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return status;
  }
  if (::close(fd) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("close ", tmp));
    ::unlink(tmp.c_str());
    return status;
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("rename to ", target.string()));
    ::unlink(tmp.c_str());
    return status;
  }
  return absl::OkStatus();
}

}  // namespace pantau::testing
