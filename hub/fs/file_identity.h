// Which version of which file: the stat fields that any write, rename into
// place or replacement changes. Records that keep a digest of a file (a
// checkpoint's, a repo tree's) keep its Signature() beside it and trust the
// digest while the signature is unchanged; the downloader tells "someone
// finished it while I waited" by it; FileLock tells "my lock file was
// replaced" by SameFile.
//
//   HUB_ASSIGN_OR_RETURN(hub::FileIdentity id, hub::FileIdentity::Of(path));
//   id.Signature();   // "2049:1311:44:1700000000.123456789:1700000000.123456789"
//
// A value type.

#ifndef HUB_FS_FILE_IDENTITY_H_
#define HUB_FS_FILE_IDENTITY_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t mode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;  // since the epoch
  int64_t ctime_ns = 0;  // since the epoch: any change to the file or its inode

  static FileIdentity FromStat(const struct stat& st);

  // stat(2) of `path` (links followed), or lstat(2) with `follow_links`
  // false; errno's status naming `path` when it fails (kNotFound if missing).
  static absl::StatusOr<FileIdentity> Of(absl::string_view path, bool follow_links = true);

  // The same file (device and inode), whatever its contents now.
  bool SameFile(const FileIdentity& other) const { return dev == other.dev && ino == other.ino; }

  // "dev:ino:size:mtime:ctime" (times as "seconds.nanoseconds"): equal
  // signatures mean the same file, unchanged.
  std::string Signature() const;

  // The last change to the file or its inode (ctime).
  absl::Time LastChange() const;

  bool operator==(const FileIdentity& o) const {
    return dev == o.dev && ino == o.ino && mode == o.mode && size == o.size &&
           mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
  bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};

}  // namespace hub

#endif  // HUB_FS_FILE_IDENTITY_H_
