// UTF-8 validity, by one rule everywhere: shortest form only, no surrogates,
// nothing past U+10FFFF (what Python's str.encode/decode accept).

#ifndef HUB_BASE_UTF8_H_
#define HUB_BASE_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace hub {

// The length (1 to 4) of the valid UTF-8 sequence starting at s[i], or 0 if
// none starts there. `i` must be < s.size().
size_t Utf8SequenceLength(absl::string_view s, size_t i);

bool IsValidUtf8(absl::string_view s);

}  // namespace hub

#endif  // HUB_BASE_UTF8_H_
