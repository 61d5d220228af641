// Where GitHub is, for torch.hub's URLs: the web host (archives, the
// default-branch probe) and the REST API. Both are configurable, for mirrors,
// GitHub Enterprise and tests:
//
//   TORCHHUB_GITHUB_URL       default https://github.com
//   TORCHHUB_GITHUB_API_URL   default https://api.github.com
//
//   hub::GithubEndpoints gh = hub::GithubEndpoints::FromEnvironment();
//   gh.ArchiveUrl("pytorch", "vision", "v0.10.0");
//       // "https://github.com/pytorch/vision/zipball/v0.10.0"
//   gh.ArchiveUrl("acme", "models", "fix#1");
//       // "https://github.com/acme/models/zipball/fix%231"
//
// torch.hub puts the owner, name and ref into its URLs as they are; we
// percent-encode each (hub/download/url_escape.h), so that a ref holding
// "#", "%", "?", spaces or non-ASCII characters reaches GitHub as itself
// (a "/" in a ref is kept: "release/1.0"). For the refs people use (names,
// tags, commit hashes) the URLs are torch.hub's, byte for byte.

#ifndef HUB_SOURCE_GITHUB_H_
#define HUB_SOURCE_GITHUB_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hub {

inline constexpr char kGithubUrlEnv[] = "TORCHHUB_GITHUB_URL";
inline constexpr char kGithubApiUrlEnv[] = "TORCHHUB_GITHUB_API_URL";

struct GithubEndpoints {
  std::string web = "https://github.com";
  std::string api = "https://api.github.com";

  // The defaults, overridden by the environment variables above (a
  // trailing "/" is dropped).
  static GithubEndpoints FromEnvironment();

  // torch.hub's _git_archive_link: "{web}/{owner}/{name}/zipball/{ref}".
  std::string ArchiveUrl(absl::string_view owner, absl::string_view name,
                         absl::string_view ref) const;
  // The default-branch probe: "{web}/{owner}/{name}/tree/main/".
  std::string MainBranchProbeUrl(absl::string_view owner, absl::string_view name) const;
  // "{web}/{owner}/{name}", as torch.hub's messages name a repo.
  std::string RepoUrl(absl::string_view owner, absl::string_view name) const;
  // An API page: "{api}/repos/{owner}/{name}/{kind}?per_page=100&page={page}",
  // kind "branches" or "tags".
  std::string ApiPageUrl(absl::string_view owner, absl::string_view name, absl::string_view kind,
                         int page) const;
  // The API's origin, "scheme://host[:port]" lower-cased (no user info, no
  // path): the only place a GitHub token is sent to, as
  // DownloadOptions::token_hosts and HttpGetOptions::token_hosts take it.
  // "https://api.github.com" by default.
  std::string ApiOrigin() const;
  // "{api}/repos/{owner}/{name}/compare/{base}...{head}?per_page=1": whether
  // `base` is in `head`'s history ("identical" or "ahead"). Commits are hex;
  // everything is escaped all the same.
  std::string CompareUrl(absl::string_view owner, absl::string_view name, absl::string_view base,
                         absl::string_view head) const;
};

}  // namespace hub

#endif  // HUB_SOURCE_GITHUB_H_
