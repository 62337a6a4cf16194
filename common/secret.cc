#include "common/secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace pantau {
namespace {

// A secret is one line; anything bigger is a wrong path (a CA bundle, a log file).
constexpr size_t kMaxSecretFileBytes = 64 << 10;

absl::Status OpenError(absl::string_view what, const std::string& file, int error) {
  const std::string message =
      absl::StrCat(what, ": cannot read secret file ", file, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& file, absl::string_view what) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return OpenError(what, file, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return OpenError(what, file, error);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": secret file ", file, " is not a regular file"));
  }
  if (static_cast<size_t>(st.st_size) > kMaxSecretFileBytes) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(what, ": secret file ", file, " is larger than ",
                                                   kMaxSecretFileBytes, " bytes"));
  }
  if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    PANTAU_LOG(WARNING) << what << ": secret file " << file
                        << " is readable by group or others; chmod 600 it";
  }
  std::string content;
  char buffer[4096];
  while (content.size() <= kMaxSecretFileBytes) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return OpenError(what, file, error);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (const size_t newline = content.find('\n'); newline != std::string::npos) {
    content.resize(newline);
  }
  while (!content.empty() &&
         (content.back() == ' ' || content.back() == '\t' || content.back() == '\r' ||
          content.back() == '\v' || content.back() == '\f')) {
    content.pop_back();
  }
  if (content.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": secret file ", file, " is empty (the secret is its first line)"));
  }
  return content;
}

}  // namespace

absl::StatusOr<std::string> ReadSecret(const std::string& file, const std::string& env,
                                       absl::string_view what) {
  if (file.empty() == env.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": give exactly one of a secret file and an environment variable"));
  }
  if (!file.empty()) return ReadSecretFile(file, what);
  const char* value = std::getenv(env.c_str());
  if (value == nullptr || *value == '\0') {
    return absl::NotFoundError(
        absl::StrCat(what, ": environment variable ", env, " is not set or empty"));
  }
  return std::string(value);
}

}  // namespace pantau
