// What the inventory's scanner, prune and rm look at on disk, read so that
// looking is not taken for a use (no atime updates where the kernel allows,
// no lock files created).

#ifndef HUB_INVENTORY_INTERNAL_PROBE_H_
#define HUB_INVENTORY_INTERNAL_PROBE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {
namespace inventory_internal {

struct FileInfo {
  bool is_dir = false;
  bool is_regular = false;
  bool is_link = false;
  int64_t bytes = 0;                            // regular files' apparent size
  absl::Time last_used = absl::InfinitePast();  // max(mtime, atime)
};

// lstat(2); nullopt when it is gone.
std::optional<FileInfo> Lstat(const std::string& path);

// stat(2), links followed; nullopt when it (or its target) is gone.
std::optional<FileInfo> Stat(const std::string& path);

bool Exists(const std::string& path);

// A directory's names (a link to one followed), read without marking it
// accessed; none when unreadable.
std::vector<std::string> QuietNames(const std::string& dir);

// Apparent size of every regular file under `path`, links not followed.
int64_t TreeBytes(const std::string& path);

// A repo's last use: its directory's and its hubconf.py's.
absl::Time RepoLastUse(const std::string& dir);

// Whether someone holds the lock on `path`, found without creating or
// changing anything (for dry runs). False when there is no such file.
bool LockIsHeld(const std::string& path);

// The temp file a download record (the contents of its lock) names; "" when
// `record` is not one.
std::string RecordedPartial(absl::string_view record);

}  // namespace inventory_internal
}  // namespace hub

#endif  // HUB_INVENTORY_INTERNAL_PROBE_H_
