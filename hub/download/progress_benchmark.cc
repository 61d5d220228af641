// Benchmarks ProgressDisplay::Update, which runs once per chunk received.
#include <cstdint>
#include <ostream>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "hub/download/progress.h"

namespace {

using ::hub::ProgressDisplay;

void BM_Update(benchmark::State& state, ProgressDisplay::Style style,
               absl::Duration min_redraw_interval) {
  std::ostream null(nullptr);  // no buffer: writes are dropped
  ProgressDisplay progress(&null, {.style = style,
                                   .label = "resnet50-0676ba61.pth",
                                   .min_redraw_interval = min_redraw_interval});
  progress.Start(int64_t{1} << 50);
  int64_t bytes = 0;
  for (auto _ : state) {
    bytes += 16384;
    progress.Update(bytes);
    benchmark::ClobberMemory();
  }
  progress.Finish(true);
  state.SetItemsProcessed(state.iterations());
}

void BM_UpdateBar(benchmark::State& state) {
  BM_Update(state, ProgressDisplay::Style::kBar, absl::Milliseconds(100));
}
BENCHMARK(BM_UpdateBar);

void BM_UpdateLines(benchmark::State& state) {
  BM_Update(state, ProgressDisplay::Style::kLines, absl::Milliseconds(100));
}
BENCHMARK(BM_UpdateLines);

void BM_UpdateNone(benchmark::State& state) {
  BM_Update(state, ProgressDisplay::Style::kNone, absl::Milliseconds(100));
}
BENCHMARK(BM_UpdateNone);

// Redraws at every clock read: the cost of formatting a bar, spread over the
// calls between reads.
void BM_UpdateBarAlwaysRedraw(benchmark::State& state) {
  BM_Update(state, ProgressDisplay::Style::kBar, absl::ZeroDuration());
}
BENCHMARK(BM_UpdateBarAlwaysRedraw);

}  // namespace
