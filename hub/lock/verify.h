// Checking a hub dir against a lock file (hub/lock/lock_file.h): what
// `torchhub cache verify --lock FILE` reports, and what `cache prune --lock`
// keeps.
//
//   HUB_ASSIGN_OR_RETURN(std::vector<hub::PinCheck> checks,
//                        hub::VerifyAgainstLock("torchhub.lock", hub::GetDir(), {}));
//   for (const hub::PinCheck& c : checks) if (c.verdict != hub::PinCheck::Verdict::kOk) ...
//
// Reads only; no network. Thread-safe.
#ifndef HUB_LOCK_VERIFY_H_
#define HUB_LOCK_VERIFY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/lock/lock_file.h"

namespace hub {

// One pinned item against the hub dir.
struct PinCheck {
  enum class Kind { kRepo, kFile };
  enum class Verdict { kOk, kMissing, kMismatch };
  Kind kind = Kind::kRepo;
  std::string item;  // the repo ("owner/name[:ref]") or the file's name
  Verdict verdict = Verdict::kOk;
  std::string expected;  // the pinned digest
  std::string got;       // the digest found; "" when missing
};

// "repo" or "file"; "ok", "missing" or "mismatch".
absl::string_view PinKindName(PinCheck::Kind kind);
absl::string_view PinVerdictName(PinCheck::Verdict verdict);

// Checks every item the lock file at `lock_path` pins against `hub_dir`:
// each repo's directory against its content digest, each file in
// checkpoints/ against its whole SHA-256, hashed in full (trusting no
// record) unless `hashed` (file name -> SHA-256 computed just now) has it.
// Repos first, then files, in the lock's order. Errors reading the lock.
absl::StatusOr<std::vector<PinCheck>> VerifyAgainstLock(
    const std::string& lock_path, const std::string& hub_dir,
    const std::map<std::string, std::string>& hashed);

// The names in a hub dir that `lock` pins: each repo's directory name
// ("owner_name_ref") and each file's name in checkpoints/.
absl::StatusOr<std::vector<std::string>> PinnedCacheNames(const LockFile& lock);

}  // namespace hub

#endif  // HUB_LOCK_VERIFY_H_
