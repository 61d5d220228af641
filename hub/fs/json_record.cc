#include "hub/fs/json_record.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"

namespace hub {

std::optional<JsonValue> ReadJsonRecord(const std::string& path) {
  const absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  absl::StatusOr<JsonValue> json = ParseJson(*text);
  if (!json.ok() || !json->is_object()) return std::nullopt;
  return *std::move(json);
}

bool AmendJsonRecord(const std::string& record_path, const std::string& lock_path,
                     absl::string_view key, const JsonValue& value,
                     const std::function<bool()>& still_valid) {
  absl::StatusOr<FileLock> lock = FileLock::TryAcquire(lock_path);
  if (!lock.ok() || !still_valid()) return false;
  std::vector<JsonValue::Member> members;
  if (const std::optional<JsonValue> record = ReadJsonRecord(record_path)) {
    for (const JsonValue::Member& m : record->members()) {
      if (m.first != key) members.push_back(m);
    }
  }
  members.emplace_back(std::string(key), value);
  return WriteFileAtomically(record_path,
                             absl::StrCat(RenderJson(JsonValue::Object(std::move(members))), "\n"))
      .ok();
}

}  // namespace hub
