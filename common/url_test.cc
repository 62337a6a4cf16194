#include "common/url.h"

#include <gtest/gtest.h>

namespace pantau {
namespace {

TEST(ParseHttpUrl, SplitsSchemeHostPortAndPath) {
  std::optional<UrlParts> u = ParseHttpUrl("HTTPS://PN-Contoh.go.id:8443/berita?id=1#top");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "pn-contoh.go.id");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path_and_query, "/berita?id=1");
  EXPECT_EQ(UrlOrigin(*u), "https://pn-contoh.go.id:8443");
}

TEST(ParseHttpUrl, DefaultsPortsAndPath) {
  std::optional<UrlParts> u = ParseHttpUrl("http://example.go.id?x=1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path_and_query, "/?x=1");
  EXPECT_EQ(UrlOrigin(*u), "http://example.go.id");
  std::optional<UrlParts> v6 = ParseHttpUrl("https://[::1]:9443/");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(UrlOrigin(*v6), "https://[::1]:9443");
}

TEST(ParseHttpUrl, RefusesWhatIsNotAnHttpUrl) {
  EXPECT_FALSE(ParseHttpUrl("ftp://example.go.id/").has_value());
  EXPECT_FALSE(ParseHttpUrl("example.go.id").has_value());
  EXPECT_FALSE(ParseHttpUrl("http:///path").has_value());
  EXPECT_FALSE(ParseHttpUrl("http://host:99999/").has_value());
  EXPECT_FALSE(ParseHttpUrl("http://ho st/").has_value());
  EXPECT_FALSE(ParseHttpUrl("http://[zz::1]/").has_value());
}

TEST(SameSite, TreatsWwwAndSubdomainsAsTheSite) {
  EXPECT_TRUE(SameSite("www.pn-contoh.go.id", "pn-contoh.go.id"));
  EXPECT_TRUE(SameSite("pn-contoh.go.id", "www.pn-contoh.go.id"));
  EXPECT_TRUE(SameSite("sipp.pn-contoh.go.id", "pn-contoh.go.id"));
  EXPECT_FALSE(SameSite("evilpn-contoh.go.id", "pn-contoh.go.id"));
  EXPECT_FALSE(SameSite("slot-gacor.example", "pn-contoh.go.id"));
}

TEST(ValidateResolverAddress, AcceptsAddressesWithOptionalPorts) {
  EXPECT_TRUE(ValidateResolverAddress("1.1.1.1").ok());
  EXPECT_TRUE(ValidateResolverAddress("127.0.0.1:5353").ok());
  EXPECT_TRUE(ValidateResolverAddress("2001:db8::1").ok());
  EXPECT_TRUE(ValidateResolverAddress("[2001:db8::1]:53").ok());
  EXPECT_FALSE(ValidateResolverAddress("dns.google").ok());
  EXPECT_FALSE(ValidateResolverAddress("1.1.1.1:0").ok());
  EXPECT_FALSE(ValidateResolverAddress("[2001:db8::1").ok());
  EXPECT_FALSE(ValidateResolverAddress("").ok());
}

TEST(RedactUrlUserinfo, RemovesCredentials) {
  EXPECT_EQ(RedactUrlUserinfo("https://admin:rahasia@pn.go.id/x@y"), "https://pn.go.id/x@y");
  EXPECT_EQ(RedactUrlUserinfo("https://pn.go.id/a@b"), "https://pn.go.id/a@b");
  EXPECT_EQ(RedactUrlUserinfoInText("from http://a:b@x.go.id/p to https://u@y.example/?m=a@b end"),
            "from http://x.go.id/p to https://y.example/?m=a@b end");
  EXPECT_EQ(RedactUrlUserinfoInText("no urls, mail a@b"), "no urls, mail a@b");
}

}  // namespace
}  // namespace pantau
