// Concurrent HTTP(S) and TCP fetches on one event loop (libcurl's multi interface): many
// transfers, one thread, no thread per probe. Used by every agent check that talks to a site.
//
//   PANTAU_ASSIGN_OR_RETURN(auto engine, HttpEngine::Create({}));
//   engine->Start();
//   FetchRequest request;
//   request.url = "https://pn-contoh.go.id/";
//   engine->Submit(std::move(request), [](FetchResult result) { ... });   // on the loop thread
//   ...
//   engine->Stop();
//
// Or, for one-shot tools, without Start(): Submit() several, then RunUntilIdle().
#ifndef PANTAU_AGENT_PROBES_HTTP_ENGINE_H_
#define PANTAU_AGENT_PROBES_HTTP_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pantau::agent {

// Call once in main() before any thread starts (libcurl's rule). Idempotent.
void GlobalInitCurl();

struct FetchRequest {
  // http://, https:// (or, with connect_only, any of them or tcp://host:port).
  std::string url;
  // Extra request headers, "Name: value" each (e.g. "Referer: https://www.google.com/").
  std::vector<std::string> headers;
  // Empty = the agent's own User-Agent ("pantau-agent/<version> (+court website monitor)").
  std::string user_agent;
  // Whole fetch, all redirects included.
  absl::Duration timeout = absl::Seconds(10);
  // Redirects are followed one by one (each hop recorded) up to this many; the next one is
  // an error "too many redirects".
  int max_redirects = 5;
  // Bodies are read up to this many bytes, then the transfer stops (truncated = true; not an
  // error).
  int64_t max_body_bytes = 5 << 20;
  // Keep the body bytes in FetchResult::body (else only counted).
  bool keep_body = false;
  // Only connect (TCP, and TLS for https), send nothing: the TCP port check.
  bool connect_only = false;
  // Read the certificate (expiry, issuer) of https hops. When verification fails, the fetch
  // is repeated once without verification to read the certificate; the result still says
  // tls_verified = false with the reason, and transfer_ok = false. That unverified hop is the
  // last one: a redirect it answers with is recorded (hop location) but not followed.
  bool inspect_tls = true;
  // True (the default): a new connection and a full TLS handshake, closed afterwards — what a
  // first visitor pays. False: an idle connection to the same host left by an earlier fetch
  // with fresh_connection = false may be reused and is kept open afterwards (load drivers,
  // many pages of one site).
  bool fresh_connection = true;
};

struct FetchHop {
  std::string url;
  int status = 0;
  std::string location;  // the resolved redirect target; empty on the last hop
};

struct FetchResult {
  // False when no complete response arrived (DNS, refused, timeout, TLS failure, too many
  // redirects); `error` says why (curl's text, in English; at most 1000 bytes). With
  // connect_only: true when connected (and, for https, the certificate verified).
  bool transfer_ok = false;
  std::string error;
  // The fetch failed here, not at the site: the engine was stopping or its queue was full.
  // Such a result says nothing about the site and is not reported as one.
  bool local_failure = false;
  // Final response.
  int status = 0;
  std::string http_version;  // "1.0", "1.1", "2", "3"
  std::string final_url;
  std::vector<FetchHop> hops;  // every response in order; hops.size() - 1 redirects followed
  std::string content_type;   // of the final response; values are cut at 1000 bytes
  std::string last_modified;  // the header's value, as sent
  // Timings of the final hop in microseconds, each phase on its own (not cumulative), and
  // the total over all hops.
  int64_t dns_us = 0, connect_us = 0, tls_us = 0, first_byte_us = 0, total_us = 0;
  int64_t body_bytes = 0;
  bool truncated = false;
  std::string body;  // when keep_body
  // TLS of the final https hop (tls = false on plain http).
  bool tls = false;
  bool tls_verified = false;
  std::string tls_error;  // why verification failed; empty when verified
  // The server's own (leaf) certificate, read once the TLS handshake is done (also when the
  // request then fails); unset when the handshake did not complete. Names in OpenSSL's one-line form,
  // "C = ID, O = Let's Encrypt, CN = R3", UTF-8, at most 1000 bytes.
  std::optional<absl::Time> cert_not_after;
  std::string cert_issuer;
  std::string cert_subject;
};

struct HttpEngineOptions {
  // Transfers running at once (>= 1); more wait in a queue (bounded memory: each keeps its
  // body).
  int max_concurrent = 32;
  // Most queued + running fetches (>= 1); Submit beyond it completes at once with an error
  // "too many fetches queued (N)".
  int max_queued = 10000;
  // CA bundle file (PEM), the only certificates trusted; empty = the system's bundle
  // (Debian: /etc/ssl/certs/ca-certificates.crt). Read once and kept for 24 h.
  std::string ca_file;
};

// Thread-safe: Submit() from any thread, also from inside a completion callback. Callbacks run
// on the loop thread (the Start() thread, or the caller of RunUntilIdle()), one at a time, and
// must not block for long. Every submitted fetch completes exactly once, also at Stop() (with
// transfer_ok = false, error "agent stopping"). Two cases complete inside Submit() itself, on
// the caller's thread: a full queue (max_queued) and a Submit after Stop() — so don't call
// Submit() holding a lock that the callback takes. The engine must outlive its loop: don't
// destroy it from inside a callback.
class HttpEngine {
 public:
  using Callback = std::function<void(FetchResult)>;

  // InvalidArgument for bad options, Internal when libcurl cannot make its handles.
  static absl::StatusOr<std::unique_ptr<HttpEngine>> Create(const HttpEngineOptions& options);
  ~HttpEngine();  // Stop()s

  void Submit(FetchRequest request, Callback done);

  // Runs the loop on a thread of its own until Stop().
  void Start();
  // Ends the loop; fetches still queued or running complete with "agent stopping". Idempotent.
  void Stop();
  // Without Start(): runs the loop in the calling thread until nothing is queued or running
  // (including fetches submitted by callbacks), or until Stop(). REQUIRES: Start() was not
  // called and no other RunUntilIdle() is running (else it returns at once).
  void RunUntilIdle();

  // Fetches queued or running now (a fetch counts until its callback has returned).
  int pending() const;
  // With Start(): waits until nothing is pending (fetches that callbacks submit included), or
  // for `timeout`. True when idle. Used to let fetches in flight finish before Stop().
  bool WaitIdle(absl::Duration timeout);

 private:
  class Impl;
  explicit HttpEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Convenience for one-shot use: runs `requests` concurrently on a private engine and returns
// their results in the same order (when the engine cannot be created, each says why).
std::vector<FetchResult> FetchAll(std::vector<FetchRequest> requests,
                                  const HttpEngineOptions& options = {});

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_PROBES_HTTP_ENGINE_H_
