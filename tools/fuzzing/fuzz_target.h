// The entry point every fuzz target defines (libFuzzer's interface).
//
//   #include "tools/fuzzing/fuzz_target.h"
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     ...  // call the parser; abort() when an invariant breaks
//     return 0;
//   }

#ifndef TOOLS_FUZZING_FUZZ_TARGET_H_
#define TOOLS_FUZZING_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // TOOLS_FUZZING_FUZZ_TARGET_H_
