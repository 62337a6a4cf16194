// Minimal leveled logging to stderr (Debian's Abseil 20220623 predates absl/log).
// One line per message, prefixed with UTC time, level and source position:
//
//   PANTAU_LOG(INFO) << "collector listening on " << address;
//   PANTAU_LOG(WARNING) << "push failed: " << status;
//
// Never log secrets (tokens, passwords, connection strings with passwords): see
// RedactConnectionString(). Thread-safe: each message is written with one write(2).
#ifndef PANTAU_COMMON_LOG_H_
#define PANTAU_COMMON_LOG_H_

#include <sstream>
#include <string>

#include "absl/strings/string_view.h"

namespace pantau {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below `level` are dropped. Set once in main(); default kInfo.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// Parses "debug", "info", "warning", "error".
bool ParseLogLevel(absl::string_view text, LogLevel* level);

// Replaces the value of password=... in a libpq connection string (key/value or URL form).
std::string RedactConnectionString(absl::string_view conninfo);

namespace internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};
}  // namespace internal
}  // namespace pantau

#define PANTAU_LOG_LEVEL_DEBUG ::pantau::LogLevel::kDebug
#define PANTAU_LOG_LEVEL_INFO ::pantau::LogLevel::kInfo
#define PANTAU_LOG_LEVEL_WARNING ::pantau::LogLevel::kWarning
#define PANTAU_LOG_LEVEL_ERROR ::pantau::LogLevel::kError

// A one-pass loop rather than if/else, so `if (x) PANTAU_LOG(INFO) << ...; else ...` is safe.
#define PANTAU_LOG(level)                                                                  \
  for (bool pantau_log_on_ = PANTAU_LOG_LEVEL_##level >= ::pantau::MinLogLevel();         \
       pantau_log_on_; pantau_log_on_ = false)                                             \
  ::pantau::internal::LogMessage(PANTAU_LOG_LEVEL_##level, __FILE__, __LINE__).stream()

#endif  // PANTAU_COMMON_LOG_H_
