// One scan of a hub dir that says what every entry in it is: the place the
// cache tools (`torchhub cache ls`, `verify`, `prune`, `rm`) learn what is
// there, so that each reads the hub dir's names (hub/cache/layout.h) the
// same way.
//
//   HUB_ASSIGN_OR_RETURN(hub::Inventory inv, hub::ScanHubDir(hub::GetDir()));
//   for (const hub::InventoryEntry& e : inv.entries) {
//     if (e.kind == hub::EntryKind::kCheckpoint) ...  // e.name "checkpoints/w.pth"
//   }
//
// What it looks at: the hub dir's own entries, checkpoints/'s (a link to a
// directory elsewhere is followed), and the entry cache's. Nothing is
// opened for writing, no lock is taken, and directories are read with
// O_NOATIME where allowed, so a scan does not count as a use.
//
// What is what (EntryKind), in the hub dir as torch.hub and torchhub-cpp
// lay it out:
//   kRepo        "<owner>_<name>_<ref>/" (any visible directory but checkpoints/)
//   kCheckpoint  "checkpoints/<name>" (a visible file)
//   kEntry       ".torchhub-cpp/entrypoints/<digest>.json"
//   kScratch     a fetch's hidden leftovers: ".<dir>.<hex>.staging" (".old",
//                ".pruning", "....extracting", "....fetching") directories
//                and the ".<dir>.zip" archive
//   kTemp        downloads' "<dst>.<32 hex>.partial" (download_temp), atomic
//                writes' "<file>.<16 hex>.tmp", and Python's "<ref>.zip"
//   kLockFile    ".<name>.lock" in the hub dir, any "*.lock" in checkpoints/
//                (an older version's "<name>.lock" too)
//   kRecord      ".<name>.source"
//   kOther       anything else (trusted_list, files it doesn't know)
//
// Thread-compatible: a scan is a snapshot, and the hub dir may change under
// it; whoever acts on an entry takes its `lock` and looks again.

#ifndef HUB_INVENTORY_INVENTORY_H_
#define HUB_INVENTORY_INVENTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

enum class EntryKind { kRepo, kCheckpoint, kEntry, kScratch, kTemp, kLockFile, kRecord, kOther };

// "repo", "checkpoint", "entry", "scratch", "temp", "lock", "record", "other".
absl::string_view KindName(EntryKind kind);

struct InventoryEntry {
  EntryKind kind = EntryKind::kOther;
  std::string name;  // relative to the hub dir: "checkpoints/w.pth"
  std::string path;  // the hub dir joined with `name`
  bool is_dir = false;
  // A symbolic link (kind and size are its target's). Prune leaves links
  // alone; listings show them.
  bool is_link = false;
  // Apparent size: a file's; a directory's whole tree with
  // ScanOptions::measure_trees, else 0.
  int64_t bytes = 0;
  // max(mtime, atime); for a repo also its hubconf.py's.
  absl::Time last_used = absl::InfinitePast();
  // What it belongs to (absolute): a repo dir for its scratch and record, a
  // download's destination for its temp file, a checkpoint for its record;
  // the entry itself for repos, checkpoints and entries; "" otherwise.
  std::string owner;
  // The lock its writer takes, and that lock's older name when it has one
  // (FileLock::AcquireWithLegacy); "" when none.
  std::string lock;
  std::string legacy_lock;
  // kTemp: a download's temp file, whose lock may record it.
  bool download_temp = false;
};

struct Inventory {
  std::string hub_dir;
  std::vector<InventoryEntry> entries;  // the hub dir's, then checkpoints/'s, then entries'
};

struct ScanOptions {
  // Sum every directory's tree into `bytes` (prune needs it; a listing
  // doesn't, and it costs a walk of every repo).
  bool measure_trees = false;
};

// A download temp file that no lock's record names, touched less than this
// long ago, may be one Python's torch.hub is writing right now (it takes no
// locks): the cache tools leave it.
inline constexpr absl::Duration kUnrecordedTempMinAge = absl::Hours(1);

// A missing hub dir is an empty inventory. Errors: the hub dir is not a
// directory, or can't be read.
absl::StatusOr<Inventory> ScanHubDir(const std::string& hub_dir, const ScanOptions& options = {});

}  // namespace hub

#endif  // HUB_INVENTORY_INVENTORY_H_
