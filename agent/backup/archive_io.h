// Writing one .tar.zst stream to several media at once, and reading one back. Internal to
// agent/backup.
#ifndef PANTAU_AGENT_BACKUP_ARCHIVE_IO_H_
#define PANTAU_AGENT_BACKUP_ARCHIVE_IO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct archive;
struct archive_entry;

namespace pantau::agent::backup {

// The pax-format, zstd-compressed tar stream of one backup, written as
// <medium>/<id>.tar.zst.tmp on every medium and renamed by Commit(). Destroying it without a
// successful Commit() removes the temporary files. Not thread-safe.
class ArchiveWriter {
 public:
  // `threads` > 0 runs zstd compression on that many worker threads (off the caller's).
  static absl::StatusOr<std::unique_ptr<ArchiveWriter>> Create(
      const std::vector<std::string>& media, const std::string& id, int compression_level,
      int threads);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Entries carry numeric owners (no names): GNU tar run as root restores them.
  absl::Status AddDirectory(const std::string& path, uint32_t mode, int64_t mtime_ns,
                            uint32_t uid = 0, uint32_t gid = 0);
  absl::Status AddSymlink(const std::string& path, const std::string& target, uint32_t mode,
                          int64_t mtime_ns, uint32_t uid = 0, uint32_t gid = 0);
  // A regular file of exactly `size` bytes, then Write() calls totalling `size` bytes.
  absl::Status BeginFile(const std::string& path, int64_t size, uint32_t mode, int64_t mtime_ns,
                         uint32_t uid = 0, uint32_t gid = 0);
  absl::Status Write(const char* data, size_t size);
  absl::Status AddFile(const std::string& path, absl::string_view data, uint32_t mode,
                       int64_t mtime_ns);

  // Ends the stream, writes the sidecars <id>.manifest.tsv and <id>.manifest.sha256 (as .tmp),
  // fsyncs the files, renames them into place (the archive last) and fsyncs the directories.
  absl::Status Commit(absl::string_view manifest_tsv);

  // Compressed bytes written to each medium so far.
  int64_t bytes_written() const { return bytes_written_; }
  const std::vector<std::string>& archive_paths() const { return final_paths_; }

 private:
  ArchiveWriter() = default;
  static long WriteCallback(archive* a, void* self, const void* buffer, size_t length);
  absl::Status FlushBuffer();
  absl::Status Error(absl::string_view what);
  void RemoveTemporaries();

  std::vector<std::string> media_;
  std::vector<std::string> tmp_paths_;
  std::vector<std::string> final_paths_;
  std::vector<int> fds_;
  std::string id_;
  archive* archive_ = nullptr;
  archive_entry* entry_ = nullptr;
  std::string buffer_;
  int64_t bytes_written_ = 0;
  std::string write_error_;  // the medium's failure, preferred over libarchive's message
  bool committed_ = false;
  bool closed_ = false;
  bool discard_ = false;  // abandoning: output goes nowhere
};

// Reads a .tar.zst entry by entry. Not thread-safe.
class ArchiveReader {
 public:
  static absl::StatusOr<std::unique_ptr<ArchiveReader>> Open(const std::string& path);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  struct Header {
    std::string path;
    char type = 0;  // 'f' file, 'd' directory, 'l' symlink, '?' other
    int64_t size = 0;
    uint32_t mode = 0;
    int64_t mtime_ns = 0;
    std::string link;
  };
  // False at the end of the archive. A damaged archive is an error naming the path.
  absl::StatusOr<bool> Next(Header* header);
  // Bytes of the current entry; 0 at its end.
  absl::StatusOr<size_t> Read(char* buffer, size_t size);

 private:
  ArchiveReader() = default;
  std::string path_;
  archive* archive_ = nullptr;
};

// Hex SHA-256, incrementally.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  std::string HexDigest();  // once

 private:
  void* ctx_;
};

// fsync of a directory (after renames in it).
absl::Status SyncDirectory(const std::string& dir);

}  // namespace pantau::agent::backup

#endif  // PANTAU_AGENT_BACKUP_ARCHIVE_IO_H_
