#include "hub/inventory/inventory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/cache/layout.h"
#include "hub/fs/files.h"
#include "hub/fs/path.h"
#include "hub/inventory/internal/probe.h"

namespace hub {
namespace {

using inventory_internal::FileInfo;
using inventory_internal::Lstat;
using inventory_internal::QuietNames;
using inventory_internal::RepoLastUse;
using inventory_internal::Stat;
using inventory_internal::TreeBytes;

class Scanner {
 public:
  Scanner(std::string hub_dir, const ScanOptions& options)
      : hub_dir_(std::move(hub_dir)), options_(options) {}

  Inventory Run() && {
    ScanTop();
    ScanCheckpoints();
    ScanEntries();
    return Inventory{hub_dir_, std::move(entries_)};
  }

 private:
  // The entry for `relative`, with what lstat (and, for a link, stat of its
  // target) says; nullopt when it is gone, or is a dangling link.
  std::optional<InventoryEntry> Look(const std::string& relative, FileInfo* target) const {
    InventoryEntry e;
    e.name = relative;
    e.path = JoinPath(hub_dir_, relative);
    const std::optional<FileInfo> info = Lstat(e.path);
    if (!info.has_value()) return std::nullopt;
    e.is_link = info->is_link;
    const std::optional<FileInfo> followed = e.is_link ? Stat(e.path) : info;
    if (!followed.has_value()) return std::nullopt;
    *target = *followed;
    e.is_dir = followed->is_dir;
    e.last_used = info->last_used;
    e.bytes = followed->bytes;
    return e;
  }

  void Push(InventoryEntry e) {
    // Last use before size: walking a tree may touch its atime.
    if (e.kind == EntryKind::kRepo && !e.is_link) e.last_used = RepoLastUse(e.path);
    if (e.is_dir && !e.is_link && options_.measure_trees) e.bytes = TreeBytes(e.path);
    entries_.push_back(std::move(e));
  }

  void ScanTop() {
    for (const std::string& name : QuietNames(hub_dir_)) {
      FileInfo t;
      std::optional<InventoryEntry> found = Look(name, &t);
      if (!found.has_value()) continue;
      InventoryEntry& e = *found;
      const bool hidden = absl::StartsWith(name, ".");
      if (!hidden && t.is_dir) {
        if (name == kCheckpointsDirName) continue;  // scanned by itself
        e.kind = EntryKind::kRepo;
        e.owner = e.path;
        e.lock = RepoLockPath(hub_dir_, name);
      } else if (t.is_regular && IsDownloadTempName(name)) {
        DownloadTemp(e, hub_dir_, name);
      } else if (t.is_regular &&
                 (IsAtomicWriteTempName(name) || (!hidden && absl::EndsWith(name, ".zip")))) {
        // A record's atomic write, or torch.hub's "<ref>.zip" (removed by
        // Python once extracted): neither has a lock.
        e.kind = EntryKind::kTemp;
      } else if (const std::optional<std::string> owner = RepoScratchOwner(name);
                 owner.has_value() && t.is_dir != absl::EndsWith(name, ".zip")) {
        e.kind = EntryKind::kScratch;
        e.owner = JoinPath(hub_dir_, *owner);
        e.lock = RepoLockPath(hub_dir_, *owner);
      } else if (const std::optional<std::string> locked = LockOwner(name);
                 t.is_regular && locked.has_value()) {
        e.kind = EntryKind::kLockFile;
        e.owner = JoinPath(hub_dir_, *locked);
      } else if (const std::optional<std::string> recorded = SourceRecordOwner(name);
                 t.is_regular && recorded.has_value()) {
        e.kind = EntryKind::kRecord;
        e.owner = JoinPath(hub_dir_, *recorded);
        e.lock = RepoLockPath(hub_dir_, *recorded);
      }
      Push(std::move(e));
    }
  }

  void ScanCheckpoints() {
    const std::string dir = JoinPath(hub_dir_, kCheckpointsDirName);
    const std::string prefix = absl::StrCat(kCheckpointsDirName, "/");
    for (const std::string& name : QuietNames(dir)) {
      FileInfo t;
      std::optional<InventoryEntry> found = Look(prefix + name, &t);
      if (!found.has_value()) continue;
      InventoryEntry& e = *found;
      if (!t.is_regular) {
        // A directory or device in checkpoints/: not ours to judge.
      } else if (IsDownloadTempName(name)) {
        DownloadTemp(e, dir, name);
      } else if (IsAtomicWriteTempName(name)) {
        e.kind = EntryKind::kTemp;
      } else if (absl::EndsWith(name, kLockSuffix)) {
        e.kind = EntryKind::kLockFile;
        const std::optional<std::string> locked = LockOwner(name);
        e.owner = JoinPath(
            dir, locked.has_value() ? *locked : std::string(absl::StripSuffix(name, kLockSuffix)));
      } else if (absl::StartsWith(name, ".")) {
        if (const std::optional<std::string> recorded = SourceRecordOwner(name)) {
          e.kind = EntryKind::kRecord;
          e.owner = JoinPath(dir, *recorded);
          e.lock = LockPath(e.owner);
          e.legacy_lock = LegacyLockPath(e.owner);
        }
      } else {
        e.kind = EntryKind::kCheckpoint;
        e.owner = e.path;
        e.lock = LockPath(e.path);
        e.legacy_lock = LegacyLockPath(e.path);
      }
      Push(std::move(e));
    }
  }

  void ScanEntries() {
    const std::string dir = JoinPath(hub_dir_, kEntryCacheDirName);
    for (const std::string& name : QuietNames(dir)) {
      FileInfo t;
      std::optional<InventoryEntry> found = Look(absl::StrCat(kEntryCacheDirName, "/", name), &t);
      if (!found.has_value()) continue;
      InventoryEntry& e = *found;
      if (t.is_regular && IsAtomicWriteTempName(name)) {
        e.kind = EntryKind::kTemp;
      } else if (t.is_regular && absl::EndsWith(name, ".json")) {
        e.kind = EntryKind::kEntry;
        e.owner = e.path;
      }
      Push(std::move(e));
    }
  }

  static void DownloadTemp(InventoryEntry& e, const std::string& dir, const std::string& name) {
    e.kind = EntryKind::kTemp;
    e.download_temp = true;
    e.owner = JoinPath(dir, DownloadTempTarget(name));
    e.lock = LockPath(e.owner);
    e.legacy_lock = LegacyLockPath(e.owner);
  }

  const std::string hub_dir_;
  const ScanOptions& options_;
  std::vector<InventoryEntry> entries_;
};

}  // namespace

absl::string_view KindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kRepo:
      return "repo";
    case EntryKind::kCheckpoint:
      return "checkpoint";
    case EntryKind::kEntry:
      return "entry";
    case EntryKind::kScratch:
      return "scratch";
    case EntryKind::kTemp:
      return "temp";
    case EntryKind::kLockFile:
      return "lock";
    case EntryKind::kRecord:
      return "record";
    case EntryKind::kOther:
      return "other";
  }
  return "?";
}

absl::StatusOr<Inventory> ScanHubDir(const std::string& hub_dir, const ScanOptions& options) {
  struct stat st {};
  if (::stat(hub_dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return Inventory{hub_dir, {}};
    return ErrnoToStatus(errno, absl::StrCat("reading the hub dir ", hub_dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the hub dir ", hub_dir, " is not a directory"));
  }
  if (::access(hub_dir.c_str(), R_OK | X_OK) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("reading the hub dir ", hub_dir));
  }
  return Scanner(hub_dir, options).Run();
}

}  // namespace hub
