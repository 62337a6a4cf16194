#include "agent/integrity/site_scanner.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/utf8.h"

namespace pantau::agent::integrity {
namespace {

constexpr size_t kEvidenceBytes = 200;
constexpr size_t kDetailBytes = 1024;

std::string BaseName(absl::string_view rel) {
  const size_t slash = rel.rfind('/');
  return std::string(slash == absl::string_view::npos ? rel : rel.substr(slash + 1));
}

std::string Join(absl::string_view dir, absl::string_view name) {
  return dir.empty() ? std::string(name) : absl::StrCat(dir, "/", name);
}

std::string Hex(const unsigned char* data, unsigned int n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

struct Content {
  std::string sha256;
  std::string head;  // kept only when wanted
  std::string tail;  // only when the file is larger than max_read
  int64_t bytes_read = 0;
};

// Reads and hashes a regular file without following a final symlink and without blocking
// on a FIFO that replaced it.
absl::StatusOr<Content> ReadContent(const std::string& full, int64_t max_read, bool want_text) {
  const int fd = open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string message = absl::StrCat("cannot open ", full, ": ", strerror(err));
    return err == ENOENT || err == ELOOP ? absl::NotFoundError(message)
                                         : absl::UnavailableError(message);
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat(full, " is no longer a regular file"));
  }
  const int64_t size = st.st_size;
  Content out;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("cannot initialise SHA-256");
  }
  // No bigger than the file: most web files are small, and a rescan after an inotify overflow
  // reads thousands of them (a 256 KiB buffer zeroed per file cost more than the reads).
  std::string buffer(static_cast<size_t>(std::clamp<int64_t>(size, 1, 256 * 1024)), '\0');
  auto read_at = [&](int64_t offset, int64_t len, std::string* keep, bool hash) -> absl::Status {
    while (len > 0) {
      const ssize_t n = pread(fd, buffer.data(),
                              static_cast<size_t>(std::min<int64_t>(len, buffer.size())), offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(absl::StrCat("cannot read ", full, ": ", strerror(errno)));
      }
      if (n == 0) break;  // shrank while reading
      if (hash) EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
      if (keep != nullptr) keep->append(buffer.data(), static_cast<size_t>(n));
      out.bytes_read += n;
      offset += n;
      len -= n;
    }
    return absl::OkStatus();
  };
  const bool partial = size > kFullHashMaxBytes;
  if (!partial) {
    // Whole file through the hash; keep its start for the signatures.
    const int64_t head_len = std::min(size, max_read);
    PANTAU_RETURN_IF_ERROR(read_at(0, head_len, want_text ? &out.head : nullptr, true));
    PANTAU_RETURN_IF_ERROR(read_at(head_len, size - head_len, nullptr, true));
    if (want_text && size > max_read) {
      PANTAU_RETURN_IF_ERROR(read_at(size - max_read, max_read, &out.tail, false));
    }
  } else {
    // Bounded: size, head and tail only.
    const std::string size_text = absl::StrCat(size, ":");
    EVP_DigestUpdate(ctx.get(), size_text.data(), size_text.size());
    std::string head, tail;
    PANTAU_RETURN_IF_ERROR(read_at(0, max_read, &head, true));
    PANTAU_RETURN_IF_ERROR(read_at(size - max_read, max_read, &tail, true));
    if (want_text) {
      out.head = std::move(head);
      out.tail = std::move(tail);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &md_len);
  out.sha256 = (partial ? "p:" : "") + Hex(md, md_len);
  return out;
}

EntryType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return EntryType::kFile;
  if (S_ISDIR(mode)) return EntryType::kDir;
  if (S_ISLNK(mode)) return EntryType::kSymlink;
  return EntryType::kOther;
}

FileState FromStat(const std::string& rel, const struct stat& st) {
  FileState f;
  f.path = rel;
  f.type = TypeOf(st.st_mode);
  f.size = f.type == EntryType::kDir ? 0 : st.st_size;
  f.mode = st.st_mode;
  f.uid = st.st_uid;
  f.gid = st.st_gid;
  f.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  f.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  f.inode = static_cast<int64_t>(st.st_ino);
  return f;
}

bool SameStat(const FileState& a, const FileState& b) {
  return a.type == b.type && a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode &&
         a.ctime_ns == b.ctime_ns && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid;
}

std::string ShortHash(const std::string& sha) { return sha.substr(0, sha.rfind(':') + 1 + 12); }

bool IsIndex(absl::string_view name) {
  return absl::StartsWithIgnoreCase(name, "index.") && name.size() > 6;
}

}  // namespace

bool IsExecutableScript(absl::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return false;
  const std::string ext = absl::AsciiStrToLower(name.substr(dot + 1));
  static const char* const kExts[] = {"php",  "phtml", "php3", "php4", "php5", "php6", "php7",
                                      "php8", "phar",  "cgi",  "pl",   "py",   "sh",   "jsp",
                                      "asp",  "aspx",  "pht",  "phps", "jspx", "ashx"};
  for (const char* e : kExts) {
    if (ext == e) return true;
  }
  return false;
}

bool IsUnderUploadDir(absl::string_view rel, const std::vector<std::string>& upload_dirs) {
  for (const std::string& raw : upload_dirs) {
    absl::string_view dir = raw;
    while (absl::ConsumePrefix(&dir, "/") || absl::ConsumePrefix(&dir, "./")) {
    }
    while (absl::ConsumeSuffix(&dir, "/")) {
    }
    if (dir.empty()) continue;
    if (rel.size() > dir.size() && rel[dir.size()] == '/' &&
        absl::StartsWithIgnoreCase(rel, dir)) {
      return true;
    }
  }
  return false;
}

bool IsVerificationFile(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (absl::StartsWith(lower, "google") && absl::EndsWith(lower, ".html")) return true;
  if (lower == "bingsiteauth.xml") return true;
  if (absl::StartsWith(lower, "yandex_") && absl::EndsWith(lower, ".html")) return true;
  if (absl::StartsWith(lower, "baidu_verify_") && absl::EndsWith(lower, ".html")) return true;
  return false;
}

std::string HumanMode(int64_t mode) { return absl::StrFormat("%04o", mode & 07777); }

SiteScanner::SiteScanner(const SiteConfig& site, std::shared_ptr<const SignatureSet> signatures,
                         IntegrityStore* store)
    : site_(site), signatures_(std::move(signatures)), store_(store) {
  // A web root that is itself a symlink (/var/www/html -> /srv/www) is followed once here;
  // nothing below it is.
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(site_.web_root, ec);
  if (!ec) site_.web_root = real.string();
}

bool SiteScanner::Excluded(absl::string_view rel, absl::string_view name) const {
  const std::string rel_s(rel), name_s(name);
  for (const std::string& pattern : site_.integrity.exclude) {
    if (fnmatch(pattern.c_str(), rel_s.c_str(), 0) == 0) return true;
    if (fnmatch(pattern.c_str(), name_s.c_str(), 0) == 0) return true;
  }
  return false;
}

absl::StatusOr<ScanResult> SiteScanner::Scan(const std::string& rel, bool descend, ScanMode mode,
                                             int64_t now_ms) {
  const std::string& root = site_.web_root;
  const IntegrityConfig& cfg = site_.integrity;
  ScanResult result;
  PANTAU_ASSIGN_OR_RETURN(auto baseline, store_->LoadFiles(site_.id, rel));
  int64_t absorb_before_ns = INT64_MAX;
  if (mode == ScanMode::kMaintenance) {
    PANTAU_ASSIGN_OR_RETURN(auto window, store_->Maintenance(site_.id));
    if (window.has_value() && window->until_ms < INT64_MAX / 1000000) {
      absorb_before_ns = window->until_ms * 1000000;
    } else if (!window.has_value()) {
      absorb_before_ns = INT64_MIN;  // the window was cleared meanwhile: report everything
    }
  }
  SiteChanges changes;
  absl::flat_hash_set<std::string> seen;

  auto add_finding = [&](const std::string& path, const char* kind,
                         v1::Finding::Severity severity, const std::string& detail,
                         absl::string_view evidence) {
    StoredFinding f;
    f.path = path;
    f.kind = kind;
    f.severity = severity;
    f.detail = ClampUtf8(detail, kDetailBytes);
    f.evidence = ClampUtf8(evidence, kEvidenceBytes);
    f.first_seen_ms = now_ms;
    changes.findings.push_back(std::move(f));
    ++result.findings;
  };

  // Looks at one entry that exists: compares with the baseline, hashes and searches it when
  // its content may have changed.
  auto visit = [&](const std::string& entry_rel, const struct stat& st) {
    ++result.entries;
    seen.insert(entry_rel);
    FileState now = FromStat(entry_rel, st);
    // Every directory is reported for watches, changed or not: after a restart the baseline
    // matches and the monitor still has to watch each of them.
    if (now.type == EntryType::kDir) result.dirs.push_back(entry_rel);
    auto it = baseline.find(entry_rel);
    const FileState* old = it == baseline.end() ? nullptr : &it->second;
    if (old != nullptr && SameStat(*old, now)) return;
    // In a maintenance window only what changed before its end is absorbed; a later change
    // (the agent was down when the window ended) is reported as usual.
    const ScanMode entry_mode =
        mode == ScanMode::kMaintenance && now.ctime_ns >= absorb_before_ns ? ScanMode::kReport
                                                                           : mode;
    const std::string name = BaseName(entry_rel);
    const std::string full = Join(root, entry_rel);
    // A file whose earlier read failed has no hash (see below): it counts as new.
    const bool unread = old != nullptr && old->type == EntryType::kFile && old->sha256.empty();
    bool content_changed = old == nullptr || old->type != now.type || unread;
    std::vector<SignatureHit> hits;
    std::string change;
    if (now.type == EntryType::kFile) {
      const std::string key = SignatureSet::KeyForFileName(name);
      const bool want_text = mode != ScanMode::kAccept && signatures_->AppliesTo(key);
      auto content = ReadContent(full, cfg.max_read_bytes, want_text);
      if (!content.ok()) {
        // Gone or unreadable: the new stat must not go into the baseline with the old hash,
        // or the next scan would see an unchanged stat and never read the file again. A known
        // file keeps its old row (and findings wait for a successful read); a new one is
        // stored without a hash and with an mtime no stat has, so it is read again next time.
        if (absl::IsNotFound(content.status())) {
          PANTAU_LOG(DEBUG) << "integrity " << site_.id << ": " << content.status();
        } else {
          PANTAU_LOG(WARNING) << "integrity " << site_.id << ": " << content.status()
                              << " (read again by the next check)";
        }
        if (old != nullptr) return;
        now.mtime_ns = -1;
      } else {
        ++result.hashed;
        result.bytes_read += content->bytes_read;
        now.sha256 = content->sha256;
        if (old != nullptr && old->sha256 != now.sha256) content_changed = true;
        if (content_changed && want_text) {
          std::vector<absl::string_view> parts = {content->head};
          if (!content->tail.empty()) parts.push_back(content->tail);
          signatures_->Match(key, parts, &hits);
        }
      }
      if (old != nullptr && old->type == EntryType::kFile && !unread) {
        change = absl::StrCat("size ", old->size, " -> ", now.size,
                              old->sha256 != now.sha256 ? ", sha256 changed" : ", same sha256");
      } else {
        change = absl::StrCat("new file, ", now.size, " bytes, sha256 ", ShortHash(now.sha256));
      }
    } else if (now.type == EntryType::kSymlink) {
      std::string target(4096, '\0');
      const ssize_t n = readlink(full.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<size_t>(n) : 0);
      now.link_target = target;
      if (old != nullptr && old->link_target != target) content_changed = true;
      change = absl::StrCat("symlink to ", target);
    }
    changes.upserts.push_back(now);

    // Signature matches: raised in every mode but accept.
    if (!hits.empty()) {
      v1::Finding::Severity severity = v1::Finding::INFO;
      int weak = 0;
      std::vector<std::string> names;
      std::string evidence;
      for (const SignatureHit& hit : hits) {
        const Signature& sig = signatures_->signatures()[hit.index];
        if (sig.severity == v1::Finding::INFO) {
          ++weak;
          continue;
        }
        names.push_back(absl::StrCat(sig.id, " (", sig.description, ")"));
        if (sig.severity > severity) {
          severity = sig.severity;
          evidence = hit.evidence;
        }
      }
      int warnings = 0;
      for (const SignatureHit& hit : hits) {
        warnings += signatures_->signatures()[hit.index].severity == v1::Finding::WARNING;
      }
      if (severity == v1::Finding::WARNING && warnings >= kWarningHitsForCritical) {
        severity = v1::Finding::CRITICAL;
        names.push_back(absl::StrCat(warnings, " warning-level signatures together"));
      }
      if (names.empty() && weak >= kWeakHitsForWarning) {
        severity = v1::Finding::WARNING;
        std::vector<std::string> ids;
        for (const SignatureHit& hit : hits) ids.push_back(signatures_->signatures()[hit.index].id);
        names.push_back(absl::StrCat(weak, " weak indicators together: ", absl::StrJoin(ids, ", ")));
        evidence = hits.front().evidence;
      }
      if (!names.empty()) {
        add_finding(entry_rel, "webshell_file", severity,
                    absl::StrCat("content matches webshell/obfuscation signatures: ",
                                 absl::StrJoin(names, "; ")),
                    evidence);
      }
    }
    if (entry_mode == ScanMode::kMaintenance) {
      // A CMS update does not put scripts into upload directories: a script there is reported
      // even in a maintenance window, signature match or not.
      if (content_changed && now.type == EntryType::kFile && IsExecutableScript(name) &&
          IsUnderUploadDir(entry_rel, cfg.upload_dirs)) {
        const char* verb = old == nullptr || unread ? "added" : "modified";
        add_finding(entry_rel, "script_in_uploads", v1::Finding::CRITICAL,
                    absl::StrCat("executable script ", verb,
                                 " in an upload directory during a maintenance window: ",
                                 entry_rel),
                    change);
      }
      return;
    }
    if (entry_mode != ScanMode::kReport) return;

    // World-writable: only when it became so.
    if (now.type != EntryType::kSymlink && (now.mode & S_IWOTH) != 0 &&
        (old == nullptr || (old->mode & S_IWOTH) == 0)) {
      add_finding(entry_rel, "world_writable", v1::Finding::WARNING,
                  absl::StrCat(now.type == EntryType::kDir ? "directory " : "file ", entry_rel,
                               " is writable by everyone"),
                  absl::StrCat("mode ", old != nullptr ? HumanMode(old->mode) + " -> " : "",
                               HumanMode(now.mode)));
    }
    if (!content_changed || now.type == EntryType::kDir) return;
    const bool added = old == nullptr || unread;
    const char* verb = added ? "added" : "modified";
    if (IsExecutableScript(name) && now.type == EntryType::kFile) {
      if (IsUnderUploadDir(entry_rel, cfg.upload_dirs)) {
        add_finding(entry_rel, "script_in_uploads", v1::Finding::CRITICAL,
                    absl::StrCat("executable script ", verb, " in an upload directory: ", entry_rel),
                    change);
      } else {
        add_finding(entry_rel, added ? "script_added" : "script_modified", v1::Finding::WARNING,
                    absl::StrCat("executable script ", verb, ": ", entry_rel), change);
      }
    }
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == ".htaccess" || lower == ".user.ini") {
      add_finding(entry_rel, "htaccess_modified", v1::Finding::WARNING,
                  absl::StrCat(name, " ", verb, ": ", entry_rel), change);
    }
    // index.* anywhere when changed; a new one only at the root (it can take precedence over
    // the site's own front page: a classic defacement).
    if (IsIndex(name) && (!added || entry_rel == name)) {
      add_finding(entry_rel, "index_modified", v1::Finding::WARNING,
                  absl::StrCat("index file ", verb, ": ", entry_rel), change);
    }
    if (lower == "robots.txt" && entry_rel == name) {
      add_finding(entry_rel, "robots_modified", v1::Finding::WARNING,
                  absl::StrCat("robots.txt ", verb), change);
    }
    if (added && IsVerificationFile(name)) {
      add_finding(entry_rel, "verification_file_added", v1::Finding::WARNING,
                  absl::StrCat("new search-engine verification file: ", entry_rel),
                  absl::StrCat("new file, ", now.size, " bytes"));
    }
  };

  auto removed = [&](const FileState& old) {
    changes.deletes.push_back(old.path);
    // When a file went away is unknown: in a maintenance window removals are absorbed.
    if (mode != ScanMode::kReport || old.type == EntryType::kDir) return;
    const std::string name = BaseName(old.path);
    const std::string lower = absl::AsciiStrToLower(name);
    const std::string evidence = absl::StrCat("removed (was ", old.size, " bytes)");
    if (lower == ".htaccess" || lower == ".user.ini") {
      add_finding(old.path, "htaccess_modified", v1::Finding::WARNING,
                  absl::StrCat(name, " removed: ", old.path), evidence);
    } else if (IsIndex(name)) {
      add_finding(old.path, "index_modified", v1::Finding::WARNING,
                  absl::StrCat("index file removed: ", old.path), evidence);
    } else if (lower == "robots.txt" && old.path == name) {
      add_finding(old.path, "robots_modified", v1::Finding::WARNING, "robots.txt removed",
                  evidence);
    }
  };

  bool cancelled = false;
  // Walks the directory `dir_rel` (iteratively: deep trees must not exhaust the stack).
  auto walk = [&](const std::string& start) {
    std::vector<std::string> stack = {start};
    while (!stack.empty()) {
      if (stop_ != nullptr && stop_->StopRequested()) {
        cancelled = true;
        return;
      }
      const std::string dir_rel = std::move(stack.back());
      stack.pop_back();
      const std::string full = dir_rel.empty() ? root : Join(root, dir_rel);
      DIR* dir = opendir(full.c_str());
      if (dir == nullptr) {
        // Vanished or unreadable: its rows stay unseen, so a vanished one is removed; an
        // unreadable one keeps its rows (they are marked seen) to avoid false removals.
        if (errno != ENOENT) {
          PANTAU_LOG(WARNING) << "integrity " << site_.id << ": cannot read " << full << ": "
                              << strerror(errno);
          const std::string prefix = dir_rel + "/";
          for (const auto& [path, state] : baseline) {
            if (absl::StartsWith(path, prefix)) seen.insert(path);
          }
        }
        continue;
      }
      const int dfd = dirfd(dir);
      while (struct dirent* ent = readdir(dir)) {
        const char* n = ent->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
        const std::string child = Join(dir_rel, n);
        if (Excluded(child, n)) continue;
        struct stat st;
        if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        visit(child, st);
        if (S_ISDIR(st.st_mode)) stack.push_back(child);
      }
      closedir(dir);
    }
  };

  if (rel.empty()) {
    struct stat st;
    if (lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("web_root ", root, " of site ", site_.id, " is not a readable directory"));
    }
    result.dirs.push_back("");
    walk("");
    for (const auto& [path, state] : baseline) {
      if (!seen.contains(path)) removed(state);
    }
  } else {
    struct stat st;
    const bool exists = !Excluded(rel, BaseName(rel)) && lstat(Join(root, rel).c_str(), &st) == 0;
    if (exists) {
      visit(rel, st);
      if (S_ISDIR(st.st_mode) && descend) walk(rel);
    }
    const bool is_dir = exists && S_ISDIR(st.st_mode);
    for (const auto& [path, state] : baseline) {
      if (seen.contains(path)) continue;
      // Rows below `rel` only count as gone when we walked it, or when it is no longer a dir.
      if (path == rel || descend || !is_dir) removed(state);
    }
  }
  if (cancelled) return absl::CancelledError("integrity scan stopped");
  if (rel.empty()) changes.mark_baseline_taken = true;
  // Deterministic order of writes keeps transactions short and reproducible.
  if (!changes.upserts.empty() || !changes.deletes.empty() || !changes.findings.empty() ||
      changes.mark_baseline_taken) {
    PANTAU_RETURN_IF_ERROR(store_->Apply(site_.id, changes, now_ms));
  }
  return result;
}

absl::StatusOr<ScanMode> ModeFor(IntegrityStore& store, const std::string& site, int64_t now_ms) {
  PANTAU_ASSIGN_OR_RETURN(bool has_baseline, store.HasBaseline(site));
  if (!has_baseline) return ScanMode::kSilent;
  PANTAU_ASSIGN_OR_RETURN(auto window, store.Maintenance(site));
  (void)now_ms;  // an expired window not yet absorbed still counts: its changes are absorbed
  return window.has_value() ? ScanMode::kMaintenance : ScanMode::kReport;
}

absl::StatusOr<ScanResult> FullScan(SiteScanner& scanner, IntegrityStore& store, int64_t now_ms) {
  const std::string& site = scanner.site().id;
  PANTAU_ASSIGN_OR_RETURN(ScanMode mode, ModeFor(store, site, now_ms));
  PANTAU_ASSIGN_OR_RETURN(auto window, store.Maintenance(site));
  PANTAU_ASSIGN_OR_RETURN(ScanResult result, scanner.Scan("", true, mode, now_ms));
  if (window.has_value() && window->until_ms <= now_ms) {
    // The window is over and everything changed in it is now in the baseline.
    PANTAU_RETURN_IF_ERROR(store.ClearMaintenance(site));
    PANTAU_LOG(INFO) << "integrity " << site << ": maintenance window ended; its changes were "
                     << "taken into the baseline";
  }
  return result;
}

}  // namespace pantau::agent::integrity
