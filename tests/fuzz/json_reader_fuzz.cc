// Fuzz target: arbitrary bytes as a JSON reply (the Telegram Bot API's, a gateway's). Any
// input must give a value or a clear error, never a crash, hang or exception; a parsed value
// must be walkable, and the Telegram update reader must take any valid JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/notify/json_reader.h"
#include "collector/notify/senders.h"

namespace {

// Visits every node, reading each accessor (what the notifiers do with replies).
size_t Walk(const pantau::collector::JsonValue& value) {
  size_t nodes = 1;
  (void)value.int64_value();
  (void)value.number_value();
  (void)value.bool_value();
  (void)value.string_value();
  for (const auto& item : value.array()) nodes += Walk(item);
  for (const auto& [key, member] : value.object()) {
    (void)value.Find(key);
    nodes += Walk(member);
  }
  return nodes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto value = pantau::collector::ParseJson(text);
  if (!value.ok()) {
    if (value.status().message().empty()) __builtin_trap();
  } else {
    if (Walk(*value) == 0) __builtin_trap();
  }
  auto updates = pantau::collector::ParseTelegramUpdates(text);
  if (!updates.ok() && updates.status().message().empty()) __builtin_trap();
  return 0;
}
