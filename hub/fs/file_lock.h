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

  // Releases the lock now rather than at destruction.
  void Release();

  // Deletes the lock file, then releases the lock: for a holder that has
  // removed what the lock guarded (a waiter then starts again on a new
  // file). The lock is released even when the unlink fails; that error is
  // returned. kFailedPrecondition once released.
  absl::Status RemoveFileAndRelease();

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
};

}  // namespace hub

#endif  // HUB_FS_FILE_LOCK_H_
