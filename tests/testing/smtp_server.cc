#include "tests/testing/smtp_server.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "tests/testing/ports.h"

namespace pantau::testing {
namespace {

namespace fs = std::filesystem;

// Debian's interpreter, where python3-aiosmtpd is installed; a `python3` earlier in PATH
// (pyenv, a virtualenv) usually lacks it.
constexpr char kPython[] = "/usr/bin/python3";
constexpr int kMaxPortAttempts = 5;
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);
// Exit codes of the script.
constexpr int kExitNoAiosmtpd = 3;
constexpr int kExitPortTaken = 4;

// The server: aiosmtpd's Controller runs the SMTP server in a thread; each message is written
// as a directory of small files (raw message, envelope, decoded headers, subject, body)
// under a temp name and renamed into mail/, so a reader never sees half a message. Decoding
// is Python's email package's job: the test harness has no MIME decoder of its own.
constexpr char kScript[] = R"PY(
import email, email.policy, os, signal, sys, time
try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError as e:
    print("cannot import aiosmtpd (install python3-aiosmtpd): %s" % e, flush=True)
    sys.exit(3)

port, base = int(sys.argv[1]), sys.argv[2]
mail_dir = os.path.join(base, "mail")
control = os.path.join(base, "fail_next")
user = os.environ.get("PANTAU_SMTP_USER", "")
password = os.environ.get("PANTAU_SMTP_PASSWORD", "")

def take_failure():
    try:
        with open(control) as f:
            count, code = f.read().split()
    except (OSError, ValueError):
        return None
    if int(count) <= 0:
        return None
    with open(control + ".tmp", "w") as f:
        f.write("%d %s" % (int(count) - 1, code))
    os.replace(control + ".tmp", control)
    return int(code)

def one_line(text):
    return " ".join(str(text).replace("\r", "\n").split("\n"))

def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape"))

counter = 0

class Handler:
    async def handle_DATA(self, server, session, envelope):
        global counter
        code = take_failure()
        if code is not None:
            status = "4.3.0" if code < 500 else "5.7.1"
            return "%d %s pantau test server refuses this message" % (code, status)
        counter += 1
        name = "%020d-%d-%06d" % (time.time_ns(), os.getpid(), counter)
        tmp = os.path.join(base, "tmp-" + name)
        os.mkdir(tmp)
        raw = envelope.original_content or envelope.content
        write(tmp, "raw", raw)
        write(tmp, "mail_from", envelope.mail_from or "")
        write(tmp, "rcpt_to", "\n".join(envelope.rcpt_tos))
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        write(tmp, "headers", "".join("%s: %s\n" % (k.lower(), one_line(v)) for k, v in msg.items()))
        write(tmp, "subject", one_line(msg.get("subject", "")))
        try:
            part = msg.get_body(preferencelist=("plain",)) or msg
            body = part.get_content()
        except Exception as e:
            body = "(undecodable body: %s)" % e
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        write(tmp, "body", body.replace("\r\n", "\n"))
        os.rename(tmp, os.path.join(mail_dir, name))
        return "250 2.0.0 OK stored as %s" % name

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login or b"").decode() == user and (auth_data.password or b"").decode() == password
    return AuthResult(success=ok, handled=False)

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
kwargs = {"ready_timeout": 30}
if user:
    kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=False)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
try:
    controller.start()
except OSError as e:
    print("cannot listen on 127.0.0.1:%d: %s" % (port, e), flush=True)
    sys.exit(4)
with open(os.path.join(base, "ready.tmp"), "w") as f:
    f.write(str(os.getpid()))
os.replace(os.path.join(base, "ready.tmp"), os.path.join(base, "ready"))
print("listening on 127.0.0.1:%d" % port, flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
)PY";

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus(absl::StrCat("rename ", tmp));
  return absl::OkStatus();
}

std::string Tail(std::string text) {
  constexpr size_t kTailBytes = 4000;
  if (text.size() > kTailBytes) text = "..." + text.substr(text.size() - kTailBytes);
  return text;
}

SmtpMessage ReadMessage(const fs::path& dir) {
  SmtpMessage m;
  m.raw = ReadFile((dir / "raw").string());
  m.mail_from = ReadFile((dir / "mail_from").string());
  for (absl::string_view rcpt :
       absl::StrSplit(ReadFile((dir / "rcpt_to").string()), '\n', absl::SkipEmpty())) {
    m.rcpt_to.emplace_back(rcpt);
  }
  for (absl::string_view line :
       absl::StrSplit(ReadFile((dir / "headers").string()), '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(": ");
    if (colon == absl::string_view::npos) continue;
    m.headers.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
  }
  m.subject = ReadFile((dir / "subject").string());
  m.body = ReadFile((dir / "body").string());
  return m;
}

}  // namespace

std::string SmtpMessage::Header(absl::string_view name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

absl::StatusOr<std::unique_ptr<SmtpServer>> SmtpServer::Start(const SmtpServerOptions& options) {
  if (::access(kPython, X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(kPython, " not found (install python3-aiosmtpd)"));
  }
  std::string dir = "/tmp/pantau-smtp-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return ErrnoStatus("mkdtemp");
  // From here on the destructor removes the temp dir on any error.
  std::unique_ptr<SmtpServer> server(new SmtpServer(dir, options));
  if (::mkdir(server->mail_dir().c_str(), 0700) != 0) return ErrnoStatus("mkdir mail");
  PANTAU_RETURN_IF_ERROR(WriteFileAtomically(dir + "/server.py", kScript));

  absl::Status last_error;
  for (int attempt = 1; attempt <= kMaxPortAttempts; ++attempt) {
    PANTAU_ASSIGN_OR_RETURN(server->port_, PickFreePort());
    bool port_taken = false;
    last_error = server->SpawnAndWait(&port_taken);
    if (last_error.ok()) return server;
    if (!port_taken) return last_error;
    PANTAU_LOG(WARNING) << "aiosmtpd: port " << server->port_ << " was taken, trying another";
  }
  return last_error;
}

SmtpServer::~SmtpServer() {
  absl::Status status = Stop();
  if (!status.ok()) PANTAU_LOG(WARNING) << "stopping aiosmtpd in " << dir_ << ": " << status;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) PANTAU_LOG(WARNING) << "removing " << dir_ << ": " << ec.message();
}

std::string SmtpServer::Url() const { return absl::StrCat("smtp://127.0.0.1:", port_); }

absl::Status SmtpServer::SpawnAndWait(bool* port_taken) {
  *port_taken = false;
  const std::string ready_path = dir_ + "/ready";
  const std::string output_path = dir_ + "/server.out";
  ::unlink(ready_path.c_str());
  SpawnOptions spawn;
  spawn.output_path = output_path;
  spawn.extra_env = {absl::StrCat("PANTAU_SMTP_USER=", options_.username),
                     absl::StrCat("PANTAU_SMTP_PASSWORD=", options_.password)};
  // -I: isolated from PYTHON* variables and the user's site-packages.
  PANTAU_ASSIGN_OR_RETURN(
      process_, Subprocess::Spawn(
                    {kPython, "-I", "-u", dir_ + "/server.py", absl::StrCat(port_), dir_}, spawn));
  const std::string expected_pid = absl::StrCat(process_->pid());
  const absl::Time deadline = absl::Now() + kStartTimeout;
  absl::Duration pause = absl::Milliseconds(2);
  while (true) {
    absl::StatusOr<int> exit_code = process_->Wait(absl::ZeroDuration());
    if (exit_code.ok()) {
      const std::string output = Tail(ReadFile(output_path));
      if (*exit_code == kExitNoAiosmtpd) {
        return absl::NotFoundError(absl::StrCat("aiosmtpd is not installed for ", kPython,
                                                " (apt-get install python3-aiosmtpd): ", output));
      }
      *port_taken = *exit_code == kExitPortTaken;
      return absl::UnavailableError(
          absl::StrCat("aiosmtpd exited with code ", *exit_code, " during start-up:\n", output));
    }
    // The script writes `ready` only after its listening socket accepted a test connection.
    if (ReadFile(ready_path) == expected_pid) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      (void)process_->Signal(SIGKILL);
      (void)process_->Wait(kStopTimeout);
      return absl::DeadlineExceededError(
          absl::StrCat("aiosmtpd was not ready on port ", port_, " within ",
                       absl::FormatDuration(kStartTimeout), ":\n", Tail(ReadFile(output_path))));
    }
    // Polling: the child gives no other readiness signal.
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(50));
  }
}

absl::Status SmtpServer::Stop() {
  if (process_ == nullptr || !process_->running()) return absl::OkStatus();
  absl::Status signal_status = process_->Signal(SIGTERM);
  absl::StatusOr<int> exit_code = process_->Wait(kStopTimeout);
  if (!exit_code.ok()) {
    (void)process_->Signal(SIGKILL);
    exit_code = process_->Wait(kStopTimeout);
  }
  if (!exit_code.ok()) return exit_code.status();
  return signal_status;
}

absl::Status SmtpServer::Restart() {
  PANTAU_RETURN_IF_ERROR(Stop());
  // Same port: the test's config points at it. aiosmtpd binds with SO_REUSEADDR, so only
  // another process taking the port meanwhile can stop us; give it a few tries.
  absl::Status status;
  for (int attempt = 1; attempt <= kMaxPortAttempts; ++attempt) {
    bool port_taken = false;
    status = SpawnAndWait(&port_taken);
    if (status.ok() || !port_taken) return status;
    absl::SleepFor(absl::Milliseconds(200 * attempt));
  }
  return status;
}

absl::Status SmtpServer::FailNextMessages(int count, int code) {
  if (code < 400 || code > 599) {
    return absl::InvalidArgumentError(absl::StrCat("reply code ", code, " is not 4xx or 5xx"));
  }
  return WriteFileAtomically(dir_ + "/fail_next", absl::StrCat(count, " ", code));
}

std::vector<SmtpMessage> SmtpServer::Messages() const {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(mail_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end());  // names start with the arrival time
  std::vector<SmtpMessage> messages;
  for (const fs::path& dir : dirs) messages.push_back(ReadMessage(dir));
  return messages;
}

absl::StatusOr<std::vector<SmtpMessage>> SmtpServer::WaitForMessages(size_t count,
                                                                     absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Milliseconds(2);
  while (true) {
    std::vector<SmtpMessage> messages = Messages();
    if (messages.size() >= count) return messages;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("aiosmtpd received ", messages.size(), " messages within ",
                       absl::FormatDuration(timeout), ", wanted ", count));
    }
    // Polling the mail dir (written by another process) until the condition holds.
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(50));
  }
}

}  // namespace pantau::testing
