// Runs the built `torchhub` binary: what a shell script sees.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::RunCommand;
using ::testing::HasSubstr;

const std::string& Binary() {
  static const std::string* path = [] {
    const char* runfiles = std::getenv("TEST_SRCDIR");
    return new std::string(
        absl::StrCat(runfiles != nullptr ? runfiles : ".", "/torchhub_cpp/hub/cli/torchhub"));
  }();
  return *path;
}

TEST(TorchhubBinaryTest, ExitCodesAndStreams) {
  const std::string hub = ::hub::testing::TestDir("hub");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult ok, RunCommand({Binary(), "--hub-dir", hub, "dir"}));
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.output, hub + "\n");

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult bad, RunCommand({Binary(), "parse", "a/b:c:d"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("torchhub: error: invalid repo \"a/b:c:d\""));

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult usage, RunCommand({Binary(), "nope"}));
  EXPECT_EQ(usage.exit_code, 2);

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult help, RunCommand({Binary(), "--help"}));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: torchhub"));
}

TEST(TorchhubBinaryTest, TrustCheckExitsOneWhenNotTrusted) {
  const std::string hub = ::hub::testing::TestDir("hub");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult r,
                           RunCommand({Binary(), "--hub-dir", hub, "trust", "check", "x/y"}));
  EXPECT_EQ(r.exit_code, 1);
  HUB_ASSERT_OK_AND_ASSIGN(r, RunCommand({Binary(), "--hub-dir", hub, "trust", "add", "x/y"}));
  EXPECT_EQ(r.exit_code, 0);
  HUB_ASSERT_OK_AND_ASSIGN(r, RunCommand({Binary(), "--hub-dir", hub, "trust", "check", "x/y"}));
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
