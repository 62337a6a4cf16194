#include "collector/store/store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "collector/store/migrations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/postgres_test.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::PostgresServer;

class StoreTest : public ::pantau::testing::PostgresTest {
 protected:
  int64_t Count(const std::string& sql) {
    pqxx::connection conn(conninfo_);
    pqxx::work txn(conn);
    return txn.exec1(sql)[0].as<int64_t>();
  }
  static v1::PushRequest Batch(uint64_t seq, std::vector<std::pair<std::string, int64_t>> probes) {
    v1::PushRequest r;
    r.set_agent_id("a1");
    r.set_court_id("PA-XYZ");
    r.set_batch_seq(seq);
    uint64_t id = seq * 100;
    for (const auto& [site, started_ms] : probes) {
      v1::Event* e = r.add_events();
      e->set_agent_event_id(++id);
      v1::ProbeResult* p = e->mutable_probe();
      p->set_site(site);
      p->set_url("http://" + site + "/");
      p->set_started_unix_ms(started_ms);
      p->set_up(started_ms % 2 == 0);
      p->set_http_status(started_ms % 2 == 0 ? 200 : 503);
      p->set_total_us(started_ms % 1000);
      p->set_error("it's \"quoted\"\ttab\\backslash\nnewline");  // COPY escaping
    }
    return r;
  }
  // One text column of a query, row by row (NULL reads as "NULL").
  std::vector<std::string> Column(const std::string& sql) {
    pqxx::connection conn(conninfo_);
    pqxx::work txn(conn);
    std::vector<std::string> out;
    for (const pqxx::row& r : txn.exec(sql)) {
      out.push_back(r[0].is_null() ? "NULL" : r[0].as<std::string>());
    }
    return out;
  }
  std::unique_ptr<Store> NewStore() {
    auto store = Store::Create(conninfo_, 2);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // A batch of agent a1 of court PA-XYZ with the given events, numbered seq*100+1...
  static v1::PushRequest Events(uint64_t seq, std::vector<v1::Event> events) {
    v1::PushRequest r;
    r.set_agent_id("a1");
    r.set_court_id("PA-XYZ");
    r.set_batch_seq(seq);
    uint64_t id = seq * 100;
    for (v1::Event& e : events) {
      e.set_agent_event_id(++id);
      *r.add_events() = std::move(e);
    }
    return r;
  }
  static v1::Finding Found(const std::string& kind, const std::string& key,
                           v1::Finding::Severity severity = v1::Finding::WARNING) {
    v1::Finding f;
    f.set_kind(kind);
    f.set_key(key);
    f.set_severity(severity);
    f.set_detail("detail of " + kind + " " + key);
    f.set_evidence("evidence \"" + key + "\"\tand\\more");
    return f;
  }
  static v1::Event Report(const std::string& site, const std::string& check, int64_t started_ms,
                          std::vector<v1::Finding> findings, const std::string& error = "") {
    v1::Event e;
    v1::CheckReport* c = e.mutable_check();
    c->set_site(site);
    c->set_check(check);
    c->set_started_unix_ms(started_ms);
    c->set_error(error);
    for (v1::Finding& f : findings) *c->add_findings() = std::move(f);
    return e;
  }
  static v1::Event Probe(const std::string& site, const std::string& kind, int64_t started_ms,
                         bool up, std::vector<v1::Finding> findings = {}) {
    v1::Event e;
    v1::ProbeResult* p = e.mutable_probe();
    p->set_site(site);
    p->set_probe_kind(kind);
    p->set_url((kind == "dns" ? "dns://" : "https://") + site + "/");
    p->set_started_unix_ms(started_ms);
    p->set_up(up);
    p->set_http_status(up && kind != "dns" ? 200 : 0);
    p->set_total_us(1234);
    for (v1::Finding& f : findings) *p->add_findings() = std::move(f);
    return e;
  }
  static v1::Event Freshness(const std::string& site, int64_t started_ms, double age_days,
                             const std::string& source) {
    v1::Event e = Report(site, "freshness", started_ms, {});
    e.mutable_check()->set_content_age_known(true);
    e.mutable_check()->set_content_age_days(age_days);
    e.mutable_check()->set_content_age_source(source);
    return e;
  }
  // "kind/key first_seen_ms last_seen_ms" of the open findings of (site, check), by kind, key.
  std::vector<std::string> OpenSet(const std::string& site, const std::string& check) {
    return Column(
        "SELECT kind || '/' || key || ' ' || (extract(epoch from first_seen) * 1000)::bigint || "
        "' ' || (extract(epoch from last_seen) * 1000)::bigint FROM open_findings "
        "WHERE court_id = 'PA-XYZ' AND site = '" + site + "' AND check_name = '" + check +
        "' ORDER BY kind, key");
  }
};

TEST_F(StoreTest, MigrationsApplyOnceAndAreRecorded) {
  auto first = ApplyMigrations(conninfo_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, static_cast<int>(AllMigrations().size()));
  auto second = ApplyMigrations(conninfo_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(AllMigrations().size()));
}

TEST_F(StoreTest, BatchIsStoredOnceAndAdvancesLastSeq) {
  auto store = Store::Create(conninfo_, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  auto out = (*store)->StoreBatch(Batch(1, {{"s1", 1000}, {"s2", 1001}, {"s1", 1002}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->acked_seq, 1u);
  EXPECT_FALSE(out->duplicate);
  auto again = (*store)->StoreBatch(Batch(1, {{"s1", 1000}}));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->acked_seq, 1u);
  // The handshake (seq 0, no events) reports the stored seq and changes nothing.
  v1::PushRequest hello;
  hello.set_agent_id("a1");
  auto hs = (*store)->StoreBatch(hello);
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(hs->acked_seq, 1u);
  EXPECT_FALSE(hs->duplicate);

  EXPECT_EQ(Count("SELECT count(*) FROM probe_results"), 3);
  EXPECT_EQ(Count("SELECT last_seq FROM agents WHERE agent_id = 'a1'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM probe_results WHERE error = "
                  "E'it''s \"quoted\"\\ttab\\\\backslash\\nnewline'"),
            3);
  EXPECT_EQ(Count("SELECT (extract(epoch from started_at) * 1000)::bigint FROM probe_results "
                  "WHERE agent_event_id = 101"),
            1000);
}

TEST_F(StoreTest, LatestBySiteKeepsTheNewestProbeEvenWhenBatchesArriveOutOfOrder) {
  auto store = Store::Create(conninfo_, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->StoreBatch(Batch(1, {{"s1", 5000}, {"s1", 4000}})).ok());
  // An older probe in a later batch (an agent's backlog) does not override the newer one.
  ASSERT_TRUE((*store)->StoreBatch(Batch(2, {{"s1", 3001}, {"s2", 7001}})).ok());
  auto latest = (*store)->LatestBySite("");
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].site, "s1");
  EXPECT_EQ(absl::ToUnixMillis((*latest)[0].started_at), 5000);
  EXPECT_TRUE((*latest)[0].up);
  EXPECT_EQ((*latest)[1].site, "s2");
  EXPECT_FALSE((*latest)[1].up);
  EXPECT_EQ((*latest)[1].http_status, 503);
  auto other_court = (*store)->LatestBySite("PN-OTHER");
  ASSERT_TRUE(other_court.ok());
  EXPECT_TRUE(other_court->empty());
}

TEST_F(StoreTest, DatabaseDownIsUnavailableAndRecoversAfterRestart) {
  auto store = Store::Create(conninfo_, 2);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->StoreBatch(Batch(1, {{"s1", 1000}})).ok());
  ASSERT_TRUE(pg_->Stop().ok());
  EXPECT_THAT((*store)->StoreBatch(Batch(2, {{"s1", 2000}})).status(),
              pantau::testing::StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*store)->StoreBatch(Batch(2, {{"s1", 2000}})).status(),
              pantau::testing::StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(pg_->Restart().ok());
  auto out = (*store)->StoreBatch(Batch(2, {{"s1", 2000}}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->acked_seq, 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM probe_results"), 2);
}

TEST_F(StoreTest, CreateFailsClearlyWhenTheDatabaseCannotBeReached) {
  auto store = Store::Create("host=/nonexistent-dir port=1 dbname=x user=y connect_timeout=2", 1);
  EXPECT_THAT(store.status(), pantau::testing::StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(StoreTest, ProbeTargetsComeFromTheCentralList) {
  auto store = Store::Create(conninfo_, 1);
  ASSERT_TRUE(store.ok()) << store.status();
  {
    pqxx::connection conn(conninfo_);
    pqxx::work txn(conn);
    txn.exec("INSERT INTO probe_targets (agent_id, site, url, interval_seconds, timeout_ms, "
             "expected_status) VALUES ('a1', 'www', 'https://pn-x.go.id/', 30, 5000, '{200,301}')");
    txn.commit();
  }
  auto targets = (*store)->ProbeTargets("a1");
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].url(), "https://pn-x.go.id/");
  EXPECT_EQ((*targets)[0].interval_seconds(), 30);
  EXPECT_THAT((*targets)[0].expected_status(), ::testing::ElementsAre(200, 301));
  auto none = (*store)->ProbeTargets("a2");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, ProbeTlsRedirectAndDnsFieldsRoundTrip) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  v1::Event https = Probe("www", "", 1767225600000, true);
  v1::ProbeResult* p = https.mutable_probe();
  p->set_http_version("2");
  p->set_redirect_count(2);
  p->set_final_url("https://www/beranda?a=1&b=\"2\"");
  p->set_tls_checked(true);
  p->set_tls_verified(false);
  p->set_tls_days_left(-3);
  p->set_tls_days_left_known(true);
  p->set_tls_issuer("C=US, O=Let's Encrypt, CN=R11");
  p->set_tls_error("certificate has expired");
  v1::Event unknown_cert = Probe("www2", "http", 1767225600000, true);
  unknown_cert.mutable_probe()->set_tls_checked(true);
  unknown_cert.mutable_probe()->set_tls_days_left(99);  // not known: must not be stored
  v1::Event dns = Probe("www", "dns", 1767225600001, true);
  for (const char* answer : {"system=10.0.0.5", "1.1.1.1=203.0.113.7", "",
                             "odd=\"quoted\",{brace}\\NULL"}) {
    dns.mutable_probe()->add_dns_answers(answer);
  }
  v1::Event tcp = Probe("www", "tcp", 1767225600002, false);
  ASSERT_TRUE(store->StoreBatch(Events(1, {https, unknown_cert, dns, tcp})).ok());

  EXPECT_THAT(Column("SELECT probe_kind FROM probe_results ORDER BY agent_event_id"),
              ::testing::ElementsAre("http", "http", "dns", "tcp"));
  EXPECT_THAT(Column("SELECT concat_ws('|', http_version, redirect_count, final_url, tls_checked, "
                     "tls_verified, tls_days_left, tls_issuer, tls_error) FROM probe_results "
                     "WHERE agent_event_id = 101"),
              ::testing::ElementsAre("2|2|https://www/beranda?a=1&b=\"2\"|t|f|-3|C=US, O=Let's "
                                     "Encrypt, CN=R11|certificate has expired"));
  EXPECT_THAT(Column("SELECT tls_days_left FROM probe_results WHERE agent_event_id = 102"),
              ::testing::ElementsAre("NULL"));
  EXPECT_THAT(Column("SELECT unnest(dns_answers) FROM probe_results WHERE agent_event_id = 103"),
              ::testing::ElementsAre("system=10.0.0.5", "1.1.1.1=203.0.113.7", "",
                                     "odd=\"quoted\",{brace}\\NULL"));
  EXPECT_THAT(Column("SELECT cardinality(dns_answers) FROM probe_results "
                     "WHERE agent_event_id = 101"),
              ::testing::ElementsAre("0"));

  auto latest = store->LatestBySite("PA-XYZ");
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 2u);
  const SiteLatest& www = (*latest)[0];
  EXPECT_EQ(www.site, "www");
  EXPECT_TRUE(www.tls_checked);
  EXPECT_FALSE(www.tls_verified);
  EXPECT_EQ(www.tls_days_left, -3);
  EXPECT_EQ(www.tls_error, "certificate has expired");
  EXPECT_EQ(www.tls_issuer, "C=US, O=Let's Encrypt, CN=R11");
  EXPECT_EQ((*latest)[1].tls_days_left, std::nullopt);
  EXPECT_TRUE((*latest)[1].tls_checked);
}

TEST_F(StoreTest, DnsAndTcpProbesDoNotClobberTheHttpRowOfSiteLatest) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  // A newer dns probe (down) in the same batch and in a later one.
  ASSERT_TRUE(store->StoreBatch(Events(1, {Probe("www", "", 1000000000000, true),
                                           Probe("www", "dns", 1000000001000, false)}))
                  .ok());
  ASSERT_TRUE(store->StoreBatch(Events(2, {Probe("www", "tcp", 1000000002000, false),
                                           Probe("www", "dns", 1000000003000, true)}))
                  .ok());
  auto latest = store->LatestBySite("");
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].url, "https://www/");
  EXPECT_TRUE((*latest)[0].up);
  EXPECT_EQ(absl::ToUnixMillis((*latest)[0].started_at), 1000000000000);
  EXPECT_THAT(Column("SELECT probe_kind || ' ' || up || ' ' || url FROM site_probe_latest "
                     "ORDER BY probe_kind"),
              ::testing::ElementsAre("dns true dns://www/", "tcp false https://www/"));
  EXPECT_EQ(Count("SELECT count(*) FROM site_latest"), 1);
}

TEST_F(StoreTest, ANewerReportReplacesTheOpenFindingsKeepingFirstSeen) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->StoreBatch(Events(1, {Report("www", "content", 1000000000000,
                                                  {Found("gambling_spam", "x"),
                                                   Found("gambling_spam", "y")})}))
                  .ok());
  EXPECT_THAT(OpenSet("www", "content"),
              ::testing::ElementsAre("gambling_spam/x 1000000000000 1000000000000",
                                     "gambling_spam/y 1000000000000 1000000000000"));
  ASSERT_TRUE(store->StoreBatch(Events(2, {Report("www", "content", 1000000060000,
                                                  {Found("gambling_spam", "y")})}))
                  .ok());
  EXPECT_THAT(OpenSet("www", "content"),
              ::testing::ElementsAre("gambling_spam/y 1000000000000 1000000060000"));
  // x comes back: a new streak with its own first_seen.
  ASSERT_TRUE(store->StoreBatch(Events(3, {Report("www", "content", 1000000120000,
                                                  {Found("gambling_spam", "x"),
                                                   Found("gambling_spam", "y")})}))
                  .ok());
  EXPECT_THAT(OpenSet("www", "content"),
              ::testing::ElementsAre("gambling_spam/x 1000000120000 1000000120000",
                                     "gambling_spam/y 1000000000000 1000000120000"));
  // All clear.
  ASSERT_TRUE(store->StoreBatch(Events(4, {Report("www", "content", 1000000180000, {})})).ok());
  EXPECT_THAT(OpenSet("www", "content"), ::testing::IsEmpty());
  // The history keeps every finding as reported, with the text as sent.
  EXPECT_EQ(Count("SELECT count(*) FROM findings"), 5);
  EXPECT_EQ(Count("SELECT count(*) FROM findings WHERE evidence = E'evidence \"y\"\\tand\\\\more'"),
            3);
  EXPECT_EQ(Count("SELECT count(*) FROM check_reports"), 4);
  EXPECT_EQ(Count("SELECT sum(findings_count) FROM check_reports"), 5);
}

TEST_F(StoreTest, EachCheckReplacesOnlyItsOwnFindings) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->StoreBatch(Events(1, {Probe("www", "", 1000000000000, true,
                                                 {Found("tls_expiring", "")}),
                                           Report("www", "cloaking", 1000000000000,
                                                  {Found("cloaking", "")})}))
                  .ok());
  // A dns probe without findings and a content report without findings clear nothing of
  // "http" or "cloaking".
  ASSERT_TRUE(store->StoreBatch(Events(2, {Probe("www", "dns", 1000000001000, true),
                                           Report("www", "content", 1000000001000, {})}))
                  .ok());
  EXPECT_THAT(Column("SELECT check_name || ' ' || kind FROM open_findings ORDER BY 1"),
              ::testing::ElementsAre("cloaking cloaking", "http tls_expiring"));
  // The next http probe without findings closes tls_expiring.
  ASSERT_TRUE(store->StoreBatch(Events(3, {Probe("www", "http", 1000000002000, true)})).ok());
  EXPECT_THAT(Column("SELECT check_name || ' ' || kind FROM open_findings ORDER BY 1"),
              ::testing::ElementsAre("cloaking cloaking"));
}

TEST_F(StoreTest, AReportThatCouldNotRunLeavesTheOpenFindings) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->StoreBatch(Events(1, {Report("www", "sitemap", 1000000000000,
                                                  {Found("sitemap_injected", "/s.xml")})}))
                  .ok());
  ASSERT_TRUE(store->StoreBatch(Events(2, {Report("www", "sitemap", 1000000060000, {},
                                                  "sitemap.xml: HTTP 503")}))
                  .ok());
  EXPECT_THAT(OpenSet("www", "sitemap"),
              ::testing::ElementsAre("sitemap_injected//s.xml 1000000000000 1000000000000"));
  EXPECT_EQ(Count("SELECT count(*) FROM check_reports WHERE error = 'sitemap.xml: HTTP 503'"), 1);
  // Nor does it count as the newest run: an older run that did run still applies.
  ASSERT_TRUE(store->StoreBatch(Events(3, {Report("www", "sitemap", 1000000030000, {})})).ok());
  EXPECT_THAT(OpenSet("www", "sitemap"), ::testing::IsEmpty());
}

TEST_F(StoreTest, AnOlderReportArrivingLaterDoesNotChangeTheOpenFindings) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  // Out of order across batches...
  ASSERT_TRUE(store->StoreBatch(Events(1, {Report("www", "content", 1000000060000,
                                                  {Found("defacement", "title")})}))
                  .ok());
  ASSERT_TRUE(store->StoreBatch(Events(2, {Report("www", "content", 1000000000000,
                                                  {Found("gambling_spam", "slot")})}))
                  .ok());
  EXPECT_THAT(OpenSet("www", "content"),
              ::testing::ElementsAre("defacement/title 1000000060000 1000000060000"));
  // ...and within one batch (newer first).
  ASSERT_TRUE(store->StoreBatch(Events(3, {Report("www", "cloaking", 1000000060000, {}),
                                           Report("www", "cloaking", 1000000000000,
                                                  {Found("cloaking", "")})}))
                  .ok());
  EXPECT_THAT(OpenSet("www", "cloaking"), ::testing::IsEmpty());
  // Both old reports are still in the history.
  EXPECT_EQ(Count("SELECT count(*) FROM findings WHERE kind IN ('gambling_spam', 'cloaking')"), 2);
}

TEST_F(StoreTest, AReplayedBatchAddsNoFindingsOrReports) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  const v1::PushRequest batch =
      Events(1, {Report("www", "content", 1000000000000, {Found("defacement", "a")}),
                 Probe("www", "", 1000000000000, true, {Found("tls_invalid", "")})});
  ASSERT_TRUE(store->StoreBatch(batch).ok());
  auto again = store->StoreBatch(batch);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(Count("SELECT count(*) FROM findings"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM check_reports"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM open_findings"), 2);
}

TEST_F(StoreTest, AReportNamingOneFindingTwiceKeepsTheMostSevereCopy) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  auto out = store->StoreBatch(
      Events(1, {Report("www", "content", 1000000000000,
                        {Found("gambling_spam", "a", v1::Finding::WARNING),
                         Found("gambling_spam", "a", v1::Finding::CRITICAL),
                         Found("gambling_spam", "a", v1::Finding::INFO)})}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Column("SELECT severity FROM open_findings"), ::testing::ElementsAre("3"));
  EXPECT_EQ(Count("SELECT count(*) FROM findings"), 3);
}

TEST_F(StoreTest, LatestBySiteHasContentAgeAndOpenFindingsMostSevereFirst) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->StoreBatch(Events(
                      1, {Probe("www", "", 1000000000000, true, {Found("redirect_offsite", "")}),
                          Report("www", "content", 1000000000000,
                                 {Found("keyword_missing", "alamat", v1::Finding::INFO),
                                  Found("gambling_spam", "slot", v1::Finding::CRITICAL),
                                  Found("defacement", "title", v1::Finding::CRITICAL)}),
                          Freshness("www", 1000000000000, 40.25, "feed"),
                          Freshness("www", 1000000060000, 12.5, "wp_json"),
                          Probe("other", "", 1000000000000, true)}))
                  .ok());
  // An older freshness report in a later batch does not turn the age back.
  ASSERT_TRUE(store->StoreBatch(Events(2, {Freshness("www", 1000000030000, 99, "sitemap_lastmod")}))
                  .ok());
  auto latest = store->LatestBySite("");
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->size(), 2u);
  const SiteLatest& other = (*latest)[0];
  EXPECT_EQ(other.site, "other");
  EXPECT_EQ(other.content_age_days, std::nullopt);
  EXPECT_TRUE(other.open_findings.empty());
  const SiteLatest& www = (*latest)[1];
  EXPECT_EQ(www.content_age_days, 12.5);
  EXPECT_EQ(www.content_age_source, "wp_json");
  std::vector<std::string> order;
  for (const OpenFinding& f : www.open_findings) {
    order.push_back(f.check + " " + f.finding.kind());
  }
  EXPECT_THAT(order, ::testing::ElementsAre("content defacement", "content gambling_spam",
                                            "http redirect_offsite", "content keyword_missing"));
  EXPECT_EQ(www.open_findings[1].finding.key(), "slot");
  EXPECT_EQ(www.open_findings[1].finding.severity(), v1::Finding::CRITICAL);
  EXPECT_EQ(www.open_findings[1].finding.detail(), "detail of gambling_spam slot");
  EXPECT_EQ(absl::ToUnixMillis(www.open_findings[1].first_seen), 1000000000000);
}

TEST(NewestCheckRuns, TakesTheNewestRunPerSiteAndCheckAndSkipsReportsThatDidNotRun) {
  v1::PushRequest r;
  auto add = [&r](const std::string& site, const std::string& check, int64_t ms,
                  const std::string& error, int findings) {
    v1::CheckReport* c = r.add_events()->mutable_check();
    c->set_site(site);
    c->set_check(check);
    c->set_started_unix_ms(ms);
    c->set_error(error);
    for (int i = 0; i < findings; ++i) c->add_findings()->set_kind("k");
  };
  add("b", "content", 2000, "", 1);
  add("b", "content", 1000, "", 2);      // older
  add("b", "content", 3000, "boom", 3);  // newer, but did not run
  add("a", "sitemap", 1000, "", 4);
  add("a", "sitemap", 1000, "", 5);      // same time: the later event wins
  r.add_events()->mutable_probe()->set_site("a");  // kind "" = http
  std::vector<std::string> runs;
  for (const CheckRun& run : NewestCheckRuns(r)) {
    runs.push_back(absl::StrCat(*run.site, " ", run.check, " ", run.started_unix_ms, " ",
                                run.findings->size()));
  }
  EXPECT_THAT(runs, ::testing::ElementsAre("a http 0 0", "a sitemap 1000 5", "b content 2000 1"));
}


v1::Event BackupEvent(const std::string& id, int64_t started_ms, bool verified,
                      const std::string& error, int64_t files) {
  v1::Event e;
  v1::BackupSummary* b = e.mutable_backup();
  b->set_site("pn-x");
  b->set_backup_id(id);
  b->set_kind("full");
  b->set_started_unix_ms(started_ms);
  b->set_finished_unix_ms(started_ms + 90000);
  b->set_bytes(2048);
  b->set_files(files);
  b->set_files_copied(files);
  b->set_source_bytes(files * 100);
  b->add_media("/mnt/usb \"one\"");
  b->add_media("/mnt/nas,two");
  b->set_verified(verified);
  b->set_error(error);
  b->set_interval_seconds(21600);
  b->set_databases(1);
  b->set_database_bytes(512);
  return e;
}

TEST_F(StoreTest, BackupSummariesAreStoredAndALaterOneWithTheSameIdReplacesTheRow) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  constexpr int64_t t0 = 1767225600000;
  // An unverified run, and in the next batch its verification on demand plus a newer failed run.
  ASSERT_TRUE(store->StoreBatch(Events(1, {BackupEvent("pn-x-1", t0, false, "", 1000)})).ok());
  ASSERT_TRUE(store
                  ->StoreBatch(Events(2, {BackupEvent("pn-x-1", t0, true, "", 1000),
                                          BackupEvent("pn-x-2", t0 + 3600000, false,
                                                      "medium not mounted", 0)}))
                  .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM backups"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM backups WHERE backup_id = 'pn-x-1' AND verified"), 1);

  BackupQuery query;
  query.site = "pn-x";
  auto listed = store->Backups(query);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].summary.backup_id(), "pn-x-2");  // newest start first
  EXPECT_EQ((*listed)[0].summary.error(), "medium not mounted");
  const v1::BackupSummary& first = (*listed)[1].summary;
  EXPECT_TRUE(first.verified());
  EXPECT_EQ(first.finished_unix_ms(), t0 + 90000);
  EXPECT_EQ(first.source_bytes(), 100000);
  EXPECT_EQ(first.database_bytes(), 512);
  EXPECT_THAT(first.media(), ::testing::ElementsAre("/mnt/usb \"one\"", "/mnt/nas,two"));
  EXPECT_EQ((*listed)[1].court_id, "PA-XYZ");
  EXPECT_EQ((*listed)[1].agent_id, "a1");
  query.limit = 0;
  EXPECT_FALSE(store->Backups(query).ok());

  auto states = store->BackupStates("", "");
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 1u);
  const SiteBackupState& st = (*states)[0];
  EXPECT_EQ(st.site, "pn-x");
  EXPECT_EQ(st.last_error, "medium not mounted");
  EXPECT_FALSE(st.last_verified);
  EXPECT_EQ(st.interval_seconds, 21600);
  ASSERT_TRUE(st.last_verified_finished.has_value());
  EXPECT_EQ(absl::ToUnixMillis(*st.last_verified_finished), t0 + 90000);
  EXPECT_EQ(absl::ToUnixMillis(st.first_finished), t0 + 90000);
  EXPECT_TRUE(store->BackupStates("PN-OTHER", "")->empty());
}

TEST_F(StoreTest, IntegrityReportsKeepTheirLastCleanBackup) {
  auto store = NewStore();
  ASSERT_NE(store, nullptr);
  v1::Event e = Report("pn-x", "integrity", 1767229200000, {Found("webshell_file", "up/x.php")});
  e.mutable_check()->set_last_clean_backup_id("pn-x-1");
  e.mutable_check()->set_last_clean_backup_unix_ms(1767225600000);
  e.mutable_check()->set_restore_command("pantau-agent backup restore pn-x-1 --to DIR");
  ASSERT_TRUE(store->StoreBatch(Events(1, {e, Report("pn-x", "content", 1767229200000, {})})).ok());
  EXPECT_THAT(Column("SELECT last_clean_backup_id || ' ' || "
                     "coalesce((extract(epoch from last_clean_backup_at) * 1000)::bigint::text, "
                     "'NULL') || ' ' || restore_command FROM check_reports ORDER BY check_name"),
              ::testing::ElementsAre(" NULL ",  // content: nothing
                                     "pn-x-1 1767225600000 pantau-agent backup restore pn-x-1 "
                                     "--to DIR"));
}

}  // namespace
}  // namespace pantau::collector
