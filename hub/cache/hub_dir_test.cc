#include "hub/cache/hub_dir.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/warnings.h"

namespace hub {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Each test starts from a known environment and restores the real one.
class HubDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVars) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
      unsetenv(name);
    }
    setenv("HOME", "/home/me", 1);
    ClearDir();
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name, value->c_str(), 1);
      } else {
        unsetenv(name);
      }
    }
    ClearDir();
  }

  static constexpr const char* kVars[] = {"HOME", "TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB"};
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

TEST_F(HubDirTest, DefaultsToDotCache) { EXPECT_EQ(GetDir(), "/home/me/.cache/torch/hub"); }

TEST_F(HubDirTest, XdgCacheHomeComesNext) {
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(GetDir(), "/xdg/torch/hub");
  setenv("XDG_CACHE_HOME", "~/xdg", 1);
  EXPECT_EQ(GetDir(), "/home/me/xdg/torch/hub");
}

TEST_F(HubDirTest, TorchHomeBeatsXdg) {
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  setenv("TORCH_HOME", "/th", 1);
  EXPECT_EQ(GetDir(), "/th/hub");
  setenv("TORCH_HOME", "~/th/", 1);
  EXPECT_EQ(GetDir(), "/home/me/th/hub");
  EXPECT_EQ(GetTorchHome(), "/home/me/th/");
}

TEST_F(HubDirTest, SetButEmptyVariablesCountAsPythonDoes) {
  setenv("TORCH_HOME", "", 1);
  EXPECT_EQ(GetDir(), "hub");
  unsetenv("TORCH_HOME");
  setenv("XDG_CACHE_HOME", "", 1);
  EXPECT_EQ(GetDir(), "torch/hub");
}

TEST_F(HubDirTest, SetDirWinsAndExpandsTilde) {
  setenv("TORCH_HOME", "/th", 1);
  SetDir("~/hub");
  EXPECT_EQ(GetDir(), "/home/me/hub");
  SetDir("relative/dir");
  EXPECT_EQ(GetDir(), "relative/dir");
  ClearDir();
  EXPECT_EQ(GetDir(), "/th/hub");
}

TEST_F(HubDirTest, SetDirExpandsAtCallTime) {
  SetDir("~/hub");
  setenv("HOME", "/elsewhere", 1);
  EXPECT_EQ(GetDir(), "/home/me/hub");
}

TEST_F(HubDirTest, TorchHubOnlyWarns) {
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  setenv("TORCH_HUB", "", 1);
  EXPECT_EQ(GetDir(), "/home/me/.cache/torch/hub");
  EXPECT_THAT(warnings, IsEmpty());
  setenv("TORCH_HUB", "/ignored", 1);
  EXPECT_EQ(GetDir(), "/home/me/.cache/torch/hub");
  EXPECT_THAT(warnings, ElementsAre("TORCH_HUB is deprecated, please use env TORCH_HOME instead"));
}

}  // namespace
}  // namespace hub
