#include "common/file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

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
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::string out;
  out.resize(max_bytes + 1);  // one more, to tell an over-long file
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", Size(max_bytes)));
  }
  return out;
}

}  // namespace pantau
