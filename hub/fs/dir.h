// Reading a directory's names: one sorted list, no DIR* to close.
//
//   HUB_ASSIGN_OR_RETURN(std::vector<std::string> names, hub::ListDirectory(dir));
//   for (const std::string& name : names) ...  // byte order, no "." or ".."
//
// The cache's scanners read with `quiet` set, so that looking at the cache
// is not taken for a use of it (see ListOptions::quiet).

#ifndef HUB_FS_DIR_H_
#define HUB_FS_DIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

struct ListOptions {
  // Leave out names that start with "." (besides "." and "..", always left out).
  bool skip_hidden = false;
  // Open the directory with O_NOATIME where the kernel allows it (files the
  // caller owns), so that reading it does not update its access time, which
  // the cache uses as "last used".
  bool quiet = false;
};

// The names in `dir` (links followed to a directory), sorted in byte order.
// Errors carry errno's code and name `dir` (kNotFound when it, or a parent,
// doesn't exist or is not a directory).
absl::StatusOr<std::vector<std::string>> ListDirectory(absl::string_view dir,
                                                       const ListOptions& options = {});

}  // namespace hub

#endif  // HUB_FS_DIR_H_
