// Brings "owner/name[:ref]" into the hub dir exactly as torch.hub's
// _get_cache_or_reload does, so that one cache serves C++ and Python:
//
//   hub::FetchOptions options;
//   options.trust_repo = hub::TrustMode::kTrue;
//   HUB_ASSIGN_OR_RETURN(hub::FetchResult r, hub::GetCacheOrReload("pytorch/vision:v0.10.0",
//   options)); r.repo_dir;  // "<hub_dir>/pytorch_vision_v0.10.0", with hubconf.py in it
//
// torch.hub's steps, in its order: the hub dir is made; the default branch
// is probed when no ref is given (main if "{web}/{owner}/{name}/tree/main/"
// answers, master on 404, the cache when there is no network); the trust
// check (before any download, even for a cached repo); the cache is used
// unless `force_reload` ("Using cache found in ..." on stderr when verbose);
// otherwise the ref is validated against the GitHub API (branches, then
// tags, 100 per page; GITHUB_TOKEN, retried once without it) unless
// `skip_validation`, the zipball is downloaded ('Downloading: "..." to ...'
// on stdout), a 300 answer (a ref that is both a tag and a branch) warns and
// takes the branch, and the archive's top folder becomes
// "<hub_dir>/<owner>_<name>_<ref with / as _>".
//
// Beyond torch.hub:
//   - The archive is checked whole before anything is written (hub/archive),
//     extracted beside the hub dir's entries under a hidden name, and renamed
//     into place: the repo dir is absent or complete, never half-written,
//     and an interrupted fetch leaves nothing behind but hidden scratch.
//   - Two processes fetching one repo make one fetch ("<hub_dir>/.<dir>.lock").
//   - Downloads are retried and resumed (hub/download); the zip's name is
//     unique per fetch (torch.hub's shared "<ref>.zip" collides).
//   - Every URL base is configurable (GithubEndpoints).
//   - Offline mode (TORCHHUB_OFFLINE=1, or `offline`): no network at all;
//     the cache is used, or the error names the directory that is missing.
//   - Any git remote through libgit2 (`git_url`), and ref validation with
//     `git ls-remote` (`validate_with_git`), which has no API rate limit.
//   - What was fetched is recorded beside the repo dir in
//     "<hub_dir>/.<dir>.source" (repo, archive or git URL, commit).

#ifndef HUB_SOURCE_SOURCE_H_
#define HUB_SOURCE_SOURCE_H_

#include <functional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/base/cancellation.h"  // kOfflineEnv
#include "hub/download/downloader.h"
#include "hub/download/http_get.h"
#include "hub/git/remote.h"
#include "hub/source/github.h"
#include "hub/trust/trust.h"

namespace hub {

inline constexpr char kAllowInsecureRemoteEnv[] = "TORCHHUB_ALLOW_INSECURE_REMOTE";

// Whether TORCHHUB_OFFLINE is set to something other than "", "0",
// "false" or "no".
bool OfflineFromEnvironment();
// The same for TORCHHUB_ALLOW_INSECURE_REMOTE.
bool AllowInsecureRemoteFromEnvironment();

struct FetchOptions {
  bool force_reload = false;
  bool skip_validation = false;
  TrustOptions trust;  // mode, calling_fn, prompter
  bool verbose = true;
  // No network at all. Also on when OfflineFromEnvironment().
  bool offline = false;
  GithubEndpoints endpoints = GithubEndpoints::FromEnvironment();
  // Where torch.hub's messages go.
  std::ostream* out = nullptr;  // "Downloading: ..." (default std::cout)
  std::ostream* err = nullptr;  // "Using cache found in ..." (default std::cerr)
  // For the archive download and the API/probe requests (CA bundle, retries,
  // sleep seams). Their progress is off, as in torch.hub.
  DownloadOptions download;
  HttpGetOptions http;
  // Any git remote (https://, git://, file://) to fetch from through
  // libgit2 instead of GitHub's archive; the repo string's owner/name then
  // only name the cache directory. Fetches just the one ref; the ref is
  // resolved with ls-remote (branch, tag, or a commit prefix of one of their
  // heads), and without a ref the remote's HEAD branch is used.
  std::string git_url;
  // Validate the ref with `git ls-remote` on "{web}/{owner}/{name}.git"
  // (no API rate limit; the resolved commit is recorded) instead of the
  // GitHub API.
  bool validate_with_git = false;
  // Where validate_with_git looks: "{git_base}/{owner}/{name}.git"; empty
  // means endpoints.web.
  std::string git_base;
  GitOptions git;
  // Lets CheckGitRemote accept a git remote whose transport is not safe for
  // code: file:// and local paths (whoever can write there), http:// and
  // git:// (plain text: anyone on the network path). Also on when
  // AllowInsecureRemoteFromEnvironment().
  bool allow_insecure_remote = false;

  // Pinning (hub/lock): fetch exactly this commit (40 hex digits) for the
  // repo's ref. Unless skip_validation, the commit is first proven to be the
  // repo's (ValidatePinnedCommit; GitHub serves a fork's commits under the
  // parent's archive URL too). Its archive (or, with git_url, the ref's head
  // or, when the ref has moved on, the commit fetched with the ref's history,
  // which must hold it) is fetched into the ref's directory, and what was
  // fetched must say it is this commit (a GitHub zipball's comment, git's
  // resolved id): a different one is kDataLoss and nothing is installed.
  std::string pinned_commit;
  // Called with the fetched tree, before it is installed, and the commit it
  // is (full, or GitHub's short form, or ""). An error stops the fetch with
  // nothing installed.
  std::function<absl::Status(const std::string& tree, const std::string& commit)>
      check_before_install;
};

struct FetchResult {
  std::string repo_dir;
  RepoRef repo;  // with the ref resolved (the default branch filled in)
  bool from_cache = false;
  std::string archive_url;  // empty when from_cache or fetched with git
  // The commit fetched: git's, or a zipball's comment (GitHub's, and `git
  // archive`'s, hold the full id), else the short id in its folder name; ""
  // when from_cache or not known.
  std::string commit;
};

// torch.hub's _get_cache_or_reload(repo, force_reload, trust_repo,
// calling_fn, verbose, skip_validation). Errors:
//   kInvalidArgument    a malformed repo string
//   kNotFound           the ref isn't in the repo ("Cannot find {ref} in ..."),
//                       or offline and not cached
//   kPermissionDenied   not trusted (see CheckRepoIsTrusted)
//   kUnavailable        no network and no cached copy
//   kDataLoss / others  from the download and extraction
absl::StatusOr<FetchResult> GetCacheOrReload(absl::string_view repo, const FetchOptions& options);

// The repo's branch and tag heads from the GitHub API, checked as
// torch.hub's _validate_not_a_forked_repo does: OK if some branch or tag is
// named `ref` or its head commit starts with `ref`.
absl::Status ValidateRefWithGithubApi(const RepoRef& repo, const FetchOptions& options);

// torch.hub's fork check for a pinned commit: that `commit` (40 hex) is the
// repo's, not a fork's that GitHub also serves under the repo's name. OK when
// the branch or tag `repo.ref` names still points at it or has it in its
// history (it moved forward since the pin); when the ref is (a prefix of)
// the commit itself, when some branch or tag points at it or the default
// branch (torch.hub's probe: main, else master) has it in its history. Asked
// of the GitHub API (branch and tag pages as ValidateRefWithGithubApi, then
// "compare/{commit}...{head}"), or
// with validate_with_git of "{git_base}/{owner}/{name}.git" (ls-remote,
// then, for a ref that moved, a fetch of its history into a scratch
// directory in the hub dir, removed after). Errors: kNotFound with
// torch.hub's fork advice ("If it's a commit from a forked repo, ...") naming
// the repo, the commit and the ref; the API's or git's errors otherwise.
absl::Status ValidatePinnedCommit(const RepoRef& repo, absl::string_view commit,
                                  const FetchOptions& options);

// The rules for a git remote that a lock file names, or a pin is made from
// (hub/lock applies them before any network or disk write; GetCacheOrReload
// does not: a caller that sets git_url has chosen the remote). OK when:
//   - `git_url` is the repo's own location: "https://github.com/{owner}/
//     {name}", "{endpoints.web}/{owner}/{name}" or "{git_base}/{owner}/
//     {name}", each also with ".git"; it shares the repo's trust (checked
//     by the fetch) and the configured host's transport; or
//   - its transport is https:// or ssh (ssh://, git+ssh://, scp-like
//     "user@host:path"), or, with allow_insecure_remote, file://, an
//     absolute path, http:// or git://; and the remote is trusted by itself
//     (CheckRemoteIsTrusted with options.trust: trusted_list, TORCHHUB_TRUST,
//     or the trust_repo mode, asking about the remote).
// Errors: kPermissionDenied for a transport that needs allow_insecure_remote,
// or a remote that was refused; kInvalidArgument for a relative path or a
// scheme git can't fetch from; CheckRemoteIsTrusted's otherwise.
absl::Status CheckGitRemote(const RepoRef& repo, absl::string_view git_url,
                            const FetchOptions& options);

}  // namespace hub

#endif  // HUB_SOURCE_SOURCE_H_
