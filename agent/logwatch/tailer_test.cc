#include "agent/logwatch/tailer.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/sqlite.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent::logwatch {
namespace {

using ::pantau::testing::Eventually;
using ::pantau::testing::FakeClock;
using ::pantau::testing::IsOk;
using ::pantau::testing::ScopedTempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t InodeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_ino) : 0;
}

TailerOptions FromStart() {
  TailerOptions options;
  options.start_at_end = false;
  return options;
}

// Polls until nothing new; returns the lines handed over in this call.
std::vector<std::string> Drain(LogTailer& tailer) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    if (tailer.Poll([&](const LogLine& line) { lines.emplace_back(line.text); }, 1 << 20) == 0) {
      break;
    }
  }
  return lines;
}

// A database file with the positions table; positions saved from one tailer and loaded for
// the next, as the agent does across a restart.
class PositionsDb {
 public:
  explicit PositionsDb(const std::string& path) : path_(path) {}
  std::vector<LogPosition> SaveAndReload(const std::vector<LogPosition>& positions) {
    Save(positions);
    return Load();
  }
  void Save(const std::vector<LogPosition>& positions) {
    absl::StatusOr<sqlite3*> db = OpenSqlite(path_, "positions");
    ASSERT_THAT(db, IsOk());
    EXPECT_THAT(CreateLogPositionsTable(*db), IsOk());
    EXPECT_THAT(SaveLogPositions(*db, positions), IsOk());
    sqlite3_close(*db);
  }
  std::vector<LogPosition> Load() {
    absl::StatusOr<sqlite3*> db = OpenSqlite(path_, "positions");
    EXPECT_THAT(db, IsOk());
    if (!db.ok()) return {};
    EXPECT_THAT(CreateLogPositionsTable(*db), IsOk());
    absl::StatusOr<std::vector<LogPosition>> loaded = LoadLogPositions(*db);
    sqlite3_close(*db);
    EXPECT_THAT(loaded, IsOk());
    return loaded.ok() ? *loaded : std::vector<LogPosition>{};
  }

 private:
  std::string path_;
};

TEST(LogTailer, HandsOverAppendedLinesOnce) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  Write(log, "a\nb\n");
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("a", "b"));
  EXPECT_THAT(Drain(tailer), IsEmpty());
  Append(log, "c\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("c"));
  EXPECT_EQ(tailer.counters().lines, 3);
  EXPECT_EQ(tailer.counters().bytes, 6);
  ASSERT_EQ(tailer.Positions().size(), 1u);
  EXPECT_EQ(tailer.Positions()[0].offset, 6);
  EXPECT_EQ(tailer.Positions()[0].head, "a\nb\nc\n");
}

TEST(LogTailer, PartialLastLineWaitsForItsNewline) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  Write(log, "one\ntw");
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("one"));
  EXPECT_EQ(tailer.Positions()[0].offset, 4);
  Append(log, "o\nthr");
  EXPECT_THAT(Drain(tailer), ElementsAre("two"));
  Append(log, "ee\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("three"));
}

TEST(LogTailer, CutsOverlongLinesAndCountsThem) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  FakeClock clock;
  TailerOptions options = FromStart();
  options.max_line_bytes = 10;
  options.read_chunk_bytes = 7;  // lines cross chunk boundaries
  Write(log, "short\n" + std::string(25, 'x') + "\nafter\n");
  LogTailer tailer({log}, options, {}, clock);
  std::vector<std::pair<std::string, bool>> lines;
  auto sink = [&](const LogLine& line) { lines.emplace_back(line.text, line.truncated); };
  while (tailer.Poll(sink, 1 << 20) > 0) {
  }
  EXPECT_THAT(lines, ElementsAre(std::make_pair("short", false),
                                 std::make_pair(std::string(10, 'x'), true),
                                 std::make_pair("after", false)));
  // An over-long line still being written: cut once, the rest skipped as it arrives.
  lines.clear();
  Append(log, std::string(12, 'y'));
  while (tailer.Poll(sink, 1 << 20) > 0) {
  }
  Append(log, std::string(30, 'y') + "\nz\n");
  while (tailer.Poll(sink, 1 << 20) > 0) {
  }
  EXPECT_THAT(lines, ElementsAre(std::make_pair(std::string(10, 'y'), true),
                                 std::make_pair("z", false)));
  EXPECT_EQ(tailer.counters().truncated_lines, 2);
  EXPECT_EQ(tailer.counters().lines, 5);
}

TEST(LogTailer, RestartInsideACutLineSkipsItsRest) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  FakeClock clock;
  TailerOptions options = FromStart();
  options.max_line_bytes = 10;
  Write(log, "a\n" + std::string(40, 'x'));
  std::vector<LogPosition> saved;
  {
    LogTailer tailer({log}, options, {}, clock);
    EXPECT_THAT(Drain(tailer), ElementsAre("a", std::string(10, 'x')));
    saved = tailer.Positions();
  }
  Append(log, std::string(5, 'x') + "\nb\n");
  LogTailer tailer({log}, options, saved, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("b"));
}

TEST(LogTailer, PassesInvalidUtf8Through) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  const std::string bad = std::string("GET /\xff\xfe\xc3(", 9) + std::string(1, '\0') + "x";
  Write(log, bad + "\n");
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre(bad));
}

TEST(LogTailer, StartAtEndSkipsExistingLinesOnlyOnFirstStart) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  Write(log, "old1\nold2\n");
  FakeClock clock;
  {
    LogTailer from_start({log}, FromStart(), {}, clock);
    EXPECT_THAT(Drain(from_start), ElementsAre("old1", "old2"));
  }
  TailerOptions options;  // start_at_end = true
  LogTailer tailer({log}, options, {}, clock);
  EXPECT_THAT(Drain(tailer), IsEmpty());
  Append(log, "new\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("new"));
}

TEST(LogTailer, GlobPicksUpFilesThatAppearLaterFromTheirStart) {
  ScopedTempDir dir;
  Write(dir.path() + "/a.log", "a-old\n");
  Write(dir.path() + "/notes.txt", "ignored\n");
  FakeClock clock;
  TailerOptions options;  // start_at_end: existing a.log is read from its end
  LogTailer tailer({dir.path() + "/*.log"}, options, {}, clock);
  EXPECT_THAT(Drain(tailer), IsEmpty());
  Append(dir.path() + "/a.log", "a-new\n");
  Write(dir.path() + "/b.log", "b1\nb2\n");
  std::vector<std::string> paths;
  std::vector<std::string> lines;
  while (tailer.Poll(
             [&](const LogLine& line) {
               lines.emplace_back(line.text);
               paths.push_back(*line.path);
             },
             1 << 20) > 0) {
  }
  EXPECT_THAT(lines, ElementsAre("a-new", "b1", "b2"));
  EXPECT_THAT(paths, ElementsAre(dir.path() + "/a.log", dir.path() + "/b.log",
                                 dir.path() + "/b.log"));
}

TEST(LogTailer, GlobDoesNotFollowRotatedCopiesAsLogsOfTheirOwn) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  Write(log, "1\n");
  FakeClock clock;
  LogTailer tailer({dir.path() + "/access.log*"}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("1"));
  ASSERT_EQ(rename(log.c_str(), (log + ".1").c_str()), 0);
  Write(log, "2\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("2"));
  clock.Advance(absl::Seconds(10));
  EXPECT_THAT(Drain(tailer), IsEmpty());
  Append(log, "3\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("3"));
}

TEST(LogTailer, RenameAndCreateFinishesTheOldFileIncludingLateWrites) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  int old_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ASSERT_GE(old_fd, 0);
  auto write_old = [&](const std::string& s) {
    ASSERT_EQ(write(old_fd, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  };
  write_old("1\n2\n");
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("1", "2"));
  write_old("3\n4");  // 4 still partial when the file is renamed
  ASSERT_EQ(rename(log.c_str(), (log + ".1").c_str()), 0);
  write_old("\n5\n");  // the writer has not reopened yet
  Write(log, "new1\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("3", "4", "5", "new1"));
  EXPECT_EQ(tailer.counters().rotations, 1);
  EXPECT_EQ(tailer.Positions().size(), 2u);
  clock.Advance(absl::Seconds(3));
  write_old("6\nlast-partial");  // still written: not quiet
  Append(log, "new2\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("6", "new2"));
  clock.Advance(absl::Seconds(4));
  EXPECT_THAT(Drain(tailer), IsEmpty());  // 4 s since the last growth
  close(old_fd);
  clock.Advance(absl::Seconds(2));
  EXPECT_THAT(Drain(tailer), ElementsAre("last-partial"));  // quiet: closed, partial flushed
  ASSERT_EQ(tailer.Positions().size(), 1u);
  EXPECT_EQ(tailer.Positions()[0].inode, InodeOf(log));
}

TEST(LogTailer, CopytruncateFinishesFromTheCopyThenRestartsAtZero) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  Write(log, "1\n2\n");
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("1", "2"));
  Append(log, "3\n4\n");
  // copytruncate: copy, then truncate in place (same inode); the writer goes on at 0.
  Write(log + ".1", ReadAll(log));
  Write(log + ".2.gz", ReadAll(log));  // compressed siblings are never read
  ASSERT_EQ(truncate(log.c_str(), 0), 0);
  Append(log, "5\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("3", "4", "5"));
  EXPECT_EQ(tailer.counters().truncations, 1);
  // The writer wrote more than we had read before we noticed: caught by the first bytes.
  Append(log, "6\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("6"));
  Write(log + "-20261125", ReadAll(log));
  Write(log, "77777777\n88888888\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("77777777", "88888888"));
  EXPECT_EQ(tailer.counters().truncations, 2);
}

TEST(LogTailer, RestartContinuesFromPositionsSavedInSqlite) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  PositionsDb db(dir.path() + "/spool.db");
  Write(log, "1\n2\npart");
  FakeClock clock;
  {
    LogTailer tailer({log}, FromStart(), {}, clock);
    EXPECT_THAT(Drain(tailer), ElementsAre("1", "2"));
    db.Save(tailer.Positions());
  }
  Append(log, "ial\n3\n");
  std::vector<LogPosition> loaded = db.Load();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].path, log);
  EXPECT_EQ(loaded[0].offset, 4);
  EXPECT_EQ(loaded[0].inode, InodeOf(log));
  EXPECT_EQ(loaded[0].head, "1\n2\npart");
  TailerOptions options;  // start_at_end does not apply to a file with a saved position
  LogTailer tailer({log}, options, loaded, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("partial", "3"));
}

TEST(LogTailer, SaveReplacesOnlyThePathsGiven) {
  ScopedTempDir dir;
  PositionsDb db(dir.path() + "/spool.db");
  LogPosition a{"/a", 1, 10, 5, "a"};
  LogPosition a_rotated{"/a", 1, 11, 7, std::string("\0x", 2)};
  LogPosition b{"/b", 1, 20, 9, "b"};
  db.Save({a_rotated, a});
  db.Save({b});
  a.offset = 6;
  std::vector<LogPosition> loaded = db.SaveAndReload({a});
  ASSERT_EQ(loaded.size(), 2u);
  std::map<std::string, LogPosition> by_path;
  for (const LogPosition& p : loaded) by_path[p.path] = p;
  EXPECT_EQ(by_path["/a"].offset, 6);
  EXPECT_EQ(by_path["/a"].inode, 10u);
  EXPECT_EQ(by_path["/b"].offset, 9);
  EXPECT_EQ(by_path["/b"].head, "b");
  loaded = db.SaveAndReload({a_rotated});
  for (const LogPosition& p : loaded) by_path[p.path] = p;
  EXPECT_EQ(by_path["/a"].head, std::string("\0x", 2));
}

TEST(LogTailer, RenameWhileStoppedFinishesTheOldFileFoundByInode) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  PositionsDb db(dir.path() + "/spool.db");
  Write(log, "1\n2\n");
  FakeClock clock;
  {
    LogTailer tailer({log}, FromStart(), {}, clock);
    EXPECT_THAT(Drain(tailer), ElementsAre("1", "2"));
    db.Save(tailer.Positions());
  }
  // While stopped: more lines, rotation, a decoy gzip sibling with the same first bytes.
  Append(log, "3\n");
  ASSERT_EQ(rename(log.c_str(), (log + ".1").c_str()), 0);
  Write(log + ".2.gz", "1\n2\n3\n4\n");
  Write(log, "new1\n");
  TailerOptions options;  // start_at_end: must not apply to the replacement
  LogTailer tailer({log}, options, db.Load(), clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("3", "new1"));
  Append(log + ".1", "4\n");  // the server had not reopened yet
  EXPECT_THAT(Drain(tailer), ElementsAre("4"));
  clock.Advance(absl::Seconds(6));
  EXPECT_THAT(Drain(tailer), IsEmpty());
  EXPECT_EQ(tailer.Positions().size(), 1u);
}

TEST(LogTailer, CopytruncateWhileStoppedFinishesTheCopyFoundByFirstBytes) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  PositionsDb db(dir.path() + "/spool.db");
  Write(log, "line-1\nline-2\n");
  FakeClock clock;
  {
    LogTailer tailer({log}, FromStart(), {}, clock);
    EXPECT_THAT(Drain(tailer), ElementsAre("line-1", "line-2"));
    db.Save(tailer.Positions());
  }
  Append(log, "line-3\n");
  Write(log + "-20261125", ReadAll(log));
  Write(log, "line-4\nline-5\nline-6\n");  // truncated and written past our offset
  LogTailer tailer({log}, FromStart(), db.Load(), clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("line-3", "line-4", "line-5", "line-6"));
}

TEST(LogTailer, InodeReuseWithOtherFirstBytesIsANewFile) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  Write(log, "fresh-1\nfresh-2\n");
  // A saved position naming this very inode, but of a file that began differently (the old
  // file was deleted while stopped and its inode reused).
  LogPosition saved{log, 0, InodeOf(log), 8, "stale-1\n"};
  struct stat st;
  ASSERT_EQ(stat(log.c_str(), &st), 0);
  saved.device = static_cast<uint64_t>(st.st_dev);
  FakeClock clock;
  LogTailer tailer({log}, TailerOptions(), {saved}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("fresh-1", "fresh-2"));
}

TEST(LogTailer, DeletedFileIsFinishedAndClosed) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "1\n", 2), 2);
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("1"));
  ASSERT_EQ(write(fd, "2\n", 2), 2);
  ASSERT_EQ(unlink(log.c_str()), 0);
  close(fd);
  EXPECT_THAT(Drain(tailer), ElementsAre("2"));
  clock.Advance(absl::Seconds(6));
  EXPECT_THAT(Drain(tailer), IsEmpty());
  std::vector<LogPosition> positions = tailer.Positions();
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].inode, 0u);  // known path, nothing open
  EXPECT_EQ(tailer.counters().rotations, 0);
  Write(log, "again\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("again"));
}

TEST(LogTailer, UnreadablePathIsCountedOnceAndOthersGoOn) {
  ScopedTempDir dir;
  const std::string bad = dir.path() + "/dir.log";
  ASSERT_EQ(mkdir(bad.c_str(), 0755), 0);
  const std::string good = dir.path() + "/good.log";
  Write(good, "ok\n");
  std::vector<std::string> patterns = {bad, good};
  std::string locked;
  if (geteuid() != 0) {  // root reads any file anyway
    locked = dir.path() + "/locked.log";
    Write(locked, "secret\n");
    ASSERT_EQ(chmod(locked.c_str(), 0), 0);
    patterns.push_back(locked);
  }
  FakeClock clock;
  LogTailer tailer(patterns, FromStart(), {}, clock);
  EXPECT_THAT(Drain(tailer), ElementsAre("ok"));
  const int64_t expected = locked.empty() ? 1 : 2;
  EXPECT_EQ(tailer.counters().read_errors, expected);
  Append(good, "ok2\n");
  EXPECT_THAT(Drain(tailer), ElementsAre("ok2"));
  EXPECT_EQ(tailer.counters().read_errors, expected);
}

TEST(LogTailer, PollStopsNearItsByteBudget) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  std::string text;
  for (int i = 0; i < 1000; ++i) text += absl::StrFormat("%09d\n", i);  // 10 000 bytes
  Write(log, text);
  FakeClock clock;
  TailerOptions options = FromStart();
  options.read_chunk_bytes = 1000;
  LogTailer tailer({log}, options, {}, clock);
  int64_t count = 0;
  EXPECT_EQ(tailer.Poll([&](const LogLine&) { ++count; }, 2500), 3000);
  EXPECT_EQ(count, 300);
  EXPECT_EQ(tailer.Positions()[0].offset, 3000);
  EXPECT_EQ(Drain(tailer).size(), 700u);
}

TEST(LogTailer, ReadsPageCachedLinesFast) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  std::string block;
  for (int i = 0; i < 10000; ++i) {
    block += absl::StrFormat(
        "203.0.113.%d - - [25/Nov/2026:10:00:00 +0700] \"GET /berita?id=%d HTTP/1.1\" 200 "
        "5123 \"-\" \"Mozilla/5.0\"\n",
        i % 250, i);
  }
  {
    std::ofstream out(log, std::ios::binary);
    for (int i = 0; i < 20; ++i) out << block;
  }
  const int64_t size = static_cast<int64_t>(block.size()) * 20;
  FakeClock clock;
  LogTailer tailer({log}, FromStart(), {}, clock);
  int64_t lines = 0;
  int64_t bytes = 0;
  const absl::Time start = absl::Now();
  while (tailer.Poll([&](const LogLine& line) { ++lines, bytes += line.text.size(); },
                     64 << 20) > 0) {
  }
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(lines, 200000);
  EXPECT_EQ(bytes + lines, size);
  // Reported, not asserted (a shared machine gives no timing guarantees).
  std::printf("read %.1f MB in %s: %.0f MB/s\n", size / 1e6, absl::FormatDuration(took).c_str(),
              size / 1e6 / absl::ToDoubleSeconds(took));
}

// ---- Real logrotate under write load ----

constexpr int kLineDigits = 9;

// Writes numbered lines to `path` until stopped, like a web server: O_APPEND, one write per
// line; with `reopen`, it reopens its log once the path names another file (what nginx does
// on USR1 after logrotate's rename + create).
class Writer {
 public:
  Writer(std::string path, bool reopen) : path_(std::move(path)), reopen_(reopen) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t written() const { return written_; }
  int reopens() const { return reopens_; }

 private:
  void Run() {
    int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    int64_t n = 0;
    while (!stop_) {
      std::string line = absl::StrFormat("%0*d GET /perkara/%d HTTP/1.1 200 padding-padding\n",
                                         kLineDigits, n, n % 977);
      if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
      written_ = ++n;
      if (reopen_ && n % 16 == 0) {
        struct stat path_st, fd_st;
        if (stat(path_.c_str(), &path_st) == 0 && fstat(fd, &fd_st) == 0 &&
            path_st.st_ino != fd_st.st_ino) {
          close(fd);
          fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
          if (fd < 0) return;
          ++reopens_;
        }
      }
      if (n % 64 == 0) absl::SleepFor(absl::Microseconds(500));  // load shaping only
    }
    close(fd);
  }

  std::string path_;
  bool reopen_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> written_{0};
  std::atomic<int> reopens_{0};
  std::thread thread_;
};

// What the tailers handed over, by line number.
struct Handed {
  absl::Mutex mu;
  std::map<int64_t, int> count ABSL_GUARDED_BY(mu);
  int64_t malformed ABSL_GUARDED_BY(mu) = 0;

  void Add(absl::string_view text) {
    int64_t n;
    absl::MutexLock lock(&mu);
    if (text.size() < kLineDigits || !absl::SimpleAtoi(text.substr(0, kLineDigits), &n)) {
      ++malformed;
      return;
    }
    ++count[n];
  }
};

// One run of the agent: loads positions, tails until stopped, saves positions on the way out.
class TailerRun {
 public:
  TailerRun(const std::string& log, const std::string& db_path, FakeClock& clock,
            std::atomic<bool>& may_advance, Handed& handed)
      : log_(log), db_(db_path), clock_(clock), may_advance_(may_advance), handed_(handed) {
    thread_ = std::thread([this] { Run(); });
  }
  ~TailerRun() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  TailerCounters counters() {
    absl::MutexLock lock(&mu_);
    return counters_;
  }

 private:
  void Run() {
    TailerOptions options = FromStart();
    options.read_chunk_bytes = 64 * 1024;
    LogTailer tailer({log_}, options, db_.Load(), clock_);
    auto sink = [&](const LogLine& line) { handed_.Add(line.text); };
    while (!stop_) {
      if (tailer.Poll(sink, 1 << 20) == 0) {
        // Idle: time passes (fake), so rotated files that stay quiet get closed.
        if (may_advance_) clock_.Advance(absl::Milliseconds(200));
        absl::SleepFor(absl::Milliseconds(1));  // poll interval
      }
      absl::MutexLock lock(&mu_);
      counters_ = tailer.counters();
    }
    db_.Save(tailer.Positions());
  }

  std::string log_;
  PositionsDb db_;
  FakeClock& clock_;
  std::atomic<bool>& may_advance_;
  Handed& handed_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  TailerCounters counters_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Line numbers in every file left on disk (the log and its rotated copies).
std::map<int64_t, int> NumbersOnDisk(const std::string& dir, int* files) {
  std::map<int64_t, int> on_disk;
  *files = 0;
  for (int i = -1; i < 100; ++i) {
    std::string path = dir + "/access.log" + (i < 0 ? "" : absl::StrCat(".", i));
    std::ifstream in(path);
    if (!in) continue;
    ++*files;
    std::string line;
    while (std::getline(in, line)) {
      int64_t n;
      if (line.size() >= kLineDigits && absl::SimpleAtoi(line.substr(0, kLineDigits), &n)) {
        ++on_disk[n];
      }
    }
  }
  return on_disk;
}

void RunLogrotateUnderLoad(bool copytruncate) {
  ScopedTempDir dir;
  const std::string log = dir.path() + "/access.log";
  const std::string conf = dir.path() + "/logrotate.conf";
  Write(conf, absl::StrCat(log, " {\n  rotate 50\n  ", copytruncate ? "copytruncate" : "create",
                           "\n  missingok\n  nocompress\n}\n"));
  ASSERT_EQ(chmod(conf.c_str(), 0644), 0);
  const std::string db_path = dir.path() + "/spool.db";
  FakeClock clock;
  std::atomic<bool> may_advance{true};
  Handed handed;
  Writer writer(log, /*reopen=*/!copytruncate);
  ASSERT_TRUE(Eventually([&] { return writer.written() > 0; }));
  auto run = std::make_unique<TailerRun>(log, db_path, clock, may_advance, handed);
  constexpr int kRotations = 6;
  constexpr int64_t kLinesBetween = 4000;
  // The first line number written to the current file since the last rotation. As in
  // production (polls every second, rotations daily), the tailer must have seen a file before
  // it is rotated again: a file created and rotated away between two Polls is not found.
  int64_t first_in_current = 0;
  auto tailer_reached = [&](int64_t n) {
    absl::MutexLock lock(&handed.mu);
    return !handed.count.empty() && handed.count.rbegin()->first >= n;
  };
  for (int r = 1; r <= kRotations; ++r) {
    const int64_t target = writer.written() + kLinesBetween;
    ASSERT_TRUE(Eventually([&] { return writer.written() >= target; }));
    ASSERT_TRUE(Eventually([&] { return tailer_reached(first_in_current); }, absl::Seconds(120)));
    if (r == 3 || r == 5) run.reset();  // agent stopped: positions saved to SQLite
    // Rename mode: the old file must not be closed (fake time) before the writer reopened.
    may_advance = copytruncate;
    absl::StatusOr<CommandResult> result = RunCommand(
        {"/usr/sbin/logrotate", "-s", dir.path() + "/logrotate.state", "-f", conf});
    ASSERT_THAT(result, IsOk());
    ASSERT_EQ(result->exit_code, 0) << result->output;
    if (r == 3) run = std::make_unique<TailerRun>(log, db_path, clock, may_advance, handed);
    if (!copytruncate) {
      ASSERT_TRUE(Eventually([&] { return writer.reopens() >= r; }));
    }
    first_in_current = writer.written();
    may_advance = true;
    if (r == 5) {  // restarted only once the writer already moved on
      run = std::make_unique<TailerRun>(log, db_path, clock, may_advance, handed);
    }
  }
  const int64_t target = writer.written() + kLinesBetween;
  ASSERT_TRUE(Eventually([&] { return writer.written() >= target; }));
  writer.Stop();
  const int64_t written = writer.written();

  int files = 0;
  const std::map<int64_t, int> on_disk = NumbersOnDisk(dir.path(), &files);
  EXPECT_EQ(files, kRotations + 1);
  for (const auto& [n, c] : on_disk) ASSERT_EQ(c, 1) << "line " << n << " on disk twice";
  auto all_on_disk_handed = [&] {
    absl::MutexLock lock(&handed.mu);
    for (const auto& [n, c] : on_disk) {
      if (handed.count.count(n) == 0) return false;
    }
    return true;
  };
  EXPECT_TRUE(Eventually(all_on_disk_handed, absl::Seconds(120)));
  // Let quiet rotated files close, and make sure nothing is handed over a second time.
  ASSERT_TRUE(Eventually([&] { return run->counters().bytes > 0; }));
  const absl::Time until = clock.Now() + absl::Seconds(30);
  ASSERT_TRUE(Eventually([&] { return clock.Now() >= until; }, absl::Seconds(120)));
  const TailerCounters counters = run->counters();
  run.reset();

  absl::MutexLock lock(&handed.mu);
  EXPECT_EQ(handed.malformed, 0);
  int64_t duplicates = 0;
  int64_t missing = 0;
  for (const auto& [n, c] : handed.count) {
    if (c != 1) ++duplicates;
  }
  for (const auto& [n, c] : on_disk) {
    if (handed.count.count(n) == 0) ++missing;
  }
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(missing, 0);
  if (missing > 0) {  // which stretches, to tell a lost file from lost lines
    int64_t shown = 0;
    for (auto it = on_disk.begin(); it != on_disk.end() && shown < 10; ++it) {
      if (handed.count.count(it->first) > 0) continue;
      const int64_t begin = it->first;
      int64_t end = it->first;
      while (std::next(it) != on_disk.end() && handed.count.count(std::next(it)->first) == 0) {
        ++it;
        end = it->first;
      }
      ADD_FAILURE() << "missing lines " << begin << ".." << end;
      ++shown;
    }
  }
  int64_t not_on_disk_handed = 0;
  for (const auto& [n, c] : handed.count) {
    if (on_disk.count(n) == 0) ++not_on_disk_handed;
  }
  const int64_t lost_by_logrotate = written - static_cast<int64_t>(on_disk.size());
  if (!copytruncate) {
    EXPECT_EQ(lost_by_logrotate, 0);
    EXPECT_EQ(static_cast<int64_t>(handed.count.size()), written);
  }
  std::printf(
      "%s: %lld lines written, %lld on disk in %d files, %zu handed, lost by logrotate %lld "
      "(of which handed anyway %lld); last run saw rotations=%lld truncations=%lld\n",
      copytruncate ? "copytruncate" : "create", static_cast<long long>(written),
      static_cast<long long>(on_disk.size()), files, handed.count.size(),
      static_cast<long long>(lost_by_logrotate), static_cast<long long>(not_on_disk_handed),
      static_cast<long long>(counters.rotations), static_cast<long long>(counters.truncations));
}

TEST(LogTailerLogrotate, RenameAndCreateUnderLoadWithRestartsLosesNothing) {
  RunLogrotateUnderLoad(/*copytruncate=*/false);
}

TEST(LogTailerLogrotate, CopytruncateUnderLoadWithRestartsHandsOverEachLineOnce) {
  RunLogrotateUnderLoad(/*copytruncate=*/true);
}

}  // namespace
}  // namespace pantau::agent::logwatch
