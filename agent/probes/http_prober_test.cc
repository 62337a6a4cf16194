#include "agent/probes/http_prober.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/ports.h"

namespace pantau::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class HttpProberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GlobalInitCurl();
    testing::NginxOptions options;
    options.extra_server_conf =
        "location = /moved { return 301 /index.html; }\n"
        "location = /loop { return 302 /loop; }\n"
        "location = /broken { return 500; }\n";
    auto nginx = testing::NginxServer::Start(options);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = nginx->release();
    ASSERT_TRUE(nginx_->WriteFile("index.html", "<html><body>PN Contoh</body></html>").ok());
    ASSERT_TRUE(nginx_->WriteFile("big.bin", std::string(3 << 20, 'x')).ok());
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  static SiteConfig Site(const std::string& url) {
    SiteConfig s;
    s.id = "pn-contoh";
    s.url = url;
    s.timeout = absl::Seconds(10);
    return s;
  }
  static testing::NginxServer* nginx_;
};
testing::NginxServer* HttpProberTest::nginx_ = nullptr;

TEST_F(HttpProberTest, HealthyPageIsUpWithTimings) {
  HttpProber prober(5 << 20);
  const absl::Time start = absl::FromUnixSeconds(1795600000);
  v1::ProbeResult r = prober.Probe(Site(nginx_->Url("/index.html")), start);
  EXPECT_TRUE(r.up()) << r.error();
  EXPECT_EQ(r.http_status(), 200);
  EXPECT_THAT(r.error(), IsEmpty());
  EXPECT_EQ(r.started_unix_ms(), 1795600000000);
  EXPECT_EQ(r.site(), "pn-contoh");
  EXPECT_EQ(r.body_bytes(), 35);
  EXPECT_GT(r.total_us(), 0);
  EXPECT_LE(r.dns_us() + r.connect_us() + r.tls_us() + r.first_byte_us(), r.total_us());
  EXPECT_EQ(r.tls_us(), 0);
}

TEST_F(HttpProberTest, RedirectIsFollowed) {
  HttpProber prober(5 << 20);
  v1::ProbeResult r = prober.Probe(Site(nginx_->Url("/moved")), absl::Now());
  EXPECT_TRUE(r.up()) << r.error();
  EXPECT_EQ(r.http_status(), 200);
}

TEST_F(HttpProberTest, ErrorStatusesAreDownWithAReason) {
  HttpProber prober(5 << 20);
  v1::ProbeResult missing = prober.Probe(Site(nginx_->Url("/nope.html")), absl::Now());
  EXPECT_FALSE(missing.up());
  EXPECT_EQ(missing.http_status(), 404);
  EXPECT_THAT(missing.error(), HasSubstr("unexpected HTTP status 404"));
  v1::ProbeResult broken = prober.Probe(Site(nginx_->Url("/broken")), absl::Now());
  EXPECT_FALSE(broken.up());
  EXPECT_EQ(broken.http_status(), 500);
}

TEST_F(HttpProberTest, ExpectedStatusListOverridesTheDefault) {
  HttpProber prober(5 << 20);
  SiteConfig site = Site(nginx_->Url("/nope.html"));
  site.expected_status = {404};
  EXPECT_TRUE(prober.Probe(site, absl::Now()).up());
  site.url = nginx_->Url("/index.html");
  EXPECT_FALSE(prober.Probe(site, absl::Now()).up());
}

TEST_F(HttpProberTest, RedirectLoopIsDown) {
  HttpProber prober(5 << 20);
  v1::ProbeResult r = prober.Probe(Site(nginx_->Url("/loop")), absl::Now());
  EXPECT_FALSE(r.up());
  EXPECT_THAT(r.error(), HasSubstr("redirect"));
}

TEST_F(HttpProberTest, RefusedConnectionIsDown) {
  // A port that was just free: nothing listens there.
  absl::StatusOr<int> port = testing::PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status();
  HttpProber prober(5 << 20);
  v1::ProbeResult r =
      prober.Probe(Site(absl::StrCat("http://127.0.0.1:", *port, "/")), absl::Now());
  EXPECT_FALSE(r.up());
  EXPECT_EQ(r.http_status(), 0);
  EXPECT_THAT(r.error(), HasSubstr("onnect"));
}

TEST_F(HttpProberTest, ServerThatNeverAnswersTimesOut) {
  // Listening but never accepting: the connection completes, no response ever comes.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  HttpProber prober(5 << 20);
  SiteConfig site = Site(absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port), "/"));
  site.timeout = absl::Milliseconds(300);
  v1::ProbeResult r = prober.Probe(site, absl::Now());
  close(fd);
  EXPECT_FALSE(r.up());
  EXPECT_THAT(r.error(), HasSubstr("imed out"));
}

TEST_F(HttpProberTest, BodyReadStopsAtTheLimit) {
  HttpProber prober(1 << 20);
  v1::ProbeResult r = prober.Probe(Site(nginx_->Url("/big.bin")), absl::Now());
  EXPECT_TRUE(r.up()) << r.error();
  EXPECT_EQ(r.body_bytes(), 1 << 20);
}

}  // namespace
}  // namespace pantau::agent
