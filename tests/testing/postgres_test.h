// A GoogleTest fixture for tests against a real PostgreSQL: the suite shares one throwaway
// server (started once, stopped at the end), and every test gets a fresh database of its own.
//
//   class StoreTest : public ::pantau::testing::PostgresTest {};
//   TEST_F(StoreTest, Something) { auto store = Store::Create(conninfo_, 2); ... }
//
// A test may stop the server (fault tests); the next test restarts it.
#ifndef PANTAU_TESTS_TESTING_POSTGRES_TEST_H_
#define PANTAU_TESTS_TESTING_POSTGRES_TEST_H_

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/postgres_server.h"

namespace pantau::testing {

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<PostgresServer>> pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(pg_, nullptr);
    if (!pg_->running()) {
      absl::Status restarted = pg_->Restart();
      ASSERT_TRUE(restarted.ok()) << restarted;
    }
    absl::StatusOr<std::string> db = pg_->CreateDatabase();
    ASSERT_TRUE(db.ok()) << db.status();
    conninfo_ = *db;
  }

  // The suite's server (one per test binary at a time: suites run one after another).
  static inline PostgresServer* pg_ = nullptr;
  // This test's database.
  std::string conninfo_;
};

}  // namespace pantau::testing

#endif  // PANTAU_TESTS_TESTING_POSTGRES_TEST_H_
