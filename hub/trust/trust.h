// Deciding whether code from a repo may be downloaded and run: torch.hub's
// `trust_repo` and `_check_repo_is_trusted`.
//
// A repo is trusted when
//   - its "owner_name" is in the hub dir's trusted_list, or
//   - its directory for this very ref is already in the hub dir (torch.hub
//     counts what it downloaded before trust existed as trusted), or
//   - its owner is facebookresearch, facebookincubator, pytorch or
//     fairinternal, or
//   - (beyond torch.hub) TORCHHUB_TRUST or TrustOptions::extra_trusted names
//     it or its owner.
//
// trust_repo modes, as in the newest torch.hub:
//   kCheck (the default)  ask only when not trusted
//   kFalse                always ask
//   kTrue                 don't ask
//   kNone                 the older default: warn when not trusted, record
//                         nothing
// After a "yes" (or with kTrue) an untrusted repo is added to trusted_list.
//
//   hub::TrustOptions options{.mode = hub::TrustMode::kCheck, .calling_fn = "load"};
//   HUB_RETURN_IF_ERROR(hub::CheckRepoIsTrusted(cache, repo, options));
//
// Non-interactive use (CI): set TORCHHUB_TRUST to a comma- or space-separated
// list of owners ("acme"), repos ("acme/models") or "*" (everything), or run
// `torchhub trust add owner/name` once. Without a terminal on stdin, a check
// that must ask fails with a message saying these things instead of hanging.
//
// Beyond torch.hub, git remotes. A repo fetched from a git remote that is
// not its own location (a lock file's "git_url", FetchOptions::git_url; the
// rule for which remotes are a repo's own is hub/source's CheckGitRemote)
// runs that remote's code under the repo's name, so trusting the name says
// nothing about it: the remote must be trusted by itself. A remote is
// trusted when its URL, exactly as written, is
//   - a line of trusted_list (torch.hub, which compares lines with
//     "owner_name", never matches one), or
//   - an entry of TORCHHUB_TRUST or TrustOptions::extra_trusted, or "*" is.
// Owners and already-downloaded directories never trust a remote.
// CheckRemoteIsTrusted applies the four modes as CheckRepoIsTrusted does,
// with its own question, and records a "yes" (or kTrue) by adding the URL to
// trusted_list; `torchhub trust add|remove|check URL` does so by hand.
//
//   HUB_RETURN_IF_ERROR(hub::CheckRemoteIsTrusted(cache, "https://gitlab.example/acme/models.git",
//                                                 repo, options));

#ifndef HUB_TRUST_TRUST_H_
#define HUB_TRUST_TRUST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/cache/layout.h"
#include "hub/ref/repo_ref.h"
#include "hub/trust/prompter.h"

namespace hub {

// torch.hub's owners whose repos are always trusted.
inline constexpr absl::string_view kTrustedRepoOwners[] = {"facebookresearch", "facebookincubator",
                                                           "pytorch", "fairinternal"};

// The environment variable with extra trusted owners and repos.
inline constexpr char kTrustEnvVar[] = "TORCHHUB_TRUST";

// torch.hub's trust_repo values.
enum class TrustMode { kCheck, kTrue, kFalse, kNone };

// "check", "true", "false" or "none" (case-insensitive).
absl::StatusOr<TrustMode> ParseTrustMode(absl::string_view mode);
absl::string_view TrustModeName(TrustMode mode);

// Why a repo is trusted.
enum class TrustReason {
  kNotTrusted,
  kTrustedList,        // "owner_name" is in trusted_list
  kAlreadyDownloaded,  // the repo's directory for this ref is in the hub dir
  kTrustedOwner,       // one of kTrustedRepoOwners
  kExtraTrusted,       // TORCHHUB_TRUST or TrustOptions::extra_trusted
};

absl::string_view TrustReasonName(TrustReason reason);

struct TrustOptions {
  TrustMode mode = TrustMode::kCheck;
  // The torch.hub function being served ("load", "list" or "help"), named in
  // the kNone warning.
  std::string calling_fn = "load";
  // Who is asked; nullptr means a TerminalPrompter.
  Prompter* prompter = nullptr;
  // Owners ("acme"), repos ("acme/models") or "*", trusted without asking
  // and without being written to trusted_list.
  std::vector<std::string> extra_trusted;
  // Whether TORCHHUB_TRUST adds to extra_trusted.
  bool use_environment = true;
};

// Why `repo` is trusted, or kNotTrusted; asks nobody and writes nothing.
// The already-downloaded rule needs `repo.ref`; without one it is skipped.
absl::StatusOr<TrustReason> WhyTrusted(const CacheLayout& cache, const RepoRef& repo,
                                       const TrustOptions& options = {});

// torch.hub's _check_repo_is_trusted. `repo` must have its ref resolved.
// Creates an empty trusted_list when there is none (as torch.hub does; a
// read-only hub dir is tolerated until something must be written). Errors:
//   kPermissionDenied   "Untrusted repository." (the answer was no)
//   kInvalidArgument    "Unrecognized response {response}."
//   kFailedPrecondition nobody could be asked (no terminal)
absl::Status CheckRepoIsTrusted(const CacheLayout& cache, const RepoRef& repo,
                                const TrustOptions& options = {});

// The question torch.hub asks.
std::string TrustPrompt(absl::string_view owner_name);

// The warning torch.hub gives for trust_repo=None and an untrusted repo.
std::string UntrustedRepoWarning(absl::string_view calling_fn);

// The entries TORCHHUB_TRUST holds (split on commas and whitespace).
std::vector<std::string> TrustedFromEnvironment();

// Whether a trusted_list or TORCHHUB_TRUST entry names a git remote rather
// than a repo: it has "://", starts with "/", or is scp-like ssh
// ("[user@]host:path", no "/" before the first ":"). An "owner/name[:ref]"
// string never is one.
bool IsRemoteEntry(absl::string_view entry);

// Why the git remote `url` is trusted (kTrustedList, kExtraTrusted), or
// kNotTrusted; asks nobody and writes nothing. kInvalidArgument for a URL
// that could not be an entry (empty, or holding whitespace or control
// characters).
absl::StatusOr<TrustReason> WhyRemoteTrusted(const CacheLayout& cache, absl::string_view url,
                                             const TrustOptions& options = {});

// The trust check for a git remote that `repo` ("owner/name", named in the
// question and errors) is to be fetched from (see the top of this file).
// Unlike CheckRepoIsTrusted it creates nothing unless the remote is accepted:
// then the hub dir and trusted_list are made if missing and the URL is
// appended. Errors: those of CheckRepoIsTrusted, "Untrusted git remote."
// for a no, and WhyRemoteTrusted's.
absl::Status CheckRemoteIsTrusted(const CacheLayout& cache, absl::string_view url,
                                  const RepoRef& repo, const TrustOptions& options = {});

// The question asked about a git remote.
std::string RemoteTrustPrompt(absl::string_view url, absl::string_view repo);

// The warning for trust_repo=None and an untrusted git remote.
std::string UntrustedRemoteWarning(absl::string_view url, absl::string_view repo,
                                   absl::string_view calling_fn);

}  // namespace hub

#endif  // HUB_TRUST_TRUST_H_
