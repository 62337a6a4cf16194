#include "collector/incidents/outbox_worker.h"

#include <random>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/incidents/incidents_sql.h"
#include "collector/store/pg_pool.h"
#include "common/log.h"
#include "common/utf8.h"

namespace pantau::collector {

using incidents_sql::RunTxn;

namespace {

struct Claimed {
  int64_t id = 0;
  std::string court_id;
  Notification n;
  int attempts = 0;
};

// Delay before attempt `attempts + 1`: initial · 2^(attempts-1), capped, drawn from [d/2, d].
absl::Duration RetryDelay(const OutboxOptions& o, int attempts) {
  absl::Duration d = o.retry_initial;
  for (int i = 1; i < attempts && d < o.retry_max; ++i) d *= 2;
  d = std::min(d, o.retry_max);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return d * std::uniform_real_distribution<double>(0.5, 1.0)(rng);
}

}  // namespace

OutboxWorker::OutboxWorker(IncidentEngine& engine, Notifiers& notifiers, OutboxOptions options,
                           prometheus::Registry* registry)
    : engine_(engine), notifiers_(notifiers), options_(options) {
  if (registry != nullptr) {
    sent_ = &prometheus::BuildCounter()
                 .Name("pantau_notifications_total")
                 .Help("Notification attempts by channel and outcome (sent, retry, failed)")
                 .Register(*registry);
    pending_ = &prometheus::BuildGauge()
                    .Name("pantau_outbox_pending")
                    .Help("Notifications waiting to be sent (all collectors), at the last look")
                    .Register(*registry);
  }
}

OutboxWorker::~OutboxWorker() { Stop(); }

void OutboxWorker::Start() {
  thread_ = std::thread([this] { Loop(); });
  if (notifiers_.telegram() != nullptr && options_.poll_telegram) {
    telegram_thread_ = std::thread([this] { TelegramLoop(); });
  }
}

void OutboxWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (telegram_thread_.joinable()) telegram_thread_.join();
}

void OutboxWorker::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void OutboxWorker::Loop() {
  for (;;) {
    absl::StatusOr<int> handled = DeliverDue();
    if (!handled.ok()) PANTAU_LOG(WARNING) << "outbox: " << handled.status().message();
    if (handled.ok() && *handled > 0) continue;  // there may be more
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), options_.poll_interval);
    if (stopping_) return;
    wake_ = false;
  }
}

absl::StatusOr<int> OutboxWorker::DeliverDue() {
  PgPool& pool = engine_.pool();
  const absl::Time now = engine_.clock().Now();
  std::vector<Claimed> claimed;
  absl::Status status = RunTxn(pool, "claiming notifications", [&](pqxx::work& txn) {
    for (const pqxx::row& r : txn.exec_params(
             "UPDATE outbox SET lease_until = " PANTAU_PG_TIME(2) ", attempts = attempts + 1 "
             "WHERE outbox_id IN (SELECT outbox_id FROM outbox WHERE state = 'pending' AND "
             "next_attempt_at <= " PANTAU_PG_TIME(1) " AND (lease_until IS NULL OR lease_until <= " PANTAU_PG_TIME(1) ") "
             "ORDER BY next_attempt_at, outbox_id LIMIT $3 FOR UPDATE SKIP LOCKED) "
             "RETURNING outbox_id, incident_id, court_id, channel, address, idempotency_key, "
             "subject, body, payload, attempts",
             absl::ToUnixMicros(now), absl::ToUnixMicros(now + options_.lease), options_.batch)) {
      Claimed c;
      c.id = r[0].as<int64_t>();
      c.court_id = r[2].as<std::string>();
      c.n.channel = r[3].as<std::string>();
      c.n.address = r[4].as<std::string>();
      c.n.idempotency_key = r[5].as<std::string>();
      c.n.subject = r[6].as<std::string>();
      c.n.text = r[7].as<std::string>();
      c.n.json = r[8].as<std::string>();
      c.n.incident_id = r[1].as<int64_t>();
      c.attempts = r[9].as<int>();
      claimed.push_back(std::move(c));
    }
    if (pending_ != nullptr) {
      pending_->Add({}).Set(
          txn.exec("SELECT count(*) FROM outbox WHERE state = 'pending'")[0][0].as<double>());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  for (const Claimed& c : claimed) {
    const absl::Status sent = notifiers_.Send(c.n);
    const absl::Time done = engine_.clock().Now();
    std::string outcome;
    absl::Status recorded;
    if (sent.ok()) {
      outcome = "sent";
      recorded = RunTxn(pool, "recording a sent notification", [&](pqxx::work& txn) {
        txn.exec_params("UPDATE outbox SET state = 'sent', sent_at = " PANTAU_PG_TIME(2) ", lease_until = NULL, "
                        "last_error = '' WHERE outbox_id = $1",
                        c.id, absl::ToUnixMicros(done));
        return absl::OkStatus();
      });
      PANTAU_LOG(INFO) << "notification " << c.id << " (incident " << c.n.incident_id << ", "
                       << c.n.channel << ") sent";
    } else if (absl::IsUnavailable(sent) || absl::IsDeadlineExceeded(sent) ||
               absl::IsResourceExhausted(sent)) {
      outcome = "retry";
      const absl::Duration delay = RetryDelay(options_, c.attempts);
      recorded = RunTxn(pool, "scheduling a retry", [&](pqxx::work& txn) {
        txn.exec_params("UPDATE outbox SET next_attempt_at = " PANTAU_PG_TIME(2) ", lease_until = NULL, "
                        "last_error = $3 WHERE outbox_id = $1",
                        c.id, absl::ToUnixMicros(done + delay),
                        ClampUtf8(std::string(sent.message()), 1000));
        return absl::OkStatus();
      });
      PANTAU_LOG(WARNING) << "notification " << c.id << " (incident " << c.n.incident_id << ", "
                          << c.n.channel << ") not sent, attempt " << c.attempts << ", retry in "
                          << absl::FormatDuration(absl::Trunc(delay, absl::Seconds(1))) << ": "
                          << sent.message();
    } else {
      outcome = "failed";
      recorded = RunTxn(pool, "recording a failed notification", [&](pqxx::work& txn) {
        const std::string error = ClampUtf8(std::string(sent.message()), 1000);
        txn.exec_params("UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $2 "
                        "WHERE outbox_id = $1",
                        c.id, error);
        txn.exec_params("INSERT INTO incident_events (incident_id, court_id, at, actor, action, "
                        "note) VALUES ($1, $2, " PANTAU_PG_TIME(3) ", 'pantau', 'notify_failed', $4)",
                        c.n.incident_id, c.court_id, absl::ToUnixMicros(done),
                        absl::StrCat("gagal mengirim lewat ", c.n.channel, ": ", error));
        return absl::OkStatus();
      });
      PANTAU_LOG(ERROR) << "notification " << c.id << " (incident " << c.n.incident_id << ", "
                        << c.n.channel << ") refused for good: " << sent.message();
    }
    if (!recorded.ok()) {
      // The lease expires and the row is tried again: at worst a repeat with the same key.
      PANTAU_LOG(WARNING) << "outbox: " << recorded.message();
    }
    if (sent_ != nullptr) sent_->Add({{"channel", c.n.channel}, {"outcome", outcome}}).Increment();
  }
  return static_cast<int>(claimed.size());
}

void OutboxWorker::TelegramLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::Status polled = PollTelegram(options_.telegram_poll_timeout);
    if (!polled.ok()) PANTAU_LOG(WARNING) << "telegram: " << polled.message();
    // After an error, and between short polls (timeout under a second), pause before the next.
    absl::Duration pause = absl::ZeroDuration();
    if (!polled.ok()) {
      pause = absl::Seconds(5);
    } else if (options_.telegram_poll_timeout < absl::Seconds(1)) {
      pause = absl::Seconds(1);
    }
    if (pause > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), pause);
    }
  }
}

absl::Status OutboxWorker::PollTelegram(absl::Duration timeout) {
  TelegramClient* telegram = notifiers_.telegram();
  if (telegram == nullptr) return absl::OkStatus();
  // A button press: acknowledge `incident` for `user` (0 = not an ack button), then answer.
  struct Press {
    std::string callback_id;
    int64_t user = 0;
    int64_t incident = 0;
  };
  std::vector<Press> presses;
  bool polled = false;
  absl::Status status = RunTxn(engine_.pool(), "polling Telegram", [&](pqxx::work& txn) {
    pqxx::result r = txn.exec(
        "SELECT value FROM collector_state WHERE key = 'telegram_offset' FOR UPDATE SKIP LOCKED");
    if (r.empty()) return absl::OkStatus();  // another collector polls
    polled = true;
    int64_t offset = 0;
    (void)absl::SimpleAtoi(r[0][0].as<std::string>(), &offset);
    absl::StatusOr<std::vector<TelegramUpdate>> updates = telegram->GetUpdates(offset, timeout);
    if (!updates.ok()) return updates.status();
    for (const TelegramUpdate& u : *updates) {
      offset = std::max(offset, u.update_id + 1);
      if (!u.callback.has_value()) continue;
      Press press{u.callback->id, u.callback->from_user_id, 0};
      if (!absl::StartsWith(u.callback->data, "ack:") ||
          !absl::SimpleAtoi(absl::string_view(u.callback->data).substr(4), &press.incident)) {
        press.incident = 0;
      }
      presses.push_back(std::move(press));
    }
    txn.exec_params("UPDATE collector_state SET value = $1 WHERE key = 'telegram_offset'",
                    absl::StrCat(offset));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!polled) {
    // Another collector holds the offset: wait a little before trying to take over.
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), timeout);
    return absl::OkStatus();
  }
  // The offset is committed before acting: a button press is handled at most once.
  for (const Press& press : presses) {
    std::string text = "Tombol tidak dikenal.";
    if (press.incident > 0) {
      const int64_t id = press.incident;
      absl::StatusOr<v1::Incident> acked = engine_.AcknowledgeFromTelegram(press.user, id);
      if (acked.ok()) {
        text = absl::StrCat("Insiden ", id, " ditindaklanjuti. Terima kasih.");
        PANTAU_LOG(INFO) << "incident " << id << " acknowledged through Telegram by user "
                         << press.user;
      } else if (absl::IsPermissionDenied(acked.status()) || absl::IsNotFound(acked.status())) {
        text = "Anda tidak berwenang menindaklanjuti insiden ini.";
        PANTAU_LOG(WARNING) << "telegram ack of incident " << id << " by user " << press.user
                            << " refused: " << acked.status().message();
      } else if (absl::IsFailedPrecondition(acked.status())) {
        text = absl::StrCat("Insiden ", id, " sudah selesai.");
      } else {
        text = "Gagal menyimpan, coba lagi.";
        PANTAU_LOG(WARNING) << "telegram ack of incident " << id << ": " << acked.status().message();
      }
    }
    absl::Status answered = telegram->AnswerCallback(press.callback_id, text);
    if (!answered.ok()) PANTAU_LOG(WARNING) << "telegram answerCallbackQuery: " << answered.message();
  }
  return absl::OkStatus();
}

}  // namespace pantau::collector
