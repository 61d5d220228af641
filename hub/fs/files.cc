#include "hub/fs/files.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ftw.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>  // renameat2, RENAME_NOREPLACE (glibc)
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/fs/dir.h"

namespace hub {
namespace {

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("writing ", path));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

constexpr size_t kTempHexDigits = 16;

std::string TempSuffix() {
  return absl::StrCat(".", hub::RandomHex128().substr(0, kTempHexDigits), ".tmp");
}

}  // namespace

absl::StatusOr<std::string> ReadFile(absl::string_view path_view) {
  const std::string path(path_view);
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", path));
  absl::Cleanup closer = [fd] { close(fd); };
  std::string contents;
  char buffer[16384];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("reading ", path));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

absl::Status WriteFileAtomically(absl::string_view path_view, absl::string_view contents) {
  const std::string path(path_view);
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = path + TempSuffix();
    fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST && errno != EINTR) {
      return ErrnoToStatus(errno, absl::StrCat("creating a temporary file beside ", path));
    }
  }
  if (fd < 0) return ErrnoToStatus(EEXIST, absl::StrCat("creating a temporary file beside ", path));
  bool committed = false;
  absl::Cleanup cleanup = [&] {
    if (fd >= 0) close(fd);
    if (!committed) unlink(temp.c_str());
  };
  if (absl::Status s = WriteAll(fd, contents, temp); !s.ok()) return s;
  if (fsync(fd) != 0) return ErrnoToStatus(errno, absl::StrCat("flushing ", temp));
  if (close(fd) != 0) {
    fd = -1;
    return ErrnoToStatus(errno, absl::StrCat("closing ", temp));
  }
  fd = -1;
  if (rename(temp.c_str(), path.c_str()) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("renaming ", temp, " to ", path));
  }
  committed = true;
  return SyncDirectory(DirName(path));
}

absl::Status WriteAllAt(int fd, absl::string_view data, int64_t offset, absl::string_view what) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return hub::ErrnoToStatus(errno, what);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadAllAt(int fd, char* buffer, size_t size, int64_t offset,
                                 absl::string_view what) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, buffer + got, size - got,
                              static_cast<off_t>(offset + static_cast<int64_t>(got)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return hub::ErrnoToStatus(errno, what);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

absl::Status MakeDirs(absl::string_view path_view) {
  const std::string path(path_view);
  if (path.empty()) return absl::OkStatus();
  if (IsDirectory(path)) return absl::OkStatus();
  // Parents first (os.makedirs), tolerating others creating them meanwhile.
  std::string::size_type pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix.back() == '/') continue;
    if (mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) {
      return ErrnoToStatus(errno, absl::StrCat("creating directory ", prefix));
    }
  }
  if (!IsDirectory(path)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create directory ", path, ": a file of that name exists"));
  }
  return absl::OkStatus();
}

bool PathExists(absl::string_view path) {
  struct stat st;
  return stat(std::string(path).c_str(), &st) == 0;
}

bool IsDirectory(absl::string_view path) {
  struct stat st;
  return stat(std::string(path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::Status SyncDirectory(absl::string_view dir_view) {
  const std::string dir(dir_view);
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening directory ", dir));
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  // Some file systems can't fsync directories; the rename still happened.
  if (rc != 0 && err != EINVAL && err != EROFS) {
    return ErrnoToStatus(err, absl::StrCat("flushing directory ", dir));
  }
  return absl::OkStatus();
}

absl::Status SyncFileSystem(absl::string_view path_view) {
  const std::string path(path_view);
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", path));
  const int rc = syncfs(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return ErrnoToStatus(err, absl::StrCat("flushing ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> RealPath(absl::string_view path, absl::string_view what) {
  char resolved[PATH_MAX];
  if (::realpath(std::string(path).c_str(), resolved) == nullptr) {
    return hub::ErrnoToStatus(errno, what);
  }
  return std::string(resolved);
}

absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  int err = errno;
  if (err == EINVAL) {
    // A file system without RENAME_NOREPLACE: link() refuses an existing
    // target too (directories can't be linked; they keep EINVAL's error).
    struct stat st;
    if (lstat(from.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      if (link(from.c_str(), to.c_str()) == 0) {
        unlink(from.c_str());
        return absl::OkStatus();
      }
      err = errno;
    }
  }
  if (err == EEXIST || err == ENOTEMPTY) {
    return absl::AlreadyExistsError(
        absl::StrCat("moving ", from, " to ", to, ": ", to, " already exists"));
  }
  return ErrnoToStatus(err, absl::StrCat("moving ", from, " to ", to));
}

bool IsAtomicWriteTempName(absl::string_view name) {
  if (!absl::ConsumeSuffix(&name, ".tmp") || name.size() < kTempHexDigits + 2) return false;
  const absl::string_view hex = name.substr(name.size() - kTempHexDigits);
  if (name[name.size() - kTempHexDigits - 1] != '.') return false;
  for (const char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) ||
        absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

namespace {

// nftw has no user pointer; the first failure of the current walk.
thread_local int g_remove_error = 0;
thread_local const char* g_remove_failed_path = nullptr;
thread_local std::string* g_remove_failed_storage = nullptr;

int RemoveOne(const char* path, const struct stat* /*st*/, int flag, struct FTW* /*ftw*/) {
  const int rc = flag == FTW_DP ? ::rmdir(path) : ::unlink(path);
  if (rc != 0 && errno != ENOENT && g_remove_error == 0) {
    g_remove_error = errno;
    *g_remove_failed_storage = path;
    g_remove_failed_path = g_remove_failed_storage->c_str();
  }
  return 0;
}

}  // namespace

namespace {

absl::Status WalkFrom(const std::string& root, const std::string& relative,
                      const std::vector<std::string>& skip,
                      const std::function<absl::Status(const std::string&, const std::string&,
                                                       const struct stat&)>& visit) {
  const std::string dir = relative.empty() ? root : absl::StrCat(root, "/", relative);
  HUB_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  names.erase(std::remove_if(names.begin(), names.end(),
                             [&skip](const std::string& name) {
                               return std::find(skip.begin(), skip.end(), name) != skip.end();
                             }),
              names.end());
  for (const std::string& name : names) {
    const std::string rel = relative.empty() ? name : absl::StrCat(relative, "/", name);
    const std::string path = absl::StrCat(root, "/", rel);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("reading ", path));
    }
    HUB_RETURN_IF_ERROR(visit(rel, path, st));
    if (S_ISDIR(st.st_mode)) HUB_RETURN_IF_ERROR(WalkFrom(root, rel, skip, visit));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WalkTree(
    const std::string& root, const std::vector<std::string>& skip,
    const std::function<absl::Status(const std::string& relative, const std::string& path,
                                     const struct stat& st)>& visit) {
  return WalkFrom(root, "", skip, visit);
}

absl::Status RemoveTree(absl::string_view path_view) {
  const std::string path(path_view);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(errno, absl::StrCat("removing ", path));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, absl::StrCat("removing ", path));
    }
    return absl::OkStatus();
  }
  std::string failed;
  g_remove_error = 0;
  g_remove_failed_path = nullptr;
  g_remove_failed_storage = &failed;
  ::nftw(path.c_str(), &RemoveOne, 64, FTW_DEPTH | FTW_PHYS);
  g_remove_failed_storage = nullptr;
  if (g_remove_error != 0) {
    return ErrnoToStatus(g_remove_error, absl::StrCat("removing ", failed, " (in ", path, ")"));
  }
  return absl::OkStatus();
}

std::string RandomHex128() {
  unsigned char bytes[16];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t n = ::getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n > 0) {
      filled += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      // No getrandom (very old kernels): fall back to the C++ engine.
      std::random_device device;
      for (; filled < sizeof(bytes); ++filled) bytes[filled] = static_cast<unsigned char>(device());
    }
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace hub
