#include "common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pantau {
namespace {

// "4 MiB", "64 KiB", "1000 bytes".
std::string Size(size_t bytes) {
  if (bytes > 0 && bytes % (1u << 20) == 0) return absl::StrCat(bytes >> 20, " MiB");
  if (bytes > 0 && bytes % 1024 == 0) return absl::StrCat(bytes / 1024, " KiB");
  return absl::StrCat(bytes, " bytes");
}

}  // namespace

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  // Sized by what the file holds now, not by the limit: the limit may be far larger (a
  // manifest of up to 1 GiB) than the usual file.
  std::string out;
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    out.reserve(std::min(static_cast<size_t>(st.st_size), max_bytes) + 1);
  }
  char buffer[65536];
  while (out.size() <= max_bytes) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  if (out.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", Size(max_bytes)));
  }
  return out;
}

}  // namespace pantau
