// The value a PyTorch checkpoint holds, as an owned C++ tree.
//
// What `torch.load(weights_only=True)` would give in Python, with tensors as
// at::Tensor: None, bool, int, float, str, bytes, list, tuple, dict (keys in
// insertion order, OrderedDict included) and tensors.
//
//   const hub::checkpoint::Value& v = checkpoint.value;
//   if (const hub::checkpoint::Value* sd = v.Find("state_dict")) {
//     for (const auto& [key, value] : sd->entries()) {
//       if (key.is_string() && value.is_tensor()) Use(key.string_value(), value.tensor());
//     }
//   }
//
// A Value owns its children (copying copies the tree; tensors are handles, so
// copies of a tensor share its storage, as in Python). Not thread-safe to
// mutate; concurrent const access is fine.

#ifndef HUB_CHECKPOINT_VALUE_H_
#define HUB_CHECKPOINT_VALUE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/strings/string_view.h"

namespace hub::checkpoint {

class Value {
 public:
  enum class Kind { kNone, kBool, kInt, kDouble, kString, kBytes, kList, kTuple, kDict, kTensor };
  // A dict entry: key, value. Keys are None, bool, int, float, str or bytes.
  using Entry = std::pair<Value, Value>;

  // None.
  Value() = default;

  static Value None() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Double(double d);
  static Value String(std::string s);  // Python str: UTF-8
  static Value Bytes(std::string b);   // Python bytes
  static Value List(std::vector<Value> items);
  static Value Tuple(std::vector<Value> items);
  static Value Dict(std::vector<Entry> entries);
  static Value Tensor(at::Tensor t);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bytes() const { return kind_ == Kind::kBytes; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_tensor() const { return kind_ == Kind::kTensor; }

  // false / 0 / 0.0 unless of that kind.
  bool bool_value() const { return bool_; }
  int64_t int_value() const { return int_; }
  double double_value() const { return double_; }
  // The text of a str, or the bytes of a bytes; "" otherwise.
  const std::string& string_value() const { return string_; }
  // The elements of a list or tuple; empty otherwise.
  const std::vector<Value>& items() const { return items_; }
  // The entries of a dict, in insertion order; empty otherwise.
  const std::vector<Entry>& entries() const { return entries_; }
  // The tensor; an undefined tensor unless kTensor.
  const at::Tensor& tensor() const { return tensor_; }

  // The value under the str key `key` of a dict; nullptr when this is not a
  // dict or has no such key.
  const Value* Find(absl::string_view key) const;

  // A short, human-readable rendering for messages and debugging, e.g.
  // {'a': tensor(float32[2, 3]), 'b': 3}. Long containers are elided.
  std::string DebugString() const;

  // The lower-case name of a kind: "none", "bool", ..., "tensor".
  static const char* KindName(Kind kind);

 private:
  Kind kind_ = Kind::kNone;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<Value> items_;
  std::vector<Entry> entries_;
  at::Tensor tensor_;
};

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_VALUE_H_
