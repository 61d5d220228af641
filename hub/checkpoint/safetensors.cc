#include "hub/checkpoint/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"

namespace hub::checkpoint {
namespace {

constexpr uint64_t kMaxHeader = 100'000'000;
// JSON numbers are doubles: integers above 2^53 are not exact.
constexpr double kMaxExactInt = 9007199254740992.0;
constexpr size_t kMaxDims = 64;

absl::Status Bad(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("invalid safetensors file: ", what));
}

bool DtypeFromName(absl::string_view name, c10::ScalarType* dtype) {
  static constexpr struct {
    const char* name;
    c10::ScalarType dtype;
  } kDtypes[] = {
      {"F16", c10::ScalarType::Half},  {"BF16", c10::ScalarType::BFloat16},
      {"F32", c10::ScalarType::Float}, {"F64", c10::ScalarType::Double},
      {"I8", c10::ScalarType::Char},   {"U8", c10::ScalarType::Byte},
      {"I16", c10::ScalarType::Short}, {"I32", c10::ScalarType::Int},
      {"I64", c10::ScalarType::Long},  {"BOOL", c10::ScalarType::Bool},
  };
  for (const auto& d : kDtypes) {
    if (name == d.name) {
      *dtype = d.dtype;
      return true;
    }
  }
  return false;
}

absl::StatusOr<uint64_t> ExactUint(const JsonValue& v, absl::string_view what) {
  if (!v.is_number() || v.number_value() < 0 || v.number_value() > kMaxExactInt ||
      std::floor(v.number_value()) != v.number_value()) {
    return Bad(absl::StrCat(what, " is not a non-negative integer"));
  }
  return static_cast<uint64_t>(v.number_value());
}

absl::StatusOr<SafetensorsTensor> ParseTensor(const std::string& name, const JsonValue& v,
                                              uint64_t data_size) {
  SafetensorsTensor t;
  t.name = name;
  if (!v.is_object()) return Bad(absl::StrCat("\"", name, "\" is not an object"));
  const JsonValue* dtype = v.Find("dtype");
  const JsonValue* shape = v.Find("shape");
  const JsonValue* offsets = v.Find("data_offsets");
  if (dtype == nullptr || shape == nullptr || offsets == nullptr) {
    return Bad(absl::StrCat("\"", name, "\" lacks dtype, shape or data_offsets"));
  }
  if (!dtype->is_string() || !DtypeFromName(dtype->string_value(), &t.dtype)) {
    return Bad(absl::StrCat("\"", name, "\" has unsupported dtype ",
                            dtype->is_string() ? dtype->string_value() : "(not a string)",
                            "; supported: F16 BF16 F32 F64 I8 U8 I16 I32 I64 BOOL"));
  }
  if (!shape->is_array() || shape->array().size() > kMaxDims) {
    return Bad(absl::StrCat("\"", name, "\" has a malformed shape"));
  }
  for (const JsonValue& d : shape->array()) {
    // At most 2^53, so it fits in int64.
    HUB_ASSIGN_OR_RETURN(uint64_t dim, ExactUint(d, absl::StrCat("a dimension of \"", name, "\"")));
    t.shape.push_back(static_cast<int64_t>(dim));
  }
  // A zero dimension makes the tensor empty, but its other dimensions still
  // multiply into its contiguous strides (and PyTorch's numel): their
  // product, in bytes, must fit in int64 whether or not the tensor is empty.
  int64_t nonzero_bytes = static_cast<int64_t>(c10::elementSize(t.dtype));
  bool empty = false;
  for (const int64_t dim : t.shape) {
    if (dim == 0) {
      empty = true;
    } else if (__builtin_mul_overflow(nonzero_bytes, dim, &nonzero_bytes)) {
      return Bad(
          absl::StrCat("\"", name, "\" has a shape too large: [", absl::StrJoin(t.shape, ", "),
                       "] (its non-zero dimensions times its item size overflow int64, even when "
                       "a zero dimension empties it)"));
    }
  }
  const uint64_t bytes = empty ? 0 : static_cast<uint64_t>(nonzero_bytes);
  if (!offsets->is_array() || offsets->array().size() != 2) {
    return Bad(absl::StrCat("\"", name, "\"'s data_offsets is not [begin, end]"));
  }
  HUB_ASSIGN_OR_RETURN(t.begin, ExactUint(offsets->array()[0], "a data offset"));
  HUB_ASSIGN_OR_RETURN(t.end, ExactUint(offsets->array()[1], "a data offset"));
  if (t.begin > t.end || t.end > data_size) {
    return Bad(absl::StrCat("\"", name, "\" has data_offsets [", t.begin, ", ", t.end,
                            "] outside the ", data_size, " bytes of tensor data"));
  }
  if (t.end - t.begin != bytes) {
    return Bad(absl::StrCat("\"", name, "\" has ", t.end - t.begin,
                            " bytes but its dtype and shape need ", bytes));
  }
  return t;
}

}  // namespace

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(absl::string_view file) {
  if (file.size() < 8) return Bad("shorter than its 8-byte header length");
  uint64_t n = 0;
  for (int k = 0; k < 8; ++k) n |= static_cast<uint64_t>(static_cast<uint8_t>(file[k])) << (8 * k);
  if (n > kMaxHeader) {
    return Bad(absl::StrCat("header length ", n, " exceeds the limit of ", kMaxHeader, " bytes"));
  }
  if (n > file.size() - 8) {
    return Bad(absl::StrCat("header length ", n, " but the file has only ", file.size() - 8,
                            " bytes after it (truncated?)"));
  }
  absl::StatusOr<JsonValue> json = ParseJson(file.substr(8, n));
  if (!json.ok()) return Bad(absl::StrCat("header: ", json.status().message()));
  if (!json->is_object()) return Bad("the header is not a JSON object");
  SafetensorsHeader header;
  header.data_start = 8 + n;
  const uint64_t data_size = file.size() - header.data_start;
  absl::flat_hash_set<std::string> names;
  for (const auto& [name, v] : json->members()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return Bad("__metadata__ is not an object");
      for (const auto& [key, value] : v.members()) {
        if (!value.is_string())
          return Bad(absl::StrCat("__metadata__ \"", key, "\" is not a string"));
        header.metadata.emplace_back(key, value.string_value());
      }
      continue;
    }
    if (!names.insert(name).second) return Bad(absl::StrCat("tensor \"", name, "\" appears twice"));
    HUB_ASSIGN_OR_RETURN(SafetensorsTensor t, ParseTensor(name, v, data_size));
    header.tensors.push_back(std::move(t));
  }
  std::vector<const SafetensorsTensor*> by_begin;
  by_begin.reserve(header.tensors.size());
  for (const SafetensorsTensor& t : header.tensors) {
    if (t.begin != t.end) by_begin.push_back(&t);  // empty tensors can't overlap anything
  }
  std::sort(
      by_begin.begin(), by_begin.end(),
      [](const SafetensorsTensor* a, const SafetensorsTensor* b) { return a->begin < b->begin; });
  for (size_t k = 1; k < by_begin.size(); ++k) {
    if (by_begin[k]->begin < by_begin[k - 1]->end) {
      return Bad(absl::StrCat("tensors \"", by_begin[k - 1]->name, "\" and \"", by_begin[k]->name,
                              "\" overlap"));
    }
  }
  return header;
}

}  // namespace hub::checkpoint
