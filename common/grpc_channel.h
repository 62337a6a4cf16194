// Client channels to the collector, TLS unless the caller explicitly asks for plaintext.
//
//   PANTAU_ASSIGN_OR_RETURN(auto channel, MakeCollectorChannel({"collector:7443", "/etc/pantau/ca.pem"}));
#ifndef PANTAU_COMMON_GRPC_CHANNEL_H_
#define PANTAU_COMMON_GRPC_CHANNEL_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"

namespace pantau {

struct ChannelOptions {
  // host:port of the collector.
  std::string address;
  // PEM file with the CA that signed the collector's certificate; empty = system roots.
  std::string ca_file;
  // Plaintext, no TLS. Only for tests and loopback demos.
  bool insecure = false;
  // Largest message we accept back, bytes.
  int max_receive_bytes = 16 << 20;
};

// NotFound when ca_file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeCollectorChannel(const ChannelOptions& options);

}  // namespace pantau

#endif  // PANTAU_COMMON_GRPC_CHANNEL_H_
