// Tests of the notifiers' stand-ins: HttpReceiver (in-process HTTP/1.1 server) and SmtpServer
// (Debian's aiosmtpd). Clients are libcurl, as in the code under test, and raw sockets for
// the corners of HTTP curl does not reach by default.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/smtp_server.h"
#include "tests/testing/status_matchers.h"

namespace pantau::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr absl::Duration kWait = absl::Seconds(30);

struct CurlResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

CurlResult Post(const std::string& url, const std::string& body,
                const std::vector<std::string>& headers = {}) {
  CurlResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  result.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

// A blocking loopback connection for hand-written HTTP.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval timeout{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(absl::string_view data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  // Reads until `text` was seen (or the peer closed / 30 s passed); returns all read so far.
  std::string ReadUntil(absl::string_view text) {
    while (!absl::StrContains(received_, text)) {
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      received_.append(buffer, static_cast<size_t>(n));
    }
    return received_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

TEST(HttpReceiver, RecordsARequestAndAnswersWithTheDefault) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
  CurlResult r = Post(http->Url("/hook?x=1"), R"({"a":1})",
                      {"Content-Type: application/json", "Idempotency-Key: k-1"});
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"ok":true,"result":true})");
  std::vector<HttpReceiver::Request> requests = http->Requests();
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hook?x=1");
  EXPECT_EQ(requests[0].path, "/hook");
  EXPECT_EQ(requests[0].query, "x=1");
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), "k-1");
  EXPECT_EQ(requests[0].Header("Content-Type"), "application/json");
  EXPECT_EQ(requests[0].body, R"({"a":1})");
}

TEST(HttpReceiver, LongestPrefixWinsAndHandlersComputeTheResponse) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
  http->SetResponse("/api", 503, "down", "text/plain");
  int calls = 0;
  http->SetHandler("/api/echo", [&](const HttpReceiver::Request& request) {
    ++calls;
    HttpReceiver::Response response;
    response.status = 201;
    response.body = absl::StrCat("echo:", request.body);
    response.headers = {{"X-Count", absl::StrCat(calls)}};
    return response;
  });
  CurlResult echo = Post(http->Url("/api/echo"), "hi");
  EXPECT_EQ(echo.status, 201);
  EXPECT_EQ(echo.body, "echo:hi");
  CurlResult other = Post(http->Url("/api/other"), "");
  EXPECT_EQ(other.status, 503);
  EXPECT_EQ(other.body, "down");
  http->SetResponse("/api", 429, "{}");  // replaces the earlier one
  EXPECT_EQ(Post(http->Url("/api/x"), "").status, 429);
  EXPECT_EQ(calls, 1);
}

TEST(HttpReceiver, DecodesChunkedBodiesOnAKeptAliveConnection) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
  RawConnection c(http->port());
  ASSERT_TRUE(c.connected());
  c.Send(
      "POST /one HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: y\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("true}"), StartsWith("HTTP/1.1 200 OK\r\n"));
  c.Send("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  EXPECT_THAT(c.ReadUntil("Connection: close"), HasSubstr("Connection: close"));
  ASSERT_OK_AND_ASSIGN(auto requests, http->WaitForRequests(2, kWait));
  EXPECT_EQ(requests[0].body, "hello, world");
  EXPECT_EQ(requests[1].path, "/two");
  EXPECT_EQ(requests[1].body, "abc");
}

TEST(HttpReceiver, AnswersExpectContinueBeforeTheBody) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
  RawConnection c(http->port());
  ASSERT_TRUE(c.connected());
  c.Send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("\r\n\r\n"), StartsWith("HTTP/1.1 100 Continue\r\n\r\n"));
  c.Send("data");
  EXPECT_THAT(c.ReadUntil("true}"), HasSubstr("HTTP/1.1 200 OK"));
  ASSERT_OK_AND_ASSIGN(auto requests, http->WaitForRequests(1, kWait));
  EXPECT_EQ(requests[0].body, "data");
}

TEST(HttpReceiver, RefusesMalformedRequestsAndCanDropConnections) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
  {
    RawConnection c(http->port());
    c.Send("NONSENSE\r\n\r\n");
    EXPECT_THAT(c.ReadUntil("malformed"), StartsWith("HTTP/1.1 400 "));
  }
  HttpReceiver::Response drop;
  drop.drop_connection = true;
  http->SetResponse("/crash", drop);
  CurlResult r = Post(http->Url("/crash"), "x");
  EXPECT_EQ(r.code, CURLE_GOT_NOTHING);
  EXPECT_THAT(http->Requests(), SizeIs(1));  // recorded before the (missing) answer
}

TEST(HttpReceiver, WaitForRequestsTimesOutAndClearForgets) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpReceiver> http, HttpReceiver::Start());
  EXPECT_THAT(http->WaitForRequests(1, absl::Milliseconds(20)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("0 requests")));
  Post(http->Url("/a"), "");
  EXPECT_THAT(http->Requests(), SizeIs(1));
  http->ClearRequests();
  EXPECT_THAT(http->Requests(), SizeIs(0));
  http->Stop();
  http->Stop();  // idempotent
  EXPECT_EQ(Post(http->Url("/a"), "").code, CURLE_COULDNT_CONNECT);
}

// Sends `message` with libcurl; returns curl's code and the last SMTP reply code.
std::pair<CURLcode, long> SendMail(const std::string& url, const std::string& to,
                                   const std::string& message, const std::string& user = "",
                                   const std::string& password = "") {
  struct Upload {
    const std::string* data;
    size_t offset;
  } upload{&message, 0};
  CURL* curl = curl_easy_init();
  curl_slist* rcpt = curl_slist_append(nullptr, absl::StrCat("<", to, ">").c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, "<pantau@pn-contoh.go.id>");
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  if (!user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(
      curl, CURLOPT_READFUNCTION,
      +[](char* buffer, size_t size, size_t count, void* user_data) -> size_t {
        auto* u = static_cast<Upload*>(user_data);
        const size_t n = std::min(size * count, u->data->size() - u->offset);
        std::memcpy(buffer, u->data->data() + u->offset, n);
        u->offset += n;
        return n;
      });
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  const CURLcode code = curl_easy_perform(curl);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  return {code, reply};
}

// Subject "Situs tidak dapat diakses — café" in RFC 2047, body in quoted-printable.
constexpr char kEncodedMail[] =
    "From: pantau@pn-contoh.go.id\r\n"
    "To: staf@pn-contoh.go.id\r\n"
    "Subject: =?UTF-8?B?U2l0dXMgdGlkYWsgZGFwYXQgZGlha3Nlcw==?=\r\n"
    " =?UTF-8?B?IOKAlCBjYWbDqQ==?=\r\n"
    "Message-ID: <k-1@pantau>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Baris pertama =E2=80=94 caf=C3=A9\r\n"
    ".titik di awal\r\n";

TEST(SmtpServer, ReceivesAndDecodesAMessage) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
  EXPECT_EQ(smtp->Url(), absl::StrCat("smtp://127.0.0.1:", smtp->port()));
  auto [code, reply] = SendMail(smtp->Url(), "staf@pn-contoh.go.id", kEncodedMail);
  ASSERT_EQ(code, CURLE_OK) << curl_easy_strerror(code);
  ASSERT_OK_AND_ASSIGN(std::vector<SmtpMessage> mails, smtp->WaitForMessages(1, kWait));
  ASSERT_THAT(mails, SizeIs(1));
  EXPECT_EQ(mails[0].mail_from, "pantau@pn-contoh.go.id");
  EXPECT_THAT(mails[0].rcpt_to, ElementsAre("staf@pn-contoh.go.id"));
  EXPECT_EQ(mails[0].subject, "Situs tidak dapat diakses — café");
  EXPECT_EQ(mails[0].Header("Subject"), mails[0].subject);
  EXPECT_EQ(mails[0].message_id(), "<k-1@pantau>");
  EXPECT_EQ(mails[0].body, "Baris pertama — café\n.titik di awal\n");
  EXPECT_THAT(mails[0].raw, HasSubstr("\r\n.titik di awal\r\n"));  // unstuffed
}

TEST(SmtpServer, RefusesTheNextMessagesOnRequest) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
  ASSERT_OK(smtp->FailNextMessages(1, 451));
  auto [code, reply] = SendMail(smtp->Url(), "a@b.go.id", kEncodedMail);
  EXPECT_NE(code, CURLE_OK);
  EXPECT_EQ(reply, 451);
  ASSERT_OK(smtp->FailNextMessages(1, 550));
  EXPECT_EQ(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail).second, 550);
  EXPECT_EQ(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail).first, CURLE_OK);
  EXPECT_THAT(smtp->Messages(), SizeIs(1));
  EXPECT_THAT(smtp->FailNextMessages(1, 250), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SmtpServer, StopsAndRestartsOnTheSamePort) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
  const int port = smtp->port();
  ASSERT_OK(smtp->Stop());
  EXPECT_EQ(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail).first, CURLE_COULDNT_CONNECT);
  ASSERT_OK(smtp->Restart());
  EXPECT_EQ(smtp->port(), port);
  EXPECT_EQ(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail).first, CURLE_OK);
  EXPECT_OK(smtp->WaitForMessages(1, kWait));
}

TEST(SmtpServer, RequiresAuthWhenGivenCredentials) {
  SmtpServerOptions options;
  options.username = "pantau";
  options.password = "rahasia";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start(options));
  EXPECT_EQ(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail, "pantau", "salah").first,
            CURLE_LOGIN_DENIED);
  EXPECT_NE(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail).first, CURLE_OK);
  EXPECT_EQ(SendMail(smtp->Url(), "a@b.go.id", kEncodedMail, "pantau", "rahasia").first, CURLE_OK);
  EXPECT_THAT(smtp->Messages(), SizeIs(1));
}

}  // namespace
}  // namespace pantau::testing
