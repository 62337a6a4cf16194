// Defacement signals from a page's visible text: how much of it changed since a known-good
// baseline (word-shingle fingerprints), and which defacer phrases it shows ("hacked by",
// "greetz", "maaf admin").
//
//   TextFingerprint now = MakeFingerprint(doc.visible_text);
//   if (ChangedShare(baseline, now) > 0.6) ...           // most of the page was replaced
//   store.Save(site, now.Serialize());                    // TextFingerprint::Parse() later
//
//   PANTAU_ASSIGN_OR_RETURN(DefacementPhrases phrases,
//                           DefacementPhrases::Load("data/content/defacement_phrases.yaml"));
//   std::vector<std::string> found = phrases.Match(doc.visible_text, doc.title);
//
// Thread-safe: TextFingerprint is a value type; DefacementPhrases is immutable after Load().
#ifndef PANTAU_AGENT_CONTENT_DEFACEMENT_H_
#define PANTAU_AGENT_CONTENT_DEFACEMENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pantau::agent {

// A set of hashed 3-word shingles of a text, for estimating how much of it changed.
//
// MakeFingerprint first drops what changes on every visit without anyone editing the page:
// every token containing a digit (dates, times, counters, "25/11/2026", "10:30"), month and
// weekday names (Indonesian and English, e.g. "Senin, 25 November 2026" leaves nothing),
// time-zone words (wib, wita, wit), tokens of 25+ characters and hex-like tokens of 8+
// characters (CSRF tokens, nonces). The rest is normalised (NormalizeForMatching) and cut
// into overlapping 3-word shingles (a text of one or two words gives one shingle).
//
// Each shingle is hashed to 64 bits (FNV-1a per word, mixed; stable across builds and
// machines, part of the serialised format). At most kMaxShingles are kept: the smallest hash
// values (a bottom-k sketch), so that two sketches still estimate the Jaccard similarity.
class TextFingerprint {
 public:
  static constexpr size_t kMaxShingles = 2048;

  TextFingerprint() = default;  // the fingerprint of an empty text

  // "tf1:<f|s>:<base64 of little-endian uint64 hashes>" (f = complete, s = sampled); about
  // 11 bytes per shingle, at most ~22 KiB.
  std::string Serialize() const;
  // InvalidArgument when `text` is not something Serialize() produced.
  static absl::StatusOr<TextFingerprint> Parse(absl::string_view text);

  const std::vector<uint64_t>& shingles() const { return shingles_; }  // sorted, unique
  bool sampled() const { return sampled_; }  // more shingles than kMaxShingles existed
  bool empty() const { return shingles_.empty(); }

  bool operator==(const TextFingerprint& other) const {
    return sampled_ == other.sampled_ && shingles_ == other.shingles_;
  }

 private:
  friend TextFingerprint MakeFingerprint(absl::string_view visible_text);
  std::vector<uint64_t> shingles_;
  bool sampled_ = false;
};

TextFingerprint MakeFingerprint(absl::string_view visible_text);

// 1 - Jaccard similarity of the two shingle sets, in [0, 1]: 0 = the same text, 1 = nothing
// in common. Jaccard rather than containment because it grows both when content is removed
// and when a page is flooded with new text. Both empty: 0; one empty: 1. When either
// fingerprint is sampled, the bottom-k estimate over the smaller sketch size is used.
// Twenty unchanged paragraphs with one news item replaced give about 0.1.
double ChangedShare(const TextFingerprint& baseline, const TextFingerprint& now);

// Defacer phrases from a staff-editable list (data/content/defacement_phrases.yaml), matched
// as whole words in the normalised text, the digits-as-letters form ("h4ck3d by") and the
// joined-letters form ("h a c k e d"); see text_normalizer.h.
//
// Two kinds: `phrases` are reported on their own ("hacked by", "greetz"); `supporting_phrases`
// are words with everyday meanings too ("owned by" in "a building owned by the state",
// "hacked" in news about someone else's site) and are reported only when at least one other
// phrase of either kind is also on the page. This is a deliberate choice over guessing
// whether a name follows "owned by": defacement pages nearly always carry several tells.
class DefacementPhrases {
 public:
  // NotFound when missing; InvalidArgument naming file:line for bad data.
  static absl::StatusOr<DefacementPhrases> Load(const std::string& path);
  static absl::StatusOr<DefacementPhrases> FromYaml(absl::string_view yaml,
                                                    absl::string_view source_name);

  // The phrases found in the title and visible text, as normalised (e.g. "hacked by"), in
  // list order, each once. Empty for a clean page.
  std::vector<std::string> Match(absl::string_view visible_text, absl::string_view title) const;

  struct Data;  // opaque, defined in the .cc

 private:
  explicit DefacementPhrases(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CONTENT_DEFACEMENT_H_
