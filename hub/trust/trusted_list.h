// The hub dir's `trusted_list`: one "owner_name" per line, shared with
// Python's torch.hub.
//
//   hub::TrustedList list(hub::CacheLayout(hub::GetDir()));
//   HUB_ASSIGN_OR_RETURN(bool added, list.Add("ultralytics_yolov5"));
//
// Read as torch.hub reads it (any line break, surrounding whitespace
// ignored). Changes happen under an exclusive lock on ".trusted_list.lock"
// beside it (and on "trusted_list.lock", the name older versions used, when
// one is there: FileLock::AcquireWithLegacy), so processes adding at once
// neither lose nor duplicate lines;
// an add appends (as torch.hub does, so Python's own appends interleave
// safely), a removal rewrites the file atomically. A file whose last line
// lacks its line break gets one before the next entry, where torch.hub would
// glue the two names together.
//
// A value type; safe to use from several threads and processes.

#ifndef HUB_TRUST_TRUSTED_LIST_H_
#define HUB_TRUST_TRUSTED_LIST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/cache/layout.h"

namespace hub {

class TrustedList {
 public:
  explicit TrustedList(const CacheLayout& cache)
      : path_(cache.TrustedListPath()),
        lock_path_(LockPath(path_)),
        legacy_lock_path_(LegacyLockPath(path_)) {}

  const std::string& path() const { return path_; }

  // The entries, in file order, blank lines left out. Empty when the file
  // doesn't exist.
  absl::StatusOr<std::vector<std::string>> Read() const;

  // Whether `owner_name` is an entry.
  absl::StatusOr<bool> Contains(absl::string_view owner_name) const;

  // Creates an empty file when there is none (torch.hub's `touch`).
  absl::Status EnsureExists() const;

  // Appends `owner_name` unless it is already there; says whether it added.
  // Creates the file (not the hub dir) when missing.
  absl::StatusOr<bool> Add(absl::string_view owner_name) const;

  // Removes every line that is `owner_name`; says whether there was one.
  absl::StatusOr<bool> Remove(absl::string_view owner_name) const;

 private:
  std::string path_;
  std::string lock_path_;
  std::string legacy_lock_path_;
};

// Splits trusted_list's text into entries as torch.hub does: universal
// newlines ("\n", "\r\n", "\r"), then Python's str.strip() of each line.
// Blank entries are kept, so indexes match lines.
std::vector<std::string> ParseTrustedListLines(absl::string_view text);

}  // namespace hub

#endif  // HUB_TRUST_TRUSTED_LIST_H_
