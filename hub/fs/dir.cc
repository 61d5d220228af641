#include "hub/fs/dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"

namespace hub {

absl::StatusOr<std::vector<std::string>> ListDirectory(absl::string_view dir_view,
                                                       const ListOptions& options) {
  const std::string dir(dir_view.empty() ? "." : dir_view);
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  if (options.quiet) flags |= O_NOATIME;
  int fd;
  do {
    fd = ::open(dir.c_str(), flags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0 && errno == EPERM && options.quiet) {  // O_NOATIME is for the owner only
    fd = ::open(dir.c_str(), flags & ~O_NOATIME);
  }
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("reading the directory ", dir));
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    const int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, absl::StrCat("reading the directory ", dir));
  }
  absl::Cleanup close_dir = [d] { ::closedir(d); };
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (options.skip_hidden && name[0] == '.') continue;
    names.emplace_back(name);
  }
  if (errno != 0) return ErrnoToStatus(errno, absl::StrCat("reading the directory ", dir));
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hub
