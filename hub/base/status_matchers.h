// gMock matchers and assertion macros for absl::Status and absl::StatusOr.
// Debian's Abseil ships none; these follow the names tensorstore and Abseil
// use upstream.
//
//   EXPECT_THAT(Parse("a/b"), IsOk());
//   EXPECT_THAT(Parse("ab"), StatusIs(absl::StatusCode::kInvalidArgument,
//                                     HasSubstr("owner/name")));
//   EXPECT_THAT(Half(4), IsOkAndHolds(2));
//   HUB_ASSERT_OK_AND_ASSIGN(RepoRef ref, Parse("a/b:c"));

#ifndef HUB_BASE_STATUS_MATCHERS_H_
#define HUB_BASE_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal

MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(::testing::Matcher<std::string>(message_matcher),
                                       std::string(status.message()), result_listener);
}

MATCHER_P(StatusIs, code, "has code " + ::testing::PrintToString(code)) {
  const absl::Status& status = internal::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code;
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace hub::testing

#define HUB_EXPECT_OK(expr) EXPECT_THAT((expr), ::hub::testing::IsOk())
#define HUB_ASSERT_OK(expr) ASSERT_THAT((expr), ::hub::testing::IsOk())

#define HUB_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  HUB_ASSERT_OK_AND_ASSIGN_IMPL_(HUB_MATCHERS_CONCAT_(hub_sor_, __LINE__), lhs, expr)
#define HUB_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  ASSERT_TRUE(statusor.ok()) << statusor.status();          \
  lhs = std::move(statusor).value()
#define HUB_MATCHERS_CONCAT_INNER_(a, b) a##b
#define HUB_MATCHERS_CONCAT_(a, b) HUB_MATCHERS_CONCAT_INNER_(a, b)

#endif  // HUB_BASE_STATUS_MATCHERS_H_
