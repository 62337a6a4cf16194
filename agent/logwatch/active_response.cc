#include "agent/logwatch/active_response.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/subprocess.h"
#include "common/utf8.h"

namespace pantau::agent::logwatch {
namespace {

constexpr absl::Duration kNftTimeout = absl::Seconds(20);
constexpr size_t kMaxErrorBytes = 1024;
constexpr size_t kMaxClientBytes = 128;
constexpr size_t kPruneAbove = 10000;  // banned-map entries before expired ones are pruned

// An IPv4 or IPv6 address in a 16-byte buffer; IPv4 as 4 bytes.
struct Address {
  bool v4 = false;
  unsigned char bytes[16] = {};
  int bits() const { return v4 ? 32 : 128; }
};

// Parses an address literal strictly with inet_pton (no names, no ports, no brackets).
// An IPv4-mapped IPv6 address becomes IPv4.
bool ParseAddress(absl::string_view text, Address* out) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out->bytes) == 1) {
    out->v4 = true;
    return true;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) != 1) return false;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    out->v4 = true;
    std::memcpy(out->bytes, &v6.s6_addr[12], 4);
    return true;
  }
  out->v4 = false;
  std::memcpy(out->bytes, v6.s6_addr, 16);
  return true;
}

std::string FormatAddress(const Address& a) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(a.v4 ? AF_INET : AF_INET6, a.bytes, buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

struct Range {
  Address base;
  int prefix = 0;
  bool Contains(const Address& a) const {
    if (a.v4 != base.v4) return false;
    int bits = prefix;
    for (int i = 0; bits > 0; ++i, bits -= 8) {
      const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
      if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
  }
};

absl::StatusOr<Range> ParseRange(absl::string_view entry) {
  Range range;
  absl::string_view addr = entry;
  const size_t slash = entry.find('/');
  if (slash != absl::string_view::npos) addr = entry.substr(0, slash);
  if (!ParseAddress(addr, &range.base)) {
    return absl::InvalidArgumentError(
        absl::StrCat("active_response.allow_list: not an IP address or CIDR range: \"",
                     entry.substr(0, 80), "\""));
  }
  range.prefix = range.base.bits();
  if (slash != absl::string_view::npos) {
    const absl::string_view len = entry.substr(slash + 1);
    int prefix = -1;
    const bool digits =
        !len.empty() && len.size() <= 3 &&
        std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; });
    // An IPv4-mapped IPv6 range (::ffff:a.b.c.d/n) is not supported: keep ranges plain.
    if (!digits || !absl::SimpleAtoi(len, &prefix) || prefix > range.base.bits() ||
        (range.base.v4 && addr.find(':') != absl::string_view::npos)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "active_response.allow_list: bad prefix length in \"", entry.substr(0, 80), "\""));
    }
    range.prefix = prefix;
  }
  return range;
}

}  // namespace

absl::Status ValidateAllowListEntry(absl::string_view entry) {
  return ParseRange(entry).status();
}

namespace {

bool IsLoopback(const Address& a) {
  if (a.v4) return a.bytes[0] == 127;
  static const unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(a.bytes, kLoopback6, 16) == 0;
}

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
      });
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "active_response.", what, ": \"", name.substr(0, 80), "\" must be 1..64 of [A-Za-z0-9_]"));
}

// Text for the wire: UTF-8 (a client or nft's output may be any bytes) and at most `max` bytes.
std::string Clip(absl::string_view text, size_t max) {
  return ClampUtf8(absl::StripAsciiWhitespace(text), max);
}

// Runs nft (with the configured prefix) and turns a failure into a status with its output.
absl::Status RunNft(const std::vector<std::string>& argv) {
  absl::StatusOr<CommandResult> result = RunCommand(argv, {}, kNftTimeout);
  if (!result.ok()) {
    return absl::UnavailableError(
        absl::StrCat("`", absl::StrJoin(argv, " "), "`: ", result.status().message()));
  }
  if (result->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("`", absl::StrJoin(argv, " "), "` exited with ",
                                               result->exit_code, ": ",
                                               Clip(result->output, kMaxErrorBytes)));
  }
  return absl::OkStatus();
}

// The ruleset, idempotent in one atomic `nft -f` transaction: `add` leaves an existing table
// and sets (and the bans in them) alone, and the chain is flushed before its two rules are
// added, so running it again (an agent restart) does not duplicate rules.
std::string RulesetScript(const ActiveResponseConfig& c) {
  const std::string t = absl::StrCat("inet ", c.table);
  return absl::StrCat("add table ", t, "\n",                                                  //
                      "add set ", t, " ", c.set_v4, " { type ipv4_addr; flags timeout; }\n",  //
                      "add set ", t, " ", c.set_v6, " { type ipv6_addr; flags timeout; }\n",  //
                      "add chain ", t,
                      " input { type filter hook input priority -10; policy accept; }\n",  //
                      "flush chain ", t, " input\n",                                       //
                      "add rule ", t, " input ip saddr @", c.set_v4, " drop\n",            //
                      "add rule ", t, " input ip6 saddr @", c.set_v6, " drop\n");
}

absl::Status ApplyRuleset(const ActiveResponseConfig& c) {
  char path[] = "/tmp/pantau-nft-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("mkstemp for the nft script: ", std::strerror(errno)));
  }
  const std::string script = RulesetScript(c);
  size_t written = 0;
  while (written < script.size()) {
    const ssize_t n = ::write(fd, script.data() + written, script.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path);
      return absl::InternalError(absl::StrCat("writing ", path, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  std::vector<std::string> argv = c.nft_command;
  argv.push_back("-f");
  argv.push_back(path);
  absl::Status status = RunNft(argv);
  ::unlink(path);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("cannot create the nftables ban table: ", status.message()));
  }
  return absl::OkStatus();
}

}  // namespace

struct ActiveResponder::Impl {
  ActiveResponseConfig config;
  std::vector<Range> allow;
  absl::Mutex mu;
  // Canonical address -> end of its ban. Bans run nft under the lock, so two alerts for the
  // same client never ban it twice.
  absl::flat_hash_map<std::string, absl::Time> banned ABSL_GUARDED_BY(mu);

  bool Allowed(const Address& a) const {
    if (IsLoopback(a)) return true;
    for (const Range& r : allow) {
      if (r.Contains(a)) return true;
    }
    return false;
  }
};

ActiveResponder::ActiveResponder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ActiveResponder::~ActiveResponder() = default;

absl::StatusOr<std::unique_ptr<ActiveResponder>> ActiveResponder::Create(
    ActiveResponseConfig config) {
  auto impl = std::make_unique<Impl>();
  absl::Status status = ValidateName("table", config.table);
  if (status.ok()) status = ValidateName("set_v4", config.set_v4);
  if (status.ok()) status = ValidateName("set_v6", config.set_v6);
  if (!status.ok()) return status;
  if (config.set_v4 == config.set_v6) {
    return absl::InvalidArgumentError("active_response: set_v4 and set_v6 must differ");
  }
  if (config.ban_time < absl::Seconds(1) || config.ban_time > absl::Hours(24 * 365)) {
    return absl::InvalidArgumentError(
        absl::StrCat("active_response.ban_time must be between 1s and 365 days, got ",
                     absl::FormatDuration(config.ban_time)));
  }
  if (config.nft_command.empty() || config.nft_command[0].empty()) {
    return absl::InvalidArgumentError("active_response.nft_command is empty");
  }
  for (const std::string& entry : config.allow_list) {
    absl::StatusOr<Range> range = ParseRange(entry);
    if (!range.ok()) return range.status();
    impl->allow.push_back(*range);
  }
  if (config.enabled) {
    status = ApplyRuleset(config);
    if (!status.ok()) return status;
  }
  impl->config = std::move(config);
  return std::unique_ptr<ActiveResponder>(new ActiveResponder(std::move(impl)));
}

bool ActiveResponder::enabled() const { return impl_->config.enabled; }

bool ActiveResponder::Applies(absl::string_view family) const {
  const auto& families = impl_->config.families;
  return std::find(families.begin(), families.end(), family) != families.end();
}

bool ActiveResponder::Allowed(absl::string_view client) const {
  Address a;
  return ParseAddress(client, &a) && impl_->Allowed(a);
}

absl::optional<v1::BanEvent> ActiveResponder::Ban(absl::string_view site, absl::string_view client,
                                                  absl::string_view rule,
                                                  absl::string_view alert_id, absl::Time now) {
  if (!impl_->config.enabled) return absl::nullopt;
  v1::BanEvent event;
  event.set_site(std::string(site));
  event.set_client(Clip(client, kMaxClientBytes));
  event.set_rule(std::string(rule));
  event.set_alert_id(std::string(alert_id));

  // Only a strict address literal reaches nft; the arguments are separate argv entries
  // anyway, so nothing in a client string could be interpreted by a shell.
  Address address;
  if (!ParseAddress(client, &address)) {
    event.set_outcome(v1::BanEvent::FAILED);
    event.set_error(
        absl::StrCat("not an IP address literal, not banned: \"", Clip(client, 64), "\""));
    return event;
  }
  if (impl_->Allowed(address)) {
    event.set_outcome(v1::BanEvent::ALLOWLISTED);
    return event;
  }
  const std::string canonical = FormatAddress(address);
  event.set_client(canonical);

  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->banned.find(canonical);
  if (it != impl_->banned.end()) {
    if (it->second > now) return absl::nullopt;
    impl_->banned.erase(it);
  }
  if (impl_->banned.size() > kPruneAbove) {
    absl::erase_if(impl_->banned, [now](const auto& kv) { return kv.second <= now; });
  }
  const ActiveResponseConfig& c = impl_->config;
  std::vector<std::string> argv = c.nft_command;
  const int64_t seconds = absl::ToInt64Seconds(c.ban_time);
  for (std::string arg : {std::string("add"), std::string("element"), std::string("inet"), c.table,
                          address.v4 ? c.set_v4 : c.set_v6, std::string("{"), canonical,
                          std::string("timeout"), absl::StrCat(seconds, "s"), std::string("}")}) {
    argv.push_back(std::move(arg));
  }
  absl::Status status = RunNft(argv);
  if (!status.ok()) {
    event.set_outcome(v1::BanEvent::FAILED);
    event.set_error(Clip(status.message(), kMaxErrorBytes));
    return event;
  }
  const absl::Time until = now + c.ban_time;
  impl_->banned[canonical] = until;
  event.set_outcome(v1::BanEvent::BANNED);
  event.set_until_unix_ms(absl::ToUnixMillis(until));
  return event;
}

}  // namespace pantau::agent::logwatch
