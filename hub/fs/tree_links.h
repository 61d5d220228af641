// Where a symbolic link inside a tree that is about to be written (an
// archive, a git tree) would lead, judged from the tree's own entries and
// never from the disk: links among the tree's entries are followed, so a
// chain that climbs out ("sub/up -> ..", "x -> sub/up/..") or loops is
// caught, which a purely lexical look at one target would miss.
//
//   hub::LinkEscape e = hub::ResolveTreeLink("a/link", "../b", target_of);
//   // kNone: stays inside the tree's root

#ifndef HUB_FS_TREE_LINKS_H_
#define HUB_FS_TREE_LINKS_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace hub {

enum class LinkEscape {
  kNone,      // resolves inside the root
  kNoTarget,  // an empty target
  kAbsolute,  // the target, or one met on the way, is an absolute path
  kOutside,   // ".." climbs above the root
  kLoop,      // more than kMaxTreeLinkHops links followed
};

inline constexpr int kMaxTreeLinkHops = 40;  // as Linux's own limit

// `link_path` is the link's '/'-separated path in the tree, `target` its
// text; `target_of(path)` gives the target of the tree's symbolic link at
// `path`, or nullptr when there is none there.
LinkEscape ResolveTreeLink(
    absl::string_view link_path, absl::string_view target,
    absl::FunctionRef<const std::string*(const std::string& path)> target_of);

}  // namespace hub

#endif  // HUB_FS_TREE_LINKS_H_
