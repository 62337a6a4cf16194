#include "collector/ingest/ingest_metrics.h"

#include <memory>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class IngestMetricsTest : public ::testing::Test {
 protected:
  std::string Scrape() {
    return prometheus::TextSerializer().Serialize(registry_.Collect());
  }
  static google::protobuf::RepeatedPtrField<v1::Finding> Findings(
      std::vector<std::pair<std::string, std::string>> kind_keys) {
    google::protobuf::RepeatedPtrField<v1::Finding> out;
    for (const auto& [kind, key] : kind_keys) {
      v1::Finding* f = out.Add();
      f->set_kind(kind);
      f->set_key(key);
    }
    return out;
  }
  static v1::ProbeResult Probe(int64_t started_ms, bool days_known, int days) {
    v1::ProbeResult p;
    p.set_site("www");
    p.set_started_unix_ms(started_ms);
    p.set_up(true);
    p.set_total_us(250000);
    p.set_tls_checked(true);
    p.set_tls_days_left_known(days_known);
    p.set_tls_days_left(days);
    return p;
  }
  prometheus::Registry registry_;
  IngestMetrics metrics_{registry_};
};

constexpr char kWww[] = "{court=\"PN-X\",site=\"www\"}";

TEST_F(IngestMetricsTest, TlsDaysLeftFollowsTheNewestProbeAndGoesAwayWhenUnknown) {
  metrics_.SetSite("PN-X", Probe(2000, true, 30));
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_site_tls_days_left") + kWww + " 30"));
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_site_latency_seconds") + kWww + " 0.25"));
  metrics_.SetSite("PN-X", Probe(1000, true, 99));  // older: ignored
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_site_tls_days_left") + kWww + " 30"));
  metrics_.SetSite("PN-X", Probe(3000, true, -2));
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_site_tls_days_left") + kWww + " -2"));
  metrics_.SetSite("PN-X", Probe(4000, false, 0));
  EXPECT_THAT(Scrape(), Not(HasSubstr(std::string("pantau_site_tls_days_left") + kWww)));
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_site_up") + kWww + " 1"));
}

TEST_F(IngestMetricsTest, OpenFindingsAreSummedOverChecksPerKindAndGoAwayWhenGone) {
  metrics_.SetFindings("PN-X", "www", "content", 1000,
                       Findings({{"gambling_spam", "a"}, {"gambling_spam", "b"},
                                 {"gambling_spam", "b"},  // same (kind, key): counted once
                                 {"defacement", ""}}));
  metrics_.SetFindings("PN-X", "www", "sitemap", 1000, Findings({{"gambling_spam", "s.xml"}}));
  std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr("pantau_site_open_findings{court=\"PN-X\",kind=\"gambling_spam\","
                              "site=\"www\"} 3"));
  EXPECT_THAT(text, HasSubstr("pantau_site_open_findings{court=\"PN-X\",kind=\"defacement\","
                              "site=\"www\"} 1"));
  // The content check's next run has only one gambling finding left, and no defacement.
  metrics_.SetFindings("PN-X", "www", "content", 2000, Findings({{"gambling_spam", "a"}}));
  text = Scrape();
  EXPECT_THAT(text, HasSubstr("kind=\"gambling_spam\",site=\"www\"} 2"));
  EXPECT_THAT(text, Not(HasSubstr("kind=\"defacement\"")));
  // An older content run arriving late changes nothing.
  metrics_.SetFindings("PN-X", "www", "content", 1500, Findings({{"defacement", ""}}));
  EXPECT_THAT(Scrape(), Not(HasSubstr("kind=\"defacement\"")));
  metrics_.SetFindings("PN-X", "www", "content", 3000, Findings({}));
  metrics_.SetFindings("PN-X", "www", "sitemap", 3000, Findings({}));
  EXPECT_THAT(Scrape(), Not(HasSubstr("pantau_site_open_findings{")));
}

TEST_F(IngestMetricsTest, ContentAgeFollowsTheNewestReport) {
  metrics_.SetContentAge("PN-X", "www", 2000, 12.5);
  metrics_.SetContentAge("PN-X", "www", 1000, 99);
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_site_content_age_days") + kWww + " 12.5"));
}

TEST_F(IngestMetricsTest, FindingKindsPerSiteAreCapped) {
  google::protobuf::RepeatedPtrField<v1::Finding> many;
  for (size_t i = 0; i < IngestMetrics::kMaxFindingKindsPerSite + 5; ++i) {
    many.Add()->set_kind("kind_" + std::to_string(i));
  }
  metrics_.SetFindings("PN-X", "www", "content", 1000, many);
  const std::string text = Scrape();
  size_t series = 0;
  for (size_t at = text.find("pantau_site_open_findings{"); at != std::string::npos;
       at = text.find("pantau_site_open_findings{", at + 1)) {
    ++series;
  }
  EXPECT_EQ(series, IngestMetrics::kMaxFindingKindsPerSite);
}


TEST_F(IngestMetricsTest, BackupsCountByOutcomeAndTheAgeOfTheLastVerifiedOneMovesWithTime) {
  v1::BackupSummary b;
  b.set_site("www");
  b.set_finished_unix_ms(1767225600000);
  b.set_verified(true);
  metrics_.CountBackup("PN-X", b);
  v1::BackupSummary failed = b;
  failed.set_finished_unix_ms(1767229200000);
  failed.set_verified(false);
  failed.set_error("medium full");
  metrics_.CountBackup("PN-X", failed);
  const absl::Time t = absl::FromUnixMillis(1767225600000);
  metrics_.RefreshBackupAges(t + absl::Hours(2));
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr("pantau_backups_total{court=\"PN-X\",outcome=\"verified\",site=\"www\"} 1"));
  EXPECT_THAT(text, HasSubstr("pantau_backups_total{court=\"PN-X\",outcome=\"failed\",site=\"www\"} 1"));
  EXPECT_THAT(text, HasSubstr("pantau_backups_total{court=\"PN-X\",outcome=\"unverified\",site=\"www\"} 0"));
  EXPECT_THAT(text, HasSubstr(std::string("pantau_backup_last_verified_age_seconds") + kWww + " 7200"));
  // Refreshed at most every kBackupAgeRefresh.
  metrics_.RefreshBackupAges(t + absl::Hours(2) + absl::Seconds(5));
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_backup_last_verified_age_seconds") + kWww + " 7200"));
  metrics_.RefreshBackupAges(t + absl::Hours(3));
  EXPECT_THAT(Scrape(), HasSubstr(std::string("pantau_backup_last_verified_age_seconds") + kWww + " 10800"));
}

}  // namespace
}  // namespace pantau::collector
