// Small JSON records kept beside cache items (a repo dir's
// "<hub_dir>/.<dir>.source", a checkpoint's "checkpoints/.<name>.source"):
// read leniently, and amended under the lock their writers hold, so that an
// amendment never puts back what a concurrent writer just replaced.
//
//   std::optional<hub::JsonValue> r = hub::ReadJsonRecord(record_path);
//   hub::AmendJsonRecord(record_path, lock_path, "verified", value,
//                        [&] { return StillTheSameFile(); });

#ifndef HUB_FS_JSON_RECORD_H_
#define HUB_FS_JSON_RECORD_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hub/base/json_reader.h"

namespace hub {

// The record at `path` as a JSON object; nullopt when it is missing,
// unreadable, or not a JSON object (all treated as no record).
std::optional<JsonValue> ReadJsonRecord(const std::string& path);

// Sets member `key` of the record at `record_path` to `value` (keeping the
// others; a missing or unreadable record starts empty), written atomically,
// while holding the flock `lock_path` (and `legacy_lock_path` if that file
// exists: FileLock::TryAcquireWithLegacy; taken without waiting) and only if
// `still_valid()` holds once it is held. Best effort: false, and nothing
// written, when the lock is busy, `still_valid` says no, or writing fails.
bool AmendJsonRecord(const std::string& record_path, const std::string& lock_path,
                     absl::string_view key, const JsonValue& value,
                     const std::function<bool()>& still_valid,
                     const std::string& legacy_lock_path = "");

// What a digest is taken of, as stat tells it: a signature that any change
// alters (inode, size, mtime, ctime...), and the time of the last change.
struct Fingerprint {
  std::string signature;
  absl::Time last_change = absl::InfinitePast();
};

// The digest `compute()` gives of what `fingerprint()` describes, kept in the
// record at `record_path` (member "verified": sha256, signature, hashed_at_ns)
// and reused while the fingerprint is unchanged, unless it was taken within
// a second of the last change (a write in the same timestamp tick keeps the
// stat: git's "racy" rule). A fresh digest is recorded (AmendJsonRecord
// under `lock_path`, while the fingerprint still holds); kAborted, naming
// `what`, if the fingerprint changed while it was computed.
absl::StatusOr<std::string> RecordedDigest(
    const std::string& record_path, const std::string& lock_path, absl::string_view what,
    const std::function<absl::StatusOr<Fingerprint>()>& fingerprint,
    const std::function<absl::StatusOr<std::string>()>& compute,
    const std::string& legacy_lock_path = "");

// Test seam: the clock RecordedDigest stamps fresh digests with (hashed_at),
// so a test can take a digest "after the tree settled" without sleeping a
// second. nullptr puts absl::Now back. Set it only while no RecordedDigest
// call is running.
void SetDigestClockForTesting(absl::Time (*now)());

}  // namespace hub

#endif  // HUB_FS_JSON_RECORD_H_
