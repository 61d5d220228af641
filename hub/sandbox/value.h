// Plain data across the sandbox's boundary: an entrypoint's arguments on the
// way in, a plain return value (a number, a string, a list of labels) on the
// way out, as bytes inside the protocol's messages (hub/sandbox/protocol.h).
//
//   HUB_ASSIGN_OR_RETURN(std::string bytes, hub::sandbox::EncodeValue(hub::HubValue("a")));
//   HUB_ASSIGN_OR_RETURN(hub::HubValue v, hub::sandbox::ParseValue(bytes));
//
// A value is a tag byte and its body:
//   'N' None | 'T' True | 'F' False | 'I' i64 (big-endian) | 'D' double
//   (IEEE bits, big-endian) | 'S' u32 length + bytes | 'L' u32 count + values
//   | 'M' u32 count + (u32 length + key bytes, value) pairs, order kept.
// Tensors and Python objects have no encoding (kFailedPrecondition): tensors
// cross as checkpoints, modules as TorchScript, objects not at all. The
// parser takes the worker's bytes as hostile: nesting is at most 64 deep, a
// count must fit the bytes left, nothing may be left over; else kDataLoss.
//
// Pure computation: no I/O. Thread-safe.
#ifndef HUB_SANDBOX_VALUE_H_
#define HUB_SANDBOX_VALUE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/hubconf/hubconf.h"

namespace hub::sandbox {

absl::StatusOr<std::string> EncodeValue(const HubValue& value);
absl::StatusOr<HubValue> ParseValue(absl::string_view bytes);

// An entrypoint's *args and **kwargs, as the list [args, {kwargs}].
absl::StatusOr<std::string> EncodeArgs(const HubArgs& args);
absl::StatusOr<HubArgs> ParseArgs(absl::string_view bytes);

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_VALUE_H_
