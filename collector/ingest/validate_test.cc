#include "collector/ingest/validate.h"

#include <cstdint>
#include <string>

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

}  // namespace
}  // namespace pantau::collector
