// A throwaway nginx for tests: serves a document root on 127.0.0.1:<free port> with its own
// config, logs and temp dirs in a fresh temp dir, all removed when the object is destroyed.
// Used by agent tests (probes fetch pages, logwatch tails the access/error logs).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> nginx, NginxServer::Start());
//   ASSERT_OK(nginx->WriteFile("index.html", "<h1>Pengadilan Negeri</h1>"));
//   Probe(nginx->Url("/index.html"));              // http://127.0.0.1:PORT/index.html
//   ... read nginx->access_log_path() (nginx "combined" format) ...
//
// nginx runs in the foreground (`daemon off`, master + 1 worker) as our child process, so a
// crashed test cannot leave a daemon behind for long and Stop() knows the pid.
//
// When the test runs as root, nginx's worker runs as `nobody`. Rather than `user root;`
// (which would hide permission bugs from tests of code that serves real web roots), the
// server's dirs are made world-readable (0755, files 0644), and a caller's root_dir gets o+rx
// added; its parent dirs must already be traversable by others.
#ifndef PANTAU_TESTS_TESTING_NGINX_SERVER_H_
#define PANTAU_TESTS_TESTING_NGINX_SERVER_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/subprocess.h"

namespace pantau::testing {

struct NginxOptions {
  // Directory served at "/". Default (empty): a fresh dir "www" inside the server's temp dir.
  std::string root_dir;
  // Inserted verbatim inside http { ... }, e.g. "log_format timed '$remote_addr $request_time';".
  std::string extra_http_conf;
  // Inserted verbatim inside server { ... }, e.g. "location /down { return 503; }".
  std::string extra_server_conf;
};

// One nginx master process (plus its worker). Thread-compatible; the const accessors and
// WriteFile() may be used from several threads at once.
class NginxServer {
 public:
  // Writes nginx.conf, starts nginx and waits (at most ~30 s) until the port accepts TCP
  // connections. Retries with another port if the chosen one was taken meanwhile. Errors
  // (including a bad extra_*_conf) carry the tail of nginx's error log.
  static absl::StatusOr<std::unique_ptr<NginxServer>> Start(const NginxOptions& options = {});

  // Stops nginx (see Stop()) and removes the temp dir. A caller's root_dir is left alone.
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path; a missing leading '/' is added.
  std::string Url(absl::string_view path = "/") const;
  const std::string& root_dir() const { return root_dir_; }
  // The server's temp dir (nginx.conf, logs, temp paths).
  const std::string& dir() const { return dir_; }
  std::string access_log_path() const;
  std::string error_log_path() const;

  // Graceful stop (SIGQUIT, nginx finishes requests in flight); after 10 s SIGKILL to the
  // whole process group. OK when already stopped.
  absl::Status Stop();
  // SIGUSR1: nginx reopens its log files (log rotation: rename the log, then call this).
  // Returns once the reopen is requested; nginx does it asynchronously.
  absl::Status ReopenLogs();

  // Writes `content` to root_dir/relative_path atomically (temp file + rename), creating
  // parent dirs (0755); the file gets mode 0644. InvalidArgument for an absolute path or "..".
  absl::Status WriteFile(absl::string_view relative_path, absl::string_view content) const;

 private:
  NginxServer(std::string dir, std::string root_dir)
      : dir_(std::move(dir)), root_dir_(std::move(root_dir)) {}

  std::string conf_path() const;
  std::string pid_path() const;
  std::string output_path() const;
  absl::Status WriteConfig(const NginxOptions& options) const;
  // Spawns nginx on port_ and waits until it serves. Sets *port_taken when nginx could not
  // bind because another process grabbed the port.
  absl::Status SpawnAndWait(bool* port_taken);

  const std::string dir_;
  const std::string root_dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_NGINX_SERVER_H_
