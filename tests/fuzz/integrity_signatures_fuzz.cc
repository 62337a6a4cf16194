// Fuzz target: arbitrary bytes as an integrity signature file (data/integrity/signatures.yaml
// or one an operator edited). Any input must load or give a clear error naming the source,
// never crash, hang or throw; a loaded set must match file contents without trouble.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/integrity/signature_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto sigs = pantau::agent::integrity::SignatureSet::Parse(text, "fuzz.yaml");
  if (!sigs.ok()) {
    if (sigs.status().message().find("fuzz.yaml") == std::string::npos) __builtin_trap();
    return 0;
  }
  // Search the input itself (arbitrary bytes) under every key the set knows, and a few others.
  std::vector<std::string> keys = {"php", "jpg", ".htaccess", "", "txt"};
  for (const auto& sig : (*sigs)->signatures()) {
    for (const std::string& key : sig.applies_to) keys.push_back(key);
  }
  for (const std::string& key : keys) {
    std::vector<pantau::agent::integrity::SignatureHit> hits;
    (*sigs)->Match(key, {text, "<?php @eval(base64_decode($_POST['x'])); ?>"}, &hits);
    for (const auto& hit : hits) {
      if (hit.index < 0 || static_cast<size_t>(hit.index) >= (*sigs)->signatures().size()) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
