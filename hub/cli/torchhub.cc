#include "hub/cli/torchhub.h"

#include <algorithm>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "hub/cli/command.h"
#include "hub/cli/hubconf_verbs.h"
#include "hub/cli/verbs.h"

namespace hub::cli {

const char kMainUsage[] =
    R"(usage: torchhub [--hub-dir DIR] [-v|--quiet] VERB [ARGS...] [--json] [--help]

PyTorch Hub for C++: the same cache as Python's torch.hub.

verbs:
  dir                    print the hub dir (torch.hub.get_dir())
  parse REPO             show how REPO ("owner/name[:ref]") is parsed and cached
  trust list             list the repos in trusted_list
  trust add REPO         trust REPO (append it to trusted_list)
  trust remove REPO      remove REPO from trusted_list
  trust check REPO       say whether REPO is trusted and why (exit 1 if not)
  download URL DST       download URL to the file DST, verified and atomic
  fetch REPO             bring owner/name[:ref] into the hub dir (GitHub)
  cache ls               list the cached repos and checkpoints
  cache verify           re-hash the checkpoints against their records or names
                         (and, with --lock FILE, everything the lock pins)
  cache prune [--older-than DURATION] [--max-size SIZE] [--lock FILE] [--dry-run]
                         remove what was not used lately, or the least recently
                         used, never what another process is using nor what
                         FILE pins
  cache rm REPO|FILE     remove one repo (owner/name:ref) or checkpoint, with its
                         records and locks, unless another process is using it
  lock REPO|URL...       pin repos (commit, content) and weight files (SHA-256)
                         in torchhub.lock; --lock FILE on fetch, list, help,
                         load and load-state-dict then takes only those
  list REPO|DIR          list a hubconf's entrypoints (torch.hub.list)
  help REPO|DIR ENTRY    show an entrypoint's docstring (torch.hub.help)
  load REPO|DIR ENTRY [ARG|KEY=VALUE...]
                         call an entrypoint (torch.hub.load); TorchScript out
  load-state-dict URL|FILE
                         download (torch.hub.load_state_dict_from_url) or read a
                         checkpoint and list its state dict, without Python
  env                    what a bug report needs: versions, hub dir, CA, proxies,
                         sandbox support
  completion bash        print a bash completion script

options:
  --hub-dir DIR          use DIR as the hub dir (torch.hub.set_dir(DIR))
  --lock FILE            (a verb's) load only what FILE pins; TORCHHUB_LOCK=FILE
                         does the same for every command
  --json                 print results as JSON
  --help                 show help for a verb
  -v, --verbose          say more on stderr (before or after the verb)
  --quiet                say nothing but errors; no progress display
  --no-progress          (a downloading verb's) no progress display;
                         TORCHHUB_NO_PROGRESS=1 does the same for every command
  --version              print torchhub's version

The hub dir is, in order: --hub-dir, $TORCH_HOME/hub, $XDG_CACHE_HOME/torch/hub,
~/.cache/torch/hub. Exit codes: 0 ok, 1 failure, 2 usage error, 130
interrupted (Ctrl-C).
)";

std::vector<Verb> TorchhubVerbs() {
  std::vector<Verb> verbs;
  for (std::vector<Verb> group :
       {RepoVerbs(), TrustVerbs(), DownloadVerbs(), CacheVerbs(), LockVerbs(),
        HubconfVerbs(/*run_in_python=*/nullptr), InfoVerbs()}) {
    for (Verb& v : group) verbs.push_back(std::move(v));
  }
  verbs.push_back(HandedOverVerb("load-state-dict", Needs::kLibtorch));
  return verbs;
}

std::vector<Verb> ReplaceVerbs(std::vector<Verb> table, const std::vector<Verb>& replacements) {
  for (const Verb& r : replacements) {
    const auto it =
        std::find_if(table.begin(), table.end(), [&](const Verb& v) { return v.name == r.name; });
    if (it != table.end()) {
      *it = r;
    } else {
      table.push_back(r);
    }
  }
  return table;
}

int RunTorchhub(const std::vector<Verb>& verbs, const std::vector<std::string>& args,
                std::ostream& out, std::ostream& err,
                std::function<int(const std::vector<std::string>& args)> hand_off) {
  return RunCommand(verbs, kMainUsage, args, out, err, std::move(hand_off));
}

int RunTorchhub(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                std::function<int(const std::vector<std::string>& args)> hand_off) {
  static const std::vector<Verb>* const verbs = new std::vector<Verb>(TorchhubVerbs());
  return RunTorchhub(*verbs, args, out, err, std::move(hand_off));
}

}  // namespace hub::cli
