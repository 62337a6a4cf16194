// The manifest of one backup archive (.pantau/manifest.tsv inside it and <id>.manifest.tsv
// beside it), and the `sha256sum -c` listing (.pantau/SHA256SUMS). Internal to agent/backup.
//
// manifest.tsv is UTF-8/byte text, one record per line, fields separated by TAB; in paths and
// link targets the bytes '\\', TAB, LF and CR are written as "\\\\", "\\t", "\\n", "\\r".
//   line 1:  #pantau-backup-manifest<TAB>1<TAB><id><TAB><kind><TAB><base_id>
//   then:    <type> <path> <size> <mode> <mtime_ns> <inode> <uid> <gid> <sha256> <holder> <link>
// type: "r" a backed-up root directory (path only, as in the archive), "d" a directory,
// "f" a regular file, "l" a symlink (link = its target), "p" one part of a database dump
// (databases/<name>.sql.partNNNNN), "db" a whole database dump as restored
// (databases/<name>.sql; size and sha256 of the joined parts; not an archive entry).
// mode is octal permission bits; mtime_ns nanoseconds since the epoch (-1: the file changed
// while it was read, so the next incremental copies it again); inode, uid and gid the source
// file's (a restore as root gives files back their owner); sha256 lowercase hex for "f", "p" and "db" (else "-"); holder the id of the
// archive that stores the entry (this archive's id, or for an incremental the full archive's
// id for unchanged files). Empty fields are written as "-".
#ifndef PANTAU_AGENT_BACKUP_MANIFEST_H_
#define PANTAU_AGENT_BACKUP_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pantau::agent::backup {

struct ManifestEntry {
  std::string type;  // r, d, f, l, p, db
  std::string path;  // archive path, no leading '/'
  int64_t size = 0;
  uint32_t mode = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string sha256;  // hex, or empty
  std::string holder;  // archive id storing it
  std::string link;    // symlink target
};

struct Manifest {
  std::string id;
  std::string kind;  // full, incremental
  std::string base_id;
  std::vector<ManifestEntry> entries;
};

std::string FormatManifest(const Manifest& manifest);
// InvalidArgument "manifest line N: ..." on anything malformed (the input may be hostile: a
// tampered medium).
absl::StatusOr<Manifest> ParseManifest(absl::string_view text);

// `sha256sum -c` lines ("<hex>  <path>"; GNU's backslash form for names with '\\' or LF/CR)
// for the entries of `manifest` stored in the archive `archive_id` ("f" and "p").
std::string FormatSha256Sums(const Manifest& manifest);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// True when `path` is safe to extract under a directory: relative, no "." or ".." parts, no
// empty parts, no NUL.
bool IsSafeArchivePath(absl::string_view path);

}  // namespace pantau::agent::backup

#endif  // PANTAU_AGENT_BACKUP_MANIFEST_H_
