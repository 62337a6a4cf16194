// A throwaway SMTP server for tests: Debian's aiosmtpd (package python3-aiosmtpd), run by the
// system interpreter /usr/bin/python3 as our child process on 127.0.0.1:<free port>. Every
// accepted message is stored in a temp dir and read back already decoded (Subject from RFC
// 2047, body from quoted-printable or base64, as UTF-8). Everything is removed when the
// object is destroyed.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<SmtpServer> smtp, SmtpServer::Start());
//   config.url = smtp->Url();        // smtp://127.0.0.1:PORT, with tls: none
//   ... send ...
//   ASSERT_OK_AND_ASSIGN(auto mails, smtp->WaitForMessages(1, absl::Seconds(30)));
//   EXPECT_EQ(mails[0].rcpt_to, std::vector<std::string>{"staf@pn-contoh.go.id"});
//   EXPECT_EQ(mails[0].subject, "Situs tidak dapat diakses — PN Contoh");
//
// Plain SMTP only: no STARTTLS, so clients must use tls: none (fine on loopback). AUTH PLAIN
// and LOGIN are offered (without TLS) when a username is given. Stop()/Restart() simulate a
// mail server that is down and comes back; FailNextMessages() makes it refuse messages with
// a chosen reply code (451: try later, 550: refused).
#ifndef PANTAU_TESTS_TESTING_SMTP_SERVER_H_
#define PANTAU_TESTS_TESTING_SMTP_SERVER_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/subprocess.h"

namespace pantau::testing {

struct SmtpServerOptions {
  // When set, the server requires AUTH with these credentials before MAIL FROM.
  std::string username;
  std::string password;
};

// One received message.
struct SmtpMessage {
  std::string mail_from;             // envelope sender (MAIL FROM), without <>
  std::vector<std::string> rcpt_to;  // envelope recipients (RCPT TO), without <>
  std::string raw;                   // as received after DATA (CRLF, dots unstuffed)
  // Header names lower-cased; values decoded (RFC 2047) and unfolded. The first of repeated
  // headers.
  std::map<std::string, std::string> headers;
  std::string subject;  // decoded
  std::string body;     // decoded text of the text/plain body, '\n' line breaks

  // Value of header `name` (any case); "" when absent.
  std::string Header(absl::string_view name) const;
  std::string message_id() const { return Header("message-id"); }
};

// Thread-compatible; Messages() and WaitForMessages() may be called from several threads.
class SmtpServer {
 public:
  // Starts aiosmtpd and waits (at most ~30 s) until it accepts connections; retries with
  // another port if the chosen one was taken. NotFound when /usr/bin/python3 or aiosmtpd is
  // missing.
  static absl::StatusOr<std::unique_ptr<SmtpServer>> Start(const SmtpServerOptions& options = {});

  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  // "smtp://127.0.0.1:PORT".
  std::string Url() const;
  const std::string& dir() const { return dir_; }

  // Messages received so far (across restarts), in arrival order.
  std::vector<SmtpMessage> Messages() const;
  // Waits until at least `count` messages arrived; returns them all, or DeadlineExceeded.
  absl::StatusOr<std::vector<SmtpMessage>> WaitForMessages(size_t count,
                                                           absl::Duration timeout) const;

  // The next `count` messages are refused after DATA with `code` (4xx or 5xx) instead of
  // being stored.
  absl::Status FailNextMessages(int count, int code = 451);

  // SIGTERM, then SIGKILL after 10 s. Connections are refused until Restart(). OK when
  // already stopped.
  absl::Status Stop();
  // Starts the server again on the same port (Stop()s it first when running).
  absl::Status Restart();

 private:
  SmtpServer(std::string dir, SmtpServerOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  // Spawns the server on port_ and waits until it is ready. Sets *port_taken when the port
  // was in use.
  absl::Status SpawnAndWait(bool* port_taken);
  std::string mail_dir() const { return dir_ + "/mail"; }

  const std::string dir_;
  const SmtpServerOptions options_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_SMTP_SERVER_H_
