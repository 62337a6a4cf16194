// Webshell and obfuscation signatures for web-root files, loaded from a YAML data file
// (data/integrity/signatures.yaml ships with pantau). Each signature has an id, an English
// description, a severity, the file extensions it applies to and an RE2 pattern; optional
// `also` patterns must match somewhere in the same content too (a weak indicator becomes
// strong only next to another one, e.g. a remote fetch next to eval). Examples that must and
// must not match are checked when the file is loaded, so a signature that does not do what its
// examples say is refused with file:line.
//
// Severity "info" marks a weak indicator: alone it raises nothing; kWeakHitsForWarning or more
// distinct weak indicators in one file raise a WARNING (clean CMS code routinely holds one);
// kWarningHitsForCritical or more distinct WARNING signatures raise a CRITICAL.
//
//   PANTAU_ASSIGN_OR_RETURN(auto sigs, SignatureSet::Load(data_dir + "/integrity/signatures.yaml"));
//   std::vector<SignatureHit> hits;
//   sigs->Match("php", {head, tail}, &hits);
#ifndef PANTAU_AGENT_INTEGRITY_SIGNATURE_SET_H_
#define PANTAU_AGENT_INTEGRITY_SIGNATURE_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent::integrity {

inline constexpr int kWeakHitsForWarning = 4;
// Two or more distinct WARNING signatures in one file raise a CRITICAL finding.
inline constexpr int kWarningHitsForCritical = 2;

struct Signature {
  std::string id;           // [a-z0-9_.-]{1,64}, unique
  std::string description;  // English, for the finding's detail
  v1::Finding::Severity severity = v1::Finding::CRITICAL;
  // Lower-case extensions without the dot ("php", "jpg"), or file names that have no
  // extension of their own (".htaccess", ".user.ini"); empty = any file that is searched.
  std::vector<std::string> applies_to;
  std::string pattern;            // RE2, case-insensitive unless case_sensitive
  std::vector<std::string> also;  // each must match somewhere in the content too
  bool case_sensitive = false;
  int line = 0;  // where it is defined
};

struct SignatureHit {
  int index = 0;         // into signatures()
  std::string evidence;  // the text matched by `pattern` (raw bytes, not yet clamped)
};

// Immutable after loading; Match is thread-safe.
class SignatureSet {
 public:
  // InvalidArgument "FILE:LINE: signature 'id': problem" for a bad file; NotFound when absent.
  static absl::StatusOr<std::shared_ptr<const SignatureSet>> Load(const std::string& path);
  static absl::StatusOr<std::shared_ptr<const SignatureSet>> Parse(absl::string_view yaml,
                                                                   absl::string_view source_name);
  ~SignatureSet();

  const std::vector<Signature>& signatures() const;
  // Whether any signature applies to files of this key (see KeyForFileName).
  bool AppliesTo(absl::string_view key) const;
  // Appends the hits of the signatures that apply to `key` in any of `parts` (e.g. a file's
  // head and tail, searched separately), one per signature.
  void Match(absl::string_view key, const std::vector<absl::string_view>& parts,
             std::vector<SignatureHit>* hits) const;

  // The key signatures are selected by: the lower-case extension ("php"), or the whole
  // lower-case name for dot files without another dot (".htaccess"), or ".user.ini".
  static std::string KeyForFileName(absl::string_view name);

  struct Impl;

 private:
  explicit SignatureSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pantau::agent::integrity

#endif  // PANTAU_AGENT_INTEGRITY_SIGNATURE_SET_H_
