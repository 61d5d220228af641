#include "hub/cli/fetch_flags.h"

#include <unistd.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hub/base/cancellation.h"
#include "hub/base/status_macros.h"
#include "hub/base/terminal_text.h"

namespace hub::cli {
namespace {

// "host[:port]" of an http(s):// URL, else the URL.
std::string HostOf(const std::string& url) {
  absl::string_view rest = url;
  const size_t scheme_end = rest.find("://");
  if (scheme_end == absl::string_view::npos) return url;
  rest.remove_prefix(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != absl::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest);
}

}  // namespace

void NetworkFlags::Declare(OptionTable& table) {
  table.Value("--connect-timeout", &connect_timeout)
      .Value("--stall-timeout", &stall_timeout)
      .Value("--tries", &tries);
}

absl::Status ApplyNetworkFlags(const NetworkFlags& flags, std::ostream& err,
                               DownloadOptions* download, HttpGetOptions* http) {
  HUB_ASSIGN_OR_RETURN(NetworkSettings settings, NetworkSettingsFromEnvironment());
  if (flags.connect_timeout.has_value()) {
    HUB_RETURN_IF_ERROR(SetNetworkSetting("--connect-timeout", *flags.connect_timeout, &settings));
  }
  if (flags.stall_timeout.has_value()) {
    HUB_RETURN_IF_ERROR(SetNetworkSetting("--stall-timeout", *flags.stall_timeout, &settings));
  }
  if (flags.tries.has_value()) {
    HUB_RETURN_IF_ERROR(SetNetworkSetting("--tries", *flags.tries, &settings));
  }
  // A silent wait looks like a hang: say who we wait for, on a terminal.
  std::function<void(const std::string&, int, int, const absl::Status&)> notice;
  if (::isatty(STDERR_FILENO) == 1) {
    notice = [&err](const std::string& url, int attempt, int max_attempts,
                    const absl::Status& why) {
      err << "torchhub: waiting for " << EscapeControls(HostOf(url)) << " (try " << attempt
          << " of " << max_attempts << "): " << EscapeControls(why.message()) << "\n";
    };
  }
  if (download != nullptr) {
    settings.ApplyTo(*download);
    download->on_retry = notice;
  }
  if (http != nullptr) {
    settings.ApplyTo(*http);
    http->on_retry = notice;
  }
  return absl::OkStatus();
}

void FetchFlags::Declare(OptionTable& table) {
  network.Declare(table);
  table.Flag("--force-reload", &force_reload)
      .Flag("--skip-validation", &skip_validation)
      .Flag("--offline", &offline)
      .Flag("--quiet", &quiet)
      .Flag("--validate-with-git", &validate_with_git)
      .Flag("--allow-insecure-remote", &allow_insecure_remote)
      .Value("--trust-repo", &trust_repo, OneOf({"check", "true", "false", "none"}))
      .Value("--git-url", &git_url)
      .Value("--lock", &lock);
}

absl::StatusOr<HubOptions> HubOptionsFrom(const FetchFlags& flags, std::ostream& err,
                                          Verbosity verbosity) {
  HubOptions options;
  options.force_reload = flags.force_reload;
  options.skip_validation = flags.skip_validation;
  options.verbose = !flags.quiet && verbosity != Verbosity::kQuiet;
  options.trust_repo = FetchOptions().trust.mode;  // the command asks: "check"
  if (flags.trust_repo.has_value()) {
    HUB_ASSIGN_OR_RETURN(options.trust_repo, ParseTrustMode(*flags.trust_repo));
  }
  options.fetch.offline = flags.offline;
  // The process's every socket, not only this fetch's (the transports' check).
  if (flags.offline) SetOffline(true);
  options.fetch.validate_with_git = flags.validate_with_git;
  options.fetch.git_url = flags.git_url.value_or("");
  options.fetch.allow_insecure_remote = flags.allow_insecure_remote;
  // Results on stdout; torch.hub's messages on stderr.
  options.fetch.out = &err;
  options.fetch.err = &err;
  options.lock_file = flags.lock.value_or("");
  HUB_RETURN_IF_ERROR(
      ApplyNetworkFlags(flags.network, err, &options.fetch.download, &options.fetch.http));
  return options;
}

namespace {

// "pytorch/vision" (":ref" for a /tree/REF link) from a GitHub web or clone
// URL; "" when `text` is not one.
std::string RepoFromGithubUrl(absl::string_view text) {
  absl::string_view rest = text;
  bool github = false;
  for (absl::string_view prefix : {"https://github.com/", "http://github.com/",
                                   "https://www.github.com/", "github.com/", "git@github.com:"}) {
    if (absl::StartsWithIgnoreCase(rest, prefix)) {
      rest.remove_prefix(prefix.size());
      github = true;
      break;
    }
  }
  if (!github) return "";
  const std::vector<absl::string_view> parts = absl::StrSplit(rest, '/', absl::SkipEmpty());
  if (parts.size() < 2) return "";
  absl::string_view name = parts[1];
  absl::ConsumeSuffix(&name, ".git");
  std::string repo = absl::StrCat(parts[0], "/", name);
  if (parts.size() >= 4 && parts[2] == "tree") absl::StrAppend(&repo, ":", parts[3]);
  return repo;
}

}  // namespace

absl::Status CheckRepoArgument(absl::string_view verb, absl::string_view repo) {
  const absl::StatusOr<ParsedRepo> parsed = ParseRepo(repo);
  if (parsed.ok() || parsed.status().code() != absl::StatusCode::kInvalidArgument) {
    return absl::OkStatus();
  }
  if (const std::string from_url = RepoFromGithubUrl(repo); !from_url.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        verb, ": REPO is \"owner/name[:ref]\", not a URL: torchhub ", verb, " ", from_url));
  }
  if (absl::StrContains(repo, "://")) {
    return absl::InvalidArgumentError(
        absl::StrCat(verb,
                     ": REPO is \"owner/name[:ref]\", not a URL; for any git remote, name "
                     "the cache dir and give the remote: torchhub ",
                     verb, " owner/name:ref --git-url ", repo));
  }
  const bool takes_local = verb != "fetch" && verb != "parse";
  if (takes_local &&
      (GuessSource(repo) == Source::kLocal || LocalRepoDir(std::string(repo)).ok())) {
    return absl::InvalidArgumentError(absl::StrCat(
        verb, ": \"", repo, "\" is a directory, not \"owner/name[:ref]\": add --source local"));
  }
  return absl::InvalidArgumentError(absl::StrCat(verb, ": ", parsed.status().message()));
}

}  // namespace hub::cli
