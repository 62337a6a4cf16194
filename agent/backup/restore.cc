// RestoreBackup: extracts a backup (and, for an incremental, the unchanged files from its full
// archive), checking every file's SHA-256 against the manifest as it is written.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/backup/archive_io.h"
#include "agent/backup/backup.h"
#include "agent/backup/backup_internal.h"
#include "agent/backup/manifest.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace pantau::agent::backup {
namespace {

std::string Errno(int e) { return strerror(e); }

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

class Restorer {
 public:
  Restorer(const std::string& root, const Manifest& manifest, const RestoreOptions& options)
      : root_(root), manifest_(manifest), options_(options), progress_fn_(options.progress) {
    for (const std::string& p : options.skip_paths) {
      skip_.insert(std::filesystem::path(p).lexically_normal().string());
      if (char* real = realpath(p.c_str(), nullptr)) {
        skip_.insert(real);
        free(real);
      }
    }
    for (const ManifestEntry& e : manifest.entries) {
      if (e.type == "f" || e.type == "p") files_[e.path] = &e;
      if (e.type == "db") dumps_[e.path] = &e;
      if (e.type == "r" && root_ == "/") {
        // In place, the backed-up roots and their parents may be symlinks on the host
        // (/var/www -> /srv/www); below them a symlink is never followed. Under a --to
        // directory nothing is: the restore made everything below it.
        std::string dest = Dest(e.path);
        for (size_t pos = 1; pos <= dest.size(); ++pos) {
          if (pos == dest.size() || dest[pos] == '/') trusted_.insert(dest.substr(0, pos));
        }
      }
    }
  }

  ~Restorer() {
    // A dump left half written (a failed read): its temporary goes.
    for (auto& [path, state] : db_state_) {
      if (state.fd < 0) continue;
      close(state.fd);
      unlink((Dest(path) + ".pantau-restore.tmp").c_str());
    }
  }
  Restorer(const Restorer&) = delete;
  Restorer& operator=(const Restorer&) = delete;

  // Extracts from `archive_path` the files of the manifest whose holder is `holder`
  // (directories and symlinks come from the manifest: CreateDirectoriesAndLinks).
  absl::Status Extract(const std::string& archive_path, const std::string& holder) {
    PANTAU_ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(archive_path));
    ArchiveReader::Header h;
    std::vector<char> buf(size_t{1} << 20);
    while (true) {
      PANTAU_ASSIGN_OR_RETURN(bool more, reader->Next(&h));
      if (!more) break;
      if (absl::StartsWith(h.path, ".pantau/") || h.path == ".pantau") continue;
      if (h.type != 'f') continue;  // directories and symlinks come from the manifest
      auto it = files_.find(h.path);
      if (it == files_.end() || it->second->holder != holder || done_.count(h.path)) continue;
      const ManifestEntry& e = *it->second;
      if (e.type == "p") {
        PANTAU_RETURN_IF_ERROR(ExtractPart(*reader, e, buf));
      } else {
        PANTAU_RETURN_IF_ERROR(ExtractFile(*reader, e, buf));
      }
      done_.insert(h.path);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDirectoriesAndLinks() {
    for (const ManifestEntry& e : manifest_.entries) {
      if (e.type == "r" || e.type == "d") {
        PANTAU_RETURN_IF_ERROR(MakeDirs(e.path));
        ++dirs_;
      }
    }
    for (const ManifestEntry& e : manifest_.entries) {
      if (e.type != "l") continue;
      std::string dest = Dest(e.path);
      PANTAU_RETURN_IF_ERROR(MakeParents(e.path));
      struct stat st;
      if (lstat(dest.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
          return absl::FailedPreconditionError(
              absl::StrCat("cannot restore symlink ", dest, ": a directory is in the way"));
        }
        unlink(dest.c_str());
      }
      if (symlink(e.link.c_str(), dest.c_str()) != 0) {
        return absl::InternalError(absl::StrCat("symlink ", dest, ": ", Errno(errno)));
      }
      Chown(dest, e);
      ++links_;
    }
    return absl::OkStatus();
  }

  // After the files: directory modes and times, deepest first.
  void FinishDirectories() {
    std::vector<const ManifestEntry*> dirs;
    for (const ManifestEntry& e : manifest_.entries) {
      if (e.type == "r" || e.type == "d") dirs.push_back(&e);
    }
    std::sort(dirs.begin(), dirs.end(),
              [](const ManifestEntry* a, const ManifestEntry* b) { return a->path > b->path; });
    for (const ManifestEntry* e : dirs) {
      std::string dest = Dest(e->path);
      // Through a descriptor opened without following a link: a directory swapped for a
      // symlink meanwhile is not chmod'ed through (only the trusted roots may be links).
      int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (trusted_.count(dest) ? 0 : O_NOFOLLOW);
      int fd = open(dest.c_str(), flags);
      if (fd < 0) {
        PANTAU_LOG(WARNING) << "restore: cannot open directory " << dest << ": " << Errno(errno);
        continue;
      }
      FChown(fd, dest, *e);
      fchmod(fd, e->mode);
      SetMtime(fd, e->mtime_ns);
      close(fd);
    }
  }

  absl::Status CheckComplete() {
    std::vector<std::string> missing;
    for (const auto& [path, e] : files_) {
      if (!done_.count(path)) missing.push_back(path);
    }
    if (!missing.empty()) {
      return absl::DataLossError(absl::StrCat(
          missing.size(), " file(s) of the manifest are not in the archive, e.g. ", missing[0]));
    }
    for (const auto& [path, e] : dumps_) {
      if (!db_done_.count(path)) {
        return absl::DataLossError(absl::StrCat("database dump ", path, " is incomplete"));
      }
    }
    return absl::OkStatus();
  }

  // Moves files under the backed-up roots that the backup does not hold (and the job does not
  // leave out) to <root>.pantau-quarantine-<id>[.N]/, beside the root: same filesystem, so a
  // rename. A file that would need a copy (EXDEV) is reported and left where it is.
  absl::Status QuarantineExtra(std::ostream& report) {
    std::set<std::string> known;
    for (const ManifestEntry& e : manifest_.entries) known.insert(e.path);
    for (const ManifestEntry& e : manifest_.entries) {
      if (e.type != "r") continue;
      std::string quarantine = absl::StrCat(Dest(e.path), ".pantau-quarantine-", manifest_.id);
      for (int n = 2; Exists(quarantine); ++n) {
        quarantine = absl::StrCat(Dest(e.path), ".pantau-quarantine-", manifest_.id, ".", n);
      }
      PANTAU_RETURN_IF_ERROR(QuarantineWalk(e.path, quarantine, e.path, known, report));
    }
    return absl::OkStatus();
  }

  int64_t files() const { return files_written_; }
  int64_t bytes() const { return bytes_written_; }
  int64_t dirs() const { return dirs_; }
  int64_t links() const { return links_; }
  const std::vector<std::string>& databases() const { return db_written_; }

 private:
  std::string Dest(const std::string& path) const {
    return root_ == "/" ? "/" + path : absl::StrCat(root_, "/", path);
  }

  // As root, files get their owner back, on the open descriptor.
  static void FChown(int fd, const std::string& path, const ManifestEntry& e) {
    if (geteuid() != 0) return;
    if (fchown(fd, e.uid, e.gid) != 0) {
      PANTAU_LOG(WARNING) << "restore: cannot give " << path << " owner " << e.uid << ":"
                          << e.gid << ": " << Errno(errno);
    }
  }

  static void SetMtime(int fd, int64_t mtime_ns) {
    if (mtime_ns < 0) return;
    timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = mtime_ns / 1000000000;
    times[1].tv_nsec = mtime_ns % 1000000000;
    futimens(fd, times);
  }

  // Opens `tmp` new (O_EXCL, O_NOFOLLOW): something already there (a stale temporary, or a
  // link planted by someone else) is removed first, never written through.
  static int CreateTemporary(const std::string& tmp) {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
    int fd = open(tmp.c_str(), kFlags, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp.c_str()) == 0) fd = open(tmp.c_str(), kFlags, 0600);
    return fd;
  }

  static int CreateTemporaryAt(int dir_fd, const std::string& name) {
    constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
    int fd = openat(dir_fd, name.c_str(), kFlags, 0600);
    if (fd < 0 && errno == EEXIST && unlinkat(dir_fd, name.c_str(), 0) == 0) {
      fd = openat(dir_fd, name.c_str(), kFlags, 0600);
    }
    return fd;
  }

  // Opens the directory `rel` below the target (made by MakeDirs already) one component at a
  // time with O_NOFOLLOW; in place, the components of trusted_ (a backed-up root and its
  // parents, which may be links on the host) are followed. The caller closes the descriptor.
  absl::StatusOr<int> OpenDirectory(const std::string& rel) const {
    const std::string start = root_ == "/" ? "/" : root_;
    int fd = open(start.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", start, ": ", Errno(errno)));
    std::string cur = root_ == "/" ? "" : root_;
    for (absl::string_view part : absl::StrSplit(rel, '/', absl::SkipEmpty())) {
      cur = absl::StrCat(cur, "/", part);
      const std::string component(part);
      int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (trusted_.count(cur) ? 0 : O_NOFOLLOW);
      int next = openat(fd, component.c_str(), flags);
      const int err = errno;
      close(fd);
      if (next < 0) {
        if (err == ELOOP || err == ENOTDIR) {
          return absl::FailedPreconditionError(
              absl::StrCat("refusing to restore through ", cur, ": not a directory (a symlink?)"));
        }
        return absl::InternalError(absl::StrCat("cannot open ", cur, ": ", Errno(err)));
      }
      fd = next;
    }
    return fd;
  }

  // As root, symlinks get their owner back (lchown: the link itself, never its target).
  static void Chown(const std::string& path, const ManifestEntry& e) {
    if (geteuid() != 0) return;
    if (lchown(path.c_str(), e.uid, e.gid) != 0) {
      PANTAU_LOG(WARNING) << "restore: cannot give " << path << " owner " << e.uid << ":"
                          << e.gid << ": " << Errno(errno);
    }
  }

  static void SetMtime(const std::string& path, int64_t mtime_ns) {
    if (mtime_ns < 0) return;
    timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = mtime_ns / 1000000000;
    times[1].tv_nsec = mtime_ns % 1000000000;
    utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }

  // mkdir -p below the root; refuses a symlink as a directory component (a manifest must not
  // be able to send files outside the target through a link it restored).
  absl::Status MakeDirs(const std::string& rel) {
    std::string cur = root_ == "/" ? "" : root_;
    size_t pos = 0;
    while (pos <= rel.size()) {
      size_t slash = rel.find('/', pos);
      if (slash == std::string::npos) slash = rel.size();
      cur += "/" + rel.substr(pos, slash - pos);
      pos = slash + 1;
      if (made_.count(cur)) continue;
      struct stat st;
      if (lstat(cur.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
          if (!trusted_.count(cur)) {
            return absl::FailedPreconditionError(
                absl::StrCat("refusing to restore through symlink ", cur));
          }
          // A backed-up root or one of its parents, a link on the host (/var/www ->
          // /srv/www) that existed before the restore: what it points to must be a directory.
          if (stat(cur.c_str(), &st) != 0) {
            return absl::FailedPreconditionError(
                absl::StrCat("cannot restore: ", cur, " is a dangling symlink"));
          }
        }
        if (!S_ISDIR(st.st_mode)) {
          return absl::FailedPreconditionError(
              absl::StrCat("cannot restore: ", cur, " exists and is not a directory"));
        }
      } else if (mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
        // 0700 until FinishDirectories gives it the archived mode.
        return absl::InternalError(absl::StrCat("mkdir ", cur, ": ", Errno(errno)));
      }
      made_.insert(cur);
    }
    return absl::OkStatus();
  }

  absl::Status MakeParents(const std::string& rel) {
    size_t slash = rel.rfind('/');
    if (slash == std::string::npos) return absl::OkStatus();
    return MakeDirs(rel.substr(0, slash));
  }

  absl::Status ExtractFile(ArchiveReader& reader, const ManifestEntry& e, std::vector<char>& buf) {
    PANTAU_RETURN_IF_ERROR(MakeParents(e.path));
    std::string dest = Dest(e.path);
    std::string tmp = dest + ".pantau-restore.tmp";
    // The file is created and renamed relative to its directory, opened one component at a
    // time without following links: a directory swapped for a symlink after MakeParents
    // checked it (a web user racing an in-place restore) cannot redirect the write.
    const size_t slash = e.path.rfind('/');
    const std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
    const std::string tmp_name = name + ".pantau-restore.tmp";
    PANTAU_ASSIGN_OR_RETURN(
        int dir_fd, OpenDirectory(slash == std::string::npos ? "" : e.path.substr(0, slash)));
    struct CloseFd {
      int fd;
      ~CloseFd() { close(fd); }
    } close_dir{dir_fd};
    int fd = CreateTemporaryAt(dir_fd, tmp_name);
    if (fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", Errno(errno)));
    Sha256 hash;
    int64_t size = 0;
    absl::Status status;
    while (status.ok()) {
      auto n = reader.Read(buf.data(), buf.size());
      if (!n.ok()) {
        status = n.status();
        break;
      }
      if (*n == 0) break;
      hash.Update(buf.data(), *n);
      size += static_cast<int64_t>(*n);
      const char* p = buf.data();
      size_t left = *n;
      while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          status = absl::InternalError(absl::StrCat("write ", tmp, ": ", Errno(errno)));
          break;
        }
        p += w;
        left -= static_cast<size_t>(w);
      }
      Report();
    }
    if (status.ok()) {
      FChown(fd, tmp, e);
      fchmod(fd, e.mode);  // after fchown, which clears set-id bits
      SetMtime(fd, e.mtime_ns);
    }
    close(fd);
    if (status.ok() && (size != e.size || hash.HexDigest() != e.sha256)) {
      status = absl::DataLossError(absl::StrCat(
          "restore stopped: ", e.path, ": hash mismatch (the archive's copy differs from the ",
          "manifest; the file was not restored)"));
    }
    if (!status.ok()) {
      unlinkat(dir_fd, tmp_name.c_str(), 0);
      return status;
    }
    struct stat st;
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      unlinkat(dir_fd, tmp_name.c_str(), 0);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot restore ", dest, ": a directory is in the way"));
    }
    if (renameat(dir_fd, tmp_name.c_str(), dir_fd, name.c_str()) != 0) {
      int err = errno;
      unlinkat(dir_fd, tmp_name.c_str(), 0);
      return absl::InternalError(absl::StrCat("rename ", dest, ": ", Errno(err)));
    }
    ++files_written_;
    bytes_written_ += size;
    return absl::OkStatus();
  }

  // Parts arrive in order; they are appended to databases/<name>.sql.pantau-restore.tmp and
  // the joined dump is checked against the manifest's "db" entry after the last part.
  absl::Status ExtractPart(ArchiveReader& reader, const ManifestEntry& e, std::vector<char>& buf) {
    size_t cut = e.path.rfind(".part");
    std::string dump_path = e.path.substr(0, cut);
    auto dump = dumps_.find(dump_path);
    if (dump == dumps_.end()) {
      return absl::DataLossError(absl::StrCat(e.path, ": no database entry in the manifest"));
    }
    if (root_ == "/") {
      // In place there is nowhere sensible for a dump: loading it is the operator's call.
      if (skipped_db_.insert(dump_path).second) db_written_.push_back(dump_path + " (skipped)");
      db_done_.insert(dump_path);
      return absl::OkStatus();
    }
    PANTAU_RETURN_IF_ERROR(MakeParents(dump_path));
    std::string dest = Dest(dump_path);
    std::string tmp = dest + ".pantau-restore.tmp";
    DumpState& state = db_state_[dump_path];
    if (state.fd < 0) {
      state.fd = CreateTemporary(tmp);
      if (state.fd < 0) {
        return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", Errno(errno)));
      }
      state.hash = std::make_unique<Sha256>();
    }
    // Any failure closes and removes the temporary (and the destructor catches the rest).
    auto abandon = [&state, &tmp](absl::Status status) {
      close(state.fd);
      state.fd = -1;
      unlink(tmp.c_str());
      return status;
    };
    Sha256 part_hash;
    int64_t size = 0;
    while (true) {
      absl::StatusOr<size_t> n = reader.Read(buf.data(), buf.size());
      if (!n.ok()) return abandon(n.status());
      if (*n == 0) break;
      part_hash.Update(buf.data(), *n);
      state.hash->Update(buf.data(), *n);
      size += static_cast<int64_t>(*n);
      const char* p = buf.data();
      size_t left = *n;
      while (left > 0) {
        ssize_t w = write(state.fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          return abandon(absl::InternalError(absl::StrCat("write ", tmp, ": ", Errno(errno))));
        }
        p += w;
        left -= static_cast<size_t>(w);
      }
    }
    state.size += size;
    if (size != e.size || part_hash.HexDigest() != e.sha256) {
      return abandon(
          absl::DataLossError(absl::StrCat("restore stopped: ", e.path, ": hash mismatch")));
    }
    if (state.size == dump->second->size) {
      close(state.fd);
      state.fd = -1;
      if (state.hash->HexDigest() != dump->second->sha256) {
        unlink(tmp.c_str());
        return absl::DataLossError(absl::StrCat("restore stopped: ", dump_path, ": hash mismatch"));
      }
      if (rename(tmp.c_str(), dest.c_str()) != 0) {
        int err = errno;
        unlink(tmp.c_str());
        return absl::InternalError(absl::StrCat("rename ", dest, ": ", Errno(err)));
      }
      db_done_.insert(dump_path);
      db_written_.push_back(dump_path);
    }
    return absl::OkStatus();
  }

  absl::Status QuarantineWalk(const std::string& rel, const std::string& quarantine,
                              const std::string& root_rel, const std::set<std::string>& known,
                              std::ostream& report) {
    std::string dir = Dest(rel);
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return absl::OkStatus();
    std::vector<std::string> names;
    while (dirent* de = readdir(d)) {
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) names.emplace_back(de->d_name);
    }
    closedir(d);
    for (const std::string& name : names) {
      std::string child = rel + "/" + name;
      if (ExcludedByJob(child.substr(root_rel.size() + 1), name)) continue;
      if (skip_.count(Dest(child))) continue;  // a medium or the state directory
      struct stat st;
      if (lstat(Dest(child).c_str(), &st) != 0) continue;
      if (known.count(child)) {
        if (S_ISDIR(st.st_mode)) {
          PANTAU_RETURN_IF_ERROR(QuarantineWalk(child, quarantine, root_rel, known, report));
        }
        continue;
      }
      std::string target = absl::StrCat(quarantine, child.substr(root_rel.size()));
      std::string parent = target.substr(0, target.rfind('/'));
      for (size_t pos = 1; pos <= parent.size(); ++pos) {
        if (pos == parent.size() || parent[pos] == '/') mkdir(parent.substr(0, pos).c_str(), 0700);
      }
      if (rename(Dest(child).c_str(), target.c_str()) != 0) {
        if (errno == EXDEV) {
          // Another filesystem mounted below the root: moving would mean copying.
          report << "left extra " << Dest(child) << " where it is: cannot move it to " << target
                 << " (another filesystem)\n";
          continue;
        }
        return absl::InternalError(
            absl::StrCat("cannot move ", Dest(child), " to ", target, ": ", Errno(errno)));
      }
      report << "moved extra " << Dest(child) << " to " << target << "\n";
    }
    return absl::OkStatus();
  }

  // As the scanner: an exclude pattern matches the path relative to the root or the name.
  bool ExcludedByJob(const std::string& rel, const std::string& name) const {
    for (const std::string& p : options_.exclude) {
      if (fnmatch(p.c_str(), rel.c_str(), 0) == 0 || fnmatch(p.c_str(), name.c_str(), 0) == 0) {
        return true;
      }
    }
    return false;
  }

  void Report() {
    if (!progress_fn_) return;
    BackupProgress p;
    p.phase = "restore";
    p.files_done = files_written_;
    p.files_total = static_cast<int64_t>(files_.size());
    p.bytes_done = bytes_written_;
    progress_fn_(p);
  }

  struct DumpState {
    int fd = -1;
    int64_t size = 0;
    std::unique_ptr<Sha256> hash;
  };

  std::string root_;
  const Manifest& manifest_;
  const RestoreOptions& options_;
  const ProgressFn& progress_fn_;
  std::set<std::string> skip_;
  std::map<std::string, const ManifestEntry*> files_;
  std::map<std::string, const ManifestEntry*> dumps_;
  std::map<std::string, DumpState> db_state_;
  std::set<std::string> done_, db_done_, skipped_db_, made_, trusted_;
  std::vector<std::string> db_written_;
  int64_t files_written_ = 0, bytes_written_ = 0, dirs_ = 0, links_ = 0;
};

// An existing --to directory must be ours and closed to others (a root restore must not write
// where a compromised web user can plant links); a missing one is created 0700.
absl::Status PrepareTarget(const std::string& root) {
  struct stat st;
  if (lstat(root.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode) && stat(root.c_str(), &st) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("restore target ", root, " is a dangling symlink"));
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("restore target ", root, " exists and is not a directory"));
    }
    if (st.st_uid != geteuid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "restore target ", root, " is owned by uid ", st.st_uid, ", not by the user running ",
          "the restore (uid ", geteuid(), "); choose a new directory, e.g. under state_dir"));
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "restore target %s is writable by group or others (mode %04o); choose a new "
          "directory, e.g. under state_dir, or chmod go-w it",
          root, st.st_mode & 07777));
    }
    return absl::OkStatus();
  }
  if (errno != ENOENT) {
    return absl::InternalError(absl::StrCat("restore target ", root, ": ", Errno(errno)));
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(root).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", root, ": ", ec.message()));
  if (mkdir(root.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", root, ": ", Errno(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RestoreBackup(BackupCatalog& catalog, absl::string_view id,
                           const RestoreOptions& options, std::ostream& report) {
  PANTAU_ASSIGN_OR_RETURN(BackupRecord record, catalog.Find(id));
  if (record.archive_paths.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", id, " has no archive (the run failed: ", record.error, ")"));
  }
  std::string medium;
  if (!options.medium.empty()) {
    std::string want = options.medium;
    while (want.size() > 1 && want.back() == '/') want.pop_back();
    if (std::find(record.media.begin(), record.media.end(), want) == record.media.end()) {
      return absl::NotFoundError(absl::StrCat("backup ", id, " is not on medium ", want,
                                              " (it is on ", absl::StrJoin(record.media, ", "),
                                              ")"));
    }
    medium = want;
    if (!Exists(absl::StrCat(medium, "/", id, ".tar.zst"))) {
      return absl::NotFoundError(
          absl::StrCat("medium ", medium, " does not hold ", id, ".tar.zst (not mounted?)"));
    }
  } else {
    for (const std::string& m : record.media) {
      if (Exists(absl::StrCat(m, "/", id, ".tar.zst"))) {
        medium = m;
        break;
      }
    }
    if (medium.empty()) {
      return absl::NotFoundError(absl::StrCat("no medium holds ", id, ".tar.zst (media: ",
                                              absl::StrJoin(record.media, ", "),
                                              "; not mounted?)"));
    }
  }
  PANTAU_ASSIGN_OR_RETURN(Manifest manifest, ReadSidecarManifest(medium, record.id));

  std::string root = options.to_dir.empty() ? "/" : options.to_dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root != "/") PANTAU_RETURN_IF_ERROR(PrepareTarget(root));
  Restorer restorer(root, manifest, options);
  PANTAU_RETURN_IF_ERROR(restorer.CreateDirectoriesAndLinks());
  std::set<std::string> holders;
  for (const ManifestEntry& e : manifest.entries) {
    if ((e.type == "f" || e.type == "p") && e.holder != record.id) holders.insert(e.holder);
  }
  for (const std::string& holder : holders) {
    std::string path = absl::StrCat(medium, "/", holder, ".tar.zst");
    if (!Exists(path)) {
      return absl::NotFoundError(absl::StrCat("backup ", id, " needs its full archive ", holder,
                                              ", which is not on medium ", medium));
    }
    PANTAU_RETURN_IF_ERROR(restorer.Extract(path, holder));
  }
  PANTAU_RETURN_IF_ERROR(
      restorer.Extract(absl::StrCat(medium, "/", id, ".tar.zst"), record.id));
  PANTAU_RETURN_IF_ERROR(restorer.CheckComplete());
  restorer.FinishDirectories();
  if (options.delete_extra) PANTAU_RETURN_IF_ERROR(restorer.QuarantineExtra(report));
  report << "restored " << id << " (" << record.kind
         << (record.base_id.empty() ? "" : ", unchanged files from " + record.base_id)
         << ") from " << medium << " to " << root << ": " << restorer.files() << " files ("
         << restorer.bytes() << " bytes), " << restorer.dirs() << " directories, "
         << restorer.links() << " symlinks; every file's SHA-256 checked\n";
  for (const std::string& db : restorer.databases()) {
    report << "database dump " << (root == "/" ? "" : root + "/") << db
           << (absl::EndsWith(db, "(skipped)") ? ": not restored in place; restore with --to DIR"
                                                : "")
           << "\n";
  }
  return absl::OkStatus();
}

}  // namespace pantau::agent::backup
