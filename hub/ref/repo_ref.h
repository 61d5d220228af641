// Parsing torch.hub's repo strings: "owner/name[:ref]".
//
// torch.hub splits on ":" and "/" and accepts anything else; the pieces end up
// in a cache directory name ("{owner}_{name}_{ref with / as _}") and in URLs.
// ParseRepoRef splits exactly as torch.hub does and then refuses what would
// make either unsafe or surprising: empty parts, whitespace and control
// characters, overlong input, ".." and leading "." or "-", backslashes, and
// refs git itself would refuse.
//
//   absl::StatusOr<hub::RepoRef> ref = hub::ParseRepoRef("pytorch/vision:v0.10.0");
//   ref->owner;  // "pytorch"
//   ref->name;   // "vision"
//   *ref->ref;   // "v0.10.0"
//   hub::NormalizeRef("release/1.0");  // "release_1.0", as in directory names
//
// No ref ("pytorch/vision") leaves `ref` empty: the default branch is found
// later, by the repo source (torch.hub probes main, then master).

#ifndef HUB_REF_REPO_REF_H_
#define HUB_REF_REPO_REF_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

// Limits on what ParseRepoRef accepts. GitHub allows owners of 39 bytes and
// names of 100; the directory limit leaves room under the file system's 255
// for the suffixes of temporary names beside a repo directory.
inline constexpr size_t kMaxRepoStringBytes = 512;
inline constexpr size_t kMaxOwnerBytes = 100;
inline constexpr size_t kMaxNameBytes = 100;
inline constexpr size_t kMaxRefBytes = 255;
inline constexpr size_t kMaxRepoDirNameBytes = 220;

// A parsed "owner/name[:ref]". A value type; all fields are validated by
// ParseRepoRef (or ValidateRepoRef for one built by hand).
struct RepoRef {
  std::string owner;
  std::string name;
  // The branch, tag or commit after ":", absent for the default branch.
  std::optional<std::string> ref;

  // "owner/name" or "owner/name:ref".
  std::string ToString() const;
  // "owner_name": the form trusted_list holds.
  std::string OwnerName() const;
  // A copy with `ref` set.
  RepoRef WithRef(std::string new_ref) const;

  friend bool operator==(const RepoRef& a, const RepoRef& b) {
    return a.owner == b.owner && a.name == b.name && a.ref == b.ref;
  }
  friend bool operator!=(const RepoRef& a, const RepoRef& b) { return !(a == b); }
};

// Parses `repo` as torch.hub's `_parse_repo_info` splits it (one optional
// ":", then exactly one "/"), validating each part. Errors are
// kInvalidArgument and say what is wrong, where, and what a valid string
// looks like.
absl::StatusOr<RepoRef> ParseRepoRef(absl::string_view repo);

// Checks a RepoRef built without ParseRepoRef (say, with a ref resolved from
// the network) by the same rules.
absl::Status ValidateRepoRef(const RepoRef& repo);

// Validates a ref alone: git's ref-name rules (check-ref-format) plus ours.
absl::Status ValidateRef(absl::string_view ref);

// `ref` with every "/" replaced by "_", as torch.hub names directories.
std::string NormalizeRef(absl::string_view ref);

// Where a model comes from: torch.hub.load's `source`.
enum class Source { kGithub, kLocal };

// torch.hub's rule: lower-cased, "github" or "local"; anything else is
// `Unknown source: "{source}". Allowed values: "github" | "local".`
absl::StatusOr<Source> ParseSource(absl::string_view source);

// For callers with no `source` (the CLI): kLocal when `repo_or_dir` is
// written as a path (absolute, "~", "." or "..", "./...", "../..."), or is
// not a valid repo string but names an existing directory; kGithub
// otherwise. A relative directory shaped like "owner/name" needs "./" or an
// explicit source.
Source GuessSource(absl::string_view repo_or_dir);

}  // namespace hub

#endif  // HUB_REF_REPO_REF_H_
