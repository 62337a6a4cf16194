// What the content checks remember between runs, per site: the defacement baseline, the
// sitemap snapshot, the search-engine verification tokens, the news listing's hash. Kept in
// SQLite in the agent's state_dir so a restart does not forget a baseline (and so does not
// take a defaced page as the new normal).
//
//   PANTAU_ASSIGN_OR_RETURN(auto state, CheckStateStore::Open(dir + "/checks.db"));
//   PANTAU_ASSIGN_OR_RETURN(auto baseline, state->Get("pn-www", "text_fingerprint"));
//   state->Put("pn-www", "text_fingerprint", fingerprint.Serialize());
#ifndef PANTAU_AGENT_CHECKS_CHECK_STATE_H_
#define PANTAU_AGENT_CHECKS_CHECK_STATE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;

namespace pantau::agent {

// Thread-safe (one SQLite connection behind a mutex).
class CheckStateStore {
 public:
  // Opens or creates the database; Internal with SQLite's message when it cannot.
  static absl::StatusOr<std::unique_ptr<CheckStateStore>> Open(const std::string& path);
  // A store that forgets at exit (for one-shot `pantau-agent probe`).
  static absl::StatusOr<std::unique_ptr<CheckStateStore>> OpenInMemory();
  ~CheckStateStore();

  // The value and when it was written; nullopt when absent; Internal when the database cannot
  // be read (busy past the timeout, I/O error), which callers must not take for "absent": a
  // missing baseline is re-taken, an unreadable one must not be.
  struct Entry {
    std::string value;
    absl::Time updated;
  };
  absl::StatusOr<std::optional<Entry>> Get(const std::string& site, const std::string& key) const;
  absl::Status Put(const std::string& site, const std::string& key, const std::string& value,
                   absl::Time now);
  // Forgets every key of a site (a new baseline is taken on the next run).
  absl::Status ForgetSite(const std::string& site);

 private:
  explicit CheckStateStore(sqlite3* db) : db_(db) {}
  mutable absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CHECKS_CHECK_STATE_H_
