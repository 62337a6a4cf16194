// Tests of the test harness itself: the real PostgreSQL and nginx servers, the fake clock and
// the status matchers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/status_matchers.h"

namespace pantau::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// Helpers

// Runs `sql` on `conninfo` and returns the first column of the first row, or the error.
absl::StatusOr<std::string> QueryOne(const std::string& conninfo, const std::string& sql) {
  try {
    pqxx::connection connection(conninfo);
    pqxx::work work(connection);
    pqxx::result result = work.exec(sql);
    work.commit();
    if (result.empty()) return std::string();
    return std::string(result[0][0].is_null() ? "" : result[0][0].c_str());
  } catch (const std::exception& e) {
    return absl::UnavailableError(e.what());
  }
}

absl::Status Exec(const std::string& conninfo, const std::string& sql) {
  return QueryOne(conninfo, sql).status();
}

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
};

// A minimal HTTP/1.0 client: one request per connection, the server closes it.
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port, " failed"));
  }
  const std::string request = absl::StrCat(
      "GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: harness-test\r\n\r\n");
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string raw;
  char buffer[4096];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return absl::DeadlineExceededError("recv failed or timed out");
    }
    if (n == 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos || !absl::StartsWith(raw, "HTTP/1.")) {
    return absl::DataLossError(absl::StrCat("malformed response: ", raw));
  }
  HttpResponse response;
  response.headers = raw.substr(0, header_end);
  response.body = raw.substr(header_end + 4);
  // "HTTP/1.1 200 OK"
  if (raw.size() < 12 || !absl::SimpleAtoi(raw.substr(9, 3), &response.status)) {
    return absl::DataLossError(absl::StrCat("malformed status line: ", response.headers));
  }
  return response;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// For effects of another process that come without a signal (nginx reopening its logs).
bool EventuallyTrue(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return condition();
}

// Reads and discards from `fd` until the peer closes it (true) or for at most 20 s (false).
bool PeerClosed(int fd) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  char buffer[1024];
  while (absl::Now() < deadline) {
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

bool ProcessExists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// ---------------------------------------------------------------------------------------------
// PostgresServer

TEST(PostgresServer, StartsAndGivesEachCallerItsOwnDatabase) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg, PostgresServer::Start());
  EXPECT_TRUE(pg->running());
  ASSERT_OK_AND_ASSIGN(std::string first, pg->CreateDatabase());
  ASSERT_OK_AND_ASSIGN(std::string second, pg->CreateDatabase());
  EXPECT_NE(first, second);
  EXPECT_THAT(first, HasSubstr("host=" + pg->dir()));
  EXPECT_THAT(first, HasSubstr("user=pantau"));

  EXPECT_THAT(QueryOne(first, "SELECT 1"), IsOkAndHolds("1"));
  EXPECT_THAT(QueryOne(second, "SELECT 1"), IsOkAndHolds("1"));
  EXPECT_THAT(QueryOne(first, "SHOW server_encoding"), IsOkAndHolds("UTF8"));
  EXPECT_THAT(QueryOne(first, "SHOW synchronous_commit"), IsOkAndHolds("on"));
  EXPECT_THAT(QueryOne(first, "SHOW max_connections"), IsOkAndHolds("200"));
  // Only the unix socket: no TCP listener.
  EXPECT_THAT(QueryOne(first, "SHOW listen_addresses"), IsOkAndHolds(""));

  // The databases are separate: a table made in one is not in the other.
  ASSERT_OK(Exec(first, "CREATE TABLE only_here (id int)"));
  EXPECT_THAT(QueryOne(first, "SELECT count(*) FROM only_here"), IsOkAndHolds("0"));
  EXPECT_THAT(QueryOne(second, "SELECT count(*) FROM only_here"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("only_here")));
}

TEST(PostgresServer, StopRefusesConnectionsAndRestartKeepsCommittedData) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg, PostgresServer::Start());
  ASSERT_OK_AND_ASSIGN(std::string db, pg->CreateDatabase());
  ASSERT_OK(Exec(db, "CREATE TABLE events (id int PRIMARY KEY, body text)"));
  ASSERT_OK(Exec(db, "INSERT INTO events VALUES (1, 'before stop'), (2, 'also before')"));

  // A session open across the stop is cut off, as the fault tests rely on.
  auto open_session = std::make_unique<pqxx::connection>(db);

  ASSERT_OK(pg->Stop());
  EXPECT_FALSE(pg->running());
  EXPECT_OK(pg->Stop());  // already stopped: nothing to do
  EXPECT_THAT(QueryOne(db, "SELECT 1"), Not(IsOk()));
  EXPECT_THAT(pg->CreateDatabase(), StatusIs(absl::StatusCode::kUnavailable));
  // The server closed that session: its socket reaches end-of-file. (Read behind libpq's back
  // because the first use of a broken connection through libpqxx 6.4 leaks a PGresult, which
  // LeakSanitizer reports; the connection is thrown away next.)
  EXPECT_TRUE(PeerClosed(open_session->sock()));
  open_session.reset();

  ASSERT_OK(pg->Restart());
  EXPECT_TRUE(pg->running());
  EXPECT_THAT(QueryOne(db, "SELECT string_agg(body, ',' ORDER BY id) FROM events"),
              IsOkAndHolds("before stop,also before"));
  ASSERT_OK_AND_ASSIGN(std::string another, pg->CreateDatabase());
  EXPECT_THAT(QueryOne(another, "SELECT 1"), IsOkAndHolds("1"));

  // Restart() of a running server stops it first; the data is still there afterwards.
  ASSERT_OK(Exec(db, "INSERT INTO events VALUES (3, 'after restart')"));
  ASSERT_OK(pg->Restart());
  EXPECT_THAT(QueryOne(db, "SELECT count(*) FROM events"), IsOkAndHolds("3"));
}

TEST(PostgresServer, DestructorStopsServerAndRemovesItsDir) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg, PostgresServer::Start());
  ASSERT_OK_AND_ASSIGN(std::string db, pg->CreateDatabase());
  const std::string dir = pg->dir();
  ASSERT_TRUE(absl::StartsWith(dir, "/tmp/"));
  int postmaster = 0;
  {
    std::istringstream pid_file(ReadFile(dir + "/data/postmaster.pid"));
    std::string first_line;
    std::getline(pid_file, first_line);
    ASSERT_TRUE(absl::SimpleAtoi(first_line, &postmaster)) << first_line;
  }
  ASSERT_TRUE(ProcessExists(postmaster));

  pg.reset();
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_THAT(QueryOne(db, "SELECT 1"), Not(IsOk()));
  // The postmaster is not our child (pg_ctl started it), so it may take a moment to vanish.
  EXPECT_TRUE(EventuallyTrue([&] { return !ProcessExists(postmaster); }));
}

// ---------------------------------------------------------------------------------------------
// NginxServer

TEST(NginxServer, ServesWrittenFileAndLogsTheRequest) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> nginx, NginxServer::Start());
  EXPECT_GT(nginx->port(), 0);
  EXPECT_EQ(nginx->Url("/a/b.html"), absl::StrCat("http://127.0.0.1:", nginx->port(), "/a/b.html"));
  EXPECT_EQ(nginx->Url("x"), absl::StrCat("http://127.0.0.1:", nginx->port(), "/x"));
  EXPECT_EQ(nginx->Url(), absl::StrCat("http://127.0.0.1:", nginx->port(), "/"));

  ASSERT_OK(nginx->WriteFile("berita/hari-ini.html", "<h1>Sidang ditunda</h1>\n"));
  EXPECT_EQ(fs::status(nginx->root_dir() + "/berita").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::status(nginx->root_dir() + "/berita/hari-ini.html").permissions(), fs::perms(0644));

  ASSERT_OK_AND_ASSIGN(HttpResponse response, HttpGet(nginx->port(), "/berita/hari-ini.html"));
  EXPECT_EQ(response.status, 200) << response.headers;
  EXPECT_EQ(response.body, "<h1>Sidang ditunda</h1>\n");
  EXPECT_THAT(response.headers, HasSubstr("Content-Type: text/html"));

  ASSERT_OK_AND_ASSIGN(HttpResponse missing, HttpGet(nginx->port(), "/tidak-ada.html"));
  EXPECT_EQ(missing.status, 404);

  // nginx logs a request before it closes the connection, and we read until it was closed.
  const std::string access_log = ReadFile(nginx->access_log_path());
  EXPECT_THAT(access_log, HasSubstr("\"GET /berita/hari-ini.html HTTP/1.0\" 200 "));
  EXPECT_THAT(access_log, HasSubstr("\"GET /tidak-ada.html HTTP/1.0\" 404 "));
  EXPECT_THAT(access_log, HasSubstr("\"harness-test\""));  // combined format: user agent
  EXPECT_THAT(ReadFile(nginx->error_log_path()), HasSubstr("tidak-ada.html"));

  // Overwriting replaces the content.
  ASSERT_OK(nginx->WriteFile("berita/hari-ini.html", "diperbarui"));
  ASSERT_OK_AND_ASSIGN(HttpResponse updated, HttpGet(nginx->port(), "/berita/hari-ini.html"));
  EXPECT_EQ(updated.body, "diperbarui");
}

TEST(NginxServer, WriteFileRejectsPathsOutsideTheRoot) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> nginx, NginxServer::Start());
  EXPECT_THAT(nginx->WriteFile("/etc/passwd", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(nginx->WriteFile("a/../../escape.html", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(nginx->WriteFile("", "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NginxServer, UsesCallersRootDirAndExtraConfig) {
  // A private dir as tests usually make them (0700): the harness must let the worker in.
  std::string root = "/tmp/pantau-harness-test-root-XXXXXX";
  ASSERT_NE(::mkdtemp(root.data()), nullptr);
  {
    std::ofstream(root + "/index.html") << "beranda";
    ::chmod((root + "/index.html").c_str(), 0644);
    NginxOptions options;
    options.root_dir = root;
    options.extra_http_conf = "log_format short '$request_method $uri $status';";
    options.extra_server_conf =
        "location = /healthz { return 204; }\n"
        "access_log " +
        root + "-short.log short;";
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> nginx, NginxServer::Start(options));
    EXPECT_EQ(nginx->root_dir(), root);

    ASSERT_OK_AND_ASSIGN(HttpResponse index, HttpGet(nginx->port(), "/"));
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "beranda");
    ASSERT_OK_AND_ASSIGN(HttpResponse health, HttpGet(nginx->port(), "/healthz"));
    EXPECT_EQ(health.status, 204);
    EXPECT_EQ(ReadFile(root + "-short.log"), "GET /index.html 200\nGET /healthz 204\n");
  }
  // The caller's dir is the caller's: left in place.
  EXPECT_TRUE(fs::exists(root + "/index.html"));
  fs::remove_all(root);
  fs::remove(root + "-short.log");
}

TEST(NginxServer, BadConfigFailsWithTheErrorLog) {
  NginxOptions options;
  options.extra_server_conf = "no_such_directive on;";
  absl::StatusOr<std::unique_ptr<NginxServer>> nginx = NginxServer::Start(options);
  EXPECT_THAT(nginx, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no_such_directive")));
}

TEST(NginxServer, ReopenLogsStartsANewAccessLog) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> nginx, NginxServer::Start());
  ASSERT_OK(nginx->WriteFile("a.txt", "a"));
  ASSERT_OK(HttpGet(nginx->port(), "/a.txt"));
  const std::string rotated = nginx->access_log_path() + ".1";
  ASSERT_EQ(::rename(nginx->access_log_path().c_str(), rotated.c_str()), 0);

  ASSERT_OK(nginx->ReopenLogs());
  // nginx reopens asynchronously; once the new file exists, requests are logged there.
  ASSERT_TRUE(EventuallyTrue([&] { return fs::exists(nginx->access_log_path()); }));
  ASSERT_OK(HttpGet(nginx->port(), "/b.txt"));
  EXPECT_THAT(ReadFile(rotated), HasSubstr("GET /a.txt"));
  EXPECT_THAT(ReadFile(rotated), Not(HasSubstr("GET /b.txt")));
  EXPECT_THAT(ReadFile(nginx->access_log_path()), HasSubstr("GET /b.txt"));
}

TEST(NginxServer, StopClosesThePortAndDestructorRemovesItsDir) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> nginx, NginxServer::Start());
  const int port = nginx->port();
  const std::string dir = nginx->dir();
  ASSERT_OK(HttpGet(port, "/"));
  ASSERT_OK(nginx->Stop());
  EXPECT_OK(nginx->Stop());
  EXPECT_THAT(HttpGet(port, "/"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(nginx->ReopenLogs(), StatusIs(absl::StatusCode::kFailedPrecondition));
  nginx.reset();
  EXPECT_FALSE(fs::exists(dir));
}

TEST(NginxServer, TwoServersRunSideBySide) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> a, NginxServer::Start());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> b, NginxServer::Start());
  EXPECT_NE(a->port(), b->port());
  ASSERT_OK(a->WriteFile("who.txt", "a"));
  ASSERT_OK(b->WriteFile("who.txt", "b"));
  EXPECT_THAT(HttpGet(a->port(), "/who.txt"),
              IsOkAndHolds(::testing::Field(&HttpResponse::body, "a")));
  EXPECT_THAT(HttpGet(b->port(), "/who.txt"),
              IsOkAndHolds(::testing::Field(&HttpResponse::body, "b")));
}

// ---------------------------------------------------------------------------------------------
// FakeClock

TEST(FakeClock, StartsAtTheFixedDateAndMovesOnlyWhenTold) {
  FakeClock clock;
  EXPECT_EQ(clock.Now(),
            absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
  const absl::Time start = clock.Now();
  clock.Advance(absl::Minutes(15));
  EXPECT_EQ(clock.Now(), start + absl::Minutes(15));
  clock.SetTime(absl::FromUnixSeconds(42));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(42));
}

TEST(FakeClock, WaitUntilReturnsAtOnceForAPastDeadlineOrARequestedStop) {
  FakeClock clock;
  StopToken stop;
  EXPECT_FALSE(clock.WaitUntil(clock.Now(), stop));
  EXPECT_FALSE(clock.WaitUntil(clock.Now() - absl::Hours(1), stop));
  stop.RequestStop();
  EXPECT_TRUE(clock.WaitUntil(clock.Now() + absl::Hours(1), stop));
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClock, WaitUntilReturnsFalseAfterAdvancePastTheDeadline) {
  FakeClock clock;
  StopToken stop;
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = clock.WaitFor(absl::Seconds(30), stop) ? 1 : 0; });
  clock.AwaitWaiters(1);
  EXPECT_EQ(clock.waiters(), 1);
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(clock.waiters(), 1);  // not due yet
  clock.Advance(absl::Seconds(1));
  waiter.join();
  EXPECT_EQ(result, 0);
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClock, WaitUntilReturnsTrueWhenStopIsRequested) {
  FakeClock clock;
  StopToken stop;
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = clock.WaitUntil(absl::InfiniteFuture(), stop) ? 1 : 0; });
  clock.AwaitWaiters(1);
  stop.RequestStop();
  waiter.join();
  EXPECT_EQ(result, 1);
}

TEST(FakeClock, AwaitWaitersLetsATestStepAPeriodicLoop) {
  FakeClock clock;
  StopToken stop;
  std::atomic<int> ticks{0};
  std::thread loop([&] {
    while (!clock.WaitFor(absl::Seconds(30), stop)) ++ticks;
  });
  for (int i = 1; i <= 3; ++i) {
    clock.AwaitWaiters(1);
    EXPECT_EQ(ticks, i - 1);
    clock.Advance(absl::Seconds(30));
    // The released waiter stops counting at once; it counts again only once the loop body has
    // run and it waits for the next period.
    clock.AwaitWaiters(1);
    EXPECT_EQ(ticks, i);
  }
  stop.RequestStop();
  loop.join();
  EXPECT_EQ(ticks, 3);
}

TEST(FakeClock, SetTimeReleasesAllDueWaiters) {
  FakeClock clock;
  StopToken stop;
  const absl::Time start = clock.Now();
  std::thread early([&] { clock.WaitUntil(start + absl::Minutes(1), stop); });
  std::thread late([&] { clock.WaitUntil(start + absl::Minutes(10), stop); });
  clock.AwaitWaiters(2);
  clock.SetTime(start + absl::Minutes(5));
  early.join();
  EXPECT_EQ(clock.waiters(), 1);
  clock.SetTime(start + absl::Minutes(10));
  late.join();
  EXPECT_EQ(clock.waiters(), 0);
}

// ---------------------------------------------------------------------------------------------
// Status matchers

absl::StatusOr<int> FortyTwo() { return 42; }
absl::StatusOr<int> Missing() { return absl::NotFoundError("agent_id 7 not found"); }

TEST(StatusMatchers, IsOkMatchesOnlyOkStatusAndStatusOr) {
  EXPECT_TRUE(::testing::Matches(IsOk())(absl::OkStatus()));
  EXPECT_TRUE(::testing::Matches(IsOk())(FortyTwo()));
  EXPECT_FALSE(::testing::Matches(IsOk())(absl::InternalError("boom")));
  EXPECT_FALSE(::testing::Matches(IsOk())(Missing()));
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(Missing(), Not(IsOk()));

  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(IsOk(), Missing(), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("agent_id 7 not found"));
  EXPECT_EQ(::testing::DescribeMatcher<absl::Status>(IsOk()), "is OK");
}

TEST(StatusMatchers, StatusIsChecksCodeAndMessage) {
  const absl::Status invalid = absl::InvalidArgumentError("line 3: agent_id is empty");
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument, "line 3: agent_id is empty"));
  EXPECT_THAT(invalid, Not(StatusIs(absl::StatusCode::kNotFound)));
  EXPECT_THAT(invalid, Not(StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("court_id"))));
  EXPECT_THAT(absl::OkStatus(), StatusIs(absl::StatusCode::kOk));
  EXPECT_THAT(FortyTwo(), StatusIs(absl::StatusCode::kOk));

  EXPECT_THAT(Missing(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("agent_id")));
  EXPECT_FALSE(::testing::Matches(StatusIs(absl::StatusCode::kUnavailable))(Missing()));
  EXPECT_FALSE(::testing::Matches(StatusIs(absl::StatusCode::kNotFound))(FortyTwo()));

  ::testing::StringMatchResultListener wrong_code;
  EXPECT_FALSE(::testing::ExplainMatchResult(StatusIs(absl::StatusCode::kUnavailable), invalid,
                                             &wrong_code));
  EXPECT_THAT(wrong_code.str(), HasSubstr("INVALID_ARGUMENT"));
  ::testing::StringMatchResultListener wrong_message;
  EXPECT_FALSE(::testing::ExplainMatchResult(
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("court_id")), invalid,
      &wrong_message));
  EXPECT_THAT(wrong_message.str(), HasSubstr("line 3: agent_id is empty"));
  EXPECT_EQ(::testing::DescribeMatcher<absl::Status>(
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("x"))),
            "has status code NOT_FOUND and a message that has substring \"x\"");
}

TEST(StatusMatchers, IsOkAndHoldsChecksTheValue) {
  EXPECT_THAT(FortyTwo(), IsOkAndHolds(42));
  EXPECT_THAT(FortyTwo(), IsOkAndHolds(::testing::Gt(40)));
  EXPECT_THAT(FortyTwo(), Not(IsOkAndHolds(7)));
  EXPECT_THAT(Missing(), Not(IsOkAndHolds(::testing::_)));
  EXPECT_THAT(absl::StatusOr<std::string>("pantau"), IsOkAndHolds(HasSubstr("ant")));
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(IsOkAndHolds(7), FortyTwo(), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("42"));
}

TEST(StatusMatchers, OkMacrosPassOnOk) {
  EXPECT_OK(absl::OkStatus());
  EXPECT_OK(FortyTwo());
  ASSERT_OK(absl::OkStatus());
  ASSERT_OK(FortyTwo());
  ASSERT_OK_AND_ASSIGN(int value, FortyTwo());
  EXPECT_EQ(value, 42);
  std::unique_ptr<int> moved_only;
  ASSERT_OK_AND_ASSIGN(moved_only, absl::StatusOr<std::unique_ptr<int>>(std::make_unique<int>(7)));
  EXPECT_EQ(*moved_only, 7);
}

void AssignFromError() {
  ASSERT_OK_AND_ASSIGN(int value, Missing());
  ADD_FAILURE() << "not reached: " << value;
}

void AssertOkOnError() {
  ASSERT_OK(Missing());
  ADD_FAILURE() << "not reached";
}

TEST(StatusMatchers, OkMacrosFailWithTheStatus) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(absl::InternalError("disk on fire")), "disk on fire");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Missing()), "Missing() is not OK: NOT_FOUND");
  EXPECT_FATAL_FAILURE(AssertOkOnError(), "agent_id 7 not found");
  EXPECT_FATAL_FAILURE(AssignFromError(), "Missing() is not OK: NOT_FOUND: agent_id 7");
}

}  // namespace
}  // namespace pantau::testing
