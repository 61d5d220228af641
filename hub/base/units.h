// Sizes and durations as people type and read them on a command line.
//
//   *hub::ParseByteSize("10G");    // 10737418240 (1024-based, as du and ls -h)
//   *hub::ParseByteSize("500MB");  // 500000000
//   *hub::ParseAge("30d");         // absl::Hours(720)
//   hub::FormatBytes(1536);        // "1.50KiB"
//
// Pure computation.

#ifndef HUB_BASE_UNITS_H_
#define HUB_BASE_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

// "30d", "12h", "90m", "1w", "1.5d", and absl::ParseDuration's forms
// ("1h30m", "45s"). kInvalidArgument for anything else, or a negative one.
absl::StatusOr<absl::Duration> ParseAge(absl::string_view text);

// Bytes: "123", "500K", "500M", "10G", "1T" (powers of 1024, as du and ls -h
// count; also "KiB", "MiB", "GiB", "TiB", with or without the "B"), "500KB",
// "500MB", "10GB", "1TB" (powers of 1000); fractions ("1.5GiB") allowed,
// case ignored. kInvalidArgument for anything else, or too large.
absl::StatusOr<int64_t> ParseByteSize(absl::string_view text);

// Byte counts as tqdm shows them with unit_scale and unit_divisor=1024, in
// binary units, 3 significant digits: "0B", "512B", "999B", "0.98KiB"
// (1000 B), "1.00KiB", "10.5MiB", "1.23GiB", "1.50TiB". Negative: "?B".
std::string FormatBytes(int64_t bytes);

// tqdm's format_sizeof with divisor 1024 and binary prefixes: `num` in
// three significant digits, then "Ki", "Mi"... and `suffix` ("B", "B/s").
std::string FormatBinaryScaled(double num, absl::string_view suffix);

}  // namespace hub

#endif  // HUB_BASE_UNITS_H_
