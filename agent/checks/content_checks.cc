#include "agent/checks/content_checks.h"

#include <atomic>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/checks/availability.h"
#include "agent/content/defacement.h"
#include "agent/content/gambling_detector.h"
#include "agent/content/html_document.h"
#include "agent/content/keyword_check.h"
#include "agent/inventory/freshness.h"
#include "agent/inventory/required_pages.h"
#include "agent/inventory/sitemap.h"
#include "common/log.h"
#include "common/url.h"

namespace pantau::agent {
namespace {

// Bounds of one run, so a hostile site cannot make the agent fetch without end.
constexpr int kMaxSitemapFiles = 20;
constexpr int kMaxRequiredPageFetches = 30;
constexpr int64_t kSideBodyBytes = 2 << 20;  // robots, feeds, wp-json, required pages
// Per sitemap file (the protocol allows 50 MiB; court sites' are far smaller). Bounds a run's
// memory: at most kMaxSitemapFiles of these are held at once.
constexpr int64_t kSitemapBodyBytes = 10 << 20;
// Changed share of visible text between the plain page and a crawler's copy beyond which the
// crawler is served another page.
constexpr double kCloakingTextShare = 0.5;

// State keys in the CheckStateStore.
constexpr char kFingerprintKey[] = "text_fingerprint";
constexpr char kVerificationKey[] = "site_verification";
constexpr char kSitemapKey[] = "sitemap_snapshot";
constexpr char kListingHashKey[] = "listing_hash";

bool PageOk(const FetchResult& f) { return f.transfer_ok && f.status >= 200 && f.status < 300; }

std::string FetchFailure(const FetchResult& f) {
  if (!f.transfer_ok) return f.error.empty() ? "no response" : f.error;
  return absl::StrCat("HTTP status ", f.status);
}

v1::CheckReport NewReport(const SiteConfig& site, absl::string_view check, absl::Time started) {
  v1::CheckReport r;
  r.set_site(site.id);
  r.set_check(std::string(check));
  r.set_started_unix_ms(absl::ToUnixMillis(started));
  return r;
}

// FNV-1a: the same value in every process (absl::Hash is seeded per process), so a stored
// hash still compares after a restart.
uint64_t StableHash(absl::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Percent(double share) { return absl::StrCat(static_cast<int>(share * 100 + 0.5), "%"); }

// Everything one run fetched, filled in by engine callbacks (one at a time, on the loop
// thread) and read when the last fetch of a stage is in.
struct Run : std::enable_shared_from_this<Run> {
  ContentContext context;
  SiteConfig site;
  absl::Time started;
  std::function<void(std::vector<v1::CheckReport>)> done;
  UrlParts origin;

  FetchResult page;
  std::optional<FetchResult> googlebot, inspection, search_visitor;
  std::optional<FetchResult> robots, wp_json, feed, joomla_feed, news;
  std::vector<std::pair<std::string, FetchResult>> sitemap_files;
  std::vector<std::pair<std::string, SitemapDoc>> sitemap_docs;
  HtmlDocument page_doc;
  // Of the plain page, computed once by AnalyzePage and reused by the cloaking comparison.
  std::optional<TextFingerprint> page_print;
  std::optional<GamblingScan> page_gambling;
  RequiredPagesResult required;
  std::vector<FetchResult> required_fetches;  // aligned with `required_urls`
  std::vector<size_t> required_index;          // item index in `required` per fetch

  std::atomic<int> outstanding{0};
  // A fetch failed here, not at the site (engine stopping, queue full): the run is abandoned
  // without a report and without touching the stored baselines.
  std::atomic<bool> abandoned{false};
  std::function<void()> next_stage;

  // URLs taken from the site (robots.txt, sitemap indexes, links) are fetched only when they
  // are http(s) and do not name an IP address other than the site's own: a hostile page must
  // not make the agent probe its host's internal services (169.254.169.254, 127.0.0.1:9100).
  bool MayFetch(const std::string& url) const {
    const std::optional<UrlParts> u = ParseHttpUrl(url);
    if (!u.has_value()) return false;
    return !IsIpAddress(u->host) || u->host == origin.host;
  }

  FetchRequest Request(const std::string& url, int64_t max_body) const {
    FetchRequest r;
    r.url = url;
    r.timeout = site.content.timeout;
    r.max_redirects = site.max_redirects;
    r.max_body_bytes = max_body;
    r.keep_body = true;
    r.inspect_tls = false;  // the availability probe reports the certificate
    return r;
  }

  // Submits a fetch whose result lands in *slot; the stage ends when the last one is in.
  void Fetch(FetchRequest request, FetchResult* slot) {
    outstanding.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<Run> self = shared_from_this();
    context.engine->Submit(std::move(request), [self, slot](FetchResult result) {
      if (result.local_failure) self->abandoned.store(true);
      *slot = std::move(result);
      self->Arrived();
    });
  }

  // Runs `submit_all` (which calls Fetch), then `then` once all of them are in. A guard count
  // keeps an early callback from ending the stage while fetches are still being submitted.
  void Stage(const std::function<void()>& submit_all, std::function<void()> then) {
    next_stage = std::move(then);
    outstanding.fetch_add(1, std::memory_order_relaxed);
    submit_all();
    Arrived();
  }

  void Arrived() {
    if (outstanding.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::function<void()> stage = std::move(next_stage);
    next_stage = nullptr;
    std::shared_ptr<Run> self = shared_from_this();
    auto next = [self, stage = std::move(stage)] {
      if (self->abandoned.load()) {
        PANTAU_LOG(WARNING) << "site " << self->site.id
                            << ": content check abandoned (the agent is stopping or busy)";
        auto callback = std::move(self->done);
        callback({});
        return;
      }
      stage();
    };
    if (context.analysis != nullptr) {
      context.analysis->Post(std::move(next));
    } else {
      next();
    }
  }

  void Start();
  void FetchSitemapsAndRequiredPages();
  void FetchNestedSitemaps();
  void Finish();
};

void Run::Start() {
  const ContentCheckConfig& c = site.content;
  const std::string base = UrlOrigin(origin);
  Stage(
      [&] {
        FetchRequest plain = Request(site.url, context.max_body_bytes);
        Fetch(plain, &page);
        if (c.cloaking) {
          FetchRequest bot = plain;
          bot.user_agent = kGooglebotUserAgent;
          Fetch(bot, &googlebot.emplace());
          FetchRequest tool = plain;
          tool.user_agent = kInspectionToolUserAgent;
          Fetch(tool, &inspection.emplace());
          FetchRequest visitor = plain;
          visitor.user_agent = kBrowserUserAgent;
          visitor.headers = {absl::StrCat("Referer: ", kGoogleReferer),
                             "Accept-Language: id-ID,id;q=0.9"};
          Fetch(visitor, &search_visitor.emplace());
        }
        if (c.sitemaps) Fetch(Request(base + "/robots.txt", kSideBodyBytes), &robots.emplace());
        Fetch(Request(base + "/wp-json/wp/v2/posts?per_page=1&_fields=date_gmt,modified_gmt",
                      kSideBodyBytes),
              &wp_json.emplace());
        Fetch(Request(base + "/feed/", kSideBodyBytes), &feed.emplace());  // WordPress
        Fetch(Request(base + "/index.php?format=feed&type=rss", kSideBodyBytes),
              &joomla_feed.emplace());  // Joomla
        if (!c.news_url.empty()) Fetch(Request(c.news_url, context.max_body_bytes), &news.emplace());
      },
      [this] { FetchSitemapsAndRequiredPages(); });
}

void Run::FetchSitemapsAndRequiredPages() {
  if (PageOk(page)) page_doc = ExtractHtml(page.body);
  std::vector<std::string> sitemap_urls;
  if (robots.has_value() && PageOk(*robots)) sitemap_urls = SitemapUrlsFromRobots(robots->body);
  if (site.content.sitemaps && sitemap_urls.empty()) {
    sitemap_urls.push_back(UrlOrigin(origin) + "/sitemap.xml");
  }
  if (static_cast<int>(sitemap_urls.size()) > kMaxSitemapFiles) sitemap_urls.resize(kMaxSitemapFiles);
  sitemap_files.reserve(kMaxSitemapFiles);
  const bool want_required = site.content.required_pages && !site.court_type.empty() &&
                             PageOk(page);
  if (want_required) {
    required = MatchRequiredPages(context.analyzers->required_pages(), site.court_type,
                                  page_doc.links, page.final_url.empty() ? site.url : page.final_url);
  }
  Stage(
      [&] {
        for (const std::string& url : sitemap_urls) {
          sitemap_files.emplace_back(url, FetchResult{});
        }
        // Pointers into sitemap_files stay valid: reserved above, no growth while in flight.
        for (auto& [url, slot] : sitemap_files) {
          if (MayFetch(url)) Fetch(Request(url, kSitemapBodyBytes), &slot);
        }
        if (want_required) {
          required_fetches.reserve(kMaxRequiredPageFetches);
          for (size_t i = 0; i < required.items.size(); ++i) {
            if (!required.items[i].found || !MayFetch(required.items[i].url)) continue;
            if (static_cast<int>(required_fetches.size()) >= kMaxRequiredPageFetches) break;
            required_index.push_back(i);
            required_fetches.emplace_back();
          }
          for (size_t k = 0; k < required_index.size(); ++k) {
            Fetch(Request(required.items[required_index[k]].url, kSideBodyBytes),
                  &required_fetches[k]);
          }
        }
      },
      [this] { FetchNestedSitemaps(); });
}

void Run::FetchNestedSitemaps() {
  // Parse what came; an index's children are read one level down (bounded in number).
  std::vector<std::string> children;
  for (auto& [url, fetch] : sitemap_files) {
    if (!PageOk(fetch)) continue;
    SitemapDoc doc = ParseSitemap(fetch.body);
    fetch.body.clear();
    fetch.body.shrink_to_fit();
    if (doc.kind == SitemapKind::kSitemapIndex) {
      for (const SitemapEntry& e : doc.entries) children.push_back(e.loc);
    }
    sitemap_docs.emplace_back(url, std::move(doc));
  }
  const size_t room = kMaxSitemapFiles > static_cast<int>(sitemap_files.size())
                          ? kMaxSitemapFiles - sitemap_files.size()
                          : 0;
  if (children.size() > room) children.resize(room);
  auto nested = std::make_shared<std::vector<std::pair<std::string, FetchResult>>>();
  nested->reserve(children.size());
  for (const std::string& url : children) nested->emplace_back(url, FetchResult{});
  Stage(
      [&] {
        for (auto& [url, slot] : *nested) {
          if (MayFetch(url)) Fetch(Request(url, kSitemapBodyBytes), &slot);
        }
      },
      [this, nested] {
        for (auto& [url, fetch] : *nested) {
          if (!PageOk(fetch)) continue;
          sitemap_docs.emplace_back(url, ParseSitemap(fetch.body));
          fetch.body.clear();
        }
        Finish();
      });
}

// --- Analysis -------------------------------------------------------------------------------

void AnalyzePage(Run& run, absl::Time now, std::vector<v1::CheckReport>* out) {
  v1::CheckReport report = NewReport(run.site, "content", run.started);
  if (!PageOk(run.page)) {
    report.set_error(absl::StrCat("cannot read the page: ", FetchFailure(run.page)));
    out->push_back(std::move(report));
    return;
  }
  const HtmlDocument& doc = run.page_doc;
  const ContentCheckConfig& c = run.site.content;
  auto* findings = report.mutable_findings();

  absl::StatusOr<KeywordCheck> keyword_check = KeywordCheck::Create(c.must_contain, c.must_not_contain);
  KeywordFindings keywords;
  if (keyword_check.ok()) {
    keywords = keyword_check->Check(doc.visible_text, doc.title);
  } else {
    PANTAU_LOG(WARNING) << "site " << run.site.id << ": " << keyword_check.status().message();
  }
  for (const std::string& word : keywords.missing) {
    AddFinding(findings, "keyword_missing", v1::Finding::WARNING,
               absl::StrCat("the page no longer shows '", word, "'"), word, word);
  }
  for (const std::string& word : keywords.forbidden) {
    AddFinding(findings, "keyword_forbidden", v1::Finding::CRITICAL,
               absl::StrCat("the page shows the forbidden word '", word, "'"), word, word);
  }

  // Defacement: text against the stored baseline, and known defacer phrases.
  const TextFingerprint& now_print =
      run.page_print.emplace(MakeFingerprint(absl::StrCat(doc.title, " ", doc.visible_text)));
  std::vector<std::string> phrases =
      run.context.analyzers->defacement_phrases().Match(doc.visible_text, doc.title);
  absl::StatusOr<std::optional<CheckStateStore::Entry>> read =
      run.context.state->Get(run.site.id, kFingerprintKey);
  if (!read.ok()) {
    // Without the baseline we can judge nothing about changes; a new one must not be taken.
    report.clear_findings();
    report.set_error(absl::StrCat("cannot read the stored baseline: ", read.status().message()));
    out->push_back(std::move(report));
    return;
  }
  const std::optional<CheckStateStore::Entry>& stored = *read;
  std::optional<TextFingerprint> baseline;
  if (stored.has_value()) {
    absl::StatusOr<TextFingerprint> parsed = TextFingerprint::Parse(stored->value);
    if (parsed.ok()) baseline = std::move(*parsed);
  }
  double changed = 0;
  if (baseline.has_value()) changed = ChangedShare(*baseline, now_print);
  const bool changed_too_much = baseline.has_value() && changed > c.defacement_threshold;
  if (!phrases.empty()) {
    AddFinding(findings, "defacement", v1::Finding::CRITICAL,
               baseline.has_value()
                   ? absl::StrCat("the page shows defacement phrases; ", Percent(changed),
                                  " of its text changed since the baseline")
                   : "the page shows defacement phrases (no baseline yet to compare with)",
               absl::StrJoin(phrases, ", "), "phrases");
  } else if (changed_too_much) {
    AddFinding(findings, "defacement", v1::Finding::WARNING,
               absl::StrCat(Percent(changed), " of the page's visible text changed since the ",
                            "baseline of ",
                            absl::FormatTime("%Y-%m-%d %H:%M UTC", stored->updated,
                                             absl::UTCTimeZone()),
                            " (threshold ", Percent(c.defacement_threshold), ")"),
               doc.title, "text_change");
  }
  // The baseline follows ordinary edits; a change beyond the threshold (or a defaced page)
  // never becomes the new normal by itself: `pantau-agent baseline reset` accepts it.
  if (!changed_too_much && phrases.empty()) {
    if (absl::Status s = run.context.state->Put(run.site.id, kFingerprintKey, now_print.Serialize(), now);
        !s.ok()) {
      PANTAU_LOG(WARNING) << "site " << run.site.id << ": " << s.message();
    }
  }

  // Gambling-spam injection.
  const std::optional<UrlParts> page_url =
      ParseHttpUrl(run.page.final_url.empty() ? run.site.url : run.page.final_url);
  const GamblingScan& gambling = run.page_gambling.emplace(
      run.context.analyzers->gambling().Scan(doc, page_url.has_value() ? page_url->host : ""));
  if (gambling.suspicious) {
    AddFinding(findings, "gambling_spam", v1::Finding::CRITICAL,
               absl::StrCat("gambling spam on the page (score ", gambling.score, ")"),
               absl::StrJoin(gambling.evidence, "; "), "page");
  }

  // A new or changed search-engine verification tag: someone took over the site's Search
  // Console to push spam into the index.
  std::vector<std::string> tokens = SiteVerificationTokens(doc);
  std::sort(tokens.begin(), tokens.end());
  const std::string joined = absl::StrJoin(tokens, "\n");
  absl::StatusOr<std::optional<CheckStateStore::Entry>> known_read =
      run.context.state->Get(run.site.id, kVerificationKey);
  const std::optional<CheckStateStore::Entry> known_tokens =
      known_read.ok() ? *known_read : std::nullopt;
  if (!known_read.ok()) {
    PANTAU_LOG(WARNING) << "site " << run.site.id << ": " << known_read.status().message();
  } else if (!known_tokens.has_value()) {
    (void)run.context.state->Put(run.site.id, kVerificationKey, joined, now);
  } else if (known_tokens->value != joined && !tokens.empty()) {
    AddFinding(findings, "verification_tag_changed", v1::Finding::WARNING,
               "the google-site-verification tag changed since it was first seen",
               absl::StrCat("now: ", absl::StrJoin(tokens, ", "), "; before: ",
                            known_tokens->value.empty() ? "(none)" : known_tokens->value),
               "google");
  }
  out->push_back(std::move(report));
}

void AnalyzeCloaking(Run& run, std::vector<v1::CheckReport>* out) {
  if (!run.site.content.cloaking) return;
  v1::CheckReport report = NewReport(run.site, "cloaking", run.started);
  if (!PageOk(run.page)) {
    report.set_error(absl::StrCat("cannot read the page: ", FetchFailure(run.page)));
    out->push_back(std::move(report));
    return;
  }
  const std::optional<UrlParts> plain_final = ParseHttpUrl(run.page.final_url);
  const std::optional<UrlParts> page_url = ParseHttpUrl(run.site.url);
  if (!run.page_print.has_value()) {
    run.page_print = MakeFingerprint(absl::StrCat(run.page_doc.title, " ", run.page_doc.visible_text));
  }
  if (!run.page_gambling.has_value()) {
    run.page_gambling = run.context.analyzers->gambling().Scan(
        run.page_doc, page_url.has_value() ? page_url->host : "");
  }
  const TextFingerprint& plain_print = *run.page_print;
  const GamblingScan& plain_gambling = *run.page_gambling;
  const struct {
    const char* who;
    const std::optional<FetchResult>& fetch;
  } variants[] = {{"Googlebot", run.googlebot},
                  {"Google-InspectionTool", run.inspection},
                  {"a visitor from Google search", run.search_visitor}};
  for (const auto& v : variants) {
    if (!v.fetch.has_value()) continue;
    const FetchResult& f = *v.fetch;
    if (!f.transfer_ok) {
      // A redirect off the site is cloaking even when its target cannot be fetched: gambling
      // domains are often unreachable from the agent (blocked by Indonesian resolvers, or
      // gone). Any other failure is not: blocked bots are not cloaking.
      const std::optional<UrlParts> target =
          f.hops.empty() ? std::nullopt : ParseHttpUrl(f.hops.back().location);
      if (target.has_value() && plain_final.has_value() &&
          !SameSite(target->host, plain_final->host)) {
        AddFinding(report.mutable_findings(), "cloaking", v1::Finding::CRITICAL,
                   absl::StrCat(v.who, " is redirected to ", target->host,
                                " (not reachable from here: ", f.error,
                                ") where a plain visit stays on ", plain_final->host),
                   f.hops.back().location, v.who);
      }
      continue;
    }
    const std::optional<UrlParts> final_url = ParseHttpUrl(f.final_url);
    if (f.status != run.page.status) {
      AddFinding(report.mutable_findings(), "cloaking", v1::Finding::CRITICAL,
                 absl::StrCat(v.who, " gets HTTP ", f.status, " where a plain visit gets ",
                              run.page.status),
                 f.final_url, v.who);
      continue;
    }
    if (final_url.has_value() && plain_final.has_value() &&
        !SameSite(final_url->host, plain_final->host)) {
      AddFinding(report.mutable_findings(), "cloaking", v1::Finding::CRITICAL,
                 absl::StrCat(v.who, " is redirected to ", final_url->host,
                              " where a plain visit stays on ", plain_final->host),
                 f.final_url, v.who);
      continue;
    }
    const HtmlDocument doc = ExtractHtml(f.body);
    const double changed =
        ChangedShare(plain_print, MakeFingerprint(absl::StrCat(doc.title, " ", doc.visible_text)));
    const GamblingScan gambling =
        run.context.analyzers->gambling().Scan(doc, page_url.has_value() ? page_url->host : "");
    if (gambling.suspicious && !plain_gambling.suspicious) {
      AddFinding(report.mutable_findings(), "cloaking", v1::Finding::CRITICAL,
                 absl::StrCat(v.who, " is served gambling spam that a plain visit does not see"),
                 absl::StrJoin(gambling.evidence, "; "), v.who);
    } else if (changed > kCloakingTextShare) {
      AddFinding(report.mutable_findings(), "cloaking", v1::Finding::WARNING,
                 absl::StrCat(v.who, " is served another page: ", Percent(changed),
                              " of the visible text differs"),
                 doc.title, v.who);
    }
  }
  out->push_back(std::move(report));
}

void AnalyzeSitemaps(Run& run, absl::Time now, std::vector<v1::CheckReport>* out) {
  if (!run.site.content.sitemaps) return;
  v1::CheckReport report = NewReport(run.site, "sitemap", run.started);
  // A sitemap that could not be read is not an empty one: keep the baseline and the findings.
  std::string unreadable;
  if (run.robots.has_value() && (!run.robots->transfer_ok || run.robots->status >= 500)) {
    unreadable = absl::StrCat("robots.txt: ", FetchFailure(*run.robots));
  }
  for (const auto& [url, fetch] : run.sitemap_files) {
    if (unreadable.empty() && fetch.status != 0 && fetch.status >= 500) {
      unreadable = absl::StrCat(url, ": ", FetchFailure(fetch));
    } else if (unreadable.empty() && !fetch.transfer_ok && fetch.status == 0 && !fetch.error.empty()) {
      unreadable = absl::StrCat(url, ": ", FetchFailure(fetch));
    }
  }
  if (!unreadable.empty()) {
    report.set_error(absl::StrCat("cannot read the sitemaps: ", unreadable));
    out->push_back(std::move(report));
    return;
  }
  SitemapPolicy policy;
  const GamblingDetector& gambling = run.context.analyzers->gambling();
  policy.looks_gambling = [&gambling](absl::string_view text) {
    return gambling.LooksLikeGamblingText(text);
  };
  SitemapSnapshotBuilder builder(policy);
  for (const auto& [url, fetch] : run.sitemap_files) builder.AddSitemapUrl(url);
  for (const auto& [url, doc] : run.sitemap_docs) builder.AddDocument(url, doc);
  const SitemapSnapshot snapshot = builder.Build();
  SitemapSnapshot previous;
  absl::StatusOr<std::optional<CheckStateStore::Entry>> stored =
      run.context.state->Get(run.site.id, kSitemapKey);
  if (!stored.ok()) {
    report.set_error(absl::StrCat("cannot read the stored snapshot: ", stored.status().message()));
    out->push_back(std::move(report));
    return;
  }
  if (stored->has_value()) {
    if (absl::StatusOr<SitemapSnapshot> parsed = SitemapSnapshot::Parse((*stored)->value);
        parsed.ok()) {
      previous = std::move(*parsed);
    }
  }
  const SitemapFindings f = CompareSitemaps(previous, snapshot, policy);
  auto* findings = report.mutable_findings();
  for (const std::string& url : f.new_sitemap_urls) {
    AddFinding(findings, "sitemap_new", v1::Finding::WARNING,
               "a sitemap file appeared that the previous run did not see", url, url);
  }
  if (f.sudden_growth) {
    AddFinding(findings, "sitemap_growth", v1::Finding::WARNING,
               absl::StrCat("the sitemaps grew from ", f.previous_url_count, " to ", f.url_count,
                            " URLs (about ", f.estimated_new_urls, " new)"),
               "", "growth");
  }
  if (f.gambling_url_count > 0) {
    AddFinding(findings, "sitemap_injected", v1::Finding::CRITICAL,
               absl::StrCat(f.gambling_url_count, " sitemap URLs carry gambling terms"),
               absl::StrJoin(f.gambling_urls.begin(),
                             f.gambling_urls.begin() + std::min<size_t>(5, f.gambling_urls.size()),
                             " "),
               "gambling_urls");
  }
  if (absl::Status s = run.context.state->Put(run.site.id, kSitemapKey, snapshot.Serialize(), now);
      !s.ok()) {
    PANTAU_LOG(WARNING) << "site " << run.site.id << ": " << s.message();
  }
  out->push_back(std::move(report));
}

void AnalyzeRequiredPages(Run& run, absl::CivilDay today, absl::TimeZone tz,
                          std::vector<v1::CheckReport>* out) {
  if (!run.site.content.required_pages || run.site.court_type.empty()) return;
  v1::CheckReport report = NewReport(run.site, "required_pages", run.started);
  if (!PageOk(run.page)) {
    report.set_error(absl::StrCat("cannot read the page: ", FetchFailure(run.page)));
    out->push_back(std::move(report));
    return;
  }
  auto* findings = report.mutable_findings();
  const RequiredPagesChecklist& checklist = run.context.analyzers->required_pages();
  for (const RequiredPageMatch& m : run.required.items) {
    if (m.found) continue;
    const RequiredPageItem* item = checklist.Find(m.id);
    AddFinding(findings, "required_page_missing", v1::Finding::WARNING,
               absl::StrCat("no link to '", m.item, "'",
                            item != nullptr ? absl::StrCat(" (", item->legal_basis, ")") : ""),
               "", m.id);
  }
  for (size_t k = 0; k < run.required_fetches.size(); ++k) {
    const RequiredPageMatch& m = run.required.items[run.required_index[k]];
    const RequiredPageItem* item = checklist.Find(m.id);
    if (item == nullptr) continue;
    const FetchResult& f = run.required_fetches[k];
    std::optional<absl::CivilDay> newest_known;
    if (std::optional<absl::Time> lm = ParseHttpDate(f.last_modified)) {
      newest_known = absl::ToCivilDay(*lm, tz);
    }
    const RequiredPageVerdict verdict =
        JudgePage(*item, f.transfer_ok ? f.status : 0, ExtractHtml(f.body).visible_text,
                  newest_known, today);
    if (verdict.verdict == PageVerdict::kOk) continue;
    const bool broken = verdict.verdict == PageVerdict::kBroken;
    AddFinding(findings, broken ? "required_page_broken" : "required_page_stale",
               v1::Finding::WARNING,
               absl::StrCat("'", m.item, "' is ", PageVerdictName(verdict.verdict), ": ",
                            broken && !f.transfer_ok ? f.error : verdict.reason),
               m.url, m.id);
  }
  out->push_back(std::move(report));
}

void AnalyzeFreshness(Run& run, absl::Time now, absl::TimeZone tz,
                      std::vector<v1::CheckReport>* out) {
  v1::CheckReport report = NewReport(run.site, "freshness", run.started);
  FreshnessInputs in;
  if (run.wp_json.has_value() && PageOk(*run.wp_json)) in.wp_json = NewestWpJsonPostDate(run.wp_json->body);
  for (const std::optional<FetchResult>* f : {&run.feed, &run.joomla_feed}) {
    if (!f->has_value() || !PageOk(**f)) continue;
    std::optional<absl::Time> t = NewestFeedDate((*f)->body);
    if (t.has_value() && (!in.feed.has_value() || *t > *in.feed)) in.feed = t;
  }
  for (const auto& [url, doc] : run.sitemap_docs) {
    if (doc.kind != SitemapKind::kUrlSet) continue;
    std::optional<absl::Time> t = NewestSitemapLastmod(doc);
    if (t.has_value() && (!in.sitemap_lastmod.has_value() || *t > *in.sitemap_lastmod)) in.sitemap_lastmod = t;
  }
  if (PageOk(run.page)) in.last_modified = ParseHttpDate(run.page.last_modified);
  const absl::CivilDay today = absl::ToCivilDay(now, tz);
  // The listing: the configured news page, else the home page.
  const bool have_news = run.news.has_value() && PageOk(*run.news);
  const std::string listing_text =
      have_news ? ExtractHtml(run.news->body).visible_text : run.page_doc.visible_text;
  if (have_news || PageOk(run.page)) {
    std::optional<absl::CivilDay> newest = NewestDate(listing_text, today);
    if (newest.has_value()) in.listing_date = newest;
    // When the listing's text last changed (dynamic tokens are stripped by the fingerprint).
    const std::string hash = absl::StrCat(StableHash(MakeFingerprint(listing_text).Serialize()));
    absl::StatusOr<std::optional<CheckStateStore::Entry>> read =
        run.context.state->Get(run.site.id, kListingHashKey);
    if (read.ok()) {
      const std::optional<CheckStateStore::Entry>& stored = *read;
      if (!stored.has_value() || stored->value != hash) {
        (void)run.context.state->Put(run.site.id, kListingHashKey, hash, now);
        if (stored.has_value()) in.listing_hash_changed = now;
      } else {
        in.listing_hash_changed = stored->updated;
      }
    }
  }
  const FreshnessResult fresh = PickFreshness(in, now, tz);
  if (fresh.known) {
    report.set_content_age_known(true);
    report.set_content_age_days(static_cast<double>(fresh.age_days));
    report.set_content_age_source(std::string(FreshnessSourceName(fresh.source)));
    if (fresh.age_days > run.site.content.max_content_age_days) {
      AddFinding(report.mutable_findings(), "content_stale", v1::Finding::WARNING,
                 absl::StrCat("no new content for ", fresh.age_days, " days (newest: ",
                              absl::FormatTime("%Y-%m-%d", fresh.newest, tz), ", from ",
                              FreshnessSourceName(fresh.source), "; limit ",
                              run.site.content.max_content_age_days, " days)"),
                 "", "age");
    }
  } else if (!PageOk(run.page)) {
    report.set_error(absl::StrCat("cannot read the page: ", FetchFailure(run.page)));
  }
  out->push_back(std::move(report));
}

void Run::Finish() {
  const absl::Time now = context.clock->Now();
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(context.time_zone, &tz)) tz = absl::FixedTimeZone(7 * 3600);
  std::vector<v1::CheckReport> reports;
  AnalyzePage(*this, now, &reports);
  AnalyzeCloaking(*this, &reports);
  AnalyzeSitemaps(*this, now, &reports);
  AnalyzeRequiredPages(*this, absl::ToCivilDay(now, tz), tz, &reports);
  AnalyzeFreshness(*this, now, tz, &reports);
  auto callback = std::move(done);
  callback(std::move(reports));
}

}  // namespace

ContentAnalyzers::ContentAnalyzers() = default;
ContentAnalyzers::~ContentAnalyzers() = default;

absl::StatusOr<std::unique_ptr<ContentAnalyzers>> ContentAnalyzers::Load(const std::string& data_dir) {
  std::unique_ptr<ContentAnalyzers> a(new ContentAnalyzers());
  const std::string dir = data_dir + "/content/";
  absl::StatusOr<GamblingDetector> gambling = GamblingDetector::Load(dir + "gambling_terms.yaml");
  if (!gambling.ok()) return gambling.status();
  a->gambling_ = std::make_unique<GamblingDetector>(std::move(*gambling));
  absl::StatusOr<DefacementPhrases> phrases = DefacementPhrases::Load(dir + "defacement_phrases.yaml");
  if (!phrases.ok()) return phrases.status();
  a->phrases_ = std::make_unique<DefacementPhrases>(std::move(*phrases));
  absl::StatusOr<RequiredPagesChecklist> required =
      RequiredPagesChecklist::Load(dir + "required_pages.yaml");
  if (!required.ok()) return required.status();
  a->required_ = std::make_unique<RequiredPagesChecklist>(std::move(*required));
  return a;
}

void RunContentChecks(const ContentContext& context, const SiteConfig& site, absl::Time started,
                      std::function<void(std::vector<v1::CheckReport>)> done) {
  auto run = std::make_shared<Run>();
  run->context = context;
  run->site = site;
  run->started = started;
  run->done = std::move(done);
  std::optional<UrlParts> origin = ParseHttpUrl(site.url);
  if (!origin.has_value()) {
    v1::CheckReport report = NewReport(site, "content", started);
    report.set_error("the site's URL cannot be parsed");
    run->done({std::move(report)});
    return;
  }
  run->origin = *origin;
  run->Start();
}

}  // namespace pantau::agent
