// Fuzzes ParseSafetensorsHeader: whatever the bytes, it returns, and an
// accepted header describes ranges inside the file that match their shapes
// and don't overlap.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "hub/checkpoint/safetensors.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view file(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hub::checkpoint::SafetensorsHeader> h =
      hub::checkpoint::ParseSafetensorsHeader(file);
  if (!h.ok()) {
    Check(!h.status().message().empty());
    return 0;
  }
  Check(h->data_start >= 8 && h->data_start <= size);
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& t : h->tensors) {
    Check(t.begin <= t.end && t.end <= size - h->data_start);
    uint64_t bytes = c10::elementSize(t.dtype);
    // Even when a 0 dimension empties it, the other dimensions' product (in
    // bytes) fits in int64: strides are computed from it.
    int64_t nonzero_bytes = static_cast<int64_t>(c10::elementSize(t.dtype));
    for (int64_t d : t.shape) {
      Check(d >= 0);
      bytes *= static_cast<uint64_t>(d);
      if (d > 0) Check(!__builtin_mul_overflow(nonzero_bytes, d, &nonzero_bytes));
    }
    Check(bytes == t.end - t.begin);
    if (t.begin != t.end) ranges.emplace_back(t.begin, t.end);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t k = 1; k < ranges.size(); ++k) Check(ranges[k - 1].second <= ranges[k].first);
  return 0;
}
