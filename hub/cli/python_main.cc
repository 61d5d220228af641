// torchhub-python: the torchhub command with list, help and load run
// in-process through embedded Python, and the verbs that need libtorch
// (load-state-dict). `torchhub` hands it those. With --sandbox-worker it is
// the hubconf sandbox's worker instead.
#include <iostream>
#include <string>
#include <vector>

#include "hub/base/terminal_text.h"
#include "hub/cli/checkpoint_verbs.h"
#include "hub/cli/python_verbs.h"
#include "hub/cli/torchhub.h"
#include "hub/sandbox/worker.h"

int main(int argc, char** argv) {
  // `torchhub list --sandbox` runs this program again, confined, as its
  // worker (hub/sandbox/worker.h).
  if (hub::sandbox::IsSandboxWorkerCommand(argc, argv)) {
    return hub::sandbox::SandboxWorkerMain(argc, argv);
  }
  std::ios::sync_with_stdio(false);
  const std::vector<hub::cli::Verb> verbs = hub::cli::ReplaceVerbs(
      hub::cli::ReplaceVerbs(hub::cli::TorchhubVerbs(), hub::cli::PythonVerbs()),
      hub::cli::CheckpointVerbs());
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Whatever a verb prints may hold a repo's or checkpoint's text: control
  // characters are escaped (hub/base/terminal_text.h).
  hub::ControlEscapingOStream out(std::cout);
  const int code = hub::cli::RunTorchhub(verbs, args, out, std::cerr);
  out.flush();
  return code;
}
