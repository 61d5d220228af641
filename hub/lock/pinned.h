// Loads that require a lock file (hub/lock/lock_file.h): a repo only at its
// pinned commit and content, a weight file only with its pinned SHA-256.
//
//   HUB_ASSIGN_OR_RETURN(hub::LockFile lock, hub::ReadLockFile(path));
//   HUB_ASSIGN_OR_RETURN(hub::FetchResult r,
//                        hub::FetchPinnedRepo("acme/models:v1.0", options, lock, path));
//
// A lock file is outside input (a pull request can change it), so before
// anything is fetched or written the git remote it names, if any (or
// options.git_url), must pass CheckGitRemote (hub/source/source.h): the
// repo's own GitHub location, or a remote trusted by itself over https or
// ssh (file://, http:// and git:// only with allow_insecure_remote).
//
// A pinned repo whose directory is in the cache is used once its content
// digest matches: no network at all, not even the default-branch probe
// (the lock names the ref). Otherwise, unless options.skip_validation, the
// pinned commit is first proven to be the repo's and not a fork's
// (ValidatePinnedCommit: its ref still points at it or has it in its
// history; kNotFound with torch.hub's fork advice otherwise), then its
// archive is fetched into the ref's directory (from the git remote it was
// pinned from, if any) and checked (commit and content) before it is
// installed. Anything not in the lock, and anything that differs from it, is
// a kFailedPrecondition or kDataLoss error naming the lock file, both values
// and what to do.

#ifndef HUB_LOCK_PINNED_H_
#define HUB_LOCK_PINNED_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/lock/lock_file.h"
#include "hub/source/source.h"

namespace hub {

// Names a lock file that every load must then satisfy (the CLI's --lock and
// HubOptions::lock_file take precedence).
inline constexpr char kLockEnv[] = "TORCHHUB_LOCK";

// `explicit_path` if non-empty, else TORCHHUB_LOCK if set and non-empty,
// else nullopt (no lock required).
std::optional<std::string> LockPathFor(absl::string_view explicit_path);

// GetCacheOrReload(repo, options) for the repo as `lock` pins it (see the
// top of this file). `lock_path` names the lock in errors. FetchResult's
// commit is the pinned one.
absl::StatusOr<FetchResult> FetchPinnedRepo(absl::string_view repo, const FetchOptions& options,
                                            const LockFile& lock, absl::string_view lock_path);

// The lock's entry for a weight file's URL; kFailedPrecondition, saying how
// to add it, when there is none, or when `file_name` (the cached name asked
// for; "" for the URL's) is not the one it pins.
absl::StatusOr<LockedFile> PinnedFile(absl::string_view url, absl::string_view file_name,
                                      const LockFile& lock, absl::string_view lock_path);

// What every load does (hub/api, the CLI): with a lock file (LockPathFor
// `lock_file`) FetchPinnedRepo, else GetCacheOrReload.
absl::StatusOr<FetchResult> FetchRepo(absl::string_view repo, const FetchOptions& options,
                                      absl::string_view lock_file);

// With a lock file (LockPathFor `lock_file`), PinnedFile; without, nullopt.
absl::StatusOr<std::optional<LockedFile>> FilePin(absl::string_view url,
                                                  absl::string_view file_name,
                                                  absl::string_view lock_file);

}  // namespace hub

#endif  // HUB_LOCK_PINNED_H_
