#include "hub/cli/fetch_flags.h"

#include <ostream>

#include "absl/status/statusor.h"
#include "hub/base/cancellation.h"
#include "hub/base/status_macros.h"

namespace hub::cli {

void FetchFlags::Declare(OptionTable& table) {
  table.Flag("--force-reload", &force_reload)
      .Flag("--skip-validation", &skip_validation)
      .Flag("--offline", &offline)
      .Flag("--quiet", &quiet)
      .Flag("--validate-with-git", &validate_with_git)
      .Flag("--allow-insecure-remote", &allow_insecure_remote)
      .Value("--trust-repo", &trust_repo)
      .Value("--git-url", &git_url)
      .Value("--lock", &lock);
}

absl::StatusOr<HubOptions> HubOptionsFrom(const FetchFlags& flags, std::ostream& err) {
  HubOptions options;
  options.force_reload = flags.force_reload;
  options.skip_validation = flags.skip_validation;
  options.verbose = !flags.quiet;
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
  return options;
}

}  // namespace hub::cli
