// Loading checkpoints to CPU tensors, per format, beside torch.load's time
// for the same file (measured by Python in the same run, when the fixtures
// are written: median of 5 after a warm-up).
//
//   bazel run -c opt //hub/checkpoint:checkpoint_benchmark
//
// Counters: torch_load_ms, and ratio = our time / torch.load's (< 1 is
// faster). "copy" variants read every byte (as torch.load does); "mmap" ones
// leave tensor data in the page cache until it is touched.
//
// Seen on the 2-core development VM (shared with another build, load ~3.7,
// so noisy), `bazel build --config=ci -c opt` then
// bazel-bin/hub/checkpoint/checkpoint_benchmark, page cache warm, CPU only:
//   resnet50 (102 MB, 320 tensors): zip copy 18.6 ms (torch.load 59.8 ms,
//     ratio 0.31; 8.2 ms / 0.13 on a quieter run), zip mmap 0.9 ms,
//     legacy 16.8 ms (0.29), safetensors copy 15.3 ms, mmap 0.34 ms.
//   20,000 tensors of 1 KiB: zip copy 62.9 ms (torch.load 416.7 ms, ratio
//     0.13), zip mmap 39.7 ms (0.087), legacy 66.1 ms (0.14), safetensors
//     copy 39.8 ms, mmap 24.2 ms. ANCHORS.md asks 0.02x here: per-tensor
//     work (pickle objects, TensorImpl creation) is what is left.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "hub/base/json_reader.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/fs/files.h"
#include "tests/servers/subprocess.h"

namespace {

// Writes the fixtures once: "<$TEST_TMPDIR or /tmp>/checkpoint_benchmark".
const std::string& Dir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    auto* d = new std::string(
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/checkpoint_benchmark"));
    if (!hub::PathExists(*d + "/torch_load_seconds.json")) {
      absl::StatusOr<hub::testing::CommandResult> r = hub::testing::RunCommand(
          {"/usr/bin/python3", "hub/checkpoint/testdata/make_checkpoints.py", "bench", *d});
      if (!r.ok() || r->exit_code != 0) {
        std::fprintf(stderr, "making fixtures failed: %s\n",
                     r.ok() ? r->output.c_str() : r.status().ToString().c_str());
        std::abort();
      }
    }
    return d;
  }();
  return *dir;
}

double TorchLoadSeconds(const std::string& key) {
  absl::StatusOr<std::string> text = hub::ReadFile(Dir() + "/torch_load_seconds.json");
  if (!text.ok()) return 0;
  absl::StatusOr<hub::JsonValue> json = hub::ParseJson(*text);
  if (!json.ok()) return 0;
  const hub::JsonValue* v = json->Find(key);
  return v != nullptr ? v->number_value() : 0;
}

void Load(benchmark::State& state, const std::string& stem, const std::string& file,
          bool zero_copy) {
  const std::string path = absl::StrCat(Dir(), "/", stem, file);
  int64_t bytes = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<hub::checkpoint::Checkpoint> ckpt =
        hub::checkpoint::LoadCheckpoint(path, {.zero_copy = zero_copy});
    if (!ckpt.ok()) {
      state.SkipWithError(ckpt.status().ToString().c_str());
      return;
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bytes = 0;
    for (const auto& [key, value] : ckpt->value.entries()) {
      if (value.is_tensor()) bytes += static_cast<int64_t>(value.tensor().nbytes());
    }
    benchmark::DoNotOptimize(ckpt);
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  const std::string torch_key = absl::StrCat(stem, file.substr(0, file.find('.')));
  const double torch = TorchLoadSeconds(torch_key);
  if (torch > 0 && state.iterations() > 0) {
    state.counters["torch_load_ms"] = torch * 1e3;
    state.counters["ratio"] = seconds / static_cast<double>(state.iterations()) / torch;
  }
}

#define HUB_CHECKPOINT_BENCHMARKS(stem)                                          \
  BENCHMARK_CAPTURE(Load, stem##_zip_copy, #stem, "_zip.pt", false)              \
      ->Unit(benchmark::kMillisecond)                                            \
      ->UseRealTime();                                                           \
  BENCHMARK_CAPTURE(Load, stem##_zip_mmap, #stem, "_zip.pt", true)               \
      ->Unit(benchmark::kMillisecond)                                            \
      ->UseRealTime();                                                           \
  BENCHMARK_CAPTURE(Load, stem##_legacy, #stem, "_legacy.pt", false)             \
      ->Unit(benchmark::kMillisecond)                                            \
      ->UseRealTime();                                                           \
  BENCHMARK_CAPTURE(Load, stem##_safetensors_copy, #stem, ".safetensors", false) \
      ->Unit(benchmark::kMillisecond)                                            \
      ->UseRealTime();                                                           \
  BENCHMARK_CAPTURE(Load, stem##_safetensors_mmap, #stem, ".safetensors", true)  \
      ->Unit(benchmark::kMillisecond)                                            \
      ->UseRealTime()

HUB_CHECKPOINT_BENCHMARKS(resnet50);
HUB_CHECKPOINT_BENCHMARKS(small20k);

}  // namespace
