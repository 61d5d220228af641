// `torchhub list|help|load` end to end: the light binary, the entrypoint
// cache, torchhub-python, and a real torchvision model whose TorchScript,
// run from C++, matches Python's forward.
#include <torch/script.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::RunCommand;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::HasSubstr;

constexpr char kHubconf[] = R"PY(
"""torchvision models as hub entrypoints, randomly initialised (no download)."""
dependencies = ['torch', 'torchvision']
import torch
from torchvision.models import resnet18 as _resnet18


def resnet18(seed=0, num_classes=1000):
    """ResNet-18 initialised from `seed`."""
    torch.manual_seed(seed)
    return _resnet18(weights=None, num_classes=num_classes).eval()


def undocumented():
    return 1


def needs_missing():
    return 2
)PY";

std::string Binary() { return hub::testing::RunfilePath("hub/cli/torchhub"); }

class HubconfCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_dir_ = TestDir("hub");
    repo_dir_ = absl::StrCat(hub_dir_, "/owner_models_main");
    WriteTestFile(absl::StrCat(repo_dir_, "/hubconf.py"), kHubconf);
  }

  // Runs torchhub with the hub dir; `env` as NAME=VALUE words.
  CommandResult Run(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(Binary());
    argv.emplace_back("--hub-dir");
    argv.push_back(hub_dir_);
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> r = RunCommand(argv, {.separate_stderr = true});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  std::string hub_dir_;
  std::string repo_dir_;
};

TEST_F(HubconfCliTest, ListRunsPythonOnceThenAnswersFromTheCache) {
  CommandResult first = Run({"list", repo_dir_, "--source", "local", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.error_output;
  absl::StatusOr<JsonValue> json = ParseJson(first.output);
  ASSERT_TRUE(json.ok()) << first.output;
  EXPECT_EQ(json->GetBool({"from_cache"}), false);
  ASSERT_EQ(json->Find("entrypoints")->array().size(), 3u);
  EXPECT_EQ(json->Find("entrypoints")->array()[0].string_value(), "needs_missing");

  // Now with no way to start Python at all: the answer comes from the cache.
  CommandResult second = Run({"list", repo_dir_, "--source", "local"},
                             {"TORCHHUB_PYTHON_CLI=/nonexistent/torchhub-python"});
  ASSERT_EQ(second.exit_code, 0) << second.error_output;
  EXPECT_EQ(second.output, "needs_missing\nresnet18\nundocumented\n");

  // The GitHub form finds the same dir in the hub dir (no network: the ref
  // is given and the dir is cached) and the same cache entry.
  CommandResult github = Run({"list", "owner/models:main", "--trust-repo", "true"},
                             {"TORCHHUB_PYTHON_CLI=/nonexistent/torchhub-python"});
  ASSERT_EQ(github.exit_code, 0) << github.error_output;
  EXPECT_EQ(github.output, second.output);
  EXPECT_THAT(github.error_output, HasSubstr("Using cache found in"));

  // An edited hubconf is a miss, and Python is needed again.
  WriteTestFile(absl::StrCat(repo_dir_, "/hubconf.py"),
                absl::StrCat(kHubconf, "\ndef added():\n    pass\n"));
  CommandResult stale = Run({"list", repo_dir_, "--source", "local"},
                            {"TORCHHUB_PYTHON_CLI=/nonexistent/torchhub-python"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_THAT(stale.error_output, HasSubstr("cannot run /nonexistent/torchhub-python"));
  CommandResult fresh = Run({"list", repo_dir_, "--source", "local"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.error_output;
  EXPECT_EQ(fresh.output, "added\nneeds_missing\nresnet18\nundocumented\n");
}

TEST_F(HubconfCliTest, HelpPrintsTheDocstringOrSaysThereIsNone) {
  CommandResult doc = Run({"help", repo_dir_, "resnet18", "--source", "local"});
  ASSERT_EQ(doc.exit_code, 0) << doc.error_output;
  EXPECT_EQ(doc.output, "ResNet-18 initialised from `seed`.\n");
  // Cached now; the same answers without Python.
  CommandResult none = Run({"help", repo_dir_, "undocumented", "--source", "local", "--json"},
                           {"TORCHHUB_PYTHON_CLI=/nonexistent"});
  ASSERT_EQ(none.exit_code, 0) << none.error_output;
  EXPECT_EQ(none.output, "{\"entry\":\"undocumented\",\"doc\":null}\n");
  CommandResult missing =
      Run({"help", repo_dir_, "nope", "--source", "local"}, {"TORCHHUB_PYTHON_CLI=/nonexistent"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.error_output, HasSubstr("Cannot find callable nope in hubconf"));
}

TEST_F(HubconfCliTest, HelpAndLoadCheckDependencies) {
  WriteTestFile(absl::StrCat(repo_dir_, "/hubconf.py"),
                "dependencies = ['torch', 'no_such_package']\ndef entry():\n    return 1\n");
  CommandResult help = Run({"help", repo_dir_, "entry", "--source", "local"});
  EXPECT_EQ(help.exit_code, 1);
  EXPECT_THAT(help.error_output, HasSubstr("Missing dependencies: no_such_package"));
  CommandResult load = Run({"load", repo_dir_, "entry", "--source", "local"});
  EXPECT_EQ(load.exit_code, 1);
  EXPECT_THAT(load.error_output, HasSubstr("Missing dependencies: no_such_package"));
}

TEST_F(HubconfCliTest, UsageErrors) {
  CommandResult source = Run({"list", repo_dir_, "--source", "gitlab"});
  EXPECT_EQ(source.exit_code, 2);
  EXPECT_EQ(source.error_output, "torchhub: --source wants github or local, not \"gitlab\"\n");
  CommandResult no_entry = Run({"load", repo_dir_, "--source", "local"});
  EXPECT_EQ(no_entry.exit_code, 2);
  CommandResult not_dir = Run({"list", absl::StrCat(repo_dir_, "/nope"), "--source", "local"});
  EXPECT_EQ(not_dir.exit_code, 1);
  EXPECT_THAT(not_dir.error_output, HasSubstr("is not a directory"));
  CommandResult forward = Run({"load", repo_dir_, "resnet18", "--source", "local", "--forward"});
  EXPECT_EQ(forward.exit_code, 2);
  EXPECT_THAT(forward.error_output, HasSubstr("--forward needs --input SHAPE"));
  CommandResult shape = Run({"load", repo_dir_, "resnet18", "--source", "local", "--input", "1xq"});
  EXPECT_EQ(shape.exit_code, 2);
  EXPECT_THAT(shape.error_output, HasSubstr("--input wants a shape like 1x3x224x224"));
  CommandResult object = Run({"load", repo_dir_, "undocumented", "--source", "local",
                              "--save-torchscript", TestDir("ts") + "/x.pt"});
  EXPECT_EQ(object.exit_code, 1);
  EXPECT_THAT(object.error_output, HasSubstr("returned a int, not an nn.Module"));
}

// The real one: torchvision's resnet18 through hubconf, as TorchScript saved
// by torchhub, run by C++ with no Python, against Python's own forward.
TEST_F(HubconfCliTest, TorchvisionModelRunsInCppAsInPython) {
  const std::string saved = absl::StrCat(TestDir("ts"), "/resnet18.pt");
  CommandResult load =
      Run({"load", repo_dir_, "resnet18", "seed=3", "num_classes=10", "--source", "local",
           "--save-torchscript", saved, "--input", "2x3x64x64", "--forward"});
  ASSERT_EQ(load.exit_code, 0) << load.error_output;
  EXPECT_THAT(load.output, HasSubstr("type: torchvision.models.resnet.ResNet"));
  EXPECT_THAT(load.output, HasSubstr("kind: module (TorchScript, scripted)"));
  EXPECT_THAT(load.output, HasSubstr("forward: float [2, 10]"));

  torch::jit::Module module = torch::jit::load(saved);
  torch::manual_seed(0);
  const at::Tensor input = torch::rand({2, 3, 64, 64});
  const at::Tensor ours = module.forward({input}).toTensor().flatten();

  const std::string script = absl::StrCat(TestDir("py"), "/forward.py");
  WriteTestFile(script,
                absl::StrCat(R"PY(
import torch
m = torch.hub.load(')PY",
                             repo_dir_, R"PY(', 'resnet18', source='local', seed=3, num_classes=10)
torch.manual_seed(0)
x = torch.rand(2, 3, 64, 64)
with torch.no_grad():
    print(' '.join(repr(v) for v in m(x).flatten().tolist()))
)PY"));
  absl::StatusOr<CommandResult> python =
      RunCommand({"/usr/bin/python3", script}, {.separate_stderr = true});
  ASSERT_TRUE(python.ok());
  ASSERT_EQ(python->exit_code, 0) << python->error_output;
  const std::vector<std::string> values =
      absl::StrSplit(absl::StripAsciiWhitespace(python->output), ' ');
  ASSERT_EQ(values.size(), 20u);
  ASSERT_EQ(ours.numel(), 20);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(ours[static_cast<int64_t>(i)].item<float>(), std::stof(values[i]), 1e-4) << i;
  }
}

}  // namespace
}  // namespace hub
