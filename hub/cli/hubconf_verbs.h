// list, help and load: the verbs that run a repo's hubconf.py. Both binaries
// share their usage, options and front half (the repo brought into the hub
// dir, list and help answered from the entrypoint cache); the back half runs
// Python: `torchhub` hands the request to torchhub-python
// (Command::hand_off), which runs it in-process (hub/cli/python_verbs.h).
#ifndef HUB_CLI_HUBCONF_VERBS_H_
#define HUB_CLI_HUBCONF_VERBS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/api/hub.h"
#include "hub/cli/command.h"
#include "hub/cli/fetch_flags.h"

namespace hub::cli {

// The options of list, help and load (each verb declares its own).
struct HubconfFlags {
  FetchFlags fetch;
  std::optional<std::string> source;  // "github" (default) or "local"
  bool no_cache = false;              // list, help
  bool sandbox = false;               // list, help, load: the default, accepted for scripts
  bool no_sandbox = false;            // list, help, load: run the hubconf in this process
  std::optional<std::string> save_torchscript;  // load
  std::optional<std::string> input;             // load
  bool forward = false;                         // load
  bool python_object = false;                   // load
};

// A list, help or load request whose repo is already in the hub dir.
struct HubconfRequest {
  std::string verb;                    // "list", "help" or "load"
  std::string repo_dir;                // absolute
  std::vector<std::string> arguments;  // help: {ENTRY}; load: {ENTRY, VALUE...}
  HubconfFlags flags;
  bool json = false;
};

// Runs a request in Python; returns the exit code.
using HubconfRunner = int (*)(const HubconfRequest& request, const Command& command);

// list, help and load, whose Python half is `run_in_python` (nullptr: hand
// the request to torchhub-python).
std::vector<Verb> HubconfVerbs(HubconfRunner run_in_python);

// --input's shape, "1x3x224x224" or "1,3,224,224"; kInvalidArgument saying
// what --input wants.
absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text);

// The command line that has torchhub-python run `request`.
std::vector<std::string> HubconfRequestArgs(const HubconfRequest& request);

// The repo dir of a command line HubconfRequestArgs made whose hubconf will
// run in the sandbox (no --no-sandbox, no --python-object); nullopt for any
// other command line. For starting the sandbox's worker before the exec
// (hub::StartSandboxWorkerBeforeExec).
std::optional<std::string> SandboxedRepoDir(const std::vector<std::string>& handed_off);

// list's and help's output for a description (from the cache or Python).
int PrintEntrypoints(const HubconfRequest& request, const HubconfDescription& description,
                     bool from_cache, std::ostream& out);
int PrintHelp(const HubconfRequest& request, const HubconfDescription& description,
              std::ostream& out, std::ostream& err);

}  // namespace hub::cli

#endif  // HUB_CLI_HUBCONF_VERBS_H_
