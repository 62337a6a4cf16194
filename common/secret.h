// Reading secrets (passwords, API tokens) named in a config: from a file or from an
// environment variable, never from the config itself, so configs can be shared and stored
// in version control.
//
//   PANTAU_ASSIGN_OR_RETURN(std::string token,
//                           ReadSecret(config.token_file, config.token_env, "telegram token"));
//
// Errors name the file or the variable, never the secret's content. Call it while building
// components (from main's wiring), not per request: the environment is read once.
#ifndef PANTAU_COMMON_SECRET_H_
#define PANTAU_COMMON_SECRET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pantau {

// Exactly one of `file` and `env` must be non-empty (else InvalidArgument naming `what`).
//  - file: its first line with trailing whitespace (spaces, tabs, CR, LF) cut. NotFound or
//    PermissionDenied naming the path when it cannot be read; InvalidArgument when the line
//    is empty or the file is larger than 64 KiB. A file readable by group or others is read
//    but logged as a warning (it should be mode 0600 or 0400).
//  - env: the variable's value as is; NotFound naming the variable when unset or empty.
// `what` names the secret in errors ("smtp password"). Thread-safe.
absl::StatusOr<std::string> ReadSecret(const std::string& file, const std::string& env,
                                       absl::string_view what);

}  // namespace pantau

#endif  // PANTAU_COMMON_SECRET_H_
