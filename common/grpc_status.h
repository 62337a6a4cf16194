// The one place where grpc::Status and absl::Status are converted into each other.
#ifndef PANTAU_COMMON_GRPC_STATUS_H_
#define PANTAU_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace pantau {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace pantau

#endif  // PANTAU_COMMON_GRPC_STATUS_H_
