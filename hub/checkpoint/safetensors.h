// The header of a safetensors file, parsed and checked against the file.
//
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::SafetensorsHeader h,
//                        hub::checkpoint::ParseSafetensorsHeader(file_bytes));
//   for (const auto& t : h.tensors) { ...file_bytes.substr(h.data_start + t.begin, ...)... }
//
// Layout: 8 bytes little-endian N, N bytes of JSON, then the tensor bytes.
// The JSON maps tensor names to {"dtype", "shape", "data_offsets": [begin,
// end]} (offsets relative to the byte after the header), plus an optional
// "__metadata__" of string to string. Everything is checked: N fits the file
// and at most 100 MB (the safetensors library's limit), dtypes are known,
// shapes are non-negative integers, each range lies inside the data, holds
// exactly shape * itemsize bytes and overlaps no other. A dimension of 0
// makes a tensor empty (0 bytes), yet the product of its other dimensions
// times the item size must still fit in int64: it sizes the tensor's
// strides, so [0, 2^40, 2^40] is refused while [0, 2^40, 4096] loads.

#ifndef HUB_CHECKPOINT_SAFETENSORS_H_
#define HUB_CHECKPOINT_SAFETENSORS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/ScalarType.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub::checkpoint {

struct SafetensorsTensor {
  std::string name;
  c10::ScalarType dtype = c10::ScalarType::Float;
  std::vector<int64_t> shape;
  // Byte range relative to SafetensorsHeader::data_start.
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct SafetensorsHeader {
  // In the header's order.
  std::vector<SafetensorsTensor> tensors;
  // "__metadata__", in the header's order.
  std::vector<std::pair<std::string, std::string>> metadata;
  // Offset in the file of the first tensor byte (8 + N).
  uint64_t data_start = 0;
};

// Parses and checks the header of the safetensors file whose bytes are
// `file` (the whole file: ranges are checked against its size). kDataLoss
// for every inconsistency, naming the tensor (and its shape, when that is
// what is wrong).
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(absl::string_view file);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_SAFETENSORS_H_
