#include "collector/store/pg_pool.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace pantau::collector {

bool IsConnectionLoss(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    return absl::StartsWith(state, "08") || absl::StartsWith(state, "57P");
  }
  return false;
}

absl::Status StatusFromException(const std::exception& e, const std::string& what) {
  std::string message = absl::StrCat(what, ": ", e.what());
  // libpq messages end in a newline; keep status messages on one line.
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(message);
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    // 08: connection exception; 57P: operator intervention (shutdown); 53: insufficient
    // resources; 40001/40P01: serialization failure / deadlock (safe to retry).
    if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P") ||
        absl::StartsWith(state, "53") || state == "40001" || state == "40P01" ||
        state == "57014" || state == "55P03") {
      return absl::UnavailableError(message);
    }
    // 22: data exception (bad text, time out of range); 23: integrity constraint. The input
    // itself is wrong: retrying the same data cannot help.
    if (absl::StartsWith(state, "22") || absl::StartsWith(state, "23")) {
      return absl::InvalidArgumentError(absl::StrCat(message, " (SQLSTATE ", state, ")"));
    }
    return absl::InternalError(absl::StrCat(message, " (SQLSTATE ", state, ")"));
  }
  return absl::InternalError(message);
}

std::string WithConnectDefaults(const std::string& conninfo) {
  // Key/value form only; a URL carries its own parameters.
  if (absl::StrContains(conninfo, "://")) return conninfo;
  std::string out = conninfo;
  if (!absl::StrContains(out, "connect_timeout")) absl::StrAppend(&out, " connect_timeout=10");
  if (!absl::StrContains(out, "keepalives")) {
    absl::StrAppend(&out, " keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3");
  }
  return out;
}

std::unique_ptr<PgPool> PgPool::Create(std::string conninfo, int size, Prepare prepare) {
  return std::unique_ptr<PgPool>(
      new PgPool(WithConnectDefaults(conninfo), size, std::move(prepare)));
}

PgPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), broken_(other.broken_) {
  other.pool_ = nullptr;
}

PgPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(conn_), broken_);
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire(absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  {
    absl::MutexLock lock(&mu_);
    auto can_take = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < size_;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&can_take), deadline)) {
      return absl::UnavailableError(
          absl::StrCat("all ", size_, " database connections busy for ", absl::FormatDuration(wait)));
    }
    if (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // reserve a slot; opened outside the lock
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    // Bounds on how long one call can hold a connection, so a stuck database or a lock held
    // elsewhere cannot pin request threads (and shutdown) forever.
    pqxx::nontransaction setup(*conn);
    setup.exec("SET statement_timeout = '30s'; SET lock_timeout = '15s'; "
               "SET idle_in_transaction_session_timeout = '60s'");
    setup.commit();
    if (prepare_) prepare_(*conn);
    return Lease(this, std::move(conn));
  } catch (const std::exception& e) {
    absl::MutexLock lock(&mu_);
    --open_;
    // A refused connection is "database down": retry later, whatever libpq called it.
    return absl::UnavailableError(StatusFromException(e, "connecting to PostgreSQL").message());
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  absl::MutexLock lock(&mu_);
  if (broken || conn == nullptr || !conn->is_open()) {
    --open_;
    return;  // conn closes here
  }
  idle_.push_back(std::move(conn));
}

}  // namespace pantau::collector
