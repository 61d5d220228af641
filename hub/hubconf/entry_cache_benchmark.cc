// The entrypoint cache's warm path: what a cached `torchhub list` costs
// besides process start-up. A repo of 400 source files (about torchvision's
// size) and an environment of 1,500 module files (about what importing
// torch loads).
#include <dirent.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "hub/base/test_dirs.h"
#include "hub/hubconf/entry_cache.h"

namespace hub {
namespace {

using ::hub::testing::RandomBytes;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;

struct Setup {
  std::string repo;
  std::string cache_dir;
  HubconfDescription description;

  Setup() : repo(TestDir("bench_repo")), cache_dir(TestDir("bench_cache")) {
    WriteTestFile(absl::StrCat(repo, "/hubconf.py"), "def a():\n    pass\n");
    for (int i = 0; i < 400; ++i) {
      WriteTestFile(absl::StrCat(repo, "/pkg", i % 20, "/mod", i, ".py"),
                    RandomBytes(6000, static_cast<uint32_t>(i)));
    }
    const std::string site = TestDir("bench_site");
    for (int i = 0; i < 1500; ++i) {
      const std::string f = absl::StrCat(site, "/m", i, ".py");
      WriteTestFile(f, "X = 1\n");
      description.module_files.push_back(f);
    }
    description.entrypoints = {"a"};
    description.docs = {{"a", std::nullopt}};
    description.sys_path = {site};
  }
};

Setup& GetSetup() {
  static Setup* const setup = new Setup();
  return *setup;
}

void BM_RepoContentDigest(benchmark::State& state) {
  Setup& s = GetSetup();
  for (auto _ : state) benchmark::DoNotOptimize(RepoContentDigest(s.repo));
  state.SetBytesProcessed(state.iterations() * 400 * 6000);
}
BENCHMARK(BM_RepoContentDigest)->Unit(benchmark::kMillisecond);

void BM_LookupHit(benchmark::State& state) {
  Setup& s = GetSetup();
  const EntryCache cache(s.cache_dir);
  if (!cache.Store(s.repo, "py", s.description).ok()) {
    state.SkipWithError("store failed");
    return;
  }
  for (auto _ : state) {
    auto hit = cache.Lookup(s.repo, "py");
    if (!hit.ok() || !hit->has_value()) {
      state.SkipWithError("not a hit");
      return;
    }
  }
}
BENCHMARK(BM_LookupHit)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hub
