// IncidentEngine against a real PostgreSQL: signals stored through the real Store become
// incidents, escalate on a fake clock, and pages land in the outbox exactly once.
#include "collector/incidents/incident_engine.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/outbox_worker.h"
#include "collector/notify/notifier.h"
#include "collector/incidents/org_spec.h"
#include "collector/store/store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/postgres_test.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kOrg[] = R"(
courts:
  - {code: PT-X, name: Pengadilan Tinggi X, type: PT}
  - {code: PN-A, name: Pengadilan Negeri A, type: PN, parent: PT-X, sites: [{id: pn-a}]}
  - {code: PN-B, name: Pengadilan Negeri B, type: PN, parent: PT-X, time_zone: Asia/Makassar}
people:
  - {id: staf-a, name: Staf A, role: staf, courts: [PN-A], email: staf@pn-a.go.id}
  - {id: kasub-a, name: Kasubbag A, role: kasubbag, courts: [PN-A], email: kasub@pn-a.go.id}
  - {id: sekre-a, name: Sekretaris A, role: sekretaris, courts: [PN-A], email: sekre@pn-a.go.id}
  - {id: staf-b, name: Staf B, role: staf, courts: [PN-B], email: staf@pn-b.go.id}
  - {id: sekre-b, name: Sekretaris B, role: sekretaris, courts: [PN-B], email: sekre@pn-b.go.id}
  - {id: region, name: Admin Wilayah, role: admin, courts: [PT-X]}
)";

class IncidentEngineTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    ASSERT_OK_AND_ASSIGN(store_, Store::Create(conninfo_, 2));
    engine_ = MakeEngine();
    ASSERT_NE(engine_, nullptr);
    ASSERT_OK_AND_ASSIGN(const std::string root, engine_->BootstrapAdmin("root", "Root"));
    ASSERT_OK_AND_ASSIGN(root_, engine_->Authenticate(root));
    ASSERT_OK_AND_ASSIGN(OrgSpec org, ParseOrgSpec(kOrg, "org.yaml"));
    ASSERT_OK(engine_->ApplyOrg(root_, org, false).status());
  }

  std::unique_ptr<IncidentEngine> MakeEngine() {
    absl::StatusOr<IncidentCatalog> catalog =
        LoadIncidentCatalog(PANTAU_SOURCE_DIR "/data/incidents/rules.yaml",
                            PANTAU_SOURCE_DIR "/data/incidents/runbooks.yaml");
    EXPECT_OK(catalog.status());
    EngineOptions options;
    options.channels = {"email"};
    absl::StatusOr<std::unique_ptr<IncidentEngine>> engine =
        IncidentEngine::Create(conninfo_, 2, *catalog, options, clock_);
    EXPECT_OK(engine.status());
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  Principal As(const std::string& person) {
    absl::StatusOr<std::string> token = engine_->IssueToken(root_, person);
    EXPECT_OK(token.status());
    absl::StatusOr<Principal> p = engine_->Authenticate(*token);
    EXPECT_OK(p.status());
    return *p;
  }

  // One HTTP probe of `site` stored through the real Store, then evaluated.
  void Probe(const std::string& court, const std::string& site, bool up) {
    clock_.Advance(absl::Seconds(30));  // probes of a site are apart in time
    v1::PushRequest r;
    r.set_agent_id("agent-" + court);
    r.set_court_id(court);
    r.set_batch_seq(++seq_[court]);
    v1::Event* e = r.add_events();
    e->set_agent_event_id(seq_[court]);
    v1::ProbeResult* p = e->mutable_probe();
    p->set_site(site);
    p->set_url("https://" + site + ".example/");
    p->set_started_unix_ms(absl::ToUnixMillis(clock_.Now()));
    p->set_up(up);
    p->set_http_status(up ? 200 : 0);
    if (!up) p->set_error("connection refused");
    p->set_total_us(20000);
    ASSERT_OK(store_->StoreBatch(r).status());
    ASSERT_OK(engine_->EvaluateSite(court, site));
  }

  void Finding(const std::string& court, const std::string& site, const std::string& kind,
               v1::Finding::Severity severity) {
    v1::PushRequest r;
    r.set_agent_id("agent-" + court);
    r.set_court_id(court);
    r.set_batch_seq(++seq_[court]);
    v1::Event* e = r.add_events();
    e->set_agent_event_id(seq_[court]);
    v1::CheckReport* c = e->mutable_check();
    c->set_site(site);
    c->set_check("content");
    c->set_started_unix_ms(absl::ToUnixMillis(clock_.Now()));
    v1::Finding* f = c->add_findings();
    f->set_kind(kind);
    f->set_severity(severity);
    f->set_detail("slot gacor in hidden links");
    ASSERT_OK(store_->StoreBatch(r).status());
    ASSERT_OK(engine_->EvaluateSite(court, site));
  }


  // One backup summary of `site` stored through the real Store, then evaluated. The clock
  // moves a minute on; the run started an hour before that and finished then.
  void Backup(const std::string& court, const std::string& site, const std::string& id,
              bool verified, const std::string& error, int64_t files,
              int64_t interval_seconds = 21600) {
    clock_.Advance(absl::Minutes(1));  // runs of a site are apart in time
    v1::PushRequest r;
    r.set_agent_id("agent-" + court);
    r.set_court_id(court);
    r.set_batch_seq(++seq_[court]);
    v1::Event* e = r.add_events();
    e->set_agent_event_id(seq_[court]);
    v1::BackupSummary* b = e->mutable_backup();
    b->set_site(site);
    b->set_backup_id(id);
    b->set_kind("full");
    b->set_started_unix_ms(absl::ToUnixMillis(clock_.Now() - absl::Hours(1)));
    b->set_finished_unix_ms(absl::ToUnixMillis(clock_.Now()));
    b->set_files(files);
    b->set_files_copied(files);
    b->set_source_bytes(files * 1000);
    b->set_verified(verified);
    b->set_error(error);
    b->set_interval_seconds(interval_seconds);
    ASSERT_OK(store_->StoreBatch(r).status());
    ASSERT_OK(engine_->EvaluateSite(court, site));
  }
  // "kind:state" of the site's incidents of backup kinds, by kind.
  std::vector<std::string> BackupIncidents(const std::string& site) {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    std::vector<std::string> out;
    for (const pqxx::row& r : txn.exec_params(
             "SELECT kind || ':' || state FROM incidents WHERE site = $1 AND kind LIKE 'backup%' "
             "ORDER BY kind, incident_id",
             site)) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  }

  // "person:message_kind" of every outbox row, in order.
  std::vector<std::string> Outbox() {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    std::vector<std::string> out;
    for (const pqxx::row& r :
         txn.exec("SELECT person_id, message_kind FROM outbox ORDER BY outbox_id")) {
      out.push_back(r[0].as<std::string>() + ":" + r[1].as<std::string>());
    }
    return out;
  }
  int64_t Count(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    return txn.exec(sql)[0][0].as<int64_t>();
  }
  void ClearOutbox() {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    txn.exec("DELETE FROM outbox");
    txn.commit();
  }

  testing::FakeClock clock_{absl::Now()};
  std::unique_ptr<Store> store_;
  std::unique_ptr<IncidentEngine> engine_;
  Principal root_;
  std::map<std::string, uint64_t> seq_;
};

TEST_F(IncidentEngineTest, SiteDownEscalatesIsAcknowledgedAndResolvesItself) {
  Probe("PN-A", "pn-a", false);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents"), 0) << "one failed probe is not enough";
  Probe("PN-A", "pn-a", false);
  ASSERT_EQ(Count("SELECT count(*) FROM incidents WHERE state = 'open'"), 1);
  EXPECT_THAT(Outbox(), ElementsAre("staf-a:opened"));
  // Repeats update the same incident.
  Probe("PN-A", "pn-a", false);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents"), 1);
  EXPECT_THAT(Outbox(), ElementsAre("staf-a:opened"));

  ClearOutbox();
  clock_.Advance(absl::Minutes(15));
  ASSERT_OK_AND_ASSIGN(int swept, engine_->Sweep());
  EXPECT_EQ(swept, 1);
  EXPECT_THAT(Outbox(), UnorderedElementsAre("kasub-a:escalated", "staf-a:reminder",
                                             "kasub-a:reminder", "sekre-a:situation"));
  // A second sweep at the same time does nothing more.
  ASSERT_OK_AND_ASSIGN(swept, engine_->Sweep());
  EXPECT_EQ(swept, 0);

  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse list, engine_->ListIncidents(As("staf-a"), {}));
  ASSERT_EQ(list.incidents_size(), 1);
  const int64_t id = list.incidents(0).id();
  EXPECT_EQ(list.incidents(0).kind(), "site_down");
  EXPECT_EQ(list.incidents(0).escalation_role(), "kasubbag");
  ASSERT_OK_AND_ASSIGN(v1::Incident acked, engine_->Acknowledge(As("staf-a"), id, "cek server"));
  EXPECT_EQ(acked.state(), "acknowledged");
  EXPECT_EQ(acked.acknowledged_by(), "staf-a");

  ClearOutbox();
  clock_.Advance(absl::Minutes(15));  // 30 minutes: no reminders after the ack
  ASSERT_OK(engine_->Sweep().status());
  EXPECT_THAT(Outbox(), ElementsAre("sekre-a:situation"));

  ClearOutbox();
  Probe("PN-A", "pn-a", true);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE state = 'resolved'"), 0)
      << "one good probe does not confirm recovery";
  Probe("PN-A", "pn-a", true);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE state = 'resolved'"), 1);
  EXPECT_THAT(Outbox(), UnorderedElementsAre("staf-a:resolved", "kasub-a:resolved"));

  ASSERT_OK_AND_ASSIGN(v1::GetIncidentResponse shown, engine_->GetIncident(As("staf-a"), id));
  std::vector<std::string> actions;
  for (const v1::IncidentEvent& e : shown.events()) actions.push_back(e.action());
  EXPECT_THAT(actions, ElementsAre("opened", "escalated", "escalated", "reminded", "situation",
                                   "acknowledged", "situation", "resolved"));
  EXPECT_EQ(shown.incident().resolved_by(), "pantau");
  EXPECT_THAT(shown.incident().resolution(), HasSubstr("kembali dapat diakses"));
  EXPECT_FALSE(shown.runbook().steps().empty());
  // Sweeps have nothing left to do.
  clock_.Advance(absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(swept, engine_->Sweep());
  EXPECT_EQ(swept, 0);
}

TEST_F(IncidentEngineTest, OutboxRowsCarryIndonesianTextAndAddresses) {
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", false);
  pqxx::connection c(conninfo_);
  pqxx::work txn(c);
  pqxx::result r = txn.exec("SELECT channel, address, subject, body, idempotency_key FROM outbox");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].as<std::string>(), "email");
  EXPECT_EQ(r[0][1].as<std::string>(), "staf@pn-a.go.id");
  EXPECT_THAT(r[0][2].as<std::string>(), HasSubstr("pn-a"));
  EXPECT_THAT(r[0][3].as<std::string>(), HasSubstr("Alternatif pemecahan masalah"));
  EXPECT_THAT(r[0][3].as<std::string>(), HasSubstr("pantauctl incidents ack"));
}

TEST_F(IncidentEngineTest, CourtAPersonCanNeitherSeeNorActOnCourtB) {
  Probe("PN-B", "pn-b", false);
  Probe("PN-B", "pn-b", false);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse all, engine_->ListIncidents(root_, {}));
  ASSERT_EQ(all.incidents_size(), 1);
  const int64_t id = all.incidents(0).id();

  const Principal a = As("staf-a");
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse mine, engine_->ListIncidents(a, {}));
  EXPECT_EQ(mine.incidents_size(), 0);
  v1::ListIncidentsRequest of_b;
  of_b.set_court_id("PN-B");
  EXPECT_THAT(engine_->ListIncidents(a, of_b).status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->GetIncident(a, id).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(engine_->Acknowledge(a, id, "").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(engine_->Resolve(a, id, "x").status(), StatusIs(absl::StatusCode::kNotFound));
  v1::AddMaintenanceRequest m;
  m.set_court_id("PN-B");
  m.set_reason("x");
  m.set_ends_unix_ms(absl::ToUnixMillis(clock_.Now() + absl::Hours(1)));
  EXPECT_THAT(engine_->AddMaintenance(a, m).status(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(engine_->IssueToken(a, "staf-b").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The regional admin sees both courts below PT-X.
  const Principal region = As("region");
  EXPECT_TRUE(region.CanSee("PN-A") && region.CanSee("PN-B") && region.CanSee("PT-X"));
  EXPECT_FALSE(region.CanSee("PN-ELSEWHERE"));
  ASSERT_OK_AND_ASSIGN(v1::Incident acked, engine_->Acknowledge(region, id, ""));
  EXPECT_EQ(acked.state(), "acknowledged");
  EXPECT_EQ(acked.time_zone(), "Asia/Makassar");
}

TEST_F(IncidentEngineTest, MaintenanceWindowSilencesTheSite) {
  v1::AddMaintenanceRequest m;
  m.set_court_id("PN-A");
  m.set_site("pn-a");
  m.set_reason("pembaruan CMS");
  m.set_ends_unix_ms(absl::ToUnixMillis(clock_.Now() + absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(v1::MaintenanceWindow w, engine_->AddMaintenance(As("staf-a"), m));
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", false);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents"), 0);
  EXPECT_THAT(Outbox(), ElementsAre());
  ASSERT_OK(engine_->EndMaintenance(As("staf-a"), w.id()).status());
  clock_.Advance(absl::Seconds(1));
  Probe("PN-A", "pn-a", false);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE state = 'open'"), 1);
}

TEST_F(IncidentEngineTest, GamblingSpamReachesTheSekretarisAtOnce) {
  Finding("PN-A", "pn-a", "gambling_spam", v1::Finding::CRITICAL);
  EXPECT_THAT(Outbox(), UnorderedElementsAre("staf-a:opened", "kasub-a:escalated",
                                             "sekre-a:escalated"));
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse list, engine_->ListIncidents(root_, {}));
  ASSERT_EQ(list.incidents_size(), 1);
  EXPECT_EQ(list.incidents(0).severity(), "critical");
  EXPECT_EQ(list.incidents(0).kind(), "gambling_spam");
}

TEST_F(IncidentEngineTest, ResolvingByHandNeedsTheVendorTicketClosed) {
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", false);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse list, engine_->ListIncidents(root_, {}));
  const int64_t id = list.incidents(0).id();
  const Principal staf = As("staf-a");
  v1::HandOffIncidentRequest h;
  h.set_id(id);
  h.set_vendor("PT Hosting Nusantara");
  h.set_ticket("TKT-991");
  h.set_contact("noc@hosting.example");
  ASSERT_OK_AND_ASSIGN(v1::Incident handed, engine_->HandOff(staf, h));
  EXPECT_EQ(handed.state(), "handed_off");
  EXPECT_TRUE(handed.vendor_ticket_open());
  EXPECT_THAT(engine_->Resolve(staf, id, "server diganti").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("TKT-991")));
  v1::HandOffIncidentRequest closed;
  closed.set_id(id);
  closed.set_ticket_closed(true);
  ASSERT_OK(engine_->HandOff(staf, closed).status());
  ASSERT_OK_AND_ASSIGN(v1::Incident resolved, engine_->Resolve(staf, id, "server diganti"));
  EXPECT_EQ(resolved.state(), "resolved");
  EXPECT_EQ(resolved.resolution(), "server diganti");
  EXPECT_THAT(engine_->Resolve(staf, id, "lagi").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(IncidentEngineTest, ASignalBackWithinTheFlapWindowReopensTheSameIncident) {
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", true);
  Probe("PN-A", "pn-a", true);
  ASSERT_EQ(Count("SELECT count(*) FROM incidents WHERE state = 'resolved'"), 1);
  clock_.Advance(absl::Minutes(5));
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", false);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents"), 1);
  EXPECT_EQ(Count("SELECT flap_count FROM incidents"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM incident_events WHERE action = 'reopened'"), 1);
}

TEST_F(IncidentEngineTest, AnAgentSilentForThreeMinutesOpensAnIncidentThatClosesWhenItReturns) {
  Probe("PN-A", "pn-a", true);  // agent-PN-A is known, last seen now
  ASSERT_OK(engine_->EvaluateAgents());
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'agent_silent'"), 0);
  auto set_last_seen = [&](const std::string& ago) {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    txn.exec("UPDATE agents SET last_seen = now() - interval '" + ago + "'");
    txn.commit();
  };
  set_last_seen("179 seconds");
  ASSERT_OK(engine_->EvaluateAgents());
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'agent_silent'"), 0);
  set_last_seen("10 minutes");
  ASSERT_OK(engine_->EvaluateAgents());
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'agent_silent' AND "
                  "site = 'agent-PN-A' AND court_id = 'PN-A' AND state = 'open'"),
            1);
  EXPECT_THAT(Outbox(), ElementsAre("staf-a:opened"));
  // The collector's clock moving on changes nothing: silence is the database's measure.
  clock_.Advance(absl::Hours(1));
  set_last_seen("0 seconds");
  ASSERT_OK(engine_->EvaluateAgents());
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'agent_silent' AND "
                  "state = 'resolved' AND resolved_by = 'pantau'"),
            1);
}

// The "Tindak lanjuti" button: Telegram's Bot API stood in for by a local HTTP server answering
// getUpdates with real-shaped callback queries.
TEST_F(IncidentEngineTest, TelegramButtonAcknowledgesOnlyForAKnownPersonOfThatCourt) {
  ASSERT_OK_AND_ASSIGN(OrgSpec ids, ParseOrgSpec(R"(
people:
  - {id: staf-a, name: Staf A, role: staf, courts: [PN-A], email: staf@pn-a.go.id, telegram_chat_id: "555", telegram_user_id: "555"}
)", "telegram.yaml"));
  ASSERT_OK(engine_->ApplyOrg(root_, ids, false).status());
  Probe("PN-A", "pn-a", false);
  Probe("PN-A", "pn-a", false);
  Probe("PN-B", "pn-b", false);
  Probe("PN-B", "pn-b", false);
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse list, engine_->ListIncidents(root_, {}));
  ASSERT_EQ(list.incidents_size(), 2);
  int64_t id_a = 0, id_b = 0;
  for (const v1::Incident& i : list.incidents()) (i.court_id() == "PN-A" ? id_a : id_b) = i.id();

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::HttpReceiver> api, testing::HttpReceiver::Start());
  auto press = [](int update_id, int64_t user, int64_t incident) {
    return absl::StrCat(
        R"({"update_id":)", update_id, R"(,"callback_query":{"id":"cb)", update_id,
        R"(","from":{"id":)", user, R"(,"is_bot":false,"first_name":"Budi","username":"budi"},)",
        R"("message":{"message_id":7,"date":1795650000,"chat":{"id":555,"type":"private"},)",
        R"("text":"[BERAT] ..."},"chat_instance":"-1","data":"ack:)", incident, R"("}})");
  };
  int polls = 0;
  api->SetHandler("/botTEST:TOKEN/getUpdates", [&](const testing::HttpReceiver::Request&) {
    testing::HttpReceiver::Response r;
    r.body = ++polls == 1 ? absl::StrCat(R"({"ok":true,"result":[)", press(41, 555, id_b), ",",
                                         press(42, 999, id_a), ",", press(43, 555, id_a), "]}")
                          : R"({"ok":true,"result":[]})";
    return r;
  });
  setenv("PANTAU_TEST_TELEGRAM_TOKEN", "TEST:TOKEN", 1);
  NotifyConfig notify;
  notify.telegram.emplace();
  notify.telegram->api_base_url = absl::StrCat("http://127.0.0.1:", api->port());
  notify.telegram->token.env = "PANTAU_TEST_TELEGRAM_TOKEN";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Notifiers> notifiers, MakeNotifiers(notify));
  OutboxWorker worker(*engine_, *notifiers, OutboxOptions{}, nullptr);

  ASSERT_OK(worker.PollTelegram(absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(v1::GetIncidentResponse a, engine_->GetIncident(root_, id_a));
  EXPECT_EQ(a.incident().state(), "acknowledged");
  EXPECT_EQ(a.incident().acknowledged_by(), "staf-a");
  ASSERT_OK_AND_ASSIGN(v1::GetIncidentResponse b, engine_->GetIncident(root_, id_b));
  EXPECT_EQ(b.incident().state(), "open") << "staf-a may not act on PN-B";

  std::vector<std::string> answers;
  for (const auto& r : api->Requests()) {
    if (absl::EndsWith(r.path, "/answerCallbackQuery")) answers.push_back(r.body);
  }
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_THAT(answers[0], HasSubstr("\"cb41\""));
  EXPECT_THAT(answers[0], HasSubstr("tidak berwenang"));
  EXPECT_THAT(answers[1], HasSubstr("tidak berwenang"));  // user 999 is nobody
  EXPECT_THAT(answers[2], HasSubstr("ditindaklanjuti"));

  // The next poll asks for what follows the last update: each press is handled once.
  ASSERT_OK(worker.PollTelegram(absl::ZeroDuration()));
  const auto requests = api->Requests();
  const auto last_poll = std::find_if(requests.rbegin(), requests.rend(), [](const auto& r) {
    return absl::EndsWith(r.path, "/getUpdates");
  });
  ASSERT_NE(last_poll, requests.rend());
  EXPECT_THAT(last_poll->body, HasSubstr("\"offset\":44"));
  EXPECT_EQ(Count("SELECT count(*) FROM incident_events WHERE action = 'acknowledged'"), 1);
}

TEST_F(IncidentEngineTest, UnknownOrRevokedTokensAreRefused) {
  EXPECT_THAT(engine_->Authenticate("").status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(engine_->Authenticate("pantau_nope").status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_OK_AND_ASSIGN(const std::string first, engine_->IssueToken(root_, "staf-a"));
  ASSERT_OK_AND_ASSIGN(const std::string second, engine_->IssueToken(root_, "staf-a"));
  EXPECT_THAT(engine_->Authenticate(first).status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_OK(engine_->Authenticate(second).status());
  // Only the hash is stored.
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM people WHERE token_hash = '",
                               HashToken(second), "'")),
            1);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM people WHERE token_hash = '", second, "'")), 0);
}

TEST_F(IncidentEngineTest, TwoCollectorsSweepingThousandIncidentsWriteEachPageOnce) {
  constexpr int kIncidents = 1000;
  {
    pqxx::connection c(conninfo_);
    pqxx::work txn(c);
    txn.exec_params(
        "INSERT INTO incidents (court_id, site, kind, severity, state, opened_at, last_signal_at, "
        "next_action_at) SELECT 'PN-A', 'site-' || g, 'site_down', 1, 'open', "
        "to_timestamp($1::bigint / 1000000.0), to_timestamp($1::bigint / 1000000.0), "
        "to_timestamp($1::bigint / 1000000.0) FROM generate_series(1, $2) g",
        absl::ToUnixMicros(clock_.Now()), kIncidents);
    txn.commit();
  }
  std::unique_ptr<IncidentEngine> second = MakeEngine();
  ASSERT_NE(second, nullptr);
  clock_.Advance(absl::Minutes(15));  // step 1 and step 2 and a reminder are due for every one
  absl::StatusOr<int> a, b;
  std::thread t1([&] { a = engine_->Sweep(); });
  std::thread t2([&] { b = second->Sweep(); });
  t1.join();
  t2.join();
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_EQ(*a + *b, kIncidents);
  // Per incident: staf (opened), kasubbag (escalated), staf + kasubbag (reminder).
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), 4 * kIncidents);
  EXPECT_EQ(Count("SELECT count(DISTINCT idempotency_key) FROM outbox"), 4 * kIncidents);
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE escalation_step = 2"), kIncidents);
  ASSERT_OK_AND_ASSIGN(int again, second->Sweep());
  EXPECT_EQ(again, 0);
}


TEST_F(IncidentEngineTest, ASiteThatNeverSentABackupGetsNoBackupIncidents) {
  Probe("PN-A", "pn-a", true);
  clock_.Advance(absl::Hours(24));
  ASSERT_OK(engine_->EvaluateAll());
  EXPECT_THAT(BackupIncidents("pn-a"), ::testing::IsEmpty());
}

TEST_F(IncidentEngineTest, BackupOverdueOpensOnlyAfterIntervalAndGraceAndAVerifiedBackupResolvesIt) {
  Backup("PN-A", "pn-a", "pn-a-1", true, "", 1000, /*interval_seconds=*/3600);
  EXPECT_THAT(BackupIncidents("pn-a"), ::testing::IsEmpty());
  // Interval 1 h + grace 1 h: the full pass (no new event) opens it only after two hours.
  clock_.Advance(absl::Hours(2) - absl::Minutes(1));
  ASSERT_OK(engine_->EvaluateAll());
  EXPECT_THAT(BackupIncidents("pn-a"), ::testing::IsEmpty());
  clock_.Advance(absl::Minutes(2));
  ASSERT_OK(engine_->EvaluateAll());
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_overdue:open"));
  EXPECT_EQ(Count("SELECT severity FROM incidents WHERE kind = 'backup_overdue'"), 2);  // major
  EXPECT_THAT(Outbox(), ElementsAre("staf-a:opened"));
  // An unverified run does not help; a verified one resolves it.
  Backup("PN-A", "pn-a", "pn-a-2", false, "", 1000, 3600);
  EXPECT_THAT(BackupIncidents("pn-a"),
              ElementsAre("backup_overdue:open", "backup_unverified:open"));
  Backup("PN-A", "pn-a", "pn-a-3", true, "", 1000, 3600);
  EXPECT_THAT(BackupIncidents("pn-a"),
              ElementsAre("backup_overdue:resolved", "backup_unverified:resolved"));
}

TEST_F(IncidentEngineTest, AFailedBackupOpensAMajorIncidentThatTheNextGoodBackupResolves) {
  Backup("PN-A", "pn-a", "pn-a-1", true, "", 1000);
  Backup("PN-A", "pn-a", "pn-a-2", false, "/mnt/usb: no space left on device", 0);
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_failed:open"));
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'backup_failed' AND severity = 2 "
                  "AND detail LIKE '%no space left%'"),
            1);
  clock_.Advance(absl::Hours(6));
  Backup("PN-A", "pn-a", "pn-a-3", true, "", 1000);
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_failed:resolved"));
}

TEST_F(IncidentEngineTest, AnUnverifiedBackupIsMinorAndItsVerificationOnDemandResolvesIt) {
  Backup("PN-A", "pn-a", "pn-a-1", false, "", 1000);
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_unverified:open"));
  EXPECT_EQ(Count("SELECT severity FROM incidents WHERE kind = 'backup_unverified'"), 1);
  Backup("PN-A", "pn-a", "pn-a-1", true, "", 1000);  // same id: replaces the row
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_unverified:resolved"));
}

TEST_F(IncidentEngineTest, ABackupWithFarFewerFilesIsSuspiciousAndStaysOpenUntilResolvedByHand) {
  Backup("PN-A", "pn-a", "pn-a-1", true, "", 1000);
  clock_.Advance(absl::Hours(6));
  Backup("PN-A", "pn-a", "pn-a-2", true, "", 600);  // -40 %: normal
  EXPECT_THAT(BackupIncidents("pn-a"), ::testing::IsEmpty());
  clock_.Advance(absl::Hours(6));
  Backup("PN-A", "pn-a", "pn-a-3", true, "", 12);  // the web root wiped
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_suspicious:open"));
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'backup_suspicious' AND "
                  "detail LIKE '%12 files%600 files%'"),
            1);
  clock_.Advance(absl::Hours(6));
  Backup("PN-A", "pn-a", "pn-a-4", true, "", 12);  // compared with the wiped one: proves nothing
  EXPECT_THAT(BackupIncidents("pn-a"), ElementsAre("backup_suspicious:open"));
}

TEST_F(IncidentEngineTest, AWebshellInTheWebRootReachesEveryStepAtOnceNamingTheLastCleanBackup) {
  v1::PushRequest r;
  r.set_agent_id("agent-PN-A");
  r.set_court_id("PN-A");
  r.set_batch_seq(++seq_["PN-A"]);
  v1::Event* e = r.add_events();
  e->set_agent_event_id(seq_["PN-A"]);
  v1::CheckReport* c = e->mutable_check();
  c->set_site("pn-a");
  c->set_check("integrity");
  c->set_started_unix_ms(absl::ToUnixMillis(clock_.Now()));
  v1::Finding* f = c->add_findings();
  f->set_kind("webshell_file");
  f->set_key("wp-content/uploads/2026/11/up.php");
  f->set_severity(v1::Finding::CRITICAL);
  f->set_detail("known webshell signature (b374k)");
  c->set_last_clean_backup_id("pn-a-20261126T030000Z");
  // 2026-11-26 03:00 UTC = 10.00 WIB.
  c->set_last_clean_backup_unix_ms(absl::ToUnixMillis(absl::FromUnixSeconds(1795662000)));
  c->set_restore_command("pantau-agent backup restore pn-a-20261126T030000Z --to /srv/restore");
  ASSERT_OK(store_->StoreBatch(r).status());
  ASSERT_OK(engine_->EvaluateSite("PN-A", "pn-a"));

  EXPECT_THAT(Outbox(), UnorderedElementsAre("staf-a:opened", "kasub-a:escalated",
                                             "sekre-a:escalated"));
  pqxx::connection conn(conninfo_);
  pqxx::work txn(conn);
  for (const pqxx::row& row : txn.exec("SELECT body FROM outbox")) {
    const std::string body = row[0].as<std::string>();
    EXPECT_THAT(body, HasSubstr("Cadangan bersih terakhir: pn-a-20261126T030000Z (26 Nov 2026 "
                                "10.00 WIB)"));
    EXPECT_THAT(body, HasSubstr("Perintah pemulihan: pantau-agent backup restore "
                                "pn-a-20261126T030000Z --to /srv/restore"));
  }
  ASSERT_OK_AND_ASSIGN(v1::ListIncidentsResponse list, engine_->ListIncidents(root_, {}));
  ASSERT_EQ(list.incidents_size(), 1);
  EXPECT_EQ(list.incidents(0).kind(), "web_root_compromised");
  EXPECT_EQ(list.incidents(0).severity(), "critical");
  ASSERT_OK_AND_ASSIGN(v1::GetIncidentResponse got,
                       engine_->GetIncident(root_, list.incidents(0).id()));
  EXPECT_TRUE(got.incident().restore_known());
  EXPECT_EQ(got.incident().last_clean_backup_id(), "pn-a-20261126T030000Z");
  EXPECT_EQ(got.incident().last_clean_backup_unix_ms(), int64_t{1795662000} * 1000);
  EXPECT_THAT(got.incident().restore_command(), HasSubstr("--to /srv/restore"));

  // Removing the file proves nothing: it stays open.
  c->clear_findings();
  c->set_started_unix_ms(absl::ToUnixMillis(clock_.Now() + absl::Minutes(5)));
  r.set_batch_seq(++seq_["PN-A"]);
  e->set_agent_event_id(seq_["PN-A"]);
  txn.abort();
  ASSERT_OK(store_->StoreBatch(r).status());
  ASSERT_OK(engine_->EvaluateSite("PN-A", "pn-a"));
  EXPECT_EQ(Count("SELECT count(*) FROM incidents WHERE kind = 'web_root_compromised' AND "
                  "state = 'open'"),
            1);
}

}  // namespace
}  // namespace pantau::collector
