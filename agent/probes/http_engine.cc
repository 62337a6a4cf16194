#include "agent/probes/http_engine.h"

#include <curl/curl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace pantau::agent {
namespace {

using Steady = std::chrono::steady_clock;

constexpr char kDefaultUserAgent[] = "pantau-agent/0.1 (+court website monitor)";
constexpr char kStopping[] = "agent stopping";
constexpr size_t kMaxErrorBytes = 1000;
constexpr size_t kMaxHeaderValueBytes = 1000;
// How long the loop sleeps in curl_multi_poll when curl asks for nothing sooner; Submit() and
// Stop() wake it earlier.
constexpr int kMaxPollMs = 1000;

std::string Bounded(absl::string_view text, size_t max_bytes = kMaxErrorBytes) {
  return std::string(text.substr(0, max_bytes));
}

FetchResult Failed(const FetchRequest& request, absl::string_view error) {
  FetchResult result;
  result.error = Bounded(error);
  result.final_url = request.url;
  return result;
}

int64_t InfoMicros(CURL* curl, CURLINFO info) {
  curl_off_t value = 0;
  if (curl_easy_getinfo(curl, info, &value) != CURLE_OK) return 0;
  return static_cast<int64_t>(value);
}

std::string HttpVersionText(long version) {
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      return "1.0";
    case CURL_HTTP_VERSION_1_1:
      return "1.1";
    case CURL_HTTP_VERSION_2_0:
      return "2";
    case CURL_HTTP_VERSION_3:
      return "3";
    default:
      return "";
  }
}

// Certificate verification failures, as opposed to handshake or network errors: the
// certificate can still be read by connecting once more without verification.
bool IsVerificationError(CURLcode rc) {
  return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_INVALIDCERTSTATUS;
}

// "tcp://host:port" has no curl protocol: with CONNECT_ONLY an http:// URL connects the same
// way and sends nothing.
std::string CurlUrl(const FetchRequest& request) {
  if (request.connect_only && absl::StartsWithIgnoreCase(request.url, "tcp://")) {
    return absl::StrCat("http://", request.url.substr(6));
  }
  return request.url;
}

}  // namespace

void GlobalInitCurl() {
  static std::once_flag once;
  std::call_once(once, [] {
    const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) PANTAU_LOG(ERROR) << "curl_global_init: " << curl_easy_strerror(rc);
  });
}

namespace {

// One fetch from Submit() to its callback. Owned by the loop while it runs.
struct Transfer {
  FetchRequest request;
  HttpEngine::Callback done;
  FetchResult result;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  std::string url;  // this hop's URL, as curl gets it
  Steady::time_point deadline;
  // This hop repeats a failed verification without verifying, to read the certificate.
  bool insecure = false;
  bool verification_failed = false;
  // Per hop: reset by StartHop().
  int64_t body_bytes = 0;
  bool truncated = false;
  std::string body;
  std::string content_type;
  std::string last_modified;
  bool cert_read = false;
  std::optional<absl::Time> cert_not_after;
  std::string cert_issuer;
  std::string cert_subject;
  char error[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (header_list != nullptr) curl_slist_free_all(header_list);
  }
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  const int64_t room = std::max<int64_t>(0, t->request.max_body_bytes - t->body_bytes);
  if (static_cast<int64_t>(n) > room) {
    if (t->request.keep_body) t->body.append(data, static_cast<size_t>(room));
    t->body_bytes += room;
    t->truncated = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR): the read is bounded, not failed
  }
  if (t->request.keep_body) t->body.append(data, n);
  t->body_bytes += static_cast<int64_t>(n);
  return n;
}

// "C = ID, O = Let's Encrypt, CN = R3" (as `openssl x509 -noout -issuer` prints it), UTF-8.
std::string NameText(const X509_NAME* name) {
  if (name == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  std::string text;
  if (X509_NAME_print_ex(bio, name, 0,
                         (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT) >=
      0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0 && data != nullptr) {
      text.assign(data, std::min<size_t>(static_cast<size_t>(size), kMaxHeaderValueBytes));
    }
  }
  BIO_free(bio);
  return text;
}

// Reads the server's (leaf) certificate of this hop's TLS connection, once. Straight from OpenSSL rather than CURLOPT_CERTINFO: that one renders
// every certificate of the chain as text and PEM, about 10% of an https probe's CPU.
void CaptureCertificate(Transfer* t) {
  if (t->cert_read) return;
  t->cert_read = true;
  const curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == nullptr ||
      info->backend != CURLSSLBACKEND_OPENSSL || info->internals == nullptr) {
    return;
  }
  X509* cert = SSL_get0_peer_certificate(static_cast<SSL*>(info->internals));
  if (cert == nullptr) return;
  tm not_after{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &not_after) == 1) {
    t->cert_not_after = absl::FromCivil(
        absl::CivilSecond(not_after.tm_year + 1900, not_after.tm_mon + 1, not_after.tm_mday,
                          not_after.tm_hour, not_after.tm_min, not_after.tm_sec),
        absl::UTCTimeZone());
  }
  t->cert_issuer = NameText(X509_get_issuer_name(cert));
  t->cert_subject = NameText(X509_get_subject_name(cert));
}

// Called by curl once connected (TCP, TLS) and before the request goes out, or before a
// connect-only transfer ends: the one moment the TLS connection is surely there to read.
int BeforeRequest(void* user, char* /*primary_ip*/, char* /*local_ip*/, int /*primary_port*/,
                  int /*local_port*/) {
  CaptureCertificate(static_cast<Transfer*>(user));
  return CURL_PREREQFUNC_OK;
}

size_t ReadHeader(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nitems;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after a 1xx, say): only the last one's headers count.
    t->content_type.clear();
    t->last_modified.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  const absl::string_view name = line.substr(0, colon);
  std::string* target = nullptr;
  if (absl::EqualsIgnoreCase(name, "Content-Type")) target = &t->content_type;
  if (absl::EqualsIgnoreCase(name, "Last-Modified")) target = &t->last_modified;
  if (target != nullptr) {
    *target = Bounded(absl::StripAsciiWhitespace(line.substr(colon + 1)), kMaxHeaderValueBytes);
  }
  return n;
}

}  // namespace

class HttpEngine::Impl {
 public:
  Impl(const HttpEngineOptions& options, CURLM* multi) : options_(options), multi_(multi) {}

  ~Impl() {
    Stop();
    for (CURL* easy : free_handles_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  void Submit(FetchRequest request, Callback done) {
    std::string error;
    {
      absl::MutexLock lock(&mu_);
      if (stop_requested_) {
        error = kStopping;
      } else if (pending_ >= options_.max_queued) {
        error = absl::StrCat("too many fetches queued (", options_.max_queued, ")");
      } else {
        auto t = std::make_unique<Transfer>();
        t->request = std::move(request);
        t->done = std::move(done);
        queue_.push_back(std::move(t));
        ++pending_;
        curl_multi_wakeup(multi_);
        return;
      }
    }
    // Outside the lock: the callback may Submit() again.
    FetchResult failed = Failed(request, error);
    failed.local_failure = true;
    done(std::move(failed));
  }

  void Start() {
    std::lock_guard<std::mutex> join_lock(join_mu_);
    absl::MutexLock lock(&mu_);
    if (thread_.joinable() || stop_requested_ || loop_running_) return;
    loop_running_ = true;
    thread_ = std::thread([this] { Loop(/*until_idle=*/false); });
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_requested_ = true;
      curl_multi_wakeup(multi_);
      // From a callback (on the loop thread): the loop fails what is left once the callback
      // returns; waiting here would wait for ourselves.
      if (loop_running_ && loop_thread_ == std::this_thread::get_id()) return;
      mu_.Await(absl::Condition(
          +[](bool* running) { return !*running; }, &loop_running_));
    }
    {
      std::lock_guard<std::mutex> lock(join_mu_);
      if (thread_.joinable()) thread_.join();
    }
    // No loop ran: what is still queued completes here, on the caller's thread.
    FailQueued();
  }

  void RunUntilIdle() {
    {
      absl::MutexLock lock(&mu_);
      if (loop_running_ || thread_.joinable()) {
        PANTAU_LOG(WARNING) << "HttpEngine::RunUntilIdle while the loop runs elsewhere; ignored";
        return;
      }
      loop_running_ = true;
    }
    Loop(/*until_idle=*/true);
  }

  int pending() const {
    absl::MutexLock lock(&mu_);
    return pending_;
  }

  bool WaitIdle(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(+[](int* pending) { return *pending == 0; }, &pending_), timeout);
  }

 private:
  void Loop(bool until_idle) {
    {
      absl::MutexLock lock(&mu_);
      loop_thread_ = std::this_thread::get_id();
    }
    std::vector<std::unique_ptr<Transfer>> completed;
    while (true) {
      Activate(&completed);
      int still_running = 0;
      CURLMcode mc = curl_multi_perform(multi_, &still_running);
      if (mc != CURLM_OK) LogMultiError("curl_multi_perform", mc);
      Harvest(&completed);
      Deliver(&completed);
      bool room_for_queued = false;
      {
        absl::MutexLock lock(&mu_);
        if (stop_requested_ || (until_idle && pending_ == 0)) break;
        room_for_queued =
            !queue_.empty() && static_cast<int>(active_.size()) < options_.max_concurrent;
      }
      // Completions made room: start the queued fetches now, not after the next poll.
      if (room_for_queued) continue;
      mc = curl_multi_poll(multi_, nullptr, 0, kMaxPollMs, nullptr);
      if (mc != CURLM_OK) {
        LogMultiError("curl_multi_poll", mc);
        // Never spin: without a working poll, wait a little for the next round.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    // Stopping (or idle): fail what runs; what is queued is failed by FailQueued().
    for (auto& [easy, t] : active_) {
      curl_multi_remove_handle(multi_, easy);
      ReleaseHandle(t.get());
      t->result = Failed(t->request, kStopping);
      t->result.local_failure = true;
      completed.push_back(std::move(t));
    }
    active_.clear();
    Deliver(&completed);
    FailQueued();
    absl::MutexLock lock(&mu_);
    loop_running_ = false;
    loop_thread_ = std::thread::id();
  }

  // Fails everything queued when stopping. A no-op when not stopping.
  void FailQueued() {
    std::deque<std::unique_ptr<Transfer>> queued;
    {
      absl::MutexLock lock(&mu_);
      if (!stop_requested_) return;
      queued.swap(queue_);
    }
    std::vector<std::unique_ptr<Transfer>> completed;
    for (auto& t : queued) {
      t->result = Failed(t->request, kStopping);
      t->result.local_failure = true;
      completed.push_back(std::move(t));
    }
    Deliver(&completed);
  }

  void LogMultiError(const char* what, CURLMcode mc) {
    // Rate-limited: a broken multi handle would otherwise log every round.
    if (++multi_errors_ <= 10 || multi_errors_ % 1000 == 0) {
      PANTAU_LOG(ERROR) << what << ": " << curl_multi_strerror(mc) << " (" << multi_errors_
                        << " so far)";
    }
  }

  // Moves queued fetches into curl, up to max_concurrent.
  void Activate(std::vector<std::unique_ptr<Transfer>>* completed) {
    while (static_cast<int>(active_.size()) < options_.max_concurrent) {
      std::unique_ptr<Transfer> t;
      {
        absl::MutexLock lock(&mu_);
        if (queue_.empty() || stop_requested_) return;
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      t->deadline = Steady::now() + absl::ToChronoMilliseconds(t->request.timeout);
      t->url = CurlUrl(t->request);
      for (const std::string& header : t->request.headers) {
        if (header.find_first_of("\r\n") != std::string::npos) {
          t->result = Failed(t->request, "request header contains a line break");
          completed->push_back(std::move(t));
          break;
        }
        t->header_list = curl_slist_append(t->header_list, header.c_str());
      }
      if (t == nullptr) continue;
      if (!AcquireHandle(t.get())) {
        t->result = Failed(t->request, "cannot create a curl handle");
        completed->push_back(std::move(t));
        continue;
      }
      StartHop(std::move(t), completed);
    }
  }

  bool AcquireHandle(Transfer* t) {
    if (!free_handles_.empty()) {
      t->easy = free_handles_.back();
      free_handles_.pop_back();
      return true;
    }
    t->easy = curl_easy_init();
    return t->easy != nullptr;
  }

  void ReleaseHandle(Transfer* t) {
    if (t->easy == nullptr) return;
    // Reset now, not at reuse: a connect-only handle holds its connection until then.
    curl_easy_reset(t->easy);
    if (static_cast<int>(free_handles_.size()) < options_.max_concurrent) {
      free_handles_.push_back(t->easy);
    } else {
      curl_easy_cleanup(t->easy);
    }
    t->easy = nullptr;
  }

  // Configures t->easy for t->url and adds it to the multi handle; on failure completes t.
  void StartHop(std::unique_ptr<Transfer> t, std::vector<std::unique_ptr<Transfer>>* completed) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(t->deadline - Steady::now());
    if (remaining.count() <= 0) {
      std::string error = absl::StrCat("timed out after ",
                                       absl::ToInt64Milliseconds(t->request.timeout),
                                       " ms (redirects included)");
      Complete(std::move(t), error, completed);
      return;
    }
    t->body_bytes = 0;
    t->truncated = false;
    t->body.clear();
    t->content_type.clear();
    t->last_modified.clear();
    t->error[0] = '\0';
    const FetchRequest& r = t->request;
    const bool https = absl::StartsWithIgnoreCase(t->url, "https://");
    t->cert_read = !https;
    t->cert_not_after.reset();
    t->cert_issuer.clear();
    t->cert_subject.clear();
    CURL* e = t->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, t->url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(remaining.count()));
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    // Redirects are followed here, hop by hop, so each one is recorded.
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT,
                     r.user_agent.empty() ? kDefaultUserAgent : r.user_agent.c_str());
    if (t->header_list != nullptr) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // what a browser would get
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, ReadHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    // Every lookup is a real one, as for a first visitor (curl caches names for 60 s).
    curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    if (r.fresh_connection) {
      // A new connection and a full handshake: what a visitor's first request costs.
      curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
      curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    }
    if (https && r.inspect_tls) {
      curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, BeforeRequest);
      curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
    }
    if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
    // No CA directory, only the bundle file: curl (>= 7.87) then keeps the parsed CA store in
    // the multi handle for every later connection. With Debian's default CApath
    // (/etc/ssl/certs) it would parse the whole bundle again on each connection — most of the
    // CPU of an https probe. The Debian bundle holds the same certificates as the directory.
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    if (t->insecure) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r.connect_only) curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    const CURLMcode mc = curl_multi_add_handle(multi_, e);
    if (mc != CURLM_OK) {
      Complete(std::move(t), absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(mc)),
               completed);
      return;
    }
    CURL* key = e;
    active_.emplace(key, std::move(t));
  }

  // Reads curl's finished transfers: next hop, verification retry, or completion.
  void Harvest(std::vector<std::unique_ptr<Transfer>>* completed) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode rc = msg->data.result;
      auto it = active_.find(easy);
      if (it == active_.end()) {  // not ours: cannot happen
        curl_multi_remove_handle(multi_, easy);
        continue;
      }
      std::unique_ptr<Transfer> t = std::move(it->second);
      active_.erase(it);
      curl_multi_remove_handle(multi_, easy);
      FinishHop(std::move(t), rc, completed);
    }
  }

  void FinishHop(std::unique_ptr<Transfer> t, CURLcode rc,
                 std::vector<std::unique_ptr<Transfer>>* completed) {
    CURL* e = t->easy;
    FetchResult& result = t->result;
    const bool https = absl::StartsWithIgnoreCase(t->url, "https://");
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    long version = 0;
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    // curl's times are cumulative from the start of the hop; ours are each phase on its own.
    const int64_t dns = InfoMicros(e, CURLINFO_NAMELOOKUP_TIME_T);
    const int64_t connect = InfoMicros(e, CURLINFO_CONNECT_TIME_T);
    const int64_t tls = InfoMicros(e, CURLINFO_APPCONNECT_TIME_T);
    const int64_t first_byte = InfoMicros(e, CURLINFO_STARTTRANSFER_TIME_T);
    const int64_t total = InfoMicros(e, CURLINFO_TOTAL_TIME_T);
    const int64_t ready = tls > 0 ? tls : connect;
    result.dns_us = dns;
    result.connect_us = connect > dns ? connect - dns : 0;
    result.tls_us = tls > connect ? tls - connect : 0;
    result.first_byte_us = first_byte > ready ? first_byte - ready : 0;
    result.total_us += total;
    const std::string curl_error = Bounded(t->error[0] != '\0' ? t->error : curl_easy_strerror(rc));

    if (https && !t->insecure && IsVerificationError(rc)) {
      t->verification_failed = true;
      result.tls = true;
      result.tls_verified = false;
      result.tls_error = curl_error;
      result.cert_not_after.reset();
      result.cert_issuer.clear();
      result.cert_subject.clear();
      if (t->request.inspect_tls) {
        // Same hop again, without verification, to read the certificate and the status.
        t->insecure = true;
        StartHop(std::move(t), completed);
        return;
      }
      result.final_url = t->url;
      Complete(std::move(t), curl_error, completed);
      return;
    }

    // This hop's TLS: a redirect to http:// leaves none; a failure before the handshake
    // completed has none to report (unless verification failed before: that stays).
    const bool handshake_done = https && tls > 0;
    if (!t->verification_failed) {
      result.tls = handshake_done;
      result.tls_verified = handshake_done;
      result.tls_error.clear();
    }
    result.cert_not_after.reset();
    result.cert_issuer.clear();
    result.cert_subject.clear();
    if (handshake_done && t->request.inspect_tls) {
      result.cert_not_after = t->cert_not_after;
      result.cert_issuer = t->cert_issuer;
      result.cert_subject = t->cert_subject;
    }
    result.http_version = HttpVersionText(version);
    result.final_url = t->url;
    // An unverified hop is never a success; its error is why verification failed.
    const std::string failure = t->verification_failed ? result.tls_error : std::string();

    const bool ok = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && t->truncated);
    if (!ok) {
      Complete(std::move(t), failure.empty() ? curl_error : failure, completed);
      return;
    }
    if (t->request.connect_only) {
      result.transfer_ok = failure.empty();
      Complete(std::move(t), failure, completed);
      return;
    }

    FetchHop hop;
    hop.url = t->url;
    hop.status = static_cast<int>(status);
    char* location = nullptr;
    if (status >= 300 && status < 400 &&
        curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
        location != nullptr) {
      hop.location = Bounded(location, 8192);
    }
    result.status = hop.status;
    result.content_type = std::move(t->content_type);
    result.last_modified = std::move(t->last_modified);
    result.body_bytes = t->body_bytes;
    result.truncated = t->truncated;
    result.body = t->request.keep_body ? std::move(t->body) : std::string();
    const std::string next = hop.location;
    result.hops.push_back(std::move(hop));

    if (next.empty() || !failure.empty()) {
      // The final response (an unverified one is not followed further).
      result.transfer_ok = failure.empty();
      Complete(std::move(t), failure, completed);
      return;
    }
    if (static_cast<int>(result.hops.size()) - 1 >= t->request.max_redirects) {
      const std::string error =
          absl::StrCat("too many redirects (", t->request.max_redirects, ")");
      Complete(std::move(t), error, completed);
      return;
    }
    t->url = next;
    StartHop(std::move(t), completed);
  }

  void Complete(std::unique_ptr<Transfer> t, absl::string_view error,
                std::vector<std::unique_ptr<Transfer>>* completed) {
    ReleaseHandle(t.get());
    if (!error.empty()) {
      t->result.transfer_ok = false;
      t->result.error = Bounded(error);
    }
    if (t->result.final_url.empty()) t->result.final_url = t->url;
    completed->push_back(std::move(t));
  }

  // Runs the callbacks of completed fetches, outside the lock, on the calling (loop) thread.
  // A fetch stays pending until its callback has returned, so fetches the callback submits are
  // counted before it stops counting: pending() never dips to 0 between stages of a chain.
  void Deliver(std::vector<std::unique_ptr<Transfer>>* completed) {
    if (completed->empty()) return;
    for (auto& t : *completed) {
      Callback done = std::move(t->done);
      FetchResult result = std::move(t->result);
      t.reset();
      done(std::move(result));
      absl::MutexLock lock(&mu_);
      --pending_;
    }
    completed->clear();
  }

  const HttpEngineOptions options_;
  CURLM* const multi_;  // thread-safe parts only outside the loop: curl_multi_wakeup

  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;  // queued + running + being completed
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool loop_running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id loop_thread_ ABSL_GUARDED_BY(mu_);
  std::mutex join_mu_;   // Start() and Stop() from different threads
  std::thread thread_;  // Start()'s loop; joined by Stop()

  // Loop thread only.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> free_handles_;
  int64_t multi_errors_ = 0;
};

absl::StatusOr<std::unique_ptr<HttpEngine>> HttpEngine::Create(const HttpEngineOptions& options) {
  if (options.max_concurrent < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_concurrent must be at least 1, got ", options.max_concurrent));
  }
  if (options.max_queued < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_queued must be at least 1, got ", options.max_queued));
  }
  GlobalInitCurl();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  return std::unique_ptr<HttpEngine>(new HttpEngine(std::make_unique<Impl>(options, multi)));
}

HttpEngine::HttpEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpEngine::~HttpEngine() = default;  // ~Impl() stops
void HttpEngine::Submit(FetchRequest request, Callback done) {
  impl_->Submit(std::move(request), std::move(done));
}
void HttpEngine::Start() { impl_->Start(); }
void HttpEngine::Stop() { impl_->Stop(); }
void HttpEngine::RunUntilIdle() { impl_->RunUntilIdle(); }
int HttpEngine::pending() const { return impl_->pending(); }
bool HttpEngine::WaitIdle(absl::Duration timeout) { return impl_->WaitIdle(timeout); }

std::vector<FetchResult> FetchAll(std::vector<FetchRequest> requests,
                                  const HttpEngineOptions& options) {
  std::vector<FetchResult> results(requests.size());
  absl::StatusOr<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(options);
  if (!engine.ok()) {
    for (size_t i = 0; i < requests.size(); ++i) {
      results[i] = Failed(requests[i], engine.status().ToString());
    }
    return results;
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    (*engine)->Submit(std::move(requests[i]),
                      [&results, i](FetchResult result) { results[i] = std::move(result); });
  }
  (*engine)->RunUntilIdle();
  return results;
}

}  // namespace pantau::agent
