#include "agent/checks/check_state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace pantau::agent {
namespace {

TEST(CheckStateStore, KeepsValuesAcrossReopenAndForgetsASite) {
  ::pantau::testing::ScopedTempDir dir;
  const std::string path = dir.path() + "/checks.db";
  const absl::Time t = absl::FromUnixSeconds(1795000000);
  {
    ASSERT_OK_AND_ASSIGN(auto store, CheckStateStore::Open(path));
    ASSERT_THAT(store->Put("a", "k", std::string("bin\0ary", 7), t), ::pantau::testing::IsOk());
    ASSERT_THAT(store->Put("b", "k", "other", t), ::pantau::testing::IsOk());
    ASSERT_THAT(store->Put("a", "k", std::string("bin\0ary2", 8), t + absl::Seconds(5)),
                ::pantau::testing::IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto store, CheckStateStore::Open(path));
  ASSERT_OK_AND_ASSIGN(std::optional<CheckStateStore::Entry> e, store->Get("a", "k"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->value, std::string("bin\0ary2", 8));
  EXPECT_EQ(e->updated, t + absl::Seconds(5));
  ASSERT_THAT(store->ForgetSite("a"), ::pantau::testing::IsOk());
  ASSERT_OK_AND_ASSIGN(std::optional<CheckStateStore::Entry> gone, store->Get("a", "k"));
  EXPECT_FALSE(gone.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<CheckStateStore::Entry> kept, store->Get("b", "k"));
  EXPECT_TRUE(kept.has_value());
}

TEST(CheckStateStore, ReportsAnUnopenablePath) {
  EXPECT_FALSE(CheckStateStore::Open("/nonexistent-dir/x/checks.db").ok());
}

}  // namespace
}  // namespace pantau::agent
