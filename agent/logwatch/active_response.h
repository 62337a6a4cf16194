// Active response (off by default): after a brute-force or scanner alert opens, the client is
// added to an nftables set with a timeout, unless it is on the allow-list. Each decision
// becomes a v1::BanEvent for the collector.
//
// At Create the table, two sets and a drop rule are made (idempotent, `nft -f FILE`):
//   table inet pantau { set banned_v4 { type ipv4_addr; flags timeout; } set banned_v6 {...}
//     chain input { type filter hook input priority -10; policy accept;
//                   ip saddr @banned_v4 drop; ip6 saddr @banned_v6 drop; } }
// and a ban is `nft add element inet pantau banned_v4 { 203.0.113.9 timeout 3600s }`.
// `nft_command` is the program and leading arguments (tests run it in a network namespace:
// ["ip", "netns", "exec", "NS", "nft"]).
#ifndef PANTAU_AGENT_LOGWATCH_ACTIVE_RESPONSE_H_
#define PANTAU_AGENT_LOGWATCH_ACTIVE_RESPONSE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/time/time.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::logwatch {

struct ActiveResponseConfig {
  bool enabled = false;
  std::vector<std::string> nft_command = {"nft"};
  std::string table = "pantau";                 // in family inet
  std::string set_v4 = "banned_v4";
  std::string set_v6 = "banned_v6";
  absl::Duration ban_time = absl::Hours(1);
  // Addresses and CIDR ranges never banned (IPv4 and IPv6). Loopback is always allowed.
  std::vector<std::string> allow_list;
  // Rule families that lead to a ban.
  std::vector<std::string> families = {"brute_force", "scanner"};
};

// Checks one allow-list entry (an IPv4/IPv6 address or CIDR range) the way Create reads it, so
// the agent's config loader refuses exactly what Create would. InvalidArgument says why.
absl::Status ValidateAllowListEntry(absl::string_view entry);

// Thread-safe.
class ActiveResponder {
 public:
  // InvalidArgument for a bad allow-list entry, table or set name; with enabled, the error of
  // `nft` when the table cannot be created (not root, no nftables).
  static absl::StatusOr<std::unique_ptr<ActiveResponder>> Create(ActiveResponseConfig config);
  ~ActiveResponder();

  bool enabled() const;
  // Whether an alert of `family` leads to a ban.
  bool Applies(absl::string_view family) const;
  bool Allowed(absl::string_view client) const;  // on the allow-list (or loopback)
  // Bans `client` (an IPv4/IPv6 literal; anything else is FAILED with a reason). A client
  // already banned and not yet expired is not banned again: returns nullopt then.
  absl::optional<v1::BanEvent> Ban(absl::string_view site, absl::string_view client,
                                   absl::string_view rule, absl::string_view alert_id,
                                   absl::Time now);

  struct Impl;

 private:
  explicit ActiveResponder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_ACTIVE_RESPONSE_H_
