#include "tests/testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/subprocess.h"

namespace pantau::testing {
namespace {

namespace fs = std::filesystem;

// PostgreSQL refuses to run as root; as root we hand everything to this system user.
constexpr char kServerUser[] = "postgres";
// A loaded 2-core CI machine running several test binaries at once can take a while to start
// or stop a cluster; these bounds only matter when something is really wrong.
constexpr int kPgCtlTimeoutSeconds = 120;
constexpr absl::Duration kCommandTimeout = absl::Seconds(kPgCtlTimeoutSeconds + 30);
constexpr size_t kLogTailBytes = 4000;

bool RunningAsRoot() { return ::geteuid() == 0; }

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::StrCat("(cannot read ", path, ")");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

// The newest installed PostgreSQL, e.g. /usr/lib/postgresql/15/bin.
absl::StatusOr<std::string> FindBinDir() {
  const fs::path root = "/usr/lib/postgresql";
  std::error_code ec;
  int best_version = -1;
  std::string best;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    int version = 0;
    if (!absl::SimpleAtoi(it->path().filename().string(), &version)) continue;
    const fs::path bin = it->path() / "bin";
    if (::access((bin / "initdb").c_str(), X_OK) != 0 ||
        ::access((bin / "pg_ctl").c_str(), X_OK) != 0) {
      continue;
    }
    if (version > best_version) {
      best_version = version;
      best = bin.string();
    }
  }
  if (best.empty()) {
    return absl::NotFoundError(
        "no PostgreSQL server found under /usr/lib/postgresql/*/bin (install postgresql)");
  }
  return best;
}

absl::StatusOr<std::string> MakeTempDir() {
  std::string tmpl = "/tmp/pantau-pg-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  return tmpl;
}

// Spawn options for PostgreSQL's own programs: as `postgres` when we are root.
SpawnOptions ServerSpawnOptions() {
  SpawnOptions options;
  if (RunningAsRoot()) options.run_as_user = kServerUser;
  return options;
}

// Runs a PostgreSQL program with `dir` as working directory: our own cwd may not be
// accessible to the `postgres` user (e.g. under /root), which initdb and pg_ctl dislike.
absl::StatusOr<CommandResult> RunInDir(const std::string& dir, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/usr/bin/env", "-C", dir});
  return RunCommand(argv, ServerSpawnOptions(), kCommandTimeout);
}

std::string QuoteConfString(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  PANTAU_ASSIGN_OR_RETURN(std::string bin_dir, FindBinDir());
  PANTAU_ASSIGN_OR_RETURN(std::string dir, MakeTempDir());
  // From here on the destructor cleans up the dir (and a half-started server) on any error.
  std::unique_ptr<PostgresServer> server(new PostgresServer(std::move(bin_dir), std::move(dir)));
  if (RunningAsRoot()) {
    struct passwd* pw = ::getpwnam(kServerUser);
    if (pw == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "running as root but there is no '", kServerUser, "' user to run PostgreSQL as"));
    }
    if (::chown(server->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", server->dir_, ": ", std::strerror(errno)));
    }
  }
  PANTAU_RETURN_IF_ERROR(server->InitDb());
  absl::MutexLock lock(&server->lifecycle_mu_);
  PANTAU_RETURN_IF_ERROR(server->StartServer());
  return server;
}

PostgresServer::~PostgresServer() {
  {
    absl::MutexLock lock(&lifecycle_mu_);
    // Whether or not running_ says so: a start that timed out may have left a server behind.
    std::error_code ec;
    if (fs::exists(fs::path(data_dir()) / "postmaster.pid", ec)) {
      absl::Status status = StopServer("immediate");
      if (!status.ok()) {
        PANTAU_LOG(WARNING) << "stopping PostgreSQL in " << dir_ << ": " << status;
        KillFromPidFile();
      }
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) PANTAU_LOG(WARNING) << "removing " << dir_ << ": " << ec.message();
}

std::string PostgresServer::data_dir() const { return dir_ + "/data"; }

std::string PostgresServer::log_path() const { return dir_ + "/postgres.log"; }

std::string PostgresServer::ConnectionString(const std::string& dbname) const {
  return absl::StrCat("host=", dir_, " port=", kPort, " dbname=", dbname, " user=", kUser);
}

absl::Status PostgresServer::InitDb() {
  // --locale=C.UTF-8: independent of the caller's LANG (which may name a locale that is not
  // installed), byte-order collation, Unicode-aware upper()/lower().
  PANTAU_ASSIGN_OR_RETURN(
      CommandResult result,
      RunInDir(dir_, {bin_dir_ + "/initdb", "-D", data_dir(), "-A", "trust", "-U", kUser,
                      "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"}));
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("initdb failed (exit ", result.exit_code, "):\n", result.output));
  }
  // Appended settings override initdb's defaults (the last occurrence wins) and survive
  // Restart(), which reuses the data dir.
  std::ofstream conf(data_dir() + "/postgresql.conf", std::ios::app);
  conf << "\n# pantau test harness\n"
       << "listen_addresses = ''\n"
       << "unix_socket_directories = " << QuoteConfString(dir_) << "\n"
       << "port = " << kPort << "\n"
       << "max_connections = 200\n"
       // Speed over crash safety: the cluster is thrown away. synchronous_commit stays on so
       // a returned COMMIT survives Stop()/Restart() (both are clean shutdowns anyway).
       << "fsync = off\n"
       << "synchronous_commit = on\n"
       << "full_page_writes = off\n"
       // Dynamic shared memory in the data dir instead of /dev/shm, which is only 64 MB in
       // some containers and shared with every other server running in parallel.
       << "dynamic_shared_memory_type = mmap\n"
       << "log_line_prefix = '%m [%p] %d '\n";
  conf.close();
  if (!conf) {
    return absl::InternalError(absl::StrCat("cannot write ", data_dir(), "/postgresql.conf"));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::StartServer() {
  PANTAU_ASSIGN_OR_RETURN(
      CommandResult result,
      RunInDir(dir_, {bin_dir_ + "/pg_ctl", "start", "-w", "-t", absl::StrCat(kPgCtlTimeoutSeconds),
                      "-D", data_dir(), "-l", log_path()}));
  if (result.exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(
        "pg_ctl start failed (exit ", result.exit_code, "): ", result.output, "\n--- server log ",
        log_path(), " ---\n", ReadTail(log_path(), kLogTailBytes)));
  }
  running_ = true;
  return absl::OkStatus();
}

absl::Status PostgresServer::StopServer(const char* mode) {
  PANTAU_ASSIGN_OR_RETURN(
      CommandResult result,
      RunInDir(dir_, {bin_dir_ + "/pg_ctl", "stop", "-w", "-t", absl::StrCat(kPgCtlTimeoutSeconds),
                      "-m", mode, "-D", data_dir()}));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        "pg_ctl stop -m ", mode, " failed (exit ", result.exit_code, "): ", result.output,
        "\n--- server log ---\n", ReadTail(log_path(), kLogTailBytes)));
  }
  running_ = false;
  return absl::OkStatus();
}

void PostgresServer::KillFromPidFile() {
  std::ifstream in(data_dir() + "/postmaster.pid");
  std::string first_line;
  std::getline(in, first_line);
  int pid = 0;
  if (absl::SimpleAtoi(first_line, &pid) && pid > 1) {
    // The pid file may be stale: only kill a process that really is our postmaster.
    std::ifstream cmdline_file(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
    std::stringstream cmdline;
    cmdline << cmdline_file.rdbuf();
    if (cmdline.str().find(data_dir()) != std::string::npos) {
      // Backends notice the postmaster's death and exit by themselves.
      ::kill(pid, SIGKILL);
    }
  }
  running_ = false;
}

absl::Status PostgresServer::Stop() {
  absl::MutexLock lock(&lifecycle_mu_);
  if (!running_) return absl::OkStatus();
  return StopServer("fast");
}

absl::Status PostgresServer::Restart() {
  absl::MutexLock lock(&lifecycle_mu_);
  if (running_) PANTAU_RETURN_IF_ERROR(StopServer("fast"));
  return StartServer();
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase() {
  const std::string name =
      absl::StrCat("pantau_test_", ::getpid(), "_", next_database_.fetch_add(1));
  try {
    pqxx::connection connection(ConnectionString("postgres"));
    pqxx::nontransaction work(connection);  // CREATE DATABASE cannot run in a transaction
    work.exec("CREATE DATABASE " + connection.quote_name(name));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("creating database ", name, ": ", e.what()));
  }
  return ConnectionString(name);
}

}  // namespace pantau::testing
