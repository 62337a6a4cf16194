#include "agent/uplink/sender.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/log.h"

namespace pantau::agent {

Sender::Sender(const AgentConfig& config, std::string token,
               std::unique_ptr<v1::AgentService::StubInterface> stub, SpoolStore& spool,
               const Clock& clock, AgentMetrics& metrics)
    : agent_id_(config.agent_id),
      court_id_(config.court_id),
      link_(config.collector),
      batch_max_events_(config.spool.batch_max_events),
      token_(std::move(token)),
      stub_(std::move(stub)),
      spool_(spool),
      clock_(clock),
      metrics_(metrics),
      backoff_(config.collector.backoff_initial, config.collector.backoff_max) {}

void Sender::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void Sender::Stop() {
  stop_.RequestStop();
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Sender::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void Sender::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(link_.push_timeout));
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
}

absl::Status Sender::Handshake() {
  // Learn the highest seq the collector stored for us: batches at or below it that are still
  // in our spool were stored (their answer was lost), and a spool created afresh must not
  // reuse seqs the collector has seen.
  v1::PushRequest request;
  request.set_agent_id(agent_id_);
  request.set_court_id(court_id_);
  request.set_batch_seq(0);
  v1::PushResponse response;
  grpc::ClientContext context;
  Prepare(&context);
  absl::Status status = FromGrpcStatus(stub_->Push(&context, request, &response));
  if (!status.ok()) return status;
  if (absl::Status acked = spool_.Acknowledge(response.acked_seq()); !acked.ok()) return acked;
  last_known_seq_ = response.acked_seq();
  handshake_done_ = true;
  PANTAU_LOG(INFO) << "connected to collector " << link_.address << "; it has stored our batches up to "
                   << response.acked_seq();
  return absl::OkStatus();
}

absl::StatusOr<bool> Sender::SendOnce() {
  if (!handshake_done_) {
    if (absl::Status s = Handshake(); !s.ok()) return s;
  }
  absl::StatusOr<absl::optional<SpoolBatch>> batch = spool_.NextBatch(batch_max_events_);
  if (!batch.ok()) return batch.status();
  metrics_.SetSpooled(static_cast<double>(spool_.size()));
  if (!batch->has_value()) return false;
  const SpoolBatch& b = **batch;

  v1::PushRequest request;
  request.set_agent_id(agent_id_);
  request.set_court_id(court_id_);
  request.set_batch_seq(b.seq);
  for (const v1::Event& e : b.events) *request.add_events() = e;
  v1::PushResponse response;
  grpc::ClientContext context;
  Prepare(&context);
  absl::Status status = FromGrpcStatus(stub_->Push(&context, request, &response));

  if (status.ok()) {
    if (response.acked_seq() < b.seq) {
      metrics_.CountPush("retry");
      return absl::InternalError(absl::StrCat("collector acknowledged seq ", response.acked_seq(),
                                              " for batch ", b.seq));
    }
    if (absl::Status s = spool_.Acknowledge(response.acked_seq()); !s.ok()) return s;
    metrics_.CountPush("ok");
    metrics_.SetSpooled(static_cast<double>(spool_.size()));
    PANTAU_LOG(DEBUG) << "batch " << b.seq << " (" << b.events.size() << " events) acknowledged";
    return true;
  }
  if (absl::IsResourceExhausted(status) && b.events.size() > 1) {
    // An earlier attempt of this seq may have been stored (its answer lost) before the
    // collector started refusing; ask first, so the events are never stored twice.
    if (absl::Status s = Handshake(); !s.ok()) return s;
    if (last_known_seq_ >= b.seq) return true;  // it was stored; Handshake acknowledged it
    // Nothing of it was stored; send the same events in smaller batches.
    batch_max_events_ = std::max<int>(1, static_cast<int>(b.events.size()) / 2);
    metrics_.CountPush("too_large");
    PANTAU_LOG(WARNING) << "collector refused batch " << b.seq << " as too large ("
                        << status.message() << "); retrying with batches of "
                        << batch_max_events_;
    if (absl::Status s = spool_.Unbatch(b.seq); !s.ok()) return s;
    return true;
  }
  if (absl::IsInvalidArgument(status) || absl::IsResourceExhausted(status)) {
    // The collector will never take this batch; keeping it would block everything behind it.
    absl::StatusOr<int64_t> dropped = spool_.DropBatch(b.seq);
    metrics_.CountPush("rejected");
    for (size_t i = 0; i < b.events.size(); ++i) metrics_.CountDrop("rejected");
    PANTAU_LOG(ERROR) << "collector rejected batch " << b.seq << ": " << status.message()
                      << "; dropped its " << (dropped.ok() ? *dropped : 0) << " events";
    return true;
  }
  metrics_.CountPush("retry");
  return status;
}

void Sender::Loop() {
  while (!stop_.StopRequested()) {
    absl::StatusOr<bool> sent = SendOnce();
    if (!sent.ok()) {
      const absl::Duration delay = backoff_.Next();
      PANTAU_LOG(WARNING) << "cannot deliver to collector " << link_.address << ": "
                          << sent.status().message() << "; retrying in "
                          << absl::FormatDuration(absl::Trunc(delay, absl::Milliseconds(1)))
                          << " (" << spool_.size() << " events kept in the spool)";
      if (clock_.WaitFor(delay, stop_)) return;
      continue;
    }
    backoff_.Reset();
    if (*sent) continue;  // more may be waiting
    // Idle: wait for new events (Wake) or poll again after a second.
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&woken_), absl::Seconds(1));
    woken_ = false;
  }
}

}  // namespace pantau::agent
