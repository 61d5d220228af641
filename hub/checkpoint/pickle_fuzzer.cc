// Fuzzes Unpickle: whatever the bytes, it returns (no crash, no huge
// allocation, no deep recursion), and a result is consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <c10/core/CPUAllocator.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hub/checkpoint/pickle.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Zero-filled storages of what the pickle asks for, up to a small size.
class FuzzStorages : public hub::checkpoint::StorageLoader {
 public:
  absl::StatusOr<hub::checkpoint::StorageRef> Load(
      const hub::checkpoint::StorageRequest& r) override {
    if (r.numel > (1 << 16)) return absl::DataLossError("too large for the fuzzer");
    auto it = storages_.find(r.key);
    if (it == storages_.end()) {
      const size_t bytes = static_cast<size_t>(r.numel) * c10::elementSize(r.dtype);
      at::Storage s(c10::Storage::use_byte_size_t(), static_cast<int64_t>(bytes),
                    c10::GetCPUAllocator(), false);
      if (bytes > 0) std::memset(s.data(), 0, bytes);
      it = storages_.emplace(r.key, std::move(s)).first;
    }
    if (it->second.nbytes() != static_cast<size_t>(r.numel) * c10::elementSize(r.dtype)) {
      return absl::DataLossError("size differs");
    }
    hub::checkpoint::StorageRef ref;
    ref.storage = it->second;
    ref.dtype = r.dtype;
    ref.numel = r.numel;
    return ref;
  }

 private:
  absl::flat_hash_map<std::string, at::Storage> storages_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzStorages storages;
  // A smaller floor than the default keeps each growth bomb (see the
  // growth_* seeds) to about a megabyte of work, so mutations run fast.
  absl::StatusOr<hub::checkpoint::UnpickleResult> r = hub::checkpoint::Unpickle(
      absl::string_view(reinterpret_cast<const char*>(data), size), &storages,
      {.max_values = 1 << 16, .max_depth = 100, .work_floor = 1 << 20});
  if (r.ok()) {
    Check(r->bytes_read >= 1 && r->bytes_read <= size);
    Check(data[r->bytes_read - 1] == '.');
    Check(!r->value.DebugString().empty());
  } else {
    Check(!r.status().message().empty());
  }
  return 0;
}
