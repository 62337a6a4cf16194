// A bounded pool of PostgreSQL connections shared by the collector's request threads, and the
// translation of libpqxx exceptions into absl::Status (the only module that sees libpqxx).
//
//   PANTAU_ASSIGN_OR_RETURN(auto pool, PgPool::Create(conninfo, 8, prepare));
//   PANTAU_ASSIGN_OR_RETURN(PgPool::Lease lease, pool->Acquire());
//   pqxx::work txn(lease.conn());
//   ...                        // on a pqxx::broken_connection call lease.MarkBroken()
#ifndef PANTAU_COLLECTOR_STORE_PG_POOL_H_
#define PANTAU_COLLECTOR_STORE_PG_POOL_H_

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pantau::collector {

// Maps a libpqxx/libpq exception to a canonical status: connection loss, server shutdown,
// too-many-connections, timeouts and serialization failures become Unavailable (retry
// later); data exceptions (SQLSTATE 22, 23) InvalidArgument; the rest Internal. `what` says what was being done ("storing batch 17 of agent x").
absl::Status StatusFromException(const std::exception& e, const std::string& what);

// True when the exception means the connection itself is gone (it must not be reused).
bool IsConnectionLoss(const std::exception& e);

// Adds connect_timeout and TCP keepalive defaults to a key/value conninfo that lacks them.
std::string WithConnectDefaults(const std::string& conninfo);

// Thread-safe. Connections are opened lazily, at most `size` at once; a connection that
// failed is dropped and a fresh one opened on the next Acquire.
class PgPool {
 public:
  // Called on every new connection, e.g. to prepare statements. May throw pqxx exceptions.
  using Prepare = std::function<void(pqxx::connection&)>;

  // RAII hold on one connection; returns it to the pool when destroyed. Thread-compatible.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& conn() { return *conn_; }
    // The connection is not returned to the pool (after a connection error).
    void MarkBroken() { broken_ = true; }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool broken_ = false;
  };

  static std::unique_ptr<PgPool> Create(std::string conninfo, int size, Prepare prepare);

  // Unavailable when no connection can be opened, or all are busy for `wait`.
  absl::StatusOr<Lease> Acquire(absl::Duration wait = absl::Seconds(5));

 private:
  PgPool(std::string conninfo, int size, Prepare prepare)
      : conninfo_(std::move(conninfo)), size_(size), prepare_(std::move(prepare)) {}
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);

  const std::string conninfo_;
  const int size_;
  const Prepare prepare_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace pantau::collector

#endif  // PANTAU_COLLECTOR_STORE_PG_POOL_H_
