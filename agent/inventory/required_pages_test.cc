#include "agent/inventory/required_pages.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "agent/content/html_document.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::agent {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kChecklistPath =
    std::string(PANTAU_SOURCE_DIR) + "/data/content/required_pages.yaml";

RequiredPagesChecklist LoadShipped() {
  absl::StatusOr<RequiredPagesChecklist> c = RequiredPagesChecklist::Load(kChecklistPath);
  EXPECT_THAT(c, IsOk());
  if (!c.ok()) std::abort();
  return *std::move(c);
}

std::vector<std::string> Ids(const std::vector<const RequiredPageItem*>& items) {
  std::vector<std::string> ids;
  for (const RequiredPageItem* i : items) ids.push_back(i->id);
  return ids;
}

TEST(RequiredPagesChecklist, TheShippedChecklistLoads) {
  const RequiredPagesChecklist c = LoadShipped();
  EXPECT_GE(c.size(), 25u);
  const std::vector<std::string> pn = Ids(c.Select("PN"));
  EXPECT_THAT(pn, Contains("jadwal_sidang"));
  EXPECT_THAT(pn, Contains("gugatan_sederhana"));
  EXPECT_THAT(pn, Contains("ecourt"));
  EXPECT_THAT(pn, Contains("pengaduan"));
  const std::vector<std::string> pa = Ids(c.Select("pa"));  // case-insensitive
  EXPECT_THAT(pa, Contains("sidang_keliling"));
  EXPECT_THAT(pa, Not(Contains("gugatan_sederhana")));
  EXPECT_THAT(Ids(c.Select("PT")), Not(Contains("jadwal_sidang")));
  EXPECT_THAT(c.Select("XX"), IsEmpty());
  const RequiredPageItem* jadwal = c.Find("jadwal_sidang");
  ASSERT_NE(jadwal, nullptr);
  EXPECT_TRUE(jadwal->must_show_future_dates);
  EXPECT_EQ(c.Find("nope"), nullptr);
  EXPECT_THAT(RequiredPagesChecklist::Load("/nonexistent/required_pages.yaml"),
              StatusIs(absl::StatusCode::kNotFound));
}

constexpr char kValidRow[] =
    "version: 1\n"
    "items:\n"
    "  - id: jadwal_sidang\n"
    "    item: Jadwal Sidang\n"
    "    legal_basis: SK KMA 2-144/KMA/SK/VIII/2022\n"
    "    court_types: [PN, pa]\n"
    "    max_age_days: 7\n"
    "    match:\n"
    "      link_text: 'jadwal sidang'\n"
    "      href: ['^https?://sipp\\.']\n";

TEST(RequiredPagesChecklist, ReadsARow) {
  absl::StatusOr<RequiredPagesChecklist> c = RequiredPagesChecklist::FromYaml(kValidRow, "t.yaml");
  ASSERT_THAT(c, IsOk());
  const RequiredPageItem* item = c->Find("jadwal_sidang");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->court_types, (std::vector<std::string>{"PN", "PA"}));
  EXPECT_EQ(item->link_text, std::vector<std::string>{"jadwal sidang"});
  EXPECT_EQ(item->max_age_days, 7);
  EXPECT_FALSE(item->must_show_future_dates);
}

TEST(RequiredPagesChecklist, NamesFileLineAndKeyOfABadRow) {
  auto load = [](const std::string& text) {
    return RequiredPagesChecklist::FromYaml(text, "t.yaml");
  };
  const std::string head =
      "version: 1\nitems:\n  - id: a\n    item: A\n    legal_basis: X\n    court_types: [PN]\n";
  EXPECT_THAT(
      load(head + "    match: {link_text: 'a'}\n    colour: red\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("t.yaml:8"), HasSubstr("colour"), HasSubstr("unknown key"))));
  EXPECT_THAT(load(head + "    match:\n      link_text: ['(unclosed']\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("t.yaml:8"), HasSubstr("link_text"),
                             HasSubstr("regular expression"))));
  EXPECT_THAT(load(head + "    match:\n      link_txt: 'a'\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("link_txt")));
  EXPECT_THAT(load(head + "    match: {}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least one")));
  EXPECT_THAT(load(head), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("match")));
  EXPECT_THAT(
      load("version: 1\nitems:\n  - id: a\n    item: A\n    legal_basis: X\n"
           "    court_types: [PN, XYZ]\n    match: {link_text: a}\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("t.yaml:6"), HasSubstr("XYZ"))));
  EXPECT_THAT(load(head + "    match: {link_text: a}\n" +
                   "  - id: a\n    item: B\n    legal_basis: X\n    court_types: [PN]\n"
                   "    match: {link_text: b}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("t.yaml:8"), HasSubstr("used twice"))));
  EXPECT_THAT(load(head + "    max_age_days: -3\n    match: {link_text: a}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_age_days")));
  EXPECT_THAT(load("version: 1\nitems:\n  - id: Bad-Id\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_THAT(load("version: 1\nitems: []\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(load("items: [1, 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml")));
  EXPECT_THAT(load("version: 2\nitems: []\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version")));
}

HtmlLink Link(std::string href, std::string text, bool hidden = false) {
  HtmlLink l;
  l.href = std::move(href);
  l.text = std::move(text);
  l.hidden = hidden;
  return l;
}

// The menu of a typical Pengadilan Negeri home page (Joomla template used by many PNs).
std::vector<HtmlLink> PnHomeLinks() {
  return {
      Link("/", "Beranda"),
      Link("#", "Tentang Pengadilan"),
      Link("index.php/tentang-pengadilan/profil-pengadilan/sejarah", "Sejarah Pengadilan"),
      Link("index.php/tentang-pengadilan/visi-dan-misi", "Visi dan Misi"),
      Link("index.php/tentang-pengadilan/struktur-organisasi", "Struktur Organisasi"),
      Link("/index.php/hubungi-kami", "Hubungi Kami"),
      Link("index.php/layanan-publik/maklumat-pelayanan", "MAKLUMAT  PELAYANAN"),
      Link("index.php/layanan-publik/standar-pelayanan", "Standar Pelayanan"),
      Link("index.php/layanan-publik/ptsp", "Pelayanan Terpadu Satu Pintu"),
      Link("index.php/layanan-hukum/prosedur-berperkara", "Prosedur Berperkara"),
      Link("index.php/layanan-hukum/panjar-biaya-perkara", "Panjar Biaya Perkara"),
      Link("index.php/layanan-hukum/hak-hak-pencari-keadilan", "Hak-Hak Pencari Keadilan"),
      Link("https://sipp.pn-contoh.go.id/", "SIPP"),
      Link("https://sipp.pn-contoh.go.id//list_jadwal_sidang", "Jadwal\xC2\xA0Sidang"),
      Link("https://ecourt.mahkamahagung.go.id/", "e-Court"),
      Link("https://eberpadu.mahkamahagung.go.id", "e-Berpadu", /*hidden=*/true),
      Link("https://putusan3.mahkamahagung.go.id/pengadilan/profil/pengadilan/pn-contoh.html",
           "Direktori Putusan"),
      Link("index.php/transparansi/anggaran/dipa", "DIPA"),
      Link("index.php/transparansi/laporan-keuangan", "Laporan Keuangan"),
      Link("index.php/transparansi/sakip/lkjip", "LKjIP"),
      Link("index.php/transparansi/lhkpn", "LHKPN"),
      Link("https://ppid.pn-contoh.go.id", "PPID"),
      Link("https://siwas.mahkamahagung.go.id/", "Whistle Blowing System"),
      Link("index.php/zona-integritas", "Zona Integritas"),
      Link("https://jdih.mahkamahagung.go.id/", "JDIH"),
      Link("index.php/layanan-hukum/posbakum", "Posbakum"),
      Link("index.php/layanan-hukum/gugatan-sederhana", "Gugatan Sederhana"),
      Link("index.php/layanan-hukum/mediasi", "Mediasi"),
      Link("index.php/survei", "Survey Kepuasan Masyarakat"),
      Link("index.php/berita/berita-terkini", "Berita Terkini"),
      Link("javascript:void(0)", "Laporan Tahunan"),
      Link("mailto:info@pn-contoh.go.id", "Kontak Email"),
  };
}

TEST(MatchRequiredPages, FindsAndMissesPagesOnAPnHomePage) {
  const RequiredPagesChecklist c = LoadShipped();
  const RequiredPagesResult r =
      MatchRequiredPages(c, "PN", PnHomeLinks(), "https://www.pn-contoh.go.id/index.php");
  std::map<std::string, RequiredPageMatch> by_id;
  for (const RequiredPageMatch& m : r.items) by_id[m.id] = m;
  EXPECT_EQ(r.items.size(), c.Select("PN").size());
  EXPECT_EQ(r.found + r.missing, static_cast<int>(r.items.size()));

  EXPECT_TRUE(by_id["profil"].found);
  EXPECT_EQ(by_id["profil"].url,
            "https://www.pn-contoh.go.id/index.php/tentang-pengadilan/profil-pengadilan/sejarah");
  EXPECT_TRUE(by_id["kontak"].found);
  EXPECT_EQ(by_id["kontak"].url, "https://www.pn-contoh.go.id/index.php/hubungi-kami");
  EXPECT_TRUE(by_id["maklumat_pelayanan"].found);
  EXPECT_EQ(by_id["maklumat_pelayanan"].matched_by, "link_text");
  EXPECT_TRUE(by_id["biaya_perkara"].found);

  // The SIPP home and its hearing list are told apart by href.
  EXPECT_EQ(by_id["sipp"].url, "https://sipp.pn-contoh.go.id/");
  EXPECT_EQ(by_id["sipp"].matched_by, "href");
  EXPECT_EQ(by_id["jadwal_sidang"].url, "https://sipp.pn-contoh.go.id//list_jadwal_sidang");
  EXPECT_EQ(by_id["jadwal_sidang"].matched_by, "href");
  EXPECT_EQ(by_id["jadwal_sidang"].link_text, "Jadwal\xC2\xA0Sidang");

  EXPECT_EQ(by_id["ecourt"].url, "https://ecourt.mahkamahagung.go.id/");
  EXPECT_EQ(by_id["direktori_putusan"].matched_by, "href");
  EXPECT_EQ(by_id["pengaduan"].url, "https://siwas.mahkamahagung.go.id/");
  EXPECT_EQ(by_id["jdih"].url, "https://jdih.mahkamahagung.go.id/");
  EXPECT_TRUE(by_id["sakip"].found);
  EXPECT_TRUE(by_id["lhkpn"].found);
  EXPECT_TRUE(by_id["ppid"].found);
  EXPECT_TRUE(by_id["zona_integritas"].found);
  EXPECT_TRUE(by_id["posbakum"].found);
  EXPECT_TRUE(by_id["gugatan_sederhana"].found);
  EXPECT_TRUE(by_id["mediasi"].found);
  EXPECT_TRUE(by_id["survei_kepuasan"].found);
  EXPECT_TRUE(by_id["berita"].found);

  // Missing: a hidden link, a javascript: link and absent pages do not count.
  EXPECT_FALSE(by_id["e_berpadu"].found);
  EXPECT_FALSE(by_id["laporan_tahunan"].found);
  EXPECT_FALSE(by_id["prodeo"].found);
  EXPECT_FALSE(by_id["statistik_perkara"].found);
  EXPECT_TRUE(by_id["prodeo"].url.empty());
  EXPECT_EQ(r.missing, 4);
}

TEST(MatchRequiredPages, AnEmptyHomePageMissesEverything) {
  const RequiredPagesChecklist c = LoadShipped();
  const RequiredPagesResult r = MatchRequiredPages(c, "PA", {}, "https://pa-contoh.go.id/");
  EXPECT_EQ(r.found, 0);
  EXPECT_EQ(r.missing, static_cast<int>(c.Select("PA").size()));
  EXPECT_THAT(MatchRequiredPages(c, "unknown", PnHomeLinks(), "https://x.go.id/").items, IsEmpty());
}

TEST(MatchRequiredPages, PrefersHrefOverTextOverPath) {
  absl::StatusOr<RequiredPagesChecklist> c = RequiredPagesChecklist::FromYaml(kValidRow, "t.yaml");
  ASSERT_THAT(c, IsOk());
  const std::vector<HtmlLink> links = {
      Link("/jadwal-lama", "Jadwal Sidang (arsip)"),
      Link("https://sipp.pn-x.go.id/list_jadwal_sidang", "Klik di sini"),
  };
  const RequiredPagesResult r = MatchRequiredPages(*c, "PN", links, "https://pn-x.go.id/");
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].url, "https://sipp.pn-x.go.id/list_jadwal_sidang");
  EXPECT_EQ(r.items[0].matched_by, "href");
}

// --- JudgePage ---

RequiredPageItem JadwalSidang() {
  RequiredPageItem item;
  item.id = "jadwal_sidang";
  item.must_show_future_dates = true;
  return item;
}

RequiredPageItem Anggaran() {
  RequiredPageItem item;
  item.id = "anggaran";
  item.max_age_days = 400;
  return item;
}

TEST(JudgePage, BrokenPages) {
  const absl::CivilDay today(2026, 11, 25);
  EXPECT_EQ(JudgePage(Anggaran(), 0, "", std::nullopt, today).verdict, PageVerdict::kBroken);
  const RequiredPageVerdict not_found =
      JudgePage(Anggaran(), 404, "Not Found", std::nullopt, today);
  EXPECT_EQ(not_found.verdict, PageVerdict::kBroken);
  EXPECT_THAT(not_found.reason, HasSubstr("404"));
  EXPECT_EQ(JudgePage(Anggaran(), 503, "x", std::nullopt, today).verdict, PageVerdict::kBroken);
  EXPECT_EQ(JudgePage(Anggaran(), 200, "  \n ", std::nullopt, today).verdict, PageVerdict::kBroken);
  const RequiredPageVerdict soft = JudgePage(
      Anggaran(), 200, "Beranda Maaf, Halaman Tidak Ditemukan. Kembali", std::nullopt, today);
  EXPECT_EQ(soft.verdict, PageVerdict::kBroken);
  EXPECT_EQ(PageVerdictName(soft.verdict), "broken");
}

TEST(JudgePage, HearingScheduleNeedsAnUpcomingDate) {
  const absl::CivilDay today(2026, 11, 25);
  const char* upcoming =
      "Jadwal Sidang No Perkara Tanggal Sidang Agenda 1 123/Pid.B/2026/PN Cth Rabu, 25 Nov. 2026 "
      "Pembacaan Tuntutan 2 45/Pdt.G/2026/PN Cth 26-11-2026 Mediasi";
  EXPECT_EQ(JudgePage(JadwalSidang(), 200, upcoming, std::nullopt, today).verdict,
            PageVerdict::kOk);
  const RequiredPageVerdict old = JudgePage(
      JadwalSidang(), 200, "Jadwal Sidang 1 12/Pid.B/2026/PN Cth Senin, 12 Oktober 2026 Putusan",
      std::nullopt, today);
  EXPECT_EQ(old.verdict, PageVerdict::kStale);
  EXPECT_THAT(old.reason, HasSubstr("2026-11-25"));
  EXPECT_EQ(JudgePage(JadwalSidang(), 200, "Data tidak ditemukan", std::nullopt, today).verdict,
            PageVerdict::kStale);
}

TEST(JudgePage, MaxAgeMakesOldPagesStale) {
  const absl::CivilDay today(2026, 11, 25);
  const RequiredPageVerdict fresh = JudgePage(
      Anggaran(), 200, "DIPA Tahun Anggaran 2026 diunggah 3 Januari 2026", std::nullopt, today);
  EXPECT_EQ(fresh.verdict, PageVerdict::kOk);
  EXPECT_EQ(fresh.newest_date, absl::CivilDay(2026, 1, 3));
  const RequiredPageVerdict stale = JudgePage(
      Anggaran(), 200, "DIPA Tahun Anggaran 2024 diunggah 2 Januari 2024", std::nullopt, today);
  EXPECT_EQ(stale.verdict, PageVerdict::kStale);
  EXPECT_THAT(stale.reason, AllOf(HasSubstr("2024-01-02"), HasSubstr("400")));
  // A newer date known from elsewhere (Last-Modified) wins over the text.
  EXPECT_EQ(JudgePage(Anggaran(), 200, "diunggah 2 Januari 2024", absl::CivilDay(2026, 6, 1), today)
                .verdict,
            PageVerdict::kOk);
  // No date at all: age unknown, not stale.
  const RequiredPageVerdict unknown = JudgePage(Anggaran(), 200, "DIPA (PDF)", std::nullopt, today);
  EXPECT_EQ(unknown.verdict, PageVerdict::kOk);
  EXPECT_FALSE(unknown.newest_date.has_value());
}

}  // namespace
}  // namespace pantau::agent
