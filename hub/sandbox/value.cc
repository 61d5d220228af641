#include "hub/sandbox/value.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/status_macros.h"

namespace hub::sandbox {
namespace {

constexpr int kMaxDepth = 64;

void PutU64(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBytes(absl::string_view s, std::string* out) {
  PutU64(s.size(), 4, out);
  out->append(s.data(), s.size());
}

absl::Status Encode(const HubValue& value, int depth, std::string* out) {
  if (depth > kMaxDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("a value nested more than ", kMaxDepth, " deep cannot cross the sandbox"));
  }
  const HubValue::Variant& v = value.variant();
  if (std::holds_alternative<std::monostate>(v)) {
    out->push_back('N');
  } else if (const bool* b = std::get_if<bool>(&v)) {
    out->push_back(*b ? 'T' : 'F');
  } else if (const int64_t* i = std::get_if<int64_t>(&v)) {
    out->push_back('I');
    PutU64(static_cast<uint64_t>(*i), 8, out);
  } else if (const double* d = std::get_if<double>(&v)) {
    uint64_t bits = 0;
    std::memcpy(&bits, d, sizeof(bits));
    out->push_back('D');
    PutU64(bits, 8, out);
  } else if (const std::string* s = std::get_if<std::string>(&v)) {
    out->push_back('S');
    PutBytes(*s, out);
  } else if (const HubValue::List* l = std::get_if<HubValue::List>(&v)) {
    out->push_back('L');
    PutU64(l->size(), 4, out);
    for (const HubValue& e : *l) HUB_RETURN_IF_ERROR(Encode(e, depth + 1, out));
  } else if (const HubValue::Dict* m = std::get_if<HubValue::Dict>(&v)) {
    out->push_back('M');
    PutU64(m->size(), 4, out);
    for (const auto& [key, e] : *m) {
      PutBytes(key, out);
      HUB_RETURN_IF_ERROR(Encode(e, depth + 1, out));
    }
  } else {
    return absl::FailedPreconditionError(absl::StrCat(
        "a ", value.DebugString(),
        " inside plain data cannot cross the sandbox (only None, bools, numbers, strings, lists "
        "and dicts do)"));
  }
  return absl::OkStatus();
}

class Parser {
 public:
  explicit Parser(absl::string_view data) : data_(data) {}

  absl::StatusOr<HubValue> Value(int depth) {
    if (depth > kMaxDepth) return Bad(absl::StrCat("nested more than ", kMaxDepth, " deep"));
    if (data_.empty()) return Bad("ends inside a value");
    const char tag = data_[0];
    data_.remove_prefix(1);
    switch (tag) {
      case 'N':
        return HubValue();
      case 'T':
        return HubValue(true);
      case 'F':
        return HubValue(false);
      case 'I': {
        HUB_ASSIGN_OR_RETURN(const uint64_t v, Number(8));
        return HubValue(static_cast<int64_t>(v));
      }
      case 'D': {
        HUB_ASSIGN_OR_RETURN(const uint64_t bits, Number(8));
        double d = 0;
        std::memcpy(&d, &bits, sizeof(d));
        return HubValue(d);
      }
      case 'S': {
        HUB_ASSIGN_OR_RETURN(std::string s, Bytes());
        return HubValue(std::move(s));
      }
      case 'L': {
        HUB_ASSIGN_OR_RETURN(const uint64_t count, Count(1));
        HubValue::List list;
        list.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
          HUB_ASSIGN_OR_RETURN(HubValue e, Value(depth + 1));
          list.push_back(std::move(e));
        }
        return HubValue(std::move(list));
      }
      case 'M': {
        HUB_ASSIGN_OR_RETURN(const uint64_t count, Count(5));
        HubValue::Dict dict;
        dict.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
          HUB_ASSIGN_OR_RETURN(std::string key, Bytes());
          HUB_ASSIGN_OR_RETURN(HubValue e, Value(depth + 1));
          dict.emplace_back(std::move(key), std::move(e));
        }
        return HubValue(std::move(dict));
      }
      default:
        return Bad(
            absl::StrCat("has an unknown tag ", static_cast<int>(static_cast<uint8_t>(tag))));
    }
  }

  absl::Status Done() const {
    if (data_.empty()) return absl::OkStatus();
    return Bad(absl::StrCat("has ", data_.size(), " unexpected bytes at its end"));
  }

 private:
  static absl::Status Bad(absl::string_view what) {
    return absl::DataLossError(absl::StrCat("the sandbox's value ", what, " (malformed)"));
  }

  absl::StatusOr<uint64_t> Number(int bytes) {
    if (data_.size() < static_cast<size_t>(bytes)) return Bad("ends inside a number");
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[i]);
    data_.remove_prefix(static_cast<size_t>(bytes));
    return v;
  }

  // A count of elements each at least `min_bytes` long: one that cannot fit
  // is refused before anything is reserved.
  absl::StatusOr<uint64_t> Count(size_t min_bytes) {
    HUB_ASSIGN_OR_RETURN(const uint64_t count, Number(4));
    if (count > data_.size() / min_bytes) return Bad("has a count larger than its bytes");
    return count;
  }

  absl::StatusOr<std::string> Bytes() {
    HUB_ASSIGN_OR_RETURN(const uint64_t size, Number(4));
    if (size > data_.size()) return Bad("ends inside a string");
    std::string s(data_.substr(0, size));
    data_.remove_prefix(size);
    return s;
  }

  absl::string_view data_;
};

}  // namespace

absl::StatusOr<std::string> EncodeValue(const HubValue& value) {
  std::string out;
  HUB_RETURN_IF_ERROR(Encode(value, 0, &out));
  return out;
}

absl::StatusOr<HubValue> ParseValue(absl::string_view bytes) {
  Parser p(bytes);
  HUB_ASSIGN_OR_RETURN(HubValue v, p.Value(0));
  HUB_RETURN_IF_ERROR(p.Done());
  return v;
}

absl::StatusOr<std::string> EncodeArgs(const HubArgs& args) {
  HubValue::Dict kwargs(args.kwargs.begin(), args.kwargs.end());
  return EncodeValue(HubValue(HubValue::List{HubValue(args.args), HubValue(std::move(kwargs))}));
}

absl::StatusOr<HubArgs> ParseArgs(absl::string_view bytes) {
  HUB_ASSIGN_OR_RETURN(const HubValue v, ParseValue(bytes));
  const HubValue::List* both = v.get_if<HubValue::List>();
  if (both == nullptr || both->size() != 2 || (*both)[0].get_if<HubValue::List>() == nullptr ||
      (*both)[1].get_if<HubValue::Dict>() == nullptr) {
    return absl::DataLossError("the sandbox's arguments are not [args, {kwargs}]");
  }
  HubArgs args;
  args.args = *(*both)[0].get_if<HubValue::List>();
  args.kwargs = *(*both)[1].get_if<HubValue::Dict>();
  return args;
}

}  // namespace hub::sandbox
