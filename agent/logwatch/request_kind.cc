#include "agent/logwatch/request_kind.h"

namespace pantau::agent::logwatch {
namespace {

// Assets: anything that is not a page a person reads as such.
// clang-format off
constexpr const char* kAssetExtensions[] = {
    "css",  "js",  "mjs",  "png",  "jpg",  "jpeg", "gif",  "svg", "ico",  "woff", "woff2",
    "ttf",  "otf", "eot",  "map",  "webp", "avif", "bmp",  "tif", "tiff", "mp4",  "webm",
    "mp3",  "ogg", "wav",  "m4a",  "mov",  "avi",  "pdf",  "zip", "gz",   "tgz",  "rar",
    "7z",   "doc", "docx", "xls",  "xlsx", "ppt",  "pptx", "odt", "ods",  "txt",  "xml",
    "json", "csv", "rss",  "atom", "swf",  "apk",  "exe",  "iso", "wasm",
};
// clang-format on

}  // namespace

absl::string_view PathOf(absl::string_view target) {
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == '?' || target[i] == '#') return target.substr(0, i);
  }
  return target;
}

bool IsPageRequest(absl::string_view target) {
  const absl::string_view path = PathOf(target);
  const size_t slash = path.rfind('/');
  const absl::string_view last = slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = last.rfind('.');
  if (dot == absl::string_view::npos) return true;
  const absl::string_view ext = last.substr(dot + 1);
  if (ext.empty() || ext.size() > 5) return true;
  char lower[5];
  for (size_t i = 0; i < ext.size(); ++i) {
    const char c = ext[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const absl::string_view e(lower, ext.size());
  for (const char* asset : kAssetExtensions) {
    if (e == asset) return false;
  }
  return true;
}

}  // namespace pantau::agent::logwatch
