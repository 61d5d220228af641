// `torchhub cache prune`: frees space in the hub dir by age or by size,
// never taking what another process is writing or about to use.
//
//   hub::PruneOptions options;
//   options.older_than = absl::Hours(24 * 30);  // unused for 30 days
//   options.max_bytes = int64_t{10} << 30;      // then oldest first, to 10 GiB
//   HUB_ASSIGN_OR_RETURN(hub::PruneReport report, hub::PruneCache(hub_dir, options));
//   if (!report.status.ok()) ...  // some removals failed; report.items says which
//
// What it considers (PruneItem::Kind, the inventory's EntryKind: see
// hub/inventory/inventory.h, whose scan it acts on):
//   kRepo        "<owner>_<name>_<ref>/" with its ".<dir>.source" record
//   kCheckpoint  "checkpoints/<name>" with its ".<name>.source" record
//   kEntry       ".torchhub-cpp/entrypoints/<digest>.json" (list/help answers;
//                a removed one is asked of Python again)
//   kScratch     a dead fetch's hidden leftovers: ".<dir>.<hex>.staging",
//                ".old", ".pruning", "....extracting" directories and the
//                ".<dir>.zip" archive
//   kTemp        downloads' "<dst>.<32 hex>.partial" files, atomic writes'
//                "<file>.<16 hex>.tmp" files, and Python's "<ref>.zip"
//   kLockFile    a ".<name>.lock" (or an older version's "<dst>.lock") whose
//                file is gone
//   kRecord      a ".<name>.source" record whose file is gone
// Everything else (trusted_list, files it doesn't know) is left alone.
//
// Which go:
//   - Scratch, orphan locks and records: always, when their lock is free.
//   - A ".partial" named in its lock's download record: when that
//     lock is free (its writer is gone; the resume it allowed is lost).
//     One with no record, a ".tmp", or Python's "<ref>.zip" only once
//     older than `older_than` (an hour when no age is given): Python's
//     torch.hub takes no locks, so a young one may be a download it is
//     writing right now.
//   - Repos, checkpoints and entries not in `keep`: with `older_than`, those
//     not used for that long; with `max_bytes`, then the least recently used
//     until the total is at most `max_bytes`.
//
// Last use is max(mtime, atime): of the directory and its hubconf.py for a
// repo, of the file otherwise. With the usual relatime mount option Linux
// updates atime at most once a day (and on noatime mounts never), so ages
// are accurate to about a day. Sizes are apparent sizes (as `ls -l`, not
// disk blocks).
//
// Never half-deleted, never under a writer: each item is removed holding
// the lock its writer takes ("<hub>/.<dir>.lock" for a repo and its scratch,
// ".<name>.lock" beside a checkpoint for it and its downloads, with an older
// version's "<name>.lock" when one is there; FileLock::TryAcquireWithLegacy), and
// an item whose lock is held is skipped and reported kInUse. A repo dir is
// first renamed to a hidden ".<dir>.<hex>.pruning" in the hub dir, so that
// readers (torch.hub included) see it whole or not at all, then removed.
// A lock file is deleted (last, while held: FileLock::RemoveFileAndRelease)
// once nothing it guards is left, unless it records a download to resume.
// Deleting lock files is safe with this FileLock, which checks after
// locking that its file is still the one at the path; a torchhub built
// before that check, running at the same time, could briefly share a lock.
//
// A repo being read without a lock (torch.hub.load, or a load of ours that
// already found the dir) can lose its files under it: use `keep` or an age
// for repos in use.

#ifndef HUB_INVENTORY_PRUNE_H_
#define HUB_INVENTORY_PRUNE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/units.h"  // ParseAge, ParseByteSize, which lived here
#include "hub/inventory/inventory.h"

namespace hub {

struct PruneOptions {
  // Remove what was last used longer ago than this.
  std::optional<absl::Duration> older_than;
  // Then remove the least recently used until the total is at most this.
  std::optional<int64_t> max_bytes;
  // Report what would go; change nothing (locks are probed, not created).
  bool dry_run = false;
  // The time ages are measured from.
  absl::Time now = absl::Now();
  // Repo dir names ("pytorch_vision_v0.10.0") and checkpoint file names
  // ("resnet18-f37072fd.pth") never to remove.
  std::vector<std::string> keep;
};

// kUnrecordedTempMinAge (hub/inventory/inventory.h) applies when no
// `older_than` is given.

struct PruneItem {
  using Kind = EntryKind;  // never kOther
  enum class Action {
    kRemoved,
    kWouldRemove,  // dry run
    kKept,
    kInUse,   // its lock is held: skipped
    kFailed,  // removal failed; `reason` says why
    kGone,    // vanished before it could be removed
  };
  Kind kind = Kind::kRepo;
  std::string name;  // relative to the hub dir, e.g. "checkpoints/resnet18.pth"
  int64_t bytes = 0;
  absl::Time last_used = absl::InfinitePast();
  Action action = Action::kKept;
  std::string reason;  // why it was kept, skipped or failed, or why it went
};

// KindName(kind): "repo", "checkpoint", ... (hub/inventory/inventory.h).
// "removed", "would remove", "kept", "in use", "failed", "gone".
absl::string_view ActionName(PruneItem::Action action);

struct PruneReport {
  std::vector<PruneItem> items;  // every item considered, sorted by name
  int64_t bytes_before = 0;      // of every item considered
  int64_t bytes_after = 0;       // less what was removed (or would be)
  int removed = 0;               // kRemoved or kWouldRemove
  int in_use = 0;
  int failed = 0;
  // OK, or the first failure's code with every failed item named.
  absl::Status status;
};

// Prunes `hub_dir` as described above. Errors: kInvalidArgument without
// `older_than` or `max_bytes`, or with a negative one; the hub dir can't be
// read. A missing hub dir is an empty report. Removals that fail don't stop
// the others: see PruneReport::status.
absl::StatusOr<PruneReport> PruneCache(const std::string& hub_dir, const PruneOptions& options);

}  // namespace hub

#endif  // HUB_INVENTORY_PRUNE_H_
