#include "hub/fs/json_record.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/status_macros.h"
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
                     const std::function<bool()>& still_valid,
                     const std::string& legacy_lock_path) {
  absl::StatusOr<FileLock> lock = FileLock::TryAcquireWithLegacy(lock_path, legacy_lock_path);
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

namespace {
absl::Time (*digest_clock)() = nullptr;
}  // namespace

void SetDigestClockForTesting(absl::Time (*now)()) { digest_clock = now; }

absl::StatusOr<std::string> RecordedDigest(
    const std::string& record_path, const std::string& lock_path, absl::string_view what,
    const std::function<absl::StatusOr<Fingerprint>()>& fingerprint,
    const std::function<absl::StatusOr<std::string>()>& compute,
    const std::string& legacy_lock_path) {
  constexpr absl::Duration kRacyWindow = absl::Seconds(1);
  HUB_ASSIGN_OR_RETURN(const Fingerprint before, fingerprint());
  if (const std::optional<JsonValue> record = ReadJsonRecord(record_path)) {
    const std::optional<std::string> signature = record->GetString({"verified", "signature"});
    const std::optional<std::string> digest = record->GetString({"verified", "sha256"});
    const std::optional<std::string> at = record->GetString({"verified", "hashed_at_ns"});
    int64_t at_ns = 0;
    if (signature == before.signature && digest.has_value() && at.has_value() &&
        absl::SimpleAtoi(*at, &at_ns) &&
        before.last_change + kRacyWindow < absl::FromUnixNanos(at_ns)) {
      return *digest;
    }
  }
  const absl::Time hashed_at = digest_clock != nullptr ? digest_clock() : absl::Now();
  HUB_ASSIGN_OR_RETURN(std::string digest, compute());
  auto unchanged = [&fingerprint, &before] {
    const absl::StatusOr<Fingerprint> now = fingerprint();
    return now.ok() && now->signature == before.signature;
  };
  // Changed while it was read: the digest is of no one version.
  if (!unchanged()) {
    return absl::AbortedError(
        absl::StrCat(what, " changed while it was being hashed; try again once nothing writes it"));
  }
  // Only for the version hashed: a fetch or download that replaced it
  // meanwhile keeps its own record.
  (void)AmendJsonRecord(
      record_path, lock_path, "verified",
      JsonValue::Object(
          {{"sha256", JsonValue::String(digest)},
           {"signature", JsonValue::String(before.signature)},
           {"hashed_at_ns", JsonValue::String(absl::StrCat(absl::ToUnixNanos(hashed_at)))}}),
      unchanged, legacy_lock_path);
  return digest;
}

}  // namespace hub
