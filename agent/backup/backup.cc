// RunBackup, VerifyBackup, RestoreBackup and retention.
//
// Incremental runs trust stat(2): a file whose size, mtime (nanoseconds) and inode equal the
// last full archive's manifest entry is taken as unchanged and its hash is copied from that
// manifest without reading the file. A change that keeps all three (a deliberate
// `touch -d` after rewriting in place with the same size) goes unnoticed until the next full
// archive, so full_interval bounds how long such a change can be missed.
#include "agent/backup/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/backup/archive_io.h"
#include "agent/backup/backup_internal.h"
#include "agent/backup/manifest.h"
#include "common/ids.h"
#include "common/file.h"
#include "common/log.h"
#include "common/status_macros.h"

extern char** environ;

namespace pantau::agent::backup {
namespace {

constexpr size_t kReadBuffer = size_t{1} << 20;
constexpr size_t kStderrTail = 2048;

std::string Errno(int e) { return strerror(e); }

int64_t StatMtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

std::string Mib(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

// Calls the progress callback at most ~10 times a second (and always for `force`).
class ProgressThrottle {
 public:
  explicit ProgressThrottle(const ProgressFn& fn) : fn_(fn) {}
  void Report(const BackupProgress& p, bool force = false) {
    if (!fn_) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    fn_(p);
  }

 private:
  const ProgressFn& fn_;
  std::chrono::steady_clock::time_point last_{};
};

// The per-site lock file, held (flock) for this object's life.
class SiteLock {
 public:
  static absl::StatusOr<std::unique_ptr<SiteLock>> Acquire(const std::string& state_dir,
                                                           const std::string& site) {
    std::string path = absl::StrCat(state_dir, "/backup-", site, ".lock");
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnavailableError(absl::StrCat("cannot open lock ", path, ": ", Errno(errno)));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      close(fd);
      if (e == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat("a backup of ", site, " is already running (lock ", path, ")"));
      }
      return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", Errno(e)));
    }
    return std::unique_ptr<SiteLock>(new SiteLock(fd));
  }
  ~SiteLock() { close(fd_); }

 private:
  explicit SiteLock(int fd) : fd_(fd) {}
  int fd_;
};

// "<site>-YYYYMMDDTHHMMSSZ" followed by nothing or ".N".
bool IsArchiveNameOfSite(absl::string_view name, absl::string_view site) {
  if (!absl::ConsumePrefix(&name, site) || !absl::ConsumePrefix(&name, "-")) return false;
  if (name.size() < 16) return false;
  for (int i = 0; i < 16; ++i) {
    char c = name[i];
    bool ok = (i == 8) ? c == 'T' : (i == 15) ? c == 'Z' : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Removes <site>-*.tmp left on a medium by a run that was killed.
void RemoveStaleTemporaries(const std::string& medium, const std::string& site) {
  DIR* d = opendir(medium.c_str());
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    absl::string_view name(e->d_name);
    if (absl::EndsWith(name, ".tmp") && IsArchiveNameOfSite(name, site)) {
      stale.emplace_back(name);
    }
  }
  closedir(d);
  for (const std::string& name : stale) {
    std::string path = absl::StrCat(medium, "/", name);
    if (unlink(path.c_str()) == 0) {
      PANTAU_LOG(WARNING) << "backup: removed " << path << " left by an interrupted run";
    }
  }
}

}  // namespace

absl::StatusOr<Manifest> ReadSidecarManifest(const std::string& medium, const std::string& id) {
  std::string base = absl::StrCat(medium, "/", id);
  PANTAU_ASSIGN_OR_RETURN(std::string text, ReadFileToString(base + ".manifest.tsv", 1u << 30));
  PANTAU_ASSIGN_OR_RETURN(std::string sum, ReadFileToString(base + ".manifest.sha256", 4096));
  std::string expected = std::string(sum.substr(0, sum.find_first_of(" \t\n")));
  if (expected != Sha256Hex(text)) {
    return absl::DataLossError(absl::StrCat(base, ".manifest.tsv does not match its checksum ",
                                            base, ".manifest.sha256"));
  }
  auto m = ParseManifest(text);
  if (!m.ok()) {
    return absl::DataLossError(absl::StrCat(base, ".manifest.tsv: ", m.status().message()));
  }
  if (m->id != id) {
    return absl::DataLossError(absl::StrCat(base, ".manifest.tsv belongs to ", m->id));
  }
  return m;
}

namespace {

// What the scan keeps of stat(2): 40 bytes instead of 144, for 40k+ entries.
struct FileStat {
  uint32_t st_mode = 0;
  uint32_t st_uid = 0;
  uint32_t st_gid = 0;
  int64_t st_size = 0;
  uint64_t st_ino = 0;
  int64_t mtime_ns = 0;
};

FileStat Compact(const struct stat& st) {
  return FileStat{st.st_mode,        st.st_uid, st.st_gid, static_cast<int64_t>(st.st_size),
                  st.st_ino, StatMtimeNs(st)};
}
int64_t StatMtimeNs(const FileStat& st) { return st.mtime_ns; }

struct ScanEntry {
  char type;                 // 'r' root, 'd', 'f', 'l'
  std::string archive_path;  // the absolute path without its leading '/'
  FileStat st;
  std::string link;
  std::string abs_path() const { return "/" + archive_path; }
};

class Scanner {
 public:
  Scanner(const BackupJobConfig& job, const std::set<std::string>& skip,
          std::vector<std::string>* warnings)
      : job_(job), skip_(skip), warnings_(warnings) {}

  absl::Status ScanRoot(std::string root, std::vector<ScanEntry>* out) {
    // "/tmp//x/./y/" -> "/tmp/x/y": archive paths must have no empty or dot parts.
    root = std::filesystem::path(root).lexically_normal().string();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (root == "/" || root.empty() || root.front() != '/') {
      return absl::InvalidArgumentError(absl::StrCat("cannot back up '", root, "'"));
    }
    // The configured path (or a parent) may be a symlink (/var/www -> /srv/www): scan the
    // directory it resolves to, archive it under the configured path.
    char* resolved = realpath(root.c_str(), nullptr);
    if (resolved == nullptr) {
      return absl::NotFoundError(absl::StrCat("backup path ", root, ": ", Errno(errno)));
    }
    const std::string real_root(resolved);
    free(resolved);
    ScanEntry e;
    struct stat raw;
    if (stat(real_root.c_str(), &raw) != 0) {
      return absl::NotFoundError(absl::StrCat("backup path ", root, ": ", Errno(errno)));
    }
    e.st = Compact(raw);
    if (!S_ISDIR(e.st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("backup path ", root, " is not a directory"));
    }
    e.type = 'r';
    e.archive_path = root.substr(1);
    out->push_back(e);
    Walk(real_root, "", e.archive_path, out);
    return absl::OkStatus();
  }

 private:
  bool Excluded(const std::string& rel, const char* name) const {
    for (const std::string& p : job_.exclude) {
      if (fnmatch(p.c_str(), rel.c_str(), 0) == 0 || fnmatch(p.c_str(), name, 0) == 0) {
        return true;
      }
    }
    return false;
  }

  void Walk(const std::string& dir, const std::string& rel_dir, const std::string& arch_dir,
            std::vector<ScanEntry>* out) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
      warnings_->push_back(absl::StrCat("cannot read directory ", dir, ": ", Errno(errno)));
      return;
    }
    std::vector<std::string> names;
    while (dirent* de = readdir(d)) {
      if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
      names.emplace_back(de->d_name);
    }
    std::sort(names.begin(), names.end());
    // stat relative to the open directory: no walk of the whole path for every file.
    struct CloseDir {
      DIR* d;
      ~CloseDir() { closedir(d); }
    } close_dir{d};
    const int dir_fd = dirfd(d);
    for (const std::string& name : names) {
      std::string rel = rel_dir.empty() ? name : absl::StrCat(rel_dir, "/", name);
      if (Excluded(rel, name.c_str())) continue;
      ScanEntry e;
      e.archive_path = absl::StrCat(arch_dir, "/", name);
      struct stat raw;
      if (fstatat(dir_fd, name.c_str(), &raw, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) {
          warnings_->push_back(absl::StrCat("cannot stat ", e.abs_path(), ": ", Errno(errno)));
        }
        continue;
      }
      e.st = Compact(raw);
      if (S_ISDIR(e.st.st_mode)) {
        // A medium or the state directory, named as configured or as it resolves.
        std::string real = absl::StrCat(dir, "/", name);
        if (skip_.count(e.abs_path()) || skip_.count(real)) continue;
        e.type = 'd';
        std::string arch = e.archive_path;
        out->push_back(std::move(e));
        Walk(real, rel, arch, out);
      } else if (S_ISREG(e.st.st_mode)) {
        e.type = 'f';
        out->push_back(std::move(e));
      } else if (S_ISLNK(e.st.st_mode)) {
        std::string target(static_cast<size_t>(e.st.st_size) + 256, '\0');
        ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n <= 0) {
          warnings_->push_back(absl::StrCat("cannot read symlink ", e.abs_path()));
          continue;
        }
        target.resize(static_cast<size_t>(n));
        e.type = 'l';
        e.link = std::move(target);
        out->push_back(std::move(e));
      } else {
        warnings_->push_back(absl::StrCat("skipped special file ", e.abs_path()));
      }
    }
  }

  const BackupJobConfig& job_;
  const std::set<std::string>& skip_;
  std::vector<std::string>* warnings_;
};

std::string StderrTail(const std::string& tail) {
  std::string t(absl::StripTrailingAsciiWhitespace(tail));
  std::vector<absl::string_view> lines = absl::StrSplit(t, '\n');
  size_t from = lines.size() > 5 ? lines.size() - 5 : 0;
  std::vector<absl::string_view> last(lines.begin() + static_cast<long>(from), lines.end());
  std::string out = absl::StrJoin(last, " | ");
  return out.empty() ? "(no error output)" : out;
}

// Everything one run builds up.
class BackupRun {
 public:
  BackupRun(const SiteConfig& site, const RunOptions& options, BackupRecord* record,
            Manifest* manifest, std::vector<std::string>* warnings)
      : job_(site.backup),
        options_(options),
        record_(record),
        manifest_(manifest),
        warnings_(warnings),
        progress_(options.progress) {}

  // Writes the archive on every medium; an error is the reason the run failed.
  // `bytes_total` is what will be copied (files not referenced).
  absl::Status Write(std::vector<ScanEntry>& entries,
                     const std::unordered_map<std::string_view, const ManifestEntry*>& base,
                     int64_t bytes_total, int64_t files_total) {
    // zstd workers pay off for big archives; for a small incremental their start-up and
    // hand-offs cost more than they save.
    const int threads = bytes_total >= (int64_t{64} << 20) ? options_.compression_threads : 0;
    PANTAU_ASSIGN_OR_RETURN(writer_, ArchiveWriter::Create(job_.media, record_->id,
                                                           job_.compression_level, threads));
    buffer_.resize(kReadBuffer);
    progress_state_.phase = "archive";
    progress_state_.files_total = files_total;
    progress_state_.bytes_total = bytes_total;
    for (ScanEntry& e : entries) {
      if (options_.stop != nullptr && options_.stop->StopRequested()) {
        return absl::CancelledError("stopped before the backup was complete");
      }
      ManifestEntry m;
      if (e.type != 'f') m.path = e.archive_path;  // files: below, without a copy
      m.mode = e.st.st_mode & 07777;
      m.mtime_ns = StatMtimeNs(e.st);
      m.inode = e.st.st_ino;
      m.uid = e.st.st_uid;
      m.gid = e.st.st_gid;
      if (e.type == 'r' || e.type == 'd') {
        m.type = e.type == 'r' ? "r" : "d";
        // The root too is a directory entry, so its mode survives extraction.
        PANTAU_RETURN_IF_ERROR(writer_->AddDirectory(m.path, m.mode, m.mtime_ns, m.uid, m.gid));
        m.holder = record_->id;
        manifest_->entries.push_back(std::move(m));
      } else if (e.type == 'l') {
        m.type = "l";
        m.link = e.link;
        m.holder = record_->id;
        PANTAU_RETURN_IF_ERROR(
            writer_->AddSymlink(m.path, m.link, m.mode, m.mtime_ns, m.uid, m.gid));
        manifest_->entries.push_back(std::move(m));
      } else {
        auto it = base.find(e.archive_path);
        if (it != base.end() && it->second->size == e.st.st_size &&
            it->second->mtime_ns == m.mtime_ns && it->second->inode == m.inode) {
          // Unchanged since the full archive: referenced, not read (see the top comment).
          m.path = std::move(e.archive_path);  // not needed again
          m.type = "f";
          m.size = e.st.st_size;
          m.sha256 = it->second->sha256;
          m.holder = it->second->holder;
          record_->files += 1;
          record_->source_bytes += m.size;
          manifest_->entries.push_back(std::move(m));
          continue;
        }
        PANTAU_RETURN_IF_ERROR(CopyFile(e));
      }
    }
    for (const DatabaseDumpConfig& db : job_.databases) {
      if (options_.stop != nullptr && options_.stop->StopRequested()) {
        return absl::CancelledError("stopped before the backup was complete");
      }
      PANTAU_RETURN_IF_ERROR(DumpDatabase(db));
    }
    const std::string manifest_text = FormatManifest(*manifest_);
    const int64_t now_ns = absl::ToUnixNanos(record_->started);
    PANTAU_RETURN_IF_ERROR(writer_->AddDirectory(".pantau", 0755, now_ns));
    PANTAU_RETURN_IF_ERROR(writer_->AddFile(".pantau/manifest.tsv", manifest_text, 0644, now_ns));
    PANTAU_RETURN_IF_ERROR(
        writer_->AddFile(".pantau/SHA256SUMS", FormatSha256Sums(*manifest_), 0644, now_ns));
    PANTAU_RETURN_IF_ERROR(writer_->Commit(manifest_text));
    record_->bytes = writer_->bytes_written();
    record_->archive_paths = writer_->archive_paths();
    progress_.Report(progress_state_, true);
    return absl::OkStatus();
  }

 private:
  absl::Status CopyFile(const ScanEntry& e) {
    const std::string abs_path = e.abs_path();
    // O_NONBLOCK: a FIFO or device swapped in after the scan must not block the open; the
    // fstat below skips anything that is not a regular file, then the flag is cleared.
    constexpr int kFlags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
    int fd = open(abs_path.c_str(), kFlags | O_NOATIME);
    if (fd < 0 && errno == EPERM) fd = open(abs_path.c_str(), kFlags);
    if (fd < 0) {
      warnings_->push_back(errno == ENOENT
                               ? absl::StrCat(abs_path, " vanished before it was read")
                               : absl::StrCat("cannot read ", abs_path, ": ", Errno(errno)));
      return absl::OkStatus();
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      warnings_->push_back(absl::StrCat(abs_path, " changed type before it was read; skipped"));
      return absl::OkStatus();
    }
    if (int flags = fcntl(fd, F_GETFL); flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    ManifestEntry m;
    m.type = "f";
    m.path = e.archive_path;
    m.size = st.st_size;
    m.mode = st.st_mode & 07777;
    m.mtime_ns = StatMtimeNs(st);
    m.inode = st.st_ino;
    m.uid = st.st_uid;
    m.gid = st.st_gid;
    m.holder = record_->id;
    absl::Status s = writer_->BeginFile(m.path, m.size, m.mode, m.mtime_ns, m.uid, m.gid);
    if (!s.ok()) {
      close(fd);
      return s;
    }
    Sha256 hash;
    int64_t left = m.size;
    bool short_read = false;
    while (left > 0) {
      if (options_.stop != nullptr && options_.stop->StopRequested()) {
        close(fd);
        return absl::CancelledError("stopped before the backup was complete");
      }
      size_t want = static_cast<size_t>(std::min<int64_t>(left, kReadBuffer));
      ssize_t n = read(fd, buffer_.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // Shrunk (or unreadable) while we read: pad to the size in the header, so the tar
        // stays well-formed, and record the hash of what was archived.
        short_read = true;
        std::fill(buffer_.begin(), buffer_.end(), 0);
        while (left > 0) {
          size_t z = static_cast<size_t>(std::min<int64_t>(left, kReadBuffer));
          hash.Update(buffer_.data(), z);
          s = writer_->Write(buffer_.data(), z);
          if (!s.ok()) break;
          left -= static_cast<int64_t>(z);
        }
        break;
      }
      hash.Update(buffer_.data(), static_cast<size_t>(n));
      s = writer_->Write(buffer_.data(), static_cast<size_t>(n));
      if (!s.ok()) break;
      left -= n;
      progress_state_.bytes_done += n;
      progress_.Report(progress_state_);
    }
    struct stat after;
    bool changed = fstat(fd, &after) == 0 &&
                   (after.st_size != st.st_size || StatMtimeNs(after) != m.mtime_ns);
    close(fd);
    if (!s.ok()) return s;
    if (short_read || changed) {
      warnings_->push_back(absl::StrCat(abs_path, " changed while it was read; archived ",
                                        "what was read", short_read ? " (padded with zeros)" : ""));
      // Make the next incremental copy it again.
      m.mtime_ns = -1;
    }
    m.sha256 = hash.HexDigest();
    record_->files += 1;
    record_->files_copied += 1;
    record_->source_bytes += m.size;
    progress_state_.files_done += 1;
    progress_.Report(progress_state_);
    manifest_->entries.push_back(std::move(m));
    return absl::OkStatus();
  }

  absl::Status DumpDatabase(const DatabaseDumpConfig& db) {
    progress_state_.phase = "database " + db.name;
    progress_.Report(progress_state_, true);
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe: " + Errno(errno));
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
      close(out_pipe[0]);
      close(out_pipe[1]);
      return absl::InternalError("pipe: " + Errno(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    std::vector<char*> argv;
    for (const std::string& a : db.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // Its own process group, so a timeout or cancel kills what it started too (a shell's
    // children holding the pipe open).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
      close(out_pipe[0]);
      close(err_pipe[0]);
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", db.name, ": cannot run ", db.command[0], ": ", Errno(rc)));
    }
    // Real time, not the injected clock: the child runs in real time.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(absl::ToInt64Milliseconds(db.timeout));
    std::string part;
    // Untouched pages of the reservation cost nothing; growing by doubling would copy.
    part.reserve(static_cast<size_t>(std::max<int64_t>(1, options_.database_part_bytes)));
    std::string err_tail;
    int part_no = 0;
    int64_t total = 0;
    Sha256 whole;
    absl::Status status;
    const size_t part_max = static_cast<size_t>(std::max<int64_t>(1, options_.database_part_bytes));
    auto flush_part = [&]() -> absl::Status {
      ++part_no;
      ManifestEntry m;
      m.type = "p";
      m.path = absl::StrFormat("databases/%s.sql.part%05d", db.name, part_no);
      m.size = static_cast<int64_t>(part.size());
      m.mode = 0600;
      m.mtime_ns = absl::ToUnixNanos(record_->started);
      m.sha256 = Sha256Hex(part);
      m.holder = record_->id;
      whole.Update(part.data(), part.size());
      PANTAU_RETURN_IF_ERROR(writer_->AddFile(m.path, part, m.mode, m.mtime_ns));
      manifest_->entries.push_back(std::move(m));
      part.clear();
      return absl::OkStatus();
    };
    bool out_open = true, err_open = true, timed_out = false;
    std::vector<char> chunk(1 << 16);
    while ((out_open || err_open) && status.ok()) {
      if (options_.stop != nullptr && options_.stop->StopRequested()) {
        status = absl::CancelledError("stopped during the database dump");
        break;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        timed_out = true;
        break;
      }
      int wait_ms = static_cast<int>(std::min<int64_t>(
          200, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1));
      pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0},
                       {err_open ? err_pipe[0] : -1, POLLIN, 0}};
      int n = poll(fds, 2, wait_ms);
      if (n < 0 && errno != EINTR) {
        status = absl::InternalError("poll: " + Errno(errno));
        break;
      }
      if (n <= 0) continue;
      if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        size_t room = std::min(chunk.size(), part_max - part.size());
        ssize_t r = read(out_pipe[0], chunk.data(), room);
        if (r > 0) {
          part.append(chunk.data(), static_cast<size_t>(r));
          total += r;
          if (part.size() >= part_max) status = flush_part();
        } else if (r == 0 || errno != EINTR) {
          out_open = false;
        }
      }
      if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = read(err_pipe[0], chunk.data(), chunk.size());
        if (r > 0) {
          err_tail.append(chunk.data(), static_cast<size_t>(r));
          if (err_tail.size() > kStderrTail) err_tail.erase(0, err_tail.size() - kStderrTail);
        } else if (r == 0 || errno != EINTR) {
          err_open = false;
        }
      }
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (timed_out || !status.ok()) kill(-pid, SIGKILL);
    // After EOF the command may still not exit (it closed its output and hangs): wait for it
    // until the same deadline (and the stop token), then kill its group.
    int wstatus = 0;
    bool reaped = false;
    while (!reaped) {
      pid_t w = waitpid(pid, &wstatus, WNOHANG);
      if (w == pid || (w < 0 && errno != EINTR)) {
        reaped = true;
        break;
      }
      const bool stop = options_.stop != nullptr && options_.stop->StopRequested();
      if (std::chrono::steady_clock::now() >= deadline || stop) {
        if (status.ok() && !timed_out) {
          if (stop) {
            status = absl::CancelledError("stopped during the database dump");
          } else {
            timed_out = true;
          }
        }
        kill(-pid, SIGKILL);
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
        reaped = true;
        break;
      }
      poll(nullptr, 0, 20);  // the child's exit has no descriptor to poll on
    }
    // Whatever it left running in its group (a backgrounded child) goes too.
    kill(-pid, SIGKILL);
    if (timed_out) {
      return absl::DeadlineExceededError(absl::StrCat(
          "database ", db.name, ": dump timed out after ", absl::FormatDuration(db.timeout),
          "; stderr: ", StderrTail(err_tail)));
    }
    PANTAU_RETURN_IF_ERROR(status);
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
      std::string how = WIFEXITED(wstatus)
                            ? absl::StrCat("exit code ", WEXITSTATUS(wstatus))
                            : absl::StrCat("killed by signal ", WTERMSIG(wstatus));
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", db.name, ": dump command failed (", how, "): ", StderrTail(err_tail)));
    }
    if (!part.empty() || part_no == 0) PANTAU_RETURN_IF_ERROR(flush_part());
    ManifestEntry whole_entry;
    whole_entry.type = "db";
    whole_entry.path = absl::StrCat("databases/", db.name, ".sql");
    whole_entry.size = total;
    whole_entry.mode = 0600;
    whole_entry.mtime_ns = absl::ToUnixNanos(record_->started);
    whole_entry.sha256 = whole.HexDigest();
    whole_entry.holder = record_->id;
    manifest_->entries.push_back(std::move(whole_entry));
    record_->databases += 1;
    record_->database_bytes += total;
    return absl::OkStatus();
  }

  const BackupJobConfig& job_;
  const RunOptions& options_;
  BackupRecord* record_;
  Manifest* manifest_;
  std::vector<std::string>* warnings_;
  ProgressThrottle progress_;
  BackupProgress progress_state_;
  std::unique_ptr<ArchiveWriter> writer_;
  std::vector<char> buffer_;
};

// ---- verification ----

struct ExpectedFile {
  const ManifestEntry* entry;
  bool seen = false;
};

// Reads `archive_path` and checks every entry of `expected` (path → entry) against it.
bool Stopped(const StopToken* stop) { return stop != nullptr && stop->StopRequested(); }

// Returns false when `stop` ended it early (the result is then incomplete).
bool CheckArchive(const std::string& label, const std::string& archive_path,
                  std::map<std::string, ExpectedFile>& expected, const std::string* manifest_text,
                  VerifyResult* result, ProgressThrottle& progress, BackupProgress& state,
                  const StopToken* stop) {
  auto reader = ArchiveReader::Open(archive_path);
  if (!reader.ok()) {
    result->problems.push_back(absl::StrCat(label, ": ", reader.status().message()));
    return true;
  }
  std::vector<char> buf(kReadBuffer);
  ArchiveReader::Header h;
  bool manifest_seen = false;
  while (true) {
    auto more = (*reader)->Next(&h);
    if (!more.ok()) {
      result->problems.push_back(absl::StrCat(label, ": ", more.status().message()));
      return true;
    }
    if (!*more) break;
    auto it = expected.find(h.path);
    bool is_manifest = manifest_text != nullptr && h.path == ".pantau/manifest.tsv";
    if (h.type != 'f' || (it == expected.end() && !is_manifest)) continue;
    Sha256 hash;
    int64_t size = 0;
    while (true) {
      if (Stopped(stop)) return false;
      auto n = (*reader)->Read(buf.data(), buf.size());
      if (!n.ok()) {
        result->problems.push_back(
            absl::StrCat(label, ": ", h.path, ": ", n.status().message()));
        return true;
      }
      if (*n == 0) break;
      hash.Update(buf.data(), *n);
      size += static_cast<int64_t>(*n);
      state.bytes_done += static_cast<int64_t>(*n);
      progress.Report(state);
    }
    std::string digest = hash.HexDigest();
    if (is_manifest) {
      manifest_seen = true;
      if (digest != Sha256Hex(*manifest_text)) {
        result->problems.push_back(
            absl::StrCat(label, ": .pantau/manifest.tsv differs from the manifest beside it"));
      }
      continue;
    }
    it->second.seen = true;
    result->files_checked += 1;
    state.files_done += 1;
    if (size != it->second.entry->size) {
      result->problems.push_back(absl::StrCat(label, ": ", h.path, ": size ", size,
                                              ", manifest says ", it->second.entry->size));
    } else if (digest != it->second.entry->sha256) {
      result->problems.push_back(absl::StrCat(label, ": ", h.path, ": hash mismatch"));
    }
  }
  if (manifest_text != nullptr && !manifest_seen) {
    result->problems.push_back(absl::StrCat(label, ": .pantau/manifest.tsv is missing"));
  }
  for (const auto& [path, f] : expected) {
    if (!f.seen) result->problems.push_back(absl::StrCat(label, ": ", path, ": missing"));
  }
  return true;
}

// Sets *stopped (and returns early) when `stop` was requested.
VerifyResult VerifyOnMedia(const BackupRecord& record, const ProgressFn& progress_fn,
                           const StopToken* stop, bool* stopped) {
  *stopped = false;
  VerifyResult result;
  ProgressThrottle progress(progress_fn);
  if (record.archive_paths.empty()) {
    result.problems.push_back(absl::StrCat("backup ", record.id, " has no archive (the run failed",
                                           record.error.empty() ? "" : ": " + record.error, ")"));
    return result;
  }
  for (size_t i = 0; i < record.media.size(); ++i) {
    const std::string& medium = record.media[i];
    BackupProgress state;
    state.phase = "verify " + medium;
    progress.Report(state, true);
    std::string text;
    auto manifest = ReadSidecarManifest(medium, record.id);
    if (!manifest.ok()) {
      result.problems.push_back(absl::StrCat(medium, ": ", manifest.status().message()));
      continue;
    }
    text = FormatManifest(*manifest);
    std::map<std::string, std::map<std::string, ExpectedFile>> by_holder;
    for (const ManifestEntry& e : manifest->entries) {
      if (e.type == "f" || e.type == "p") by_holder[e.holder][e.path] = ExpectedFile{&e};
      if (e.type != "db") state.files_total += e.type == "f" || e.type == "p";
    }
    // Re-read the sidecar exactly as stored for the in-archive comparison.
    auto raw = ReadFileToString(absl::StrCat(medium, "/", record.id, ".manifest.tsv"), 1u << 30);
    if (raw.ok()) text = *raw;
    if (!CheckArchive(medium, absl::StrCat(medium, "/", record.id, ".tar.zst"),
                      by_holder[record.id], &text, &result, progress, state, stop)) {
      *stopped = true;
      return result;
    }
    for (auto& [holder, files] : by_holder) {
      if (holder == record.id) continue;
      if (!CheckArchive(absl::StrCat(medium, " (base ", holder, ")"),
                        absl::StrCat(medium, "/", holder, ".tar.zst"), files, nullptr, &result,
                        progress, state, stop)) {
        *stopped = true;
        return result;
      }
    }
  }
  result.ok = result.problems.empty();
  return result;
}

absl::Status ApplyVerification(BackupCatalog& catalog, BackupRecord* record,
                               const VerifyResult& result, absl::Time now, bool always_put) {
  constexpr absl::string_view kPrefix = "verification failed: ";
  std::string error = record->error;
  if (result.ok && absl::StartsWith(error, kPrefix)) error.clear();
  if (!result.ok && (error.empty() || absl::StartsWith(error, kPrefix))) {
    error = absl::StrCat(kPrefix, result.problems.front());
    if (result.problems.size() > 1) {
      absl::StrAppend(&error, " (and ", result.problems.size() - 1, " more)");
    }
  }
  bool changed = record->verified != result.ok || error != record->error;
  record->verified = result.ok;
  record->error = error;
  record->verified_at = now;
  if (changed || always_put) return catalog.Put(*record);
  return catalog.UpdateVerifiedAt(record->id, now);
}

// ---- retention ----

void RemoveArchiveFiles(const BackupRecord& r) {
  for (const std::string& medium : r.media) {
    for (const char* ext : {".tar.zst", ".manifest.tsv", ".manifest.sha256"}) {
      std::string path = absl::StrCat(medium, "/", r.id, ext);
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        PANTAU_LOG(WARNING) << "backup retention: cannot remove " << path << ": "
                            << Errno(errno);
      }
    }
  }
}

int64_t DayIndex(absl::Time t) {
  return static_cast<int64_t>(std::floor(absl::ToDoubleSeconds(t - absl::UnixEpoch()) / 86400));
}
// Weeks start on Monday (the epoch was a Thursday).
int64_t WeekIndex(absl::Time t) {
  int64_t d = DayIndex(t) + 3;
  return d >= 0 ? d / 7 : (d - 6) / 7;
}

}  // namespace

absl::Status ApplyRetention(const BackupJobConfig& job, const std::string& site,
                            BackupCatalog& catalog, absl::Time now, const StopToken* stop) {
  PANTAU_ASSIGN_OR_RETURN(std::vector<BackupRecord> all, catalog.List(site));  // newest first
  std::map<std::string, const BackupRecord*> by_id;
  for (const BackupRecord& r : all) by_id[r.id] = &r;
  // Only backups known good count toward keep_last/daily/weekly: verified without error (every
  // backup without error when the job does not verify). Unverified and failed ones never push
  // a verified one out; they are kept only while among the newest keep_last of their own kind.
  std::set<std::string> keep;
  std::vector<const BackupRecord*> good, unverified, failed;
  for (const BackupRecord& r : all) {
    if (r.archive_paths.empty() || !r.error.empty()) {
      failed.push_back(&r);
    } else if (r.verified || !job.verify) {
      good.push_back(&r);
    } else {
      unverified.push_back(&r);
    }
  }
  // The newest verified backup without error is always kept, whatever came after it.
  for (const BackupRecord& r : all) {
    if (r.verified && r.error.empty() && !r.archive_paths.empty()) {
      keep.insert(r.id);
      break;
    }
  }
  const size_t keep_last = static_cast<size_t>(std::max(0, job.keep_last));
  for (size_t i = 0; i < good.size() && i < keep_last; ++i) keep.insert(good[i]->id);
  std::set<int64_t> days, weeks;
  const int64_t today = DayIndex(now), this_week = WeekIndex(now);
  for (const BackupRecord* r : good) {
    int64_t d = DayIndex(r->started), w = WeekIndex(r->started);
    if (d <= today && d > today - job.keep_daily && days.insert(d).second) keep.insert(r->id);
    if (w <= this_week && w > this_week - job.keep_weekly && weeks.insert(w).second) {
      keep.insert(r->id);
    }
  }
  for (size_t i = 0; i < unverified.size() && i < keep_last; ++i) {
    keep.insert(unverified[i]->id);
  }
  for (size_t i = 0; i < failed.size() && i < keep_last; ++i) keep.insert(failed[i]->id);
  // The full archives that kept incrementals reference.
  for (const BackupRecord& r : all) {
    if (keep.count(r.id) && r.kind == "incremental" && !r.base_id.empty() &&
        !r.archive_paths.empty()) {
      keep.insert(r.base_id);
    }
  }
  for (const BackupRecord& r : all) {
    if (keep.count(r.id)) continue;
    if (Stopped(stop)) return absl::CancelledError("retention stopped");
    RemoveArchiveFiles(r);
    PANTAU_RETURN_IF_ERROR(catalog.Remove(r.id));
    PANTAU_LOG(INFO) << "backup retention: removed " << r.id;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::BackupSummary> RunBackup(const AgentConfig& config, const SiteConfig& site,
                                            BackupCatalog& catalog, const Clock& clock,
                                            const RunOptions& options) {
  const BackupJobConfig& job = site.backup;
  if (!job.enabled) {
    return absl::FailedPreconditionError(
        absl::StrCat("site ", site.id, " has no backup job (sites[].backup)"));
  }
  if (job.media.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("site ", site.id, ": backup has no media"));
  }
  // The id names the lock file and the archives: no '/' or other surprises.
  if (!IsValidId(site.id)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid site id '", site.id, "'"));
  }
  PANTAU_ASSIGN_OR_RETURN(auto lock, SiteLock::Acquire(config.state_dir, site.id));
  PANTAU_ASSIGN_OR_RETURN(std::vector<BackupRecord> history, catalog.List(site.id));

  BackupRecord record;
  record.site = site.id;
  record.started = clock.Now();
  record.interval = job.interval;
  record.media = job.media;
  std::string id = absl::StrCat(
      site.id, "-", absl::FormatTime("%Y%m%dT%H%M%SZ", record.started, absl::UTCTimeZone()));
  for (int n = 1;; ++n) {
    std::string candidate = n == 1 ? id : absl::StrCat(id, ".", n);
    absl::Status found = catalog.Find(candidate).status();
    if (absl::IsNotFound(found)) {
      id = candidate;
      break;
    }
    if (!found.ok()) return found;
  }
  record.id = id;

  std::vector<std::string> warnings;
  auto finish_failed = [&](std::string error) -> absl::StatusOr<v1::BackupSummary> {
    record.error = std::move(error);
    record.finished = clock.Now();
    record.archive_paths.clear();
    record.bytes = 0;
    PANTAU_LOG(WARNING) << "backup " << record.id << " failed: " << record.error;
    PANTAU_RETURN_IF_ERROR(catalog.Put(record));
    return record.ToSummary();
  };

  for (const std::string& medium : job.media) {
    struct stat st;
    if (stat(medium.c_str(), &st) != 0) {
      return finish_failed(
          absl::StrCat("medium ", medium, " is not available: ", Errno(errno)));
    }
    if (!S_ISDIR(st.st_mode)) {
      return finish_failed(absl::StrCat("medium ", medium, " is not available: not a directory"));
    }
    RemoveStaleTemporaries(medium, site.id);
  }

  // Full or incremental.
  const BackupRecord* last_full = nullptr;
  for (const BackupRecord& r : history) {
    if (r.kind == "full" && r.error.empty() && !r.archive_paths.empty()) {
      last_full = &r;
      break;
    }
  }
  bool full = options.force_full || job.full_interval <= absl::ZeroDuration() ||
              last_full == nullptr || record.started - last_full->started >= job.full_interval;
  // The base manifest (tens of MB for a big site) is read and parsed on a second thread while
  // this one scans the tree.
  std::optional<Manifest> base_manifest;
  std::thread base_loader;
  if (!full) {
    base_loader = std::thread([&base_manifest, last_full, id = record.id] {
      for (const std::string& medium : last_full->media) {
        auto m = ReadSidecarManifest(medium, last_full->id);
        if (m.ok()) {
          base_manifest = std::move(*m);
          return;
        }
        PANTAU_LOG(WARNING) << "backup " << id << ": cannot use " << last_full->id
                            << " as base: " << m.status();
      }
    });
  }
  record.kind = full ? "full" : "incremental";  // provisional: the base may be unreadable
  record.base_id = full ? "" : last_full->id;
  struct JoinOnExit {
    std::thread& t;
    ~JoinOnExit() {
      if (t.joinable()) t.join();
    }
  } join_base_loader{base_loader};

  // Scan.
  ProgressThrottle progress(options.progress);
  progress.Report(BackupProgress{"scan", 0, 0, 0, 0}, true);
  std::set<std::string> skip;
  for (const std::string& m : job.media) {
    skip.insert(std::filesystem::path(m).lexically_normal().string());
  }
  skip.insert(std::filesystem::path(config.state_dir).lexically_normal().string());
  Scanner scanner(job, skip, &warnings);
  std::vector<ScanEntry> entries;
  // Growing a vector of 40k entries by doubling costs more than the scan's own work.
  entries.reserve(last_full != nullptr ? static_cast<size_t>(last_full->files) * 5 / 4 + 1024
                                       : 16384);
  for (const std::string& path : job.paths) {
    absl::Status s = scanner.ScanRoot(path, &entries);
    if (!s.ok()) return finish_failed(std::string(s.message()));
  }
  if (base_loader.joinable()) base_loader.join();
  if (!base_manifest) full = true;
  record.kind = full ? "full" : "incremental";
  record.base_id = full ? "" : last_full->id;
  std::unordered_map<std::string_view, const ManifestEntry*> base;
  if (base_manifest) {
    for (const ManifestEntry& e : base_manifest->entries) {
      if (e.type == "f") base[e.path] = &e;
    }
  }
  int64_t copy_bytes = 0, files_total = 0;
  for (const ScanEntry& e : entries) {
    if (e.type != 'f') continue;
    ++files_total;
    auto it = base.find(e.archive_path);
    bool unchanged = it != base.end() && it->second->size == e.st.st_size &&
                     it->second->mtime_ns == StatMtimeNs(e.st) && it->second->inode == e.st.st_ino;
    if (!unchanged) copy_bytes += e.st.st_size;
  }

  // Free space: the previous archive of this kind ×1.2 when known, else the bytes to copy.
  int64_t estimate = copy_bytes;
  for (const BackupRecord& r : history) {
    if (r.kind == record.kind && r.error.empty() && r.bytes > 0) {
      estimate = r.bytes + r.bytes / 5;
      break;
    }
  }
  for (const std::string& medium : job.media) {
    struct statvfs vfs;
    if (statvfs(medium.c_str(), &vfs) != 0) {
      return finish_failed(absl::StrCat("medium ", medium, ": statvfs: ", Errno(errno)));
    }
    int64_t free_bytes = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
    int64_t needed = estimate + job.min_free_bytes;
    if (free_bytes < needed) {
      return finish_failed(absl::StrCat("medium ", medium, " has too little free space: needs ",
                                        Mib(needed), " (archive estimate ", Mib(estimate),
                                        " + min_free ", Mib(job.min_free_bytes), "), ",
                                        Mib(free_bytes), " free"));
    }
  }

  Manifest manifest;
  manifest.entries.reserve(entries.size() + 16 * job.databases.size() + 16);
  manifest.id = record.id;
  manifest.kind = record.kind;
  manifest.base_id = record.base_id;
  BackupRun run(site, options, &record, &manifest, &warnings);
  absl::Status written = run.Write(entries, base, copy_bytes, files_total);
  for (const std::string& w : warnings) PANTAU_LOG(WARNING) << "backup " << record.id << ": " << w;
  if (!written.ok() && Stopped(options.stop)) {
    // Shutdown, not a failure: nothing is recorded (the writer removes its temporaries), so
    // the next start finds the backup due and runs it again.
    PANTAU_LOG(INFO) << "backup " << record.id << " abandoned: " << written.message();
    return absl::CancelledError(absl::StrCat("backup ", record.id, " abandoned: shutting down"));
  }
  if (!written.ok()) return finish_failed(std::string(written.message()));
  record.finished = clock.Now();
  // Recorded at once (so a crash during verification leaves a row that retention can clean
  // up), but not reportable until verified: the collector hears only the outcome.
  PANTAU_RETURN_IF_ERROR(catalog.Put(record, /*report=*/!job.verify));

  if (job.verify) {
    bool stopped = false;
    VerifyResult v = VerifyOnMedia(record, options.progress, options.stop, &stopped);
    if (stopped) {
      RemoveArchiveFiles(record);
      PANTAU_RETURN_IF_ERROR(catalog.Remove(record.id));
      PANTAU_LOG(INFO) << "backup " << record.id << " abandoned during verification";
      return absl::CancelledError(
          absl::StrCat("backup ", record.id, " abandoned during verification: shutting down"));
    }
    PANTAU_RETURN_IF_ERROR(ApplyVerification(catalog, &record, v, clock.Now(), true));
  }
  absl::Status retention = ApplyRetention(job, site.id, catalog, clock.Now(), options.stop);
  if (!retention.ok()) PANTAU_LOG(WARNING) << "backup retention of " << site.id << ": " << retention;
  PANTAU_LOG(INFO) << "backup " << record.id << " (" << record.kind << "): " << record.files
                   << " files, " << record.files_copied << " copied, " << record.bytes
                   << " archive bytes" << (record.error.empty() ? "" : ", error: ") << record.error;
  return record.ToSummary();
}

absl::StatusOr<VerifyResult> VerifyBackup(BackupCatalog& catalog, absl::string_view id,
                                          const ProgressFn& progress) {
  PANTAU_ASSIGN_OR_RETURN(BackupRecord record, catalog.Find(id));
  bool stopped = false;
  VerifyResult result = VerifyOnMedia(record, progress, nullptr, &stopped);
  if (!record.archive_paths.empty()) {
    PANTAU_RETURN_IF_ERROR(ApplyVerification(catalog, &record, result, absl::Now(), false));
  }
  return result;
}

}  // namespace pantau::agent::backup
