#include "common/yaml_fields.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau {
namespace {

using ::pantau::testing::IsOk;
using ::pantau::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Parses `text`, which the test expects to be valid YAML with a mapping at the top.
YAML::Node Parse(const std::string& text) {
  absl::StatusOr<YAML::Node> node = ParseYaml(text, "test.yaml");
  EXPECT_THAT(node, IsOk());
  return node.ok() ? *node : YAML::Node();
}

TEST(ParseYaml, ReportsSourceLineAndColumnOfASyntaxError) {
  EXPECT_THAT(ParseYaml("a: 1\nb: [1, 2\n", "conf.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conf.yaml:")));
  EXPECT_THAT(ParseYaml("a: 1\nb: 2\n c: 3\n", "conf.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("conf.yaml:3:")));
}

TEST(ParseYaml, RequiresAMappingAtTheTop) {
  EXPECT_THAT(ParseYaml("- 1\n- 2\n", "conf.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("conf.yaml"), HasSubstr("mapping"))));
  EXPECT_THAT(ParseYaml("", "conf.yaml"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(YamlFields, ReadsTypedValues) {
  YamlFields f(Parse("name: demo\ncount: 42\non: true\nwait: 0.25\ncodes: [200, 301]\n"),
               "test.yaml");
  EXPECT_EQ(f.String("name", true), "demo");
  EXPECT_EQ(f.Int("count", 0, 0, 100), 42);
  EXPECT_TRUE(f.Bool("on", false));
  EXPECT_EQ(f.Seconds("wait", absl::Seconds(9), 0, 10), absl::Milliseconds(250));
  EXPECT_THAT(f.IntList("codes", 100, 599), ElementsAre(200, 301));
  f.CheckNoUnknownKeys();
  EXPECT_THAT(f.status(), IsOk());
}

TEST(YamlFields, ReturnsDefaultsForAbsentAndNullKeys) {
  YamlFields f(Parse("empty:\nother: ~\n"), "test.yaml");
  EXPECT_EQ(f.String("empty", false, "dflt"), "dflt");
  EXPECT_EQ(f.Int("other", 7, 0, 10), 7);
  EXPECT_TRUE(f.Bool("missing_bool", true));
  EXPECT_EQ(f.Seconds("missing_seconds", absl::Seconds(3), 0, 10), absl::Seconds(3));
  EXPECT_THAT(f.IntList("missing_list", 0, 10), IsEmpty());
  EXPECT_THAT(f.MapList("missing_maps"), IsEmpty());
  EXPECT_FALSE(f.Has("empty"));
  EXPECT_FALSE(f.Has("missing"));
  f.CheckNoUnknownKeys();
  EXPECT_THAT(f.status(), IsOk());
}

TEST(YamlFields, NamesAMissingRequiredKey) {
  YamlFields f(Parse("other: 1\n"), "test.yaml", "collector.");
  f.Int("other", 0, 0, 10);
  EXPECT_EQ(f.String("address", true), "");
  EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr("test.yaml"), HasSubstr("collector.address"),
                                         HasSubstr("required"))));
}

TEST(YamlFields, NamesTheKeyAndLineOfAValueOutOfRange) {
  YamlFields f(Parse("a: 1\nb: 11\n"), "test.yaml");
  EXPECT_EQ(f.Int("a", 0, 0, 10), 1);
  EXPECT_EQ(f.Int("b", 5, 0, 10), 5);  // the default, not the bad value
  EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr("test.yaml:2: b:"),
                                         HasSubstr("between 0 and 10"), HasSubstr("got 11"))));
}

TEST(YamlFields, RejectsValuesOfTheWrongType) {
  {
    YamlFields f(Parse("n: abc\n"), "test.yaml");
    f.Int("n", 0, 0, 10);
    EXPECT_THAT(f.status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("n:"), HasSubstr("whole number"), HasSubstr("'abc'"))));
  }
  {
    YamlFields f(Parse("s: abc\n"), "test.yaml");
    f.Seconds("s", absl::Seconds(1), 0, 10);
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("s:"), HasSubstr("seconds"))));
  }
  {
    YamlFields f(Parse("b: sometimes\n"), "test.yaml");
    f.Bool("b", false);
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("b:"), HasSubstr("true or false"))));
  }
  {
    YamlFields f(Parse("s: {x: 1}\n"), "test.yaml");
    f.String("s", false);
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("s:"), HasSubstr("string"))));
  }
  {
    YamlFields f(Parse("l: 5\n"), "test.yaml");
    f.IntList("l", 0, 10);
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("l:"), HasSubstr("list"))));
  }
  {
    YamlFields f(Parse("l: [1, x]\n"), "test.yaml");
    EXPECT_THAT(f.IntList("l", 0, 10), IsEmpty());
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("l:")));
  }
  {
    YamlFields f(Parse("m: 3\n"), "test.yaml");
    f.Map("m");
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("m:"), HasSubstr("mapping"))));
  }
  {
    YamlFields f(Parse("ms: [1, 2]\n"), "test.yaml");
    EXPECT_THAT(f.MapList("ms"), IsEmpty());
    EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("ms:"), HasSubstr("mapping"))));
  }
}

TEST(YamlFields, RejectsAnIntListValueOutOfRange) {
  YamlFields f(Parse("codes: [200, 700]\n"), "test.yaml");
  EXPECT_THAT(f.IntList("codes", 100, 599), IsEmpty());
  EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr("codes"), HasSubstr("got 700"))));
}

TEST(YamlFields, KeepsTheFirstError) {
  YamlFields f(Parse("a: x\nb: y\n"), "test.yaml");
  f.Int("a", 0, 0, 10);
  f.Int("b", 0, 0, 10);
  f.Fail("c", "made up");
  EXPECT_THAT(f.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test.yaml:1: a:")));
}

TEST(YamlFields, ReportsAKeyNobodyReadWithItsLineAndPrefix) {
  YAML::Node root = Parse("spool:\n  max_events: 100\n  max_evnts: 5\n");
  YamlFields top(root, "test.yaml");
  YamlFields spool(top.Map("spool"), "test.yaml", "spool.");
  EXPECT_EQ(spool.Int("max_events", 0, 0, 1000), 100);
  spool.CheckNoUnknownKeys();
  top.CheckNoUnknownKeys();
  EXPECT_THAT(top.status(), IsOk());
  EXPECT_THAT(spool.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("test.yaml:3: spool.max_evnts"), HasSubstr("unknown key"))));
}

TEST(YamlFields, ReadsAListOfMappings) {
  YamlFields f(Parse("sites:\n  - id: a\n  - id: b\n"), "test.yaml");
  std::vector<YAML::Node> sites = f.MapList("sites");
  ASSERT_EQ(sites.size(), 2u);
  YamlFields second(sites[1], "test.yaml", "sites[1].");
  EXPECT_EQ(second.String("id", true), "b");
  EXPECT_THAT(f.status(), IsOk());
}

TEST(YamlFields, FailRecordsACallersCheckWithTheKeysLine) {
  YamlFields f(Parse("a: 1\nurl: ftp://x\n"), "test.yaml", "sites[0].");
  f.Fail("url", "must start with http:// or https://");
  EXPECT_THAT(f.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "test.yaml:2: sites[0].url: must start with http:// or https://"));
}

TEST(YamlFields, RejectsANodeThatIsNotAMapping) {
  YAML::Node root = Parse("collector: [1, 2]\n");
  YamlFields f(root["collector"], "test.yaml", "collector.");
  EXPECT_THAT(f.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr("collector."), HasSubstr("mapping"))));
}

using ::pantau::testing::ScopedTempDir;

TEST(LoadYamlFile, ReadsAFileAndReportsAMissingOneAsNotFound) {
  ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/conf.yaml";
  std::ofstream(path) << "a: 1\n";
  ASSERT_OK_AND_ASSIGN(YAML::Node node, LoadYamlFile(path));
  EXPECT_EQ(node["a"].as<int>(), 1);
  EXPECT_THAT(LoadYamlFile(dir.path() + "/missing.yaml"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.yaml")));
}

TEST(LoadYamlFile, RefusesAFileOver4MiB) {
  ScopedTempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/big.yaml";
  std::ofstream(path) << "a: \"" << std::string((4 << 20) + 1, 'x') << "\"\n";
  EXPECT_THAT(LoadYamlFile(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                           AllOf(HasSubstr("big.yaml"), HasSubstr("4 MiB"))));
}

}  // namespace
}  // namespace pantau
