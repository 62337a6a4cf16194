// Agent → collector → PostgreSQL over real gRPC on loopback, with a real nginx to probe:
// the happy path, and exactly-once delivery through collector and database outages.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <curl/curl.h>

#include <fstream>
#include <memory>

#include "agent/spool/spool_store.h"
#include "common/url.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/testing/eventually.h"
#include "tests/testing/temp_dir.h"

namespace pantau::testing {
namespace {

using ::testing::HasSubstr;

v1::Event ProbeEvent(uint64_t id, const std::string& site) {
  v1::Event e;
  e.set_agent_event_id(id);
  e.set_observed_unix_ms(1795600000000 + static_cast<int64_t>(id));
  v1::ProbeResult* p = e.mutable_probe();
  p->set_site(site);
  p->set_url("https://pn-contoh.go.id/");
  p->set_started_unix_ms(1795600000000 + static_cast<int64_t>(id));
  p->set_up(true);
  p->set_http_status(200);
  p->set_total_us(1234);
  return e;
}

TEST_F(PipelineTest, ProbeResultArrivesInPostgresWithItsTimings) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  auto agent = agent::AgentApp::Create(AgentConfigFor(collector->grpc_port(), absl::Milliseconds(200)),
                                       clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results") >= 3; }));
  (*agent)->Shutdown();

  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE NOT up OR http_status <> 200"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE court_id <> 'PN-TEST' OR "
                     "site <> 'pn-test-www' OR agent_id <> 'test-agent'"),
            0);
  // Every phase measured, and the phases fit inside the total.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE total_us <= 0 OR connect_us <= 0 "
                     "OR first_byte_us <= 0 OR body_bytes <= 0 OR "
                     "dns_us + connect_us + tls_us + first_byte_us > total_us"),
            0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE tls_us <> 0"), 0);  // plain http

  // pantauctl (with the bootstrapped admin's token) sees the site up, with a fresh probe.
  const std::string token_file = AdminTokenFile(*collector);
  std::string out, err;
  int code = Pantauctl(CtlArgs(collector->grpc_port(), token_file, {"status", "--json"}), &out,
                       &err);
  EXPECT_EQ(code, 0) << err;
  EXPECT_THAT(out, HasSubstr("\"site\":\"pn-test-www\""));
  EXPECT_THAT(out, HasSubstr("\"up\":true"));
  EXPECT_THAT(out, HasSubstr("\"last_probe_age_seconds\":"));

  // Without a token pantauctl stops before calling; with a token nobody was given the
  // collector refuses it.
  code = Pantauctl({"--collector", absl::StrCat("127.0.0.1:", collector->grpc_port()),
                    "--insecure", "status"},
                   &out, &err);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(err, HasSubstr("no operator token"));
  code = Pantauctl(CtlArgs(collector->grpc_port(), WriteTokenFile("stranger.token", "not-issued"),
                           {"status"}),
                   &out, &err);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("pn-test-www")));
}

std::string HttpGet(const std::string& url) {
  std::string body;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t n, void* out) {
                     static_cast<std::string*>(out)->append(data, size * n);
                     return size * n;
                   });
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  EXPECT_EQ(curl_easy_perform(curl.get()), CURLE_OK) << url;
  return body;
}

TEST_F(PipelineTest, CollectorExportsMetricsAndAnswersHealthChecks) {
  collector::CollectorConfig config = CollectorConfigFor();
  config.metrics_listen = "127.0.0.1:0";
  auto collector = collector::CollectorApp::Create(config, clock_);
  ASSERT_TRUE(collector.ok()) << collector.status();
  ASSERT_TRUE((*collector)->Start().ok());
  ASSERT_GT((*collector)->metrics_port(), 0);

  auto stub = AgentStub((*collector)->grpc_port());
  v1::PushRequest request;
  request.set_agent_id("metrics-agent");
  request.set_court_id("PN-TEST");
  request.set_batch_seq(1);
  *request.add_events() = ProbeEvent(1, "metrics-site");
  grpc::ClientContext context;
  v1::PushResponse response;
  ASSERT_TRUE(stub->Push(&context, request, &response).ok());

  const std::string metrics =
      HttpGet(absl::StrCat("http://127.0.0.1:", (*collector)->metrics_port(), "/metrics"));
  EXPECT_THAT(metrics, HasSubstr("pantau_site_up{court=\"PN-TEST\",site=\"metrics-site\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_push_requests_total{result=\"ok\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_ingested_events_total{kind=\"probe\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("pantau_collector_push_duration_seconds_count 1"));

  // Standard gRPC health checking: an empty HealthCheckRequest; the answer is
  // HealthCheckResponse{status: SERVING}, i.e. field 1 = 1 on the wire.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*collector)->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ByteBuffer empty;
  std::string none;
  grpc::Slice slice(none);
  empty = grpc::ByteBuffer(&slice, 1);
  grpc::ByteBuffer reply;
  grpc::ClientContext health_context;
  grpc::Status health_status;
  absl::Notification done;
  generic.UnaryCall(&health_context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &empty,
                    &reply, [&](grpc::Status st) {
                      health_status = st;
                      done.Notify();
                    });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(health_status.ok()) << health_status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  (*collector)->Shutdown();
}

TEST_F(PipelineTest, SameBatchPushedTwiceIsStoredOnce) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  auto stub = AgentStub(collector->grpc_port());
  v1::PushRequest request;
  request.set_agent_id("dup-agent");
  request.set_court_id("PN-TEST");
  request.set_batch_seq(1);
  for (uint64_t id = 1; id <= 3; ++id) *request.add_events() = ProbeEvent(id, "dup-site");

  for (int attempt = 0; attempt < 2; ++attempt) {
    grpc::ClientContext context;
    v1::PushResponse response;
    grpc::Status status = stub->Push(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.acked_seq(), 1u);
  }
  // A different batch under an old seq is a replay too: not stored.
  request.clear_events();
  *request.add_events() = ProbeEvent(99, "dup-site");
  grpc::ClientContext context;
  v1::PushResponse response;
  ASSERT_TRUE(stub->Push(&context, request, &response).ok());
  EXPECT_EQ(response.acked_seq(), 1u);

  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE agent_id = 'dup-agent'"), 3);
  EXPECT_EQ(QueryInt("SELECT last_seq FROM agents WHERE agent_id = 'dup-agent'"), 1);
}

TEST_F(PipelineTest, CollectorDownWhileAgentProbesLosesAndDuplicatesNothing) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  const int port = collector->grpc_port();
  auto agent = agent::AgentApp::Create(AgentConfigFor(port, absl::Milliseconds(50)), clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results") >= 5; }));

  collector->Shutdown();
  collector.reset();
  // The agent keeps probing; results pile up in its spool.
  ASSERT_TRUE(Eventually([&] { return (*agent)->spool().size() >= 20; }));
  const int64_t stored_while_down = QueryInt("SELECT count(*) FROM probe_results");

  collector = StartCollector(port);  // same address: the agent reconnects by itself
  ASSERT_NE(collector, nullptr);
  ASSERT_TRUE(Eventually([&] {
    return QueryInt("SELECT count(*) FROM probe_results") >= stored_while_down + 20;
  }));
  (*agent)->StopProbing();
  ASSERT_TRUE(Eventually([&] { return (*agent)->spool().size() == 0; }));
  (*agent)->Shutdown();

  ExpectExactlyOnce("test-agent");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results"), ProbeRequestsInAccessLog());
}

TEST_F(PipelineTest, PostgresRestartUnderLoadLosesAndDuplicatesNothing) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  auto agent = agent::AgentApp::Create(
      AgentConfigFor(collector->grpc_port(), absl::Milliseconds(50)), clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results") >= 5; }));

  ASSERT_TRUE(pg_->Stop().ok());
  // While PostgreSQL is down the collector says UNAVAILABLE (retry), and the agent keeps
  // everything in its spool.
  {
    auto stub = AgentStub(collector->grpc_port());
    v1::PushRequest request;
    request.set_agent_id("probe-of-unavailable");
    request.set_batch_seq(1);
    *request.add_events() = ProbeEvent(1, "x");
    grpc::ClientContext context;
    v1::PushResponse response;
    grpc::Status status = stub->Push(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  ASSERT_TRUE(Eventually([&] { return (*agent)->spool().size() >= 20; }));
  ASSERT_TRUE(pg_->Restart().ok());

  (*agent)->StopProbing();
  ASSERT_TRUE(Eventually([&] { return (*agent)->spool().size() == 0; }));
  (*agent)->Shutdown();
  ExpectExactlyOnce("test-agent");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE agent_id = 'test-agent'"),
            ProbeRequestsInAccessLog());
}

TEST_F(PipelineTest, BatchesTheCollectorFindsTooLargeAreSplitAndStoredExactlyOnce) {
  // Learn a free port, then let events pile up in the agent while nothing listens there, so
  // its first batches are full (7 events) when a collector that takes only 3 appears.
  int port = 0;
  {
    auto probe_port = StartCollector();
    ASSERT_NE(probe_port, nullptr);
    port = probe_port->grpc_port();
    probe_port->Shutdown();
  }
  auto agent = agent::AgentApp::Create(AgentConfigFor(port, absl::Milliseconds(20)), clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return (*agent)->spool().size() >= 20; }));

  collector::CollectorConfig config = CollectorConfigFor(port);
  config.limits.max_events_per_batch = 3;
  auto collector = collector::CollectorApp::Create(config, clock_);
  ASSERT_TRUE(collector.ok()) << collector.status();
  ASSERT_TRUE((*collector)->Start().ok());
  ASSERT_TRUE(Eventually([&] { return QueryInt("SELECT count(*) FROM probe_results") >= 20; }));
  (*agent)->StopProbing();
  ASSERT_TRUE(Eventually([&] { return (*agent)->spool().size() == 0; }));
  (*agent)->Shutdown();
  ExpectExactlyOnce("test-agent");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results"), ProbeRequestsInAccessLog());
  EXPECT_LE(QueryInt("SELECT max(n) FROM (SELECT count(*) AS n FROM probe_results "
                     "GROUP BY batch_seq) b"),
            3);
  (*collector)->Shutdown();
}

TEST_F(PipelineTest, MalformedAndOversizedPushesAreRefusedAndServingContinues) {
  collector::CollectorConfig config = CollectorConfigFor();
  config.limits.max_message_bytes = 64 * 1024;
  config.limits.max_events_per_batch = 50;
  auto app = collector::CollectorApp::Create(config, clock_);
  ASSERT_TRUE(app.ok()) << app.status();
  ASSERT_TRUE((*app)->Start().ok());
  const int port = (*app)->grpc_port();
  auto stub = AgentStub(port);

  auto push = [&](const v1::PushRequest& r) {
    grpc::ClientContext context;
    v1::PushResponse response;
    return stub->Push(&context, r, &response);
  };
  v1::PushRequest valid;
  valid.set_agent_id("limits-agent");
  valid.set_batch_seq(1);
  *valid.add_events() = ProbeEvent(1, "limits-site");

  v1::PushRequest no_agent = valid;
  no_agent.clear_agent_id();
  grpc::Status s = push(no_agent);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("agent_id"));

  v1::PushRequest too_many = valid;
  for (uint64_t id = 2; id <= 51; ++id) *too_many.add_events() = ProbeEvent(id, "limits-site");
  s = push(too_many);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("limit is 50"));

  v1::PushRequest long_url = valid;
  long_url.mutable_events(0)->mutable_probe()->set_url(std::string(5000, 'a'));
  s = push(long_url);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("probe.url"));

  v1::PushRequest oversized = valid;
  oversized.mutable_events(0)->mutable_probe()->set_error(std::string(100 * 1024, 'e'));
  s = push(oversized);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Bytes that are not a PushRequest at all, sent on the raw method.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  for (const std::string& garbage :
       {std::string("\xff\xff\xff\xff\xff\xff", 6), std::string("\x0a\x05\xc3\x28\xa0\xa1\xfe", 7)}) {
    grpc::Slice slice(garbage);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer reply;
    grpc::ClientContext context;
    grpc::Status status;
    absl::Notification done;
    generic.UnaryCall(&context, "/pantau.v1.AgentService/Push", grpc::StubOptions(), &request,
                      &reply, [&](grpc::Status st) {
                        status = st;
                        done.Notify();
                      });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }

  // None of it was stored, and the collector still serves a valid push.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results"), 0);
  s = push(valid);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results"), 1);
  (*app)->Shutdown();
}

}  // namespace
}  // namespace pantau::testing

namespace pantau::testing {
namespace {

// A court page with gambling links hidden in it, as injected into many government sites.
constexpr char kInjectedPage[] = R"html(<!DOCTYPE html>
<html lang="id"><head><title>Beranda - Pengadilan Negeri Contoh</title></head>
<body><nav><a href="/profil">Profil</a> <a href="/kontak">Kontak</a></nav>
<main><h1>Selamat Datang di Pengadilan Negeri Contoh</h1>
<p>Informasi layanan pengadilan, jadwal sidang dan pengumuman untuk masyarakat.</p>
<div style="position:absolute; left:-9999px">
<a href="https://gacor-maxwin88.example/">slot gacor hari ini</a>
<a href="https://togel-macau.example/">togel macau</a>
<a href="https://situs-slot777.example/">situs slot gacor maxwin</a>
<a href="https://rtp-live.example/">rtp live slot gacor</a>
</div></main></body></html>)html";

TEST_F(PipelineTest, ContentFindingsReachPostgresAndPantauctl) {
  const std::string dir = absl::StrCat("content-", TestToken());
  ASSERT_TRUE(nginx_->WriteFile(dir + "/index.html", kInjectedPage).ok());
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  agent::AgentConfig config = AgentConfigFor(collector->grpc_port(), absl::Seconds(30));
  agent::SiteConfig& site = config.sites[0];
  site.url = nginx_->Url(absl::StrCat("/", dir, "/"));
  site.content.enabled = true;
  site.content.interval = absl::Seconds(30);
  site.content.jitter = absl::ZeroDuration();
  site.content.sitemaps = false;
  site.content.max_content_age_days = 3650;
  auto agent = agent::AgentApp::Create(config, clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  // GetStatus lists sites with an availability probe; wait for one of those too.
  ASSERT_TRUE(Eventually([&] {
    return QueryInt("SELECT count(*) FROM open_findings WHERE kind = 'gambling_spam'") >= 1 &&
           QueryInt("SELECT count(*) FROM probe_results") >= 1;
  }, absl::Seconds(60)));
  (*agent)->Shutdown();

  EXPECT_EQ(QueryInt("SELECT count(*) FROM open_findings WHERE kind = 'gambling_spam' AND "
                     "site = 'pn-test-www' AND court_id = 'PN-TEST'"),
            1);
  EXPECT_GE(QueryInt("SELECT count(*) FROM findings WHERE kind = 'gambling_spam'"), 1);
  EXPECT_GE(QueryInt("SELECT count(*) FROM check_reports WHERE site = 'pn-test-www'"), 1);

  // pantauctl shows the open finding and exits 1 (a critical finding is open).
  std::string out, err;
  int code = Pantauctl(
      CtlArgs(collector->grpc_port(), AdminTokenFile(*collector), {"status", "--json"}), &out,
      &err);
  EXPECT_EQ(code, 1) << err;
  EXPECT_THAT(out, HasSubstr("\"kind\":\"gambling_spam\""));
}

}  // namespace
}  // namespace pantau::testing

namespace pantau::testing {
namespace {

TEST_F(PipelineTest, DnsAndTcpProbesAreStoredBesideTheHttpProbe) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  agent::AgentConfig config = AgentConfigFor(collector->grpc_port(), absl::Milliseconds(500));
  agent::SiteConfig& site = config.sites[0];
  const std::optional<UrlParts> url = ParseHttpUrl(site.url);
  ASSERT_TRUE(url.has_value());
  site.dns.enabled = true;  // the host is an IP literal: it resolves to itself, no query
  site.dns.interval = absl::Milliseconds(500);
  site.dns.jitter = absl::ZeroDuration();
  site.tcp.ports = {url->port};
  site.tcp.interval = absl::Milliseconds(500);
  site.tcp.jitter = absl::ZeroDuration();
  auto agent = agent::AgentApp::Create(config, clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());
  ASSERT_TRUE(Eventually([&] {
    return QueryInt("SELECT count(*) FROM probe_results WHERE probe_kind = 'dns' AND up") >= 1 &&
           QueryInt("SELECT count(*) FROM probe_results WHERE probe_kind = 'tcp' AND up") >= 1 &&
           QueryInt("SELECT count(*) FROM probe_results WHERE probe_kind = 'http' AND up") >= 1;
  }));
  (*agent)->Shutdown();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM probe_results WHERE NOT up"), 0);
  // dns and tcp results do not take the http probe's place as the site's latest.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM site_latest WHERE url NOT LIKE 'http%'"), 0);
  EXPECT_EQ(QueryInt(absl::StrCat("SELECT count(*) FROM probe_results WHERE probe_kind = 'tcp' "
                                  "AND url = 'tcp://127.0.0.1:", url->port, "'")),
            QueryInt("SELECT count(*) FROM probe_results WHERE probe_kind = 'tcp'"));
}

}  // namespace
}  // namespace pantau::testing

namespace pantau::testing {
namespace {

// One combined-format line at `t` (UTC).
std::string AccessLine(const std::string& client, absl::Time t, const std::string& request,
                       int status, const std::string& ua) {
  return absl::StrCat(client, " - - [",
                      absl::FormatTime("%d/%b/%Y:%H:%M:%S +0000", t, absl::UTCTimeZone()),
                      "] \"", request, "\" ", status, " 5120 \"-\" \"", ua, "\"\n");
}

// The agent reads a web-server log (with the bytes real logs contain: invalid UTF-8, a 3 KB
// target) and its alerts and visitor statistics go over gRPC into PostgreSQL, accepted by the
// collector's validation, and pantauctl shows them.
TEST_F(PipelineTest, LogAlertsAndVisitorStatisticsReachPostgresAndPantauctl) {
  ScopedTempDir logs;
  const std::string log = logs.path() + "/access.log";
  std::ofstream(log).close();
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  agent::AgentConfig config = AgentConfigFor(collector->grpc_port(), absl::Seconds(30));
  agent::LogSourceConfig source;
  source.paths = {log};
  config.sites[0].logs = {source};
  config.logwatch.poll_interval = absl::Milliseconds(100);
  config.logwatch.checkpoint_interval = absl::Seconds(1);
  config.logwatch.start_at_end = false;  // the lines may land before the first read
  auto agent = agent::AgentApp::Create(config, clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE((*agent)->Start().ok());

  const absl::Time now = absl::Now();
  std::string lines;
  for (int i = 0; i < 20; ++i) {
    lines += AccessLine(absl::StrCat("114.124.7.", i), now, "GET /berita?id=12&order=desc HTTP/1.1",
                        200, "Mozilla/5.0 (Linux; Android 13) Chrome/119.0");
  }
  for (int i = 0; i < 3; ++i) {
    lines += AccessLine("45.83.64.1", now,
                        "GET /berita?id=1%27%20UNION%20SELECT%20user,password%20FROM%20users-- "
                        "HTTP/1.1",
                        200, "Mozilla/5.0 \xff\xfe bad bytes");
  }
  lines += AccessLine("114.124.7.99", now,
                      absl::StrCat("GET /", std::string(3000, 'a'), " HTTP/1.1"), 200, "curl/8");
  // Page views: both are top-page keys, one too long for the wire, one not UTF-8.
  lines += AccessLine("114.124.7.98", now, "GET /caf\xe9\xff HTTP/1.1", 200, "Mozilla/5.0");
  std::ofstream(log, std::ios::app | std::ios::binary) << lines;

  const std::string site = "site = 'pn-test-www'";
  ASSERT_TRUE(Eventually([&] {
    return QueryInt("SELECT coalesce(sum(requests), 0) FROM visitor_minutes WHERE " + site) >= 25 &&
           QueryInt("SELECT count(*) FROM log_alerts WHERE family = 'sql_injection' AND " +
                    site) >= 1;
  }, absl::Seconds(60)));
  (*agent)->Shutdown();
  EXPECT_EQ(QueryInt("SELECT sum(requests) FROM visitor_minutes WHERE " + site), 25);
  EXPECT_EQ(QueryInt("SELECT max(count) FROM log_alerts WHERE family = 'sql_injection' AND " +
                     site),
            3);

  std::string out, err;
  const std::string token_file = AdminTokenFile(*collector);
  EXPECT_EQ(Pantauctl(CtlArgs(collector->grpc_port(), token_file, {"alerts", "--json"}), &out,
                      &err),
            1)
      << err;  // a critical alert is open
  EXPECT_THAT(out, HasSubstr("sql_injection"));
  EXPECT_THAT(out, HasSubstr("45.83.64.1"));
  EXPECT_EQ(Pantauctl(CtlArgs(collector->grpc_port(), token_file,
                              {"visitors", "--site", "pn-test-www"}),
                      &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("/berita"));
}

}  // namespace
}  // namespace pantau::testing
