// The content checks of one site, beyond availability: keywords, defacement, gambling-spam
// injection, search-engine verification tag, cloaking, injected sitemap pages, required
// court information pages and content freshness. One run fetches what it needs through the
// HttpEngine (concurrently, in stages: the page and its variants; then sitemaps and required
// pages), analyses it against what the previous run left in the CheckStateStore, and hands
// back one CheckReport per check.
//
//   PANTAU_ASSIGN_OR_RETURN(auto analyzers, ContentAnalyzers::Load(config.data_dir));
//   ContentContext context{engine.get(), state.get(), analyzers.get(), &clock, 5 << 20};
//   RunContentChecks(context, site, clock.Now(), [](std::vector<v1::CheckReport> reports) {...});
#ifndef PANTAU_AGENT_CHECKS_CONTENT_CHECKS_H_
#define PANTAU_AGENT_CHECKS_CONTENT_CHECKS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/checks/check_state.h"
#include "agent/config/agent_config.h"
#include "agent/probes/http_engine.h"
#include "common/clock.h"
#include "common/work_queue.h"
#include "pantau/v1/events.pb.h"

namespace pantau::agent {

class GamblingDetector;
class DefacementPhrases;
class RequiredPagesChecklist;

// The data files the checks read (data_dir/content/*.yaml), loaded once. Immutable after
// Load(), so thread-safe.
class ContentAnalyzers {
 public:
  // InvalidArgument / NotFound naming the file (and line) of the first problem.
  static absl::StatusOr<std::unique_ptr<ContentAnalyzers>> Load(const std::string& data_dir);
  ~ContentAnalyzers();

  const GamblingDetector& gambling() const { return *gambling_; }
  const DefacementPhrases& defacement_phrases() const { return *phrases_; }
  const RequiredPagesChecklist& required_pages() const { return *required_; }

 private:
  ContentAnalyzers();
  std::unique_ptr<GamblingDetector> gambling_;
  std::unique_ptr<DefacementPhrases> phrases_;
  std::unique_ptr<RequiredPagesChecklist> required_;
};

// What a content run needs; all must outlive every run started with it.
struct ContentContext {
  HttpEngine* engine = nullptr;
  CheckStateStore* state = nullptr;
  const ContentAnalyzers* analyzers = nullptr;
  const Clock* clock = nullptr;
  int64_t max_body_bytes = 5 << 20;
  // The sites' time zone for dates written on pages. Default Asia/Jakarta (WIB).
  std::string time_zone = "Asia/Jakarta";
  // Where parsing and analysis run (the engine's loop must stay free to time other fetches);
  // null = on the engine's loop thread (one-shot tools).
  WorkQueue* analysis = nullptr;
};

// User-Agents and headers of the cloaking comparison (public so tests can configure nginx
// to cloak for exactly these).
inline constexpr char kGooglebotUserAgent[] =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
inline constexpr char kInspectionToolUserAgent[] =
    "Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)";
inline constexpr char kBrowserUserAgent[] =
    "Mozilla/5.0 (Linux; Android 13; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36";
inline constexpr char kGoogleReferer[] = "https://www.google.com/";

// Starts a run; returns at once. `done` gets the reports ("content", and as configured
// "cloaking", "sitemap", "required_pages", "freshness"), on context.analysis's thread (or the
// engine's loop thread when that is null). A check
// that could not run has its report's error set (its previous findings stay open).
void RunContentChecks(const ContentContext& context, const SiteConfig& site, absl::Time started,
                      std::function<void(std::vector<v1::CheckReport>)> done);

}  // namespace pantau::agent

#endif  // PANTAU_AGENT_CHECKS_CONTENT_CHECKS_H_
