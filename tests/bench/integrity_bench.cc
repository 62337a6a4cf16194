// Integrity monitor scan cost: generates a web root of N mixed files (PHP, HTML, JS, CSS,
// images; 1 KB..1 MB, most of them small as on real CMS sites) and measures, in process with
// the shipped signatures and a real SQLite state:
//   1. the first baseline scan (every file hashed with SHA-256, signatures searched in
//      scripts, images and .htaccess),
//   2. a rescan with nothing changed (stat only),
//   3. a rescan after 1% of the files changed (those re-hashed and searched).
// The files are freshly written, so they are in the page cache: the figures are CPU cost, not
// disk speed. Run through tests/bench/run_integrity_benchmarks.sh.
//
//   pantau-integrity-bench [--files N] [--dir DIR] [--keep] [--seed S]
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/config/agent_config.h"
#include "agent/integrity/integrity_store.h"
#include "agent/integrity/signature_set.h"
#include "agent/integrity/site_scanner.h"

namespace {

using pantau::agent::integrity::FullScan;
using pantau::agent::integrity::IntegrityStore;
using pantau::agent::integrity::ScanResult;
using pantau::agent::integrity::SignatureSet;
using pantau::agent::integrity::SiteScanner;

const char* const kPhpLines[] = {
    "\t$args = wp_parse_args( $args, array( 'post_type' => 'berita', 'posts_per_page' => 10 ) );\n",
    "\tif ( ! current_user_can( 'edit_posts' ) ) { return new WP_Error( 'forbidden' ); }\n",
    "\t$data = json_decode( base64_decode( $token ), true );\n",
    "\t$title = preg_replace( '/[^a-z0-9]+/', '-', strtolower( $title ) );\n",
    "\t$response = curl_exec( $handle );\n",
    "\techo '<div class=\"jadwal-sidang\">' . esc_html( $row->nomor_perkara ) . '</div>';\n",
    "\t$rows = $wpdb->get_results( $wpdb->prepare( \"SELECT * FROM {$wpdb->posts} WHERE ID = %d\", $id ) );\n",
    "\tforeach ( $items as $key => $item ) { $out[ $key ] = sanitize_text_field( $item ); }\n",
    "\t// Menampilkan daftar putusan pengadilan terbaru.\n",
    "\treturn apply_filters( 'pn_jadwal_sidang', $html, $args );\n",
};
const char* const kHtmlLines[] = {
    "<div class=\"row\"><a href=\"/berita/2026/11/putusan\">Putusan terbaru</a></div>\n",
    "<p>Pengadilan Negeri melayani pendaftaran perkara secara elektronik (e-Court).</p>\n",
    "<script src=\"/wp-includes/js/jquery/jquery.min.js?ver=3.7.1\"></script>\n",
    "<table class=\"sipp\"><tr><td>Nomor</td><td>Tanggal</td></tr></table>\n",
};
const char* const kJsLines[] = {
    "!function(e){\"use strict\";var t=e.fn.init;e.fn.extend({jadwal:function(n){return this}})}(jQuery);\n",
    "document.querySelectorAll('.menu a').forEach(function(a){a.addEventListener('click',f)});\n",
    "var s=[\"aGVsbG8=\",\"d29ybGQ=\"],o={a:1,b:2,c:[1,2,3]};window.pn=o;\n",
};

std::string TextOfSize(std::mt19937_64& rng, const char* const* lines, size_t count,
                       size_t size, const char* head) {
  std::string out = head;
  while (out.size() < size) out += lines[rng() % count];
  out.resize(size);
  return out;
}

size_t PickSize(std::mt19937_64& rng) {
  // 70% 1-16 KB, 25% 16-128 KB, 5% 128 KB-1 MB (log-uniform within each band).
  const double r = std::uniform_real_distribution<double>(0, 1)(rng);
  double lo, hi;
  if (r < 0.70) {
    lo = 1024, hi = 16 * 1024;
  } else if (r < 0.95) {
    lo = 16 * 1024, hi = 128 * 1024;
  } else {
    lo = 128 * 1024, hi = 1024 * 1024;
  }
  const double x = std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng);
  return static_cast<size_t>(std::exp(x));
}

void Write(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Print(const char* what, const ScanResult& r, double secs, int64_t files) {
  std::printf("%-34s %8.2f s  %10.0f files/s  %8.1f MB/s read  (%lld entries, %lld hashed, "
              "%.1f MB read, %lld findings)\n",
              what, secs, static_cast<double>(files) / secs,
              static_cast<double>(r.bytes_read) / 1e6 / secs,
              static_cast<long long>(r.entries), static_cast<long long>(r.hashed),
              static_cast<double>(r.bytes_read) / 1e6, static_cast<long long>(r.findings));
}

}  // namespace

int main(int argc, char** argv) {
  int64_t files = 50000;
  std::string dir;
  bool keep = false;
  uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--files" && i + 1 < argc) {
      files = std::atoll(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--files N] [--dir DIR] [--keep] [--seed S]\n", argv[0]);
      return 2;
    }
  }
  if (dir.empty()) {
    char pattern[] = "/tmp/pantau-integrity-bench.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
  }
  const std::string root = dir + "/www";
  std::filesystem::remove_all(root);
  std::filesystem::remove(dir + "/integrity.db");
  std::filesystem::remove(dir + "/integrity.db-wal");
  std::filesystem::remove(dir + "/integrity.db-shm");

  // A WordPress-like tree: 20 top dirs x 25 subdirs, about 100 files per leaf directory.
  std::mt19937_64 rng(seed);
  std::vector<std::string> paths;
  int64_t total_bytes = 0;
  const auto gen_start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < files; ++i) {
    const int top = static_cast<int>(i % 20);
    const int sub = static_cast<int>((i / 20) % 25);
    const std::string d = absl::StrCat(root, top < 4 ? "/wp-content/uploads/20" : "/wp-content/plugins/p",
                                       top, "/", sub);
    if (i < 500) std::filesystem::create_directories(d);
    const size_t size = PickSize(rng);
    const int kind = static_cast<int>(rng() % 100);
    std::string path, content;
    if (top < 4 || kind < 25) {  // images (uploads are mostly images)
      path = absl::StrCat(d, "/img", i, kind % 3 == 0 ? ".png" : ".jpg");
      content.resize(size);
      for (size_t k = 0; k < size; k += 8) {
        const uint64_t v = rng();
        std::memcpy(&content[k], &v, std::min<size_t>(8, size - k));
      }
    } else if (kind < 65) {
      path = absl::StrCat(d, "/file", i, ".php");
      content = TextOfSize(rng, kPhpLines, std::size(kPhpLines), size, "<?php\n/**\n * Plugin.\n */\n");
    } else if (kind < 80) {
      path = absl::StrCat(d, "/page", i, ".html");
      content = TextOfSize(rng, kHtmlLines, std::size(kHtmlLines), size, "<!DOCTYPE html>\n");
    } else {
      path = absl::StrCat(d, "/script", i, kind < 92 ? ".js" : ".css");
      content = TextOfSize(rng, kJsLines, std::size(kJsLines), size, "/* min */\n");
    }
    Write(path, content);
    total_bytes += static_cast<int64_t>(content.size());
    paths.push_back(path);
  }
  std::printf("generated %lld files, %.1f MB, in %s (%.1f s)\n", static_cast<long long>(files),
              static_cast<double>(total_bytes) / 1e6, root.c_str(), Seconds(gen_start));

  auto sigs = SignatureSet::Load(PANTAU_SOURCE_DIR "/data/integrity/signatures.yaml");
  if (!sigs.ok()) {
    std::fprintf(stderr, "%s\n", std::string(sigs.status().message()).c_str());
    return 1;
  }
  auto store = IntegrityStore::Open(dir + "/integrity.db");
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  pantau::agent::SiteConfig site;
  site.id = "bench";
  site.web_root = root;
  SiteScanner scanner(site, *sigs, store->get());
  const int64_t now_ms = 1767225600000;

  auto t = std::chrono::steady_clock::now();
  auto first = FullScan(scanner, **store, now_ms);
  const double first_s = Seconds(t);
  if (!first.ok()) {
    std::fprintf(stderr, "%s\n", std::string(first.status().message()).c_str());
    return 1;
  }
  Print("first baseline scan (hash+sigs)", *first, first_s, files);

  t = std::chrono::steady_clock::now();
  auto again = FullScan(scanner, **store, now_ms);
  const double again_s = Seconds(t);
  if (!again.ok()) return 1;
  Print("rescan, nothing changed (stat)", *again, again_s, files);

  // 1% of the files get a line appended (a CMS update touching some files).
  const int64_t changed = std::max<int64_t>(1, files / 100);
  for (int64_t k = 0; k < changed; ++k) {
    const std::string& p = paths[static_cast<size_t>(rng() % paths.size())];
    std::ofstream out(p, std::ios::binary | std::ios::app);
    out << "\n/* updated */\n";
  }
  t = std::chrono::steady_clock::now();
  auto one_pct = FullScan(scanner, **store, now_ms);
  const double one_pct_s = Seconds(t);
  if (!one_pct.ok()) return 1;
  Print("rescan, 1% changed", *one_pct, one_pct_s, files);

  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
