// Benchmarks building cache paths: the work done on every cache lookup.
#include <string>

#include "benchmark/benchmark.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/ref/repo_ref.h"

namespace {

void BM_RepoDir(benchmark::State& state) {
  const hub::CacheLayout cache("/home/me/.cache/torch/hub");
  const hub::RepoRef repo = *hub::ParseRepoRef("ailzhang/torchhub_example:ci/test_slash");
  for (auto _ : state) benchmark::DoNotOptimize(cache.RepoDir(repo));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RepoDir);

void BM_ParseAndRepoDir(benchmark::State& state) {
  // The same strings as //hub/ref:repo_ref_benchmark's BM_ParseRepoRef.
  static const char* const kInputs[] = {
      "pytorch/vision:v0.10.0", "NVIDIA/DeepLearningExamples:torchhub",
      "facebookresearch/pytorch_GAN_zoo:hub", "huggingface/pytorch-transformers:main",
      "ailzhang/torchhub_example:ci/test_slash"};
  const hub::CacheLayout cache("/home/me/.cache/torch/hub");
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.RepoDir(*hub::ParseRepoRef(kInputs[i++ % 5])));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndRepoDir);

void BM_GetDir(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(hub::GetDir());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetDir);

void BM_CheckpointPath(benchmark::State& state) {
  const std::string url = "https://download.pytorch.org/models/resnet18-5c106cde.pth?download=true";
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        hub::CheckpointPath("/home/me/.cache/torch/hub/checkpoints", url, std::nullopt));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(url.size()));
}
BENCHMARK(BM_CheckpointPath);

void BM_DownloadTempPath(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(hub::DownloadTempPath("/h/checkpoints/resnet18-5c106cde.pth"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DownloadTempPath);

}  // namespace
