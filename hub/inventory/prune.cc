#include "hub/inventory/prune.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/base/units.h"
#include "hub/cache/download_record.h"
#include "hub/cache/layout.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/fs/path.h"
#include "hub/inventory/internal/probe.h"
#include "hub/inventory/inventory.h"

namespace hub {
namespace {

using Kind = PruneItem::Kind;
using Action = PruneItem::Action;
using inventory_internal::Exists;
using inventory_internal::FileInfo;
using inventory_internal::LockIsHeld;
using inventory_internal::Lstat;
using inventory_internal::RecordedPartial;
using inventory_internal::RepoLastUse;

std::string Ago(absl::Time now, absl::Time then) {
  if (then == absl::InfinitePast()) return "never";
  const absl::Duration d = now - then;
  if (d < absl::Minutes(1)) return "just now";
  if (d < absl::Hours(1)) return absl::StrCat(absl::ToInt64Minutes(d), "m ago");
  if (d < absl::Hours(48)) return absl::StrCat(absl::ToInt64Hours(d), "h ago");
  return absl::StrCat(absl::ToInt64Hours(d) / 24, "d ago");
}

std::string ShortDuration(absl::Duration d) {
  if (d >= absl::Hours(24) && d % absl::Hours(24) == absl::ZeroDuration()) {
    return absl::StrCat(absl::ToInt64Hours(d) / 24, "d");
  }
  return absl::FormatDuration(d);
}

struct Candidate {
  enum class Rule {
    kAlways,        // scratch and orphan records: whenever the lock is free
    kDownloadTemp,  // a ".partial": if recorded in its lock, else by age
    kAged,          // unrecorded temps: by age only
    kCache,         // repos, checkpoints, entries: by age and size
    kOrphanLock,
  };
  PruneItem item;
  Rule rule = Rule::kAlways;
  std::string path;
  std::string lock;                 // the lock its writer takes; "" when none
  std::string legacy_lock;          // that lock's older name, also taken if it exists
  std::string guarded;              // what, while it exists, keeps the lock file
  std::vector<std::string> extras;  // records removed with it
  bool rename_first = false;        // a repo: made invisible before removal
  bool attempted = false;
};

class Pruner {
 public:
  Pruner(std::string hub_dir, const PruneOptions& options)
      : hub_dir_(std::move(hub_dir)),
        options_(options),
        temp_age_(options.older_than.value_or(kUnrecordedTempMinAge)) {}

  void Scan(const Inventory& inventory);
  void Run();
  PruneReport Finish();

 private:
  Candidate& Add(const InventoryEntry& e, Candidate::Rule rule);
  void FindOrphanLocks();
  std::string RecordIn(const FileLock& lock) const;
  bool Keep(const Candidate& c) const;
  bool WantsUnrecorded(absl::Time last_used) const;
  void Remove(Candidate& c, const std::string& why);
  absl::Status RemoveNow(Candidate& c, FileLock* lock);
  void RemovedBytes(const Candidate& c) { removed_bytes_ += c.item.bytes; }

  const std::string hub_dir_;
  const PruneOptions& options_;
  const absl::Duration temp_age_;
  std::vector<Candidate> items_;
  std::vector<InventoryEntry> lock_files_;
  int64_t removed_bytes_ = 0;
};

Candidate& Pruner::Add(const InventoryEntry& e, Candidate::Rule rule) {
  Candidate c;
  c.item.kind = e.kind;
  c.item.name = e.name;
  c.item.last_used = e.last_used;
  c.item.bytes = e.bytes;
  c.rule = rule;
  c.path = e.path;
  c.lock = e.lock;
  c.legacy_lock = e.legacy_lock;
  c.guarded = e.owner;
  items_.push_back(std::move(c));
  return items_.back();
}

void Pruner::Scan(const Inventory& inventory) {
  for (const InventoryEntry& e : inventory.entries) {
    if (e.is_link) continue;  // never followed, never removed
    switch (e.kind) {
      case Kind::kRepo: {
        Candidate& c = Add(e, Candidate::Rule::kCache);
        c.extras = {SourceRecordPath(hub_dir_, e.name)};
        c.rename_first = true;
        break;
      }
      case Kind::kCheckpoint: {
        Candidate& c = Add(e, Candidate::Rule::kCache);
        c.extras = {SourceRecordPath(DirName(e.path), BaseName(e.path))};
        break;
      }
      case Kind::kEntry:
        Add(e, Candidate::Rule::kCache);
        break;
      case Kind::kTemp:
        Add(e, e.download_temp ? Candidate::Rule::kDownloadTemp : Candidate::Rule::kAged);
        break;
      case Kind::kScratch:
        Add(e, Candidate::Rule::kAlways);
        break;
      case Kind::kRecord:
        if (!Exists(e.owner)) Add(e, Candidate::Rule::kAlways);
        break;
      case Kind::kLockFile:
        lock_files_.push_back(e);
        break;
      case Kind::kOther:
        break;
    }
  }
}

// A lock file is an orphan when nothing it guards exists and no item found
// here uses it. ".<x>.lock" guards "<x>" (LockPath: a repo, a download's
// destination, a checkpoint) and, as an older version named locks, ".<x>";
// "<y>.lock" in checkpoints/ guards "<y>" (LegacyLockPath; it goes, with
// ".<y>.lock", when "<y>" does).
void Pruner::FindOrphanLocks() {
  for (const InventoryEntry& entry : lock_files_) {
    const std::string& lock = entry.path;
    if (!Exists(lock)) continue;  // removed with what it guarded
    if (std::any_of(items_.begin(), items_.end(),
                    [&](const Candidate& c) { return c.lock == lock || c.legacy_lock == lock; })) {
      continue;
    }
    const std::string dir = DirName(lock);
    const std::string name = BaseName(lock);
    std::vector<std::string> owners = {std::string(absl::StripSuffix(lock, kLockSuffix))};
    if (const std::optional<std::string> owner = LockOwner(name)) {
      owners.push_back(JoinPath(dir, *owner));
    }
    if (std::any_of(owners.begin(), owners.end(), Exists)) continue;
    Candidate& c = Add(entry, Candidate::Rule::kOrphanLock);
    c.lock = lock;
    c.guarded = owners.back();
    c.extras = owners;  // checked again under the lock, not removed
  }
}

std::string Pruner::RecordIn(const FileLock& lock) const {
  std::string recorded = RecordedPartial(ReadDownloadRecordText(lock.fd()));
  if (recorded.empty() && lock.legacy_fd() >= 0) {
    recorded = RecordedPartial(ReadDownloadRecordText(lock.legacy_fd()));
  }
  return recorded;
}

bool Pruner::Keep(const Candidate& c) const {
  absl::string_view name = c.item.name;
  absl::ConsumePrefix(&name, absl::StrCat(kCheckpointsDirName, "/"));
  return std::find(options_.keep.begin(), options_.keep.end(), name) != options_.keep.end();
}

bool Pruner::WantsUnrecorded(absl::Time last_used) const {
  return options_.now - last_used > temp_age_;
}

absl::Status Pruner::RemoveNow(Candidate& c, FileLock* lock) {
  if (c.rule == Candidate::Rule::kOrphanLock) {
    // Kept if what it guards appeared meanwhile.
    if (std::any_of(c.extras.begin(), c.extras.end(), Exists)) {
      return absl::AbortedError("what it guards appeared meanwhile");
    }
    return lock->RemoveFileAndRelease();
  }

  if (c.rename_first) {
    const std::string pruning =
        JoinPath(hub_dir_, absl::StrCat(".", c.item.name, ".", RandomHex128(), ".pruning"));
    if (std::rename(c.path.c_str(), pruning.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("moving ", c.path, " aside to ", pruning));
    }
    for (const std::string& extra : c.extras) ::unlink(extra.c_str());
    if (absl::Status s = RemoveTree(pruning); !s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat(s.message(), " (", c.item.name, " is gone; its files are left in ",
                                 pruning, ", which the next prune removes)"));
    }
    return absl::OkStatus();
  }
  if (const std::optional<FileInfo> info = Lstat(c.path); info.has_value() && info->is_dir) {
    return RemoveTree(c.path);
  }
  if (::unlink(c.path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("removing ", c.path));
  }
  for (const std::string& extra : c.extras) ::unlink(extra.c_str());
  return absl::OkStatus();
}

void Pruner::Remove(Candidate& c, const std::string& why) {
  c.attempted = true;
  auto in_use = [&] {
    c.item.action = Action::kInUse;
    c.item.reason = absl::StrCat(c.lock,
                                 " is held by another process (a download, fetch or "
                                 "prune in progress)");
  };
  if (options_.dry_run) {
    if ((!c.lock.empty() && LockIsHeld(c.lock)) ||
        (!c.legacy_lock.empty() && LockIsHeld(c.legacy_lock))) {
      return in_use();
    }
    c.item.action = Exists(c.path) ? Action::kWouldRemove : Action::kGone;
    c.item.reason = why;
    if (c.item.action == Action::kWouldRemove) RemovedBytes(c);
    return;
  }
  std::optional<FileLock> lock;
  bool created_lock = false;
  if (!c.lock.empty()) {
    created_lock = !Exists(c.lock);
    absl::StatusOr<FileLock> l = FileLock::TryAcquireWithLegacy(c.lock, c.legacy_lock);
    if (!l.ok() && l.status().code() == absl::StatusCode::kUnavailable) return in_use();
    if (!l.ok()) {
      c.item.action = Action::kFailed;
      c.item.reason = std::string(l.status().message());
      return;
    }
    lock.emplace(*std::move(l));
  }
  // Under the lock now: look again.
  const std::optional<FileInfo> info = Lstat(c.path);
  std::string recorded;
  if (lock.has_value()) recorded = RecordIn(*lock);
  const absl::Time last_used = !info.has_value()            ? absl::InfinitePast()
                               : c.item.kind == Kind::kRepo ? RepoLastUse(c.path)
                                                            : info->last_used;
  if (c.rule != Candidate::Rule::kOrphanLock && !info.has_value()) {
    c.item.action = Action::kGone;
    c.item.reason = "removed by someone else meanwhile";
  } else if (c.rule == Candidate::Rule::kCache && last_used > c.item.last_used) {
    c.item.action = Action::kKept;
    c.item.reason = "used while the prune ran";
  } else if (((c.rule == Candidate::Rule::kDownloadTemp && recorded != BaseName(c.path)) ||
              c.rule == Candidate::Rule::kAged) &&
             !WantsUnrecorded(last_used)) {
    c.item.action = Action::kKept;
    c.item.reason = "written to while the prune ran, and no lock says by whom";
  } else if (absl::Status s = RemoveNow(c, lock.has_value() ? &*lock : nullptr); !s.ok()) {
    c.item.action = s.code() == absl::StatusCode::kAborted ? Action::kKept : Action::kFailed;
    c.item.reason = std::string(s.message());
  } else {
    c.item.action = Action::kRemoved;
    c.item.reason = why;
    RemovedBytes(c);
  }
  if (!lock.has_value() || lock->fd() < 0) return;
  // The lock file goes with the last thing it guards, unless it records a
  // download that can still be resumed.
  if (c.item.action == Action::kRemoved && c.item.kind == Kind::kTemp &&
      recorded == BaseName(c.path)) {
    // Should the record stay, it names a temp file that is gone: no one
    // resumes it, and the next holder clears it.
    if (::ftruncate(lock->fd(), 0) == 0 &&
        (lock->legacy_fd() < 0 || ::ftruncate(lock->legacy_fd(), 0) == 0)) {
      recorded.clear();
    }
  }
  const bool resumable = !recorded.empty() && Exists(JoinPath(DirName(c.lock), recorded));
  if (created_lock || (!resumable && !Exists(c.guarded))) {
    (void)lock->RemoveFileAndRelease();
  }
}

void Pruner::Run() {
  // Leftovers first: they are garbage whatever the limits.
  for (Candidate& c : items_) {
    switch (c.rule) {
      case Candidate::Rule::kAlways:
        Remove(c, c.item.kind == Kind::kRecord ? "a record of a file that is gone"
                                               : "left by a fetch that did not finish");
        break;
      case Candidate::Rule::kDownloadTemp: {
        std::string recorded;
        for (const std::string* lock : {&c.lock, &c.legacy_lock}) {
          if (absl::StatusOr<std::string> text = ReadFile(*lock); text.ok() && recorded.empty()) {
            recorded = RecordedPartial(*text);
          }
        }
        if (recorded == BaseName(c.path)) {
          Remove(c, "left by a download that did not finish (its lock is free)");
        } else if (WantsUnrecorded(c.item.last_used)) {
          Remove(c, absl::StrCat("no download record, and untouched for more than ",
                                 ShortDuration(temp_age_)));
        } else {
          c.item.reason = absl::StrCat(
              "no download record (Python's torch.hub keeps none): may be being written; "
              "removed once untouched for ",
              ShortDuration(temp_age_));
        }
        break;
      }
      case Candidate::Rule::kAged:
        if (WantsUnrecorded(c.item.last_used)) {
          Remove(c, absl::StrCat("a temp file untouched for more than ", ShortDuration(temp_age_)));
        } else {
          c.item.reason = absl::StrCat(
              "a temp file that may be being written; removed once "
              "untouched for ",
              ShortDuration(temp_age_));
        }
        break;
      case Candidate::Rule::kCache:
      case Candidate::Rule::kOrphanLock:
        break;
    }
  }
  std::vector<Candidate*> cache;
  for (Candidate& c : items_) {
    if (c.rule != Candidate::Rule::kCache) continue;
    if (Keep(c)) {
      c.item.reason = "in the keep list";
      continue;
    }
    if (options_.older_than.has_value() && options_.now - c.item.last_used > *options_.older_than) {
      Remove(c, absl::StrCat("last used ", Ago(options_.now, c.item.last_used), ", more than ",
                             ShortDuration(*options_.older_than), " ago"));
    } else {
      cache.push_back(&c);
    }
  }
  int64_t total = -removed_bytes_;
  for (const Candidate& c : items_) total += c.item.bytes;
  if (options_.max_bytes.has_value()) {
    std::stable_sort(cache.begin(), cache.end(), [](const Candidate* a, const Candidate* b) {
      return a->item.last_used < b->item.last_used;
    });
    for (Candidate* c : cache) {
      if (total <= *options_.max_bytes) break;
      const int64_t before = removed_bytes_;
      Remove(*c, absl::StrCat("least recently used (", Ago(options_.now, c->item.last_used),
                              ") while the cache was over ", FormatBytes(*options_.max_bytes)));
      total -= removed_bytes_ - before;
    }
  }
  for (Candidate* c : cache) {
    if (c->attempted) continue;
    std::vector<std::string> why;
    if (options_.older_than.has_value()) {
      why.push_back(absl::StrCat("used within ", ShortDuration(*options_.older_than)));
    }
    if (options_.max_bytes.has_value()) {
      why.push_back(absl::StrCat("the cache fits in ", FormatBytes(*options_.max_bytes)));
    }
    c->item.reason = absl::StrCat(absl::StrJoin(why, "; "), " (last used ",
                                  Ago(options_.now, c->item.last_used), ")");
  }
  const size_t before = items_.size();
  FindOrphanLocks();
  for (size_t i = before; i < items_.size(); ++i) {
    Remove(items_[i], "a lock file whose file is gone");
  }
}

PruneReport Pruner::Finish() {
  PruneReport report;
  std::vector<std::string> failures;
  absl::StatusCode code = absl::StatusCode::kOk;
  for (Candidate& c : items_) {
    report.bytes_before += c.item.bytes;
    switch (c.item.action) {
      case Action::kRemoved:
      case Action::kWouldRemove:
        ++report.removed;
        break;
      case Action::kInUse:
        ++report.in_use;
        break;
      case Action::kFailed:
        ++report.failed;
        failures.push_back(absl::StrCat(c.item.name, " (", c.item.reason, ")"));
        if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
        break;
      case Action::kKept:
      case Action::kGone:
        break;
    }
    report.items.push_back(std::move(c.item));
  }
  report.bytes_after = report.bytes_before - removed_bytes_;
  std::sort(report.items.begin(), report.items.end(),
            [](const PruneItem& a, const PruneItem& b) { return a.name < b.name; });
  if (!failures.empty()) {
    report.status = absl::Status(
        code, absl::StrCat("could not remove ", failures.size(), " of the items chosen from ",
                           hub_dir_, ": ", absl::StrJoin(failures, "; "),
                           ". Check their permissions, then prune again."));
  }
  return report;
}

}  // namespace

absl::string_view ActionName(PruneItem::Action action) {
  switch (action) {
    case Action::kRemoved:
      return "removed";
    case Action::kWouldRemove:
      return "would remove";
    case Action::kKept:
      return "kept";
    case Action::kInUse:
      return "in use";
    case Action::kFailed:
      return "failed";
    case Action::kGone:
      return "gone";
  }
  return "?";
}

absl::StatusOr<PruneReport> PruneCache(const std::string& hub_dir, const PruneOptions& options) {
  if (!options.older_than.has_value() && !options.max_bytes.has_value()) {
    return absl::InvalidArgumentError(
        "prune needs a limit: say --older-than (PruneOptions::older_than), --max-size "
        "(max_bytes) or both");
  }
  if (options.older_than.has_value() && *options.older_than < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("prune: the age limit is negative (",
                                                   absl::FormatDuration(*options.older_than),
                                                   "); give one of 0 or more"));
  }
  if (options.max_bytes.has_value() && *options.max_bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat("prune: the size limit is negative (",
                                                   *options.max_bytes,
                                                   " bytes); give one of 0 or more"));
  }
  ScanOptions scan;
  scan.measure_trees = true;
  absl::StatusOr<Inventory> inventory = ScanHubDir(hub_dir, scan);
  if (!inventory.ok()) return inventory.status();
  Pruner pruner(hub_dir, options);
  pruner.Scan(*inventory);
  pruner.Run();
  return pruner.Finish();
}

}  // namespace hub
