// A main() for fuzz targets built without libFuzzer.
//
// It runs LLVMFuzzerTestOneInput on every file named on the command line
// (directories are walked), then on a fixed-seed series of mutations of
// those inputs, so every CI run exercises each fuzz target deterministically.
// HUB_FUZZ_ITERATIONS sets how many mutations (default 20000).
//
// Real fuzzing uses `--config=fuzz`, which links libFuzzer's main instead.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tools/fuzzing/fuzz_target.h"
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

void Run(const std::string& input) {
  // A copy, so reading past the end shows up under ASan.
  std::vector<uint8_t> buffer(input.begin(), input.end());
  LLVMFuzzerTestOneInput(buffer.data(), buffer.size());
}

void AddFile(const std::filesystem::path& path, std::vector<std::string>* inputs) {
  std::ifstream in(path, std::ios::binary);
  inputs->emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Mutate(const std::vector<std::string>& inputs, std::mt19937* rng) {
  std::uniform_int_distribution<size_t> pick(0, inputs.size() - 1);
  std::string s = inputs[pick(*rng)];
  const int edits = 1 + static_cast<int>((*rng)() % 4);
  for (int i = 0; i < edits; ++i) {
    const size_t pos = s.empty() ? 0 : (*rng)() % s.size();
    switch ((*rng)() % 6) {
      case 0:  // flip a bit
        if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << ((*rng)() % 8)));
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>((*rng)() & 0xff));
        break;
      case 2:  // delete a byte
        if (!s.empty()) s.erase(pos, 1);
        break;
      case 3:  // truncate
        s.resize(pos);
        break;
      case 4: {  // splice in part of another input
        const std::string& other = inputs[pick(*rng)];
        if (!other.empty()) {
          const size_t from = (*rng)() % other.size();
          s.insert(pos, other.substr(from, (*rng)() % (other.size() - from + 1)));
        }
        break;
      }
      default:  // insert an interesting byte
        static constexpr char kInteresting[] = {'\0', '/', ':', '.', ' ', '\n', '\\', '~', '\xff'};
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos),
                 kInteresting[(*rng)() % sizeof(kInteresting)]);
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) AddFile(entry.path(), &inputs);
      }
    } else {
      AddFile(path, &inputs);
    }
  }
  if (inputs.empty()) inputs.emplace_back();
  for (const std::string& input : inputs) Run(input);

  int64_t iterations = 20000;
  if (const char* env = std::getenv("HUB_FUZZ_ITERATIONS")) {
    iterations = std::strtol(env, nullptr, 10);
  }
  // A fixed seed on purpose: the same mutations in every run.
  std::mt19937 rng(20260101);  // NOLINT(cert-msc51-cpp)
  for (int64_t i = 0; i < iterations; ++i) Run(Mutate(inputs, &rng));
  std::printf("replayed %zu inputs and %lld mutations\n", inputs.size(),
              static_cast<long long>(iterations));  // NOLINT(google-runtime-int)
  return 0;
}
