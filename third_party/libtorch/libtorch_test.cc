// Proves Debian's libtorch links and runs: a tensor, an op, the C++ frontend.
#include <torch/torch.h>

#include "gtest/gtest.h"

namespace {

TEST(LibtorchTest, MakesTensorAndRunsOps) {
  const torch::Tensor t = torch::arange(6, torch::kFloat32).reshape({2, 3});
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_FLOAT_EQ(t.sum().item<float>(), 15.0f);
  torch::nn::Linear linear(3, 1);
  EXPECT_EQ(linear->forward(t).sizes(), (std::vector<int64_t>{2, 1}));
}

}  // namespace
