// Small file operations the cache needs, each with a clear absl::Status.
//
//   HUB_ASSIGN_OR_RETURN(std::string text, hub::ReadFile(path));
//   HUB_RETURN_IF_ERROR(hub::MakeDirs(dir));
//   HUB_RETURN_IF_ERROR(hub::WriteFileAtomically(path, text));
//
// WriteFileAtomically writes a temporary file beside `path`, flushes it to
// disk, and renames it over `path`: readers see the old contents or the
// new, never a mixture, and a crash leaves at most a stray temporary file
// (named "<path>.<16 hex>.tmp"). New files get the usual permissions
// (0666 less the umask), as Python's open() gives them.

#ifndef HUB_FS_FILES_H_
#define HUB_FS_FILES_H_

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/fs/path.h"  // DirName, which lived here

namespace hub {

// The whole file. kNotFound when it doesn't exist.
absl::StatusOr<std::string> ReadFile(absl::string_view path);

// Replaces `path`'s contents atomically (see above).
absl::Status WriteFileAtomically(absl::string_view path, absl::string_view contents);

// os.makedirs(path, exist_ok=True).
absl::Status MakeDirs(absl::string_view path);

// All of `data` into the file open on `fd`, starting at byte `offset`
// (pwrite, again after a short write or EINTR); the file position is not
// used. A failure says `what` failed ("writing <path>").
absl::Status WriteAllAt(int fd, absl::string_view data, int64_t offset, absl::string_view what);

// Up to `size` bytes of the file open on `fd` from byte `offset` into
// `buffer` (pread, again after a short read or EINTR): how many there were,
// fewer than `size` only where the file ends. A failure says `what` failed.
absl::StatusOr<size_t> ReadAllAt(int fd, char* buffer, size_t size, int64_t offset,
                                 absl::string_view what);

// rename(from, to) that never replaces: kAlreadyExists (nothing moved) when
// `to` exists, whatever it is (renameat2's RENAME_NOREPLACE; on a file system
// without it, link + unlink for files). Other failures give errno's code,
// naming both paths.
absl::Status RenameNoReplace(const std::string& from, const std::string& to);

// os.path.exists / os.path.isdir (following symbolic links).
bool PathExists(absl::string_view path);
bool IsDirectory(absl::string_view path);

// fsync on a directory, so that a rename inside it survives a crash.
absl::Status SyncDirectory(absl::string_view dir);

// syncfs on the file system holding `path` (a directory): flushes a whole
// freshly written tree at once, before it is renamed into place.
absl::Status SyncFileSystem(absl::string_view path);

// rm -rf: removes `path` and everything under it, never following
// symbolic links. A missing path is fine. Best effort: goes on past entries
// it can't remove and reports the first failure.
absl::Status RemoveTree(absl::string_view path);

// Calls `visit(relative, path, st)` for every entry under `root` (st from
// lstat: links are not followed), depth first, each directory's names in
// byte order, a directory before what is in it. Entries named in `skip`
// (anywhere) are left out, and not entered. Stops at `visit`'s first error.
// Repo content digests (hub/lock, the entrypoint cache) walk with it.
absl::Status WalkTree(
    const std::string& root, const std::vector<std::string>& skip,
    const std::function<absl::Status(const std::string& relative, const std::string& path,
                                     const struct stat& st)>& visit);

// 32 random lowercase hex digits (128 bits from getrandom), for names of
// temporary files and directories that must not collide.
std::string RandomHex128();

// Whether `file_name` (no directory) is shaped like WriteFileAtomically's
// temporary files: "<file>.<16 hex>.tmp".
bool IsAtomicWriteTempName(absl::string_view file_name);

// `path` made absolute with every link, "." and ".." resolved (realpath);
// the errno's status, naming `what`, when a part of it doesn't exist.
absl::StatusOr<std::string> RealPath(absl::string_view path, absl::string_view what);

}  // namespace hub

#endif  // HUB_FS_FILES_H_
