// Lexical path helpers, POSIX only: nothing here touches the file system.
//
//   hub::JoinPath("/h", "checkpoints");   // "/h/checkpoints" (posixpath.join)
//   hub::DirName("/h/checkpoints/w.pth"); // "/h/checkpoints"
//   hub::BaseName("/h/checkpoints/w.pth"); // "w.pth"
//
// JoinPath is CPython's posixpath.join, quirks included (a later absolute
// component replaces what came before, an empty one is kept), because the
// cache's names must be the ones Python's torch.hub computes.

#ifndef HUB_FS_PATH_H_
#define HUB_FS_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hub {

// posixpath.join(a, b).
std::string JoinPath(absl::string_view a, absl::string_view b);

// The directory part of `path` ("." when there is none, "/" for "/x"), as
// os.path.dirname would give it but never empty.
std::string DirName(absl::string_view path);

// What follows the last "/" of `path` (all of it when there is none; "" when
// it ends with "/"), as os.path.basename.
std::string BaseName(absl::string_view path);

}  // namespace hub

#endif  // HUB_FS_PATH_H_
