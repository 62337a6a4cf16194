#include "agent/integrity/signature_set.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "common/yaml_fields.h"
#include "re2/re2.h"
#include "re2/set.h"

namespace pantau::agent::integrity {

struct SignatureSet::Impl {
  std::vector<Signature> signatures;
  std::vector<std::unique_ptr<RE2>> main;               // per signature
  std::vector<std::vector<std::unique_ptr<RE2>>> also;  // per signature
  struct Group {
    std::vector<int> members;  // signature indexes, ascending
    std::unique_ptr<RE2::Set> set;
  };
  // Keys with the same signatures share one compiled Set (all PHP extensions, say).
  std::map<std::string, std::shared_ptr<const Group>, std::less<>> by_key;
  Group any;  // signatures with no applies_to: for keys not in by_key
};

namespace {

constexpr size_t kMaxPatternBytes = 8192;
constexpr int64_t kSetMaxMem = int64_t{64} << 20;
constexpr int kMaxSignatures = 1000;

RE2::Options PatternOptions(bool case_sensitive) {
  RE2::Options options;
  // File contents are arbitrary bytes; Latin-1 matches byte by byte.
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_case_sensitive(case_sensitive);
  options.set_log_errors(false);
  options.set_max_mem(kSetMaxMem);
  return options;
}

bool ValidKey(absl::string_view key) {
  if (key.empty() || key.size() > 32) return false;
  for (char c : key) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string Where(absl::string_view source, int line) { return absl::StrCat(source, ":", line); }

// Reads a list of strings that may also be given as one string.
absl::Status StringsOf(const YAML::Node& node, const std::string& where, const char* key,
                       std::vector<std::string>* out) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  try {
    if (node.IsScalar()) {
      out->push_back(node.Scalar());
      return absl::OkStatus();
    }
    if (!node.IsSequence()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", key, " must be a string or a list of strings"));
    }
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " must hold strings only"));
      }
      out->push_back(item.Scalar());
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, ": ", e.what()));
  }
  return absl::OkStatus();
}

re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

bool Fires(const SignatureSet::Impl& impl, int index, absl::string_view text) {
  if (!RE2::PartialMatch(Piece(text), *impl.main[index])) return false;
  for (const auto& re : impl.also[index]) {
    if (!RE2::PartialMatch(Piece(text), *re)) return false;
  }
  return true;
}

absl::Status BuildGroup(const SignatureSet::Impl& impl, const std::string& source,
                        SignatureSet::Impl::Group* group) {
  group->set = std::make_unique<RE2::Set>(PatternOptions(false), RE2::UNANCHORED);
  for (int index : group->members) {
    const Signature& sig = impl.signatures[index];
    // One Set holds every pattern; a case-sensitive one keeps its case through a flag group.
    const std::string pattern =
        sig.case_sensitive ? absl::StrCat("(?-i:", sig.pattern, ")") : sig.pattern;
    std::string error;
    if (group->set->Add(pattern, &error) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(Where(source, sig.line), ": signature '",
                                                     sig.id, "': invalid pattern: ", error));
    }
  }
  if (!group->set->Compile()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the signatures are too large to compile together"));
  }
  return absl::OkStatus();
}

absl::Status ParseSignature(const YAML::Node& node, const std::string& source,
                            const std::map<std::string, std::vector<std::string>>& groups,
                            Signature* sig, std::vector<std::string>* match_examples,
                            std::vector<std::string>* no_match_examples) {
  sig->line = node.Mark().line + 1;
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(source, sig->line), ": a signature must be a mapping"));
  }
  YamlFields f(node, source, "signature.");
  sig->id = f.String("id", true);
  PANTAU_RETURN_IF_ERROR(f.status());
  const std::string where = absl::StrCat(Where(source, sig->line), ": signature '", sig->id, "'");
  auto fail = [&](absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
  };
  if (!IsValidRuleId(sig->id)) return fail("id must be 1..64 characters of [a-z0-9_.-]");
  YamlFields g(node, source, absl::StrCat("signature '", sig->id, "'."));
  g.String("id", true);
  sig->description = g.String("description", true);
  const std::string severity = g.String("severity", true);
  sig->pattern = g.String("pattern", true);
  sig->case_sensitive = g.Bool("case_sensitive", false);
  YAML::Node examples = g.Map("examples");
  const std::vector<std::string> applies_raw = g.StringList("applies_to", 200, 64);
  sig->also = g.StringList("also", 16, kMaxPatternBytes);
  g.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(g.status());

  if (severity == "info") {
    sig->severity = v1::Finding::INFO;
  } else if (severity == "warning") {
    sig->severity = v1::Finding::WARNING;
  } else if (severity == "critical") {
    sig->severity = v1::Finding::CRITICAL;
  } else {
    return fail(absl::StrCat("severity must be info, warning or critical, got '", severity, "'"));
  }
  if (absl::StripAsciiWhitespace(sig->description).empty()) {
    return fail("description must not be empty");
  }
  if (sig->description.size() > 256) return fail("description is longer than 256 bytes");
  if (sig->pattern.empty()) return fail("pattern must not be empty");
  if (sig->pattern.size() > kMaxPatternBytes) return fail("pattern is longer than 8192 bytes");
  if (applies_raw.empty()) return fail("applies_to is required (extensions, @group or any)");
  bool any = false;
  std::set<std::string> keys;
  for (const std::string& raw : applies_raw) {
    const std::string item = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (item == "any") {
      any = true;
    } else if (absl::StartsWith(item, "@")) {
      auto it = groups.find(item.substr(1));
      if (it == groups.end()) return fail(absl::StrCat("applies_to names unknown group '", item, "'"));
      keys.insert(it->second.begin(), it->second.end());
    } else {
      std::string key = absl::StartsWith(item, ".") && item != ".htaccess" && item != ".user.ini"
                            ? item.substr(1)
                            : item;
      if (!ValidKey(key)) return fail(absl::StrCat("applies_to has a bad extension '", raw, "'"));
      keys.insert(key);
    }
  }
  if (!any) sig->applies_to.assign(keys.begin(), keys.end());

  // Each pattern must compile on its own, so the error names the signature.
  std::vector<std::string> all = {sig->pattern};
  all.insert(all.end(), sig->also.begin(), sig->also.end());
  for (const std::string& p : all) {
    if (p.size() > kMaxPatternBytes) return fail("a pattern is longer than 8192 bytes");
    RE2 re(p, PatternOptions(sig->case_sensitive));
    if (!re.ok()) return fail(absl::StrCat("invalid pattern '", p, "': ", re.error()));
  }
  if (examples.IsDefined() && !examples.IsNull()) {
    if (!examples.IsMap()) return fail("examples must be a mapping with match and no_match");
    YamlFields e(examples, source, absl::StrCat("signature '", sig->id, "' examples."));
    *match_examples = e.StringList("match", 100, 65536);
    *no_match_examples = e.StringList("no_match", 100, 65536);
    e.CheckNoUnknownKeys();
    PANTAU_RETURN_IF_ERROR(e.status());
  }
  return absl::OkStatus();
}

absl::Status CheckExamples(const SignatureSet::Impl& impl, int index, const std::string& source,
                           const std::vector<std::string>& match,
                           const std::vector<std::string>& no_match) {
  const Signature& sig = impl.signatures[index];
  const std::string where = absl::StrCat(Where(source, sig.line), ": signature '", sig.id, "'");
  for (const std::string& text : match) {
    if (!Fires(impl, index, text)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": example does not match: ", text.substr(0, 160)));
    }
  }
  for (const std::string& text : no_match) {
    if (Fires(impl, index, text)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": no_match example matches: ", text.substr(0, 160)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

SignatureSet::SignatureSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SignatureSet::~SignatureSet() = default;

const std::vector<Signature>& SignatureSet::signatures() const { return impl_->signatures; }

std::string SignatureSet::KeyForFileName(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == ".user.ini") return lower;
  const size_t dot = lower.rfind('.');
  if (dot == std::string::npos) return "";
  if (dot == 0) return lower;  // ".htaccess"
  return lower.substr(dot + 1);
}

bool SignatureSet::AppliesTo(absl::string_view key) const {
  if (impl_->by_key.count(key) > 0) return true;
  return !impl_->any.members.empty();
}

void SignatureSet::Match(absl::string_view key, const std::vector<absl::string_view>& parts,
                         std::vector<SignatureHit>* hits) const {
  auto it = impl_->by_key.find(key);
  const Impl::Group& group = it != impl_->by_key.end() ? *it->second : impl_->any;
  if (group.members.empty()) return;
  std::set<int> candidates;
  for (absl::string_view part : parts) {
    std::vector<int> matched;
    RE2::Set::ErrorInfo error;
    if (group.set->Match(Piece(part), &matched, &error)) {
      for (int m : matched) candidates.insert(group.members[m]);
    } else if (error.kind != RE2::Set::kNoError) {
      // The DFA ran out of memory on this input: check every member on its own.
      candidates.insert(group.members.begin(), group.members.end());
    }
  }
  for (int index : candidates) {
    std::string evidence;
    bool found = false;
    for (absl::string_view part : parts) {
      re2::StringPiece m;
      if (impl_->main[index]->Match(Piece(part), 0, part.size(), RE2::UNANCHORED, &m, 1)) {
        evidence = std::string(m.data(), m.size());
        found = true;
        break;
      }
    }
    if (!found) continue;
    bool all = true;
    for (const auto& re : impl_->also[index]) {
      bool any_part = false;
      for (absl::string_view part : parts) {
        if (RE2::PartialMatch(Piece(part), *re)) {
          any_part = true;
          break;
        }
      }
      if (!any_part) {
        all = false;
        break;
      }
    }
    if (all) hits->push_back(SignatureHit{index, std::move(evidence)});
  }
}

absl::StatusOr<std::shared_ptr<const SignatureSet>> SignatureSet::Load(const std::string& path) {
  PANTAU_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, size_t{16} << 20));
  return Parse(text, path);
}

absl::StatusOr<std::shared_ptr<const SignatureSet>> SignatureSet::Parse(
    absl::string_view yaml, absl::string_view source_name) {
  const std::string source(source_name);
  YAML::Node root;
  PANTAU_ASSIGN_OR_RETURN(root, ParseYaml(yaml, source));
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":1: a signature file is a mapping with version and signatures"));
  }
  YamlFields top(root, source);
  const int64_t version = top.Int("version", 1, 1, 1);
  YAML::Node groups_node = top.Map("groups");
  std::vector<YAML::Node> list = top.MapList("signatures");
  top.CheckNoUnknownKeys();
  PANTAU_RETURN_IF_ERROR(top.status());
  (void)version;

  std::map<std::string, std::vector<std::string>> groups;
  try {
    if (groups_node.IsDefined() && !groups_node.IsNull()) {
      for (const auto& kv : groups_node) {
        const std::string name = kv.first.Scalar();
        const std::string where = Where(source, kv.first.Mark().line + 1);
        std::vector<std::string> items;
        PANTAU_RETURN_IF_ERROR(StringsOf(kv.second, where, "group", &items));
        for (std::string& item : items) {
          item = absl::AsciiStrToLower(item);
          if (!ValidKey(item)) {
            return absl::InvalidArgumentError(
                absl::StrCat(where, ": group '", name, "' has a bad extension '", item, "'"));
          }
        }
        groups[name] = std::move(items);
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": groups: ", e.what()));
  }

  auto impl = std::make_unique<Impl>();
  if (list.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no signatures"));
  }
  if (list.size() > static_cast<size_t>(kMaxSignatures)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": more than 1000 signatures"));
  }
  std::set<std::string> ids;
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> examples;
  for (const YAML::Node& node : list) {
    Signature sig;
    std::vector<std::string> match, no_match;
    PANTAU_RETURN_IF_ERROR(ParseSignature(node, source, groups, &sig, &match, &no_match));
    if (!ids.insert(sig.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(Where(source, sig.line), ": signature '",
                                                     sig.id, "': duplicate id"));
    }
    impl->main.push_back(std::make_unique<RE2>(sig.pattern, PatternOptions(sig.case_sensitive)));
    std::vector<std::unique_ptr<RE2>> also;
    for (const std::string& p : sig.also) {
      also.push_back(std::make_unique<RE2>(p, PatternOptions(sig.case_sensitive)));
    }
    impl->also.push_back(std::move(also));
    impl->signatures.push_back(std::move(sig));
    examples.emplace_back(std::move(match), std::move(no_match));
  }
  for (size_t i = 0; i < impl->signatures.size(); ++i) {
    PANTAU_RETURN_IF_ERROR(CheckExamples(*impl, static_cast<int>(i), source, examples[i].first,
                                         examples[i].second));
  }
  // Groups of signatures per key: each key's own plus the "any" ones.
  std::vector<int> any;
  std::map<std::string, std::vector<int>> members_by_key;
  for (size_t i = 0; i < impl->signatures.size(); ++i) {
    const Signature& sig = impl->signatures[i];
    if (sig.applies_to.empty()) {
      any.push_back(static_cast<int>(i));
    } else {
      for (const std::string& key : sig.applies_to) {
        members_by_key[key].push_back(static_cast<int>(i));
      }
    }
  }
  impl->any.members = any;
  if (!any.empty()) PANTAU_RETURN_IF_ERROR(BuildGroup(*impl, source, &impl->any));
  std::map<std::vector<int>, std::shared_ptr<const Impl::Group>> compiled;
  for (auto& [key, members] : members_by_key) {
    members.insert(members.end(), any.begin(), any.end());
    std::sort(members.begin(), members.end());
    auto& group = compiled[members];
    if (group == nullptr) {
      auto fresh = std::make_shared<Impl::Group>();
      fresh->members = members;
      PANTAU_RETURN_IF_ERROR(BuildGroup(*impl, source, fresh.get()));
      group = std::move(fresh);
    }
    impl->by_key[key] = group;
  }
  return std::shared_ptr<const SignatureSet>(new SignatureSet(std::move(impl)));
}

}  // namespace pantau::agent::integrity
