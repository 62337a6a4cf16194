// pantau-incident-load: the two figures issue 5 asks for, on a private PostgreSQL.
//  1. One escalation sweep with N open incidents (default 10,000): nothing due, 1 % due (they
//     page), and every one due at once.
//  2. Time from the Push of the probe result that confirms a site is down (the second failed
//     probe in a row) to the notification accepted by a real SMTP server (aiosmtpd on
//     loopback): the collector in-process on the real clock, gRPC over loopback.
//
//   build/bin/pantau-incident-load [--incidents 10000] [--pages 200]
//   (or tests/bench/run_incident_benchmarks.sh)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "collector/app/collector_app.h"
#include "collector/incidents/catalog.h"
#include "collector/incidents/incident_engine.h"
#include "collector/incidents/org_spec.h"
#include "collector/store/store.h"
#include "common/clock.h"
#include "pantau/v1/agent_service.grpc.pb.h"
#include "tests/testing/ports.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/smtp_server.h"

namespace pantau {
namespace {

using collector::IncidentEngine;

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "pantau-incident-load: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

std::string Org(int courts) {
  std::string yaml = "courts:\n";
  for (int c = 0; c < courts; ++c) {
    absl::StrAppend(&yaml, "  - {code: PN-", c, ", name: PN ", c, ", type: PN}\n");
  }
  absl::StrAppend(&yaml, "people:\n");
  for (int c = 0; c < courts; ++c) {
    for (const char* role : {"staf", "kasubbag", "sekretaris"}) {
      absl::StrAppend(&yaml, "  - {id: ", role, "-", c, ", name: ", role, " ", c, ", role: ", role,
                      ", courts: [PN-", c, "], email: ", role, c, "@pn.example}\n");
    }
  }
  return yaml;
}

int SweepBenchmark(const std::string& conninfo, int incidents) {
  RealClock clock;
  absl::StatusOr<std::unique_ptr<collector::Store>> store = collector::Store::Create(conninfo, 1);
  if (!store.ok()) return Fail("store", store.status());
  absl::StatusOr<collector::IncidentCatalog> catalog = collector::LoadIncidentCatalog(
      PANTAU_SOURCE_DIR "/data/incidents/rules.yaml", PANTAU_SOURCE_DIR "/data/incidents/runbooks.yaml");
  if (!catalog.ok()) return Fail("catalog", catalog.status());
  collector::EngineOptions options;
  options.channels = {"email"};
  absl::StatusOr<std::unique_ptr<IncidentEngine>> engine =
      IncidentEngine::Create(conninfo, 2, *catalog, options, clock);
  if (!engine.ok()) return Fail("engine", engine.status());
  absl::StatusOr<std::string> token = (*engine)->BootstrapAdmin("bench", "bench");
  if (!token.ok()) return Fail("admin", token.status());
  absl::StatusOr<collector::Principal> admin = (*engine)->Authenticate(*token);
  if (!admin.ok()) return Fail("admin", admin.status());
  constexpr int kCourts = 100;
  absl::StatusOr<collector::OrgSpec> org = collector::ParseOrgSpec(Org(kCourts), "bench-org");
  if (!org.ok()) return Fail("org", org.status());
  if (absl::Status s = (*engine)->ApplyOrg(*admin, *org, false).status(); !s.ok()) {
    return Fail("org", s);
  }
  pqxx::connection c(conninfo);
  const int64_t now_us = absl::ToUnixMicros(clock.Now());
  {
    pqxx::work txn(c);
    // Open for 5 minutes, already paged (step 1); next action in 10 minutes.
    txn.exec_params(
        "INSERT INTO incidents (court_id, site, kind, severity, state, opened_at, last_signal_at, "
        "escalation_step, next_reminder_at, next_action_at) "
        "SELECT 'PN-' || (g % $3), 'site-' || g, 'site_down', 2, 'open', "
        "to_timestamp(($1::bigint - 300000000) / 1000000.0), to_timestamp($1::bigint / 1000000.0), 1, "
        "to_timestamp(($1::bigint + 600000000) / 1000000.0), "
        "to_timestamp(($1::bigint + 600000000) / 1000000.0) FROM generate_series(1, $2) g",
        now_us, incidents, kCourts);
    txn.exec("ANALYZE incidents");
    txn.commit();
  }
  auto sweep_ms = [&](int* advanced) {
    const absl::Time t0 = absl::Now();
    absl::StatusOr<int> n = (*engine)->Sweep();
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    *advanced = n.ok() ? *n : -1;
    return ms;
  };
  std::vector<double> idle;
  int advanced = 0;
  for (int i = 0; i < 50; ++i) idle.push_back(sweep_ms(&advanced));
  std::printf("sweep, %d open incidents, none due: median %.2f ms, p99 %.2f ms (50 sweeps)\n",
              incidents, Percentile(idle, 0.5), Percentile(idle, 0.99));
  std::vector<double> some;
  const int due = std::max(1, incidents / 100);
  int64_t pages = 0;
  for (int round = 0; round < 10; ++round) {
    {
      pqxx::work txn(c);
      // Opened 15 minutes ago: the kasubbag's step, a reminder and a situation update are due.
      txn.exec_params("UPDATE incidents SET next_action_at = now() - interval '1 second', "
                      "opened_at = now() - interval '15 minutes 1 second' WHERE incident_id IN (SELECT incident_id FROM incidents WHERE "
                      "next_action_at > now() ORDER BY random() LIMIT $1)",
                      due);
      txn.commit();
    }
    const int64_t before = pqxx::work(c).exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>();
    some.push_back(sweep_ms(&advanced));
    const int64_t after = pqxx::work(c).exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>();
    pages += after - before;
    if (advanced != due) std::printf("  (round %d advanced %d, expected %d)\n", round, advanced, due);
  }
  std::printf("sweep, %d open incidents, %d due (1 %%): median %.2f ms, max %.2f ms "
              "(10 sweeps, %.1f pages written per sweep)\n",
              incidents, due, Percentile(some, 0.5), Percentile(some, 1.0), pages / 10.0);
  {
    pqxx::work txn(c);
    txn.exec("UPDATE incidents SET next_action_at = now() - interval '1 second', "
             "opened_at = now() - interval '15 minutes 1 second', escalation_step = 1, "
             "reminders_sent = 0, situations_sent = 0 WHERE state <> 'resolved'");
    txn.commit();
  }
  const int64_t before = pqxx::work(c).exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>();
  const double all_ms = sweep_ms(&advanced);
  const int64_t after = pqxx::work(c).exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>();
  std::printf("sweep, %d open incidents, all due at once: %.1f ms (%d advanced, %lld pages)\n",
              incidents, all_ms, advanced, static_cast<long long>(after - before));
  return 0;
}

int LatencyBenchmark(const std::string& conninfo, int pages) {
  absl::StatusOr<std::unique_ptr<testing::SmtpServer>> smtp = testing::SmtpServer::Start();
  if (!smtp.ok()) return Fail("smtp", smtp.status());
  RealClock clock;
  collector::CollectorConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "";
  config.database = conninfo;
  config.insecure = true;
  config.data_dir = PANTAU_SOURCE_DIR "/data";
  config.incidents.outbox_poll = absl::Seconds(1);
  collector::SmtpConfig mail;
  mail.url = (*smtp)->Url();
  mail.tls = "none";
  mail.from = "pantau@bench.example";
  config.notify.smtp = mail;
  absl::StatusOr<std::unique_ptr<collector::CollectorApp>> app =
      collector::CollectorApp::Create(config, clock);
  if (!app.ok()) return Fail("collector", app.status());
  if (absl::Status s = (*app)->Start(); !s.ok()) return Fail("collector", s);
  absl::StatusOr<std::string> token = (*app)->engine().BootstrapAdmin("bench", "bench");
  if (!token.ok()) return Fail("admin", token.status());
  absl::StatusOr<collector::Principal> admin = (*app)->engine().Authenticate(*token);
  absl::StatusOr<collector::OrgSpec> org = collector::ParseOrgSpec(
      "courts: [{code: PN-LAT, name: PN Latensi, type: PN}]\n"
      "people: [{id: staf-lat, name: Staf, role: staf, courts: [PN-LAT], email: staf@lat.example}]\n",
      "lat-org");
  if (!admin.ok() || !org.ok()) return Fail("org", admin.ok() ? org.status() : admin.status());
  if (absl::Status s = (*app)->engine().ApplyOrg(*admin, *org, false).status(); !s.ok()) {
    return Fail("org", s);
  }
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*app)->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::AgentService::NewStub(channel);
  uint64_t seq = 0;
  auto push = [&](const std::string& site) {
    v1::PushRequest r;
    r.set_agent_id("lat-agent");
    r.set_court_id("PN-LAT");
    r.set_batch_seq(++seq);
    v1::Event* e = r.add_events();
    e->set_agent_event_id(seq);
    e->set_observed_unix_ms(absl::ToUnixMillis(absl::Now()));
    v1::ProbeResult* p = e->mutable_probe();
    p->set_site(site);
    p->set_url("https://" + site + ".example/");
    p->set_started_unix_ms(absl::ToUnixMillis(absl::Now()));
    p->set_up(false);
    p->set_error("connection refused");
    v1::PushResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub->Push(&context, r, &response);
  };
  pqxx::connection c(conninfo);
  std::vector<double> latencies;
  for (int i = 0; i < pages; ++i) {
    const std::string site = absl::StrCat("lat-", i);
    if (grpc::Status s = push(site); !s.ok()) {
      std::fprintf(stderr, "push: %s\n", s.error_message().c_str());
      return 1;
    }
    (*app)->engine().WaitIdle(absl::Seconds(30));
    const absl::Time t0 = absl::Now();
    if (grpc::Status s = push(site); !s.ok()) {
      std::fprintf(stderr, "push: %s\n", s.error_message().c_str());
      return 1;
    }
    absl::StatusOr<std::vector<testing::SmtpMessage>> got =
        (*smtp)->WaitForMessages(static_cast<size_t>(i + 1), absl::Seconds(60));
    if (!got.ok()) return Fail("waiting for mail", got.status());
    // sent_at: when the SMTP server answered 250 to our DATA (the collector's clock).
    absl::Time sent = absl::InfinitePast();
    for (int tries = 0; tries < 5000 && sent == absl::InfinitePast(); ++tries) {
      pqxx::work txn(c);
      pqxx::result r = txn.exec_params(
          "SELECT (extract(epoch from o.sent_at) * 1000000)::bigint FROM outbox o JOIN incidents i "
          "USING (incident_id) WHERE i.site = $1 AND o.state = 'sent'",
          site);
      if (!r.empty() && !r[0][0].is_null()) sent = absl::FromUnixMicros(r[0][0].as<int64_t>());
      if (sent == absl::InfinitePast()) absl::SleepFor(absl::Milliseconds(2));
    }
    latencies.push_back(absl::ToDoubleMilliseconds(sent - t0));
  }
  std::printf("confirming probe pushed -> mail accepted by SMTP (%d pages): p50 %.1f ms, "
              "p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              pages, Percentile(latencies, 0.5), Percentile(latencies, 0.9),
              Percentile(latencies, 0.99), Percentile(latencies, 1.0));
  (*app)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace pantau

int main(int argc, char** argv) {
  int incidents = 10000, pages = 200;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--incidents") == 0 && i + 1 < argc) {
      incidents = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--pages") == 0 && i + 1 < argc) {
      pages = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: pantau-incident-load [--incidents N] [--pages N]\n");
      return 2;
    }
  }
  if (incidents < 100 || pages < 1) {
    std::fprintf(stderr, "pantau-incident-load: --incidents must be >= 100, --pages >= 1\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<pantau::testing::PostgresServer>> pg =
      pantau::testing::PostgresServer::Start();
  if (!pg.ok()) return pantau::Fail("postgres", pg.status());
  absl::StatusOr<std::string> db1 = (*pg)->CreateDatabase();
  absl::StatusOr<std::string> db2 = (*pg)->CreateDatabase();
  if (!db1.ok() || !db2.ok()) return pantau::Fail("database", db1.ok() ? db2.status() : db1.status());
  std::printf("machine: %s\n", "see docs/BENCHMARKS.md (2 cores, shared)");
  if (int rc = pantau::SweepBenchmark(*db1, incidents); rc != 0) return rc;
  return pantau::LatencyBenchmark(*db2, pages);
}
