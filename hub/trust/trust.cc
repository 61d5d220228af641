#include "hub/trust/trust.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/files.h"
#include "hub/trust/trusted_list.h"

namespace hub {
namespace {

bool IsTrustedOwner(absl::string_view owner) {
  for (absl::string_view trusted : kTrustedRepoOwners) {
    if (owner == trusted) return true;
  }
  return false;
}

bool IsExtraTrusted(const RepoRef& repo, const TrustOptions& options) {
  std::vector<std::string> entries = options.extra_trusted;
  if (options.use_environment) {
    for (std::string& e : TrustedFromEnvironment()) entries.push_back(std::move(e));
  }
  const std::string full = absl::StrCat(repo.owner, "/", repo.name);
  for (const std::string& entry : entries) {
    if (entry == "*" || entry == repo.owner || entry == full) return true;
  }
  return false;
}

std::string HowToTrust(const RepoRef& repo) {
  const std::string full = absl::StrCat(repo.owner, "/", repo.name);
  return absl::StrCat("to trust it without being asked, run `torchhub trust add ", full,
                      "`, pass trust_repo=true, or set ", kTrustEnvVar, "=", full);
}

}  // namespace

absl::StatusOr<TrustMode> ParseTrustMode(absl::string_view mode) {
  const std::string lower = absl::AsciiStrToLower(mode);
  if (lower == "check") return TrustMode::kCheck;
  if (lower == "true") return TrustMode::kTrue;
  if (lower == "false") return TrustMode::kFalse;
  if (lower == "none") return TrustMode::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown trust_repo mode \"", mode, "\"; use check, true, false or none"));
}

absl::string_view TrustModeName(TrustMode mode) {
  switch (mode) {
    case TrustMode::kCheck:
      return "check";
    case TrustMode::kTrue:
      return "true";
    case TrustMode::kFalse:
      return "false";
    case TrustMode::kNone:
      return "none";
  }
  return "check";
}

absl::string_view TrustReasonName(TrustReason reason) {
  switch (reason) {
    case TrustReason::kNotTrusted:
      return "not trusted";
    case TrustReason::kTrustedList:
      return "in trusted_list";
    case TrustReason::kAlreadyDownloaded:
      return "already downloaded";
    case TrustReason::kTrustedOwner:
      return "trusted owner";
    case TrustReason::kExtraTrusted:
      return "trusted by TORCHHUB_TRUST or the caller";
  }
  return "not trusted";
}

std::vector<std::string> TrustedFromEnvironment() {
  const char* value = std::getenv(kTrustEnvVar);
  if (value == nullptr) return {};
  return absl::StrSplit(value, absl::ByAnyChar(", \t\n"), absl::SkipEmpty());
}

std::string TrustPrompt(absl::string_view owner_name) {
  return absl::StrCat("The repository ", owner_name,
                      " does not belong to the list of trusted repositories and as such cannot "
                      "be downloaded. Do you trust this repository and wish to add it to the "
                      "trusted list of repositories (y/N)?");
}

std::string UntrustedRepoWarning(absl::string_view calling_fn) {
  return absl::StrCat(
      "You are about to download and run code from an untrusted repository. In a future "
      "release, this won't be allowed. To add the repository to your trusted list, change the "
      "command to ",
      calling_fn,
      "(..., trust_repo=False) and a command prompt will appear asking for an explicit "
      "confirmation of trust, or ",
      calling_fn,
      "(..., trust_repo=True), which will assume that the prompt is to be answered with 'yes'. "
      "You can also use ",
      calling_fn,
      "(..., trust_repo='check') which will only prompt for confirmation if the repo is not "
      "already trusted. This will eventually be the default behaviour");
}

absl::StatusOr<TrustReason> WhyTrusted(const CacheLayout& cache, const RepoRef& repo,
                                       const TrustOptions& options) {
  HUB_ASSIGN_OR_RETURN(const bool listed, TrustedList(cache).Contains(repo.OwnerName()));
  if (listed) return TrustReason::kTrustedList;
  if (repo.ref.has_value()) {
    HUB_ASSIGN_OR_RETURN(const std::string repo_dir, cache.RepoDir(repo));
    if (IsDirectory(repo_dir)) return TrustReason::kAlreadyDownloaded;
  }
  if (IsTrustedOwner(repo.owner)) return TrustReason::kTrustedOwner;
  if (IsExtraTrusted(repo, options)) return TrustReason::kExtraTrusted;
  return TrustReason::kNotTrusted;
}

absl::Status CheckRepoIsTrusted(const CacheLayout& cache, const RepoRef& repo,
                                const TrustOptions& options) {
  if (!repo.ref.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot check trust for \"", repo.ToString(),
                                                      "\" before its ref is resolved"));
  }
  const TrustedList list(cache);
  // torch.hub touches trusted_list first, whatever the mode. A read-only hub
  // dir is fine as long as nothing needs to be written.
  const absl::Status created = list.EnsureExists();
  HUB_ASSIGN_OR_RETURN(const TrustReason reason, WhyTrusted(cache, repo, options));
  const bool trusted = reason != TrustReason::kNotTrusted;
  const std::string owner_name = repo.OwnerName();

  if (options.mode == TrustMode::kNone) {
    if (!trusted) Warn(WarningCategory::kUserWarning, UntrustedRepoWarning(options.calling_fn));
    return absl::OkStatus();
  }

  if (options.mode == TrustMode::kFalse || (options.mode == TrustMode::kCheck && !trusted)) {
    TerminalPrompter terminal;
    Prompter* prompter = options.prompter != nullptr ? options.prompter : &terminal;
    absl::StatusOr<std::string> response = prompter->Ask(TrustPrompt(owner_name));
    if (!response.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the repository ", owner_name,
          " is not trusted (trust_repo=", TrustModeName(options.mode),
          ") and could not be confirmed: ", response.status().message(), "; ", HowToTrust(repo)));
    }
    const std::string lower = absl::AsciiStrToLower(*response);
    if (lower == "y" || lower == "yes") {
      if (trusted) prompter->Tell("The repository is already trusted.");
    } else if (lower == "n" || lower == "no" || lower.empty()) {
      return absl::PermissionDeniedError(absl::StrCat("Untrusted repository. (", owner_name,
                                                      " was not added to ", list.path(), "; ",
                                                      HowToTrust(repo), ")"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("Unrecognized response ", *response, "."));
    }
  }

  if (!trusted) {
    absl::StatusOr<bool> added = list.Add(owner_name);
    if (!added.ok()) {
      return absl::Status(
          added.status().code(),
          absl::StrCat("cannot record that ", owner_name, " is trusted: ", added.status().message(),
                       created.ok() ? "" : absl::StrCat(" (", created.message(), ")")));
    }
  }
  return absl::OkStatus();
}

}  // namespace hub
