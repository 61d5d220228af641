// Proves Debian's Google Benchmark links and runs.
#include <numeric>
#include <vector>

#include "benchmark/benchmark.h"

namespace {

void BM_Accumulate(benchmark::State& state) {
  std::vector<int> v(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0) * static_cast<int64_t>(sizeof(int)));
}
BENCHMARK(BM_Accumulate)->Arg(1 << 10);

}  // namespace
