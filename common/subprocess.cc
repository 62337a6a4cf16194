#include "common/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace pantau {
namespace {
absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(const std::vector<std::string>& argv,
                                                              const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command");
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const std::string& e : options.extra_env) env_storage.push_back(e);
  uid_t uid = 0;
  gid_t gid = 0;
  bool switch_user = false;
  if (!options.run_as_user.empty() && ::geteuid() == 0) {
    struct passwd* pw = ::getpwnam(options.run_as_user.c_str());
    if (pw == nullptr) {
      return absl::NotFoundError(absl::StrCat("no such user: ", options.run_as_user));
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    switch_user = true;
    env_storage.push_back(absl::StrCat("HOME=", pw->pw_dir));
    env_storage.push_back(absl::StrCat("USER=", options.run_as_user));
  }
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_fd = -1;
  if (!options.output_path.empty()) {
    out_fd = ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) return ErrnoStatus(absl::StrCat("open ", options.output_path));
    if (switch_user && ::fchown(out_fd, uid, gid) != 0) {
      ::close(out_fd);
      return ErrnoStatus(absl::StrCat("chown ", options.output_path));
    }
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    if (out_fd >= 0) ::close(out_fd);
    return ErrnoStatus("fork");
  }
  if (pid == 0) {
    // Child: own process group so signals sent to the test runner's group do not hit it twice.
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (out_fd >= 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (switch_user) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) _exit(126);
    }
    ::execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  if (out_fd >= 0) ::close(out_fd);
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() {
  if (!exited_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

absl::Status Subprocess::Signal(int signal) {
  if (exited_) return absl::FailedPreconditionError("process has exited");
  if (::kill(pid_, signal) != 0) return ErrnoStatus("kill");
  return absl::OkStatus();
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (exited_) return exit_code_;
  const absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(1);
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, deadline == absl::InfiniteFuture() ? 0 : WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ = DecodeWaitStatus(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) return ErrnoStatus("waitpid");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("process ", pid_, " still running"));
    }
    // Polling the child's state (there is no portable waitpid with a timeout).
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(20));
  }
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const SpawnOptions& options, absl::Duration timeout) {
  char tmpl[] = "/tmp/pantau-cmd-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) return ErrnoStatus("mkstemp");
  ::close(fd);
  SpawnOptions opts = options;
  opts.output_path = tmpl;
  auto child = Subprocess::Spawn(argv, opts);
  if (!child.ok()) {
    ::unlink(tmpl);
    return child.status();
  }
  absl::StatusOr<int> code = (*child)->Wait(timeout);
  std::ifstream in(tmpl);
  std::stringstream buffer;
  buffer << in.rdbuf();
  ::unlink(tmpl);
  if (!code.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("`", absl::StrJoin(argv, " "),
                                                    "` did not finish: ", buffer.str()));
  }
  return CommandResult{*code, buffer.str()};
}

}  // namespace pantau
