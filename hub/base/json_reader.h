// Reading JSON: GitHub REST API responses and small metadata files.
//
//   absl::StatusOr<hub::JsonValue> v = hub::ParseJson(body);
//   if (!v.ok()) return v.status();
//   for (const hub::JsonValue& branch : v->array()) {
//     std::optional<std::string> name = branch.GetString({"name"});
//     std::optional<std::string> sha = branch.GetString({"commit", "sha"});
//   }
//
// The parser is strict RFC 8259: exactly one value, optionally surrounded by
// whitespace; no comments, trailing commas, single quotes, NaN or Infinity.
// It is meant for outside bytes: it never crashes, and nesting deeper than
// kMaxJsonDepth arrays/objects is an error (so recursion is bounded).
//
// Strings must be valid UTF-8 and must not hold raw control characters
// (< 0x20). Escapes are decoded, \uXXXX included; a surrogate pair becomes one
// code point, and a lone surrogate (a high one not followed by a low one, or a
// low one on its own) is an error rather than U+FFFD, except \udc80-\udcff:
// JsonString's escapes for bytes that are not UTF-8 (hub/base/json.h), read
// back as those bytes. \u0000 is accepted and gives a NUL byte in the string.
//
// Numbers must match the RFC grammar (no leading zeros, no '+', no bare '.')
// and are held as double; a number whose magnitude overflows a double is an
// error, one that underflows becomes 0.
//
// Errors are absl::InvalidArgumentError("JSON: <what was expected> at byte N"),
// N being the 0-based byte offset into the input.

#ifndef HUB_BASE_JSON_READER_H_
#define HUB_BASE_JSON_READER_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

// Arrays and objects may nest this deep; one more level is an error.
inline constexpr int kMaxJsonDepth = 64;

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  // A null.
  JsonValue() = default;

  static JsonValue Null() { return JsonValue(); }
  static JsonValue Bool(bool b);
  static JsonValue Number(double n);
  static JsonValue String(std::string s);
  static JsonValue Array(std::vector<JsonValue> elements);
  static JsonValue Object(std::vector<Member> members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // false unless kBool.
  bool bool_value() const { return bool_; }
  // 0 unless kNumber.
  double number_value() const { return number_; }
  // "" unless kString; UTF-8 with escapes decoded.
  const std::string& string_value() const { return string_; }
  // Empty unless kArray.
  const std::vector<JsonValue>& array() const { return array_; }
  // Empty unless kObject. In document order, duplicates included.
  const std::vector<Member>& members() const { return members_; }

  // The value of `key` (the last one if the key repeats); nullptr if absent or
  // this is not an object.
  const JsonValue* Find(absl::string_view key) const;
  // Find applied key by key; an empty path gives this value. nullptr if any
  // step is missing or not an object.
  const JsonValue* FindPath(std::initializer_list<absl::string_view> path) const;
  // The string / bool at `path`, e.g. GetString({"commit", "sha"}); nullopt if
  // any step is missing or the value is not of that type.
  std::optional<std::string> GetString(std::initializer_list<absl::string_view> path) const;
  std::optional<bool> GetBool(std::initializer_list<absl::string_view> path) const;

  // Deep equality; object members compare in order.
  friend bool operator==(const JsonValue& a, const JsonValue& b);
  friend bool operator!=(const JsonValue& a, const JsonValue& b) { return !(a == b); }

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<Member> members_;
};

// Parses one JSON document (see the top of this file for what is accepted).
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

// `value` as compact JSON (hub/base/json.h's writer): ParseJson reads it
// back equal. Integral numbers up to 2^53 print as integers, others with
// 17 significant digits.
std::string RenderJson(const JsonValue& value);

}  // namespace hub

#endif  // HUB_BASE_JSON_READER_H_
