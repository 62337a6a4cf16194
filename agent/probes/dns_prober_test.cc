// DnsProber against real dnsmasq servers: one ("good") answers court.test with the site's
// real addresses, the other ("hijack") with an attacker's. Label "dns".
#include "agent/probes/dns_prober.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/dnsmasq_server.h"
#include "tests/testing/ports.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::DnsmasqOptions;
using ::pantau::testing::DnsmasqServer;
using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int kLoadNames = 50;
constexpr int kManyAddresses = 40;

std::string LoadName(int i) { return absl::StrCat("load-", i, ".test"); }
std::string LoadAddress(int i) { return absl::StrCat("127.0.1.", i + 1); }

// A UDP socket that receives queries and never answers: a resolver that times out.
class SilentResolver {
 public:
  SilentResolver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentResolver() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentResolver(const SilentResolver&) = delete;
  SilentResolver& operator=(const SilentResolver&) = delete;
  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class DnsProberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DnsmasqOptions good;
    good.records["court.test"] = {"127.0.0.10", "::10"};
    good.records["cdn.test"] = {"198.51.100.1", "198.51.100.2"};
    good.records["v4only.test"] = {"127.0.0.20"};
    for (int i = 0; i < kManyAddresses; ++i) {
      good.records["many.test"].push_back(absl::StrCat("10.0.0.", i + 1));
    }
    for (int i = 0; i < kLoadNames; ++i) good.records[LoadName(i)] = {LoadAddress(i)};
    absl::StatusOr<std::unique_ptr<DnsmasqServer>> server = DnsmasqServer::Start(good);
    ASSERT_THAT(server, IsOk());
    good_ = server->release();

    DnsmasqOptions hijack;
    hijack.records["court.test"] = {"203.0.113.66"};
    hijack.records["cdn.test"] = {"198.51.100.2", "198.51.100.3"};
    server = DnsmasqServer::Start(hijack);
    ASSERT_THAT(server, IsOk());
    hijack_ = server->release();
  }
  static void TearDownTestSuite() {
    delete good_;
    delete hijack_;
    good_ = nullptr;
    hijack_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(good_, nullptr);
    ASSERT_NE(hijack_, nullptr);
    ASSERT_FALSE(temp_.path().empty());
    // The "system" source reads this resolv.conf and asks the good server.
    resolv_conf_ = temp_.path() + "/resolv.conf";
    std::ofstream(resolv_conf_) << "nameserver 127.0.0.1\n";
  }

  DnsProber SystemIsGood() const {
    DnsProberOptions options;
    options.resolv_conf_path = resolv_conf_;
    options.system_port = good_->port();
    return DnsProber(options);
  }

  // Only configured resolvers, no system source.
  static DnsProbeSpec ResolversOnly(const std::string& host, std::vector<std::string> resolvers) {
    DnsProbeSpec spec;
    spec.host = host;
    spec.include_system = false;
    spec.resolvers = std::move(resolvers);
    spec.timeout = absl::Seconds(10);
    return spec;
  }

  static DnsmasqServer* good_;
  static DnsmasqServer* hijack_;
  ::pantau::testing::ScopedTempDir temp_;
  std::string resolv_conf_;
};

DnsmasqServer* DnsProberTest::good_ = nullptr;
DnsmasqServer* DnsProberTest::hijack_ = nullptr;

TEST_F(DnsProberTest, SystemAndResolverThatAgreeGiveNoFinding) {
  DnsProbeSpec spec;
  spec.host = "court.test";
  spec.resolvers = {good_->address()};
  spec.expected_addresses = {"127.0.0.10", "::10"};
  absl::StatusOr<DnsProbeResult> result = SystemIsGood().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);
  ASSERT_THAT(result->answers, SizeIs(2));
  EXPECT_EQ(result->answers[0].resolver, kSystemResolver);
  EXPECT_EQ(result->answers[1].resolver, good_->address());
  for (const DnsAnswerSet& answer : result->answers) {
    EXPECT_THAT(answer.addresses, ElementsAre("127.0.0.10", "::10")) << answer.resolver;
    EXPECT_EQ(answer.error, "") << answer.resolver;
    EXPECT_FALSE(answer.truncated);
    EXPECT_GE(answer.elapsed_us, 0);
    EXPECT_LE(answer.elapsed_us, result->total_us);
  }
  EXPECT_THAT(result->findings, IsEmpty());
}

TEST_F(DnsProberTest, TrailingDotIsAccepted) {
  absl::StatusOr<DnsProbeResult> result =
      DnsProber().Probe(ResolversOnly("court.test.", {good_->address()}));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);
  EXPECT_THAT(result->answers[0].addresses, ElementsAre("127.0.0.10", "::10"));
}

TEST_F(DnsProberTest, AddressOutsideExpectedSetIsAnUnexpectedAddress) {
  DnsProbeSpec spec = ResolversOnly("court.test", {hijack_->address()});
  spec.expected_addresses = {"127.0.0.10", "::10"};
  absl::StatusOr<DnsProbeResult> result = DnsProber().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);
  ASSERT_THAT(result->findings, SizeIs(1));
  const DnsFinding& finding = result->findings[0];
  EXPECT_EQ(finding.kind, kFindingUnexpectedAddress);
  EXPECT_EQ(finding.severity, DnsFindingSeverity::kCritical);
  EXPECT_EQ(finding.resolver, hijack_->address());
  EXPECT_THAT(finding.detail, HasSubstr("203.0.113.66"));
  EXPECT_THAT(finding.evidence, AllOf(HasSubstr("203.0.113.66"), HasSubstr("127.0.0.10")));
}

TEST_F(DnsProberTest, ExpectedAddressesAreComparedInCanonicalForm) {
  DnsProbeSpec spec = ResolversOnly("court.test", {good_->address()});
  spec.expected_addresses = {"0:0::0:10", "127.0.0.10"};
  absl::StatusOr<DnsProbeResult> result = DnsProber().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->findings, IsEmpty());
}

TEST_F(DnsProberTest, DisjointResolversAreAMismatch) {
  absl::StatusOr<DnsProbeResult> result =
      DnsProber().Probe(ResolversOnly("court.test", {good_->address(), hijack_->address()}));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);
  ASSERT_THAT(result->findings, SizeIs(1));
  const DnsFinding& finding = result->findings[0];
  EXPECT_EQ(finding.kind, kFindingMismatch);
  EXPECT_EQ(finding.severity, DnsFindingSeverity::kWarning);
  EXPECT_EQ(finding.resolver, hijack_->address());
  EXPECT_THAT(finding.detail, HasSubstr("IPv4"));
  EXPECT_THAT(finding.evidence, AllOf(HasSubstr("127.0.0.10"), HasSubstr("203.0.113.66")));
}

TEST_F(DnsProberTest, SystemDisagreeingWithResolverIsAMismatchAgainstSystem) {
  DnsProbeSpec spec;
  spec.host = "court.test";
  spec.resolvers = {hijack_->address()};
  absl::StatusOr<DnsProbeResult> result = SystemIsGood().Probe(spec);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->findings, SizeIs(1));
  EXPECT_EQ(result->findings[0].kind, kFindingMismatch);
  EXPECT_THAT(result->findings[0].detail, HasSubstr(kSystemResolver));
}

TEST_F(DnsProberTest, OverlappingButDifferentAnswersAreNotAMismatch) {
  // Round-robin / CDN: the resolvers share 198.51.100.2.
  absl::StatusOr<DnsProbeResult> result =
      DnsProber().Probe(ResolversOnly("cdn.test", {good_->address(), hijack_->address()}));
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->answers[0].addresses, ElementsAre("198.51.100.1", "198.51.100.2"));
  EXPECT_THAT(result->answers[1].addresses, ElementsAre("198.51.100.2", "198.51.100.3"));
  EXPECT_THAT(result->findings, IsEmpty());
}

TEST_F(DnsProberTest, SilentResolverTimesOutWithinTheDeadline) {
  SilentResolver silent;
  ASSERT_NE(silent.port(), 0);
  DnsProbeSpec spec = ResolversOnly("court.test", {good_->address(), silent.address()});
  spec.timeout = absl::Seconds(1);
  absl::StatusOr<DnsProbeResult> result = DnsProber().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);  // the primary (first) source answered
  ASSERT_THAT(result->answers, SizeIs(2));
  EXPECT_EQ(result->answers[1].error, "timeout");
  EXPECT_THAT(result->answers[1].addresses, IsEmpty());
  // Generous upper bound: the deadline plus slack for a loaded CI machine.
  EXPECT_LT(result->total_us, absl::ToInt64Microseconds(spec.timeout + absl::Seconds(2)));
  ASSERT_THAT(result->findings, SizeIs(1));
  EXPECT_EQ(result->findings[0].kind, kFindingFailure);
  EXPECT_EQ(result->findings[0].resolver, silent.address());
  EXPECT_THAT(result->findings[0].detail, HasSubstr("timeout"));
}

TEST_F(DnsProberTest, ResolverWithNothingListeningFailsQuickly) {
  absl::StatusOr<int> port = ::pantau::testing::PickFreePort();
  ASSERT_THAT(port, IsOk());
  const std::string nothing = absl::StrCat("127.0.0.1:", *port);
  DnsProbeSpec spec = ResolversOnly("court.test", {good_->address(), nothing});
  spec.timeout = absl::Seconds(1);
  absl::StatusOr<DnsProbeResult> result = DnsProber().Probe(spec);
  ASSERT_THAT(result, IsOk());
  // Loopback refuses at once (ICMP port unreachable); should another process take the port
  // meanwhile and stay silent, it is a timeout instead.
  EXPECT_THAT(result->answers[1].error, AnyOf("connection refused", "timeout"));
  EXPECT_LT(result->total_us, absl::ToInt64Microseconds(spec.timeout + absl::Seconds(2)));
  ASSERT_THAT(result->findings, SizeIs(1));
  EXPECT_EQ(result->findings[0].kind, kFindingFailure);
}

TEST_F(DnsProberTest, SystemResolverFailingIsNotResolvedButAFailure) {
  // The primary source (system) times out, the configured resolver answers.
  SilentResolver silent;
  ASSERT_NE(silent.port(), 0);
  DnsProberOptions options;
  options.resolv_conf_path = resolv_conf_;
  options.system_port = silent.port();
  DnsProbeSpec spec;
  spec.host = "court.test";
  spec.resolvers = {good_->address()};
  spec.timeout = absl::Milliseconds(500);
  absl::StatusOr<DnsProbeResult> result = DnsProber(options).Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->resolved);
  EXPECT_EQ(result->answers[0].error, "timeout");
  ASSERT_THAT(result->findings, SizeIs(1));
  EXPECT_EQ(result->findings[0].kind, kFindingFailure);
  EXPECT_EQ(result->findings[0].resolver, kSystemResolver);
}

TEST_F(DnsProberTest, NameThatDoesNotExistAnywhereIsNotResolved) {
  DnsProbeSpec spec;
  spec.host = "missing.test";
  spec.resolvers = {good_->address(), hijack_->address()};
  absl::StatusOr<DnsProbeResult> result = SystemIsGood().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->resolved);
  ASSERT_THAT(result->answers, SizeIs(3));
  for (const DnsAnswerSet& answer : result->answers) {
    EXPECT_EQ(answer.error, "NXDOMAIN") << answer.resolver;
    EXPECT_THAT(answer.addresses, IsEmpty());
  }
  EXPECT_THAT(result->findings, IsEmpty());  // nothing answered: nothing to compare
}

TEST_F(DnsProberTest, NxdomainFromOneResolverIsAFailure) {
  // "v4only.test" exists only on the good server; the hijack server says NXDOMAIN.
  absl::StatusOr<DnsProbeResult> result =
      DnsProber().Probe(ResolversOnly("v4only.test", {good_->address(), hijack_->address()}));
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->answers[0].addresses, ElementsAre("127.0.0.20"));
  EXPECT_EQ(result->answers[0].error, "");  // no AAAA (NODATA) beside an A is no error
  EXPECT_EQ(result->answers[1].error, "NXDOMAIN");
  ASSERT_THAT(result->findings, SizeIs(1));
  EXPECT_EQ(result->findings[0].kind, kFindingFailure);
  EXPECT_THAT(result->findings[0].detail, HasSubstr("NXDOMAIN"));
}

TEST_F(DnsProberTest, RefusedQueryIsReported) {
  // dnsmasq has no upstream: names outside its local domains are refused.
  DnsProbeSpec spec;
  spec.host = "court.example";
  spec.resolvers = {good_->address()};
  absl::StatusOr<DnsProbeResult> result = SystemIsGood().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_FALSE(result->resolved);
  ASSERT_THAT(result->answers, SizeIs(2));
  EXPECT_EQ(result->answers[0].error, "REFUSED");  // system, one nameserver
  EXPECT_EQ(result->answers[1].error, "REFUSED");
}

TEST_F(DnsProberTest, AnswersAreBoundedPerResolver) {
  // 40 A records do not fit a 512-byte UDP reply: c-ares retries over TCP, then we keep 32.
  absl::StatusOr<DnsProbeResult> result =
      DnsProber().Probe(ResolversOnly("many.test", {good_->address()}));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);
  EXPECT_THAT(result->answers[0].addresses, SizeIs(kMaxAddressesPerResolver));
  EXPECT_TRUE(result->answers[0].truncated);
  EXPECT_TRUE(
      std::is_sorted(result->answers[0].addresses.begin(), result->answers[0].addresses.end()));
}

TEST_F(DnsProberTest, IpLiteralResolvesToItselfWithoutAQuery) {
  DnsProbeSpec spec = ResolversOnly("192.0.2.7", {"127.0.0.1:1"});  // would fail if asked
  spec.expected_addresses = {"192.0.2.7"};
  absl::StatusOr<DnsProbeResult> result = DnsProber().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->resolved);
  ASSERT_THAT(result->answers, SizeIs(1));
  EXPECT_EQ(result->answers[0].resolver, kLiteralResolver);
  EXPECT_THAT(result->answers[0].addresses, ElementsAre("192.0.2.7"));
  EXPECT_THAT(result->findings, IsEmpty());

  spec.host = "[2001:DB8:0::1]";
  spec.expected_addresses = {};
  result = DnsProber().Probe(spec);
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(result->answers[0].addresses, ElementsAre("2001:db8::1"));
}

TEST(DnsProberValidation, AcceptsIpResolversWithOptionalPort) {
  for (const char* resolver : {"1.1.1.1", "1.1.1.1:53", "127.0.0.1:5353", "2001:db8::1",
                               "[2001:db8::1]", "[2001:db8::1]:53", "[::1]:65535"}) {
    EXPECT_THAT(DnsProber::ValidateResolver(resolver), IsOk()) << resolver;
  }
}

TEST(DnsProberValidation, RejectsBadResolverStringsWithAClearError) {
  for (const char* resolver :
       {"", "dns.google", "dns.google:53", "1.1.1", "1.1.1.1:", "1.1.1.1:0", "1.1.1.1:65536",
        "1.1.1.1:53x", "1.1.1.1:-1", " 1.1.1.1", "1.1.1.1,8.8.8.8", "[1.1.1.1]:53", "[2001:db8::1",
        "[2001:db8::1]53", "[2001:db8::1]:", "fe80::1%eth0", "1.1.1.1:53:53"}) {
    EXPECT_THAT(DnsProber::ValidateResolver(resolver),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("resolver"), HasSubstr("[2001:db8::1]:53"))))
        << "'" << resolver << "'";
  }
}

TEST(DnsProberValidation, ProbeRejectsABadSpecWithoutQuerying) {
  DnsProbeSpec spec;
  spec.host = "court.test";
  spec.resolvers = {"dns.google"};
  EXPECT_THAT(DnsProber().Probe(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns.google")));
}

TEST(DnsProberValidation, RejectsBadSpecs) {
  auto with = [](auto change) {
    DnsProbeSpec spec;
    spec.host = "pn-jakartapusat.go.id";
    spec.resolvers = {"1.1.1.1"};
    change(spec);
    return DnsProber::ValidateSpec(spec);
  };
  EXPECT_THAT(with([](DnsProbeSpec&) {}), IsOk());
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.host = ""; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.host = "bad host.go.id"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.host = "a..b"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.host = std::string(64, 'a') + ".id"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
  EXPECT_THAT(with([](DnsProbeSpec& s) {
                s.resolvers.clear();
                s.include_system = false;
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no source")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.resolvers.push_back("1.1.1.1"); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.resolvers.assign(kMaxResolvers + 1, "1.1.1.1"); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at most")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.expected_addresses = {"10.0.0.300"}; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected address")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.timeout = absl::ZeroDuration(); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
  EXPECT_THAT(with([](DnsProbeSpec& s) { s.timeout = absl::Minutes(10); }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
}

TEST_F(DnsProberTest, ConcurrentProbesFromSeveralThreadsShareOneProber) {
  constexpr int kThreads = 5;
  const DnsProber prober = SystemIsGood();
  absl::Mutex mu;
  std::vector<std::string> failures;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kLoadNames; i += kThreads) {
        DnsProbeSpec spec;
        spec.host = LoadName(i);
        spec.resolvers = {good_->address()};
        spec.expected_addresses = {LoadAddress(i)};
        spec.timeout = absl::Seconds(10);
        absl::StatusOr<DnsProbeResult> result = prober.Probe(spec);
        std::string problem;
        if (!result.ok()) {
          problem = result.status().ToString();
        } else if (!result->resolved || !result->findings.empty() || result->answers.size() != 2 ||
                   result->answers[0].addresses != std::vector<std::string>{LoadAddress(i)} ||
                   result->answers[1].addresses != std::vector<std::string>{LoadAddress(i)}) {
          problem = absl::StrCat("unexpected result, first error '",
                                 result->answers.empty() ? "" : result->answers[0].error, "'");
        }
        if (!problem.empty()) {
          absl::MutexLock lock(&mu);
          failures.push_back(absl::StrCat(spec.host, ": ", problem));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, IsEmpty());
}

}  // namespace
}  // namespace pantau::agent
