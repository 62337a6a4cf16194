// A throwaway DNS server for tests: a real dnsmasq on 127.0.0.1:<free port> (UDP and TCP)
// that answers A/AAAA records given by the test and nothing else (no upstream, no
// /etc/hosts, no config file), stopped and cleaned up when the object is destroyed.
// Used by the DNS probe tests.
//
//   DnsmasqOptions options;
//   options.records["court.test"] = {"127.0.0.10", "::10"};
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<DnsmasqServer> dns, DnsmasqServer::Start(options));
//   spec.resolvers = {dns->address()};              // "127.0.0.1:PORT"
//
// Answers: a name in `records` gets its addresses (NODATA for a family it has none of); any
// other name under a `local_domains` domain gets NXDOMAIN; names elsewhere get REFUSED.
//
// dnsmasq runs in the foreground as our child (its own process group), logging to
// output_path(). Started as root, it binds its port and then drops to nobody:nogroup (passed
// explicitly, so a missing default group "dip" cannot stop it); it reads no files after that.
// Started as non-root it keeps our user. Needs the Debian package dnsmasq-base.
#ifndef PANTAU_TESTS_TESTING_DNSMASQ_SERVER_H_
#define PANTAU_TESTS_TESTING_DNSMASQ_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/subprocess.h"

namespace pantau::testing {

struct DnsmasqOptions {
  // Host name -> its IPv4 / IPv6 addresses (text). Default: none.
  std::map<std::string, std::vector<std::string>> records;
  // Domains answered from `records` only: other names below them get NXDOMAIN. Default
  // {"test"} (RFC 6761 reserves it for testing).
  std::vector<std::string> local_domains = {"test"};
  // Log every query to output_path() (handy when a test fails). Default false.
  bool log_queries = false;
};

// One dnsmasq process. Thread-compatible; the const accessors may be used from any thread.
class DnsmasqServer {
 public:
  // Starts dnsmasq and waits (at most ~30 s) until it answers a DNS query for a record only
  // it knows, so a process that grabbed the port meanwhile is not mistaken for it; retries
  // with another port if the chosen one was taken. InvalidArgument for a bad name or address
  // in `options`; NotFound when /usr/sbin/dnsmasq is missing. Errors carry dnsmasq's output.
  static absl::StatusOr<std::unique_ptr<DnsmasqServer>> Start(const DnsmasqOptions& options = {});

  // Stops dnsmasq (see Stop()) and removes its temp dir.
  ~DnsmasqServer();
  DnsmasqServer(const DnsmasqServer&) = delete;
  DnsmasqServer& operator=(const DnsmasqServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:PORT", the resolver form DnsProber accepts.
  std::string address() const;
  // dnsmasq's stderr (start-up messages, errors, queries when log_queries).
  std::string output_path() const;

  // SIGTERM, then SIGKILL to the process group after 10 s. OK when already stopped.
  absl::Status Stop();

 private:
  explicit DnsmasqServer(std::string dir) : dir_(std::move(dir)) {}

  // Spawns dnsmasq on port_ and waits until it answers. Sets *port_taken when it could not
  // bind because another process holds the port.
  absl::Status SpawnAndWait(const std::vector<std::string>& argv, const std::string& ready_name,
                            bool* port_taken);

  const std::string dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_DNSMASQ_SERVER_H_
