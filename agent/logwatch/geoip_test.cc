#include "agent/logwatch/geoip.h"

#include <sys/stat.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/logwatch/visitor_stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kV4[] = "/usr/share/GeoIP/GeoIP.dat";
constexpr char kV6[] = "/usr/share/GeoIP/GeoIPv6.dat";

bool Exists(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0;
}

class GeoIpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Exists(kV4) || !Exists(kV6)) {
      GTEST_SKIP() << "Debian's geoip-database is not installed (" << kV4 << ", " << kV6
                   << "): apt-get install geoip-database";
    }
    auto geoip = GeoIp::Open(kV4, kV6);
    ASSERT_OK(geoip);
    geoip_ = std::move(geoip).value();
  }
  std::unique_ptr<GeoIp> geoip_;
};

TEST_F(GeoIpTest, PublicAddressesResolveToTwoLetterCodes) {
  // Google's and Cloudflare's resolvers and a Telkom Indonesia address (stable allocations).
  EXPECT_EQ(geoip_->Country("8.8.8.8"), "US");
  EXPECT_EQ(geoip_->Country("::ffff:8.8.8.8"), "US");  // IPv4-mapped goes to the v4 database
  for (const char* address : {"1.1.1.1", "36.86.63.182", "202.155.0.10", "193.0.6.139",
                              "2001:4860:4860::8888", "2404:6800:4003:c00::64"}) {
    EXPECT_THAT(geoip_->Country(address), MatchesRegex("[A-Z0-9][A-Z0-9]")) << address;
  }
  EXPECT_EQ(geoip_->Country("36.86.63.182"), "ID");
}

TEST_F(GeoIpTest, PrivateLoopbackAndGarbageAreUnknown) {
  for (const char* address :
       {"10.1.2.3", "192.168.1.1", "127.0.0.1", "::1", "fe80::1", "", "garbage", "www.google.com",
        "8.8.8.8:53", "1.2.3.4; rm -rf /", "999.1.1.1"}) {
    EXPECT_EQ(geoip_->Country(address), "") << address;
  }
  EXPECT_EQ(geoip_->Country(std::string(5000, '1')), "");
}

TEST_F(GeoIpTest, ConcurrentLookupsAgree) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (geoip_->Country("8.8.8.8") != "US") ++wrong[t];
        if (geoip_->Country("10.0.0.1") != "") ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST_F(GeoIpTest, VisitorStatsCountRequestsPerCountry) {
  VisitorStatsOptions options;
  options.geoip = geoip_.get();
  VisitorStatsAggregator stats("pn-test", options);
  const absl::Time t = absl::FromUnixSeconds(1699999980);
  auto add = [&](const char* client) {
    AccessRecord r;
    r.client = client;
    r.target = "/";
    r.status = 200;
    r.user_agent = "Mozilla/5.0 Firefox/120.0";
    stats.Add(r, t, false);
  };
  add("8.8.8.8");
  add("8.8.8.8");
  add("8.8.4.4");
  add("36.86.63.182");
  add("10.0.0.1");  // unknown: not in countries
  std::vector<v1::VisitorStats> out;
  stats.Flush(true, &out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].countries_size(), 2);
  EXPECT_EQ(out[0].countries(0).key(), "US");
  EXPECT_EQ(out[0].countries(0).count(), 3);
  EXPECT_EQ(out[0].countries(1).key(), "ID");
  EXPECT_EQ(out[0].countries(1).count(), 1);
}

TEST(GeoIpOpen, MissingFileIsNotFoundNamingTheFile) {
  EXPECT_THAT(GeoIp::Open("/nonexistent/GeoIP.dat", ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/GeoIP.dat")));
  if (Exists(kV4)) {
    EXPECT_THAT(GeoIp::Open(kV4, "/nonexistent/v6.dat"),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/v6.dat")));
  }
  EXPECT_THAT(GeoIp::Open("", ""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GeoIpOpen, FileThatIsNotACountryDatabaseIsInvalid) {
  pantau::testing::ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  EXPECT_THAT(GeoIp::Open(dir.path(), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(dir.path())));
  if (Exists(kV4) && Exists(kV6)) {
    // The databases swapped: wrong edition.
    EXPECT_THAT(GeoIp::Open(kV6, ""),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a country")));
  }
}

}  // namespace
}  // namespace pantau::agent::logwatch
