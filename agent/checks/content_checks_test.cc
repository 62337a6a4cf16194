// RunContentChecks (and the availability probe) against a real nginx serving the fixture court
// site of testdata/court_site.h: the clean site has no finding at all, and each test breaks
// one thing the way attackers and neglect break court sites.
#include "agent/checks/content_checks.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/checks/availability.h"
#include "agent/checks/check_state.h"
#include "agent/checks/testdata/court_site.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/nginx_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::FakeClock;
using ::pantau::testing::NginxOptions;
using ::pantau::testing::NginxServer;
using ::pantau::testing::ScopedTempDir;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// Generous: two cores shared with compilers and other tests.
constexpr absl::Duration kRunTimeout = absl::Seconds(120);

std::string SeverityName(v1::Finding::Severity s) {
  return s == v1::Finding::CRITICAL ? "CRITICAL" : s == v1::Finding::WARNING ? "WARNING" : "INFO";
}

// "kind/key/SEVERITY" of each finding of report `check` (readable in failure messages).
std::vector<std::string> Findings(const std::vector<v1::CheckReport>& reports,
                                  absl::string_view check) {
  std::vector<std::string> out;
  for (const v1::CheckReport& r : reports) {
    if (r.check() != check) continue;
    for (const v1::Finding& f : r.findings()) {
      out.push_back(absl::StrCat(f.kind(), "/", f.key(), "/", SeverityName(f.severity())));
    }
  }
  return out;
}

// "check:kind/key/SEVERITY" over all reports, and "check:error: ..." for a report that failed.
std::vector<std::string> AllFindingsAndErrors(const std::vector<v1::CheckReport>& reports) {
  std::vector<std::string> out;
  for (const v1::CheckReport& r : reports) {
    if (!r.error().empty()) out.push_back(absl::StrCat(r.check(), ":error: ", r.error()));
    for (const std::string& f : Findings({r}, r.check())) out.push_back(r.check() + ":" + f);
  }
  return out;
}

const v1::Finding* FindFinding(const std::vector<v1::CheckReport>& reports,
                               absl::string_view check, absl::string_view kind,
                               absl::string_view key) {
  for (const v1::CheckReport& r : reports) {
    if (r.check() != check) continue;
    for (const v1::Finding& f : r.findings()) {
      if (f.kind() == kind && f.key() == key) return &f;
    }
  }
  return nullptr;
}

const v1::CheckReport* FindReport(const std::vector<v1::CheckReport>& reports,
                                  absl::string_view check) {
  for (const v1::CheckReport& r : reports) {
    if (r.check() == check) return &r;
  }
  return nullptr;
}

class ContentChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_OK_AND_ASSIGN(analyzers_, ContentAnalyzers::Load(PANTAU_SOURCE_DIR "/data"));
    ASSERT_OK_AND_ASSIGN(state_, CheckStateStore::Open(dir_.path() + "/checks.db"));
    ASSERT_OK_AND_ASSIGN(engine_, HttpEngine::Create({}));
    engine_->Start();  // as in the agent: the loop on its own thread
  }
  void TearDown() override {
    if (engine_ != nullptr) engine_->Stop();
  }

  // Starts nginx with the clean court site; `extra_server_conf` goes after the fixture's own.
  void StartCourtSite(const std::string& extra_http_conf = "",
                      const std::string& extra_server_conf = "") {
    NginxOptions options;
    options.extra_http_conf = extra_http_conf;
    options.extra_server_conf = testdata::CourtSiteServerConf() + extra_server_conf;
    ASSERT_OK_AND_ASSIGN(nginx_, NginxServer::Start(options));
    ASSERT_OK(testdata::WriteCleanCourtSite(*nginx_, today_));
  }

  SiteConfig Site() const {
    SiteConfig site;
    site.id = "pn-contoh";
    site.url = nginx_->Url("/");
    site.court_type = "PN";
    site.timeout = absl::Seconds(60);
    site.content.timeout = absl::Seconds(60);
    return site;
  }

  // One run, waited for on its callback (which comes on the engine's loop thread).
  std::vector<v1::CheckReport> Run(const SiteConfig& site) {
    struct Outcome {
      absl::Notification done;
      std::vector<v1::CheckReport> reports;
    };
    auto outcome = std::make_shared<Outcome>();  // outlives a timed-out wait
    ContentContext context;
    context.engine = engine_.get();
    context.state = state_.get();
    context.analyzers = analyzers_.get();
    context.clock = &clock_;
    RunContentChecks(context, site, clock_.Now(), [outcome](std::vector<v1::CheckReport> r) {
      outcome->reports = std::move(r);
      outcome->done.Notify();
    });
    EXPECT_TRUE(outcome->done.WaitForNotificationWithTimeout(kRunTimeout)) << "run timed out";
    return outcome->done.HasBeenNotified() ? outcome->reports : std::vector<v1::CheckReport>{};
  }

  // The home page template with `edits` applied before it is expanded.
  std::string EditedHomePage(
      const std::vector<std::pair<absl::string_view, absl::string_view>>& edits) const {
    std::string page = testdata::ReadTemplate("index.html");
    for (const auto& [from, to] : edits) {
      EXPECT_THAT(page, HasSubstr(std::string(from))) << "the fixture changed";
      page = absl::StrReplaceAll(page, {{from, to}});
    }
    return testdata::ExpandTemplate(page, *nginx_, today_);
  }

  ScopedTempDir dir_;
  // Fixed at the real time, so dates written into the fixture are "today" for the checks too.
  FakeClock clock_{absl::Now()};
  const absl::CivilDay today_ = testdata::JakartaDay(clock_.Now());
  std::unique_ptr<ContentAnalyzers> analyzers_;
  std::unique_ptr<CheckStateStore> state_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<NginxServer> nginx_;
};

// --- 1. The clean court site ---------------------------------------------------------------

TEST_F(ContentChecksTest, ACleanCourtSiteHasNoFindingInAnyCheck) {
  StartCourtSite();
  const std::vector<v1::CheckReport> reports = Run(Site());

  std::vector<std::string> checks;
  for (const v1::CheckReport& r : reports) checks.push_back(r.check());
  EXPECT_THAT(checks, UnorderedElementsAre("content", "cloaking", "sitemap", "required_pages",
                                           "freshness"));
  EXPECT_THAT(AllFindingsAndErrors(reports), IsEmpty());
  const v1::CheckReport* fresh = FindReport(reports, "freshness");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->content_age_known());
  EXPECT_EQ(fresh->content_age_source(), "sitemap_lastmod");  // no wp-json, no feed
  EXPECT_LE(fresh->content_age_days(), 2);
  for (const v1::CheckReport& r : reports) {
    EXPECT_EQ(r.site(), "pn-contoh");
    EXPECT_EQ(r.started_unix_ms(), absl::ToUnixMillis(clock_.Now()));
  }
}

TEST_F(ContentChecksTest, EverydayEditsOfTheHomePageAreNoDefacement) {
  StartCourtSite();
  ASSERT_THAT(AllFindingsAndErrors(Run(Site())), IsEmpty());
  // Next run: the counter moved on, a news item was added and the oldest one dropped.
  ASSERT_OK(nginx_->WriteFile(
      "index.html",
      EditedHomePage({{"Pengunjung hari ini: 1.284", "Pengunjung hari ini: 1.530"},
                      {"Total pengunjung: 2.345.871", "Total pengunjung: 2.346.117"},
                      {"Kunjungan Kerja Ketua Pengadilan Tinggi Contoh",
                       "Penandatanganan Pakta Integritas Pegawai Baru"}})));
  EXPECT_THAT(AllFindingsAndErrors(Run(Site())), IsEmpty());
}

// --- 2. Defacement -------------------------------------------------------------------------

TEST_F(ContentChecksTest, ADefacedHomePageIsCriticalAfterACleanBaseline) {
  StartCourtSite();
  ASSERT_THAT(Findings(Run(Site()), "content"), IsEmpty());

  ASSERT_OK(nginx_->WriteFile(
      "index.html",
      "<html><head><title>Hacked by Sh4d0w_Cyb3r</title></head>"
      "<body style=\"background:#000;color:#0f0\"><center>"
      "<h1>Hacked by Sh4d0w Cyb3r Team</h1>"
      "<p>Your security is low, admin! Patch your system.</p>"
      "<p>Greetz: XploitSec - GarudaNyx - all Indonesian defacers</p>"
      "</center></body></html>"));
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(Findings(reports, "content"), ElementsAre("defacement/phrases/CRITICAL"));
  const v1::Finding* f = FindFinding(reports, "content", "defacement", "phrases");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->evidence(), AllOf(HasSubstr("hacked by"), HasSubstr("greetz")));
}

TEST_F(ContentChecksTest, AReplacedHomePageWithoutDefacerPhrasesIsAWarning) {
  StartCourtSite();
  ASSERT_THAT(Findings(Run(Site()), "content"), IsEmpty());

  // The hosting provider's parking page, say: nothing of the court's text is left.
  ASSERT_OK(nginx_->WriteFile(
      "index.html",
      "<html><head><title>Website Sedang Dalam Pemeliharaan</title></head><body>"
      "<h1>Website sedang dalam pemeliharaan</h1>"
      "<p>Layanan hosting untuk domain ini sedang diperbarui oleh penyedia. Silakan kunjungi "
      "kembali beberapa saat lagi. Terima kasih atas kesabaran Anda.</p></body></html>"));
  EXPECT_THAT(Findings(Run(Site()), "content"), ElementsAre("defacement/text_change/WARNING"));
  // The changed page did not become the baseline: the next run still reports it.
  EXPECT_THAT(Findings(Run(Site()), "content"), ElementsAre("defacement/text_change/WARNING"));
}

// --- 3. Gambling spam ------------------------------------------------------------------------

TEST_F(ContentChecksTest, HiddenGamblingLinksInAnOtherwiseCleanPageAreCritical) {
  StartCourtSite();
  ASSERT_OK(nginx_->WriteFile("index.html",
                              testdata::HomePageWithHiddenGamblingLinks(*nginx_, today_)));
  const std::vector<v1::CheckReport> reports = Run(Site());
  // Only the spam: the visible page, its links and every other check are as clean as before.
  EXPECT_THAT(AllFindingsAndErrors(reports), ElementsAre("content:gambling_spam/page/CRITICAL"));
  const v1::Finding* f = FindFinding(reports, "content", "gambling_spam", "page");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->evidence(), HasSubstr("gacor"));
}

TEST_F(ContentChecksTest, ACourtNewsArticleAgainstGamblingIsNotGamblingSpam) {
  StartCourtSite();
  ASSERT_OK(nginx_->WriteFile(
      "index.html",
      EditedHomePage(
          {{"Pelantikan dan Pengambilan Sumpah Panitera Pengganti",
            "Sosialisasi Bahaya Judi Online bagi Aparatur Pengadilan Negeri Contoh"},
           {"Ketua Pengadilan Negeri Contoh melantik dan mengambil sumpah dua orang Panitera\n"
            "       Pengganti di ruang sidang utama, disaksikan para hakim dan pegawai.",
            "Pengadilan Negeri Contoh menggelar sosialisasi bahaya judi online bagi seluruh "
            "aparatur. Ketua Pengadilan mengimbau pegawai menjauhi situs judi, togel dan slot "
            "online, karena perjudian adalah tindak pidana menurut Pasal 303 KUHP. Sepanjang "
            "tahun ini majelis hakim telah memutus 14 perkara judi online, di antaranya "
            "terdakwa bandar togel yang divonis dua tahun penjara."}})));
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(AllFindingsAndErrors(reports), IsEmpty());
}

// --- 4. Cloaking -----------------------------------------------------------------------------

constexpr char kGamblingDoorway[] =
    "<html><head><title>SLOT GACOR HARI INI - Situs Slot Online Gampang Maxwin</title>"
    "<meta name=\"description\" content=\"Daftar slot gacor hari ini, rtp live, bonus new "
    "member 100\"></head><body><h1>Situs Slot Gacor Hari Ini Gampang Maxwin</h1>"
    "<p>Link slot gacor terpercaya, depo pulsa tanpa potongan, bocoran rtp slot, pola gacor "
    "mahjong ways dan gates of olympus. Togel online dan live draw hk sgp.</p>"
    "<a href=\"https://gacor88.example/daftar\">Daftar Slot Gacor</a></body></html>";

TEST_F(ContentChecksTest, APageServedOnlyToGoogleIsCloaking) {
  StartCourtSite(
      "  map $http_user_agent $pantau_cloak {\n"
      "    default 0;\n"
      "    ~*googlebot 1;\n"
      "    ~*Google-InspectionTool 1;\n"
      "  }\n",
      "    if ($pantau_cloak) { rewrite ^/$ /spam.html last; }\n");
  ASSERT_OK(nginx_->WriteFile("spam.html", kGamblingDoorway));
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(Findings(reports, "cloaking"),
              UnorderedElementsAre("cloaking/Googlebot/CRITICAL",
                                   "cloaking/Google-InspectionTool/CRITICAL"));
  const v1::Finding* f = FindFinding(reports, "cloaking", "cloaking", "Googlebot");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->detail(), HasSubstr("gambling"));
  // A plain visitor sees the court: nothing else is wrong.
  EXPECT_THAT(Findings(reports, "content"), IsEmpty());
}

TEST_F(ContentChecksTest, AVisitorFromGoogleRedirectedToAnUnreachableGamblingSiteIsCloaking) {
  // slot-gacor.example does not resolve (as gambling domains blocked by Indonesian
  // resolvers do not): the redirect itself is the evidence.
  StartCourtSite("", "    if ($http_referer ~* google) { return 302 https://slot-gacor.example/; }\n");
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(Findings(reports, "cloaking"),
              ElementsAre("cloaking/a visitor from Google search/CRITICAL"));
  const v1::Finding* f =
      FindFinding(reports, "cloaking", "cloaking", "a visitor from Google search");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->detail(), HasSubstr("slot-gacor.example"));
  EXPECT_THAT(f->evidence(), HasSubstr("https://slot-gacor.example/"));
  EXPECT_THAT(Findings(reports, "content"), IsEmpty());
}

TEST_F(ContentChecksTest, AVisitorFromGoogleRedirectedToAnotherSiteIsCloaking) {
  // This target answers (served by the same nginx under a *.localhost name).
  StartCourtSite("",
                 "    if ($http_referer ~* google) {\n"
                 "      return 302 http://slot-gacor.localhost:$server_port/;\n"
                 "    }\n");
  ASSERT_OK(nginx_->WriteFile("_hosts/slot-gacor/index.html", kGamblingDoorway));
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(Findings(reports, "cloaking"),
              ElementsAre("cloaking/a visitor from Google search/CRITICAL"));
  const v1::Finding* f =
      FindFinding(reports, "cloaking", "cloaking", "a visitor from Google search");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->detail(), HasSubstr("redirected to slot-gacor.localhost"));
}

// --- 5. Sitemaps -----------------------------------------------------------------------------

TEST_F(ContentChecksTest, GamblingUrlsInjectedIntoTheSitemapAreCritical) {
  StartCourtSite();
  ASSERT_THAT(Findings(Run(Site()), "sitemap"), IsEmpty());  // baseline: the clean sitemap

  const std::string base = absl::StrCat("http://127.0.0.1:", nginx_->port());
  ASSERT_OK(nginx_->WriteFile(
      "robots.txt", absl::StrCat("User-agent: *\nDisallow: /administrator/\n\nSitemap: ", base,
                                 "/sitemap_index.xml\n")));
  ASSERT_OK(nginx_->WriteFile(
      "sitemap_index.xml",
      absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
                   "<sitemap><loc>", base, "/sitemap-berita.xml</loc></sitemap>\n"
                   "<sitemap><loc>", base, "/sitemap-post-2026.xml</loc></sitemap>\n"
                   "</sitemapindex>\n")));
  ASSERT_OK(nginx_->WriteFile(
      "sitemap-berita.xml",
      absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
                   "<url><loc>", base, "/</loc></url>\n"
                   "<url><loc>", base, "/berita?id=12&amp;order=desc</loc></url>\n"
                   "<url><loc>", base, "/berita/pelantikan-panitera-pengganti/</loc></url>\n"
                   "</urlset>\n")));
  std::string injected =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (int i = 1; i <= 300; ++i) {
    absl::StrAppend(&injected, "<url><loc>", base, "/?id=slot-gacor-maxwin-", i,
                    "</loc><changefreq>daily</changefreq></url>\n");
  }
  absl::StrAppend(&injected, "</urlset>\n");
  ASSERT_OK(nginx_->WriteFile("sitemap-post-2026.xml", injected));

  const std::vector<v1::CheckReport> reports = Run(Site());
  const std::vector<std::string> sitemap = Findings(reports, "sitemap");
  EXPECT_THAT(sitemap, Contains("sitemap_injected/gambling_urls/CRITICAL"));
  EXPECT_THAT(sitemap, Contains("sitemap_growth/growth/WARNING"));  // 4 URLs -> 303
  EXPECT_THAT(sitemap, Contains(absl::StrCat("sitemap_new/", base,
                                             "/sitemap-post-2026.xml/WARNING")));
  const v1::Finding* f = FindFinding(reports, "sitemap", "sitemap_injected", "gambling_urls");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->detail(), HasSubstr("300 sitemap URLs"));
  EXPECT_THAT(f->evidence(), HasSubstr("?id=slot-gacor-maxwin-"));
  EXPECT_THAT(f->evidence(), Not(HasSubstr("berita")));
}

TEST_F(ContentChecksTest, OrdinaryQueryUrlsInASitemapAreNoFinding) {
  StartCourtSite();  // its sitemap lists /berita?id=12&order=desc
  const std::vector<v1::CheckReport> reports = Run(Site());
  ASSERT_NE(FindReport(reports, "sitemap"), nullptr);
  EXPECT_THAT(Findings(reports, "sitemap"), IsEmpty());
  EXPECT_THAT(FindReport(reports, "sitemap")->error(), IsEmpty());
}

// --- 6. Required pages -----------------------------------------------------------------------

TEST_F(ContentChecksTest, MissingAndBrokenRequiredPagesAreReportedByItem) {
  StartCourtSite();
  ASSERT_OK(nginx_->WriteFile(
      "index.html",
      EditedHomePage({{"<li><a href=\"/ppid/\">PPID</a></li>", ""},
                      {"<li><a href=\"https://siwas.mahkamahagung.go.id/\">Pengaduan "
                       "(SIWAS)</a></li>",
                       ""},
                      {"/layanan/maklumat-pelayanan/", "/layanan/maklumat-pelayanan-2019/"}})));
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(Findings(reports, "required_pages"),
              UnorderedElementsAre("required_page_missing/ppid/WARNING",
                                   "required_page_missing/pengaduan/WARNING",
                                   "required_page_broken/maklumat_pelayanan/WARNING"));
  const v1::Finding* broken =
      FindFinding(reports, "required_pages", "required_page_broken", "maklumat_pelayanan");
  ASSERT_NE(broken, nullptr);
  EXPECT_THAT(broken->detail(), HasSubstr("HTTP status 404"));
  EXPECT_THAT(broken->evidence(), HasSubstr("/layanan/maklumat-pelayanan-2019/"));
}

TEST_F(ContentChecksTest, AHearingScheduleWithOnlyPastHearingsIsStale) {
  StartCourtSite();
  ASSERT_OK(nginx_->WriteFile("_hosts/sipp/list_jadwal_sidang",
                              testdata::JadwalSidangPage(today_, {-14, -7, -1})));
  const std::vector<v1::CheckReport> reports = Run(Site());
  EXPECT_THAT(Findings(reports, "required_pages"),
              ElementsAre("required_page_stale/jadwal_sidang/WARNING"));
  const v1::Finding* f =
      FindFinding(reports, "required_pages", "required_page_stale", "jadwal_sidang");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(f->evidence(), HasSubstr("list_jadwal_sidang"));
}

// --- 7. Freshness ----------------------------------------------------------------------------

TEST_F(ContentChecksTest, AnOldWordPressPostIsStaleContentFromWpJson) {
  StartCourtSite();
  const absl::Time posted = clock_.Now() - absl::Hours(24 * 100);
  const std::string date = absl::FormatTime("%Y-%m-%dT%H:%M:%S", posted, absl::UTCTimeZone());
  ASSERT_OK(nginx_->WriteFile(
      "wp-json/wp/v2/posts",
      absl::StrCat("[{\"date_gmt\":\"", date, "\",\"modified_gmt\":\"", date, "\"}]")));
  SiteConfig site = Site();
  site.content.max_content_age_days = 30;
  const std::vector<v1::CheckReport> reports = Run(site);
  const v1::CheckReport* fresh = FindReport(reports, "freshness");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->content_age_known());
  EXPECT_EQ(fresh->content_age_source(), "wp_json");
  EXPECT_EQ(fresh->content_age_days(), 100);
  EXPECT_THAT(Findings(reports, "freshness"), ElementsAre("content_stale/age/WARNING"));
}

TEST_F(ContentChecksTest, WithoutWpJsonTheFeedTellsTheContentAge) {
  StartCourtSite();  // /wp-json/... answers 404
  const absl::Time published = clock_.Now() - absl::Hours(24 * 45);
  const std::string date =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", published, absl::UTCTimeZone());
  ASSERT_OK(nginx_->WriteFile(
      "feed/index.html",
      absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
                   "<title>Pengadilan Negeri Contoh</title><lastBuildDate>", date,
                   "</lastBuildDate><item><title>Rapat Evaluasi Kinerja</title><pubDate>", date,
                   "</pubDate></item></channel></rss>\n")));
  SiteConfig site = Site();
  site.content.max_content_age_days = 30;
  const std::vector<v1::CheckReport> reports = Run(site);
  const v1::CheckReport* fresh = FindReport(reports, "freshness");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->content_age_known());
  EXPECT_EQ(fresh->content_age_source(), "feed");
  EXPECT_EQ(fresh->content_age_days(), 45);
  EXPECT_THAT(Findings(reports, "freshness"), ElementsAre("content_stale/age/WARNING"));
}

// --- 8. Availability through the engine --------------------------------------------------

class AvailabilityProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NginxOptions options;
    options.extra_server_conf =
        "    location = /rusak { return 500; }\n"
        "    location = /putar { return 302 /putar; }\n";
    ASSERT_OK_AND_ASSIGN(nginx_, NginxServer::Start(options));
    ASSERT_OK(nginx_->WriteFile("index.html", "<h1>Pengadilan Negeri Contoh</h1>"));
    ASSERT_OK_AND_ASSIGN(engine_, HttpEngine::Create({}));
  }

  // One availability probe of `path`, run on this thread (RunUntilIdle).
  v1::ProbeResult Probe(absl::string_view path, int64_t max_body_bytes = 5 << 20) {
    SiteConfig site;
    site.id = "pn-contoh";
    site.url = nginx_->Url(path);
    site.timeout = absl::Seconds(60);
    v1::ProbeResult result;
    bool called = false;
    const absl::Time started = clock_.Now();
    engine_->Submit(AvailabilityRequest(site, max_body_bytes), [&](FetchResult fetch) {
      result = AvailabilityResult(site, fetch, started, clock_.Now());
      called = true;
    });
    engine_->RunUntilIdle();
    EXPECT_TRUE(called);
    return result;
  }

  FakeClock clock_{absl::Now()};
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<HttpEngine> engine_;
};

TEST_F(AvailabilityProbeTest, AServerErrorIsDown) {
  EXPECT_TRUE(Probe("/").up());
  const v1::ProbeResult r = Probe("/rusak");
  EXPECT_FALSE(r.up());
  EXPECT_EQ(r.http_status(), 500);
  EXPECT_EQ(r.error(), "unexpected HTTP status 500");
}

TEST_F(AvailabilityProbeTest, ARedirectLoopIsDownAndEndsAtTheRedirectLimit) {
  const absl::Time before = absl::Now();
  const v1::ProbeResult r = Probe("/putar");
  EXPECT_LT(absl::Now() - before, absl::Seconds(30));
  EXPECT_FALSE(r.up());
  EXPECT_THAT(r.error(), HasSubstr("redirect"));
  EXPECT_EQ(r.redirect_count(), SiteConfig().max_redirects);
  EXPECT_THAT(r.findings(), IsEmpty());  // the loop stays on the site
}

TEST_F(AvailabilityProbeTest, AHugeBodyIsReadOnlyUpToTheBound) {
  ASSERT_OK(nginx_->WriteFile("unduhan/berkas.bin", ""));
  std::error_code ec;
  std::filesystem::resize_file(nginx_->root_dir() + "/unduhan/berkas.bin", int64_t{1} << 30, ec);
  ASSERT_FALSE(ec) << ec.message();  // sparse: 1 GiB that takes no disk
  const absl::Time before = absl::Now();
  const v1::ProbeResult r = Probe("/unduhan/berkas.bin", 1 << 20);
  EXPECT_LT(absl::Now() - before, absl::Seconds(30));
  EXPECT_TRUE(r.up()) << r.error();
  EXPECT_EQ(r.http_status(), 200);
  EXPECT_EQ(r.body_bytes(), 1 << 20);
}

}  // namespace
}  // namespace pantau::agent
