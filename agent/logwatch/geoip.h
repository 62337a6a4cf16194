// Country of a client address from a legacy GeoIP database (Debian's geoip-database:
// /usr/share/GeoIP/GeoIP.dat and GeoIPv6.dat), read into memory once. Optional: without a
// database configured, visitor statistics simply have no countries.
#ifndef PANTAU_AGENT_LOGWATCH_GEOIP_H_
#define PANTAU_AGENT_LOGWATCH_GEOIP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pantau::agent::logwatch {

// Thread-safe after Open.
class GeoIp {
 public:
  // `v4_path` is required; `v6_path` may be empty. NotFound/InvalidArgument names the file.
  static absl::StatusOr<std::unique_ptr<GeoIp>> Open(const std::string& v4_path,
                                                     const std::string& v6_path);
  ~GeoIp();
  // Two-letter ISO code ("ID"), or "" when unknown (private ranges, bad input).
  std::string Country(absl::string_view address) const;

  struct Impl;

 private:
  explicit GeoIp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_GEOIP_H_
