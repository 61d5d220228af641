#include "hub/trust/trust.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
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

// TrustOptions::extra_trusted, and TORCHHUB_TRUST's entries when it is used.
std::vector<std::string> ExtraTrusted(const TrustOptions& options) {
  std::vector<std::string> entries = options.extra_trusted;
  if (options.use_environment) {
    for (std::string& e : TrustedFromEnvironment()) entries.push_back(std::move(e));
  }
  return entries;
}

bool IsExtraTrusted(const RepoRef& repo, const TrustOptions& options) {
  const std::string full = absl::StrCat(repo.owner, "/", repo.name);
  for (const std::string& entry : ExtraTrusted(options)) {
    if (entry == "*" || entry == repo.owner || entry == full) return true;
  }
  return false;
}

// `entry` as torchhub trust add and TORCHHUB_TRUST take it.
std::string HowToTrust(absl::string_view entry) {
  return absl::StrCat("to trust it without being asked, run `torchhub trust add ", entry,
                      "`, pass trust_repo=true, or set ", kTrustEnvVar, "=", entry);
}

// A remote's URL becomes a line of trusted_list and an entry of
// TORCHHUB_TRUST: nothing that would split it, or be stripped from it.
absl::Status CheckRemoteEntry(absl::string_view url) {
  bool bad = url.empty();
  for (const char c : url) {
    bad = bad || absl::ascii_isspace(c) || absl::ascii_iscntrl(c) || c == ',';
  }
  if (!bad) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the git remote \"", absl::CHexEscape(url),
                   "\" is empty or holds whitespace, a comma or control characters; no git "
                   "remote can be trusted under such a name"));
}

// What a trust check is about: a repo or a git remote.
struct Subject {
  std::string entry;         // its trusted_list line
  std::string named;         // "the repository owner_name", in errors
  std::string question;      // asked when it must be confirmed
  std::string refused;       // the error's first words after a no
  std::string already;       // told after a yes when it was trusted
  std::string how_to_trust;  // HowToTrust(...)
  std::string warning;       // trust_repo=None's, when not trusted
};

// torch.hub's _check_repo_is_trusted after the lookup: the mode decides
// whether to ask, and an untrusted subject that is accepted is recorded.
// `created` is how making trusted_list went (told when recording fails).
absl::Status Decide(const CacheLayout& cache, bool trusted, const Subject& subject,
                    const absl::Status& created, const TrustOptions& options) {
  const TrustedList list(cache);
  if (options.mode == TrustMode::kNone) {
    if (!trusted) Warn(WarningCategory::kUserWarning, subject.warning);
    return absl::OkStatus();
  }

  if (options.mode == TrustMode::kFalse || (options.mode == TrustMode::kCheck && !trusted)) {
    TerminalPrompter terminal;
    Prompter* prompter = options.prompter != nullptr ? options.prompter : &terminal;
    absl::StatusOr<std::string> response = prompter->Ask(subject.question);
    if (!response.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(subject.named, " is not trusted (trust_repo=", TrustModeName(options.mode),
                       ") and could not be confirmed: ", response.status().message(), "; ",
                       subject.how_to_trust));
    }
    const std::string lower = absl::AsciiStrToLower(*response);
    if (lower == "y" || lower == "yes") {
      if (trusted) prompter->Tell(subject.already);
    } else if (lower == "n" || lower == "no" || lower.empty()) {
      return absl::PermissionDeniedError(absl::StrCat(subject.refused, " (", subject.entry,
                                                      " was not added to ", list.path(), "; ",
                                                      subject.how_to_trust, ")"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("Unrecognized response ", *response, "."));
    }
  }

  if (!trusted) {
    absl::Status made = MakeDirs(cache.hub_dir());
    absl::StatusOr<bool> added =
        made.ok() ? list.Add(subject.entry) : absl::StatusOr<bool>(std::move(made));
    if (!added.ok()) {
      return absl::Status(
          added.status().code(),
          absl::StrCat("cannot record that ", subject.entry,
                       " is trusted: ", added.status().message(),
                       created.ok() ? "" : absl::StrCat(" (", created.message(), ")")));
    }
  }
  return absl::OkStatus();
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
  // torch.hub touches trusted_list first, whatever the mode. A read-only hub
  // dir is fine as long as nothing needs to be written.
  const absl::Status created = TrustedList(cache).EnsureExists();
  HUB_ASSIGN_OR_RETURN(const TrustReason reason, WhyTrusted(cache, repo, options));
  const std::string owner_name = repo.OwnerName();
  const Subject subject{
      .entry = owner_name,
      .named = absl::StrCat("the repository ", owner_name),
      .question = TrustPrompt(owner_name),
      .refused = "Untrusted repository.",
      .already = "The repository is already trusted.",
      .how_to_trust = HowToTrust(absl::StrCat(repo.owner, "/", repo.name)),
      .warning = UntrustedRepoWarning(options.calling_fn),
  };
  return Decide(cache, reason != TrustReason::kNotTrusted, subject, created, options);
}

bool IsRemoteEntry(absl::string_view entry) {
  if (absl::StrContains(entry, "://") || absl::StartsWith(entry, "/")) return true;
  // scp-like ssh, as git tells it from a path: a ':' with no '/' before it.
  const size_t colon = entry.find(':');
  return colon != absl::string_view::npos && colon > 0 &&
         entry.substr(0, colon).find('/') == absl::string_view::npos;
}

absl::StatusOr<TrustReason> WhyRemoteTrusted(const CacheLayout& cache, absl::string_view url,
                                             const TrustOptions& options) {
  HUB_RETURN_IF_ERROR(CheckRemoteEntry(url));
  HUB_ASSIGN_OR_RETURN(const bool listed, TrustedList(cache).Contains(url));
  if (listed) return TrustReason::kTrustedList;
  for (const std::string& entry : ExtraTrusted(options)) {
    if (entry == "*" || entry == url) return TrustReason::kExtraTrusted;
  }
  return TrustReason::kNotTrusted;
}

absl::Status CheckRemoteIsTrusted(const CacheLayout& cache, absl::string_view url,
                                  const RepoRef& repo, const TrustOptions& options) {
  HUB_ASSIGN_OR_RETURN(const TrustReason reason, WhyRemoteTrusted(cache, url, options));
  const std::string full = absl::StrCat(repo.owner, "/", repo.name);
  const Subject subject{
      .entry = std::string(url),
      .named = absl::StrCat("the git remote ", url, " (which ", full,
                            " is to be fetched from, and which is not its own location)"),
      .question = RemoteTrustPrompt(url, full),
      .refused = "Untrusted git remote.",
      .already = "The git remote is already trusted.",
      .how_to_trust = HowToTrust(url),
      .warning = UntrustedRemoteWarning(url, full, options.calling_fn),
  };
  return Decide(cache, reason != TrustReason::kNotTrusted, subject, absl::OkStatus(), options);
}

std::string RemoteTrustPrompt(absl::string_view url, absl::string_view repo) {
  return absl::StrCat("The git remote ", url, ", which ", repo,
                      " is to be fetched from, is not that repository's own location and does not "
                      "belong to the list of trusted repositories and as such cannot be "
                      "downloaded. Do you trust this remote and wish to add it to the trusted "
                      "list of repositories (y/N)?");
}

std::string UntrustedRemoteWarning(absl::string_view url, absl::string_view repo,
                                   absl::string_view calling_fn) {
  return absl::StrCat(
      "You are about to download and run code from the git remote ", url, " under the name ", repo,
      "; it is not that repository's own location and it is not trusted. To add it to your "
      "trusted list, change the command to ",
      calling_fn, "(..., trust_repo=False) and confirm when asked, or ", calling_fn,
      "(..., trust_repo=True), or run `torchhub trust add ", url, "`");
}

}  // namespace hub
