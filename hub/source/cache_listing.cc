#include "hub/source/cache_listing.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/files.h"

namespace hub {
namespace {

absl::StatusOr<std::vector<std::string>> Names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return names;
    return ErrnoToStatus(errno, absl::StrCat("listing ", dir));
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!absl::StartsWith(name, ".")) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

absl::StatusOr<CacheListing> ListCache(const std::string& hub_dir) {
  CacheListing listing;
  absl::StatusOr<std::vector<std::string>> names = Names(hub_dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (name == "checkpoints" || !IsDirectory(JoinPath(hub_dir, name))) continue;
    CachedRepo repo;
    repo.dir = name;
    if (absl::StatusOr<std::string> record =
            ReadFile(JoinPath(hub_dir, absl::StrCat(".", name, ".source")));
        record.ok()) {
      repo.source_json = std::string(absl::StripAsciiWhitespace(*record));
    }
    listing.repos.push_back(std::move(repo));
  }
  const std::string checkpoints = JoinPath(hub_dir, "checkpoints");
  absl::StatusOr<std::vector<std::string>> files = Names(checkpoints);
  if (!files.ok()) return files.status();
  for (const std::string& name : *files) {
    if (absl::EndsWith(name, ".lock") || IsDownloadTempName(name)) continue;
    struct stat st {};
    if (::stat(JoinPath(checkpoints, name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    listing.checkpoints.push_back({name, static_cast<int64_t>(st.st_size)});
  }
  return listing;
}

}  // namespace hub
