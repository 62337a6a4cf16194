#include "agent/integrity/integrity_monitor.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "agent/integrity/integrity_store.h"
#include "agent/integrity/report.h"
#include "agent/integrity/signature_set.h"
#include "agent/integrity/site_scanner.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace pantau::agent::integrity {
namespace {

constexpr uint32_t kWatchMask = IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                IN_MODIFY | IN_ONLYDIR | IN_DONT_FOLLOW;
// How often accepts and maintenance windows made by the command are looked for.
constexpr auto kHousekeeping = std::chrono::seconds(1);
// A path that keeps changing is checked at the latest this many settle times after its first
// event (a debounce that a steady writer cannot postpone forever).
constexpr int kMaxSettles = 5;

using SteadyTime = std::chrono::steady_clock::time_point;

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : absl::StrCat(dir, "/", name);
}

bool IsAtOrBelow(const std::string& path, const std::string& rel) {
  return rel.empty() || path == rel ||
         (path.size() > rel.size() && path.compare(0, rel.size(), rel) == 0 &&
          path[rel.size()] == '/');
}

class MonitorImpl : public IntegrityMonitor {
 public:
  MonitorImpl(std::vector<SiteConfig> sites, std::shared_ptr<const SignatureSet> signatures,
              std::unique_ptr<IntegrityStore> store, const Clock& clock, ReportSink sink,
              CleanBackupLookup lookup)
      : clock_(clock),
        sink_(std::move(sink)),
        lookup_(std::move(lookup)),
        store_(std::move(store)) {
    for (const SiteConfig& site : sites) {
      auto state = std::make_unique<SiteState>();
      state->scanner = std::make_unique<SiteScanner>(site, signatures, store_.get());
      state->scanner->set_stop(&stop_);
      sites_.push_back(std::move(state));
    }
  }

  ~MonitorImpl() override {
    Stop();
    if (inotify_fd_ >= 0) close(inotify_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  absl::Status Start() override {
    absl::MutexLock lock(&lifecycle_mu_);
    if (started_) return absl::FailedPreconditionError("the integrity monitor was started already");
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) {
      return absl::UnavailableError(absl::StrCat("inotify_init1: ", strerror(errno)));
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return absl::UnavailableError(absl::StrCat("eventfd: ", strerror(errno)));
    started_ = true;
    thread_ = std::thread([this] { Run(); });
    timer_ = std::thread([this] { RunTimer(); });
    return absl::OkStatus();
  }

  void Stop() override {
    absl::MutexLock lock(&lifecycle_mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    stop_.RequestStop();
    Wake();
    thread_.join();
    timer_.join();
    // Anyone still waiting in RescanNow is released.
    absl::MutexLock q(&mu_);
    for (Request* r : requests_) {
      r->status = absl::CancelledError("the integrity monitor stopped");
      r->done.Notify();
    }
    requests_.clear();
  }

  absl::Status RescanNow() override {
    Request request;
    {
      // Queued under lifecycle_mu_: Stop() then either sees it (and releases it) or runs
      // before and we refuse.
      absl::MutexLock lock(&lifecycle_mu_);
      if (!started_ || stopped_) {
        return absl::FailedPreconditionError("the integrity monitor is not running");
      }
      absl::MutexLock q(&mu_);
      requests_.push_back(&request);
    }
    Wake();
    request.done.WaitForNotification();
    return request.status;
  }

  Stats GetStats() const override {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

  void PauseEventsForTesting(bool paused) override {
    paused_.store(paused);
    Wake();
  }

 private:
  struct SiteState {
    std::unique_ptr<SiteScanner> scanner;
    absl::flat_hash_map<std::string, int> watch_by_dir;  // rel dir -> wd
    std::string last_report;                             // fingerprint of the last report
    bool root_moved = false;  // the web root went away; set until it is watched again
    bool reported = false;
    int64_t next_rescan_ms = 0;  // guarded by mu_ (timer thread)
  };
  struct Dirty {
    SteadyTime first;  // first event
    SteadyTime due;    // settle after the last event, at most kMaxSettles settles after first
    bool descend = false;
  };
  struct Request {
    absl::Notification done;
    absl::Status status;
  };

  void Wake() {
    if (wake_fd_ < 0) return;
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }

  int64_t NowMs() const { return absl::ToUnixMillis(clock_.Now()); }

  // ----------------------------------------------------------------- timer thread
  // Waits on the Clock (so a FakeClock drives periodic rescans in tests) and asks the
  // monitor's thread for the rescans that are due.
  void RunTimer() {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = clock_.Now();
      for (auto& site : sites_) {
        site->next_rescan_ms =
            absl::ToUnixMillis(now + site->scanner->site().integrity.rescan_interval);
      }
    }
    while (true) {
      int64_t next = INT64_MAX;
      {
        absl::MutexLock lock(&mu_);
        for (auto& site : sites_) next = std::min(next, site->next_rescan_ms);
      }
      if (sites_.empty()) next = absl::ToUnixMillis(clock_.Now() + absl::Hours(24));
      if (clock_.WaitUntil(absl::FromUnixMillis(next), stop_)) return;
      const absl::Time now = clock_.Now();
      bool any = false;
      {
        absl::MutexLock lock(&mu_);
        for (size_t i = 0; i < sites_.size(); ++i) {
          if (sites_[i]->next_rescan_ms <= absl::ToUnixMillis(now)) {
            sites_[i]->next_rescan_ms =
                absl::ToUnixMillis(now + sites_[i]->scanner->site().integrity.rescan_interval);
            due_rescans_.push_back(static_cast<int>(i));
            any = true;
          }
        }
      }
      if (any) Wake();
    }
  }

  // ----------------------------------------------------------------- monitor thread
  void Run() {
    for (size_t i = 0; i < sites_.size(); ++i) (void)FullScanSite(static_cast<int>(i));
    for (size_t i = 0; i < sites_.size(); ++i) Report(static_cast<int>(i), /*force=*/true);
    if (auto g = store_->Generation(); g.ok()) generation_ = *g;
    SteadyTime next_housekeeping = std::chrono::steady_clock::now() + kHousekeeping;

    std::vector<char> buffer(256 * 1024);
    while (!stop_.StopRequested()) {
      const SteadyTime now = std::chrono::steady_clock::now();
      SteadyTime wake_at = next_housekeeping;
      for (const auto& [key, dirty] : dirty_) wake_at = std::min(wake_at, dirty.due);
      const int timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count() + 1));
      const bool paused = paused_.load();
      struct pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
      const int n = poll(fds, paused ? 1 : 2, timeout_ms);
      if (n < 0 && errno != EINTR) {
        PANTAU_LOG(ERROR) << "integrity: poll: " << strerror(errno);
        break;
      }
      if (stop_.StopRequested()) break;
      if (n > 0 && (fds[0].revents & POLLIN) != 0) {
        uint64_t value;
        (void)!read(wake_fd_, &value, sizeof value);
      }
      if (!paused && n > 0 && (fds[1].revents & POLLIN) != 0) ReadEvents(buffer);
      HandleRequests();
      ProcessDirty();
      if (std::chrono::steady_clock::now() >= next_housekeeping) {
        Housekeeping();
        next_housekeeping = std::chrono::steady_clock::now() + kHousekeeping;
      }
    }
  }

  void HandleRequests() {
    std::vector<Request*> requests;
    std::vector<int> due;
    {
      absl::MutexLock lock(&mu_);
      requests.swap(requests_);
      due.swap(due_rescans_);
    }
    if (!requests.empty()) {
      absl::Status status;
      for (size_t i = 0; i < sites_.size(); ++i) {
        absl::Status s = FullScanSite(static_cast<int>(i));
        if (status.ok()) status = s;
        Report(static_cast<int>(i), false);
      }
      for (Request* r : requests) {
        r->status = status;
        r->done.Notify();
      }
      return;  // every site was just scanned
    }
    for (int i : due) {
      (void)FullScanSite(i);
      Report(i, false);
    }
  }

  absl::Status FullScanSite(int i) {
    SiteState& site = *sites_[i];
    const std::string& id = site.scanner->site().id;
    // Pending event checks of this site are covered by the full scan.
    for (auto it = dirty_.begin(); it != dirty_.end();) {
      it = it->first.first == i ? dirty_.erase(it) : std::next(it);
    }
    auto result = FullScan(*site.scanner, *store_, NowMs());
    {
      absl::MutexLock lock(&mu_);
      ++stats_.full_scans;
    }
    if (!result.ok()) {
      if (!absl::IsCancelled(result.status())) {
        PANTAU_LOG(WARNING) << "integrity " << id << ": scan failed: " << result.status();
      }
      return result.status();
    }
    AddWatches(i, result->dirs, /*rescan_new=*/false);
    if (site.watch_by_dir.contains("")) site.root_moved = false;
    return absl::OkStatus();
  }

  // Adds watches for directories not watched yet. With rescan_new, a directory that gets its
  // first watch is checked again after the settle time: files made in it before the watch
  // existed raise no event.
  void AddWatches(int i, const std::vector<std::string>& dirs, bool rescan_new) {
    SiteState& site = *sites_[i];
    for (const std::string& rel : dirs) {
      if (site.watch_by_dir.contains(rel)) continue;
      if (!AddWatch(i, rel)) {
        if (watch_limit_reached_) break;
        continue;
      }
      if (rescan_new) MarkDirty(i, rel, true);
    }
  }

  bool AddWatch(int i, const std::string& rel) {
    SiteState& site = *sites_[i];
    if (watch_limit_reached_) return false;
    const std::string full = rel.empty() ? site.scanner->site().web_root
                                         : Join(site.scanner->site().web_root, rel);
    const int wd = inotify_add_watch(inotify_fd_, full.c_str(), kWatchMask);
    if (wd < 0) {
      if (errno == ENOSPC) {
        watch_limit_reached_ = true;
        PANTAU_LOG(WARNING) << "integrity: the inotify watch limit is reached "
                            << "(fs.inotify.max_user_watches); changes in directories without a "
                            << "watch are found by the periodic rescans only";
        absl::MutexLock lock(&mu_);
        stats_.watch_limit_reached = true;
      }
      return false;
    }
    auto old = watches_.find(wd);
    if (old != watches_.end() && (old->second.first != i || old->second.second != rel)) {
      // The same directory under another name (renamed): keep the new name only.
      sites_[old->second.first]->watch_by_dir.erase(old->second.second);
    }
    watches_[wd] = {i, rel};
    site.watch_by_dir[rel] = wd;
    absl::MutexLock lock(&mu_);
    stats_.watches = static_cast<int64_t>(watches_.size());
    return true;
  }

  // Removes the watches of `rel` and of every directory below it ("" = all of the site's).
  void ForgetWatchesBelow(int i, const std::string& rel) {
    SiteState& site = *sites_[i];
    for (auto it = site.watch_by_dir.begin(); it != site.watch_by_dir.end();) {
      if (IsAtOrBelow(it->first, rel)) {
        inotify_rm_watch(inotify_fd_, it->second);
        watches_.erase(it->second);
        site.watch_by_dir.erase(it++);
      } else {
        ++it;
      }
    }
    absl::MutexLock lock(&mu_);
    stats_.watches = static_cast<int64_t>(watches_.size());
  }

  void MarkDirty(int i, const std::string& rel, bool descend) {
    auto [it, inserted] = dirty_.try_emplace({i, rel});
    const SteadyTime now = std::chrono::steady_clock::now();
    const auto settle = absl::ToChronoMilliseconds(sites_[i]->scanner->site().integrity.settle);
    if (inserted) it->second.first = now;
    // Debounce: settle after the last event, so a file being written is read once complete.
    it->second.due = std::min(now + settle, it->second.first + kMaxSettles * settle);
    it->second.descend = it->second.descend || descend;
  }

  void ReadEvents(std::vector<char>& buffer) {
    bool overflow = false;
    while (true) {
      const ssize_t len = read(inotify_fd_, buffer.data(), buffer.size());
      if (len <= 0) break;  // EAGAIN: drained
      for (ssize_t off = 0; off < len;) {
        const auto* ev = reinterpret_cast<const struct inotify_event*>(buffer.data() + off);
        off += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
        if ((ev->mask & IN_Q_OVERFLOW) != 0) {
          overflow = true;
          continue;
        }
        HandleEvent(*ev);
      }
    }
    if (overflow) {
      PANTAU_LOG(WARNING) << "integrity: inotify queue overflow; rescanning every site";
      {
        absl::MutexLock lock(&mu_);
        ++stats_.overflows;
      }
      dirty_.clear();
      for (size_t i = 0; i < sites_.size(); ++i) {
        (void)FullScanSite(static_cast<int>(i));
        Report(static_cast<int>(i), false);
      }
    }
  }

  void HandleEvent(const struct inotify_event& ev) {
    auto w = watches_.find(ev.wd);
    if (w == watches_.end()) return;
    const int i = w->second.first;
    const std::string dir_rel = w->second.second;
    SiteState& site = *sites_[i];
    if ((ev.mask & IN_IGNORED) != 0) {
      auto by_dir = site.watch_by_dir.find(dir_rel);
      if (by_dir != site.watch_by_dir.end() && by_dir->second == ev.wd) {
        site.watch_by_dir.erase(by_dir);
      }
      watches_.erase(w);
      absl::MutexLock lock(&mu_);
      stats_.watches = static_cast<int64_t>(watches_.size());
      return;
    }
    if (ev.len == 0 || ev.name[0] == '\0') {
      // The watched directory itself.
      if ((ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
        // It went away or moved (`mv html html.old && mv html.new html`): the watches of it
        // and below follow the old inodes, so they are dropped (events from the old tree are
        // no longer taken for the site's) and the path is walked again, which watches what
        // is there now. For the web root that is a full scan (FullScanSite).
        if (dir_rel.empty()) {
          PANTAU_LOG(WARNING) << "integrity " << site.scanner->site().id
                              << ": the web root was removed or moved; rescanning";
          site.root_moved = true;
        }
        ForgetWatchesBelow(i, dir_rel);
        MarkDirty(i, dir_rel, true);
        return;
      }
      if ((ev.mask & IN_ATTRIB) != 0) MarkDirty(i, dir_rel, false);
      return;
    }
    const std::string name = ev.name;
    const std::string rel = Join(dir_rel, name);
    if (site.scanner->Excluded(rel, name)) return;
    const bool is_dir = (ev.mask & IN_ISDIR) != 0;
    if (is_dir && (ev.mask & (IN_MOVED_FROM | IN_DELETE)) != 0) ForgetWatchesBelow(i, rel);
    const bool new_dir = is_dir && (ev.mask & (IN_CREATE | IN_MOVED_TO)) != 0;
    // Watch a new directory at once, so files made in it from now on raise events; the walk
    // after the settle time finds those made before.
    if (new_dir) AddWatch(i, rel);
    MarkDirty(i, rel, new_dir || (is_dir && (ev.mask & (IN_MOVED_FROM | IN_DELETE)) != 0));
  }

  void ProcessDirty() {
    const SteadyTime now = std::chrono::steady_clock::now();
    std::vector<std::pair<std::pair<int, std::string>, Dirty>> due;
    for (auto it = dirty_.begin(); it != dirty_.end();) {
      if (it->second.due <= now) {
        due.emplace_back(it->first, it->second);
        it = dirty_.erase(it);
      } else {
        ++it;
      }
    }
    if (due.empty()) return;
    std::vector<bool> touched(sites_.size(), false);
    for (const auto& [key, dirty] : due) {
      const int i = key.first;
      SiteState& site = *sites_[i];
      if (key.second.empty()) {
        // The whole web root (it was replaced or moved): a full scan, which adds the watches.
        (void)FullScanSite(i);
        touched[i] = true;
        continue;
      }
      const int64_t now_ms = NowMs();
      auto mode = ModeFor(*store_, site.scanner->site().id, now_ms);
      if (!mode.ok()) {
        PANTAU_LOG(WARNING) << "integrity " << site.scanner->site().id << ": " << mode.status();
        continue;
      }
      auto result = site.scanner->Scan(key.second, dirty.descend, *mode, now_ms);
      {
        absl::MutexLock lock(&mu_);
        ++stats_.event_checks;
      }
      if (!result.ok()) {
        PANTAU_LOG(WARNING) << "integrity " << site.scanner->site().id << ": checking "
                            << key.second << " failed: " << result.status();
        continue;
      }
      if (dirty.descend) AddWatches(i, result->dirs, /*rescan_new=*/true);
      touched[i] = touched[i] || result->findings > 0;
    }
    for (size_t i = 0; i < sites_.size(); ++i) {
      if (touched[i]) Report(static_cast<int>(i), false);
    }
  }

  // Accepts and maintenance windows made by `pantau-agent integrity` in another process.
  void Housekeeping() {
    auto generation = store_->Generation();
    const bool changed = generation.ok() && *generation != generation_;
    if (generation.ok()) generation_ = *generation;
    const int64_t now_ms = NowMs();
    for (size_t i = 0; i < sites_.size(); ++i) {
      const std::string& id = sites_[i]->scanner->site().id;
      auto window = store_->Maintenance(id);
      if (window.ok() && window->has_value() && (*window)->until_ms <= now_ms) {
        // Over: take its changes into the baseline now.
        (void)FullScanSite(static_cast<int>(i));
        Report(static_cast<int>(i), false);
      } else if (sites_[i]->root_moved && !sites_[i]->watch_by_dir.contains("") &&
                 !watch_limit_reached_ && WebRootIsADirectory(static_cast<int>(i))) {
        // The web root has no watch (it was missing when it was moved away and rescanned,
        // e.g. between the two renames that replace it): it is back, scan and watch it.
        (void)FullScanSite(static_cast<int>(i));
        Report(static_cast<int>(i), false);
      } else if (changed) {
        Report(static_cast<int>(i), false);
      }
    }
  }

  bool WebRootIsADirectory(int i) const {
    struct stat st;
    return stat(sites_[i]->scanner->site().web_root.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  void Report(int i, bool force) {
    SiteState& site = *sites_[i];
    const std::string& id = site.scanner->site().id;
    auto findings = store_->Findings(id);
    if (!findings.ok()) {
      PANTAU_LOG(WARNING) << "integrity " << id << ": " << findings.status();
      return;
    }
    const std::string fingerprint = FindingsFingerprint(*findings);
    if (!force && site.reported && fingerprint == site.last_report) return;
    v1::CheckReport report = BuildReport(id, *findings, clock_.Now(), lookup_);
    site.last_report = fingerprint;
    site.reported = true;
    {
      absl::MutexLock lock(&mu_);
      ++stats_.reports;
    }
    if (sink_) sink_(std::move(report));
  }

  const Clock& clock_;
  ReportSink sink_;
  CleanBackupLookup lookup_;
  std::unique_ptr<IntegrityStore> store_;  // monitor thread only
  std::vector<std::unique_ptr<SiteState>> sites_;
  StopToken stop_;
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> paused_{false};

  // Monitor thread only.
  std::map<int, std::pair<int, std::string>> watches_;  // wd -> (site, rel dir)
  std::map<std::pair<int, std::string>, Dirty> dirty_;
  bool watch_limit_reached_ = false;
  int64_t generation_ = 0;

  absl::Mutex lifecycle_mu_;
  bool started_ ABSL_GUARDED_BY(lifecycle_mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(lifecycle_mu_) = false;
  std::thread thread_;
  std::thread timer_;

  mutable absl::Mutex mu_;
  std::vector<Request*> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<int> due_rescans_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<IntegrityMonitor>> IntegrityMonitor::Create(
    const AgentConfig& config, const Clock& clock, ReportSink sink, CleanBackupLookup lookup) {
  std::vector<SiteConfig> sites;
  for (const SiteConfig& site : config.sites) {
    if (site.integrity.enabled && !site.web_root.empty()) sites.push_back(site);
  }
  PANTAU_ASSIGN_OR_RETURN(auto signatures,
                          SignatureSet::Load(config.data_dir + "/integrity/signatures.yaml"));
  std::error_code ec;
  std::filesystem::create_directories(config.state_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create state_dir ", config.state_dir, ": ", ec.message()));
  }
  PANTAU_ASSIGN_OR_RETURN(auto store, IntegrityStore::Open(config.state_dir + "/integrity.db"));
  return std::unique_ptr<IntegrityMonitor>(new MonitorImpl(
      std::move(sites), std::move(signatures), std::move(store), clock, std::move(sink),
      std::move(lookup)));
}

}  // namespace pantau::agent::integrity
