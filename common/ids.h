// Identifier rules shared by agent and collector (agent ids, site ids).
#ifndef PANTAU_COMMON_IDS_H_
#define PANTAU_COMMON_IDS_H_

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace pantau {

inline constexpr size_t kMaxIdBytes = 128;

// 1..128 bytes of [A-Za-z0-9._-].
inline bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace pantau

#endif  // PANTAU_COMMON_IDS_H_
