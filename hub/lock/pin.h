// Pinning: what `torchhub lock` does to a lock file (hub/lock/lock_file.h).
//
//   hub::LockUpdateOptions o;
//   o.fetch.git_url = "";  // how repos are fetched, as for a load
//   HUB_ASSIGN_OR_RETURN(hub::LockUpdate u,
//                        hub::UpdateLockFile("torchhub.lock", {"acme/models:v1",
//                                            "https://example.com/w-0123abcd.pth"}, o));
//
// A repo ("owner/name[:ref]") is brought into the hub dir as a load brings it
// (a cached copy is pinned as it is, when torchhub fetched it and so recorded
// its commit) and pinned with its commit, content digest and remote; a URL
// is downloaded into <hub_dir>/checkpoints as load_state_dict_from_url does
// and pinned with its SHA-256. What a lock pins is what loads trust, so a
// git remote is checked (CheckGitRemote) before anything is fetched, and a
// cached copy's commit is proven to be the repo's, not a fork's
// (ValidatePinnedCommit) unless fetch.skip_validation.
//
// Entries already in the file are kept unless `update`. Nothing is written
// unless every item is pinned; runs on one lock file take turns (the file
// itself is the flock), so none loses another's entries. A file this run
// made only to lock it is removed again when nothing was written.
//
// Thread-compatible; processes may share a lock file.
#ifndef HUB_LOCK_PIN_H_
#define HUB_LOCK_PIN_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/checkpoint/cached_file.h"
#include "hub/lock/lock_file.h"
#include "hub/source/source.h"

namespace hub {

// A repo pinned as it is now: fetched (again, with `update`) per `options`.
// kFailedPrecondition when its commit is not known (a cached copy Python
// fetched; GitHub gave no commit).
absl::StatusOr<LockedRepo> PinRepo(const std::string& repo, const FetchOptions& options,
                                   bool update);

// A weight file pinned: downloaded (or found) as `options` say, and hashed.
absl::StatusOr<LockedFile> PinFile(const std::string& url,
                                   const checkpoint::CachedFileOptions& options);

// One item of an update, as it was settled.
struct LockItem {
  enum class Action { kPinned, kKept, kRemoved };
  Action action = Action::kPinned;
  std::string item;                // as asked: a repo or a URL
  std::optional<LockedRepo> repo;  // kPinned or kKept, a repo
  std::optional<LockedFile> file;  // kPinned or kKept, a URL
};

struct LockUpdateOptions {
  FetchOptions fetch;                   // how repos are fetched
  checkpoint::CachedFileOptions files;  // how URLs are downloaded
  bool update = false;                  // pin again what the file has
  bool remove = false;                  // take the items out instead
  // Called as each item is settled, before the next one starts (a long
  // fetch follows a short one); optional.
  std::function<void(const LockItem&)> on_item;
};

struct LockUpdate {
  std::string path;
  std::vector<LockItem> items;  // in the order asked
};

// Pins (or, with `remove`, removes) `items` in the lock file at `path`;
// with `update` and no items, pins every entry again. kInvalidArgument for
// remove with update, or no items without update; kNotFound for remove
// from a file that does not exist or an item it lacks; the first item's
// error otherwise (nothing is written then).
absl::StatusOr<LockUpdate> UpdateLockFile(const std::string& path, std::vector<std::string> items,
                                          const LockUpdateOptions& options);

// Whether a lock item is a URL (else a repo).
bool IsLockUrl(absl::string_view item);

}  // namespace hub

#endif  // HUB_LOCK_PIN_H_
