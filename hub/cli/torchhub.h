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
//   fetch REPO                the repo into the hub dir
//   cache ls                  what the hub dir holds
//   list REPO|DIR             the entrypoints of a hubconf
//   help REPO|DIR ENTRY       an entrypoint's docstring
//   load REPO|DIR ENTRY ...   call an entrypoint; TorchScript out
//
// list, help and load need Python. The `torchhub` binary answers list and
// help from the entrypoint cache (hub/hubconf/entry_cache.h) when it can,
// and otherwise runs `torchhub-python` (installed beside it; it links
// libtorch and libpython, which alone cost a third of a second to load)
// with the repo dir already resolved.
//
// Exit codes: 0 success, 1 failure (including "not trusted" for `trust
// check`), 2 a usage error. Results go to `out`; messages and errors to `err`.

#ifndef HUB_CLI_TORCHHUB_H_
#define HUB_CLI_TORCHHUB_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "hub/hubconf/entry_cache.h"

namespace hub::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM during a download

// Runs the command line `args` (without the program name).
int RunTorchhub(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// A list, help or load request whose repo is already in the hub dir.
struct HubconfRequest {
  std::string verb;                            // "list", "help" or "load"
  std::string repo_dir;                        // absolute
  std::vector<std::string> arguments;          // help: {ENTRY}; load: {ENTRY, VALUE...}
  std::map<std::string, std::string> options;  // the verb's own, e.g. "--forward"
  bool json = false;
};

// Runs requests in Python; returns the exit code.
using HubconfBackend =
    std::function<int(const HubconfRequest& request, std::ostream& out, std::ostream& err)>;

// What list, help and load call once the answer isn't in the entrypoint
// cache: `torchhub` execs `torchhub-python`; `torchhub-python` runs them
// in-process (hub/cli/python_verbs.h). Without one they fail, saying so.
void SetHubconfBackend(HubconfBackend backend);

// The command line that has `torchhub-python` run `request`.
std::vector<std::string> HubconfRequestArgs(const HubconfRequest& request);

// Replaces this process with `torchhub-python` running `request`: the one
// named by TORCHHUB_PYTHON_CLI, else the one beside this executable.
// Returns only on failure.
int ExecPythonCli(const HubconfRequest& request, std::ostream& err);

// list's and help's output for a description (from the cache or Python).
int PrintEntrypoints(const HubconfRequest& request, const HubconfDescription& description,
                     bool from_cache, std::ostream& out);
int PrintHelp(const HubconfRequest& request, const HubconfDescription& description,
              std::ostream& out, std::ostream& err);

}  // namespace hub::cli

#endif  // HUB_CLI_TORCHHUB_H_
