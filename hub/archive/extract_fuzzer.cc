// Fuzzes ExtractArchive: whatever the bytes, it returns, and nothing is left
// outside the destination (no temporary directory, nothing beside it).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "hub/archive/extract.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// "<$TEST_TMPDIR or /tmp>/extract_fuzzer.<pid>", made once.
const std::string& WorkDir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    auto* d = new std::string(
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/extract_fuzzer.", getpid()));
    std::filesystem::remove_all(*d);
    std::filesystem::create_directories(*d + "/box");
    return d;
  }();
  return *dir;
}

size_t CountEntries(const std::string& dir) {
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir);
       it != std::filesystem::directory_iterator(); ++it) {
    ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& work = WorkDir();
  const std::string input = work + "/input";
  const std::string box = work + "/box";
  const std::string dest = box + "/dest";
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    Check(out.good());
  }
  absl::StatusOr<hub::ExtractResult> r =
      hub::ExtractArchive(input, dest, {.max_entries = 1000, .max_total_bytes = 1 << 20});
  if (r.ok()) {
    Check(std::filesystem::is_directory(std::filesystem::symlink_status(dest)));
    Check(r->entries >= 0 && r->bytes >= 0 && r->bytes <= (1 << 20));
    Check(CountEntries(box) == 1);  // dest and nothing else
  } else {
    Check(!r.status().message().empty());
    Check(CountEntries(box) == 0);  // no dest, no "*.extracting"
  }
  Check(CountEntries(work) == 2);  // "input" and "box": nothing escaped
  std::error_code error;
  std::filesystem::remove_all(dest, error);
  Check(!error);
  return 0;
}
