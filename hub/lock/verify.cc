#include "hub/lock/verify.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/files.h"
#include "hub/hash/sha256.h"
#include "hub/ref/repo_ref.h"

namespace hub {

absl::string_view PinKindName(PinCheck::Kind kind) {
  return kind == PinCheck::Kind::kRepo ? "repo" : "file";
}

absl::string_view PinVerdictName(PinCheck::Verdict verdict) {
  switch (verdict) {
    case PinCheck::Verdict::kOk:
      return "ok";
    case PinCheck::Verdict::kMissing:
      return "missing";
    case PinCheck::Verdict::kMismatch:
      return "mismatch";
  }
  return "mismatch";
}

absl::StatusOr<std::vector<PinCheck>> VerifyAgainstLock(
    const std::string& lock_path, const std::string& hub_dir,
    const std::map<std::string, std::string>& hashed) {
  HUB_ASSIGN_OR_RETURN(const LockFile lock, ReadLockFile(lock_path));
  std::vector<PinCheck> checks;
  for (const LockedRepo& r : lock.repos) {
    HUB_ASSIGN_OR_RETURN(const RepoRef repo, ParseRepoRef(r.repo));
    HUB_ASSIGN_OR_RETURN(const std::string dir, CacheLayout(hub_dir).RepoDir(repo.WithRef(r.ref)));
    PinCheck check{PinCheck::Kind::kRepo, r.repo, PinCheck::Verdict::kMissing, r.content_sha256,
                   ""};
    if (IsDirectory(dir)) {
      HUB_ASSIGN_OR_RETURN(check.got, ContentDigest(dir));
      check.verdict =
          check.got == r.content_sha256 ? PinCheck::Verdict::kOk : PinCheck::Verdict::kMismatch;
    }
    checks.push_back(std::move(check));
  }
  const std::string checkpoints = JoinPath(hub_dir, "checkpoints");
  for (const LockedFile& f : lock.files) {
    const std::string path = JoinPath(checkpoints, f.file_name);
    PinCheck check{PinCheck::Kind::kFile, f.file_name, PinCheck::Verdict::kMissing, f.sha256, ""};
    if (PathExists(path)) {
      // Hashed in full by this verify: it trusts no recorded digest.
      if (const auto it = hashed.find(f.file_name); it != hashed.end()) {
        check.got = it->second;
      } else {
        HUB_ASSIGN_OR_RETURN(check.got, Sha256FileHex(path));
      }
      check.verdict = check.got == f.sha256 ? PinCheck::Verdict::kOk : PinCheck::Verdict::kMismatch;
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

absl::StatusOr<std::vector<std::string>> PinnedCacheNames(const LockFile& lock) {
  std::vector<std::string> names;
  for (const LockedRepo& r : lock.repos) {
    HUB_ASSIGN_OR_RETURN(const RepoRef repo, ParseRepoRef(r.repo));
    HUB_ASSIGN_OR_RETURN(std::string dir, CacheLayout::RepoDirName(repo.WithRef(r.ref)));
    names.push_back(std::move(dir));
  }
  for (const LockedFile& f : lock.files) names.push_back(f.file_name);
  return names;
}

}  // namespace hub
