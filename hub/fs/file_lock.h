// Inter-process locks on lock files, for the cache's read-modify-write steps.
//
//   HUB_ASSIGN_OR_RETURN(hub::FileLock lock,
//                        hub::FileLock::Acquire(dir + "/trusted_list.lock"));
//   ... read, change, write ...
//   // released when `lock` goes out of scope
//
// flock(2): the kernel drops the lock when its holder exits or is killed, so
// a crash can't leave a stale lock behind. A lock file may be deleted, but
// only by its holder (RemoveFileAndRelease, as `torchhub cache prune` does):
// after flock succeeds, Acquire and TryAcquire check that the file they
// locked is still the one at `path` (same device and inode), and start again
// on the new file when it isn't, so two holders never each lock a different
// file of one name.
// Locks conflict between processes and between FileLock objects in one
// process (each opens the file anew). On NFS, Linux maps flock onto POSIX
// byte-range locks, which NFSv4 supports.
//
// A lock file that was renamed: versions before 2026-12 locked a download's
// destination (and trusted_list) through "<path>.lock" beside it; now the
// lock is hidden, "<dir>/.<name>.lock" (hub/cache/layout.h's LockPath). A
// process of an older version, still running or started later, takes only
// the old name, so AcquireWithLegacy takes the new lock and then, when a
// file of the old name exists, that one too (never creating it). Whoever
// holds the old name (an old process, or a new one that found it) is
// therefore excluded, and once no old version runs the old files are
// clutter that `cache prune` removes. The one case left: an old-version
// process that creates the old file after a new one looked for it; both
// then proceed, and since every download writes its own temp file and
// renames it atomically, the cost is a second download of one file, never a
// torn one. Creating the old name on every lock would close that gap but
// keep the clutter this rename is for.
//
// Move-only: a lock has one owner.

#ifndef HUB_FS_FILE_LOCK_H_
#define HUB_FS_FILE_LOCK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

class FileLock {
 public:
  enum class Mode { kExclusive, kShared };

  // Blocks until the lock on `path` (created, with its directory's
  // permissions, when missing) is held, or until `timeout` passes
  // (kDeadlineExceeded, naming the file). InfiniteDuration waits forever.
  static absl::StatusOr<FileLock> Acquire(absl::string_view path, Mode mode = Mode::kExclusive,
                                          absl::Duration timeout = absl::InfiniteDuration());

  // Takes the lock if it is free now; kUnavailable if another holder has it.
  static absl::StatusOr<FileLock> TryAcquire(absl::string_view path, Mode mode = Mode::kExclusive);

  // Acquire(path), then the lock on `legacy_path` too when that file exists
  // (see above; it is opened, never created), within the same `timeout`.
  // New before old, so two new-version lockers never wait on each other in
  // opposite orders. An empty `legacy_path` is plain Acquire.
  static absl::StatusOr<FileLock> AcquireWithLegacy(
      absl::string_view path, absl::string_view legacy_path, Mode mode = Mode::kExclusive,
      absl::Duration timeout = absl::InfiniteDuration());

  // TryAcquire of both: `legacy_path` first when it exists (so that nothing
  // is created when an old-version process holds it), then `path`.
  // kUnavailable if either is held elsewhere.
  static absl::StatusOr<FileLock> TryAcquireWithLegacy(absl::string_view path,
                                                       absl::string_view legacy_path,
                                                       Mode mode = Mode::kExclusive);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  const std::string& path() const { return path_; }

  // The open lock file, for a holder that keeps a small record in it (the
  // downloader notes its temp file there, for a later resume). -1 once
  // released.
  int fd() const { return fd_; }

  // The legacy lock file held with it (AcquireWithLegacy), or -1 when there
  // was none; an older version's download record may be in it.
  int legacy_fd() const { return legacy_fd_; }
  const std::string& legacy_path() const { return legacy_path_; }

  // Releases the lock now rather than at destruction.
  void Release();

  // Deletes the lock file (and the legacy one held with it), then releases
  // the lock: for a holder that has removed what the lock guarded (a waiter
  // then starts again on a new file). The lock is released even when an
  // unlink fails; that error is returned. kFailedPrecondition once released.
  absl::Status RemoveFileAndRelease();

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
  int legacy_fd_ = -1;
  std::string legacy_path_;
};

}  // namespace hub

#endif  // HUB_FS_FILE_LOCK_H_
