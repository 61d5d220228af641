#include "hub/base/warnings.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(WarningsTest, DefaultHandlerPrintsEachMessageOnceToStderr) {
  ::testing::internal::CaptureStderr();
  Warn(WarningCategory::kUserWarning, "first");
  Warn(WarningCategory::kUserWarning, "first");
  Warn(WarningCategory::kFutureWarning, "first");
  Warn(WarningCategory::kUserWarning, "second");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "torchhub: UserWarning: first\n"
            "torchhub: FutureWarning: first\n"
            "torchhub: UserWarning: second\n");
}

TEST(WarningsTest, ScopedHandlerSeesEveryWarningThenRestores) {
  std::vector<std::pair<WarningCategory, std::string>> seen;
  {
    ScopedWarningHandler capture(
        [&](WarningCategory c, absl::string_view m) { seen.emplace_back(c, std::string(m)); });
    Warn(WarningCategory::kUserWarning, "x");
    Warn(WarningCategory::kUserWarning, "x");
    Warn(WarningCategory::kDeprecationWarning, "y");
  }
  EXPECT_THAT(seen, ElementsAre(std::make_pair(WarningCategory::kUserWarning, "x"),
                                std::make_pair(WarningCategory::kUserWarning, "x"),
                                std::make_pair(WarningCategory::kDeprecationWarning, "y")));
  ::testing::internal::CaptureStderr();
  Warn(WarningCategory::kUserWarning, "after");
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("UserWarning: after"));
}

TEST(WarningsTest, HandlersNest) {
  std::vector<std::string> outer_seen, inner_seen;
  ScopedWarningHandler outer(
      [&](WarningCategory, absl::string_view m) { outer_seen.emplace_back(m); });
  {
    ScopedWarningHandler inner(
        [&](WarningCategory, absl::string_view m) { inner_seen.emplace_back(m); });
    Warn(WarningCategory::kUserWarning, "inner");
  }
  Warn(WarningCategory::kUserWarning, "outer");
  EXPECT_THAT(inner_seen, ElementsAre("inner"));
  EXPECT_THAT(outer_seen, ElementsAre("outer"));
}

TEST(WarningsTest, CategoryNamesArePythons) {
  EXPECT_EQ(WarningCategoryName(WarningCategory::kUserWarning), "UserWarning");
  EXPECT_EQ(WarningCategoryName(WarningCategory::kFutureWarning), "FutureWarning");
  EXPECT_THAT(std::string(WarningCategoryName(WarningCategory::kDeprecationWarning)),
              ::testing::Not(IsEmpty()));
}

}  // namespace
}  // namespace hub
