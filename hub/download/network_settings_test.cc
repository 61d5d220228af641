#include "hub/download/network_settings.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::testing::HasSubstr;

TEST(NetworkSettingsTest, UnsetKeepsEachOptionsDefaults) {
  for (const char* name : {kConnectTimeoutEnv, kStallTimeoutEnv, kTriesEnv}) ::unsetenv(name);
  HUB_ASSERT_OK_AND_ASSIGN(const NetworkSettings s, NetworkSettingsFromEnvironment());
  DownloadOptions download;
  s.ApplyTo(download);
  EXPECT_EQ(download.max_attempts, DownloadOptions().max_attempts);
  EXPECT_EQ(download.stall_timeout, DownloadOptions().stall_timeout);
  HttpGetOptions http;
  s.ApplyTo(http);
  EXPECT_EQ(http.max_attempts, HttpGetOptions().max_attempts);
  EXPECT_EQ(http.timeout, HttpGetOptions().timeout);
}

TEST(NetworkSettingsTest, EnvironmentSetsBothKindsOfRequest) {
  ::setenv(kConnectTimeoutEnv, "2.5", 1);
  ::setenv(kStallTimeoutEnv, "500ms", 1);
  ::setenv(kTriesEnv, "2", 1);
  HUB_ASSERT_OK_AND_ASSIGN(const NetworkSettings s, NetworkSettingsFromEnvironment());
  for (const char* name : {kConnectTimeoutEnv, kStallTimeoutEnv, kTriesEnv}) ::unsetenv(name);
  DownloadOptions download;
  s.ApplyTo(download);
  EXPECT_EQ(download.connect_timeout, absl::Milliseconds(2500));
  EXPECT_EQ(download.stall_timeout, absl::Milliseconds(500));
  EXPECT_EQ(download.max_attempts, 2);
  HttpGetOptions http;
  s.ApplyTo(http);
  EXPECT_EQ(http.connect_timeout, absl::Milliseconds(2500));
  EXPECT_EQ(http.timeout, absl::Milliseconds(500));
  EXPECT_EQ(http.max_attempts, 2);
}

TEST(NetworkSettingsTest, AFlagOverridesTheEnvironment) {
  ::setenv(kTriesEnv, "4", 1);
  HUB_ASSERT_OK_AND_ASSIGN(NetworkSettings s, NetworkSettingsFromEnvironment());
  ::unsetenv(kTriesEnv);
  HUB_ASSERT_OK(SetNetworkSetting("--tries", "1", &s));
  HUB_ASSERT_OK(SetNetworkSetting("--stall-timeout", "1m30s", &s));
  EXPECT_EQ(s.tries, 1);
  EXPECT_EQ(s.stall_timeout, absl::Seconds(90));
}

TEST(NetworkSettingsTest, BadValuesNameTheSettingAndTheValue) {
  NetworkSettings s;
  for (const char* bad : {"0", "-1", "soon", "", "inf"}) {
    const absl::Status status = SetNetworkSetting("--stall-timeout", bad, &s);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("--stall-timeout")) << bad;
  }
  for (const char* bad : {"0", "2.5", "many"}) {
    EXPECT_EQ(SetNetworkSetting("--tries", bad, &s).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  ::setenv(kConnectTimeoutEnv, "forever", 1);
  const absl::StatusOr<NetworkSettings> env = NetworkSettingsFromEnvironment();
  ::unsetenv(kConnectTimeoutEnv);
  EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(env.status().message(), HasSubstr("TORCHHUB_CONNECT_TIMEOUT: \"forever\""));
  EXPECT_FALSE(s.tries.has_value());  // nothing bad was kept
}

}  // namespace
}  // namespace hub
