// Fuzz target: arbitrary bytes as a Push request, the way the collector receives them: parse,
// then validate against the limits. Also feeds the strings through the JSON writer that
// pantauctl uses for output.
#include <cstddef>
#include <cstdint>
#include <string>

#include "collector/ingest/validate.h"
#include "common/json_writer.h"
#include "pantau/v1/agent_service.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pantau::v1::PushRequest request;
  if (request.ParseFromArray(data, static_cast<int>(size))) {
    pantau::collector::IngestLimits limits;
    absl::Status status = pantau::collector::ValidatePush(request, limits);
    if (!status.ok() && status.message().empty()) __builtin_trap();
  }
  pantau::JsonWriter w;
  w.BeginObject().Key(std::string(reinterpret_cast<const char*>(data), size)).Null().EndObject();
  if (w.str().empty()) __builtin_trap();
  return 0;
}
