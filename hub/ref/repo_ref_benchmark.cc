// Benchmarks ParseRepoRef on real repo strings.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "hub/ref/repo_ref.h"

namespace {

const std::vector<std::string>& Inputs() {
  static const auto* inputs = new std::vector<std::string>{
      "pytorch/vision:v0.10.0", "NVIDIA/DeepLearningExamples:torchhub",
      "facebookresearch/pytorch_GAN_zoo:hub", "huggingface/pytorch-transformers:main",
      "ailzhang/torchhub_example:ci/test_slash"};
  return *inputs;
}

void BM_ParseRepoRef(benchmark::State& state) {
  const std::vector<std::string>& inputs = Inputs();
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& s = inputs[i++ % inputs.size()];
    benchmark::DoNotOptimize(hub::ParseRepoRef(s));
    bytes += static_cast<int64_t>(s.size());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRepoRef);

void BM_ParseRepoRefInvalid(benchmark::State& state) {
  const std::string s = "pytorch/vision:../../etc";
  for (auto _ : state) benchmark::DoNotOptimize(hub::ParseRepoRef(s));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRepoRefInvalid);

void BM_NormalizeRef(benchmark::State& state) {
  const std::string ref = "refs/heads/release/1.0";
  for (auto _ : state) benchmark::DoNotOptimize(hub::NormalizeRef(ref));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NormalizeRef);

}  // namespace
