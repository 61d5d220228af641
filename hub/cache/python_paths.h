// Python's path and URL rules, byte for byte, for the names torch.hub makes.
//
// The cache is shared with Python's torch.hub, so the names we compute must
// be the ones Python computes: `os.path.expanduser` and
// `os.path.basename(urllib.parse.urlparse(url).path)` as CPython 3.11 does
// them on POSIX, quirks included ("~user" is looked up). `os.path.join` is
// hub::JoinPath, in hub/fs/path.h.
//
//   hub::ExpandUser("~/.cache");               // "/home/me/.cache"
//   *hub::UrlPathBasename("https://x/a/resnet18-5c106cde.pth?dl=1");
//                                              // "resnet18-5c106cde.pth"

#ifndef HUB_CACHE_PYTHON_PATHS_H_
#define HUB_CACHE_PYTHON_PATHS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/fs/path.h"  // JoinPath (posixpath.join), which lived here

namespace hub {

// posixpath.expanduser: a leading "~" becomes $HOME (or the password
// database's home when HOME is unset), "~user" that user's home; a path
// that doesn't start with "~", or names an unknown user, is returned as is.
std::string ExpandUser(absl::string_view path);

// os.path.basename(urlparse(url).path): the last "/"-separated piece of the
// URL's path, with the query, fragment and ";params" dropped and nothing
// percent-decoded. Fails only where urlparse raises (unbalanced "[" or "]"
// in the host).
absl::StatusOr<std::string> UrlPathBasename(absl::string_view url);

}  // namespace hub

#endif  // HUB_CACHE_PYTHON_PATHS_H_
