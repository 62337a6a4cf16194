// Identifier rules shared by agent and collector (agent ids, site ids, data-file ids).
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

// Ids in the data files staff edit (log rules, integrity signatures): 1..64 bytes of
// [a-z0-9._-].
inline bool IsValidRuleId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace pantau

#endif  // PANTAU_COMMON_IDS_H_
