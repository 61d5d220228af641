// Fuzzes ParseJson: it must never crash, errors are InvalidArgument with a
// message, and every string it yields (values and keys) is valid UTF-8 that
// survives the JSON writer and a second parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckStringRoundTrips(const std::string& s) {
  absl::StatusOr<hub::JsonValue> again = hub::ParseJson(hub::JsonString(s));
  Check(again.ok() && again->is_string() && again->string_value() == s);
}

// Depth is bounded by hub::kMaxJsonDepth, so recursion here is too.
void CheckValue(const hub::JsonValue& v, int depth) {
  Check(depth <= hub::kMaxJsonDepth);
  if (v.is_string()) {
    CheckStringRoundTrips(v.string_value());
  } else if (v.is_array()) {
    for (const hub::JsonValue& e : v.array()) CheckValue(e, depth + 1);
  } else if (v.is_object()) {
    for (const auto& [key, value] : v.members()) {
      CheckStringRoundTrips(key);
      Check(v.Find(key) != nullptr);
      CheckValue(value, depth + 1);
    }
  } else {
    Check(v.string_value().empty() && v.array().empty() && v.members().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hub::JsonValue> v = hub::ParseJson(input);
  if (!v.ok()) {
    Check(v.status().code() == absl::StatusCode::kInvalidArgument);
    Check(absl::StartsWith(v.status().message(), "JSON: expected "));
    return 0;
  }
  CheckValue(*v, 0);
  // Parsing is deterministic.
  absl::StatusOr<hub::JsonValue> again = hub::ParseJson(input);
  Check(again.ok() && *again == *v);
  return 0;
}
