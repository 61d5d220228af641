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

}  // namespace hub

#endif  // HUB_TRUST_TRUST_H_
