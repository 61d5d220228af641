// Fuzzes LoadCheckpoint over whole files (zip directory, legacy layout,
// safetensors): whatever the bytes, it returns, and every loaded tensor lies
// inside its storage.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "hub/checkpoint/checkpoint.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

const std::string& InputPath() {
  static const std::string* path = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    return new std::string(absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                        "/checkpoint_fuzzer.", getpid()));
  }();
  return *path;
}

void CheckValue(const hub::checkpoint::Value& v) {
  for (const auto& item : v.items()) CheckValue(item);
  for (const auto& [key, value] : v.entries()) {
    CheckValue(key);
    CheckValue(value);
  }
  if (v.is_tensor()) {
    const at::Tensor& t = v.tensor();
    Check(t.defined());
    if (t.numel() > 0) {
      int64_t last = t.storage_offset();
      for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.stride(d);
      Check(static_cast<uint64_t>(last + 1) * t.element_size() <= t.storage().nbytes());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(InputPath(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    Check(out.good());
  }
  hub::checkpoint::LoadOptions options;
  options.unpickle.max_values = 1 << 16;
  options.unpickle.max_depth = 100;
  absl::StatusOr<hub::checkpoint::Checkpoint> ckpt =
      hub::checkpoint::LoadCheckpoint(InputPath(), options);
  if (ckpt.ok()) {
    CheckValue(ckpt->value);
  } else {
    Check(!ckpt.status().message().empty());
  }
  return 0;
}
