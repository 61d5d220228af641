// A fuzz target with a known bug, for replay_main_test: it aborts on every
// input that contains "CRASH" and on the empty input.

#include <cstdlib>
#include <string_view>

#include "tools/fuzzing/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.empty() || input.find("CRASH") != std::string_view::npos) std::abort();
  return 0;
}
