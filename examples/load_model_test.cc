// Runs examples/load_model as a user would: a local hubconf, weights from a
// file and from a server on 127.0.0.1, checked against Python's numbers.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/test_dirs.h"
#include "hub/sandbox/sandbox_testing.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::RunCommand;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;

TEST(LoadModelExampleTest, LoadsListsAndRunsWithWeights) {
  const std::string repo = TestDir("repo");
  const std::string www = TestDir("www");
  hub::testing::WriteTestFile(repo + "/hubconf.py", R"PY(
import torch
def tiny():
    """Linear(4, 2), randomly initialised."""
    return torch.nn.Linear(4, 2)
)PY");
  // Weights whose forward(ones) is [1+2+3+4+0.5, 4*0.25-1] = [10.5, 0].
  absl::StatusOr<CommandResult> py =
      RunCommand({"/usr/bin/python3", "-c",
                  absl::StrCat("import torch, collections\n"
                               "sd = collections.OrderedDict(weight=torch.tensor([[1., 2, 3, 4], "
                               "[.25, .25, .25, .25]]), bias=torch.tensor([.5, -1.]))\n"
                               "torch.save(sd, '",
                               www, "/tiny.pth')\n")});
  ASSERT_TRUE(py.ok() && py->exit_code == 0) << (py.ok() ? py->output : py.status().ToString());
  const std::string binary = hub::testing::RunfilePath("examples/load_model");
  const std::string hub_env = absl::StrCat("TORCH_HOME=", TestDir("torch_home"));
  // The hubconf runs in the sandbox where bubblewrap can make its
  // namespaces (the worker is the sandbox's own program), else in-process.
  const std::string worker_env = absl::StrCat(
      "TORCHHUB_SANDBOX_WORKER=", hub::testing::RunfilePath("hub/sandbox/torchhub-sandbox-worker"));
  const auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"env", hub_env, worker_env, binary};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.emplace_back("--local");
    if (!hub::sandbox::BwrapNamespacesAvailable()) argv.emplace_back("--no-sandbox");
    return RunCommand(argv);
  };

  absl::StatusOr<CommandResult> file = run({repo, "tiny", www + "/tiny.pth"});
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->exit_code, 0) << file->output;
  EXPECT_THAT(file->output, HasSubstr("entrypoints: tiny\n"));
  EXPECT_THAT(file->output, HasSubstr("help: Linear(4, 2), randomly initialised.\n"));
  EXPECT_THAT(file->output, HasSubstr("module: torch.nn.modules.linear.Linear (scripted)\n"));
  EXPECT_THAT(file->output, HasSubstr("weights: 2 tensors loaded\n"));
  EXPECT_THAT(file->output, HasSubstr(" 10.5000\n"));

  absl::StatusOr<std::unique_ptr<hub::testing::FaultServer>> server =
      hub::testing::FaultServer::Start({.root = www});
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<CommandResult> url = run({repo, "tiny", (*server)->Url("/tiny.pth")});
  ASSERT_TRUE(url.ok());
  ASSERT_EQ(url->exit_code, 0) << url->output;
  EXPECT_THAT(url->output, HasSubstr("weights: 2 tensors loaded\n"));
  EXPECT_THAT(url->output, HasSubstr(" 10.5000\n"));

  absl::StatusOr<CommandResult> bad = run({repo, "nope"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->exit_code, 1);
  EXPECT_THAT(bad->output, HasSubstr("Cannot find callable nope in hubconf"));
}

}  // namespace
