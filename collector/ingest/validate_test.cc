#include "collector/ingest/validate.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

v1::Event ProbeEvent(uint64_t id) {
  v1::Event e;
  e.set_agent_event_id(id);
  e.set_observed_unix_ms(1767225600000);
  v1::ProbeResult* p = e.mutable_probe();
  p->set_site("pn-jakpus-www");
  p->set_url("https://pn-jakartapusat.go.id/");
  p->set_started_unix_ms(1767225600000);
  p->set_up(true);
  p->set_http_status(200);
  p->set_dns_us(1200);
  p->set_connect_us(3400);
  p->set_tls_us(15000);
  p->set_first_byte_us(80000);
  p->set_total_us(120000);
  p->set_body_bytes(34567);
  return e;
}

v1::Event HeartbeatEvent(uint64_t id) {
  v1::Event e;
  e.set_agent_event_id(id);
  e.set_observed_unix_ms(1767225600000);
  e.mutable_heartbeat()->set_agent_version("0.1.0");
  e.mutable_heartbeat()->set_spooled_events(3);
  return e;
}

v1::Finding MakeFinding(const std::string& kind, const std::string& key) {
  v1::Finding f;
  f.set_kind(kind);
  f.set_key(key);
  f.set_severity(v1::Finding::WARNING);
  f.set_detail("redirects to another domain");
  f.set_evidence("https://slot-gacor.example/");
  return f;
}

// An https probe with every field of the TLS/redirect/findings extension set.
v1::Event TlsProbeEvent(uint64_t id) {
  v1::Event e = ProbeEvent(id);
  v1::ProbeResult* p = e.mutable_probe();
  p->set_probe_kind("http");
  p->set_http_version("2");
  p->set_redirect_count(2);
  p->set_final_url("https://pn-jakartapusat.go.id/beranda");
  p->set_tls_checked(true);
  p->set_tls_verified(false);
  p->set_tls_days_left(-3);
  p->set_tls_days_left_known(true);
  p->set_tls_issuer("C=US, O=Let's Encrypt, CN=R11");
  p->set_tls_error("certificate has expired");
  *p->add_findings() = MakeFinding("tls_invalid", "");
  *p->add_findings() = MakeFinding("redirect_offsite", "https://slot-gacor.example/");
  return e;
}

v1::Event DnsProbeEvent(uint64_t id) {
  v1::Event e = ProbeEvent(id);
  v1::ProbeResult* p = e.mutable_probe();
  p->set_probe_kind("dns");
  p->set_url("dns://pn-jakartapusat.go.id");
  p->add_dns_answers("system=10.0.0.5");
  p->add_dns_answers("1.1.1.1=203.0.113.7");
  *p->add_findings() = MakeFinding("dns_mismatch", "1.1.1.1");
  return e;
}

v1::Event CheckEvent(uint64_t id) {
  v1::Event e;
  e.set_agent_event_id(id);
  e.set_observed_unix_ms(1767225600000);
  v1::CheckReport* c = e.mutable_check();
  c->set_site("pn-jakpus-www");
  c->set_check("freshness");
  c->set_started_unix_ms(1767225600000);
  c->set_content_age_known(true);
  c->set_content_age_days(12.5);
  c->set_content_age_source("wp_json");
  *c->add_findings() = MakeFinding("content_stale", "");
  return e;
}

// A valid batch of one probe and one heartbeat.
v1::PushRequest ValidPush() {
  v1::PushRequest r;
  r.set_agent_id("pn-jakpus.agent_1");
  r.set_court_id("PN-JKT-PST");
  r.set_batch_seq(7);
  *r.add_events() = ProbeEvent(41);
  *r.add_events() = HeartbeatEvent(42);
  return r;
}

TEST(ValidatePush, AcceptsAValidBatch) {
  EXPECT_THAT(ValidatePush(ValidPush(), IngestLimits{}), IsOk());
}

TEST(ValidatePush, AcceptsTheHandshakeWithSeqZeroAndNoEvents) {
  v1::PushRequest r;
  r.set_agent_id("agent-1");
  r.set_batch_seq(0);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

TEST(ValidatePush, AcceptsAFailedProbeWithAnErrorAndNoStatus) {
  v1::PushRequest r = ValidPush();
  v1::ProbeResult* p = r.mutable_events(0)->mutable_probe();
  p->set_up(false);
  p->set_http_status(0);
  p->set_tls_us(0);
  p->set_first_byte_us(0);
  p->set_error(std::string(kMaxErrorBytes, 'e'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

TEST(ValidatePush, RejectsAnEmptyAgentId) {
  v1::PushRequest r = ValidPush();
  r.set_agent_id("");
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
}

TEST(ValidatePush, RejectsAnAgentIdLongerThan128Bytes) {
  v1::PushRequest r = ValidPush();
  r.set_agent_id(std::string(129, 'a'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
  r.set_agent_id(std::string(128, 'a'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

TEST(ValidatePush, RejectsAnAgentIdWithForbiddenCharacters) {
  for (const char* id : {"agent 1", "agent/1", "agent:1", "agent\n1", "agent\xC3\xA9"}) {
    SCOPED_TRACE(id);
    v1::PushRequest r = ValidPush();
    r.set_agent_id(id);
    EXPECT_THAT(ValidatePush(r, IngestLimits{}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_id")));
  }
}

TEST(ValidatePush, RejectsACourtIdOverItsLimit) {
  v1::PushRequest r = ValidPush();
  r.set_court_id(std::string(kMaxCourtIdBytes + 1, 'C'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("court_id")));
}

TEST(ValidatePush, RejectsMoreEventsThanTheLimitAsResourceExhausted) {
  IngestLimits limits;
  limits.max_events_per_batch = 3;
  v1::PushRequest r = ValidPush();
  r.clear_events();
  for (uint64_t id = 1; id <= 3; ++id) *r.add_events() = HeartbeatEvent(id);
  EXPECT_THAT(ValidatePush(r, limits), IsOk());
  *r.add_events() = HeartbeatEvent(4);
  EXPECT_THAT(ValidatePush(r, limits),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("4 events"), HasSubstr("limit is 3"))));
}

TEST(ValidatePush, RejectsEventsUnderBatchSeqZero) {
  v1::PushRequest r = ValidPush();
  r.set_batch_seq(0);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_seq")));
}

TEST(ValidatePush, RejectsABatchSeqBeyondInt64) {
  v1::PushRequest r = ValidPush();
  r.set_batch_seq(uint64_t{1} << 63);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("batch_seq")));
}

TEST(ValidatePush, RejectsAnEventWithoutKindNamingTheEvent) {
  v1::PushRequest r = ValidPush();
  v1::Event* e = r.add_events();
  e->set_agent_event_id(43);
  EXPECT_THAT(
      ValidatePush(r, IngestLimits{}),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("event 2"), HasSubstr("kind"))));
}

TEST(ValidatePush, RejectsAgentEventIdZero) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(1)->set_agent_event_id(0);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("event 1"), HasSubstr("agent_event_id"))));
}

TEST(ValidatePush, RejectsAgentEventIdBeyondInt64) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->set_agent_event_id(uint64_t{1} << 63);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("agent_event_id")));
}

TEST(ValidatePush, RejectsAnEmptySite) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_site("");
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("event 0"), HasSubstr("probe.site"))));
}

TEST(ValidatePush, RejectsASiteOverItsLimitNamingTheField) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_site(std::string(kMaxSiteBytes, 's'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
  r.mutable_events(0)->mutable_probe()->set_site(std::string(kMaxSiteBytes + 1, 's'));
  EXPECT_THAT(
      ValidatePush(r, IngestLimits{}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("event 0"), HasSubstr("probe.site"), HasSubstr("limit is 128"))));
}

TEST(ValidatePush, RejectsAUrlOverTheStringLimitNamingTheField) {
  IngestLimits limits;
  limits.max_string_bytes = 300;
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_url("https://x/" + std::string(290, 'u'));
  EXPECT_THAT(ValidatePush(r, limits), IsOk());
  r.mutable_events(0)->mutable_probe()->set_url("https://x/" + std::string(291, 'u'));
  EXPECT_THAT(
      ValidatePush(r, limits),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("probe.url"), HasSubstr("301 bytes"), HasSubstr("limit is 300"))));
}

TEST(ValidatePush, RejectsAnEmptyUrl) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_url("");
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("probe.url")));
}

TEST(ValidatePush, RejectsAnErrorTextOverItsLimitNamingTheField) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_error(std::string(kMaxErrorBytes + 1, 'e'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("probe.error"), HasSubstr("limit is 1024"))));
}

TEST(ValidatePush, AppliesALowerStringLimitToSiteAndError) {
  IngestLimits limits;
  limits.max_string_bytes = 128;
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_error(std::string(129, 'e'));
  EXPECT_THAT(ValidatePush(r, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("probe.error"), HasSubstr("limit is 128"))));
}

TEST(ValidatePush, RejectsNegativeTimings) {
  using Setter = void (v1::ProbeResult::*)(int64_t);
  for (Setter set : {&v1::ProbeResult::set_dns_us, &v1::ProbeResult::set_connect_us,
                     &v1::ProbeResult::set_tls_us, &v1::ProbeResult::set_first_byte_us,
                     &v1::ProbeResult::set_total_us, &v1::ProbeResult::set_body_bytes}) {
    v1::PushRequest r = ValidPush();
    (r.mutable_events(0)->mutable_probe()->*set)(-1);
    EXPECT_THAT(ValidatePush(r, IngestLimits{}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("event 0"), HasSubstr("negative"))));
  }
}

TEST(ValidatePush, RejectsAnHttpStatusOutsideZeroTo999) {
  for (int status : {-1, 1000}) {
    SCOPED_TRACE(status);
    v1::PushRequest r = ValidPush();
    r.mutable_events(0)->mutable_probe()->set_http_status(status);
    EXPECT_THAT(ValidatePush(r, IngestLimits{}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("probe.http_status")));
  }
}

TEST(ValidatePush, RejectsAProbeWithoutStartTime) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(0)->mutable_probe()->set_started_unix_ms(0);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("probe.started_unix_ms")));
}

TEST(ValidatePush, RejectsAHeartbeatVersionOverItsLimit) {
  v1::PushRequest r = ValidPush();
  r.mutable_events(1)->mutable_heartbeat()->set_agent_version(
      std::string(kMaxVersionBytes + 1, 'v'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("event 1"), HasSubstr("heartbeat.agent_version"))));
}

TEST(ValidatePush, RejectsNulBytesThatPostgresTextCannotHold) {
  IngestLimits limits;
  v1::PushRequest in_url = ValidPush();
  in_url.mutable_events(0)->mutable_probe()->set_url(std::string("http://a/\0b", 11));
  EXPECT_THAT(ValidatePush(in_url, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NUL")));
  v1::PushRequest in_court = ValidPush();
  in_court.set_court_id(std::string("PN\0X", 4));
  EXPECT_THAT(ValidatePush(in_court, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("court_id")));
}

TEST(ValidatePush, RejectsTimesOutsideTheYears2000To2200) {
  IngestLimits limits;
  v1::PushRequest far = ValidPush();
  far.mutable_events(0)->mutable_probe()->set_started_unix_ms(INT64_MAX);
  EXPECT_THAT(ValidatePush(far, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("started_unix_ms")));
  v1::PushRequest old = ValidPush();
  old.mutable_events(0)->set_observed_unix_ms(1000);
  EXPECT_THAT(ValidatePush(old, limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("observed_unix_ms")));
  v1::PushRequest unset = ValidPush();
  unset.mutable_events(0)->set_observed_unix_ms(0);  // not set: allowed
  EXPECT_THAT(ValidatePush(unset, limits), IsOk());
}

// The extension: TLS, DNS, findings and check reports.

// A valid batch with every new kind of data: an https probe with TLS details and findings, a
// dns probe, and a freshness report.
v1::PushRequest ExtendedPush() {
  v1::PushRequest r = ValidPush();
  *r.add_events() = TlsProbeEvent(43);
  *r.add_events() = DnsProbeEvent(44);
  *r.add_events() = CheckEvent(45);
  return r;
}

TEST(ValidatePush, AcceptsProbesWithTlsDnsAndFindingsAndCheckReports) {
  EXPECT_THAT(ValidatePush(ExtendedPush(), IngestLimits{}), IsOk());
}

TEST(ValidatePush, AcceptsTheLargestAllowedValuesOfTheNewFields) {
  v1::PushRequest r = ExtendedPush();
  v1::ProbeResult* p = r.mutable_events(2)->mutable_probe();
  p->set_http_version(std::string(kMaxHttpVersionBytes, '1'));
  p->set_tls_issuer(std::string(kMaxTlsIssuerBytes, 'i'));
  p->set_tls_error(std::string(kMaxErrorBytes, 'e'));
  p->set_final_url("https://x/" + std::string(2048 - 10, 'u'));
  p->clear_findings();
  for (int i = 0; i < kMaxFindings; ++i) *p->add_findings() = MakeFinding("k", std::to_string(i));
  v1::Finding* f = p->mutable_findings(0);
  f->set_kind(std::string(kMaxFindingKindBytes, 'k'));
  f->set_key(std::string(kMaxFindingKeyBytes, 'y'));
  f->set_detail(std::string(kMaxFindingTextBytes, 'd'));
  f->set_evidence(std::string(kMaxFindingTextBytes, 'v'));
  f->set_severity(v1::Finding::CRITICAL);
  v1::ProbeResult* dns = r.mutable_events(3)->mutable_probe();
  dns->clear_dns_answers();
  for (int i = 0; i < kMaxDnsAnswers; ++i) {
    dns->add_dns_answers(std::string(kMaxDnsAnswerBytes, 'a'));
  }
  v1::CheckReport* c = r.mutable_events(4)->mutable_check();
  c->set_check(std::string(kMaxCheckBytes, 'c'));
  c->set_content_age_days(kMaxContentAgeDays);
  c->set_content_age_source(std::string(kMaxContentAgeSourceBytes, 's'));
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
  c->set_content_age_days(0);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

TEST(ValidatePush, AcceptsTcpAndEmptyProbeKindsAndAnyAgeWhenTheAgeIsUnknown) {
  v1::PushRequest r = ExtendedPush();
  r.mutable_events(3)->mutable_probe()->set_probe_kind("tcp");
  r.mutable_events(2)->mutable_probe()->set_probe_kind("");
  v1::CheckReport* c = r.mutable_events(4)->mutable_check();
  c->set_content_age_known(false);
  c->set_content_age_days(std::nan(""));  // not looked at
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

// One way to break a limit: what to change in ExtendedPush() (events 2 = https probe, 3 = dns
// probe, 4 = freshness report) and what the error must name.
struct Breakage {
  const char* name;
  std::function<void(v1::PushRequest&)> change;
  const char* event;   // "event N"
  const char* field;   // the field's name in the message
};

std::vector<Breakage> Breakages() {
  auto probe = [](v1::PushRequest& r) { return r.mutable_events(2)->mutable_probe(); };
  auto dns = [](v1::PushRequest& r) { return r.mutable_events(3)->mutable_probe(); };
  auto check = [](v1::PushRequest& r) { return r.mutable_events(4)->mutable_check(); };
  return {
      {"unknown probe kind", [=](auto& r) { probe(r)->set_probe_kind("icmp"); }, "event 2",
       "probe.probe_kind"},
      {"upper-case probe kind", [=](auto& r) { probe(r)->set_probe_kind("HTTP"); }, "event 2",
       "probe.probe_kind"},
      {"http_version 9 bytes",
       [=](auto& r) { probe(r)->set_http_version(std::string(kMaxHttpVersionBytes + 1, '1')); },
       "event 2", "probe.http_version"},
      {"negative redirect_count", [=](auto& r) { probe(r)->set_redirect_count(-1); }, "event 2",
       "probe.redirect_count"},
      {"final_url over 2048", [=](auto& r) { probe(r)->set_final_url(std::string(2049, 'u')); },
       "event 2", "probe.final_url"},
      {"tls_issuer over 512",
       [=](auto& r) { probe(r)->set_tls_issuer(std::string(kMaxTlsIssuerBytes + 1, 'i')); },
       "event 2", "probe.tls_issuer"},
      {"tls_error over 1024",
       [=](auto& r) { probe(r)->set_tls_error(std::string(kMaxErrorBytes + 1, 'e')); }, "event 2",
       "probe.tls_error"},
      {"NUL in tls_error", [=](auto& r) { probe(r)->set_tls_error(std::string("bad\0cert", 8)); },
       "event 2", "probe.tls_error contains a NUL"},
      {"65 dns answers",
       [=](auto& r) {
         for (int i = 0; i < kMaxDnsAnswers; ++i) dns(r)->add_dns_answers("x=1.2.3.4");
       },
       "event 3", "probe.dns_answers has 66 entries"},
      {"dns answer over 128",
       [=](auto& r) { dns(r)->set_dns_answers(1, std::string(kMaxDnsAnswerBytes + 1, 'a')); },
       "event 3", "probe.dns_answers[1]"},
      {"NUL in dns answer", [=](auto& r) { dns(r)->set_dns_answers(0, std::string("a=\0", 3)); },
       "event 3", "probe.dns_answers[0] contains a NUL"},
      {"101 probe findings",
       [=](auto& r) {
         for (int i = 0; i < kMaxFindings - 1; ++i) {
           *probe(r)->add_findings() = MakeFinding("k", "");
         }
       },
       "event 2", "probe.findings has 101 entries"},
      {"empty finding kind", [=](auto& r) { probe(r)->mutable_findings(1)->set_kind(""); },
       "event 2", "probe.findings[1].kind"},
      {"finding kind with upper case",
       [=](auto& r) { probe(r)->mutable_findings(1)->set_kind("Cloaking"); }, "event 2",
       "probe.findings[1].kind"},
      {"finding kind with a dash",
       [=](auto& r) { dns(r)->mutable_findings(0)->set_kind("dns-mismatch"); }, "event 3",
       "probe.findings[0].kind"},
      {"finding kind over 64",
       [=](auto& r) {
         probe(r)->mutable_findings(0)->set_kind(std::string(kMaxFindingKindBytes + 1, 'k'));
       },
       "event 2", "probe.findings[0].kind"},
      {"unknown severity",
       [=](auto& r) {
         probe(r)->mutable_findings(0)->set_severity(static_cast<v1::Finding::Severity>(7));
       },
       "event 2", "probe.findings[0].severity 7"},
      {"finding detail over 1024",
       [=](auto& r) {
         check(r)->mutable_findings(0)->set_detail(std::string(kMaxFindingTextBytes + 1, 'd'));
       },
       "event 4", "check.findings[0].detail"},
      {"finding evidence over 1024",
       [=](auto& r) {
         check(r)->mutable_findings(0)->set_evidence(std::string(kMaxFindingTextBytes + 1, 'v'));
       },
       "event 4", "check.findings[0].evidence"},
      {"finding key over 256",
       [=](auto& r) {
         check(r)->mutable_findings(0)->set_key(std::string(kMaxFindingKeyBytes + 1, 'y'));
       },
       "event 4", "check.findings[0].key"},
      {"NUL in finding detail",
       [=](auto& r) { check(r)->mutable_findings(0)->set_detail(std::string("a\0b", 3)); },
       "event 4", "check.findings[0].detail contains a NUL"},
      {"101 report findings",
       [=](auto& r) {
         for (int i = 0; i < kMaxFindings; ++i) *check(r)->add_findings() = MakeFinding("k", "");
       },
       "event 4", "check.findings has 101 entries"},
      {"empty check site", [=](auto& r) { check(r)->set_site(""); }, "event 4", "check.site"},
      {"check site over 128",
       [=](auto& r) { check(r)->set_site(std::string(kMaxSiteBytes + 1, 's')); }, "event 4",
       "check.site"},
      {"empty check name", [=](auto& r) { check(r)->set_check(""); }, "event 4", "check.check"},
      {"check name with a space", [=](auto& r) { check(r)->set_check("required pages"); },
       "event 4", "check.check"},
      {"check name over 32",
       [=](auto& r) { check(r)->set_check(std::string(kMaxCheckBytes + 1, 'c')); }, "event 4",
       "check.check"},
      {"check named like a probe kind", [=](auto& r) { check(r)->set_check("dns"); }, "event 4",
       "check.check \"dns\" is reserved"},
      {"check without start time", [=](auto& r) { check(r)->set_started_unix_ms(0); }, "event 4",
       "check.started_unix_ms"},
      {"check error over 1024",
       [=](auto& r) { check(r)->set_error(std::string(kMaxErrorBytes + 1, 'e')); }, "event 4",
       "check.error"},
      {"NaN content age", [=](auto& r) { check(r)->set_content_age_days(std::nan("")); }, "event 4",
       "check.content_age_days"},
      {"infinite content age", [=](auto& r) { check(r)->set_content_age_days(HUGE_VAL); },
       "event 4", "check.content_age_days"},
      {"negative content age", [=](auto& r) { check(r)->set_content_age_days(-0.5); }, "event 4",
       "check.content_age_days"},
      {"content age over 100 years",
       [=](auto& r) { check(r)->set_content_age_days(kMaxContentAgeDays + 1); }, "event 4",
       "check.content_age_days"},
      {"content age source over 32",
       [=](auto& r) {
         check(r)->set_content_age_source(std::string(kMaxContentAgeSourceBytes + 1, 's'));
       },
       "event 4", "check.content_age_source"},
  };
}

TEST(ValidatePush, RejectsEveryBrokenLimitOfTheNewFieldsNamingEventAndField) {
  for (const Breakage& b : Breakages()) {
    SCOPED_TRACE(b.name);
    v1::PushRequest r = ExtendedPush();
    b.change(r);
    EXPECT_THAT(ValidatePush(r, IngestLimits{}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(b.event), HasSubstr(b.field))));
  }
}

TEST(ValidatePush, AppliesALowerStringLimitToFindingTexts) {
  IngestLimits limits;
  limits.max_string_bytes = 128;
  v1::PushRequest r = ExtendedPush();
  r.mutable_events(4)->mutable_check()->mutable_findings(0)->set_detail(std::string(129, 'd'));
  EXPECT_THAT(ValidatePush(r, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("check.findings[0].detail"), HasSubstr("limit is 128"))));
}

TEST(ValidatePush, TheFuzzSeedWithChecksIsAValidPush) {
  // Keeps the seed useful: mutations of a valid batch reach every check above.
  std::ifstream in(std::string(PANTAU_SOURCE_DIR) + "/tests/fuzz/corpus/push/checks.bin",
                   std::ios::binary);
  ASSERT_TRUE(in.good());
  v1::PushRequest r;
  ASSERT_TRUE(r.ParseFromIstream(&in));
  EXPECT_EQ(r.events_size(), 5);
  EXPECT_TRUE(r.events(2).has_check());
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

// Agent logwatch: log alerts, visitor statistics, bans.

constexpr int64_t kMinute = 1767225600;  // 2026-01-01 00:00 UTC, Unix seconds

v1::PushRequest LogwatchPush() {
  v1::PushRequest r = ValidPush();
  v1::Event* e = r.add_events();
  e->set_agent_event_id(50);
  v1::LogAlert* a = e->mutable_log_alert();
  a->set_site("pn-contoh-www");
  a->set_alert_id("pn-contoh-www/sqli_union/203.0.113.7/1");
  a->set_rule("sqli_union");
  a->set_family("sql_injection");
  a->set_severity(v1::Finding::CRITICAL);
  a->set_client("203.0.113.7");
  a->set_first_seen_unix_ms(kMinute * 1000);
  a->set_last_seen_unix_ms(kMinute * 1000 + 5000);
  a->set_count(12);
  a->add_sample_lines("203.0.113.7 - - [01/Jan/2026:00:00:00 +0000] \"GET /?id=1 UNION SELECT\"");
  a->set_description("Percobaan injeksi SQL");
  a->set_action("Blokir alamat IP");
  a->set_log_path("/var/log/nginx/access.log");
  a->set_country("ID");
  e = r.add_events();
  e->set_agent_event_id(51);
  v1::VisitorStats* v = e->mutable_visitor_stats();
  v->set_site("pn-contoh-www");
  v->set_minute_unix_s(kMinute);
  v->set_requests(100);
  v->set_unique_visitors(7);
  v->set_status_2xx(100);
  v1::KeyCount* page = v->add_top_pages();
  page->set_key("/berita?id=12");
  page->set_count(40);
  v1::KeyCount* client = v->add_top_clients();
  client->set_key("203.0.113.7");
  client->set_count(60);
  v1::KeyCount* country = v->add_countries();
  country->set_key("ID");
  country->set_count(90);
  e = r.add_events();
  e->set_agent_event_id(52);
  v1::BanEvent* b = e->mutable_ban();
  b->set_site("pn-contoh-www");
  b->set_client("203.0.113.7");
  b->set_rule("wp_login_bruteforce");
  b->set_alert_id("x");
  b->set_until_unix_ms(kMinute * 1000 + 3600000);
  b->set_outcome(v1::BanEvent::BANNED);
  return r;
}

TEST(ValidatePush, AcceptsLogAlertsVisitorStatsAndBans) {
  EXPECT_THAT(ValidatePush(LogwatchPush(), IngestLimits{}), IsOk());
}

TEST(ValidatePush, AcceptsTheLargestAllowedLogwatchEvents) {
  v1::PushRequest r = LogwatchPush();
  v1::LogAlert* a = r.mutable_events(2)->mutable_log_alert();
  a->set_alert_id(std::string(kMaxAlertIdBytes, 'a'));
  a->set_rule(std::string(kMaxRuleBytes - 2, 'r') + ".-");
  a->set_family(std::string(kMaxFamilyBytes, 'f'));
  a->clear_sample_lines();
  for (int i = 0; i < kMaxSampleLines; ++i) a->add_sample_lines(std::string(kMaxSampleLineBytes, 's'));
  a->set_description(std::string(kMaxAlertTextBytes, 'd'));
  a->set_action(std::string(kMaxAlertTextBytes, 'a'));
  v1::VisitorStats* v = r.mutable_events(3)->mutable_visitor_stats();
  for (int i = 1; i < kMaxTopPages; ++i) v->add_top_pages()->set_key(std::string(kMaxPageKeyBytes, 'p'));
  for (int i = 1; i < kMaxTopClients; ++i) v->add_top_clients()->set_key("c");
  for (int i = 1; i < kMaxCountries; ++i) v->add_countries()->set_key("XX");
  // A ban that was refused by the allow-list has no timeout.
  r.mutable_events(4)->mutable_ban()->set_outcome(v1::BanEvent::ALLOWLISTED);
  r.mutable_events(4)->mutable_ban()->set_until_unix_ms(0);
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

std::vector<Breakage> LogwatchBreakages() {
  auto alert = [](v1::PushRequest& r) { return r.mutable_events(2)->mutable_log_alert(); };
  auto stats = [](v1::PushRequest& r) { return r.mutable_events(3)->mutable_visitor_stats(); };
  auto ban = [](v1::PushRequest& r) { return r.mutable_events(4)->mutable_ban(); };
  return {
      {"empty alert site", [=](v1::PushRequest& r) { alert(r)->clear_site(); }, "event 2",
       "log_alert.site is empty"},
      {"long alert id",
       [=](v1::PushRequest& r) { alert(r)->set_alert_id(std::string(kMaxAlertIdBytes + 1, 'a')); },
       "event 2", "log_alert.alert_id is 129 bytes"},
      {"empty alert id", [=](v1::PushRequest& r) { alert(r)->clear_alert_id(); }, "event 2",
       "log_alert.alert_id is empty"},
      {"rule with spaces", [=](v1::PushRequest& r) { alert(r)->set_rule("SQL union"); },
       "event 2", "log_alert.rule must be"},
      {"family with a dot", [=](v1::PushRequest& r) { alert(r)->set_family("sql.injection"); },
       "event 2", "log_alert.family must be"},
      {"unknown severity",
       [=](v1::PushRequest& r) { alert(r)->set_severity(static_cast<v1::Finding::Severity>(9)); },
       "event 2", "log_alert.severity 9"},
      {"empty client", [=](v1::PushRequest& r) { alert(r)->clear_client(); }, "event 2",
       "log_alert.client is empty"},
      {"no first seen", [=](v1::PushRequest& r) { alert(r)->set_first_seen_unix_ms(0); },
       "event 2", "log_alert.first_seen_unix_ms 0 is not between"},
      {"last before first",
       [=](v1::PushRequest& r) { alert(r)->set_last_seen_unix_ms(kMinute * 1000 - 1); },
       "event 2", "log_alert.last_seen_unix_ms is before"},
      {"negative count", [=](v1::PushRequest& r) { alert(r)->set_count(-1); }, "event 2",
       "log_alert.count -1 is negative"},
      {"six samples",
       [=](v1::PushRequest& r) {
         for (int i = 0; i < 5; ++i) alert(r)->add_sample_lines("x");
       },
       "event 2", "log_alert.sample_lines has 6 entries, the limit is 5"},
      {"long sample",
       [=](v1::PushRequest& r) { alert(r)->add_sample_lines(std::string(1025, 'x')); },
       "event 2", "log_alert.sample_lines[1] is 1025 bytes"},
      {"NUL in sample",
       [=](v1::PushRequest& r) { alert(r)->add_sample_lines(std::string("a\0b", 3)); },
       "event 2", "log_alert.sample_lines[1] contains a NUL byte"},
      {"long description",
       [=](v1::PushRequest& r) { alert(r)->set_description(std::string(1025, 'd')); },
       "event 2", "log_alert.description is 1025 bytes"},
      {"long action", [=](v1::PushRequest& r) { alert(r)->set_action(std::string(1025, 'a')); },
       "event 2", "log_alert.action"},
      {"long log path",
       [=](v1::PushRequest& r) { alert(r)->set_log_path(std::string(1025, 'p')); }, "event 2",
       "log_alert.log_path"},
      {"long country", [=](v1::PushRequest& r) { alert(r)->set_country("INDONESIA"); },
       "event 2", "log_alert.country is 9 bytes"},
      {"empty stats site", [=](v1::PushRequest& r) { stats(r)->clear_site(); }, "event 3",
       "visitor_stats.site is empty"},
      {"unaligned minute",
       [=](v1::PushRequest& r) { stats(r)->set_minute_unix_s(kMinute + 30); }, "event 3",
       "visitor_stats.minute_unix_s 1767225630 is not the start of a minute"},
      {"minute in ms",
       [=](v1::PushRequest& r) { stats(r)->set_minute_unix_s(kMinute * 1000); }, "event 3",
       "is not between 2000 and 2200"},
      {"minute zero", [=](v1::PushRequest& r) { stats(r)->set_minute_unix_s(0); }, "event 3",
       "visitor_stats.minute_unix_s 0 is not between"},
      {"negative requests", [=](v1::PushRequest& r) { stats(r)->set_requests(-5); }, "event 3",
       "visitor_stats.requests -5 is negative"},
      {"negative bytes", [=](v1::PushRequest& r) { stats(r)->set_bytes(-1); }, "event 3",
       "visitor_stats.bytes"},
      {"huge bytes", [=](v1::PushRequest& r) { stats(r)->set_bytes(INT64_MAX); }, "event 3",
       "visitor_stats.bytes 9223372036854775807 is over the limit"},
      {"huge page count",
       [=](v1::PushRequest& r) { stats(r)->mutable_top_pages(0)->set_count(kMaxVisitorCount + 1); },
       "event 3", "visitor_stats.top_pages[0].count"},
      {"negative attacks", [=](v1::PushRequest& r) { stats(r)->set_attack_requests(-1); },
       "event 3", "visitor_stats.attack_requests"},
      {"eleven pages",
       [=](v1::PushRequest& r) {
         for (int i = 0; i < 10; ++i) stats(r)->add_top_pages()->set_key("/p");
       },
       "event 3", "visitor_stats.top_pages has 11 entries, the limit is 10"},
      {"eleven clients",
       [=](v1::PushRequest& r) {
         for (int i = 0; i < 10; ++i) stats(r)->add_top_clients()->set_key("c");
       },
       "event 3", "visitor_stats.top_clients has 11 entries"},
      {"21 countries",
       [=](v1::PushRequest& r) {
         for (int i = 0; i < 20; ++i) stats(r)->add_countries()->set_key("XX");
       },
       "event 3", "visitor_stats.countries has 21 entries, the limit is 20"},
      {"empty page key", [=](v1::PushRequest& r) { stats(r)->mutable_top_pages(0)->clear_key(); },
       "event 3", "visitor_stats.top_pages[0].key is empty"},
      {"long page key",
       [=](v1::PushRequest& r) {
         stats(r)->mutable_top_pages(0)->set_key(std::string(kMaxPageKeyBytes + 1, 'p'));
       },
       "event 3", "visitor_stats.top_pages[0].key is 513 bytes"},
      {"long client key",
       [=](v1::PushRequest& r) {
         stats(r)->mutable_top_clients(0)->set_key(std::string(kMaxClientBytes + 1, 'c'));
       },
       "event 3", "visitor_stats.top_clients[0].key"},
      {"negative page count",
       [=](v1::PushRequest& r) { stats(r)->mutable_top_pages(0)->set_count(-1); }, "event 3",
       "visitor_stats.top_pages[0].count -1 is negative"},
      {"long country key",
       [=](v1::PushRequest& r) { stats(r)->mutable_countries(0)->set_key("INDONESIA"); },
       "event 3", "visitor_stats.countries[0].key"},
      {"empty ban client", [=](v1::PushRequest& r) { ban(r)->clear_client(); }, "event 4",
       "ban.client is empty"},
      {"empty ban site", [=](v1::PushRequest& r) { ban(r)->clear_site(); }, "event 4",
       "ban.site is empty"},
      {"bad ban rule", [=](v1::PushRequest& r) { ban(r)->set_rule(""); }, "event 4",
       "ban.rule must be"},
      {"unspecified outcome",
       [=](v1::PushRequest& r) { ban(r)->set_outcome(v1::BanEvent::OUTCOME_UNSPECIFIED); },
       "event 4", "ban.outcome 0 must be BANNED, ALLOWLISTED or FAILED"},
      {"ban without timeout", [=](v1::PushRequest& r) { ban(r)->set_until_unix_ms(0); },
       "event 4", "ban.until_unix_ms 0 is not between"},
      {"long ban error", [=](v1::PushRequest& r) { ban(r)->set_error(std::string(1025, 'e')); },
       "event 4", "ban.error is 1025 bytes"},
      {"long ban alert id",
       [=](v1::PushRequest& r) { ban(r)->set_alert_id(std::string(129, 'a')); }, "event 4",
       "ban.alert_id"},
  };
}

TEST(ValidatePush, RejectsEveryBrokenLimitOfLogwatchEventsNamingEventAndField) {
  ASSERT_THAT(ValidatePush(LogwatchPush(), IngestLimits{}), IsOk());
  for (const Breakage& b : LogwatchBreakages()) {
    SCOPED_TRACE(b.name);
    v1::PushRequest r = LogwatchPush();
    b.change(r);
    EXPECT_THAT(ValidatePush(r, IngestLimits{}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(b.event), HasSubstr(b.field))));
  }
}

TEST(ValidatePush, AppliesALowerStringLimitToSampleLines) {
  IngestLimits limits;
  limits.max_string_bytes = 128;
  v1::PushRequest r = LogwatchPush();
  r.mutable_events(2)->mutable_log_alert()->add_sample_lines(std::string(129, 's'));
  EXPECT_THAT(ValidatePush(r, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("log_alert.sample_lines[1]"), HasSubstr("limit is 128"))));
}

// A batch of a backup summary and an integrity report naming its last clean backup.
v1::PushRequest BackupPush() {
  v1::PushRequest r;
  r.set_agent_id("pn-jakpus.agent_1");
  r.set_court_id("PN-JKT-PST");
  r.set_batch_seq(9);
  v1::Event* e = r.add_events();
  e->set_agent_event_id(50);
  e->set_observed_unix_ms(1767225600000);
  v1::BackupSummary* b = e->mutable_backup();
  b->set_site("pn-jakpus-www");
  b->set_backup_id("pn-jakpus-www-20260101T000000Z");
  b->set_kind("full");
  b->set_started_unix_ms(1767225600000);
  b->set_finished_unix_ms(1767225660000);
  b->set_bytes(1 << 20);
  b->set_files(1200);
  b->set_files_copied(1200);
  b->set_source_bytes(4 << 20);
  b->add_media("/mnt/backup-usb");
  b->set_verified(true);
  b->set_interval_seconds(21600);
  v1::Event* c = r.add_events();
  c->set_agent_event_id(51);
  c->set_observed_unix_ms(1767225600000);
  v1::CheckReport* report = c->mutable_check();
  report->set_site("pn-jakpus-www");
  report->set_check("integrity");
  report->set_started_unix_ms(1767229200000);
  report->set_last_clean_backup_id("pn-jakpus-www-20260101T000000Z");
  report->set_last_clean_backup_unix_ms(1767225600000);
  report->set_restore_command("pantau-agent backup restore pn-jakpus-www-20260101T000000Z --to DIR");
  return r;
}

TEST(ValidatePush, AcceptsABackupSummaryAndAnIntegrityReportWithItsLastCleanBackup) {
  EXPECT_THAT(ValidatePush(BackupPush(), IngestLimits{}), IsOk());
  v1::PushRequest r = BackupPush();
  r.mutable_events(0)->mutable_backup()->set_interval_seconds(0);  // not reported
  r.mutable_events(0)->mutable_backup()->set_kind("incremental");
  r.mutable_events(1)->mutable_check()->clear_last_clean_backup_id();  // none known
  r.mutable_events(1)->mutable_check()->clear_last_clean_backup_unix_ms();
  EXPECT_THAT(ValidatePush(r, IngestLimits{}), IsOk());
}

TEST(ValidatePush, RejectsEveryBrokenLimitOfBackupsNamingEventAndField) {
  auto backup = [](v1::PushRequest& r) { return r.mutable_events(0)->mutable_backup(); };
  auto check = [](v1::PushRequest& r) { return r.mutable_events(1)->mutable_check(); };
  const std::vector<Breakage> breakages = {
      {"empty site", [=](v1::PushRequest& r) { backup(r)->clear_site(); }, "event 0",
       "backup.site"},
      {"long site", [=](v1::PushRequest& r) { backup(r)->set_site(std::string(129, 's')); },
       "event 0", "backup.site"},
      {"empty id", [=](v1::PushRequest& r) { backup(r)->clear_backup_id(); }, "event 0",
       "backup.backup_id"},
      {"long id", [=](v1::PushRequest& r) { backup(r)->set_backup_id(std::string(129, 'b')); },
       "event 0", "backup.backup_id"},
      {"id with a slash", [=](v1::PushRequest& r) { backup(r)->set_backup_id("../etc"); },
       "event 0", "backup.backup_id"},
      {"unknown kind", [=](v1::PushRequest& r) { backup(r)->set_kind("differential"); },
       "event 0", "backup.kind"},
      {"no start", [=](v1::PushRequest& r) { backup(r)->clear_started_unix_ms(); }, "event 0",
       "backup.started_unix_ms"},
      {"finished before started",
       [=](v1::PushRequest& r) { backup(r)->set_finished_unix_ms(1767225500000); }, "event 0",
       "backup.finished_unix_ms"},
      {"negative bytes", [=](v1::PushRequest& r) { backup(r)->set_bytes(-1); }, "event 0",
       "backup.bytes"},
      {"negative files", [=](v1::PushRequest& r) { backup(r)->set_files(-1); }, "event 0",
       "backup.files"},
      {"negative source bytes", [=](v1::PushRequest& r) { backup(r)->set_source_bytes(-5); },
       "event 0", "backup.source_bytes"},
      {"negative databases", [=](v1::PushRequest& r) { backup(r)->set_databases(-1); },
       "event 0", "backup.databases"},
      {"17 media",
       [=](v1::PushRequest& r) {
         for (int i = 0; i < 16; ++i) backup(r)->add_media("/mnt/x");
       },
       "event 0", "backup.media"},
      {"long medium", [=](v1::PushRequest& r) { backup(r)->add_media(std::string(1025, 'm')); },
       "event 0", "backup.media[1]"},
      {"long error", [=](v1::PushRequest& r) { backup(r)->set_error(std::string(1025, 'e')); },
       "event 0", "backup.error"},
      {"interval too short", [=](v1::PushRequest& r) { backup(r)->set_interval_seconds(59); },
       "event 0", "backup.interval_seconds"},
      {"interval too long",
       [=](v1::PushRequest& r) { backup(r)->set_interval_seconds(604801); }, "event 0",
       "backup.interval_seconds"},
      {"long clean backup id",
       [=](v1::PushRequest& r) { check(r)->set_last_clean_backup_id(std::string(129, 'c')); },
       "event 1", "check.last_clean_backup_id"},
      {"clean backup time without id",
       [=](v1::PushRequest& r) { check(r)->clear_last_clean_backup_id(); }, "event 1",
       "check.last_clean_backup_unix_ms"},
      {"clean backup id without time",
       [=](v1::PushRequest& r) { check(r)->clear_last_clean_backup_unix_ms(); }, "event 1",
       "check.last_clean_backup_unix_ms"},
      {"long restore command",
       [=](v1::PushRequest& r) { check(r)->set_restore_command(std::string(1025, 'r')); },
       "event 1", "check.restore_command"},
  };
  for (const Breakage& b : breakages) {
    SCOPED_TRACE(b.name);
    v1::PushRequest r = BackupPush();
    b.change(r);
    EXPECT_THAT(ValidatePush(r, IngestLimits{}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(b.event), HasSubstr(b.field))));
  }
}

}  // namespace
}  // namespace pantau::collector
