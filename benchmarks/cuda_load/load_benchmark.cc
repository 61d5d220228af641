// Times hub::checkpoint::LoadCheckpoint onto a device: one warm-up, then
// --reps loads; prints one JSON line per file with the median in ms.
//
//   load_benchmark --device cuda --reps 5 a.pt b.pt
//
// Built by tools/gpu_benchmark.sh (g++ against the libtorch at hand; the GPU
// machine has no Bazel). Loading returns once every copy has completed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hub/checkpoint/checkpoint.h"

namespace {

int64_t CountBytes(const hub::checkpoint::Value& v) {
  if (v.is_tensor())
    return v.tensor().defined() ? v.tensor().numel() * v.tensor().element_size() : 0;
  int64_t n = 0;
  for (const auto& item : v.items()) n += CountBytes(item);
  for (const auto& [key, item] : v.entries()) n += CountBytes(item);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::string device = "cpu";
  int reps = 5;
  bool zero_copy = true;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--device" && i + 1 < argc) {
      device = argv[++i];
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--copy") {
      zero_copy = false;
    } else {
      files.push_back(a);
    }
  }
  hub::checkpoint::LoadOptions options;
  options.map_location = device;
  options.zero_copy = zero_copy;
  for (const std::string& file : files) {
    std::vector<double> ms;
    int64_t bytes = 0;
    for (int r = 0; r <= reps; ++r) {
      const auto start = std::chrono::steady_clock::now();
      absl::StatusOr<hub::checkpoint::Checkpoint> c =
          hub::checkpoint::LoadCheckpoint(file, options);
      const auto stop = std::chrono::steady_clock::now();
      if (!c.ok()) {
        std::fprintf(stderr, "%s\n", std::string(c.status().message()).c_str());
        return 1;
      }
      bytes = CountBytes(c->value);
      if (r > 0) ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("{\"file\": \"%s\", \"device\": \"%s\", \"median_ms\": %.3f, \"bytes\": %lld}\n",
                file.c_str(), device.c_str(), ms[ms.size() / 2], static_cast<long long>(bytes));
  }
  return 0;
}
