#include "agent/checks/availability.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const absl::Time kNow = absl::FromUnixSeconds(1795000000);

SiteConfig Site() {
  SiteConfig s;
  s.id = "pn-www";
  s.url = "https://www.pn-contoh.go.id/";
  return s;
}

FetchResult Ok() {
  FetchResult f;
  f.transfer_ok = true;
  f.status = 200;
  f.http_version = "2";
  f.final_url = "https://www.pn-contoh.go.id/";
  f.hops = {{"https://www.pn-contoh.go.id/", 200, ""}};
  f.tls = true;
  f.tls_verified = true;
  f.cert_not_after = kNow + absl::Hours(24 * 90);
  f.cert_issuer = "C=US, O=Let's Encrypt, CN=R11";
  f.total_us = 1234;
  return f;
}

TEST(AvailabilityResult, AHealthySiteIsUpWithItsCertificateAndNoFindings) {
  v1::ProbeResult r = AvailabilityResult(Site(), Ok(), kNow, kNow);
  EXPECT_TRUE(r.up());
  EXPECT_EQ(r.probe_kind(), "http");
  EXPECT_EQ(r.http_version(), "2");
  EXPECT_TRUE(r.tls_checked());
  EXPECT_TRUE(r.tls_verified());
  EXPECT_TRUE(r.tls_days_left_known());
  EXPECT_EQ(r.tls_days_left(), 90);
  EXPECT_THAT(r.tls_issuer(), HasSubstr("Let's Encrypt"));
  EXPECT_THAT(r.findings(), IsEmpty());
}

TEST(AvailabilityResult, AnInvalidCertificateIsDownWithACriticalFinding) {
  FetchResult f = Ok();
  f.transfer_ok = false;
  f.error = "SSL certificate problem: certificate has expired";
  f.tls_verified = false;
  f.tls_error = f.error;
  f.cert_not_after = kNow - absl::Hours(24 * 3);
  v1::ProbeResult r = AvailabilityResult(Site(), f, kNow, kNow);
  EXPECT_FALSE(r.up());
  EXPECT_THAT(r.error(), HasSubstr("expired"));
  EXPECT_EQ(r.tls_days_left(), -3);
  ASSERT_EQ(r.findings_size(), 1);
  EXPECT_EQ(r.findings(0).kind(), "tls_invalid");
  EXPECT_EQ(r.findings(0).severity(), v1::Finding::CRITICAL);
}

TEST(AvailabilityResult, ACertificateNearItsEndIsAnExpiringFinding) {
  FetchResult f = Ok();
  f.cert_not_after = kNow + absl::Hours(24 * 10 + 5);
  v1::ProbeResult r = AvailabilityResult(Site(), f, kNow, kNow);
  EXPECT_TRUE(r.up());
  ASSERT_EQ(r.findings_size(), 1);
  EXPECT_EQ(r.findings(0).kind(), "tls_expiring");
  EXPECT_EQ(r.findings(0).severity(), v1::Finding::WARNING);
  f.cert_not_after = kNow + absl::Hours(30);
  EXPECT_EQ(AvailabilityResult(Site(), f, kNow, kNow).findings(0).severity(), v1::Finding::CRITICAL);
}

TEST(AvailabilityResult, ARedirectToAnotherSiteIsAFindingButWwwIsNot) {
  FetchResult f = Ok();
  f.hops = {{"https://www.pn-contoh.go.id/", 301, "https://pn-contoh.go.id/"},
            {"https://pn-contoh.go.id/", 200, ""}};
  EXPECT_THAT(AvailabilityResult(Site(), f, kNow, kNow).findings(), IsEmpty());
  f.hops = {{"https://www.pn-contoh.go.id/", 302, "https://slot-gacor.example/daftar"},
            {"https://slot-gacor.example/daftar", 200, ""}};
  v1::ProbeResult r = AvailabilityResult(Site(), f, kNow, kNow);
  ASSERT_EQ(r.findings_size(), 1);
  EXPECT_EQ(r.findings(0).kind(), "redirect_offsite");
  EXPECT_EQ(r.findings(0).key(), "slot-gacor.example");
  SiteConfig own = Site();
  own.content.own_hosts = {"slot-gacor.example"};
  EXPECT_THAT(AvailabilityResult(own, f, kNow, kNow).findings(), IsEmpty());
}

TEST(AvailabilityResult, AnUnexpectedStatusIsDown) {
  FetchResult f = Ok();
  f.status = 503;
  v1::ProbeResult r = AvailabilityResult(Site(), f, kNow, kNow);
  EXPECT_FALSE(r.up());
  EXPECT_EQ(r.error(), "unexpected HTTP status 503");
  SiteConfig s = Site();
  s.expected_status = {503};
  EXPECT_TRUE(AvailabilityResult(s, f, kNow, kNow).up());
}

TEST(TcpResult, ReportsEveryClosedPortAsItsOwnFinding) {
  SiteConfig s = Site();
  FetchResult open;
  open.transfer_ok = true;
  FetchResult closed;
  closed.error = "Connection refused";
  v1::ProbeResult r = TcpResult(s, {{22, closed}, {443, open}, {8443, closed}}, kNow);
  EXPECT_FALSE(r.up());
  EXPECT_EQ(r.probe_kind(), "tcp");
  EXPECT_EQ(r.url(), "tcp://www.pn-contoh.go.id:22,443,8443");
  ASSERT_EQ(r.findings_size(), 2);
  EXPECT_EQ(r.findings(0).key(), "22");
  EXPECT_EQ(r.findings(1).key(), "8443");
  EXPECT_TRUE(TcpResult(s, {{443, open}}, kNow).up());
}

TEST(DnsResult, CarriesAnswersAndFindings) {
  SiteConfig s = Site();
  DnsProbeResult dns;
  dns.resolved = true;
  dns.answers = {{"system", {"10.0.0.5"}, "", false, 10}, {"1.1.1.1", {"203.0.113.66"}, "", false, 20}};
  dns.findings = {{"dns_mismatch", DnsFindingSeverity::kWarning, "1.1.1.1", "disjoint", "x"}};
  v1::ProbeResult r = DnsResult(s, dns, kNow);
  EXPECT_TRUE(r.up());
  EXPECT_EQ(r.url(), "dns://www.pn-contoh.go.id");
  EXPECT_THAT(r.dns_answers(), ::testing::ElementsAre("system=10.0.0.5", "1.1.1.1=203.0.113.66"));
  ASSERT_EQ(r.findings_size(), 1);
  EXPECT_EQ(r.findings(0).kind(), "dns_mismatch");
  EXPECT_FALSE(DnsResult(s, absl::InvalidArgumentError("bad"), kNow).up());
}

}  // namespace
}  // namespace pantau::agent
