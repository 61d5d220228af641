// The fetch options that fetch, lock, list, help and load share, and how
// they become HubOptions (hub/api/hub.h).
#ifndef HUB_CLI_FETCH_FLAGS_H_
#define HUB_CLI_FETCH_FLAGS_H_

#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/api/hub.h"
#include "hub/cli/command.h"

namespace hub::cli {

// How long to wait for servers and how often to try: --connect-timeout,
// --stall-timeout and --tries, over TORCHHUB_CONNECT_TIMEOUT,
// TORCHHUB_STALL_TIMEOUT and TORCHHUB_TRIES (hub/download/network_settings.h).
struct NetworkFlags {
  std::optional<std::string> connect_timeout;
  std::optional<std::string> stall_timeout;
  std::optional<std::string> tries;

  void Declare(OptionTable& table);
};

// The usage lines for NetworkFlags (a literal, to end a usage text with).
#define HUB_CLI_NETWORK_FLAGS_TEXT                                                 \
  "  --connect-timeout T  time to open a connection (default 30s;\n"               \
  "                       TORCHHUB_CONNECT_TIMEOUT); T is seconds, or 500ms, 2m\n" \
  "  --stall-timeout T    give a try up after T without a byte (default 60s;\n"    \
  "                       TORCHHUB_STALL_TIMEOUT)\n"                               \
  "  --tries N            tries per request in all (default 3 for API calls,\n"    \
  "                       5 for downloads; TORCHHUB_TRIES)\n"

// Applies the environment, then `flags`, to `download` and `http` (either
// may be null). On a terminal, each retry prints "torchhub: waiting for HOST
// (try 2 of 5): <why the last try failed>" on `err`. kInvalidArgument for a
// bad value, naming the flag or variable.
absl::Status ApplyNetworkFlags(const NetworkFlags& flags, std::ostream& err,
                               DownloadOptions* download, HttpGetOptions* http);

struct FetchFlags {
  bool force_reload = false;
  bool skip_validation = false;
  bool offline = false;
  bool quiet = false;
  bool validate_with_git = false;
  bool allow_insecure_remote = false;
  std::optional<std::string> trust_repo;
  std::optional<std::string> git_url;
  std::optional<std::string> lock;
  NetworkFlags network;

  void Declare(OptionTable& table);
};

// torch.hub's fetch options from the command line; kInvalidArgument for a
// bad --trust-repo (default: check). torch.hub's messages go to `err`
// (results own stdout), none with --quiet (the verb's or the global one,
// `verbosity`).
absl::StatusOr<HubOptions> HubOptionsFrom(const FetchFlags& flags, std::ostream& err,
                                          Verbosity verbosity = Verbosity::kNormal);

// OK when `repo` parses as "owner/name[:ref]" (or fails for another reason
// than its spelling, which the fetch then reports). Else kInvalidArgument
// for Call::BadValue, one line saying what to type instead: a GitHub URL's
// owner/name, --git-url for another remote, --source local for a directory
// (list, help, load), or ParseRepo's reason.
//   CheckRepoArgument("fetch", "https://github.com/pytorch/vision")
//   -> fetch: REPO is "owner/name[:ref]", not a URL: torchhub fetch pytorch/vision
absl::Status CheckRepoArgument(absl::string_view verb, absl::string_view repo);

}  // namespace hub::cli

#endif  // HUB_CLI_FETCH_FLAGS_H_
