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

absl::StatusOr<int> OpenLockFile(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && (errno == EACCES || errno == EROFS)) {
    // A read-only cache: a shared lock still works through a read-only fd.
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
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

}  // namespace

absl::StatusOr<FileLock> FileLock::Acquire(absl::string_view path_view, Mode mode,
                                           absl::Duration timeout) {
  std::string path(path_view);
  const bool forever = timeout == absl::InfiniteDuration();
  const absl::Time deadline = forever ? absl::InfiniteFuture() : absl::Now() + timeout;
  while (true) {
    absl::StatusOr<int> fd = OpenLockFile(path);
    if (!fd.ok()) return fd.status();
    if (forever) {
      while (flock(*fd, FlockOp(mode)) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        close(*fd);
        return ErrnoToStatus(err, absl::StrCat("locking ", path));
      }
    } else {
      // flock has no time-out: poll, backing off from 1 ms to 50 ms.
      absl::Duration pause = absl::Milliseconds(1);
      while (flock(*fd, FlockOp(mode) | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
          const int err = errno;
          close(*fd);
          return ErrnoToStatus(err, absl::StrCat("locking ", path));
        }
        const absl::Time now = absl::Now();
        if (now >= deadline) {
          close(*fd);
          return absl::DeadlineExceededError(absl::StrCat(
              "timed out after ", absl::FormatDuration(timeout), " waiting for the lock on ", path,
              "; another process holds it (see `fuser ", path, "`)"));
        }
        absl::SleepFor(std::min(pause, deadline - now));
        pause = std::min(pause * 2, absl::Milliseconds(50));
      }
    }
    HUB_ASSIGN_OR_RETURN(const bool held, KeepIfStillAtPath(*fd, path));
    if (held) return FileLock(*fd, std::move(path));
  }
}

absl::StatusOr<FileLock> FileLock::TryAcquire(absl::string_view path_view, Mode mode) {
  std::string path(path_view);
  while (true) {
    absl::StatusOr<int> fd = OpenLockFile(path);
    if (!fd.ok()) return fd.status();
    while (flock(*fd, FlockOp(mode) | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(*fd);
      if (err == EWOULDBLOCK) {
        return absl::UnavailableError(absl::StrCat("the lock on ", path, " is held elsewhere"));
      }
      return ErrnoToStatus(err, absl::StrCat("locking ", path));
    }
    HUB_ASSIGN_OR_RETURN(const bool held, KeepIfStillAtPath(*fd, path));
    if (held) return FileLock(*fd, std::move(path));
  }
}

absl::Status FileLock::RemoveFileAndRelease() {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("not holding ", path_));
  absl::Status status;
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
    status = ErrnoToStatus(errno, absl::StrCat("removing lock file ", path_));
  }
  Release();
  return status;
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

FileLock::~FileLock() { Release(); }

void FileLock::Release() {
  if (fd_ >= 0) {
    // Closing the only descriptor of this open file description drops the lock.
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace hub
