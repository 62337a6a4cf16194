// A throwaway PostgreSQL server for tests: a private cluster in a fresh temp dir, reachable only
// through a unix socket in that dir, removed again when the object is destroyed.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg, PostgresServer::Start());
//   ASSERT_OK_AND_ASSIGN(std::string conninfo, pg->CreateDatabase());
//   pqxx::connection c(conninfo);      // or hand `conninfo` to the code under test
//   ASSERT_OK(pg->Stop());             // fault tests: the server goes away under load...
//   ASSERT_OK(pg->Restart());          // ...and comes back on the same socket with its data
//
// Start() runs initdb with the newest /usr/lib/postgresql/*/bin (trust auth, superuser
// `pantau`, UTF8), then `pg_ctl start`. There is no TCP listener; the socket dir is private, so
// every server uses port 5432 and servers in parallel test processes never collide. Durability
// is traded for speed (fsync=off), but synchronous_commit stays on, so a commit that returned
// is visible after Stop()/Restart().
//
// When the test runs as root (as CI does), initdb and the server run as the `postgres` system
// user, because PostgreSQL refuses to run as root; the temp dir is then owned by `postgres`.
#ifndef PANTAU_TESTS_TESTING_POSTGRES_SERVER_H_
#define PANTAU_TESTS_TESTING_POSTGRES_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace pantau::testing {

// One PostgreSQL cluster with its server process. Thread-safe: CreateDatabase() and
// ConnectionString() may be called from any thread, also while another thread runs Stop() or
// Restart() (they then fail or wait, respectively). The destructor stops the server
// (immediate mode) and deletes the temp dir; no other call may be running then.
class PostgresServer {
 public:
  // Port in every connection string; only names the socket file (there is no TCP listener).
  static constexpr int kPort = 5432;
  // Superuser (trust authentication, no password).
  static constexpr char kUser[] = "pantau";

  // initdb into a fresh dir under /tmp and start the server; waits until it accepts
  // connections. Errors carry the tail of initdb's output or of the server log.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates an empty database with a name unique to this process and server
  // ("pantau_test_<pid>_<n>") and returns its libpq connection string. Give each test its own.
  absl::StatusOr<std::string> CreateDatabase();

  // "host=<socket dir> port=5432 dbname=<dbname> user=pantau". Valid across Stop()/Restart().
  std::string ConnectionString(const std::string& dbname) const;

  // Fast shutdown (`pg_ctl stop -m fast`): open sessions are disconnected, committed data is
  // kept. OK when the server is already stopped.
  absl::Status Stop();
  // Starts the server again on the same data dir and socket (stopping it first if it runs).
  absl::Status Restart();

  bool running() const { return running_.load(); }
  // The temp dir: data/ (the cluster), the server log, and the unix socket.
  const std::string& dir() const { return dir_; }
  // The server log (useful to print when a test fails).
  std::string log_path() const;

 private:
  PostgresServer(std::string bin_dir, std::string dir)
      : bin_dir_(std::move(bin_dir)), dir_(std::move(dir)) {}

  std::string data_dir() const;
  absl::Status InitDb();
  absl::Status StartServer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mu_);
  absl::Status StopServer(const char* mode) ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mu_);
  // Last resort when pg_ctl cannot stop the server: SIGKILL the postmaster from postmaster.pid.
  void KillFromPidFile();

  const std::string bin_dir_;  // e.g. /usr/lib/postgresql/15/bin
  const std::string dir_;
  absl::Mutex lifecycle_mu_;  // serialises Stop/Restart/destruction
  std::atomic<bool> running_{false};
  std::atomic<int> next_database_{0};
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_POSTGRES_SERVER_H_
