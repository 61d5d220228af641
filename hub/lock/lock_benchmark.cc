// What a lock costs a load: the content digest of a cached repo dir (checked
// on every pinned load) and a pinned checkpoint's digest, read in full the
// first time and then reused while the file is the same version.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "hub/base/test_dirs.h"
#include "hub/checkpoint/cached_file.h"
#include "hub/lock/lock_file.h"

namespace hub {
namespace {

using ::hub::testing::RandomBytes;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;

// A repo of 400 source files of 6 KB (about torchvision's hub repo size).
const std::string& Repo() {
  static const std::string* const repo = [] {
    auto* dir = new std::string(TestDir("bench_repo"));
    WriteTestFile(absl::StrCat(*dir, "/hubconf.py"), "def a():\n    pass\n");
    for (int i = 0; i < 400; ++i) {
      WriteTestFile(absl::StrCat(*dir, "/pkg", i % 20, "/mod", i, ".py"),
                    RandomBytes(6000, static_cast<uint32_t>(i)));
    }
    return dir;
  }();
  return *repo;
}

void BM_ContentDigest400Files(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ContentDigest(Repo()));
  state.SetBytesProcessed(state.iterations() * 400 * 6000);
}
BENCHMARK(BM_ContentDigest400Files)->Unit(benchmark::kMillisecond);

// What a pinned load pays once the digest is recorded: a stat per entry.
void BM_VerifiedContentDigest400FilesReused(benchmark::State& state) {
  const std::string record = TestDir("bench_record") + "/.repo.source";
  const std::string lock = TestDir("bench_record") + "/.repo.lock";
  // Past the racy window, so that the digest taken next is reused after.
  absl::SleepFor(absl::Milliseconds(1100));
  if (!VerifiedContentDigest(Repo(), record, lock).ok()) {
    state.SkipWithError("hashing failed");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(VerifiedContentDigest(Repo(), record, lock));
}
BENCHMARK(BM_VerifiedContentDigest400FilesReused)->Unit(benchmark::kMillisecond);

// A checkpoint of state.range(0) MiB.
std::string Checkpoint(int64_t mib) {
  std::string path = absl::StrCat(TestDir("bench_ckpt"), "/w", mib, ".pth");
  WriteTestFile(path, RandomBytes(static_cast<size_t>(mib) << 20, 7));
  return path;
}

void BM_VerifiedSha256FirstTime(benchmark::State& state) {
  const std::string path = Checkpoint(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    (void)std::remove((path + ".record").c_str());
    state.ResumeTiming();
    benchmark::DoNotOptimize(checkpoint::VerifiedSha256(path, path + ".record"));
  }
  state.SetBytesProcessed(state.iterations() * (state.range(0) << 20));
}
BENCHMARK(BM_VerifiedSha256FirstTime)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_VerifiedSha256Reused(benchmark::State& state) {
  const std::string path = Checkpoint(state.range(0));
  // Past the racy window, so that the digest taken next is reused after.
  absl::SleepFor(absl::Milliseconds(1100));
  if (!checkpoint::VerifiedSha256(path, path + ".record").ok()) {
    state.SkipWithError("hashing failed");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(checkpoint::VerifiedSha256(path, path + ".record"));
  }
}
BENCHMARK(BM_VerifiedSha256Reused)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hub
