// gMock matchers and gtest macros for absl::Status and absl::StatusOr<T> (Debian's Abseil
// 20220623 ships none). Every matcher accepts both a Status and any StatusOr<T>.
//
//   using ::pantau::testing::IsOk;
//   using ::pantau::testing::IsOkAndHolds;
//   using ::pantau::testing::StatusIs;
//
//   EXPECT_OK(store.Migrate());
//   ASSERT_OK_AND_ASSIGN(AgentConfig config, LoadAgentConfig(path));
//   EXPECT_THAT(LoadAgentConfig(bad), StatusIs(absl::StatusCode::kInvalidArgument,
//                                              ::testing::HasSubstr("agent_id")));
//   EXPECT_THAT(ParsePort("80"), IsOkAndHolds(80));
//
// Inside `namespace pantau`, write `::testing::HasSubstr`: plain `testing::` finds
// pantau::testing first.
//
// ASSERT_OK and ASSERT_OK_AND_ASSIGN return from the enclosing function on failure, so (like
// every ASSERT_*) they only work in functions returning void.
#ifndef PANTAU_TESTS_TESTING_STATUS_MATCHERS_H_
#define PANTAU_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pantau::testing {
namespace internal_status {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Predicate-formatters behind EXPECT_OK / ASSERT_OK.
inline ::testing::AssertionResult IsOkFormat(const char* expr, const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " is not OK: " << status;
}
template <typename T>
::testing::AssertionResult IsOkFormat(const char* expr, const absl::StatusOr<T>& status_or) {
  return IsOkFormat(expr, status_or.status());
}

class IsOkMatcher {
 public:
  template <typename StatusType>
  bool MatchAndExplain(const StatusType& actual, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(actual);
    if (!status.ok()) *listener << "whose status is " << status;
    return status.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code, ::testing::Matcher<const std::string&> message,
                  bool any_message)
      : code_(code), message_(std::move(message)), any_message_(any_message) {}

  template <typename StatusType>
  bool MatchAndExplain(const StatusType& actual, ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(actual);
    if (status.code() != code_) {
      *listener << "whose status is " << (status.ok() ? "OK" : status.ToString());
      return false;
    }
    const std::string message(status.message());
    ::testing::StringMatchResultListener message_listener;
    if (!message_.MatchAndExplain(message, &message_listener)) {
      *listener << "whose message \"" << message << "\" does not match";
      const std::string explanation = message_listener.str();
      if (!explanation.empty()) *listener << ", " << explanation;
      return false;
    }
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has status code " << absl::StatusCodeToString(code_);
    if (!any_message_) {
      *os << " and a message that ";
      message_.DescribeTo(os);
    }
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have status code " << absl::StatusCodeToString(code_);
    if (!any_message_) {
      *os << " or has a message that ";
      message_.DescribeNegationTo(os);
    }
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
  bool any_message_;
};

template <typename StatusOrType, typename Value>
class IsOkAndHoldsMatcherImpl : public ::testing::MatcherInterface<StatusOrType> {
 public:
  explicit IsOkAndHoldsMatcherImpl(::testing::Matcher<const Value&> inner)
      : inner_(std::move(inner)) {}

  bool MatchAndExplain(StatusOrType actual,
                       ::testing::MatchResultListener* listener) const override {
    if (!actual.ok()) {
      *listener << "whose status is " << actual.status();
      return false;
    }
    ::testing::StringMatchResultListener inner_listener;
    const bool matches = inner_.MatchAndExplain(*actual, &inner_listener);
    *listener << "whose value " << ::testing::PrintToString(*actual)
              << (matches ? " matches" : " does not match");
    const std::string explanation = inner_listener.str();
    if (!explanation.empty()) *listener << ", " << explanation;
    return matches;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and has a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK or has a value that ";
    inner_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<const Value&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  // Becomes a matcher for whichever StatusOr<T> it is applied to.
  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT(google-explicit-constructor)
    using Value = typename std::decay_t<StatusOrType>::value_type;
    return ::testing::MakeMatcher(new IsOkAndHoldsMatcherImpl<StatusOrType, Value>(
        ::testing::SafeMatcherCast<const Value&>(inner_)));
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal_status

// Matches an OK Status or StatusOr.
inline ::testing::PolymorphicMatcher<internal_status::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal_status::IsOkMatcher());
}

// Matches a Status or StatusOr with this code (any message).
inline ::testing::PolymorphicMatcher<internal_status::StatusIsMatcher> StatusIs(
    absl::StatusCode code) {
  return ::testing::MakePolymorphicMatcher(
      internal_status::StatusIsMatcher(code, ::testing::A<const std::string&>(), true));
}

// Matches a Status or StatusOr with this code and a message matching `message` (a gMock
// string matcher such as ::testing::HasSubstr("x"), or a string for equality).
template <typename MessageMatcher>
::testing::PolymorphicMatcher<internal_status::StatusIsMatcher> StatusIs(absl::StatusCode code,
                                                                         MessageMatcher message) {
  return ::testing::MakePolymorphicMatcher(internal_status::StatusIsMatcher(
      code, ::testing::MatcherCast<const std::string&>(std::move(message)), false));
}

// Matches an OK StatusOr<T> whose value matches `inner` (a matcher or a value for equality).
template <typename InnerMatcher>
internal_status::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(
    InnerMatcher&& inner) {
  return internal_status::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

}  // namespace pantau::testing

// EXPECT_OK(expr) / ASSERT_OK(expr): expr is a Status or StatusOr<T>; on failure the message
// shows the expression and the status.
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::pantau::testing::internal_status::IsOkFormat, expr)
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::pantau::testing::internal_status::IsOkFormat, expr)

// ASSERT_OK_AND_ASSIGN(lhs, expr): expr is a StatusOr<T>; asserts it is OK and moves its value
// into `lhs`, which may be a declaration (`auto server`, `std::string s`) or an lvalue.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                                         \
  PANTAU_ASSERT_OK_AND_ASSIGN_IMPL_(PANTAU_TESTING_CONCAT_(pantau_testing_statusor_, __LINE__), \
                                    lhs, expr)

#define PANTAU_TESTING_CONCAT_INNER_(a, b) a##b
#define PANTAU_TESTING_CONCAT_(a, b) PANTAU_TESTING_CONCAT_INNER_(a, b)
#define PANTAU_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr)               \
  auto statusor = (expr);                                                    \
  if (!statusor.ok()) {                                                      \
    GTEST_FAIL() << #expr << " is not OK: " << statusor.status().ToString(); \
  }                                                                          \
  lhs = std::move(statusor).value()

#endif  // PANTAU_TESTS_TESTING_STATUS_MATCHERS_H_
