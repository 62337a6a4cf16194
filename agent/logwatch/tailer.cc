#include "agent/logwatch/tailer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/sqlite.h"
#include "common/status_macros.h"

namespace pantau::agent::logwatch {
namespace {

constexpr size_t kHeadBytes = 64;

// Rotated copies compressed by logrotate are not text we can follow.
constexpr absl::string_view kCompressedSuffixes[] = {".gz",  ".bz2", ".xz", ".zst",
                                                     ".lz4", ".Z",   ".zip"};

bool IsCompressedName(absl::string_view name) {
  for (absl::string_view suffix : kCompressedSuffixes) {
    if (absl::EndsWith(name, suffix)) return true;
  }
  return false;
}

bool HasGlobMagic(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// True when `file_head` (the first bytes of a file now) starts with `saved_head`: the file is
// (still) the one whose first bytes we remembered, possibly grown.
bool HeadMatches(const std::string& saved_head, const std::string& file_head) {
  return file_head.size() >= saved_head.size() &&
         std::memcmp(file_head.data(), saved_head.data(), saved_head.size()) == 0;
}

// Reads the first kHeadBytes of `fd` (fewer when the file is shorter).
std::string ReadHead(int fd) {
  char buf[kHeadBytes];
  ssize_t n;
  do {
    n = pread(fd, buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Opens a regular file for reading. Returns 0 or the errno (EISDIR for a directory, EINVAL for
// other non-regular files).
int OpenRegular(const std::string& path, int* fd, struct stat* st) {
  *fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (*fd < 0) return errno;
  if (fstat(*fd, st) != 0) {
    int err = errno;
    close(*fd);
    *fd = -1;
    return err;
  }
  if (!S_ISREG(st->st_mode)) {
    close(*fd);
    *fd = -1;
    return S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
  }
  return 0;
}

// One open file and how far it has been read.
struct Reader {
  Reader() = default;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() {
    if (fd >= 0) close(fd);
  }

  int fd = -1;
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t offset = 0;    // handed over (end of the last complete line, or of skipped bytes)
  int64_t read_pos = 0;  // next byte to read; == offset + pending.size() unless skipping
  std::string pending;   // an incomplete line (at most max_line_bytes)
  bool skipping = false; // inside an over-long line already handed over
  std::string head;
  absl::Time last_growth;
  int last_error = 0;
};

// One configured or globbed path: its current file and the rotated-away files being finished
// (oldest first).
struct Followed {
  std::string path;
  bool literal = false;
  bool resolved = false;          // saved positions applied
  std::vector<LogPosition> saved; // until resolved
  bool known = false;             // had saved positions (even "nothing open")
  std::unique_ptr<Reader> current;
  std::vector<std::unique_ptr<Reader>> rotated;
  int last_error = 0;
};

}  // namespace

struct LogTailer::State {
  std::vector<std::string> patterns;
  TailerOptions options;
  const Clock* clock;
  std::map<std::string, Followed> followed;
  TailerCounters counters;
  bool first_poll_done = false;
  std::string scratch;  // read buffer shared by all files: max_line_bytes + read_chunk_bytes
  std::set<std::pair<std::string, int>> logged;  // (path, errno) already logged
  size_t next_start = 0;  // where the next Poll starts, so one backlog does not starve others

  void ReportError(const std::string& path, int err, int* last_error, absl::string_view what);
  void Discover();
  bool IsRotatedSiblingOfFollowed(const std::string& path) const;
  void Service(Followed& f, const std::function<void(const LogLine&)>& sink, int64_t* budget,
               absl::Time now);
  bool Resolve(Followed& f, bool exists, const struct stat& st);
  std::unique_ptr<Reader> OpenAt(Followed& f, int64_t offset, bool at_end);
  std::unique_ptr<Reader> FindSibling(const Followed& f, uint64_t device, uint64_t inode,
                                      const std::string& head, int64_t min_size);
  bool Claimed(uint64_t device, uint64_t inode) const;
  void CheckTruncation(Followed& f, absl::Time now);
  // Reads `r` until its end or the budget; returns true when its end was reached.
  bool Read(Reader& r, const std::string* path, const std::function<void(const LogLine&)>& sink,
            int64_t* budget, bool* grew);
  void Split(Reader& r, const char* data, size_t n, const std::string* path,
             const std::function<void(const LogLine&)>& sink);
  void Emit(const char* data, size_t n, bool truncated, const std::string* path,
            const std::function<void(const LogLine&)>& sink) {
    LogLine line;
    line.text = absl::string_view(data, n);
    line.path = path;
    line.truncated = truncated;
    ++counters.lines;
    if (truncated) ++counters.truncated_lines;
    sink(line);
  }
};

void LogTailer::State::ReportError(const std::string& path, int err, int* last_error,
                                   absl::string_view what) {
  if (*last_error == err) return;  // same episode: counted and logged already
  *last_error = err;
  ++counters.read_errors;
  if (logged.insert({path, err}).second) {
    PANTAU_LOG(WARNING) << "logwatch: cannot " << what << " " << path << ": " << strerror(err);
  }
}

bool LogTailer::State::IsRotatedSiblingOfFollowed(const std::string& path) const {
  const std::string dir = DirName(path);
  const std::string base = BaseName(path);
  for (const auto& [other, f] : followed) {
    if (other == path || DirName(other) != dir) continue;
    const std::string other_base = BaseName(other);
    if (base.size() > other_base.size() && absl::StartsWith(base, other_base)) {
      char next = base[other_base.size()];
      if (next == '.' || next == '-' || next == '_') return true;
    }
  }
  return false;
}

void LogTailer::State::Discover() {
  for (const std::string& pattern : patterns) {
    if (!HasGlobMagic(pattern)) {
      Followed& f = followed[pattern];
      if (f.path.empty()) {
        f.path = pattern;
        f.resolved = true;  // a new entry: nothing saved, nothing known
      }
      f.literal = true;
      continue;
    }
    glob_t g;
    std::memset(&g, 0, sizeof(g));
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        if (followed.count(path) > 0) continue;
        if (IsCompressedName(path)) continue;
        // A glob such as access.log* also matches access.log.1: that is the rotated copy of a
        // followed file, finished through it, not a log of its own.
        if (IsRotatedSiblingOfFollowed(path)) continue;
        struct stat st;
        if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
        Followed& f = followed[path];
        f.path = path;
        f.resolved = true;
      }
    }
    globfree(&g);
  }
}

// Whether a rotated file beside `f` starts with `head` (whatever its size).
bool HasSiblingWithHead(const Followed& f, const std::string& head) {
  const std::string dir = DirName(f.path);
  const std::string base = BaseName(f.path);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (struct dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    if (name == base || !absl::StartsWith(name, base) || IsCompressedName(name)) continue;
    int fd = open(absl::StrCat(dir, "/", name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    found = HeadMatches(head, ReadHead(fd));
    close(fd);
    if (found) break;
  }
  closedir(d);
  return found;
}

bool LogTailer::State::Claimed(uint64_t device, uint64_t inode) const {
  for (const auto& [path, f] : followed) {
    if (f.current && f.current->device == device && f.current->inode == inode) return true;
    for (const auto& r : f.rotated) {
      if (r->device == device && r->inode == inode) return true;
    }
  }
  return false;
}

std::unique_ptr<Reader> LogTailer::State::OpenAt(Followed& f, int64_t offset, bool at_end) {
  int fd;
  struct stat st;
  if (int err = OpenRegular(f.path, &fd, &st); err != 0) {
    if (err != ENOENT) ReportError(f.path, err, &f.last_error, "open");
    return nullptr;
  }
  f.last_error = 0;
  auto r = std::make_unique<Reader>();
  r->fd = fd;
  r->device = static_cast<uint64_t>(st.st_dev);
  r->inode = static_cast<uint64_t>(st.st_ino);
  r->head = ReadHead(fd);
  if (at_end) offset = st.st_size;
  r->offset = r->read_pos = offset;
  // Starting inside a line (the end of a file being written, or a saved position in the
  // middle of an over-long line that was cut): skip to the next line.
  if (offset > 0) {
    char c = '\n';
    if (pread(fd, &c, 1, offset - 1) == 1 && c != '\n') r->skipping = true;
  }
  return r;
}

std::unique_ptr<Reader> LogTailer::State::FindSibling(const Followed& f, uint64_t device,
                                                      uint64_t inode, const std::string& head,
                                                      int64_t min_size) {
  const std::string dir = DirName(f.path);
  const std::string base = BaseName(f.path);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return nullptr;
  std::string by_inode;
  std::string by_head;
  int64_t by_head_mtime = 0;
  while (struct dirent* e = readdir(d)) {
    absl::string_view name = e->d_name;
    if (name == base || !absl::StartsWith(name, base) || IsCompressedName(name)) continue;
    std::string full = dir == "/" ? absl::StrCat("/", name) : absl::StrCat(dir, "/", name);
    struct stat st;
    if (stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_size < min_size) continue;
    const uint64_t dev = static_cast<uint64_t>(st.st_dev);
    const uint64_t ino = static_cast<uint64_t>(st.st_ino);
    if (Claimed(dev, ino)) continue;
    const bool same_inode = inode != 0 && dev == device && ino == inode;
    if (!same_inode && head.empty()) continue;
    int fd = open(full.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const bool head_ok = HeadMatches(head, ReadHead(fd));
    close(fd);
    if (!head_ok) continue;
    if (same_inode) {
      by_inode = full;
      break;
    }
    const int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                          st.st_mtim.tv_nsec;
    if (by_head.empty() || mtime > by_head_mtime) {
      by_head = full;
      by_head_mtime = mtime;
    }
  }
  closedir(d);
  const std::string& chosen = by_inode.empty() ? by_head : by_inode;
  if (chosen.empty()) return nullptr;
  int fd;
  struct stat st;
  if (OpenRegular(chosen, &fd, &st) != 0) return nullptr;
  auto r = std::make_unique<Reader>();
  r->fd = fd;
  r->device = static_cast<uint64_t>(st.st_dev);
  r->inode = static_cast<uint64_t>(st.st_ino);
  r->head = ReadHead(fd);
  if (!HeadMatches(head, r->head) || st.st_size < min_size) return nullptr;  // raced
  PANTAU_LOG(INFO) << "logwatch: finishing " << f.path << " from " << chosen;
  return r;
}

// Applies the saved positions of `f` the first time it is serviced: the current file resumes
// where it was; files it was (or is now found to have been) rotated into are finished.
bool LogTailer::State::Resolve(Followed& f, bool exists, const struct stat& st) {
  std::unique_ptr<Reader> current;
  const LogPosition* current_entry = nullptr;
  if (exists) {
    current = OpenAt(f, 0, false);
    if (current == nullptr) return false;  // retried at the next Poll
    for (const LogPosition& e : f.saved) {
      if (e.inode != 0 && e.device == current->device && e.inode == current->inode &&
          HeadMatches(e.head, current->head) && e.offset <= st.st_size) {
        current_entry = &e;
        break;
      }
    }
    if (current_entry != nullptr && current_entry->offset > 0) {
      current = OpenAt(f, current_entry->offset, false);
      if (current == nullptr) return false;
    }
  }
  for (const LogPosition& e : f.saved) {
    if (e.inode == 0 || &e == current_entry) continue;
    std::unique_ptr<Reader> old = FindSibling(f, e.device, e.inode, e.head, e.offset);
    if (old == nullptr) {
      PANTAU_LOG(WARNING) << "logwatch: " << f.path << " (inode " << e.inode
                          << ") was rotated while stopped and its rotated file is not found;"
                          << " lines after offset " << e.offset << " of it are not read";
      continue;
    }
    old->offset = old->read_pos = e.offset;
    if (e.offset > 0) {
      char c = '\n';
      if (pread(old->fd, &c, 1, e.offset - 1) == 1 && c != '\n') old->skipping = true;
    }
    old->last_growth = clock->Now();
    ++counters.rotations;
    f.rotated.push_back(std::move(old));
  }
  f.current = std::move(current);
  f.saved.clear();
  f.resolved = true;
  return true;
}

void LogTailer::State::CheckTruncation(Followed& f, absl::Time now) {
  Reader& c = *f.current;
  struct stat st;
  if (fstat(c.fd, &st) != 0) return;
  std::string head_now = ReadHead(c.fd);
  if (st.st_size >= c.read_pos && HeadMatches(c.head, head_now)) {
    if (head_now.size() > c.head.size()) c.head = std::move(head_now);
    return;
  }
  ++counters.truncations;
  // copytruncate: what was not handed over yet is in the copy beside the file.
  if (!c.head.empty()) {
    std::unique_ptr<Reader> copy = FindSibling(f, 0, 0, c.head, c.offset);
    if (copy != nullptr) {
      copy->offset = copy->read_pos = c.offset;
      copy->skipping = c.skipping;
      copy->last_growth = now;
      f.rotated.push_back(std::move(copy));
    } else if (!HasSiblingWithHead(f, c.head)) {
      // (A copy shorter than our offset means we had read all of it before the truncation.)
      PANTAU_LOG(WARNING) << "logwatch: " << f.path << " was truncated and no rotated copy "
                          << "beginning with the same bytes was found beside it";
    }
  }
  c.offset = c.read_pos = 0;
  c.pending.clear();
  c.skipping = false;
  c.head = std::move(head_now);
}

void LogTailer::State::Split(Reader& r, const char* data, size_t n, const std::string* path,
                             const std::function<void(const LogLine&)>& sink) {
  const size_t max = options.max_line_bytes;
  const int64_t base = r.offset;  // file offset of data[0]
  size_t pos = 0;
  while (pos < n) {
    const char* start = data + pos;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', n - pos));
    if (r.skipping) {
      pos = nl == nullptr ? n : static_cast<size_t>(nl - data) + 1;
      r.skipping = nl == nullptr;
      r.offset = base + static_cast<int64_t>(pos);
      continue;
    }
    if (nl == nullptr) {
      if (n - pos > max) {
        Emit(start, max, true, path, sink);
        r.skipping = true;
        pos = n;
        r.offset = base + static_cast<int64_t>(pos);
      }
      break;
    }
    const size_t len = static_cast<size_t>(nl - start);
    Emit(start, std::min(len, max), len > max, path, sink);
    pos += len + 1;
    r.offset = base + static_cast<int64_t>(pos);
  }
  r.pending.assign(data + pos, n - pos);
}

bool LogTailer::State::Read(Reader& r, const std::string* path,
                            const std::function<void(const LogLine&)>& sink, int64_t* budget,
                            bool* grew) {
  const size_t chunk = std::max<size_t>(options.read_chunk_bytes, 1);
  const size_t max = options.max_line_bytes;
  if (scratch.size() < chunk + max + 1) scratch.resize(chunk + max + 1);
  while (*budget > 0) {
    const size_t p = r.pending.size();
    std::memcpy(scratch.data(), r.pending.data(), p);
    ssize_t n = pread(r.fd, scratch.data() + p, chunk, r.read_pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      ReportError(*path, errno, &r.last_error, "read");
      return false;
    }
    r.last_error = 0;
    if (n == 0) return true;
    *grew = true;
    r.read_pos += n;
    *budget -= n;
    counters.bytes += n;
    Split(r, scratch.data(), p + static_cast<size_t>(n), path, sink);
  }
  return false;
}

void LogTailer::State::Service(Followed& f, const std::function<void(const LogLine&)>& sink,
                               int64_t* budget, absl::Time now) {
  struct stat st;
  bool exists = stat(f.path.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) {
    // Not "gone": the path may be there but unreadable for a moment (EACCES, EIO). Taking it
    // for a rotation would open the same file again from 0 later and hand its lines out twice.
    ReportError(f.path, errno, &f.last_error, "stat");
    return;
  }
  if (!f.resolved) {
    if (!Resolve(f, exists, st)) return;
  }
  if (f.current != nullptr) {
    Reader& c = *f.current;
    if (!exists || static_cast<uint64_t>(st.st_dev) != c.device ||
        static_cast<uint64_t>(st.st_ino) != c.inode) {
      // Renamed away (rotation) or deleted: keep reading it through the open descriptor.
      c.last_growth = now;
      struct stat fst;
      if (exists || (fstat(c.fd, &fst) == 0 && fst.st_nlink > 0)) ++counters.rotations;
      f.rotated.push_back(std::move(f.current));
    } else {
      CheckTruncation(f, now);
    }
  }
  if (f.current == nullptr && exists) {
    const bool at_end = !first_poll_done && !f.known && options.start_at_end;
    f.current = OpenAt(f, 0, at_end);
  }

  // Rotated files first (their lines are older), then the current one.
  for (size_t i = 0; i < f.rotated.size();) {
    Reader& r = *f.rotated[i];
    bool grew = false;
    const bool at_eof = Read(r, &f.path, sink, budget, &grew);
    if (grew) r.last_growth = now;
    bool done = false;
    if (at_eof && !grew && now - r.last_growth >= options.rotated_quiet) {
      struct stat fst;
      const bool deleted = fstat(r.fd, &fst) == 0 && fst.st_nlink == 0;
      const bool replaced = exists && (static_cast<uint64_t>(st.st_dev) != r.device ||
                                       static_cast<uint64_t>(st.st_ino) != r.inode);
      done = deleted || replaced;
    }
    if (done) {
      if (!r.pending.empty()) {  // a last line without its newline
        Emit(r.pending.data(), r.pending.size(), false, &f.path, sink);
      }
      f.rotated.erase(f.rotated.begin() + static_cast<ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
  if (f.current != nullptr) {
    bool grew = false;
    Read(*f.current, &f.path, sink, budget, &grew);
  }
}

LogTailer::LogTailer(std::vector<std::string> patterns, TailerOptions options,
                     std::vector<LogPosition> saved, const Clock& clock)
    : state_(std::make_unique<State>()) {
  state_->patterns = std::move(patterns);
  state_->options = options;
  if (state_->options.max_line_bytes == 0) state_->options.max_line_bytes = 1;
  state_->clock = &clock;
  for (LogPosition& p : saved) {
    bool ours = false;
    for (const std::string& pattern : state_->patterns) {
      if (pattern == p.path ||
          (HasGlobMagic(pattern) && fnmatch(pattern.c_str(), p.path.c_str(), FNM_PATHNAME) == 0)) {
        ours = true;
        break;
      }
    }
    if (!ours) continue;
    Followed& f = state_->followed[p.path];
    f.path = p.path;
    f.known = true;
    f.resolved = false;
    if (p.inode != 0) f.saved.push_back(std::move(p));
  }
}

LogTailer::~LogTailer() = default;

int64_t LogTailer::Poll(const std::function<void(const LogLine&)>& sink, int64_t max_bytes) {
  State& s = *state_;
  s.Discover();
  const absl::Time now = s.clock->Now();
  int64_t budget = std::max<int64_t>(max_bytes, 1);
  const int64_t start_budget = budget;
  std::vector<std::string> paths;
  paths.reserve(s.followed.size());
  for (const auto& entry : s.followed) paths.push_back(entry.first);
  const size_t n = paths.size();
  const size_t start = n == 0 ? 0 : s.next_start % n;
  for (size_t k = 0; k < n && budget > 0; ++k) {
    const size_t i = (start + k) % n;
    s.Service(s.followed[paths[i]], sink, &budget, now);
    if (budget <= 0) s.next_start = i;  // continue with this file next time
  }
  // A globbed file that is gone and finished is forgotten.
  for (auto it = s.followed.begin(); it != s.followed.end();) {
    const Followed& f = it->second;
    struct stat st;
    if (!f.literal && f.resolved && f.current == nullptr && f.rotated.empty() &&
        stat(f.path.c_str(), &st) != 0) {
      it = s.followed.erase(it);
      continue;
    }
    ++it;
  }
  s.first_poll_done = true;
  return start_budget - budget;
}

std::vector<LogPosition> LogTailer::Positions() const {
  std::vector<LogPosition> out;
  auto add = [&](const std::string& path, const Reader& r) {
    LogPosition p;
    p.path = path;
    p.device = r.device;
    p.inode = r.inode;
    p.offset = r.offset;
    p.head = r.head;
    out.push_back(std::move(p));
  };
  for (const auto& [path, f] : state_->followed) {
    const size_t before = out.size();
    if (!f.resolved) {
      for (const LogPosition& p : f.saved) out.push_back(p);
    }
    for (const auto& r : f.rotated) add(path, *r);
    if (f.current != nullptr) add(path, *f.current);
    if (out.size() == before) {
      // Nothing open: still a known path (so a file appearing while stopped is read from its
      // start), and older rows of it are replaced.
      LogPosition p;
      p.path = path;
      out.push_back(std::move(p));
    }
  }
  return out;
}

const TailerCounters& LogTailer::counters() const { return state_->counters; }

absl::Status CreateLogPositionsTable(sqlite3* db) {
  return ExecSqlite(db,
                    "CREATE TABLE IF NOT EXISTS log_positions ("
                    " path TEXT NOT NULL,"
                    " device INTEGER NOT NULL,"
                    " inode INTEGER NOT NULL,"
                    " offset INTEGER NOT NULL,"
                    " head BLOB NOT NULL,"
                    " PRIMARY KEY (path, device, inode))");
}

absl::StatusOr<std::vector<LogPosition>> LoadLogPositions(sqlite3* db) {
  SqliteStatement s(db,
                    "SELECT path, device, inode, offset, head FROM log_positions ORDER BY rowid");
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("load log positions: ", sqlite3_errmsg(db)));
  }
  std::vector<LogPosition> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    LogPosition p;
    const unsigned char* path = sqlite3_column_text(s.get(), 0);
    p.path = path != nullptr ? reinterpret_cast<const char*>(path) : "";
    p.device = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 1));
    p.inode = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 2));
    p.offset = sqlite3_column_int64(s.get(), 3);
    const void* head = sqlite3_column_blob(s.get(), 4);
    int head_len = sqlite3_column_bytes(s.get(), 4);
    if (head != nullptr && head_len > 0) {
      p.head.assign(static_cast<const char*>(head), static_cast<size_t>(head_len));
    }
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("load log positions: ", sqlite3_errmsg(db)));
  }
  return out;
}

absl::Status SaveLogPositions(sqlite3* db, const std::vector<LogPosition>& positions) {
  // A savepoint nests inside the caller's transaction (the spool's) or stands alone.
  PANTAU_RETURN_IF_ERROR(ExecSqlite(db, "SAVEPOINT save_log_positions"));
  auto body = [&]() -> absl::Status {
    std::set<std::string> paths;
    for (const LogPosition& p : positions) paths.insert(p.path);
    SqliteStatement del(db, "DELETE FROM log_positions WHERE path = ?");
    if (!del.ok()) return absl::InternalError(sqlite3_errmsg(db));
    for (const std::string& path : paths) {
      del.Reset();
      del.BindText(1, path);
      if (del.Step() != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(db));
    }
    SqliteStatement ins(db,
                        "INSERT OR REPLACE INTO log_positions (path, device, inode, offset, head)"
                        " VALUES (?, ?, ?, ?, ?)");
    if (!ins.ok()) return absl::InternalError(sqlite3_errmsg(db));
    for (const LogPosition& p : positions) {
      ins.Reset();
      ins.BindText(1, p.path);
      ins.Bind(2, static_cast<int64_t>(p.device));
      ins.Bind(3, static_cast<int64_t>(p.inode));
      ins.Bind(4, p.offset);
      ins.BindBlob(5, p.head);
      if (ins.Step() != SQLITE_DONE) return absl::InternalError(sqlite3_errmsg(db));
    }
    return absl::OkStatus();
  };
  absl::Status status = body();
  if (!status.ok()) {
    ExecSqlite(db, "ROLLBACK TO save_log_positions; RELEASE save_log_positions").IgnoreError();
    return absl::InternalError(absl::StrCat("save log positions: ", status.message()));
  }
  return ExecSqlite(db, "RELEASE save_log_positions");
}

}  // namespace pantau::agent::logwatch
