// Follows log files given as paths or globs, like `tail -F` but exact across rotation and
// restarts:
//  - rename + create (logrotate's default): the old file, found by (device, inode), is read to
//    its end — including lines the web server still writes before it reopens its log — and
//    then the new file from its start;
//  - copytruncate: a file that got shorter, or whose first bytes changed, starts again at 0;
//    what was still unread of it is read from the rotated copy beside it (same first bytes,
//    found among the files in the same directory whose names start with the log's name);
//  - a restart: positions come back from SQLite (LoadLogPositions); a file rotated while the
//    agent was down is found by inode (or first bytes) next to the log and finished first.
// A line is handed over only when complete (a partial last line waits for its newline, or is
// handed over as it is once its file is rotated away and quiet). Lines longer than
// max_line_bytes are cut there (the rest up to the newline skipped) and counted. Bytes are
// passed as they are (invalid UTF-8 included).
//
//   LogTailer tailer({"/var/log/nginx/access.log"}, options, saved_positions, clock);
//   tailer.Poll([&](const LogLine& line) { ... }, 8 << 20);
//   SaveLogPositions(db, tailer.Positions());   // together with what the lines produced
#ifndef PANTAU_AGENT_LOGWATCH_TAILER_H_
#define PANTAU_AGENT_LOGWATCH_TAILER_H_

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace pantau::agent::logwatch {

// Where reading of one file stands. inode 0: a path known to the tailer with no file open
// (so a file appearing there while the agent is stopped is read from its start).
struct LogPosition {
  std::string path;          // the path it was opened under (the configured / globbed path)
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t offset = 0;        // bytes handed over (up to the end of the last complete line)
  std::string head;          // first bytes of the file (up to 64), to recognise it
};

struct TailerOptions {
  size_t max_line_bytes = 16 * 1024;
  size_t read_chunk_bytes = 256 * 1024;
  // Files seen for the first time when the agent starts with no saved position: read from
  // their end (true: only new lines, like fail2ban) or from their start (false). Files that
  // appear later (a glob matches a new file, a log is created after rotation) are always read
  // from their start.
  bool start_at_end = true;
  // A rotated-away file is closed once it has not grown for this long (its last partial line,
  // if any, is then handed over).
  absl::Duration rotated_quiet = absl::Seconds(5);
};

struct LogLine {
  absl::string_view text;    // without the newline
  const std::string* path;   // the file it came from
  bool truncated = false;    // longer than max_line_bytes; text is the first max_line_bytes
};

struct TailerCounters {
  int64_t lines = 0;
  int64_t bytes = 0;
  int64_t truncated_lines = 0;
  int64_t rotations = 0;     // rename+create seen
  int64_t truncations = 0;   // copytruncate (or another shrink) seen
  int64_t read_errors = 0;
};

// Not thread-safe.
class LogTailer {
 public:
  // `patterns`: paths or globs (glob(3)). `saved`: positions from LoadLogPositions (entries
  // for other paths are ignored). Nothing is opened until the first Poll.
  LogTailer(std::vector<std::string> patterns, TailerOptions options,
            std::vector<LogPosition> saved, const Clock& clock);
  ~LogTailer();

  // Reads what is new, at most about `max_bytes` in this call (so a large backlog does not
  // delay checkpoints), calling `sink` for each line in file order. Returns the bytes read;
  // 0 = nothing new. Errors of one file (permission denied, ...) are counted and logged once
  // per file and cause; they do not stop the others.
  int64_t Poll(const std::function<void(const LogLine&)>& sink, int64_t max_bytes);

  // Positions of every file followed (including rotated files not finished yet), as of the
  // last line handed to the sink.
  std::vector<LogPosition> Positions() const;
  const TailerCounters& counters() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// The positions table (log_positions) in one of the agent's SQLite databases — the spool's,
// so that positions commit in the same transaction as the events the lines produced.
absl::Status CreateLogPositionsTable(sqlite3* db);
absl::StatusOr<std::vector<LogPosition>> LoadLogPositions(sqlite3* db);
// Replaces the stored positions of these paths (and of rotated files they replace).
absl::Status SaveLogPositions(sqlite3* db, const std::vector<LogPosition>& positions);

}  // namespace pantau::agent::logwatch

#endif  // PANTAU_AGENT_LOGWATCH_TAILER_H_
