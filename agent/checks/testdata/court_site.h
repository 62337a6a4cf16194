// Pengadilan Negeri Contoh, the court website that the checks' tests serve with a real nginx:
// a home page as Indonesian district-court sites look (menus for Profil, Layanan Publik,
// Layanan Hukum, Informasi Perkara, Transparansi; news with dates written out; a visitor
// counter), every page data/content/required_pages.yaml asks of a PN, robots.txt and a
// sitemap. Clean as written; tests then break one thing at a time.
//
//   ASSERT_OK_AND_ASSIGN(auto nginx, NginxServer::Start({"", "", CourtSiteServerConf()}));
//   ASSERT_OK(WriteCleanCourtSite(*nginx, today));
//   ASSERT_OK(nginx->WriteFile("index.html", absl::StrReplaceAll(CleanHomePage(*nginx, today),
//                                                             {{"<li><a href=\"/ppid/\">PPID</a></li>", ""}})));
//
// The court's links to services on other hosts (SIPP, e-Court, Direktori Putusan, SIWAS,
// JDIH, ...) are real fetches too: the fixture rewrites https://<name>.go.id to
// http://<name>.localhost:<port> (libcurl resolves every *.localhost name to the loopback
// address without asking DNS), and CourtSiteServerConf() makes nginx answer such a host from
// root/_hosts/<first label>/. The checklist still finds them (by link text, or by the
// "sipp." prefix the SIPP patterns look for).
//
// Header-only, for agent/checks tests; the templates live next to it in pn_contoh/.
#ifndef PANTAU_AGENT_CHECKS_TESTDATA_COURT_SITE_H_
#define PANTAU_AGENT_CHECKS_TESTDATA_COURT_SITE_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tests/testing/nginx_server.h"

namespace pantau::agent::testdata {

// The court's services on other hosts, as the home page links them.
inline const std::vector<std::string>& ServiceHosts() {
  static const auto* hosts = new std::vector<std::string>{
      "sipp.pn-contoh",          "ecourt.mahkamahagung", "eberpadu.mahkamahagung",
      "putusan3.mahkamahagung", "siwas.mahkamahagung",  "jdih.mahkamahagung"};
  return *hosts;
}

// extra_server_conf for NginxOptions: "<svc>[.<...>].localhost" is served from /_hosts/<svc>/
// (files without a suffix, like SIPP's list_jadwal_sidang, as HTML).
inline std::string CourtSiteServerConf() {
  return "    if ($host ~ \"^(?<pantau_service>[a-z0-9-]+)\\.([a-z0-9.-]+\\.)?localhost$\") {\n"
         // Not again after the index module's internal redirect to .../index.html.
         "      rewrite ^/(?!_hosts/)(.*)$ /_hosts/$pantau_service/$1 last;\n"
         "    }\n"
         "    location /_hosts/ { default_type text/html; }\n";
}

// "Rabu, 25 November 2026", as court sites write the date of a news item or a hearing.
inline std::string IndonesianDate(absl::CivilDay day) {
  static const char* const kDays[] = {"Senin", "Selasa", "Rabu",  "Kamis",
                                      "Jumat", "Sabtu",  "Minggu"};  // absl::Weekday order
  static const char* const kMonths[] = {"Januari", "Februari", "Maret",     "April",
                                        "Mei",     "Juni",     "Juli",      "Agustus",
                                        "September", "Oktober", "November", "Desember"};
  return absl::StrCat(kDays[static_cast<int>(absl::GetWeekday(day))], ", ", day.day(), " ",
                      kMonths[day.month() - 1], " ", day.year());
}

// "2026-11-25" (sitemap <lastmod>).
inline std::string IsoDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", static_cast<int>(day.year()), day.month(), day.day());
}

// The site's local date (the checks read dates in Asia/Jakarta) at `now`.
inline absl::CivilDay JakartaDay(absl::Time now) {
  absl::TimeZone jakarta;
  if (!absl::LoadTimeZone("Asia/Jakarta", &jakarta)) jakarta = absl::FixedTimeZone(7 * 3600);
  return absl::ToCivilDay(now, jakarta);
}

// Fills a template: {{TANGGAL-N}} / {{TANGGAL+N}} (IndonesianDate of today -/+ N days),
// {{ISO-N}} (IsoDate), {{BASE}} (http://127.0.0.1:PORT); and points the service links at
// their local copies.
inline std::string ExpandTemplate(absl::string_view text, const testing::NginxServer& nginx,
                                  absl::CivilDay today) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    const size_t close = open == absl::string_view::npos ? open : text.find("}}", open);
    if (close == absl::string_view::npos) {
      absl::StrAppend(&out, text.substr(pos));
      break;
    }
    absl::StrAppend(&out, text.substr(pos, open - pos));
    const absl::string_view name = text.substr(open + 2, close - open - 2);
    const size_t sign = name.find_first_of("+-");
    int offset = 0;
    if (name == "BASE") {
      absl::StrAppend(&out, nginx.Url(""));
      out.pop_back();  // Url("") ends in '/'
    } else if (sign != absl::string_view::npos &&
               absl::SimpleAtoi(name.substr(sign + (name[sign] == '+' ? 1 : 0)), &offset)) {
      const absl::string_view kind = name.substr(0, sign);
      const absl::CivilDay day = today + offset;
      absl::StrAppend(&out, kind == "ISO" ? IsoDate(day) : IndonesianDate(day));
    } else {
      absl::StrAppend(&out, text.substr(open, close + 2 - open));  // not ours: kept
    }
    pos = close + 2;
  }
  for (const std::string& host : ServiceHosts()) {
    out = absl::StrReplaceAll(out, {{absl::StrCat("https://", host, ".go.id"),
                                     absl::StrCat("http://", host, ".localhost:", nginx.port())}});
  }
  return out;
}

inline std::string ReadTemplate(absl::string_view name) {
  std::ifstream in(absl::StrCat(PANTAU_SOURCE_DIR, "/agent/checks/testdata/pn_contoh/", name),
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The clean home page, expanded for `nginx` (news dated today, 3 and 8 days ago).
inline std::string CleanHomePage(const testing::NginxServer& nginx, absl::CivilDay today) {
  return ExpandTemplate(ReadTemplate("index.html"), nginx, today);
}

// A small page of the court site.
inline std::string CourtPage(absl::string_view heading, absl::string_view text) {
  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>", heading,
      " - Pengadilan Negeri Contoh</title></head><body><header><a href=\"/\">Pengadilan Negeri "
      "Contoh</a></header><main><h1>",
      heading, "</h1><p>", text, "</p></main><footer>Pengadilan Negeri Contoh</footer></body></html>\n");
}

// SIPP's hearing schedule with hearings on today + each of `day_offsets` (three of them).
inline std::string JadwalSidangPage(absl::CivilDay today, const std::vector<int>& day_offsets) {
  std::string page = ReadTemplate("list_jadwal_sidang.html");
  for (size_t i = 0; i < day_offsets.size(); ++i) {
    page = absl::StrReplaceAll(
        page, {{absl::StrCat("{{JADWAL_", i + 1, "}}"), IndonesianDate(today + day_offsets[i])}});
  }
  return page;
}

// The home page with an injected block of 20 hidden links to gambling sites, as found on
// hacked government sites (inserted just before </main>, so the page otherwise looks clean).
inline std::string HomePageWithHiddenGamblingLinks(const testing::NginxServer& nginx,
                                                   absl::CivilDay today) {
  static const char* const kLinks[][2] = {
      {"https://gacor88.example/", "slot gacor"},
      {"https://maxwin777.example/", "situs slot gacor hari ini"},
      {"https://togel4d.example/", "togel online"},
      {"https://bandartogel.example/", "bandar togel terpercaya"},
      {"https://rtpslot.example/", "rtp live slot gacor"},
      {"https://olympus1000.example/", "gates of olympus"},
      {"https://mahjongways.example/", "mahjong ways 2 scatter hitam"},
      {"https://slot88resmi.example/", "slot88"},
      {"https://depopulsa.example/", "slot deposit pulsa tanpa potongan"},
      {"https://sbobet88.example/", "sbobet88"},
      {"https://toto-macau.example/", "toto macau"},
      {"https://slotthailand.example/", "slot server thailand"},
      {"https://gacorx500.example/", "link gacor maxwin"},
      {"https://slotdana.example/", "slot dana"},
      {"https://keluaranhk.example/", "keluaran hk hari ini"},
      {"https://situsjudi.example/", "situs judi online terpercaya"},
      {"https://pragmatic.example/", "pragmatic play"},
      {"https://bonusmember.example/", "bonus new member 100"},
      {"https://antirungkad.example/", "slot anti rungkad"},
      {"https://livedraw.example/", "live draw sgp"},
  };
  std::string block = "<div style=\"display:none\" class=\"footer-links\">\n";
  for (const auto& link : kLinks) {
    absl::StrAppend(&block, "<a href=\"", link[0], "\">", link[1], "</a>\n");
  }
  absl::StrAppend(&block, "</div>\n</main>");
  return absl::StrReplaceAll(CleanHomePage(nginx, today), {{"</main>", block}});
}

// Writes the whole clean site into nginx's root. Hearings are scheduled today, tomorrow and
// in three days; the sitemap's newest <lastmod> is yesterday.
inline absl::Status WriteCleanCourtSite(const testing::NginxServer& nginx, absl::CivilDay today) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"index.html", CleanHomePage(nginx, today)},
      {"profil/index.html",
       CourtPage("Profil", "Sejarah, visi dan misi, serta struktur organisasi Pengadilan Negeri "
                           "Contoh Kelas IA.")},
      {"kontak/index.html",
       CourtPage("Kontak", "Jl. Jenderal Sudirman No. 17, Kota Contoh. Telepon (0271) 642-733, "
                           "surel info@pn-contoh.go.id.")},
      {"layanan/maklumat-pelayanan/index.html",
       CourtPage("Maklumat Pelayanan",
                 "Dengan ini kami menyatakan sanggup menyelenggarakan pelayanan sesuai standar "
                 "pelayanan yang telah ditetapkan.")},
      {"layanan/standar-pelayanan/index.html",
       CourtPage("Standar Pelayanan", "Standar pelayanan pada Pengadilan Negeri Contoh.")},
      {"layanan/ptsp/index.html",
       CourtPage("Pelayanan Terpadu Satu Pintu", "Meja layanan informasi, pendaftaran perkara "
                                                  "dan pengambilan produk pengadilan.")},
      {"layanan/posbakum/index.html",
       CourtPage("Pos Bantuan Hukum", "Layanan konsultasi hukum tanpa biaya bagi masyarakat.")},
      {"layanan/prodeo/index.html",
       CourtPage("Layanan Prodeo", "Syarat pembebasan biaya perkara bagi masyarakat tidak "
                                   "mampu.")},
      {"layanan/survei-kepuasan/index.html",
       CourtPage("Survei Kepuasan Masyarakat", "Indeks kepuasan masyarakat: sangat baik.")},
      {"hukum/prosedur-berperkara/index.html",
       CourtPage("Prosedur Berperkara", "Alur perkara perdata, pidana dan permohonan.")},
      {"hukum/biaya-perkara/index.html",
       CourtPage("Biaya Perkara", "Panjar biaya perkara gugatan: Rp 1.250.000; radius "
                                  "panggilan menurut wilayah.")},
      {"hukum/hak-pencari-keadilan/index.html",
       CourtPage("Hak-hak Pencari Keadilan", "Hak para pihak, terdakwa dan saksi.")},
      {"hukum/gugatan-sederhana/index.html",
       CourtPage("Gugatan Sederhana", "Penyelesaian gugatan dengan nilai paling banyak Rp "
                                      "500.000.000.")},
      {"hukum/mediasi/index.html",
       CourtPage("Mediasi", "Daftar mediator bersertifikat Pengadilan Negeri Contoh.")},
      {"hukum/statistik-perkara/index.html",
       CourtPage("Statistik Perkara",
                 ExpandTemplate("Keadaan perkara per {{TANGGAL-1}}: 412 perkara diterima, 398 "
                                "diputus.",
                                nginx, today))},
      {"transparansi/anggaran/index.html",
       CourtPage("DIPA dan Realisasi Anggaran", "DIPA dan laporan realisasi anggaran tahun "
                                                "berjalan.")},
      {"transparansi/laporan-keuangan/index.html",
       CourtPage("Laporan Keuangan", "Laporan keuangan semesteran dan tahunan.")},
      {"transparansi/lkjip/index.html",
       CourtPage("LKjIP", "Laporan kinerja instansi pemerintah, rencana strategis dan IKU.")},
      {"transparansi/laporan-tahunan/index.html",
       CourtPage("Laporan Tahunan", "Laporan tahunan Pengadilan Negeri Contoh.")},
      {"transparansi/lhkpn/index.html",
       CourtPage("LHKPN", "Kepatuhan pelaporan harta kekayaan penyelenggara negara.")},
      {"ppid/index.html",
       CourtPage("PPID", "Permohonan informasi publik dan daftar informasi publik.")},
      {"zona-integritas/index.html",
       CourtPage("Zona Integritas", "Pembangunan zona integritas menuju WBK dan WBBM.")},
      {"berita/index.html",
       CourtPage("Berita", ExpandTemplate("{{TANGGAL-0}} Pelantikan Panitera Pengganti. "
                                          "{{TANGGAL-3}} Rapat Evaluasi Kinerja Triwulan.",
                                          nginx, today))},
      {"_hosts/sipp/index.html",
       CourtPage("Sistem Informasi Penelusuran Perkara", "Pencarian perkara Pengadilan Negeri "
                                                         "Contoh.")},
      {"_hosts/sipp/list_jadwal_sidang", JadwalSidangPage(today, {0, 1, 3})},
      {"_hosts/ecourt/index.html",
       CourtPage("e-Court Mahkamah Agung", "Pendaftaran perkara dan persidangan elektronik.")},
      {"_hosts/eberpadu/index.html",
       CourtPage("e-Berpadu", "Layanan perkara pidana terpadu secara elektronik.")},
      {"_hosts/putusan3/index.html",
       CourtPage("Direktori Putusan", "Direktori putusan Mahkamah Agung Republik Indonesia.")},
      {"_hosts/siwas/index.html",
       CourtPage("SIWAS", "Sistem informasi pengawasan Mahkamah Agung.")},
      {"_hosts/jdih/index.html",
       CourtPage("JDIH", "Jaringan dokumentasi dan informasi hukum Mahkamah Agung.")},
      {"robots.txt", ExpandTemplate("User-agent: *\nDisallow: /administrator/\n"
                                    "Sitemap: {{BASE}}/sitemap.xml\n",
                                    nginx, today)},
      {"sitemap.xml",
       ExpandTemplate(
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
           "<url><loc>{{BASE}}/</loc><lastmod>{{ISO-1}}</lastmod></url>\n"
           "<url><loc>{{BASE}}/profil/</loc><lastmod>{{ISO-40}}</lastmod></url>\n"
           "<url><loc>{{BASE}}/berita?id=12&amp;order=desc</loc><lastmod>{{ISO-3}}</lastmod></url>\n"
           "<url><loc>{{BASE}}/berita/pelantikan-panitera-pengganti/</loc></url>\n"
           "</urlset>\n",
           nginx, today)},
  };
  for (const auto& [path, content] : files) {
    if (absl::Status s = nginx.WriteFile(path, content); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace pantau::agent::testdata

#endif  // PANTAU_AGENT_CHECKS_TESTDATA_COURT_SITE_H_
