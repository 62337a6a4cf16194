#include "agent/logwatch/geoip.h"

#include <GeoIP.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cstring>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace pantau::agent::logwatch {
namespace {

struct GeoIpDeleter {
  void operator()(::GeoIP* gi) const {
    if (gi != nullptr) GeoIP_delete(gi);
  }
};
using GeoIpHandle = std::unique_ptr<::GeoIP, GeoIpDeleter>;

// Opens one database file and checks that it is a country database of the expected edition.
// The existence check comes first so that a missing file is a clean NotFound (libgeoip would
// otherwise print its own message to stderr and just return NULL).
absl::StatusOr<GeoIpHandle> OpenDatabase(const std::string& path, int edition,
                                         absl::string_view what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("GeoIP ", what, " database not found: ", path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("GeoIP ", what, " database is not a regular file: ", path));
  }
  // GEOIP_MEMORY_CACHE: the whole file is read once; lookups never touch the disk again.
  // GEOIP_SILENCE keeps libgeoip from writing to stderr.
  GeoIpHandle gi(GeoIP_open(path.c_str(), GEOIP_MEMORY_CACHE | GEOIP_SILENCE));
  if (gi == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("GeoIP ", what, " database cannot be read: ", path));
  }
  const int actual = GeoIP_database_edition(gi.get());
  if (actual != edition) {
    return absl::InvalidArgumentError(absl::StrCat("GeoIP ", what, " database ", path,
                                                   " is not a country database (edition ", actual,
                                                   ", want ", edition, ")"));
  }
  return gi;
}

// Accepts what libgeoip returns for a country: two ASCII letters/digits ("ID", "A1").
// "--" and NULL mean unknown.
std::string CleanCode(const char* code) {
  if (code == nullptr || std::strlen(code) != 2) return "";
  for (int i = 0; i < 2; ++i) {
    const char c = code[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return "";
  }
  return std::string(code, 2);
}

}  // namespace

struct GeoIp::Impl {
  // libgeoip documents no thread-safety guarantee for a shared GeoIP*, so lookups are
  // serialised. With GEOIP_MEMORY_CACHE a lookup is a short in-memory tree walk, and
  // VisitorStatsAggregator caches the country per client, so the lock is not contended.
  mutable absl::Mutex mu;
  GeoIpHandle v4 ABSL_GUARDED_BY(mu);
  GeoIpHandle v6 ABSL_GUARDED_BY(mu);  // may be null
};

GeoIp::GeoIp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GeoIp::~GeoIp() = default;

absl::StatusOr<std::unique_ptr<GeoIp>> GeoIp::Open(const std::string& v4_path,
                                                   const std::string& v6_path) {
  if (v4_path.empty()) return absl::InvalidArgumentError("GeoIP IPv4 database path is empty");
  auto impl = std::make_unique<Impl>();
  auto v4 = OpenDatabase(v4_path, GEOIP_COUNTRY_EDITION, "IPv4");
  if (!v4.ok()) return v4.status();
  absl::MutexLock lock(&impl->mu);
  impl->v4 = std::move(v4).value();
  if (!v6_path.empty()) {
    auto v6 = OpenDatabase(v6_path, GEOIP_COUNTRY_EDITION_V6, "IPv6");
    if (!v6.ok()) return v6.status();
    impl->v6 = std::move(v6).value();
  }
  return std::unique_ptr<GeoIp>(new GeoIp(std::move(impl)));
}

std::string GeoIp::Country(absl::string_view address) const {
  // Parse the literal ourselves and look up by number: libgeoip's *_by_addr functions fall
  // back to a DNS lookup for anything that is not a literal, which must never happen for a
  // string taken from a log line.
  if (address.empty() || address.size() > INET6_ADDRSTRLEN) return "";
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, address.data(), address.size());
  buf[address.size()] = '\0';
  GeoIPLookup gl;
  std::memset(&gl, 0, sizeof(gl));
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    absl::MutexLock lock(&impl_->mu);
    return CleanCode(GeoIP_country_code_by_ipnum_gl(impl_->v4.get(), ntohl(v4.s_addr), &gl));
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) != 1) return "";
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    uint32_t n;
    std::memcpy(&n, &v6.s6_addr[12], 4);
    absl::MutexLock lock(&impl_->mu);
    return CleanCode(GeoIP_country_code_by_ipnum_gl(impl_->v4.get(), ntohl(n), &gl));
  }
  absl::MutexLock lock(&impl_->mu);
  if (impl_->v6 == nullptr) return "";
  return CleanCode(GeoIP_country_code_by_ipnum_v6_gl(impl_->v6.get(), v6, &gl));
}

}  // namespace pantau::agent::logwatch
