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
//   cache ls|verify|prune     what the hub dir holds; re-hash (--lock F:
//                             and pinned items); free space
//   lock REPO|URL...          pin repos and weights in torchhub.lock
//   list REPO|DIR             the entrypoints of a hubconf
//   help REPO|DIR ENTRY       an entrypoint's docstring
//   load REPO|DIR ENTRY ...   call an entrypoint; TorchScript out
//   load-state-dict URL|FILE  a checkpoint's state dict (libtorch)
//
// list, help and load need Python. The `torchhub` binary answers list and
// help from the entrypoint cache (hub/hubconf/entry_cache.h) when it can,
// and otherwise runs `torchhub-python` (installed beside it; it links
// libtorch and libpython, which alone cost a third of a second to load)
// with the repo dir already resolved.
//
// Verbs that need libtorch (kLibtorchVerbs: load-state-dict) are not built
// into RunTorchhub: torchhub-python registers them (RegisterVerb, e.g.
// hub/cli/checkpoint_verbs.h), and `torchhub`, which must not link libtorch,
// hands the whole command line of such a verb (its --help included) to
// torchhub-python (SetVerbHandOff + ExecPythonCliWithArgs). To add one:
// implement it in a library linked into torchhub-python only, register it
// in python_main.cc, add its name to kLibtorchVerbs and a line to the main
// usage.
//
// Exit codes: 0 success, 1 failure (including "not trusted" for `trust
// check`), 2 a usage error. Results go to `out`; messages and errors to `err`.

#ifndef HUB_CLI_TORCHHUB_H_
#define HUB_CLI_TORCHHUB_H_

#include <csignal>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "hub/hubconf/entry_cache.h"
#include "hub/source/source.h"

namespace hub::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM during a download

// Runs the command line `args` (without the program name).
int RunTorchhub(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// A verb's parsed arguments.
struct Invocation {
  std::vector<std::string> positional;
  bool json = false;
  bool help = false;
  // A verb's own options: flags ("--no-progress" -> "") and valued ones
  // ("--hash-prefix" -> "abc"), given as "--name value" or "--name=value".
  std::map<std::string, std::string> options;

  bool Has(const std::string& name) const { return options.count(name) > 0; }
  std::optional<std::string> Value(const std::string& name) const {
    const auto it = options.find(name);
    if (it == options.end()) return std::nullopt;
    return it->second;
  }
};

// The options a verb takes beyond --json and --help.
struct VerbOptions {
  std::vector<std::string> flags;
  std::vector<std::string> valued;
};

using VerbFunction =
    std::function<int(const Invocation& inv, std::ostream& out, std::ostream& err)>;

// Adds a verb to RunTorchhub in this process (before it runs): `usage` is
// printed for --help and after usage errors, `options` are what it accepts.
// Not thread-safe; call it from main.
void RegisterVerb(const std::string& name, const std::string& usage, VerbFunction run,
                  VerbOptions options);

// The verbs that only torchhub-python has (they need libtorch).
inline constexpr const char* kLibtorchVerbs[] = {"load-state-dict"};
bool IsLibtorchVerb(absl::string_view verb);

// What RunTorchhub does with a kLibtorchVerbs verb that isn't registered:
// `torchhub` execs torchhub-python with the same command line `args`
// (everything after the program name). Without one, such a verb fails,
// saying it needs torchhub-python.
using VerbHandOff = std::function<int(const std::vector<std::string>& args, std::ostream& err)>;
void SetVerbHandOff(VerbHandOff hand_off);

// torch.hub's fetch options from a verb's command line (--force-reload,
// --skip-validation, --trust-repo, --offline, --quiet, --git-url,
// --validate-with-git); kInvalidArgument for a bad --trust-repo. Messages
// go to `err`.
absl::StatusOr<FetchOptions> FetchOptionsFrom(const Invocation& inv, const char* calling_fn,
                                              std::ostream& err);

// "torchhub: <message>", a blank line and `usage` on `err`; kExitUsage.
int Usage(std::ostream& err, absl::string_view message, absl::string_view usage);
// "torchhub: error: <status message>" on `err`; kExitFailure.
int Fail(std::ostream& err, const absl::Status& status);

// Catches SIGINT and SIGTERM for its lifetime, setting flag() (for
// DownloadOptions::cancel): the verb then cleans up and exits
// kExitInterrupted.
class ScopedInterruptHandler {
 public:
  ScopedInterruptHandler();
  ScopedInterruptHandler(const ScopedInterruptHandler&) = delete;
  ScopedInterruptHandler& operator=(const ScopedInterruptHandler&) = delete;
  ~ScopedInterruptHandler();
  const std::atomic<bool>* flag() const;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

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

// The same with the command line `args` (without the program name).
int ExecPythonCliWithArgs(const std::vector<std::string>& args, std::ostream& err);

// list's and help's output for a description (from the cache or Python).
int PrintEntrypoints(const HubconfRequest& request, const HubconfDescription& description,
                     bool from_cache, std::ostream& out);
int PrintHelp(const HubconfRequest& request, const HubconfDescription& description,
              std::ostream& out, std::ostream& err);

}  // namespace hub::cli

#endif  // HUB_CLI_TORCHHUB_H_
