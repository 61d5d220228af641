// SHA-256 throughput on the build's crypto backend, for chunk sizes a
// download sees (curl hands over up to 512 KiB at a time).
#include <string>

#include "benchmark/benchmark.h"
#include "hub/hash/sha256.h"

namespace {

void BM_Sha256(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  hub::Sha256 hasher;
  for (auto _ : state) {
    hasher.Update(data);
  }
  benchmark::DoNotOptimize(hasher.Finish());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(hub::CryptoBackendName());
}
BENCHMARK(BM_Sha256)->Arg(64)->Arg(16 << 10)->Arg(512 << 10)->Arg(16 << 20);

}  // namespace
