// Google Benchmark of the per-page work of the content checks: visible-text extraction,
// gambling scan and text fingerprint of a 200 KB court page (the demo site's home page
// repeated). Figures go to docs/BENCHMARKS.md:
//   build/tests/pantau-content-benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "agent/content/defacement.h"
#include "agent/content/gambling_detector.h"
#include "agent/content/html_document.h"

namespace pantau::agent {
namespace {

std::string Page() {
  std::ifstream in(PANTAU_SOURCE_DIR "/agent/content/testdata/pn_contoh_clean.html");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string page = buffer.str();
  if (page.empty()) page = "<p>Pengadilan Negeri Contoh</p>";
  std::string big;
  while (big.size() < 200 * 1024) big += page;
  return big;
}

void BM_ExtractHtml200KB(benchmark::State& state) {
  const std::string page = Page();
  for (auto _ : state) benchmark::DoNotOptimize(ExtractHtml(page));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * page.size()));
}
BENCHMARK(BM_ExtractHtml200KB)->Unit(benchmark::kMillisecond);

void BM_GamblingScan200KB(benchmark::State& state) {
  const HtmlDocument doc = ExtractHtml(Page());
  absl::StatusOr<GamblingDetector> detector =
      GamblingDetector::Load(PANTAU_SOURCE_DIR "/data/content/gambling_terms.yaml");
  if (!detector.ok()) {
    state.SkipWithError("cannot load gambling_terms.yaml");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(detector->Scan(doc, "pn-contoh.go.id"));
}
BENCHMARK(BM_GamblingScan200KB)->Unit(benchmark::kMillisecond);

void BM_Fingerprint200KB(benchmark::State& state) {
  const HtmlDocument doc = ExtractHtml(Page());
  for (auto _ : state) benchmark::DoNotOptimize(MakeFingerprint(doc.visible_text));
}
BENCHMARK(BM_Fingerprint200KB)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pantau::agent

BENCHMARK_MAIN();
