// Copying state dicts into modules, with Python's checks and messages.
#include "hub/checkpoint/module_state.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/checkpoint/checkpoint.h"
#include "tests/servers/subprocess.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct NetImpl : torch::nn::Module {
  NetImpl() {
    fc = register_module("fc", torch::nn::Linear(3, 2));
    bn = register_module("bn", torch::nn::BatchNorm1d(2));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(Net);

TEST(ModuleStateTest, CopiesByNameIncludingBuffers) {
  Net net;
  StateDict sd = ModuleStateDict(*net);
  std::vector<std::string> names;
  for (const auto& [name, t] : sd) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean",
                                 "bn.running_var", "bn.num_batches_tracked"));
  StateDict given;
  for (const auto& [name, t] : sd)
    given.emplace_back(name, torch::full_like(t, 3).to(torch::kDouble));
  absl::StatusOr<LoadReport> r = LoadStateDictInto(*net, given);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->missing_keys.empty());
  EXPECT_TRUE(r->unexpected_keys.empty());
  EXPECT_TRUE(torch::equal(net->fc->weight, torch::full({2, 3}, 3.0f)));  // cast to float
  EXPECT_EQ(net->bn->running_var[1].item<float>(), 3.0f);
  EXPECT_EQ(net->fc->weight.dtype(), torch::kFloat);
}

TEST(ModuleStateTest, StrictErrorsReadAsPythons) {
  Net net;
  const at::Tensor before = net->fc->weight.clone();
  StateDict sd = ModuleStateDict(*net);
  StateDict given;
  for (const auto& [name, t] : sd) {
    if (name == "bn.bias" || name == "bn.num_batches_tracked") continue;
    given.emplace_back(name, name == "fc.weight" ? torch::zeros({5, 3}) : torch::zeros_like(t));
  }
  given.emplace_back("extra.weight", torch::zeros({1}));
  EXPECT_THAT(LoadStateDictInto(*net, given),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Error(s) in loading state_dict for Net:\n\t"
                       "Missing key(s) in state_dict: \"bn.bias\", \"bn.num_batches_tracked\". \n\t"
                       "Unexpected key(s) in state_dict: \"extra.weight\". \n\t"
                       "size mismatch for fc.weight: copying a param with shape "
                       "torch.Size([5, 3]) from checkpoint, the shape in current model is "
                       "torch.Size([2, 3])."));
  // Nothing was copied.
  EXPECT_TRUE(torch::equal(net->fc->weight, before));
  // Not strict: missing and unexpected are reported, a size mismatch is
  // still an error.
  EXPECT_THAT(
      LoadStateDictInto(*net, given, /*strict=*/false),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("size mismatch for fc.weight")));
  given[0].second = torch::ones({2, 3});
  absl::StatusOr<LoadReport> r = LoadStateDictInto(*net, given, /*strict=*/false);
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->missing_keys, ElementsAre("bn.bias", "bn.num_batches_tracked"));
  EXPECT_THAT(r->unexpected_keys, ElementsAre("extra.weight"));
  EXPECT_TRUE(torch::equal(net->fc->weight, torch::ones({2, 3})));
}

// A checkpoint Python wrote, into the same architecture scripted by Python
// with other weights: afterwards both give Python's output.
TEST(ModuleStateTest, LoadsPythonWeightsIntoATorchScriptModule) {
  const std::string dir = ::hub::testing::TestDir("module_state");
  const std::string code = absl::StrCat(R"PY(
import torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)).eval()
torch.save(m.state_dict(), ')PY",
                                        dir, R"PY(/weights.pt')
x = torch.arange(8, dtype=torch.float).reshape(2, 4) / 8
torch.save(m(x).detach(), ')PY",
                                        dir, R"PY(/expected.pt')
torch.manual_seed(1)
other = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)).eval()
torch.jit.script(other).save(')PY",
                                        dir, R"PY(/other.pt')
)PY");
  absl::StatusOr<::hub::testing::CommandResult> py =
      ::hub::testing::RunCommand({"/usr/bin/python3", "-c", code});
  ASSERT_TRUE(py.ok() && py->exit_code == 0) << (py.ok() ? py->output : py.status().ToString());

  torch::jit::Module module = torch::jit::load(dir + "/other.pt");
  absl::StatusOr<Checkpoint> weights = LoadCheckpoint(dir + "/weights.pt");
  ASSERT_THAT(weights, IsOk());
  absl::StatusOr<StateDict> sd = ExtractStateDict(weights->value);
  ASSERT_THAT(sd, IsOk());
  ASSERT_THAT(LoadStateDictInto(module, *sd), IsOk());
  absl::StatusOr<Checkpoint> expected = LoadCheckpoint(dir + "/expected.pt");
  ASSERT_THAT(expected, IsOk());
  const at::Tensor x = torch::arange(8, torch::kFloat).reshape({2, 4}) / 8;
  EXPECT_TRUE(torch::allclose(module.forward({x}).toTensor(), expected->value.tensor()));
}

}  // namespace
}  // namespace hub::checkpoint
