// Reading a whole (small) file into memory with a size bound and errors that name the file.
//
//   PANTAU_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 4 << 20));
#ifndef PANTAU_COMMON_FILE_H_
#define PANTAU_COMMON_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace pantau {

// The file's bytes. NotFound ("cannot read PATH: reason") when it cannot be opened or read;
// InvalidArgument ("PATH is larger than 4 MiB") when it holds more than `max_bytes`.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes);

}  // namespace pantau

#endif  // PANTAU_COMMON_FILE_H_
