// The `torchhub` command, as a function so that tests can run it in-process.
//
//   torchhub [--hub-dir DIR] [-v|--quiet] VERB [ARGS...] [--json] [--help]
//   torchhub --version
//
//   dir                       the hub dir (torch.hub.get_dir())
//   parse REPO                owner, name, ref and cache directory of REPO
//   trust list                the repos in trusted_list
//   trust add|remove REPO     change trusted_list
//   trust check REPO          whether REPO is trusted, and why
//   download URL DST          download_url_to_file, verified and atomic
//   fetch REPO                the repo into the hub dir
//   cache ls|verify|prune     what the hub dir holds; re-hash (--lock F:
//                             and pinned items); free space
//   lock REPO|URL...          pin repos and weights in torchhub.lock
//   list REPO|DIR             the entrypoints of a hubconf
//   help REPO|DIR ENTRY       an entrypoint's docstring
//   load REPO|DIR ENTRY ...   call an entrypoint; TorchScript out
//   load-state-dict URL|FILE  a checkpoint's state dict (libtorch)
//   env                       versions, hub dir, CA, proxies, sandbox support
//   completion bash           a bash completion script from the verb table
//
// The verbs are one dispatch table (TorchhubVerbs), one file per group
// (hub/cli/verbs.h); the frame (options, usage, exit codes, the hand-off) is
// hub/cli/command.h. The verbs compute through hub/api/hub.h and print.
//
// list, help and load need Python. The `torchhub` binary answers list and
// help from the entrypoint cache when it can, and otherwise hands the
// request, with the repo dir already resolved, to `torchhub-python`
// (installed beside it; it links libtorch and libpython, which alone cost a
// third of a second to load). Verbs that need libtorch (load-state-dict)
// are only rows naming the verb here, handed over whole. To add a verb:
// a Verb from a group's file, its line in kMainUsage; one that needs
// libtorch goes into torchhub-python's table (python_main.cc) and, as
// HandedOverVerb, into TorchhubVerbs.
#ifndef HUB_CLI_TORCHHUB_H_
#define HUB_CLI_TORCHHUB_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "hub/cli/command.h"

namespace hub::cli {

// The command's usage (--help, `torchhub help`).
extern const char kMainUsage[];

// The light binary's table: what needs Python or libtorch is handed over.
std::vector<Verb> TorchhubVerbs();

// `table` with the rows of `replacements` in place of those of the same
// name (torchhub-python: the verbs it runs itself).
std::vector<Verb> ReplaceVerbs(std::vector<Verb> table, const std::vector<Verb>& replacements);

// Runs the command line `args` (without the program name) against `verbs`
// (default TorchhubVerbs()); `hand_off` runs a command line in
// torchhub-python (main.cc: ExecTorchhubPython); without one, verbs that
// need it fail saying so.
int RunTorchhub(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                std::function<int(const std::vector<std::string>& args)> hand_off = nullptr);
int RunTorchhub(const std::vector<Verb>& verbs, const std::vector<std::string>& args,
                std::ostream& out, std::ostream& err,
                std::function<int(const std::vector<std::string>& args)> hand_off = nullptr);

}  // namespace hub::cli

#endif  // HUB_CLI_TORCHHUB_H_
