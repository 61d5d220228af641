#include "hub/base/status_macros.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<int> Parse(const std::string& s) {
  if (s.empty()) return absl::InvalidArgumentError("empty");
  return static_cast<int>(s.size());
}

absl::StatusOr<std::unique_ptr<int>> MakeBox(int n) {
  if (n < 0) return absl::OutOfRangeError("negative");
  return std::make_unique<int>(n);
}

absl::Status Check(int n) {
  if (n > 3) return absl::OutOfRangeError("too big");
  return absl::OkStatus();
}

absl::StatusOr<int> Twice(const std::string& s) {
  HUB_ASSIGN_OR_RETURN(const int n, Parse(s));
  HUB_RETURN_IF_ERROR(Check(n));
  return 2 * n;
}

absl::StatusOr<int> Unbox(int n) {
  // Move-only values, and two uses on one line count as two declarations.
  HUB_ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(n));
  int result = 0;
  HUB_ASSIGN_OR_RETURN(result, Parse(std::string(static_cast<size_t>(*box), 'x')));
  return result;
}

TEST(StatusMacrosTest, PassesValuesThrough) {
  EXPECT_THAT(Twice("abc"), IsOkAndHolds(6));
  EXPECT_THAT(Unbox(2), IsOkAndHolds(2));
}

TEST(StatusMacrosTest, ReturnsFirstError) {
  EXPECT_THAT(Twice(""), StatusIs(absl::StatusCode::kInvalidArgument, "empty"));
  EXPECT_THAT(Twice("abcd"), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("big")));
  EXPECT_THAT(Unbox(-1), StatusIs(absl::StatusCode::kOutOfRange, "negative"));
  EXPECT_THAT(Unbox(0), StatusIs(absl::StatusCode::kInvalidArgument, "empty"));
}

TEST(StatusMacrosTest, ReturnIfErrorAcceptsStatusOr) {
  auto f = [](const std::string& s) -> absl::Status {
    HUB_RETURN_IF_ERROR(Parse(s));
    return absl::OkStatus();
  };
  EXPECT_THAT(f("x"), IsOk());
  EXPECT_THAT(f(""), StatusIs(absl::StatusCode::kInvalidArgument, "empty"));
}

TEST(StatusMatchersTest, MatchersRejectWhatTheyShould) {
  EXPECT_THAT(Parse(""), ::testing::Not(IsOk()));
  EXPECT_THAT(Parse("a"), ::testing::Not(IsOkAndHolds(2)));
  EXPECT_THAT(Parse(""), ::testing::Not(StatusIs(absl::StatusCode::kInternal, "empty")));
  EXPECT_THAT(Parse(""), ::testing::Not(StatusIs(absl::StatusCode::kInvalidArgument, "other")));
}

}  // namespace
