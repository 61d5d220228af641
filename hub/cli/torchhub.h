// The `torchhub` command, as a function so that tests can run it in-process.
//
//   torchhub [--hub-dir DIR] VERB [ARGS...] [--json] [--help]
//
//   dir                       the hub dir (torch.hub.get_dir())
//   parse REPO                owner, name, ref and cache directory of REPO
//   trust list                the repos in trusted_list
//   trust add|remove REPO     change trusted_list
//   trust check REPO          whether REPO is trusted, and why
//   download URL DST          download_url_to_file, verified and atomic
//
// Exit codes: 0 success, 1 failure (including "not trusted" for `trust
// check`), 2 a usage error. Results go to `out`; messages and errors to `err`.

#ifndef HUB_CLI_TORCHHUB_H_
#define HUB_CLI_TORCHHUB_H_

#include <ostream>
#include <string>
#include <vector>

namespace hub::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM during a download

// Runs the command line `args` (without the program name).
int RunTorchhub(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hub::cli

#endif  // HUB_CLI_TORCHHUB_H_
