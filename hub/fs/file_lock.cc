#include "hub/fs/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/fs/file_identity.h"

namespace hub {
namespace {

// The lock file opened for locking; with `create` false, -1 when there is
// none (nothing to lock).
absl::StatusOr<int> OpenLockFile(const std::string& path, bool create) {
  const int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
  int fd;
  do {
    fd = open(path.c_str(), flags, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && (errno == EACCES || errno == EROFS)) {
    // A read-only cache: a shared lock still works through a read-only fd.
    const int refused = errno;
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    // No file to fall back on: the refusal to create it is what went wrong.
    if (fd < 0 && create && errno == ENOENT) errno = refused;
  }
  if (fd < 0 && !create && errno == ENOENT) return -1;
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening lock file ", path));
  return fd;
}

int FlockOp(FileLock::Mode mode) { return mode == FileLock::Mode::kExclusive ? LOCK_EX : LOCK_SH; }

// Whether `fd`, just locked, is still the file at `path`. A holder may
// unlink the lock file before releasing it (RemoveFileAndRelease); whoever
// was waiting on it then holds a lock on a file nobody else will open,
// which excludes no one, so it must start again on the file now at `path`.
absl::StatusOr<bool> StillAtPath(int fd, const std::string& path) {
  struct stat held {};
  if (fstat(fd, &held) != 0) return ErrnoToStatus(errno, absl::StrCat("checking lock file ", path));
  const absl::StatusOr<FileIdentity> now = FileIdentity::Of(path, /*follow_links=*/false);
  if (!now.ok()) {
    if (absl::IsNotFound(now.status())) return false;
    return now.status();
  }
  return FileIdentity::FromStat(held).SameFile(*now);
}

// Closes `fd` unless it is still the file at `path`: true when the caller
// holds the lock, false when it must open the file again.
absl::StatusOr<bool> KeepIfStillAtPath(int fd, const std::string& path) {
  absl::StatusOr<bool> same = StillAtPath(fd, path);
  if (!same.ok() || !*same) close(fd);
  return same;
}

// Locks `path` (waiting until `deadline` when `wait`, else not at all) and
// returns the locked descriptor: -1 when `create` is false and there is no
// file to lock. kUnavailable when !wait and it is held; kDeadlineExceeded,
// mentioning `timeout`, when the wait ran out.
absl::StatusOr<int> LockOne(const std::string& path, FileLock::Mode mode, bool create, bool wait,
                            absl::Time deadline, absl::Duration timeout) {
  while (true) {
    HUB_ASSIGN_OR_RETURN(const int fd, OpenLockFile(path, create));
    if (fd < 0) return -1;
    if (wait && deadline == absl::InfiniteFuture()) {
      while (flock(fd, FlockOp(mode)) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        close(fd);
        return ErrnoToStatus(err, absl::StrCat("locking ", path));
      }
    } else {
      // flock has no time-out: poll, backing off from 1 ms to 50 ms.
      absl::Duration pause = absl::Milliseconds(1);
      while (flock(fd, FlockOp(mode) | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
          const int err = errno;
          close(fd);
          return ErrnoToStatus(err, absl::StrCat("locking ", path));
        }
        if (errno == EINTR) continue;
        if (!wait) {
          close(fd);
          return absl::UnavailableError(absl::StrCat("the lock on ", path, " is held elsewhere"));
        }
        const absl::Time now = absl::Now();
        if (now >= deadline) {
          close(fd);
          return absl::DeadlineExceededError(absl::StrCat(
              "timed out after ", absl::FormatDuration(timeout), " waiting for the lock on ", path,
              "; another process holds it (see `fuser ", path, "`)"));
        }
        absl::SleepFor(std::min(pause, deadline - now));
        pause = std::min(pause * 2, absl::Milliseconds(50));
      }
    }
    HUB_ASSIGN_OR_RETURN(const bool held, KeepIfStillAtPath(fd, path));
    if (held) return fd;
  }
}

absl::Time DeadlineAfter(absl::Duration timeout) {
  return timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
}

}  // namespace

absl::StatusOr<FileLock> FileLock::Acquire(absl::string_view path_view, Mode mode,
                                           absl::Duration timeout) {
  return AcquireWithLegacy(path_view, "", mode, timeout);
}

absl::StatusOr<FileLock> FileLock::TryAcquire(absl::string_view path_view, Mode mode) {
  return TryAcquireWithLegacy(path_view, "", mode);
}

absl::StatusOr<FileLock> FileLock::AcquireWithLegacy(absl::string_view path_view,
                                                     absl::string_view legacy_path, Mode mode,
                                                     absl::Duration timeout) {
  std::string path(path_view);
  const absl::Time deadline = DeadlineAfter(timeout);
  HUB_ASSIGN_OR_RETURN(const int fd,
                       LockOne(path, mode, /*create=*/true, /*wait=*/true, deadline, timeout));
  FileLock lock(fd, std::move(path));
  if (!legacy_path.empty()) {
    std::string legacy(legacy_path);
    HUB_ASSIGN_OR_RETURN(lock.legacy_fd_,
                         LockOne(legacy, mode, /*create=*/false, /*wait=*/true, deadline, timeout));
    if (lock.legacy_fd_ >= 0) lock.legacy_path_ = std::move(legacy);
  }
  return lock;
}

absl::StatusOr<FileLock> FileLock::TryAcquireWithLegacy(absl::string_view path_view,
                                                        absl::string_view legacy_path, Mode mode) {
  int legacy_fd = -1;
  std::string legacy(legacy_path);
  if (!legacy.empty()) {
    HUB_ASSIGN_OR_RETURN(legacy_fd, LockOne(legacy, mode, /*create=*/false, /*wait=*/false,
                                            absl::InfinitePast(), absl::ZeroDuration()));
  }
  absl::StatusOr<int> fd = LockOne(std::string(path_view), mode, /*create=*/true, /*wait=*/false,
                                   absl::InfinitePast(), absl::ZeroDuration());
  if (!fd.ok()) {
    if (legacy_fd >= 0) close(legacy_fd);
    return fd.status();
  }
  FileLock lock(*fd, std::string(path_view));
  if (legacy_fd >= 0) {
    lock.legacy_fd_ = legacy_fd;
    lock.legacy_path_ = std::move(legacy);
  }
  return lock;
}

absl::Status FileLock::RemoveFileAndRelease() {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("not holding ", path_));
  absl::Status status;
  for (const std::string* path : {&legacy_path_, &path_}) {
    if (path->empty() || (path == &legacy_path_ && legacy_fd_ < 0)) continue;
    if (unlink(path->c_str()) != 0 && errno != ENOENT && status.ok()) {
      status = ErrnoToStatus(errno, absl::StrCat("removing lock file ", *path));
    }
  }
  Release();
  return status;
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      legacy_fd_(std::exchange(other.legacy_fd_, -1)),
      legacy_path_(std::move(other.legacy_path_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    legacy_fd_ = std::exchange(other.legacy_fd_, -1);
    legacy_path_ = std::move(other.legacy_path_);
  }
  return *this;
}

FileLock::~FileLock() { Release(); }

void FileLock::Release() {
  // Closing the only descriptor of an open file description drops its lock.
  if (legacy_fd_ >= 0) {
    close(legacy_fd_);
    legacy_fd_ = -1;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace hub
