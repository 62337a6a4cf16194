#include "agent/spool/spool_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/sqlite.h"

namespace pantau::agent {
namespace {

using Statement = SqliteStatement;

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    ok_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (ok_ && !done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool ok() const { return ok_; }
  // On failure the transaction is still open; the destructor rolls it back, so a failed
  // COMMIT (disk full, I/O error) never leaves the connection stuck inside a transaction.
  bool Commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return false;
    done_ = true;
    return true;
  }

 private:
  sqlite3* db_;
  bool ok_ = false;
  bool done_ = false;
};

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  priority INTEGER NOT NULL,"
    "  batch_seq INTEGER,"
    "  payload BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_waiting ON events (priority, id) WHERE batch_seq IS NULL;"
    "CREATE INDEX IF NOT EXISTS events_batched ON events (batch_seq) WHERE batch_seq IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 1);";

}  // namespace

SpoolStore::SpoolStore(sqlite3* db, SpoolOptions options)
    : options_(std::move(options)), db_(db) {}

SpoolStore::~SpoolStore() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::StatusOr<std::unique_ptr<SpoolStore>> SpoolStore::Open(const std::string& path,
                                                             SpoolOptions options) {
  absl::StatusOr<sqlite3*> opened = OpenSqlite(path, "spool");
  if (!opened.ok()) return opened.status();
  sqlite3* db = *opened;
  std::unique_ptr<SpoolStore> store(new SpoolStore(db, std::move(options)));
  absl::MutexLock lock(&store->mu_);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
    if (absl::Status s = store->Exec(sql); !s.ok()) return s;
  }
  if (absl::Status s = store->Exec(kSchema); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("spool ", path, ": ", s.message()));
  }
  Statement count(db, "SELECT COUNT(*) FROM events");
  if (!count.ok() || count.Step() != SQLITE_ROW) return store->Error("counting spooled events");
  store->count_ = sqlite3_column_int64(count.get(), 0);
  return store;
}

absl::Status SpoolStore::Exec(const char* sql) { return ExecSqlite(db_, sql); }

absl::Status SpoolStore::Error(const char* what) {
  return absl::InternalError(absl::StrCat("spool: ", what, ": ", sqlite3_errmsg(db_)));
}

absl::StatusOr<uint64_t> SpoolStore::Append(const v1::Event& event, EventPriority priority) {
  std::vector<uint64_t> ids;
  PANTAU_RETURN_IF_ERROR(AppendAll({{event, priority}}, nullptr, &ids));
  return ids.front();
}

absl::Status SpoolStore::AppendAll(const std::vector<std::pair<v1::Event, EventPriority>>& events,
                                   const std::function<absl::Status(sqlite3*)>& in_transaction,
                                   std::vector<uint64_t>* ids) {
  std::vector<std::string> payloads(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (!events[i].first.SerializeToString(&payloads[i])) {
      return absl::InternalError("cannot serialize event");
    }
  }
  absl::MutexLock lock(&mu_);
  Transaction txn(db_);
  if (!txn.ok()) return Error("begin");
  const int64_t count_before = count_;
  std::vector<uint64_t> new_ids;
  new_ids.reserve(events.size());
  {
    Statement insert(db_, "INSERT INTO events (priority, payload) VALUES (?, ?)");
    if (!insert.ok()) return Error("prepare insert");
    for (size_t i = 0; i < events.size(); ++i) {
      sqlite3_reset(insert.get());
      insert.Bind(1, static_cast<int>(events[i].second));
      insert.BindBlob(2, payloads[i]);
      if (insert.Step() != SQLITE_DONE) {
        count_ = count_before;
        return Error("insert");
      }
      new_ids.push_back(static_cast<uint64_t>(sqlite3_last_insert_rowid(db_)));
      ++count_;
    }
  }
  if (in_transaction) {
    absl::Status extra = in_transaction(db_);
    if (!extra.ok()) {
      count_ = count_before;  // rolled back with the transaction
      return extra;
    }
  }
  std::vector<std::pair<EventPriority, uint64_t>> drops;
  absl::Status dropped = DropOverflow(&drops);
  if (!dropped.ok() || !txn.Commit()) {
    absl::Status error = dropped.ok() ? Error("commit") : dropped;
    count_ = count_before;  // the transaction is rolled back: nothing changed
    return error;
  }
  dropped_ += static_cast<int64_t>(drops.size());
  for (const auto& [priority, dropped_id] : drops) {
    // Logged at the first drop and then every 1000th, so a long outage does not flood the log.
    if (dropped_ == 1 || dropped_ % 1000 == 0) {
      PANTAU_LOG(WARNING) << "spool full (" << options_.max_events
                          << " events): dropping the least important; " << dropped_
                          << " dropped so far";
    }
    if (options_.on_drop) options_.on_drop(priority, dropped_id);
  }
  if (ids != nullptr) *ids = std::move(new_ids);
  return absl::OkStatus();
}

absl::Status SpoolStore::WithDatabase(const std::function<absl::Status(sqlite3*)>& fn) {
  absl::MutexLock lock(&mu_);
  return fn(db_);
}

absl::Status SpoolStore::DropOverflow(std::vector<std::pair<EventPriority, uint64_t>>* drops) {
  while (count_ > options_.max_events) {
    Statement pick(db_,
                   "SELECT id, priority FROM events WHERE batch_seq IS NULL "
                   "ORDER BY priority, id LIMIT 1");
    if (!pick.ok()) return Error("prepare drop");
    if (pick.Step() != SQLITE_ROW) return absl::OkStatus();  // everything is in a batch
    const int64_t id = sqlite3_column_int64(pick.get(), 0);
    const auto priority = static_cast<EventPriority>(sqlite3_column_int(pick.get(), 1));
    Statement del(db_, "DELETE FROM events WHERE id = ?");
    del.Bind(1, id);
    if (del.Step() != SQLITE_DONE) return Error("drop");
    --count_;
    drops->emplace_back(priority, static_cast<uint64_t>(id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Event>> SpoolStore::LoadBatch(int64_t seq) {
  Statement select(db_, "SELECT id, payload FROM events WHERE batch_seq = ? ORDER BY id");
  if (!select.ok()) return Error("prepare batch read");
  select.Bind(1, seq);
  std::vector<v1::Event> events;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    v1::Event event;
    const void* blob = sqlite3_column_blob(select.get(), 1);
    const int size = sqlite3_column_bytes(select.get(), 1);
    if (!event.ParseFromArray(blob, size)) {
      // A damaged row cannot be sent; keep the rest of the batch going.
      PANTAU_LOG(ERROR) << "spool: event " << sqlite3_column_int64(select.get(), 0)
                        << " is unreadable and is skipped";
      continue;
    }
    event.set_agent_event_id(static_cast<uint64_t>(sqlite3_column_int64(select.get(), 0)));
    events.push_back(std::move(event));
  }
  if (rc != SQLITE_DONE) return Error("batch read");
  return events;
}

absl::StatusOr<absl::optional<SpoolBatch>> SpoolStore::NextBatch(int max_events) {
  max_events = std::max(1, max_events);
  absl::MutexLock lock(&mu_);
  Transaction txn(db_);
  if (!txn.ok()) return Error("begin");
  Statement pending(db_, "SELECT MIN(batch_seq) FROM events WHERE batch_seq IS NOT NULL");
  if (!pending.ok() || pending.Step() != SQLITE_ROW) return Error("find pending batch");
  int64_t seq = 0;
  if (sqlite3_column_type(pending.get(), 0) != SQLITE_NULL) {
    seq = sqlite3_column_int64(pending.get(), 0);
  } else {
    Statement next(db_, "SELECT value FROM meta WHERE key = 'next_seq'");
    if (!next.ok() || next.Step() != SQLITE_ROW) return Error("read next_seq");
    seq = sqlite3_column_int64(next.get(), 0);
    Statement assign(db_,
                     "UPDATE events SET batch_seq = ? WHERE id IN (SELECT id FROM events "
                     "WHERE batch_seq IS NULL ORDER BY priority DESC, id LIMIT ?)");
    if (!assign.ok()) return Error("prepare batch");
    assign.Bind(1, seq);
    assign.Bind(2, max_events);
    if (assign.Step() != SQLITE_DONE) return Error("form batch");
    if (sqlite3_changes(db_) == 0) return absl::optional<SpoolBatch>();
    Statement bump(db_, "UPDATE meta SET value = ? WHERE key = 'next_seq'");
    bump.Bind(1, seq + 1);
    if (bump.Step() != SQLITE_DONE) return Error("advance next_seq");
  }
  absl::StatusOr<std::vector<v1::Event>> events = LoadBatch(seq);
  if (!events.ok()) return events.status();
  if (!txn.Commit()) return Error("commit batch");
  SpoolBatch batch;
  batch.seq = static_cast<uint64_t>(seq);
  batch.events = std::move(*events);
  return absl::optional<SpoolBatch>(std::move(batch));
}

absl::Status SpoolStore::Acknowledge(uint64_t acked_seq) {
  absl::MutexLock lock(&mu_);
  Transaction txn(db_);
  if (!txn.ok()) return Error("begin");
  Statement del(db_, "DELETE FROM events WHERE batch_seq IS NOT NULL AND batch_seq <= ?");
  del.Bind(1, static_cast<int64_t>(std::min<uint64_t>(acked_seq, INT64_MAX)));
  if (del.Step() != SQLITE_DONE) return Error("delete acknowledged");
  const int deleted = sqlite3_changes(db_);
  Statement bump(db_, "UPDATE meta SET value = MAX(value, ?) WHERE key = 'next_seq'");
  // Clamped: a seq at the top of the range must not overflow (nothing is ever sent beyond it).
  const int64_t next = acked_seq >= static_cast<uint64_t>(INT64_MAX)
                           ? INT64_MAX
                           : static_cast<int64_t>(acked_seq) + 1;
  bump.Bind(1, next);
  if (bump.Step() != SQLITE_DONE) return Error("advance next_seq");
  if (!txn.Commit()) return Error("commit acknowledge");
  count_ -= deleted;
  return absl::OkStatus();
}

absl::Status SpoolStore::Unbatch(uint64_t seq) {
  absl::MutexLock lock(&mu_);
  Statement update(db_, "UPDATE events SET batch_seq = NULL WHERE batch_seq = ?");
  update.Bind(1, static_cast<int64_t>(seq));
  if (update.Step() != SQLITE_DONE) return Error("unbatch");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SpoolStore::DropBatch(uint64_t seq) {
  absl::MutexLock lock(&mu_);
  Statement del(db_, "DELETE FROM events WHERE batch_seq = ?");
  del.Bind(1, static_cast<int64_t>(seq));
  if (del.Step() != SQLITE_DONE) return Error("drop batch");
  const int deleted = sqlite3_changes(db_);
  count_ -= deleted;
  dropped_ += deleted;
  return deleted;
}

int64_t SpoolStore::size() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

int64_t SpoolStore::dropped_total() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace pantau::agent
