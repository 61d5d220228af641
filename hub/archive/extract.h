// Safe extraction of zip and tar(.gz) archives, such as GitHub's zipballs.
//
//   HUB_ASSIGN_OR_RETURN(hub::ExtractResult r,
//                        hub::ExtractArchive("/cache/x.zip", "/cache/x"));
//   // /cache/x/<r.top_dir>/hubconf.py
//
// The whole archive is checked before anything is written: pass 1 reads only
// the headers, pass 2 extracts. Entry names are '/'-separated paths relative
// to the destination; an entry is refused (kInvalidArgument, naming the
// archive, the entry and the reason) when its name
//   - is empty, absolute ("/x"), or has a ".." component;
//   - contains a backslash (a separator to Windows tools);
// or when it
//   - is a device, FIFO or socket;
//   - is a symbolic link whose target is absolute or, resolved against the
//     archive's own entries (following its links), leaves the root; or any
//     link when `allow_symlinks` is false;
//   - is a hard link whose target is not an earlier regular file entry;
//   - would be written under an entry that is not a directory (through a
//     link, say), or repeats an earlier entry's name (directories excepted);
//   - takes the count past `max_entries` or the sum of file sizes past
//     `max_total_bytes` (also enforced on the bytes actually written).
// "." components and repeated slashes are dropped ("./a//b" is "a/b"); an
// entry that is only "." (a tar's "./") names the root and is skipped.
//
// Files keep their permission bits masked with 0777 (never setuid, setgid or
// sticky) and are at least owner-readable and -writable (0600); directories
// are at least 0700. Owners, ACLs and extended attributes are not restored;
// modification times are.
//
// Everything is written into "<dest_dir>.<32 hex>.extracting" beside
// `dest_dir`, which is then renamed onto `dest_dir` (never replacing it), so
// `dest_dir` is either absent or complete. On any error the temporary
// directory is removed and nothing is left behind.

#ifndef HUB_ARCHIVE_EXTRACT_H_
#define HUB_ARCHIVE_EXTRACT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace hub {

struct ExtractOptions {
  // More entries than this and the archive is refused.
  int64_t max_entries = 100000;
  // The most uncompressed file bytes, declared or written.
  int64_t max_total_bytes = int64_t{16} << 30;
  // Symbolic links whose target stays inside are allowed; false refuses all.
  bool allow_symlinks = true;
};

struct ExtractResult {
  // The archive's single top-level directory ("owner-repo-sha" for a GitHub
  // zipball); empty when there is none or there are several.
  std::string top_dir;
  // Entries in the archive (a root "./" entry included).
  int64_t entries = 0;
  // Bytes of file data written.
  int64_t bytes = 0;
};

// Extracts the zip, tar or tar.gz at `archive_path` into `dest_dir`, which
// must not exist (kAlreadyExists, untouched, when it does); its parent must
// (kNotFound otherwise). Refused entries give kInvalidArgument; truncated or
// corrupt archives kDataLoss with libarchive's message.
absl::StatusOr<ExtractResult> ExtractArchive(const std::string& archive_path,
                                             const std::string& dest_dir,
                                             const ExtractOptions& options = {});

// The comment of the zip at `path`: GitHub's zipballs (and `git archive
// --format=zip COMMIT`) carry the full commit id there. "" when the zip has
// none; kInvalidArgument when `path` is not a zip (no end-of-central-
// directory record in its last 64 KiB); errno's code when it can't be read.
absl::StatusOr<std::string> ZipComment(const std::string& path);

}  // namespace hub

#endif  // HUB_ARCHIVE_EXTRACT_H_
