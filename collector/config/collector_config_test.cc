#include "collector/config/collector_config.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::collector {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Plaintext, said explicitly: the smallest config that loads.
constexpr char kInsecure[] = "database: dbname=pantau\ninsecure: true\n";

constexpr char kFull[] = R"yaml(
listen: 0.0.0.0:7443
metrics_listen: 0.0.0.0:9464
database: host=/run/postgresql dbname=pantau
database_pool_size: 16
shutdown_grace_seconds: 2.5
log_level: warning
tls:
  cert_file: /etc/pantau/collector.crt
  key_file: /etc/pantau/collector.key
limits:
  max_message_bytes: 1048576
  max_events_per_batch: 200
  max_string_bytes: 512
)yaml";

using ::pantau::testing::ScopedTempDir;

TEST(CollectorConfig, ParsesEveryFieldOfAFullConfig) {
  ASSERT_OK_AND_ASSIGN(CollectorConfig c, ParseCollectorConfig(kFull, "collector.yaml"));
  EXPECT_EQ(c.listen, "0.0.0.0:7443");
  EXPECT_EQ(c.metrics_listen, "0.0.0.0:9464");
  EXPECT_EQ(c.database, "host=/run/postgresql dbname=pantau");
  EXPECT_EQ(c.database_pool_size, 16);
  EXPECT_EQ(c.shutdown_grace, absl::Milliseconds(2500));
  EXPECT_EQ(c.log_level, "warning");
  EXPECT_EQ(c.tls_cert_file, "/etc/pantau/collector.crt");
  EXPECT_EQ(c.tls_key_file, "/etc/pantau/collector.key");
  EXPECT_FALSE(c.insecure);
  EXPECT_EQ(c.limits.max_message_bytes, 1048576);
  EXPECT_EQ(c.limits.max_events_per_batch, 200);
  EXPECT_EQ(c.limits.max_string_bytes, 512);
}

TEST(CollectorConfig, FillsDefaultsForOmittedFields) {
  ASSERT_OK_AND_ASSIGN(CollectorConfig c, ParseCollectorConfig(kInsecure, "collector.yaml"));
  EXPECT_EQ(c.listen, "127.0.0.1:7443");
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(c.database, "dbname=pantau");
  EXPECT_EQ(c.database_pool_size, 8);
  EXPECT_EQ(c.shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.tls_cert_file, "");
  EXPECT_EQ(c.tls_key_file, "");
  EXPECT_TRUE(c.insecure);
  EXPECT_EQ(c.limits.max_message_bytes, 4 << 20);
  EXPECT_EQ(c.limits.max_events_per_batch, 1000);
  EXPECT_EQ(c.limits.max_string_bytes, 2048);
}

TEST(CollectorConfig, RequiresTlsUnlessInsecureIsSaid) {
  EXPECT_THAT(ParseCollectorConfig("database: dbname=pantau\n", "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("collector.yaml"), HasSubstr("tls.cert_file"),
                             HasSubstr("insecure"))));
  EXPECT_THAT(ParseCollectorConfig("database: dbname=pantau\ninsecure: false\n", "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("insecure")));
  EXPECT_THAT(ParseCollectorConfig(kInsecure, "collector.yaml"), IsOk());
}

TEST(CollectorConfig, RejectsACertificateWithoutAKey) {
  EXPECT_THAT(ParseCollectorConfig("database: d\ntls:\n  cert_file: /c.pem\n", "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tls.cert_file"), HasSubstr("tls.key_file"))));
}

TEST(CollectorConfig, RejectsAKeyWithoutACertificate) {
  EXPECT_THAT(ParseCollectorConfig("database: d\ntls:\n  key_file: /k.pem\n", "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tls.cert_file"), HasSubstr("tls.key_file"))));
}

TEST(CollectorConfig, RejectsAMissingDatabaseNamingTheKey) {
  EXPECT_THAT(
      ParseCollectorConfig("insecure: true\n", "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("collector.yaml"), HasSubstr("database"), HasSubstr("required"))));
}

TEST(CollectorConfig, RejectsLimitsOutsideTheirRangeNamingTheKey) {
  // Appended after kInsecure's two lines: the bad key sits on line 3 (top level) or 4 (limits).
  struct Case {
    std::string yaml;
    std::string where;
  };
  const Case cases[] = {
      {"limits:\n  max_message_bytes: 1023\n", "collector.yaml:4: limits.max_message_bytes"},
      {"limits:\n  max_message_bytes: 67108865\n", "collector.yaml:4: limits.max_message_bytes"},
      {"limits:\n  max_events_per_batch: 0\n", "collector.yaml:4: limits.max_events_per_batch"},
      {"limits:\n  max_events_per_batch: 100001\n",
       "collector.yaml:4: limits.max_events_per_batch"},
      {"limits:\n  max_string_bytes: 127\n", "collector.yaml:4: limits.max_string_bytes"},
      {"limits:\n  max_string_bytes: 65537\n", "collector.yaml:4: limits.max_string_bytes"},
      {"database_pool_size: 0\n", "collector.yaml:3: database_pool_size"},
      {"database_pool_size: 501\n", "collector.yaml:3: database_pool_size"},
      {"shutdown_grace_seconds: -1\n", "collector.yaml:3: shutdown_grace_seconds"},
      {"shutdown_grace_seconds: 601\n", "collector.yaml:3: shutdown_grace_seconds"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_THAT(ParseCollectorConfig(absl::StrCat(kInsecure, c.yaml), "collector.yaml"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(c.where), HasSubstr("between"))));
  }
}

TEST(CollectorConfig, AcceptsLimitsAtTheEdgesOfTheirRange) {
  ASSERT_OK_AND_ASSIGN(CollectorConfig c,
                       ParseCollectorConfig(absl::StrCat(kInsecure,
                                                         "limits:\n"
                                                         "  max_message_bytes: 67108864\n"
                                                         "  max_events_per_batch: 1\n"
                                                         "  max_string_bytes: 128\n"),
                                            "collector.yaml"));
  EXPECT_EQ(c.limits.max_message_bytes, 64 << 20);
  EXPECT_EQ(c.limits.max_events_per_batch, 1);
  EXPECT_EQ(c.limits.max_string_bytes, 128);
}

TEST(CollectorConfig, RejectsAMisspeltTopLevelKeyNamingIt) {
  EXPECT_THAT(
      ParseCollectorConfig(absl::StrCat(kInsecure, "databse_pool_size: 4\n"), "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("collector.yaml:3"), HasSubstr("databse_pool_size"),
                     HasSubstr("unknown key"))));
}

TEST(CollectorConfig, RejectsAMisspeltKeyInsideLimitsWithItsPath) {
  EXPECT_THAT(
      ParseCollectorConfig(absl::StrCat(kInsecure, "limits:\n  max_events: 5\n"), "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("collector.yaml:4"), HasSubstr("limits.max_events"))));
}

TEST(CollectorConfig, RejectsAMisspeltKeyInsideTlsWithItsPath) {
  EXPECT_THAT(
      ParseCollectorConfig(absl::StrCat(kInsecure, "tls:\n  ca_file: /ca.pem\n"), "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls.ca_file")));
}

TEST(CollectorConfig, RejectsWrongTypesNamingTheKey) {
  EXPECT_THAT(
      ParseCollectorConfig(absl::StrCat(kInsecure, "database_pool_size: many\n"), "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("database_pool_size")));
  EXPECT_THAT(ParseCollectorConfig("database: d\ninsecure: perhaps\n", "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("collector.yaml:2"), HasSubstr("insecure"))));
  EXPECT_THAT(ParseCollectorConfig(absl::StrCat(kInsecure, "tls: yes-please\n"), "collector.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls")));
}

TEST(CollectorConfig, RejectsAnUnknownLogLevel) {
  EXPECT_THAT(
      ParseCollectorConfig(absl::StrCat(kInsecure, "log_level: chatty\n"), "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("log_level")));
}

TEST(CollectorConfig, ReportsFileAndLineOfAYamlSyntaxError) {
  EXPECT_THAT(
      ParseCollectorConfig("database: d\ninsecure: true\nlimits: {a: 1\n", "collector.yaml"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("collector.yaml:")));
}

TEST(CollectorConfig, LoadsAFileAndReportsAMissingOneAsNotFound) {
  ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = absl::StrCat(dir.path(), "/collector.yaml");
  std::ofstream(path) << kInsecure;
  ASSERT_OK_AND_ASSIGN(CollectorConfig c, LoadCollectorConfig(path));
  EXPECT_EQ(c.database, "dbname=pantau");
  EXPECT_THAT(LoadCollectorConfig(absl::StrCat(dir.path(), "/missing.yaml")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.yaml")));
}

}  // namespace
}  // namespace pantau::collector
