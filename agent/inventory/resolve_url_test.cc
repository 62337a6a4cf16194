#include "agent/inventory/resolve_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::agent {
namespace {

// RFC 3986 section 5.4.1, with one deliberate difference: an empty path becomes "/".
TEST(ResolveUrl, FollowsTheRfc3986Examples) {
  const char* base = "http://a/b/c/d;p?q";
  EXPECT_EQ(ResolveUrl(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(ResolveUrl(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(ResolveUrl(base, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(ResolveUrl(base, "/g"), "http://a/g");
  EXPECT_EQ(ResolveUrl(base, "//g"), "http://g/");
  EXPECT_EQ(ResolveUrl(base, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(ResolveUrl(base, "g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(ResolveUrl(base, "#s"), "http://a/b/c/d;p?q");
  EXPECT_EQ(ResolveUrl(base, "g#s"), "http://a/b/c/g");
  EXPECT_EQ(ResolveUrl(base, ";x"), "http://a/b/c/;x");
  EXPECT_EQ(ResolveUrl(base, "."), "http://a/b/c/");
  EXPECT_EQ(ResolveUrl(base, "./"), "http://a/b/c/");
  EXPECT_EQ(ResolveUrl(base, ".."), "http://a/b/");
  EXPECT_EQ(ResolveUrl(base, "../"), "http://a/b/");
  EXPECT_EQ(ResolveUrl(base, "../g"), "http://a/b/g");
  EXPECT_EQ(ResolveUrl(base, "../.."), "http://a/");
  EXPECT_EQ(ResolveUrl(base, "../../g"), "http://a/g");
  EXPECT_EQ(ResolveUrl(base, "../../../g"), "http://a/g");
  EXPECT_EQ(ResolveUrl(base, "/./g"), "http://a/g");
  EXPECT_EQ(ResolveUrl(base, "g/../h"), "http://a/b/c/h");
}

TEST(ResolveUrl, HandlesCourtSiteLinks) {
  const char* home = "https://www.pn-jakartapusat.go.id/";
  EXPECT_EQ(ResolveUrl(home, "HTTPS://SIPP.PN-Jakartapusat.go.id/list_jadwal_sidang"),
            "https://sipp.pn-jakartapusat.go.id/list_jadwal_sidang");
  EXPECT_EQ(ResolveUrl(home, "//ecourt.mahkamahagung.go.id"),
            "https://ecourt.mahkamahagung.go.id/");
  EXPECT_EQ(ResolveUrl(home, "index.php/layanan-hukum/posbakum"),
            "https://www.pn-jakartapusat.go.id/index.php/layanan-hukum/posbakum");
  EXPECT_EQ(ResolveUrl("https://pn-x.go.id/berita/index.php", "../jadwal?id=2#top"),
            "https://pn-x.go.id/jadwal?id=2");
  EXPECT_EQ(ResolveUrl("https://pn-x.go.id", "profil"), "https://pn-x.go.id/profil");
  EXPECT_EQ(ResolveUrl(home, "  /kontak\n "), "https://www.pn-jakartapusat.go.id/kontak");
  EXPECT_EQ(ResolveUrl(home, "/ppid\\dip"), "https://www.pn-jakartapusat.go.id/ppid/dip");
  EXPECT_EQ(ResolveUrl(home, "/a/b?next=../c"), "https://www.pn-jakartapusat.go.id/a/b?next=../c");
}

TEST(ResolveUrl, GivesNothingForNonPageLinks) {
  const char* home = "https://pn-x.go.id/";
  EXPECT_EQ(ResolveUrl(home, ""), "");
  EXPECT_EQ(ResolveUrl(home, "   "), "");
  EXPECT_EQ(ResolveUrl(home, "javascript:void(0)"), "");
  EXPECT_EQ(ResolveUrl(home, "JavaScript:alert(1)"), "");
  EXPECT_EQ(ResolveUrl(home, "mailto:info@pn-x.go.id"), "");
  EXPECT_EQ(ResolveUrl(home, "tel:+62211234567"), "");
  EXPECT_EQ(ResolveUrl(home, "data:text/html,hi"), "");
  EXPECT_EQ(ResolveUrl(home, "//"), "");
  EXPECT_EQ(ResolveUrl("not a url", "profil"), "");
  EXPECT_EQ(ResolveUrl("", "/profil"), "");
  EXPECT_EQ(ResolveUrl("", "https://pn-x.go.id/profil"), "https://pn-x.go.id/profil");
}

TEST(UrlPathAndQuery, DropsSchemeHostAndFragment) {
  EXPECT_EQ(UrlPathAndQuery(" HTTPS://Pn-X.go.id:8443/a/b.php?x=1&y=2#frag "), "/a/b.php?x=1&y=2");
  EXPECT_EQ(UrlPathAndQuery("https://pn-x.go.id"), "");
  EXPECT_EQ(UrlPathAndQuery("https://pn-x.go.id/?"), "/?");
  EXPECT_EQ(UrlPathAndQuery("berita?id=1"), "berita?id=1");
  EXPECT_EQ(UrlPathAndQuery("//cdn.x.go.id/p#x"), "/p");
}

}  // namespace
}  // namespace pantau::agent
