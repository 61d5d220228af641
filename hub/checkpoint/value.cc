#include "hub/checkpoint/value.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/ScalarType.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hub::checkpoint {
namespace {

constexpr size_t kMaxShownItems = 8;
constexpr int kMaxShownDepth = 6;

void Render(const Value& v, int depth, std::string* out);

void RenderItems(const std::vector<Value>& items, int depth, std::string* out) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i == kMaxShownItems) {
      absl::StrAppend(out, ", ... (", items.size(), " items)");
      return;
    }
    if (i > 0) out->append(", ");
    Render(items[i], depth + 1, out);
  }
}

void Render(const Value& v, int depth, std::string* out) {
  if (depth > kMaxShownDepth) {
    out->append("...");
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kNone:
      out->append("None");
      return;
    case Value::Kind::kBool:
      out->append(v.bool_value() ? "True" : "False");
      return;
    case Value::Kind::kInt:
      absl::StrAppend(out, v.int_value());
      return;
    case Value::Kind::kDouble:
      absl::StrAppend(out, v.double_value());
      return;
    case Value::Kind::kString:
      absl::StrAppend(out, "'", v.string_value().substr(0, 64), "'");
      return;
    case Value::Kind::kBytes:
      absl::StrAppend(out, "bytes(", v.string_value().size(), ")");
      return;
    case Value::Kind::kList:
      out->append("[");
      RenderItems(v.items(), depth, out);
      out->append("]");
      return;
    case Value::Kind::kTuple:
      out->append("(");
      RenderItems(v.items(), depth, out);
      out->append(")");
      return;
    case Value::Kind::kDict: {
      out->append("{");
      const auto& entries = v.entries();
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i == kMaxShownItems) {
          absl::StrAppend(out, ", ... (", entries.size(), " entries)");
          break;
        }
        if (i > 0) out->append(", ");
        Render(entries[i].first, depth + 1, out);
        out->append(": ");
        Render(entries[i].second, depth + 1, out);
      }
      out->append("}");
      return;
    }
    case Value::Kind::kTensor: {
      const at::Tensor& t = v.tensor();
      if (!t.defined()) {
        out->append("tensor(undefined)");
        return;
      }
      absl::StrAppend(out, "tensor(", c10::toString(t.scalar_type()), "[",
                      absl::StrJoin(t.sizes(), ", "), "])");
      return;
    }
  }
}

}  // namespace

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = i;
  return v;
}

Value Value::Double(double d) {
  Value v;
  v.kind_ = Kind::kDouble;
  v.double_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = std::move(s);
  return v;
}

Value Value::Bytes(std::string b) {
  Value v;
  v.kind_ = Kind::kBytes;
  v.string_ = std::move(b);
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  v.items_ = std::move(items);
  return v;
}

Value Value::Tuple(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kTuple;
  v.items_ = std::move(items);
  return v;
}

Value Value::Dict(std::vector<Entry> entries) {
  Value v;
  v.kind_ = Kind::kDict;
  v.entries_ = std::move(entries);
  return v;
}

Value Value::Tensor(at::Tensor t) {
  Value v;
  v.kind_ = Kind::kTensor;
  v.tensor_ = std::move(t);
  return v;
}

const Value* Value::Find(absl::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.first.is_string() && e.first.string_value() == key) return &e.second;
  }
  return nullptr;
}

std::string Value::DebugString() const {
  std::string out;
  Render(*this, 0, &out);
  return out;
}

const char* Value::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "none";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kDouble:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kTensor:
      return "tensor";
  }
  return "?";
}

}  // namespace hub::checkpoint
