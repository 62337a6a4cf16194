// Runs a libFuzzer-style target without libFuzzer (for GCC builds and ctest): every file of the
// seed corpus directories given on the command line, then a fixed number of deterministic
// mutations of them (byte flips, truncations, splices, insertions). Crashes show up under the
// sanitizer build. With clang, build the same targets with -DPANTAU_FUZZ=ON for real fuzzing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {
void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  int iterations = 20000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--iterations=", 0) == 0) {
      iterations = std::atoi(arg.c_str() + 13);
      continue;
    }
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      seeds.push_back(buffer.str());
    }
  }
  if (seeds.empty()) seeds.push_back("");
  for (const std::string& s : seeds) Run(s);
  std::mt19937 rng(12345);
  for (int i = 0; i < iterations; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 5) {
        case 0:
          if (!input.empty()) input[rng() % input.size()] = static_cast<char>(rng());
          break;
        case 1:
          if (!input.empty()) input.resize(rng() % input.size());
          break;
        case 2:
          input.insert(input.empty() ? 0 : rng() % input.size(), 1, static_cast<char>(rng()));
          break;
        case 3: {
          const std::string& other = seeds[rng() % seeds.size()];
          if (!other.empty()) input += other.substr(rng() % other.size());
          break;
        }
        case 4:
          if (!input.empty()) {
            const size_t at = rng() % input.size();
            input.insert(at, input.substr(at, 1 + rng() % 16));
          }
          break;
      }
    }
    Run(input);
  }
  std::printf("fuzz driver: %zu seeds, %d mutated inputs, no crash\n", seeds.size(), iterations);
  return 0;
}
