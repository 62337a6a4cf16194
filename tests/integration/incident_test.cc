// The incident SOP end to end with real components: the agent probing a real nginx every
// second, the collector in-process with its incident engine and outbox worker on a real
// PostgreSQL, pages sent to a real SMTP server (aiosmtpd) or a webhook receiver, and pantauctl
// acknowledging. Only the collector's "now" is a FakeClock, so 15 minutes of escalation take
// one Advance(); sweeps and the outbox still run on real (short) intervals.
//
// A page the agent probes is deleted (nginx answers 404, which the agent reports as down) →
// two failed probes open a site_down incident → the staf is mailed → 15 minutes later the
// kasubbag is mailed and the staf reminded → the staf acknowledges with pantauctl → no more
// reminders → the page comes back → two good probes resolve the incident, and a "resolved"
// mail goes out.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/backup/backup.h"
#include "collector/incidents/incident_engine.h"
#include "collector/incidents/org_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/testing/eventually.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/http_receiver.h"
#include "tests/testing/smtp_server.h"

namespace pantau::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSite[] = "pn-test-www";
constexpr char kStaf[] = "staf@pn-contoh.go.id";
constexpr char kKasubbag[] = "kasubbag@pn-contoh.go.id";
constexpr char kSekretaris[] = "sekretaris@pn-contoh.go.id";

// The court of the fixture's agent (PN-TEST) with its three officials, on the default policy:
// staf at once, kasubbag after 15 minutes, sekretaris after 60; reminders every 15 minutes.
constexpr char kOrg[] = R"(courts:
  - code: PN-TEST
    name: Pengadilan Negeri Contoh
    type: PN
    sites: [{id: pn-test-www, name: Situs resmi}]
people:
  - {id: budi, name: Budi Santoso, role: staf, courts: [PN-TEST], email: staf@pn-contoh.go.id}
  - {id: siti, name: Siti Rahmawati, role: kasubbag, courts: [PN-TEST], email: kasubbag@pn-contoh.go.id}
  - {id: agus, name: Agus Salim, role: sekretaris, courts: [PN-TEST], email: sekretaris@pn-contoh.go.id}
)";

constexpr char kPage[] =
    "<html><head><title>Pengadilan Negeri Contoh</title></head>"
    "<body><h1>Selamat datang</h1></body></html>";

class IncidentTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    if (HasFatalFailure()) return;
    page_ = absl::StrCat("incident-", TestToken(), "/index.html");
    BringPageBack();
  }

  // The collector on the fake clock, sweeping and delivering every 0.1 s of real time.
  collector::CollectorConfig IncidentCollectorConfig() const {
    collector::CollectorConfig c = CollectorConfigFor();
    c.incidents.sweep_interval = absl::Milliseconds(100);
    c.incidents.outbox_poll = absl::Milliseconds(100);
    c.incidents.retry_initial = absl::Milliseconds(200);
    c.incidents.retry_max = absl::Seconds(1);
    return c;
  }
  static collector::SmtpConfig Smtp(const SmtpServer& smtp) {
    collector::SmtpConfig s;
    s.url = smtp.Url();
    s.tls = "none";
    s.from = "pantau@pn-contoh.go.id";
    return s;
  }

  // Bootstraps the admin and applies kOrg as it.
  void ApplyOrg(collector::CollectorApp& app) {
    absl::StatusOr<std::string> token = app.engine().BootstrapAdmin("admin", "Admin Pantau");
    ASSERT_TRUE(token.ok()) << token.status();
    absl::StatusOr<collector::Principal> admin = app.engine().Authenticate(*token);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *admin;
    absl::StatusOr<collector::OrgSpec> org = collector::ParseOrgSpec(kOrg, "org.yaml");
    ASSERT_TRUE(org.ok()) << org.status();
    absl::StatusOr<v1::ApplyOrgResponse> applied = app.engine().ApplyOrg(admin_, *org, false);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }
  // A token file for `person`, issued by the admin.
  std::string TokenFileOf(collector::CollectorApp& app, const std::string& person) {
    absl::StatusOr<std::string> token = app.engine().IssueToken(admin_, person);
    EXPECT_TRUE(token.ok()) << token.status();
    return WriteTokenFile(person + ".token", token.ok() ? *token : "");
  }

  // The agent probing this test's page every second.
  std::unique_ptr<agent::AgentApp> StartAgent(int collector_port) {
    agent::AgentConfig config = AgentConfigFor(collector_port, absl::Seconds(1));
    config.sites[0].url = nginx_->Url("/" + page_);
    auto agent = agent::AgentApp::Create(config, clock_);
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (!agent.ok()) return nullptr;
    absl::Status started = (*agent)->Start();
    EXPECT_TRUE(started.ok()) << started;
    if (!started.ok()) return nullptr;
    return std::move(*agent);
  }

  // nginx answers 404 for the page (not 2xx/3xx: the agent reports the site down), or serves
  // it again.
  void TakePageDown() {
    std::error_code ec;
    ASSERT_TRUE(std::filesystem::remove(nginx_->root_dir() + "/" + page_, ec)) << ec.message();
  }
  void BringPageBack() { ASSERT_TRUE(nginx_->WriteFile(page_, kPage).ok()); }

  // The site's site_down incident (open or not), as the admin sees it.
  std::optional<v1::Incident> SiteDown(collector::CollectorApp& app) {
    return IncidentOfKind(app, "site_down");
  }
  std::optional<v1::Incident> IncidentOfKind(collector::CollectorApp& app, const std::string& kind) {
    v1::ListIncidentsRequest request;
    request.set_site(kSite);
    request.set_all(true);
    absl::StatusOr<v1::ListIncidentsResponse> list = app.engine().ListIncidents(admin_, request);
    if (!list.ok()) {
      ADD_FAILURE() << list.status();
      return std::nullopt;
    }
    for (const v1::Incident& i : list->incidents()) {
      if (i.kind() == kind) return i;
    }
    return std::nullopt;
  }
  v1::GetIncidentResponse Incident(collector::CollectorApp& app, int64_t id) {
    absl::StatusOr<v1::GetIncidentResponse> incident = app.engine().GetIncident(admin_, id);
    EXPECT_TRUE(incident.ok()) << incident.status();
    return incident.ok() ? *incident : v1::GetIncidentResponse();
  }

  // No page waits for delivery (or for a retry).
  bool OutboxSettled() const {
    return QueryInt("SELECT count(*) FROM outbox WHERE state = 'pending'") == 0;
  }

  // Mails about this test's site (the subject names it) to `to` whose subject contains
  // `subject_part`; mails of any other incident are left out.
  static std::vector<SmtpMessage> Mails(const SmtpServer& smtp, const std::string& to,
                                        const std::string& subject_part = "") {
    std::vector<SmtpMessage> out;
    for (SmtpMessage& m : smtp.Messages()) {
      if (std::find(m.rcpt_to.begin(), m.rcpt_to.end(), to) == m.rcpt_to.end()) continue;
      if (!absl::StrContains(m.subject, absl::StrCat("(", kSite, ")"))) continue;
      if (!absl::StrContains(m.subject, subject_part)) continue;
      out.push_back(std::move(m));
    }
    return out;
  }

  FakeClock fake_clock_{absl::Now()};
  collector::Principal admin_;
  std::string page_;  // relative to nginx's root
};

TEST_F(IncidentTest, ASiteGoingDownIsPagedEscalatedAcknowledgedAndResolvesItself) {
  absl::StatusOr<std::unique_ptr<SmtpServer>> smtp_or = SmtpServer::Start();
  ASSERT_TRUE(smtp_or.ok()) << smtp_or.status();
  SmtpServer& smtp = **smtp_or;
  collector::CollectorConfig config = IncidentCollectorConfig();
  config.notify.smtp = Smtp(smtp);
  auto collector = StartCollector(config, fake_clock_);
  ASSERT_NE(collector, nullptr);
  ASSERT_NO_FATAL_FAILURE(ApplyOrg(*collector));
  const std::string staf_token = TokenFileOf(*collector, "budi");
  auto agent = StartAgent(collector->grpc_port());
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results WHERE up") >= 1; }));
  EXPECT_FALSE(SiteDown(*collector).has_value());

  // The page disappears: two failed probes open the incident and the staf is mailed.
  ASSERT_NO_FATAL_FAILURE(TakePageDown());
  std::optional<v1::Incident> incident;
  ASSERT_TRUE(Eventually([&] {
    incident = SiteDown(*collector);
    return incident.has_value();
  }));
  EXPECT_EQ(incident->state(), "open");
  EXPECT_EQ(incident->court_id(), "PN-TEST");
  EXPECT_EQ(incident->escalation_role(), "staf");
  const int64_t id = incident->id();
  ASSERT_TRUE(Eventually([&] { return !Mails(smtp, kStaf).empty() && OutboxSettled(); }));
  std::vector<SmtpMessage> to_staf = Mails(smtp, kStaf);
  ASSERT_EQ(to_staf.size(), 1u);
  const SmtpMessage& opened = to_staf[0];
  EXPECT_THAT(opened.rcpt_to, ElementsAre(kStaf));
  EXPECT_EQ(opened.mail_from, "pantau@pn-contoh.go.id");
  EXPECT_THAT(opened.subject, HasSubstr("PN Contoh: Situs tidak dapat diakses (pn-test-www)"));
  EXPECT_THAT(opened.body, HasSubstr("Alternatif pemecahan masalah"));
  EXPECT_THAT(opened.body, HasSubstr(absl::StrCat("pantauctl incidents ack ", id)));
  EXPECT_THAT(opened.body, HasSubstr("unexpected HTTP status 404"));
  EXPECT_TRUE(Mails(smtp, kKasubbag).empty()) << "the kasubbag is paged after 15 minutes only";
  EXPECT_TRUE(Mails(smtp, kSekretaris).empty());

  // 15 minutes unacknowledged: the kasubbag is paged, the staf reminded.
  fake_clock_.Advance(absl::Minutes(15));
  ASSERT_TRUE(Eventually([&] {
    return !Mails(smtp, kKasubbag, "Eskalasi").empty() && !Mails(smtp, kStaf, "Pengingat").empty() &&
           OutboxSettled();
  }));
  const SmtpMessage escalated = Mails(smtp, kKasubbag, "Eskalasi")[0];
  EXPECT_THAT(escalated.rcpt_to, ElementsAre(kKasubbag));
  EXPECT_THAT(escalated.subject, HasSubstr("Situs tidak dapat diakses"));
  EXPECT_THAT(escalated.body, HasSubstr("Alternatif pemecahan masalah"));
  EXPECT_EQ(Mails(smtp, kStaf, "Pengingat").size(), 1u);

  // The staf acknowledges with pantauctl, with their own token.
  std::string out, err;
  ASSERT_EQ(Pantauctl(CtlArgs(collector->grpc_port(), staf_token,
                              {"incidents", "ack", absl::StrCat(id), "--note", "sedang dicek"}),
                      &out, &err),
            0)
      << out << err;
  v1::GetIncidentResponse acked = Incident(*collector, id);
  EXPECT_EQ(acked.incident().state(), "acknowledged");
  EXPECT_EQ(acked.incident().acknowledged_by(), "budi");

  // 15 more minutes: the sweep runs (the incident's next action moves past now) and pages
  // only the sekretaris's situation update; no reminder to staf or kasubbag.
  const size_t staf_mails = Mails(smtp, kStaf).size();
  const size_t kasubbag_mails = Mails(smtp, kKasubbag).size();
  const size_t situations = Mails(smtp, kSekretaris, "Laporan situasi").size();
  fake_clock_.Advance(absl::Minutes(15));
  const int64_t now_ms = absl::ToUnixMillis(fake_clock_.Now());
  ASSERT_TRUE(Eventually([&] {
    const int64_t next = Incident(*collector, id).incident().next_action_unix_ms();
    return (next == 0 || next > now_ms) && OutboxSettled() &&
           Mails(smtp, kSekretaris, "Laporan situasi").size() > situations;
  }));
  EXPECT_EQ(Mails(smtp, kStaf).size(), staf_mails);
  EXPECT_EQ(Mails(smtp, kKasubbag).size(), kasubbag_mails);

  // The page comes back: two good probes resolve the incident, and the staf hears of it.
  ASSERT_NO_FATAL_FAILURE(BringPageBack());
  ASSERT_TRUE(Eventually([&] {
    incident = SiteDown(*collector);
    return incident.has_value() && incident->state() == "resolved";
  }));
  EXPECT_EQ(incident->resolved_by(), "pantau");
  EXPECT_THAT(incident->resolution(), HasSubstr("kembali dapat diakses"));
  ASSERT_TRUE(Eventually([&] { return !Mails(smtp, kStaf, "[SELESAI]").empty(); }));
  const SmtpMessage resolved = Mails(smtp, kStaf, "[SELESAI]")[0];
  EXPECT_THAT(resolved.subject, HasSubstr("Situs tidak dapat diakses (pn-test-www)"));

  // The timeline, as pantauctl shows it to the staf.
  ASSERT_EQ(Pantauctl(CtlArgs(collector->grpc_port(), staf_token,
                              {"incidents", "show", absl::StrCat(id), "--json"}),
                      &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("\"action\":\"acknowledged\""));
  EXPECT_THAT(out, HasSubstr("\"action\":\"resolved\""));
  EXPECT_THAT(out, HasSubstr("sedang dicek"));
  agent->Shutdown();
  collector->Shutdown();
}

TEST_F(IncidentTest, APageIsRetriedWhileTheMailServerIsDownAndDeliveredOnce) {
  absl::StatusOr<std::unique_ptr<SmtpServer>> smtp_or = SmtpServer::Start();
  ASSERT_TRUE(smtp_or.ok()) << smtp_or.status();
  SmtpServer& smtp = **smtp_or;
  ASSERT_TRUE(smtp.Stop().ok());
  collector::CollectorConfig config = IncidentCollectorConfig();
  config.notify.smtp = Smtp(smtp);
  auto collector = StartCollector(config, fake_clock_);
  ASSERT_NE(collector, nullptr);
  ASSERT_NO_FATAL_FAILURE(ApplyOrg(*collector));
  ASSERT_NO_FATAL_FAILURE(TakePageDown());
  auto agent = StartAgent(collector->grpc_port());
  ASSERT_NE(agent, nullptr);

  // A staf page that failed and waits for its retry (not claimed by the worker right now).
  const std::string staf_page =
      "SELECT count(*) FROM outbox WHERE person_id = 'budi' AND message_kind = 'opened' AND "
      "state = 'pending' AND lease_until IS NULL AND last_error <> '' AND attempts >= ";
  ASSERT_TRUE(Eventually([&] { return QueryInt(staf_page + "1") == 1; }));
  // Retries are due on the collector's clock: move it past the longest backoff (1 s).
  fake_clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return QueryInt(staf_page + "2") == 1; }));
  EXPECT_TRUE(smtp.Messages().empty());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE state = 'failed'"), 0)
      << "a mail server that is down delays a page, never drops it";

  ASSERT_TRUE(smtp.Restart().ok());
  fake_clock_.Advance(absl::Seconds(1));
  auto mails = smtp.WaitForMessages(1, absl::Seconds(60));
  ASSERT_TRUE(mails.ok()) << mails.status();
  ASSERT_TRUE(Eventually([&] { return OutboxSettled(); }));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM outbox WHERE person_id = 'budi' AND "
                     "message_kind = 'opened' AND state = 'sent'"),
            1);
  std::vector<SmtpMessage> to_staf = Mails(smtp, kStaf);
  ASSERT_EQ(to_staf.size(), 1u) << "delivered exactly once";
  EXPECT_THAT(to_staf[0].subject, HasSubstr("Situs tidak dapat diakses"));
  EXPECT_EQ(smtp.Messages().size(), 1u);
  agent->Shutdown();
  collector->Shutdown();
}

TEST_F(IncidentTest, AWebhookReceivesTheOpenedIncidentAsJsonWithAnIdempotencyKey) {
  absl::StatusOr<std::unique_ptr<HttpReceiver>> receiver_or = HttpReceiver::Start();
  ASSERT_TRUE(receiver_or.ok()) << receiver_or.status();
  HttpReceiver& receiver = **receiver_or;
  receiver.SetResponse("/hooks/pantau", 200, R"({"ok":true})");
  collector::CollectorConfig config = IncidentCollectorConfig();
  collector::WebhookConfig ops;
  ops.name = "ops";
  ops.url = receiver.Url("/hooks/pantau");
  config.notify.webhooks.push_back(ops);
  auto collector = StartCollector(config, fake_clock_);
  ASSERT_NE(collector, nullptr);
  ASSERT_NO_FATAL_FAILURE(ApplyOrg(*collector));
  ASSERT_NO_FATAL_FAILURE(TakePageDown());
  auto agent = StartAgent(collector->grpc_port());
  ASSERT_NE(agent, nullptr);

  std::optional<v1::Incident> incident;
  ASSERT_TRUE(Eventually([&] {
    incident = SiteDown(*collector);
    return incident.has_value();
  }));
  auto requests = receiver.WaitForRequests(1, absl::Seconds(60));
  ASSERT_TRUE(requests.ok()) << requests.status();
  ASSERT_TRUE(Eventually([&] { return OutboxSettled(); }));
  requests = receiver.Requests();
  ASSERT_EQ(requests->size(), 1u) << "one page, to the webhook once (nobody has another channel)";
  const HttpReceiver::Request& hook = (*requests)[0];
  EXPECT_EQ(hook.method, "POST");
  EXPECT_EQ(hook.path, "/hooks/pantau");
  EXPECT_THAT(hook.Header("content-type"), HasSubstr("application/json"));
  EXPECT_FALSE(hook.Header("idempotency-key").empty());
  EXPECT_EQ(hook.Header("idempotency-key"),
            QueryText("SELECT idempotency_key FROM outbox WHERE channel = 'webhook'"));
  EXPECT_THAT(hook.body, HasSubstr("\"message_kind\":\"opened\""));
  EXPECT_THAT(hook.body, HasSubstr(absl::StrCat("\"id\":", incident->id())));
  EXPECT_THAT(hook.body, HasSubstr("\"site\":\"pn-test-www\""));
  EXPECT_THAT(hook.body, HasSubstr("\"kind\":\"site_down\""));
  EXPECT_THAT(hook.body, HasSubstr("Situs tidak dapat diakses"));
  agent->Shutdown();
  collector->Shutdown();
}

// SOP activities 2 and 3 together: the agent backs up the site's web root to a medium and the
// collector learns of the verified backup; then a webshell is planted in uploads/. The agent's
// inotify watch reports it within seconds, the collector opens web_root_compromised (a critical
// kind: every step of the escalation is paged at once), and the page names the last clean
// backup with the command that restores it.
TEST_F(IncidentTest, AWebshellInUploadsPagesEveryoneAtOnceNamingTheLastCleanBackup) {
  const std::string root = state_dir_ + "/www";
  std::filesystem::create_directories(root + "/uploads/2026/11");
  ASSERT_TRUE(nginx_->WriteFile(page_, kPage).ok());
  {
    std::ofstream(root + "/index.php") << "<?php require __DIR__ . '/wp-blog-header.php';\n";
    std::ofstream(root + "/uploads/2026/11/putusan.pdf") << "%PDF-1.4 putusan perkara\n";
  }
  absl::StatusOr<std::unique_ptr<SmtpServer>> smtp_or = SmtpServer::Start();
  ASSERT_TRUE(smtp_or.ok()) << smtp_or.status();
  SmtpServer& smtp = **smtp_or;
  collector::CollectorConfig config = IncidentCollectorConfig();
  config.notify.smtp = Smtp(smtp);
  auto collector = StartCollector(config, fake_clock_);
  ASSERT_NE(collector, nullptr);
  ASSERT_NO_FATAL_FAILURE(ApplyOrg(*collector));

  agent::AgentConfig agent_config = AgentConfigFor(collector->grpc_port(), absl::Seconds(1));
  agent_config.sites[0].url = nginx_->Url("/" + page_);
  agent::SiteConfig& site = agent_config.sites[0];
  site.web_root = root;
  site.integrity.enabled = true;
  site.integrity.rescan_interval = absl::Hours(24);  // what is found comes from inotify
  site.integrity.settle = absl::Milliseconds(100);
  site.backup.enabled = true;
  site.backup.paths = {root};
  site.backup.media = {state_dir_ + "/media"};
  site.backup.min_free_bytes = 0;
  std::filesystem::create_directories(state_dir_ + "/media");
  auto agent_or = agent::AgentApp::Create(agent_config, clock_);
  ASSERT_TRUE(agent_or.ok()) << agent_or.status();
  std::unique_ptr<agent::AgentApp> agent = std::move(*agent_or);
  ASSERT_TRUE(agent->Start().ok());

  // The first backup runs at once (there is none yet), is verified and reaches the collector.
  ASSERT_TRUE(Eventually([&] {
    return QueryInt("SELECT count(*) FROM backups WHERE site = 'pn-test-www' AND verified") == 1;
  }));
  const std::string backup_id =
      QueryText("SELECT backup_id FROM backups WHERE site = 'pn-test-www' AND verified");
  ASSERT_THAT(backup_id, ::testing::StartsWith("pn-test-www-"));
  EXPECT_TRUE(std::filesystem::exists(state_dir_ + "/media/" + backup_id + ".tar.zst"));
  // The first integrity report (a clean web root) is there too.
  ASSERT_TRUE(Eventually([&] {
    return QueryInt("SELECT count(*) FROM check_reports WHERE site = 'pn-test-www' AND "
                    "check_name = 'integrity'") >= 1;
  }));
  EXPECT_FALSE(IncidentOfKind(*collector, "web_root_compromised").has_value());

  // A webshell is uploaded.
  const absl::Time planted = absl::Now();
  {
    std::ofstream shell(root + "/uploads/2026/11/thumb.php");
    shell << "<?php if(isset($_REQUEST['c'])){ @eval(base64_decode($_REQUEST['c'])); } ?>\n";
  }
  std::optional<v1::Incident> incident;
  ASSERT_TRUE(Eventually([&] {
    incident = IncidentOfKind(*collector, "web_root_compromised");
    return incident.has_value();
  }));
  std::cout << "webshell planted -> incident open at the collector: "
            << absl::FormatDuration(absl::Now() - planted) << "\n";
  EXPECT_EQ(incident->severity(), "critical");
  // Critical: the sekretaris is paged at once, and the page names the clean backup.
  ASSERT_TRUE(Eventually([&] { return !Mails(smtp, kSekretaris).empty(); }));
  const SmtpMessage page = Mails(smtp, kSekretaris)[0];
  EXPECT_THAT(page.body, HasSubstr("uploads/2026/11/thumb.php"));
  EXPECT_THAT(page.body, HasSubstr(absl::StrCat("Cadangan bersih terakhir: ", backup_id)));
  EXPECT_THAT(page.body, HasSubstr(absl::StrCat("pantau-agent backup restore ", backup_id)));
  agent->Shutdown();
}

}  // namespace
}  // namespace pantau::testing
