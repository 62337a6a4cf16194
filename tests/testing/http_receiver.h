// A small HTTP/1.1 server for tests that stands in for the services pantau calls: the
// Telegram Bot API, a WhatsApp gateway, webhook receivers. It listens on 127.0.0.1 (a port
// the kernel picks), records every request and answers with a canned or computed response
// chosen by the longest matching path prefix.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
//   http->SetResponse("/hook", 500, R"({"error":"down"})");
//   http->SetHandler("/bot123:abc/getUpdates", [&](const HttpReceiver::Request& r) {
//     return HttpReceiver::Response{200, "application/json", QueuedUpdates()};
//   });
//   ... code under test POSTs to http->Url("/hook") ...
//   ASSERT_OK_AND_ASSIGN(auto requests, http->WaitForRequests(1, absl::Seconds(30)));
//   EXPECT_EQ(requests[0].Header("idempotency-key"), "k1");
//
// It speaks enough HTTP/1.1 for libcurl: Content-Length and chunked request bodies,
// "Expect: 100-continue", keep-alive and Connection: close. One thread serves all connections
// (poll(2)); handlers run on it, so a slow handler delays other requests.
#ifndef PANTAU_TESTS_TESTING_HTTP_RECEIVER_H_
#define PANTAU_TESTS_TESTING_HTTP_RECEIVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pantau::testing {

// Thread-safe. Handlers may call the receiver's methods (they run without its lock held).
class HttpReceiver {
 public:
  struct Request {
    std::string method;  // "POST"
    std::string target;  // path and query as sent: "/bot1:x/getUpdates?offset=3"
    std::string path;    // target without the query
    std::string query;   // after '?', "" when none
    // Names lower-cased; repeated headers joined with ", ".
    std::map<std::string, std::string> headers;
    std::string body;  // de-chunked
    // Value of header `name` (any case); "" when absent.
    std::string Header(absl::string_view name) const;
  };

  struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    // Extra response headers, e.g. {"Retry-After", "5"}.
    std::vector<std::pair<std::string, std::string>> headers;
    // Close the connection without answering (a crashed server, as the client sees it).
    bool drop_connection = false;
  };

  using Handler = std::function<Response(const Request&)>;

  // Binds 127.0.0.1:0 and starts serving. Unanswered paths get 200 {"ok":true,"result":true}.
  static absl::StatusOr<std::unique_ptr<HttpReceiver>> Start();

  // Stops serving (see Stop()).
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path; a missing leading '/' is added.
  std::string Url(absl::string_view path = "/") const;

  // Answers requests whose target starts with `prefix` (the longest registered prefix wins;
  // a later call for the same prefix replaces the earlier one).
  void SetResponse(const std::string& prefix, int status, std::string body,
                   std::string content_type = "application/json");
  void SetResponse(const std::string& prefix, Response response);
  void SetHandler(const std::string& prefix, Handler handler);

  // Every complete request received so far, in arrival order. A request is recorded before its
  // response is sent.
  std::vector<Request> Requests() const;
  // Waits until at least `count` requests were recorded; returns them all, or
  // DeadlineExceeded (with the number seen) after `timeout`.
  absl::StatusOr<std::vector<Request>> WaitForRequests(size_t count, absl::Duration timeout);
  void ClearRequests();

  // Closes the listening socket and all connections and joins the thread. Idempotent.
  void Stop();

 private:
  struct Connection;

  HttpReceiver(int listen_fd, int wake_read_fd, int wake_write_fd, int port);
  void Serve();
  // Parses and answers every complete request in the connection's buffer. False when the
  // connection is to be closed.
  bool ServeBuffered(Connection* connection);
  Response Answer(const Request& request);

  const int listen_fd_;
  const int wake_read_fd_;
  const int wake_write_fd_;
  const int port_;
  std::thread thread_;

  mutable absl::Mutex mutex_;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, Handler> handlers_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_HTTP_RECEIVER_H_
