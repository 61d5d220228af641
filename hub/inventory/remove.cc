#include "hub/inventory/remove.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/fs/path.h"
#include "hub/inventory/internal/probe.h"
#include "hub/ref/repo_ref.h"

namespace hub {
namespace {

using inventory_internal::Exists;
using inventory_internal::LockIsHeld;
using inventory_internal::RecordedPartial;

// The names `what` may be, relative to the hub dir, in the order tried.
absl::StatusOr<std::vector<std::string>> CandidateNames(absl::string_view what) {
  if (absl::StrContains(what, '/')) {
    HUB_ASSIGN_OR_RETURN(const RepoRef repo, ParseRepoRef(what));
    if (!repo.ref.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", what,
                       "\" names no one cached repo dir: give its ref (owner/name:ref), or the "
                       "dir's name as `torchhub cache ls` prints it"));
    }
    HUB_ASSIGN_OR_RETURN(std::string dir, CacheLayout::RepoDirName(repo));
    return std::vector<std::string>{std::move(dir)};
  }
  if (what.empty() || what == "." || what == ".." || absl::StrContains(what, '\0')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", absl::CHexEscape(what),
        "\" is neither a repo (owner/name:ref) nor a file name in the hub dir's checkpoints/"));
  }
  return std::vector<std::string>{absl::StrCat(kCheckpointsDirName, "/", what), std::string(what)};
}

// Whether `e` is ours and goes with `item`.
bool BelongsTo(const InventoryEntry& e, const InventoryEntry& item) {
  if (e.owner != item.path || e.name == item.name) return false;
  switch (e.kind) {
    case EntryKind::kRecord:
      return true;
    case EntryKind::kScratch:
      return item.kind == EntryKind::kRepo;
    case EntryKind::kTemp:
      return item.kind == EntryKind::kCheckpoint && e.download_temp;
    default:
      return false;
  }
}

absl::Status RemoveEntry(const InventoryEntry& e) {
  if (e.is_dir && !e.is_link) return RemoveTree(e.path);
  if (::unlink(e.path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("removing ", e.path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RemoveResult> RemoveItem(const std::string& hub_dir, absl::string_view what,
                                        const RemoveOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::vector<std::string> names, CandidateNames(what));
  ScanOptions scan;
  scan.measure_trees = true;
  HUB_ASSIGN_OR_RETURN(const Inventory inventory, ScanHubDir(hub_dir, scan));
  const InventoryEntry* item = nullptr;
  for (const std::string& name : names) {
    for (const InventoryEntry& e : inventory.entries) {
      if (e.name == name && !e.is_link &&
          (e.kind == EntryKind::kRepo || e.kind == EntryKind::kCheckpoint)) {
        item = &e;
        break;
      }
    }
    if (item != nullptr) break;
  }
  if (item == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the hub dir ", hub_dir, " holds no ", absl::StrJoin(names, " and no "),
                     "; `torchhub cache ls` lists the repos and checkpoints it holds"));
  }

  RemoveResult result;
  result.kind = item->kind;
  result.name = item->name;
  result.dry_run = options.dry_run;
  result.removed.push_back(item->name);
  result.bytes = item->bytes;
  // The temp file a download of ours left, named in its lock's record.
  std::string recorded;
  for (const std::string* lock : {&item->lock, &item->legacy_lock}) {
    if (absl::StatusOr<std::string> text = ReadFile(*lock); text.ok() && recorded.empty()) {
      recorded = RecordedPartial(*text);
    }
  }
  std::vector<const InventoryEntry*> with;
  std::vector<std::string> lock_names;
  for (const InventoryEntry& e : inventory.entries) {
    if (BelongsTo(e, *item)) {
      if (e.download_temp && BaseName(e.path) != recorded &&
          options.now - e.last_used <= kUnrecordedTempMinAge) {
        continue;  // maybe Python's download, in progress
      }
      with.push_back(&e);
      result.removed.push_back(e.name);
      result.bytes += e.bytes;
    } else if (e.kind == EntryKind::kLockFile &&
               (e.path == item->lock || e.path == item->legacy_lock)) {
      lock_names.push_back(e.name);
    }
  }
  auto in_use = [&](const absl::Status& why) {
    return absl::Status(why.code(),
                        absl::StrCat("cannot remove ", item->name, " now: ", why.message(),
                                     " (a fetch, download or prune in progress); try again once "
                                     "it is done"));
  };

  if (options.dry_run) {
    for (const std::string* lock : {&item->lock, &item->legacy_lock}) {
      if (!lock->empty() && LockIsHeld(*lock)) {
        return in_use(absl::UnavailableError(absl::StrCat(*lock, " is held by another process")));
      }
    }
    result.removed.insert(result.removed.end(), lock_names.begin(), lock_names.end());
    return result;
  }

  absl::StatusOr<FileLock> lock =
      options.lock_timeout <= absl::ZeroDuration()
          ? FileLock::TryAcquireWithLegacy(item->lock, item->legacy_lock)
          : FileLock::AcquireWithLegacy(item->lock, item->legacy_lock, FileLock::Mode::kExclusive,
                                        options.lock_timeout);
  if (!lock.ok()) {
    if (absl::IsUnavailable(lock.status()) || absl::IsDeadlineExceeded(lock.status())) {
      return in_use(lock.status());
    }
    return lock.status();
  }
  // Under the lock now: look again.
  if (!Exists(item->path)) {
    return absl::NotFoundError(absl::StrCat(item->name, " was removed by someone else meanwhile"));
  }
  std::vector<std::string> done;
  auto failed = [&](const absl::Status& s) {
    return absl::Status(s.code(),
                        absl::StrCat(s.message(), done.empty() ? "" : " (removed already: ",
                                     absl::StrJoin(done, ", "), done.empty() ? "" : ")"));
  };
  if (item->kind == EntryKind::kRepo) {
    // Out of sight first: readers see the repo whole or not at all.
    const std::string pruning = CacheLayout(hub_dir).RepoScratchPath(item->name, "pruning");
    if (std::rename(item->path.c_str(), pruning.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("moving ", item->path, " aside to ", pruning));
    }
    done.push_back(item->name);
    if (absl::Status s = RemoveTree(pruning); !s.ok()) {
      return failed(
          absl::Status(s.code(), absl::StrCat(s.message(), "; its files are left in ", pruning,
                                              ", which `torchhub cache prune` removes")));
    }
  } else {
    if (::unlink(item->path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, absl::StrCat("removing ", item->path));
    }
    done.push_back(item->name);
  }
  for (const InventoryEntry* e : with) {
    if (absl::Status s = RemoveEntry(*e); !s.ok()) return failed(s);
    done.push_back(e->name);
  }
  // Nothing it guarded is left, and no download of it is to be resumed.
  const bool had_lock_files = !lock_names.empty();
  if (absl::Status s = lock->RemoveFileAndRelease(); !s.ok()) return failed(s);
  if (had_lock_files)
    result.removed.insert(result.removed.end(), lock_names.begin(), lock_names.end());
  return result;
}

}  // namespace hub
