// The entrypoint cache: what `list` and `help` answered for a repo dir, kept
// on disk so that asking again costs no Python start-up (about 1.6 s, most
// of torch.hub.list's time).
//
//   hub::EntryCache cache(hub::EntryCache::DefaultDir());
//   absl::StatusOr<std::optional<hub::HubconfDescription>> hit = cache.Lookup(dir, python);
//   if (hit.ok() && *hit) return (*hit)->entrypoints;        // no Python
//   ... run the hubconf (hub/hubconf/hubconf.h DescribeHubconf), then
//   cache.Store(dir, python, description);
//
// An entry is keyed by the repo dir's real path and content (every file's bytes,
// except files over 1 MiB, which count by size, mtime and inode; .git and
// __pycache__ are skipped) and the interpreter settings (TORCHHUB_PYTHON*,
// PYTHONPATH, PYTHONHOME). It is used only while the Python environment is
// unchanged: the entry records sys.path's directories and every module file
// the import loaded, with their sizes and mtimes, and any difference (a
// package installed, upgraded or removed) makes it a miss. A hubconf that
// failed to import is not cached.
//
// Entries are JSON files written atomically under DefaultDir(); a corrupt or
// foreign file is a miss, never an error. Needs neither Python nor libtorch.
// Thread-safe; processes may share the directory.
#ifndef HUB_HUBCONF_ENTRY_CACHE_H_
#define HUB_HUBCONF_ENTRY_CACHE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

struct HubconfDescription {
  std::vector<std::string> entrypoints;  // list's answer, in order
  // Every callable in dir(hubconf) with its __doc__ (nullopt: none).
  std::vector<std::pair<std::string, std::optional<std::string>>> docs;
  // The `dependencies` check's error ("RuntimeError: Missing dependencies:
  // a"); empty when it passed.
  std::string help_error;
  std::vector<std::string> sys_path;      // while hubconf.py was imported
  std::vector<std::string> module_files;  // loaded from outside the repo
};

// help's answer from a description: the entry's docstring (nullopt: none),
// or the error torch.hub.help raises (the dependencies check first, then
// "Cannot find callable X in hubconf").
absl::StatusOr<std::optional<std::string>> HelpFromDescription(const HubconfDescription& d,
                                                               absl::string_view entry);

// The interpreter settings an entry depends on, as text (part of the key).
std::string PythonSettingsKey();

class EntryCache {
 public:
  // "<hub dir>/.torchhub-cpp/entrypoints".
  static std::string DefaultDir();

  explicit EntryCache(std::string dir) : dir_(std::move(dir)) {}

  // The stored description of `repo_dir`, if its key matches and the
  // environment it recorded is unchanged; nullopt on a miss. Errors only for
  // a repo dir that can't be read.
  absl::StatusOr<std::optional<HubconfDescription>> Lookup(absl::string_view repo_dir,
                                                           absl::string_view python_key) const;
  absl::Status Store(absl::string_view repo_dir, absl::string_view python_key,
                     const HubconfDescription& description) const;

  // The file an entry for `repo_dir` lives in (for tests and `cache ls`).
  absl::StatusOr<std::string> EntryPath(absl::string_view repo_dir,
                                        absl::string_view python_key) const;

 private:
  std::string dir_;
};

// The repo dir's content digest (the key's main part): 64 hex digits.
absl::StatusOr<std::string> RepoContentDigest(absl::string_view repo_dir);

}  // namespace hub

#endif  // HUB_HUBCONF_ENTRY_CACHE_H_
