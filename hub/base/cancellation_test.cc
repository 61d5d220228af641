#include "hub/base/cancellation.h"

#include <cstdlib>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::testing::HasSubstr;

TEST(CancellationTest, RequestIsSeenUntilReset) {
  ResetCancellation();
  EXPECT_FALSE(CancellationRequested());
  RequestCancellation();
  EXPECT_TRUE(CancellationRequested());
  EXPECT_TRUE(CancellationFlag()->load());
  ResetCancellation();
  EXPECT_FALSE(CancellationRequested());
}

TEST(CancellationTest, SleepReturnsFalseWhenAlreadyCancelled) {
  RequestCancellation();
  // An hour: the test would time out if the sleep did not stop.
  EXPECT_FALSE(SleepUnlessCancelled(absl::Hours(1)));
  ResetCancellation();
}

TEST(CancellationTest, SleepStopsWhenCancelledFromAnotherThread) {
  ResetCancellation();
  std::thread canceller([] { RequestCancellation(); });
  EXPECT_FALSE(SleepUnlessCancelled(absl::Hours(1)));
  canceller.join();
  ResetCancellation();
}

TEST(CancellationTest, SleepRunsItsCourseWithoutCancellation) {
  ResetCancellation();
  EXPECT_TRUE(SleepUnlessCancelled(absl::Milliseconds(1)));
  EXPECT_TRUE(SleepUnlessCancelled(absl::ZeroDuration()));
}

TEST(CancellationTest, OfflineFromTheSwitchOrTheEnvironment) {
  ::unsetenv(kOfflineEnv);
  SetOffline(false);
  EXPECT_FALSE(IsOffline());
  HUB_EXPECT_OK(CheckNetworkAllowed("GET http://x/"));
  for (const char* off : {"", "0", "false", "No"}) {
    ::setenv(kOfflineEnv, off, 1);
    EXPECT_FALSE(IsOffline()) << off;
  }
  for (const char* on : {"1", "yes", "TRUE"}) {
    ::setenv(kOfflineEnv, on, 1);
    EXPECT_TRUE(IsOffline()) << on;
  }
  ::unsetenv(kOfflineEnv);
  SetOffline(true);
  EXPECT_TRUE(IsOffline());
  const absl::Status refused = CheckNetworkAllowed("GET http://x/");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("offline: not GET http://x/"));
  EXPECT_THAT(refused.message(), HasSubstr("unset TORCHHUB_OFFLINE"));
  SetOffline(false);
}

}  // namespace
}  // namespace hub
