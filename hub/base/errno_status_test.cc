#include "hub/base/errno_status.h"

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace {

using ::hub::testing::StatusIs;

TEST(ErrnoStatusTest, MapsCommonErrors) {
  EXPECT_EQ(hub::ErrnoToCode(ENOENT), absl::StatusCode::kNotFound);
  EXPECT_EQ(hub::ErrnoToCode(EACCES), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(hub::ErrnoToCode(ENOSPC), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(hub::ErrnoToCode(EEXIST), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(hub::ErrnoToCode(EINTR), absl::StatusCode::kCancelled);
  EXPECT_EQ(hub::ErrnoToCode(0), absl::StatusCode::kOk);
  EXPECT_EQ(hub::ErrnoToCode(EPROTO), absl::StatusCode::kUnknown);
}

TEST(ErrnoStatusTest, MessageSaysWhatAndWhy) {
  EXPECT_THAT(
      hub::ErrnoToStatus(ENOENT, "opening /x/trusted_list"),
      StatusIs(absl::StatusCode::kNotFound, "opening /x/trusted_list: No such file or directory"));
}

}  // namespace
