#include "hub/inventory/internal/probe.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "hub/cache/download_record.h"
#include "hub/fs/dir.h"
#include "hub/fs/path.h"

namespace hub {
namespace inventory_internal {
namespace {

FileInfo InfoOf(const struct stat& st) {
  FileInfo info;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.is_link = S_ISLNK(st.st_mode);
  info.bytes = info.is_regular ? static_cast<int64_t>(st.st_size) : 0;
  info.last_used = std::max(absl::TimeFromTimespec(st.st_mtim), absl::TimeFromTimespec(st.st_atim));
  return info;
}

}  // namespace

std::optional<FileInfo> Lstat(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return InfoOf(st);
}

std::optional<FileInfo> Stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return InfoOf(st);
}

bool Exists(const std::string& path) { return Lstat(path).has_value(); }

std::vector<std::string> QuietNames(const std::string& dir) {
  ListOptions options;
  options.quiet = true;
  return ListDirectory(dir, options).value_or(std::vector<std::string>());
}

int64_t TreeBytes(const std::string& path) {
  const std::optional<FileInfo> info = Lstat(path);
  if (!info.has_value()) return 0;
  if (!info->is_dir) return info->bytes;
  int64_t total = 0;
  for (const std::string& name : QuietNames(path)) total += TreeBytes(JoinPath(path, name));
  return total;
}

absl::Time RepoLastUse(const std::string& dir) {
  absl::Time t = absl::InfinitePast();
  if (const std::optional<FileInfo> d = Lstat(dir)) t = d->last_used;
  if (const std::optional<FileInfo> h = Lstat(JoinPath(dir, "hubconf.py"))) {
    t = std::max(t, h->last_used);
  }
  return t;
}

bool LockIsHeld(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;  // no lock file: nobody holds it
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  const bool held = rc != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

std::string RecordedPartial(absl::string_view record) {
  const std::optional<DownloadRecord> r = ParseDownloadRecord(record);
  return r.has_value() ? r->partial : "";
}

}  // namespace inventory_internal
}  // namespace hub
