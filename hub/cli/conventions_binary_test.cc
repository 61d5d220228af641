// The built `torchhub` as a shell user meets it: bash completion from
// `torchhub completion bash`, progress turned off by TORCHHUB_NO_PROGRESS
// and --quiet, and the man page tools/man.sh builds with help2man.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::FaultServer;
using ::hub::testing::RunCommand;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Binary() { return ::hub::testing::RunfilePath("hub/cli/torchhub"); }

// What bash completes for the words `line` (the last one being completed).
std::string Complete(const std::string& line) {
  const std::string script = absl::StrCat(
      "source <('", Binary(), "' completion bash) || exit 3\n", "COMP_WORDS=(", line, ")\n",
      "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n", "_torchhub\n", "echo \"${COMPREPLY[*]}\"\n");
  absl::StatusOr<CommandResult> r = RunCommand({"/bin/bash", "-c", script});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  EXPECT_EQ(r->exit_code, 0) << r->output;
  return r->output;
}

TEST(ConventionsBinaryTest, BashCompletesVerbsAndTheirOptions) {
  EXPECT_EQ(Complete("torchhub ca"), "cache\n");
  EXPECT_EQ(Complete("torchhub --hub-dir /tmp tr"), "trust\n");
  EXPECT_EQ(Complete("torchhub --vers"), "--version\n");
  EXPECT_EQ(Complete("torchhub download --no-p"), "--no-progress\n");
  EXPECT_EQ(Complete("torchhub load-state-dict --js"), "--json\n");
  EXPECT_EQ(Complete("torchhub e"), "env\n");
}

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string root = ::hub::testing::TestDir("root");
    ::hub::testing::WriteTestFile(root + "/w.bin", std::string(300000, 'w'));
    HUB_ASSERT_OK_AND_ASSIGN(server_, FaultServer::Start({.root = root}));
    dst_ = ::hub::testing::TestDir("dst") + "/w.bin";
  }

  // torchhub ARGS... download URL DST, with `env` ("NAME=VALUE") set.
  CommandResult Download(const std::vector<std::string>& env,
                         const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(Binary());
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"download", server_->Url("/w.bin"), dst_});
    absl::StatusOr<CommandResult> r = RunCommand(argv, {.separate_stderr = true});
    EXPECT_TRUE(r.ok()) << r.status();
    CommandResult result = r.value_or(CommandResult());
    EXPECT_EQ(result.exit_code, 0) << result.error_output;
    EXPECT_EQ(result.output, dst_ + "\n");
    return result;
  }

  std::unique_ptr<FaultServer> server_;
  std::string dst_;
};

TEST_F(ProgressTest, ShownByDefault) {
  EXPECT_THAT(Download({}, {}).error_output, HasSubstr("w.bin: done"));
}

TEST_F(ProgressTest, OffWithTorchhubNoProgress) {
  EXPECT_EQ(Download({"TORCHHUB_NO_PROGRESS=1"}, {}).error_output, "");
}

TEST_F(ProgressTest, OffWithQuiet) { EXPECT_EQ(Download({}, {"--quiet"}).error_output, ""); }

TEST_F(ProgressTest, VerboseSaysWhatWasTransferred) {
  const CommandResult r = Download({"TORCHHUB_NO_PROGRESS=1"}, {"-v"});
  EXPECT_THAT(r.error_output, HasSubstr("torchhub: 300000 bytes from http://"));
  EXPECT_THAT(r.error_output, HasSubstr("in 1 attempt"));
  EXPECT_THAT(r.error_output, Not(HasSubstr("done")));
}

TEST(ConventionsBinaryTest, ManPageBuildsFromHelpAndVersion) {
  const std::string page = ::hub::testing::TestDir("man") + "/torchhub.1";
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult r, RunCommand({::hub::testing::RunfilePath("tools/man.sh"),
                                                        "--binary", Binary(), page}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string text = ::hub::testing::ReadTestFile(page);
  EXPECT_THAT(text, HasSubstr(".TH TORCHHUB \"1\""));
  EXPECT_THAT(text, HasSubstr("torchhub 0."));
  EXPECT_THAT(text, HasSubstr("completion bash"));
  EXPECT_THAT(text, HasSubstr("PyTorch Hub for C++"));
}

}  // namespace
