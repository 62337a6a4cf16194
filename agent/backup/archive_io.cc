#include "agent/backup/archive_io.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "agent/backup/manifest.h"

namespace pantau::agent::backup {
namespace {

// Compressed output is collected to this size before write(2) to each medium.
constexpr size_t kWriteBuffer = size_t{4} << 20;

std::string Errno(int e) { return strerror(e); }

// 0, or the errno of the failed write.
int WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

void SetTimes(archive_entry* e, int64_t mtime_ns) {
  archive_entry_set_mtime(e, mtime_ns / 1000000000, static_cast<long>(mtime_ns % 1000000000));
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Sha256::Sha256() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  ctx_ = ctx;
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
}
std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot open ", dir, ": ", Errno(errno)));
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat("fsync ", dir, ": ", Errno(e)));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(
    const std::vector<std::string>& media, const std::string& id, int compression_level,
    int threads) {
  std::unique_ptr<ArchiveWriter> w(new ArchiveWriter());
  w->id_ = id;
  w->media_ = media;
  for (const std::string& medium : media) {
    std::string tmp = absl::StrCat(medium, "/", id, ".tar.zst.tmp");
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", tmp, " on medium ", medium, ": ", Errno(errno)));
    }
    w->fds_.push_back(fd);
    w->tmp_paths_.push_back(tmp);
    w->final_paths_.push_back(absl::StrCat(medium, "/", id, ".tar.zst"));
  }
  w->buffer_.reserve(kWriteBuffer);
  w->archive_ = archive_write_new();
  w->entry_ = archive_entry_new();
  archive* a = w->archive_;
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
      archive_write_set_filter_option(a, "zstd", "compression-level",
                                      std::to_string(compression_level).c_str()) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("libarchive setup: ", archive_error_string(a)));
  }
  if (threads > 0) {
    // Accepted by libarchive >= 3.6 with a multithreaded libzstd; without it we stay on one.
    archive_write_set_filter_option(a, "zstd", "threads", std::to_string(threads).c_str());
  }
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open2(a, w.get(), nullptr, &ArchiveWriter::WriteCallback, nullptr, nullptr) !=
      ARCHIVE_OK) {
    return w->Error("open");
  }
  return w;
}

ArchiveWriter::~ArchiveWriter() {
  if (archive_ != nullptr) {
    if (!closed_) {
      // Abandoned: close normally (archive_write_fail would leak libarchive's buffers) with
      // the callback throwing the rest of the stream away.
      discard_ = true;
      archive_write_close(archive_);
    }
    archive_write_free(archive_);
  }
  if (entry_ != nullptr) archive_entry_free(entry_);
  for (int fd : fds_) close(fd);
  if (!committed_) RemoveTemporaries();
}

void ArchiveWriter::RemoveTemporaries() {
  for (const std::string& p : tmp_paths_) unlink(p.c_str());
  for (const std::string& m : media_) {
    unlink(absl::StrCat(m, "/", id_, ".manifest.tsv.tmp").c_str());
    unlink(absl::StrCat(m, "/", id_, ".manifest.sha256.tmp").c_str());
  }
}

long ArchiveWriter::WriteCallback(archive* a, void* self, const void* buffer, size_t length) {
  auto* w = static_cast<ArchiveWriter*>(self);
  if (w->discard_) return static_cast<long>(length);
  w->buffer_.append(static_cast<const char*>(buffer), length);
  if (w->buffer_.size() >= kWriteBuffer) {
    absl::Status s = w->FlushBuffer();
    if (!s.ok()) {
      archive_set_error(a, EIO, "%s", w->write_error_.c_str());
      return -1;
    }
  }
  return static_cast<long>(length);
}

absl::Status ArchiveWriter::FlushBuffer() {
  if (!write_error_.empty()) return absl::UnavailableError(write_error_);
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (int e = WriteAll(fds_[i], buffer_.data(), buffer_.size()); e != 0) {
      if (e == ENOSPC || e == EDQUOT) {
        write_error_ = absl::StrCat("medium ", media_[i], " is full: ", Errno(e), " (writing ",
                                    tmp_paths_[i], " after ", bytes_written_ >> 20, " MiB)");
      } else {
        write_error_ = absl::StrCat("cannot write ", tmp_paths_[i], " on medium ", media_[i],
                                    ": ", Errno(e));
      }
      return absl::UnavailableError(write_error_);
    }
  }
  // Start write-back of this chunk now, and wait for the one before it and drop it from the
  // page cache: the disk writes while we compress (the final fsync has little left to do),
  // the cache does not fill with archive pages, and verification reads the medium, not memory.
  const off_t offset = static_cast<off_t>(bytes_written_);
  const off_t length = static_cast<off_t>(buffer_.size());
  for (int fd : fds_) {
    sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
    if (offset >= static_cast<off_t>(kWriteBuffer)) {
      const off_t previous = offset - static_cast<off_t>(kWriteBuffer);
      sync_file_range(fd, previous, static_cast<off_t>(kWriteBuffer),
                      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                          SYNC_FILE_RANGE_WAIT_AFTER);
      posix_fadvise(fd, previous, static_cast<off_t>(kWriteBuffer), POSIX_FADV_DONTNEED);
    }
  }
  bytes_written_ += static_cast<int64_t>(buffer_.size());
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status ArchiveWriter::Error(absl::string_view what) {
  if (!write_error_.empty()) return absl::UnavailableError(write_error_);
  const char* msg = archive_error_string(archive_);
  return absl::InternalError(
      absl::StrCat("writing archive ", id_, " (", what, "): ", msg ? msg : "unknown error"));
}

absl::Status ArchiveWriter::AddDirectory(const std::string& path, uint32_t mode,
                                         int64_t mtime_ns, uint32_t uid, uint32_t gid) {
  archive_entry_clear(entry_);
  archive_entry_set_pathname(entry_, path.c_str());
  archive_entry_set_filetype(entry_, AE_IFDIR);
  archive_entry_set_perm(entry_, mode & 07777);
  SetTimes(entry_, mtime_ns);
  archive_entry_set_uid(entry_, uid);
  archive_entry_set_gid(entry_, gid);
  if (archive_write_header(archive_, entry_) != ARCHIVE_OK) return Error(path);
  return absl::OkStatus();
}

absl::Status ArchiveWriter::AddSymlink(const std::string& path, const std::string& target,
                                       uint32_t mode, int64_t mtime_ns, uint32_t uid,
                                       uint32_t gid) {
  archive_entry_clear(entry_);
  archive_entry_set_pathname(entry_, path.c_str());
  archive_entry_set_filetype(entry_, AE_IFLNK);
  archive_entry_set_perm(entry_, mode & 07777);
  archive_entry_set_symlink(entry_, target.c_str());
  SetTimes(entry_, mtime_ns);
  archive_entry_set_uid(entry_, uid);
  archive_entry_set_gid(entry_, gid);
  if (archive_write_header(archive_, entry_) != ARCHIVE_OK) return Error(path);
  return absl::OkStatus();
}

absl::Status ArchiveWriter::BeginFile(const std::string& path, int64_t size, uint32_t mode,
                                      int64_t mtime_ns, uint32_t uid, uint32_t gid) {
  archive_entry_clear(entry_);
  archive_entry_set_pathname(entry_, path.c_str());
  archive_entry_set_filetype(entry_, AE_IFREG);
  archive_entry_set_perm(entry_, mode & 07777);
  archive_entry_set_size(entry_, size);
  SetTimes(entry_, mtime_ns);
  archive_entry_set_uid(entry_, uid);
  archive_entry_set_gid(entry_, gid);
  if (archive_write_header(archive_, entry_) != ARCHIVE_OK) return Error(path);
  return absl::OkStatus();
}

absl::Status ArchiveWriter::Write(const char* data, size_t size) {
  while (size > 0) {
    la_ssize_t n = archive_write_data(archive_, data, size);
    if (n < 0) return Error("data");
    if (n == 0) return Error("data (no progress)");
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status ArchiveWriter::AddFile(const std::string& path, absl::string_view data,
                                    uint32_t mode, int64_t mtime_ns) {
  if (absl::Status s = BeginFile(path, static_cast<int64_t>(data.size()), mode, mtime_ns);
      !s.ok()) {
    return s;
  }
  return Write(data.data(), data.size());
}

absl::Status ArchiveWriter::Commit(absl::string_view manifest_tsv) {
  closed_ = true;
  if (archive_write_close(archive_) != ARCHIVE_OK) return Error("close");
  if (absl::Status s = FlushBuffer(); !s.ok()) return s;
  const std::string manifest_sum =
      absl::StrCat(Sha256Hex(manifest_tsv), "  ", id_, ".manifest.tsv\n");
  for (size_t i = 0; i < fds_.size(); ++i) {
    const std::string& medium = media_[i];
    if (fsync(fds_[i]) != 0) {
      int e = errno;
      if (e == ENOSPC || e == EDQUOT) {
        return absl::UnavailableError(absl::StrCat("medium ", medium, " is full: ", Errno(e)));
      }
      return absl::UnavailableError(absl::StrCat("fsync ", tmp_paths_[i], ": ", Errno(e)));
    }
    // All of it is on the medium now: drop it from the page cache, so that verification reads
    // the medium rather than memory.
    posix_fadvise(fds_[i], 0, 0, POSIX_FADV_DONTNEED);
    for (const auto& [name, text] :
         {std::pair<std::string, absl::string_view>{".manifest.tsv", manifest_tsv},
          std::pair<std::string, absl::string_view>{".manifest.sha256", manifest_sum}}) {
      std::string tmp = absl::StrCat(medium, "/", id_, name, ".tmp");
      int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create ", tmp, ": ", Errno(errno)));
      int e = WriteAll(fd, text.data(), text.size());
      if (e == 0 && fsync(fd) != 0) e = errno;
      close(fd);
      if (e != 0) {
        if (e == ENOSPC || e == EDQUOT) {
          return absl::UnavailableError(absl::StrCat("medium ", medium, " is full: ", Errno(e)));
        }
        return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", Errno(e)));
      }
    }
  }
  // What is renamed into place so far: on a failure (medium 2 after medium 1) these are
  // removed again, so no medium keeps a complete-looking archive of a failed run.
  std::vector<std::string> renamed;
  auto fail = [&renamed](absl::Status status) {
    for (const std::string& path : renamed) unlink(path.c_str());
    return status;
  };
  for (size_t i = 0; i < fds_.size(); ++i) {
    const std::string& medium = media_[i];
    for (const char* name : {".manifest.tsv", ".manifest.sha256"}) {
      std::string base = absl::StrCat(medium, "/", id_, name);
      if (rename((base + ".tmp").c_str(), base.c_str()) != 0) {
        return fail(absl::UnavailableError(absl::StrCat("rename ", base, ": ", Errno(errno))));
      }
      renamed.push_back(base);
    }
    if (rename(tmp_paths_[i].c_str(), final_paths_[i].c_str()) != 0) {
      return fail(
          absl::UnavailableError(absl::StrCat("rename ", final_paths_[i], ": ", Errno(errno))));
    }
    renamed.push_back(final_paths_[i]);
    if (absl::Status s = SyncDirectory(Dirname(final_paths_[i])); !s.ok()) return fail(s);
  }
  committed_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(const std::string& path) {
  std::unique_ptr<ArchiveReader> r(new ArchiveReader());
  r->path_ = path;
  r->archive_ = archive_read_new();
  archive_read_support_filter_zstd(r->archive_);
  archive_read_support_format_tar(r->archive_);
  if (archive_read_open_filename(r->archive_, path.c_str(), size_t{1} << 20) != ARCHIVE_OK) {
    return absl::NotFoundError(
        absl::StrCat("cannot open archive ", path, ": ", archive_error_string(r->archive_)));
  }
  return r;
}

ArchiveReader::~ArchiveReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

absl::StatusOr<bool> ArchiveReader::Next(Header* h) {
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(archive_, &e);
  if (rc == ARCHIVE_EOF) return false;
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    return absl::DataLossError(
        absl::StrCat("archive ", path_, " is damaged: ", archive_error_string(archive_)));
  }
  const char* name = archive_entry_pathname(e);
  h->path = name ? name : "";
  while (!h->path.empty() && h->path.back() == '/') h->path.pop_back();
  if (h->path.rfind("./", 0) == 0) h->path.erase(0, 2);
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: h->type = 'f'; break;
    case AE_IFDIR: h->type = 'd'; break;
    case AE_IFLNK: h->type = 'l'; break;
    default: h->type = '?';
  }
  h->size = archive_entry_size(e);
  h->mode = archive_entry_perm(e);
  h->mtime_ns = int64_t{archive_entry_mtime(e)} * 1000000000 + archive_entry_mtime_nsec(e);
  const char* link = archive_entry_symlink(e);
  h->link = link ? link : "";
  return true;
}

absl::StatusOr<size_t> ArchiveReader::Read(char* buffer, size_t size) {
  la_ssize_t n = archive_read_data(archive_, buffer, size);
  if (n < 0) {
    return absl::DataLossError(
        absl::StrCat("archive ", path_, " is damaged: ", archive_error_string(archive_)));
  }
  return static_cast<size_t>(n);
}

}  // namespace pantau::agent::backup
