#include "agent/probes/http_engine.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/eventually.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/ports.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

// Nothing listens on port 1: a redirect target that refuses.
constexpr char kRefusingPlainUrl[] = "http://127.0.0.1:1/";
constexpr char kPage[] = "<html><body>Pengadilan Negeri Contoh</body></html>\n";
// 2020-01-01T00:00:00Z, a Wednesday: the mtime of index.html, so nginx's Last-Modified.
constexpr int64_t kPageMtime = 1577836800;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The access-log line (nginx "combined") whose request line contains `needle`, or "".
std::string AccessLogLine(const testing::NginxServer& nginx, absl::string_view needle) {
  for (absl::string_view line : absl::StrSplit(ReadFile(nginx.access_log_path()), '\n')) {
    if (absl::StrContains(line, needle)) return std::string(line);
  }
  return "";
}

int OpenFds() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++n;
  }
  return n;
}

// A TCP server on 127.0.0.1 that never says a word. With accept_connections it accepts (and
// counts) connections and keeps them open; without, they wait in the listen backlog.
class SilentServer {
 public:
  explicit SilentServer(bool accept_connections) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 64) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (accept_connections) thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~SilentServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int fd : accepted_fds_) ::close(fd);
    ::close(fd_);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/"); }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      // Bounded wait so the destructor's stop_ is seen; not a synchronisation sleep.
      if (::poll(&p, 1, 20) <= 0) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      accepted_fds_.push_back(client);
      ++accepted_;
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> accepted_fds_;  // accept thread only, then the destructor
  std::thread thread_;
};

FetchRequest Get(const std::string& url) {
  FetchRequest request;
  request.url = url;
  request.timeout = absl::Seconds(20);
  return request;
}

FetchResult FetchOne(FetchRequest request, const HttpEngineOptions& options = {}) {
  std::vector<FetchRequest> requests;
  requests.push_back(std::move(request));
  std::vector<FetchResult> results = FetchAll(std::move(requests), options);
  return results.empty() ? FetchResult{} : std::move(results[0]);
}

class HttpEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GlobalInitCurl();
    testing::NginxOptions options;
    options.extra_server_conf =
        "location = /r1 { return 301 /r2; }\n"
        "location = /r2 { return 302 /index.html; }\n"
        "location = /loop { return 302 /loop; }\n"
        "location = /broken { return 500; }\n";
    auto nginx = testing::NginxServer::Start(options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = nginx->release();
    ASSERT_OK(nginx_->WriteFile("index.html", kPage));
    const std::string index = nginx_->root_dir() + "/index.html";
    const timeval times[2] = {{kPageMtime, 0}, {kPageMtime, 0}};
    ASSERT_EQ(::utimes(index.c_str(), times), 0);
    // A sparse 1 GiB file: costs no disk, would take a while to read in full.
    const std::string big = nginx_->root_dir() + "/big.bin";
    { std::ofstream(big, std::ios::binary).put('x'); }
    std::filesystem::resize_file(big, int64_t{1} << 30);
    ASSERT_EQ(::chmod(big.c_str(), 0644), 0);
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  static testing::NginxServer* nginx_;
};
testing::NginxServer* HttpEngineTest::nginx_ = nullptr;

TEST_F(HttpEngineTest, PageIsFetchedWithBodyHeadersAndTimings) {
  FetchRequest request = Get(nginx_->Url("/index.html"));
  request.keep_body = true;
  FetchResult r = FetchOne(request);
  EXPECT_TRUE(r.transfer_ok) << r.error;
  EXPECT_THAT(r.error, IsEmpty());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.http_version, "1.1");
  EXPECT_EQ(r.final_url, nginx_->Url("/index.html"));
  EXPECT_THAT(r.hops, ElementsAre(Field(&FetchHop::status, 200)));
  EXPECT_EQ(r.body, kPage);
  EXPECT_EQ(r.body_bytes, static_cast<int64_t>(sizeof(kPage) - 1));
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.content_type, "text/html");
  EXPECT_EQ(r.last_modified, "Wed, 01 Jan 2020 00:00:00 GMT");
  EXPECT_GT(r.total_us, 0);
  EXPECT_LE(r.dns_us + r.connect_us + r.tls_us + r.first_byte_us, r.total_us);
  EXPECT_FALSE(r.tls);
  EXPECT_EQ(r.tls_us, 0);
  EXPECT_FALSE(r.cert_not_after.has_value());
}

TEST_F(HttpEngineTest, BodyIsOnlyCountedWithoutKeepBody) {
  FetchResult r = FetchOne(Get(nginx_->Url("/index.html")));
  EXPECT_TRUE(r.transfer_ok) << r.error;
  EXPECT_EQ(r.body_bytes, static_cast<int64_t>(sizeof(kPage) - 1));
  EXPECT_THAT(r.body, IsEmpty());
}

TEST_F(HttpEngineTest, ErrorStatusesAreCompleteResponses) {
  std::vector<FetchResult> results =
      FetchAll({Get(nginx_->Url("/missing.html")), Get(nginx_->Url("/broken"))});
  ASSERT_THAT(results, SizeIs(2));
  EXPECT_TRUE(results[0].transfer_ok) << results[0].error;
  EXPECT_EQ(results[0].status, 404);
  EXPECT_TRUE(results[1].transfer_ok) << results[1].error;
  EXPECT_EQ(results[1].status, 500);
}

TEST_F(HttpEngineTest, RedirectChainRecordsEveryHop) {
  FetchResult r = FetchOne(Get(nginx_->Url("/r1")));
  EXPECT_TRUE(r.transfer_ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.final_url, nginx_->Url("/index.html"));
  ASSERT_THAT(r.hops, SizeIs(3));
  EXPECT_EQ(r.hops[0].url, nginx_->Url("/r1"));
  EXPECT_EQ(r.hops[0].status, 301);
  EXPECT_EQ(r.hops[0].location, nginx_->Url("/r2"));
  EXPECT_EQ(r.hops[1].url, nginx_->Url("/r2"));
  EXPECT_EQ(r.hops[1].status, 302);
  EXPECT_EQ(r.hops[1].location, nginx_->Url("/index.html"));
  EXPECT_EQ(r.hops[2].url, nginx_->Url("/index.html"));
  EXPECT_EQ(r.hops[2].status, 200);
  EXPECT_THAT(r.hops[2].location, IsEmpty());
  EXPECT_EQ(r.content_type, "text/html");  // the final hop's, not the redirect's
  EXPECT_EQ(r.body_bytes, static_cast<int64_t>(sizeof(kPage) - 1));
}

TEST_F(HttpEngineTest, RedirectLoopStopsAtMaxRedirects) {
  FetchRequest request = Get(nginx_->Url("/loop"));
  request.max_redirects = 4;
  const absl::Time start = absl::Now();
  FetchResult r = FetchOne(request);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_EQ(r.error, "too many redirects (4)");
  EXPECT_THAT(r.hops, SizeIs(5));  // the first response and 4 redirects followed
  EXPECT_EQ(r.status, 302);
}

TEST_F(HttpEngineTest, ZeroMaxRedirectsRefusesTheFirstRedirect) {
  FetchRequest request = Get(nginx_->Url("/r1"));
  request.max_redirects = 0;
  FetchResult r = FetchOne(request);
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_EQ(r.error, "too many redirects (0)");
  EXPECT_THAT(r.hops, ElementsAre(Field(&FetchHop::status, 301)));
}

TEST_F(HttpEngineTest, BodyReadStopsAtTheBound) {
  FetchRequest request = Get(nginx_->Url("/big.bin?bounded"));
  request.max_body_bytes = 1 << 20;
  request.keep_body = true;
  FetchResult r = FetchOne(request);
  EXPECT_TRUE(r.transfer_ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.body_bytes, 1 << 20);
  EXPECT_EQ(r.body.size(), size_t{1} << 20);
  // nginx logs how much it sent before we hung up: far less than the 1 GiB file.
  std::string line;
  ASSERT_TRUE(testing::Eventually(
      [&] { return !(line = AccessLogLine(*nginx_, "/big.bin?bounded")).empty(); },
      absl::Seconds(30)));
  std::vector<std::string> fields = absl::StrSplit(line, ' ');
  ASSERT_GT(fields.size(), 9u) << line;
  int64_t sent = 0;
  ASSERT_TRUE(absl::SimpleAtoi(fields[9], &sent)) << line;
  EXPECT_LT(sent, int64_t{256} << 20) << line;
}

TEST_F(HttpEngineTest, RefusedConnectionFails) {
  absl::StatusOr<int> port = testing::PickFreePort();
  ASSERT_OK(port.status());
  FetchResult r = FetchOne(Get(absl::StrCat("http://127.0.0.1:", *port, "/")));
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.error, HasSubstr("onnect"));
  EXPECT_THAT(r.hops, IsEmpty());
}

TEST_F(HttpEngineTest, SilentServerTimesOutWithinTheTimeout) {
  SilentServer silent(/*accept_connections=*/true);
  FetchRequest request = Get(silent.Url());
  request.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  FetchResult r = FetchOne(request);
  const absl::Duration took = absl::Now() - start;
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_THAT(r.error, HasSubstr("imed out"));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_EQ(silent.accepted(), 1);
}

TEST_F(HttpEngineTest, BacklogOnlyServerTimesOut) {
  SilentServer silent(/*accept_connections=*/false);
  FetchRequest request = Get(silent.Url());
  request.timeout = absl::Milliseconds(300);
  FetchResult r = FetchOne(request);
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_THAT(r.error, HasSubstr("imed out"));
}

TEST_F(HttpEngineTest, UserAgentAndRefererReachTheServer) {
  FetchRequest custom = Get(nginx_->Url("/index.html?custom-ua"));
  custom.user_agent = "Mozilla/5.0 (pantau test)";
  custom.headers = {"Referer: https://www.google.com/search?q=pn"};
  FetchRequest plain = Get(nginx_->Url("/index.html?default-ua"));
  std::vector<FetchResult> results = FetchAll({custom, plain});
  ASSERT_TRUE(results[0].transfer_ok) << results[0].error;
  ASSERT_TRUE(results[1].transfer_ok) << results[1].error;
  std::string custom_line, plain_line;
  ASSERT_TRUE(testing::Eventually([&] {
    custom_line = AccessLogLine(*nginx_, "?custom-ua");
    plain_line = AccessLogLine(*nginx_, "?default-ua");
    return !custom_line.empty() && !plain_line.empty();
  }));
  // combined: ... "$http_referer" "$http_user_agent"
  EXPECT_THAT(custom_line,
              HasSubstr("\"https://www.google.com/search?q=pn\" \"Mozilla/5.0 (pantau test)\""));
  EXPECT_THAT(plain_line, HasSubstr("\"-\" \"pantau-agent/"));
  EXPECT_THAT(plain_line, HasSubstr("(+court website monitor)\""));
}

TEST_F(HttpEngineTest, HeaderWithLineBreakIsRejected) {
  FetchRequest request = Get(nginx_->Url("/index.html"));
  request.headers = {"X-Test: a\r\nX-Injected: b"};
  FetchResult r = FetchOne(request);
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_THAT(r.error, HasSubstr("line break"));
}

TEST_F(HttpEngineTest, ConnectOnlyChecksThePort) {
  absl::StatusOr<int> closed = testing::PickFreePort();
  ASSERT_OK(closed.status());
  std::vector<FetchRequest> requests(4);
  requests[0].url = nginx_->Url("/");
  requests[1].url = absl::StrCat("tcp://127.0.0.1:", nginx_->port());
  requests[2].url = absl::StrCat("tcp://127.0.0.1:", *closed);
  requests[3].url = absl::StrCat("http://127.0.0.1:", *closed, "/");
  for (FetchRequest& r : requests) r.connect_only = true;
  std::vector<FetchResult> results = FetchAll(requests);
  ASSERT_THAT(results, SizeIs(4));
  EXPECT_TRUE(results[0].transfer_ok) << results[0].error;
  EXPECT_EQ(results[0].status, 0);
  EXPECT_GT(results[0].total_us, 0);
  EXPECT_TRUE(results[1].transfer_ok) << results[1].error;
  EXPECT_FALSE(results[2].transfer_ok);
  EXPECT_THAT(results[2].error, HasSubstr("onnect"));
  EXPECT_FALSE(results[3].transfer_ok);
}

TEST_F(HttpEngineTest, ConnectOnlyLeavesNoConnectionsOpen) {
  auto engine = HttpEngine::Create({});
  ASSERT_OK(engine.status());
  const int fds_before = OpenFds();
  int ok = 0;
  for (int i = 0; i < 60; ++i) {
    FetchRequest request;
    request.url = absl::StrCat("tcp://127.0.0.1:", nginx_->port());
    request.connect_only = true;
    (*engine)->Submit(request, [&ok](FetchResult r) { ok += r.transfer_ok ? 1 : 0; });
  }
  (*engine)->RunUntilIdle();
  EXPECT_EQ(ok, 60);
  // The engine keeps at most its poll and wakeup descriptors; no connection per fetch.
  EXPECT_LT(OpenFds() - fds_before, 10);
}

TEST_F(HttpEngineTest, HundredConcurrentFetchesCompleteExactlyOnce) {
  HttpEngineOptions options;
  options.max_concurrent = 16;
  auto engine = HttpEngine::Create(options);
  ASSERT_OK(engine.status());
  (*engine)->Start();
  absl::Mutex mu;
  std::vector<int> calls(100, 0);
  int done = 0, ok = 0;
  for (int i = 0; i < 100; ++i) {
    (*engine)->Submit(Get(nginx_->Url(absl::StrCat("/index.html?n=", i))),
                      [&, i](FetchResult r) {
                        absl::MutexLock lock(&mu);
                        ++calls[i];
                        ++done;
                        if (r.transfer_ok && r.status == 200) ++ok;
                      });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* n) { return *n == 100; }, &done),
                                    absl::Seconds(60)));
  }
  // A fetch counts as pending until its callback has returned.
  EXPECT_TRUE((*engine)->WaitIdle(absl::Seconds(30)));
  EXPECT_EQ((*engine)->pending(), 0);
  (*engine)->Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(done, 100);
  EXPECT_EQ(ok, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(calls[i], 1) << "fetch " << i;
}

TEST_F(HttpEngineTest, StopCompletesRunningAndQueuedFetches) {
  SilentServer silent(/*accept_connections=*/true);
  HttpEngineOptions options;
  options.max_concurrent = 2;  // 2 running, 3 queued
  auto engine = HttpEngine::Create(options);
  ASSERT_OK(engine.status());
  (*engine)->Start();
  absl::Mutex mu;
  std::vector<std::string> errors;
  int local_failures = 0;
  for (int i = 0; i < 5; ++i) {
    FetchRequest request = Get(silent.Url());
    request.timeout = absl::Seconds(120);
    (*engine)->Submit(request, [&](FetchResult r) {
      absl::MutexLock lock(&mu);
      errors.push_back(r.error);
      local_failures += r.local_failure ? 1 : 0;
    });
  }
  ASSERT_TRUE(testing::Eventually([&] { return silent.accepted() == 2; }));
  EXPECT_EQ((*engine)->pending(), 5);
  const absl::Time start = absl::Now();
  (*engine)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(errors, SizeIs(5));
    for (const std::string& e : errors) EXPECT_EQ(e, "agent stopping");
    EXPECT_EQ(local_failures, 5);  // not the site's fault: never reported as its state
  }
  EXPECT_EQ((*engine)->pending(), 0);
  // After Stop(): completes at once, inside Submit().
  std::string late;
  bool late_local = false;
  (*engine)->Submit(Get(nginx_->Url("/")), [&](FetchResult r) {
    late = r.error;
    late_local = r.local_failure;
  });
  EXPECT_EQ(late, "agent stopping");
  EXPECT_TRUE(late_local);
  (*engine)->Stop();  // idempotent
}

TEST_F(HttpEngineTest, DestructorStopsWithoutEverRunning) {
  int calls = 0;
  std::string error;
  {
    auto engine = HttpEngine::Create({});
    ASSERT_OK(engine.status());
    (*engine)->Submit(Get(nginx_->Url("/")), [&](FetchResult r) {
      ++calls;
      error = r.error;
    });
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(error, "agent stopping");
}

TEST_F(HttpEngineTest, SubmitFromACallbackRunsBeforeIdle) {
  auto engine = HttpEngine::Create({});
  ASSERT_OK(engine.status());
  HttpEngine* e = engine->get();
  std::vector<std::string> order;
  e->Submit(Get(nginx_->Url("/index.html?first")), [&](FetchResult first) {
    order.push_back(absl::StrCat("first ", first.status));
    e->Submit(Get(nginx_->Url("/missing?second")), [&](FetchResult second) {
      order.push_back(absl::StrCat("second ", second.status));
    });
  });
  e->RunUntilIdle();
  EXPECT_THAT(order, ElementsAre("first 200", "second 404"));
  EXPECT_EQ(e->pending(), 0);
}

TEST_F(HttpEngineTest, StopFromACallbackEndsTheLoop) {
  auto engine = HttpEngine::Create({});
  ASSERT_OK(engine.status());
  HttpEngine* e = engine->get();
  std::vector<std::string> errors;
  e->Submit(Get(nginx_->Url("/index.html")), [&](FetchResult r) {
    errors.push_back(r.error);
    e->Stop();
    e->Submit(Get(nginx_->Url("/index.html")), [&](FetchResult r2) { errors.push_back(r2.error); });
  });
  e->RunUntilIdle();
  EXPECT_THAT(errors, ElementsAre("", "agent stopping"));
}

TEST_F(HttpEngineTest, FullQueueCompletesAtOnceWithAnError) {
  HttpEngineOptions options;
  options.max_queued = 2;
  auto engine = HttpEngine::Create(options);
  ASSERT_OK(engine.status());
  std::vector<std::string> errors(3, "not called");
  for (int i = 0; i < 3; ++i) {
    (*engine)->Submit(Get(nginx_->Url("/index.html")),
                      [&errors, i](FetchResult r) { errors[i] = r.error; });
  }
  EXPECT_EQ(errors[2], "too many fetches queued (2)");
  EXPECT_EQ((*engine)->pending(), 2);
  (*engine)->RunUntilIdle();
  EXPECT_THAT(errors, ElementsAre("", "", "too many fetches queued (2)"));
}

TEST(HttpEngine, RejectsBadOptions) {
  HttpEngineOptions options;
  options.max_concurrent = 0;
  EXPECT_THAT(HttpEngine::Create(options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  options.max_concurrent = 1;
  options.max_queued = 0;
  EXPECT_THAT(HttpEngine::Create(options).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------------------------------------
// TLS: a test CA and four servers (valid, expired, self-signed, wrong name) made with the
// openssl CLI; nginx serves each on its own port.

class HttpEngineTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GlobalInitCurl();
    dir_ = new testing::ScopedTempDir();
    ASSERT_FALSE(dir_->path().empty());
    const std::string d = dir_->path();
    ASSERT_TRUE(WriteText(d + "/san.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"));
    ASSERT_TRUE(WriteText(d + "/other.cnf", "subjectAltName=DNS:other.example\n"));
    ASSERT_TRUE(WriteText(d + "/index.txt", ""));
    ASSERT_TRUE(WriteText(d + "/serial", "1000\n"));
    std::filesystem::create_directories(d + "/newcerts");
    ASSERT_TRUE(WriteText(d + "/ca.cnf", absl::StrCat("[ca]\n"
                                                      "default_ca = test_ca\n"
                                                      "[test_ca]\n"
                                                      "database = ",
                                                      d, "/index.txt\n", "new_certs_dir = ", d,
                                                      "/newcerts\n", "certificate = ", d,
                                                      "/ca.pem\n", "private_key = ", d,
                                                      "/ca.key\n", "serial = ", d,
                                                      "/serial\n"
                                                      "default_md = sha256\n"
                                                      "policy = any\n"
                                                      "unique_subject = no\n"
                                                      "[any]\n"
                                                      "commonName = supplied\n")));
    const std::string rsa = "rsa:2048";
    // The CA.
    Run({"openssl", "req", "-x509", "-newkey", rsa, "-nodes", "-keyout", d + "/ca.key", "-out",
         d + "/ca.pem", "-days", "3650", "-subj", "/O=Pantau Test/CN=Pantau Test CA", "-addext",
         "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    // Valid for 400 days, for 127.0.0.1.
    Csr(d, "valid", "/CN=127.0.0.1");
    Run({"openssl", "x509", "-req", "-in", d + "/valid.csr", "-CA", d + "/ca.pem", "-CAkey",
         d + "/ca.key", "-set_serial", "2", "-days", "400", "-extfile", d + "/san.cnf", "-out",
         d + "/valid.pem"});
    // Expired on 2020-02-01 (OpenSSL 3.0's x509 cannot backdate; ca can).
    Csr(d, "expired", "/CN=127.0.0.1");
    Run({"openssl", "ca", "-batch", "-notext", "-config", d + "/ca.cnf", "-startdate",
         "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", d + "/san.cnf", "-in",
         d + "/expired.csr", "-out", d + "/expired.pem"});
    // Self-signed.
    Run({"openssl", "req", "-x509", "-newkey", rsa, "-nodes", "-keyout", d + "/self.key", "-out",
         d + "/self.pem", "-days", "30", "-subj", "/CN=Pantau Self Signed", "-addext",
         "subjectAltName=IP:127.0.0.1"});
    // Signed by the CA, but for another name.
    Csr(d, "wrong", "/CN=other.example");
    Run({"openssl", "x509", "-req", "-in", d + "/wrong.csr", "-CA", d + "/ca.pem", "-CAkey",
         d + "/ca.key", "-set_serial", "3", "-days", "400", "-extfile", d + "/other.cnf", "-out",
         d + "/wrong.pem"});
    if (HasFailure()) return;

    // Which connection served each request, and whether its TLS session was resumed.
    std::string servers = absl::StrCat(
        "log_format reuse '$connection $ssl_session_reused $request_uri';\n");
    for (const char* name : {"valid", "expired", "self", "wrong"}) {
      absl::StatusOr<int> port = testing::PickFreePort();
      ASSERT_OK(port.status());
      ports_[name] = *port;
      absl::StrAppend(&servers, "server {\n  listen 127.0.0.1:", *port, " ssl;\n",
                      "  ssl_certificate ", d, "/", name, ".pem;\n", "  ssl_certificate_key ", d,
                      "/", name, ".key;\n", "  access_log ", d, "/tls_access.log reuse;\n",
                      "  location / { return 200 \"", name, "\\n\"; }\n",
                      "  location = /to-plain { return 302 ", kRefusingPlainUrl,
                      "; }\n}\n");
    }
    testing::NginxOptions options;
    options.extra_http_conf = servers;
    auto nginx = testing::NginxServer::Start(options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = nginx->release();
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static bool WriteText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    return static_cast<bool>(out);
  }
  static void Run(const std::vector<std::string>& argv) {
    absl::StatusOr<CommandResult> result = RunCommand(argv, {}, absl::Minutes(2));
    ASSERT_OK(result.status());
    ASSERT_EQ(result->exit_code, 0) << absl::StrJoin(argv, " ") << "\n" << result->output;
  }
  static void Csr(const std::string& d, const std::string& name, const std::string& subject) {
    Run({"openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout",
         d + "/" + name + ".key", "-out", d + "/" + name + ".csr", "-subj", subject});
  }
  static std::string Url(const std::string& name, const std::string& path = "/") {
    return absl::StrCat("https://127.0.0.1:", ports_[name], path);
  }
  static HttpEngineOptions WithTestCa() {
    HttpEngineOptions options;
    options.ca_file = dir_->path() + "/ca.pem";
    return options;
  }

  static testing::ScopedTempDir* dir_;
  static testing::NginxServer* nginx_;
  static std::map<std::string, int> ports_;
};
testing::ScopedTempDir* HttpEngineTlsTest::dir_ = nullptr;
testing::NginxServer* HttpEngineTlsTest::nginx_ = nullptr;
std::map<std::string, int> HttpEngineTlsTest::ports_;

TEST_F(HttpEngineTlsTest, ValidCertificateIsVerifiedAndRead) {
  FetchRequest request = Get(Url("valid"));
  request.keep_body = true;
  FetchResult r = FetchOne(request, WithTestCa());
  EXPECT_TRUE(r.transfer_ok) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "valid\n");
  EXPECT_TRUE(r.tls);
  EXPECT_TRUE(r.tls_verified);
  EXPECT_THAT(r.tls_error, IsEmpty());
  EXPECT_GT(r.tls_us, 0);
  ASSERT_TRUE(r.cert_not_after.has_value());
  const double days_left = absl::ToDoubleHours(*r.cert_not_after - absl::Now()) / 24;
  EXPECT_GT(days_left, 398.5);
  EXPECT_LT(days_left, 400.5);
  EXPECT_EQ(r.cert_issuer, "O = Pantau Test, CN = Pantau Test CA");
  EXPECT_EQ(r.cert_subject, "CN = 127.0.0.1");
}

TEST_F(HttpEngineTlsTest, UnknownIssuerFailsVerificationWithTheSystemStore) {
  FetchResult r = FetchOne(Get(Url("valid")));  // no ca_file: the test CA is unknown
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_TRUE(r.tls);
  EXPECT_FALSE(r.tls_verified);
  EXPECT_THAT(r.tls_error, HasSubstr("unable to get local issuer certificate"));
  EXPECT_EQ(r.error, r.tls_error);
  // Read anyway, without verification.
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.cert_issuer, HasSubstr("Pantau Test CA"));
}

TEST_F(HttpEngineTlsTest, ExpiredCertificateIsReportedWithItsDate) {
  FetchResult r = FetchOne(Get(Url("expired")), WithTestCa());
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_TRUE(r.tls);
  EXPECT_FALSE(r.tls_verified);
  EXPECT_THAT(r.tls_error, HasSubstr("expired"));
  EXPECT_EQ(r.error, r.tls_error);
  ASSERT_TRUE(r.cert_not_after.has_value());
  EXPECT_EQ(*r.cert_not_after, absl::FromCivil(absl::CivilSecond(2020, 2, 1, 0, 0, 0),
                                               absl::UTCTimeZone()));
  EXPECT_THAT(r.cert_issuer, HasSubstr("Pantau Test CA"));
  EXPECT_EQ(r.status, 200);  // the server answered the unverified retry
  EXPECT_THAT(r.hops, SizeIs(1));
}

TEST_F(HttpEngineTlsTest, ExpiredCertificateWithoutInspectionIsNotRetried) {
  FetchRequest request = Get(Url("expired"));
  request.inspect_tls = false;
  FetchResult r = FetchOne(request, WithTestCa());
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_FALSE(r.tls_verified);
  EXPECT_THAT(r.tls_error, HasSubstr("expired"));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.cert_not_after.has_value());
  EXPECT_THAT(r.hops, IsEmpty());
}

TEST_F(HttpEngineTlsTest, SelfSignedCertificateFailsVerification) {
  FetchResult r = FetchOne(Get(Url("self")), WithTestCa());
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_FALSE(r.tls_verified);
  EXPECT_THAT(r.tls_error, AnyOf(HasSubstr("self-signed"), HasSubstr("self signed"),
                                 HasSubstr("unable to get local issuer")));
  EXPECT_THAT(r.cert_issuer, HasSubstr("Pantau Self Signed"));
  ASSERT_TRUE(r.cert_not_after.has_value());
  EXPECT_GT(*r.cert_not_after, absl::Now());
}

TEST_F(HttpEngineTlsTest, WrongNameFailsVerification) {
  FetchResult r = FetchOne(Get(Url("wrong")), WithTestCa());
  EXPECT_FALSE(r.transfer_ok);
  EXPECT_FALSE(r.tls_verified);
  EXPECT_THAT(r.tls_error, HasSubstr("subject name"));
  EXPECT_THAT(r.tls_error, HasSubstr("127.0.0.1"));
  EXPECT_THAT(r.cert_subject, HasSubstr("other.example"));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpEngineTlsTest, ConnectOnlyDoesTheHandshake) {
  std::vector<FetchRequest> requests(2);
  requests[0].url = Url("valid");
  requests[1].url = Url("expired");
  for (FetchRequest& r : requests) r.connect_only = true;
  std::vector<FetchResult> results = FetchAll(requests, WithTestCa());
  EXPECT_TRUE(results[0].transfer_ok) << results[0].error;
  EXPECT_TRUE(results[0].tls_verified);
  EXPECT_TRUE(results[0].cert_not_after.has_value());
  EXPECT_FALSE(results[1].transfer_ok);
  EXPECT_THAT(results[1].error, HasSubstr("expired"));
  EXPECT_TRUE(results[1].cert_not_after.has_value());
}

// "<connection> <reused>" of each logged request whose URI contains `tag`.
std::vector<std::string> TlsLogLines(const std::string& path, absl::string_view tag) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n')) {
    if (absl::StrContains(line, tag)) out.emplace_back(line.substr(0, line.rfind(' ')));
  }
  return out;
}

TEST_F(HttpEngineTlsTest, EveryFetchIsAFirstVisitUnlessToldOtherwise) {
  HttpEngineOptions options = WithTestCa();
  options.max_concurrent = 1;  // one after the other: reuse would be possible
  const std::string log = dir_->path() + "/tls_access.log";
  for (bool fresh : {true, false}) {
    const std::string tag = fresh ? "?fresh" : "?reuse";
    std::vector<FetchRequest> requests(3, Get(Url("valid", "/" + tag)));
    for (FetchRequest& r : requests) r.fresh_connection = fresh;
    for (const FetchResult& r : FetchAll(requests, options)) {
      EXPECT_TRUE(r.transfer_ok) << r.error;
    }
    std::vector<std::string> lines;
    ASSERT_TRUE(testing::Eventually([&] { return (lines = TlsLogLines(log, tag)).size() == 3; }));
    std::vector<std::string> connections;
    for (const std::string& line : lines) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      ASSERT_THAT(f, SizeIs(2)) << line;
      EXPECT_EQ(f[1], ".") << "TLS session resumed: " << line;  // "r" when resumed
      connections.push_back(f[0]);
    }
    if (fresh) {
      // Three connections, three full handshakes.
      EXPECT_NE(connections[0], connections[1]);
      EXPECT_NE(connections[1], connections[2]);
    } else {
      // One kept-alive connection for all three.
      EXPECT_EQ(connections[0], connections[1]);
      EXPECT_EQ(connections[1], connections[2]);
    }
  }
}

TEST_F(HttpEngineTlsTest, RedirectToPlainHttpLeavesNoTls) {
  FetchResult r = FetchOne(Get(Url("valid", "/to-plain")), WithTestCa());
  // The plain target (port 1) refuses: the https hop is recorded, the final one has no TLS.
  EXPECT_FALSE(r.transfer_ok);
  ASSERT_THAT(r.hops, SizeIs(1));
  EXPECT_EQ(r.hops[0].status, 302);
  EXPECT_THAT(r.hops[0].location, StartsWith("http://127.0.0.1:1/"));
  EXPECT_FALSE(r.tls);
  EXPECT_FALSE(r.cert_not_after.has_value());
}

}  // namespace
}  // namespace pantau::agent
