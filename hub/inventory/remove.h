// `torchhub cache rm REPO|FILE`: removes one repo or one checkpoint from
// the hub dir, with everything of ours that belongs to it, under the lock
// its writers take.
//
//   HUB_ASSIGN_OR_RETURN(hub::RemoveResult r,
//                        hub::RemoveItem(hub_dir, "pytorch/vision:v0.10.0"));
//   // r.removed: {"pytorch_vision_v0.10.0", ".pytorch_vision_v0.10.0.source", ...}
//   hub::RemoveItem(hub_dir, "resnet18-f37072fd.pth");  // checkpoints/resnet18-f37072fd.pth
//
// What `what` names:
//   - "owner/name:ref": that repo's dir (CacheLayout::RepoDirName). A repo
//     string without a ref is refused (it names no one dir).
//   - anything without "/": a file in checkpoints/ of that name, else a repo
//     dir of that name (as `torchhub cache ls` prints them).
// Only what the inventory calls a repo or a checkpoint can be named: not
// trusted_list, not our own hidden files, not a symbolic link.
//
// What goes with it (found by one inventory scan):
//   - a repo: its dir (first renamed to a hidden ".<dir>.<hex>.pruning", so
//     that readers, torch.hub included, see it whole or not at all), its
//     ".<dir>.source" record, its scratch (".<dir>.*.staging", ".old",
//     ".pruning", the ".<dir>.zip" archive) and its lock file;
//   - a checkpoint: the file, its ".<name>.source" record, its downloads'
//     temp files ("<name>.<32 hex>.partial": a dead download of ours, named
//     in its lock's record, or any untouched for kUnrecordedTempMinAge, since
//     a younger one may be Python's download in progress) and its lock files
//     (".<name>.lock", and an older version's "<name>.lock").
// The entry cache is keyed by content, not by repo, and is left to `prune`.
//
// Under the lock: the item's lock (RepoLockPath, or LockPath with the legacy
// name, FileLock::TryAcquireWithLegacy; with `lock_timeout`, waited for) is
// held while anything is removed, so a fetch or download in progress is
// never cut short: kUnavailable naming the lock when it is held (or
// kDeadlineExceeded after `lock_timeout`). Lock files are deleted last,
// while held (FileLock::RemoveFileAndRelease).
//
// Errors: kInvalidArgument for a malformed `what` or a repo without a ref;
// kNotFound when the hub dir holds no such repo or checkpoint (the message
// says where it looked and to run `torchhub cache ls`); kUnavailable /
// kDeadlineExceeded as above; the errno's code when a removal fails (what
// was removed before is in the message).
//
// Thread-safe; safe against other processes through the lock.

#ifndef HUB_INVENTORY_REMOVE_H_
#define HUB_INVENTORY_REMOVE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/inventory/inventory.h"

namespace hub {

struct RemoveOptions {
  // Report what would go; change nothing (the lock is probed, not taken).
  bool dry_run = false;
  // How long to wait for a lock held by another process; zero: not at all.
  absl::Duration lock_timeout = absl::ZeroDuration();
  // The time temp files' ages are measured from.
  absl::Time now = absl::Now();
};

struct RemoveResult {
  EntryKind kind = EntryKind::kRepo;  // kRepo or kCheckpoint
  std::string name;                   // relative to the hub dir: "checkpoints/w.pth"
  std::vector<std::string> removed;   // relative names: the item first, then what went with it
  int64_t bytes = 0;                  // apparent size of what was removed (or would be)
  bool dry_run = false;
};

absl::StatusOr<RemoveResult> RemoveItem(const std::string& hub_dir, absl::string_view what,
                                        const RemoveOptions& options = {});

}  // namespace hub

#endif  // HUB_INVENTORY_REMOVE_H_
