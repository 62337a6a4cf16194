// Fuzz target: arbitrary bytes as a backup manifest (<id>.manifest.tsv on a backup medium,
// which anyone with access to the medium can edit). Any input must parse or give a clear
// error, never a crash or hang; a parsed manifest must have only safe relative paths, survive
// a format/parse round trip unchanged, and give a `sha256sum -c` listing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/backup/manifest.h"

namespace backup = pantau::agent::backup;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto manifest = backup::ParseManifest(text);
  if (!manifest.ok()) {
    if (manifest.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const backup::ManifestEntry& e : manifest->entries) {
    if (!backup::IsSafeArchivePath(e.path)) __builtin_trap();
  }
  const std::string formatted = backup::FormatManifest(*manifest);
  auto again = backup::ParseManifest(formatted);
  if (!again.ok()) __builtin_trap();
  if (backup::FormatManifest(*again) != formatted) __builtin_trap();
  (void)backup::FormatSha256Sums(*again);
  return 0;
}
