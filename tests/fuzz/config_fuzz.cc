// Fuzz target: arbitrary bytes as agent and collector YAML configs. Any input must give a
// config or a clear error, never a crash, hang or exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/config/agent_config.h"
#include "collector/config/collector_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto agent = pantau::agent::ParseAgentConfig(text, "fuzz.yaml");
  if (!agent.ok() && agent.status().message().empty()) __builtin_trap();
  auto collector = pantau::collector::ParseCollectorConfig(text, "fuzz.yaml");
  if (!collector.ok() && collector.status().message().empty()) __builtin_trap();
  return 0;
}
