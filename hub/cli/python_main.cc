// torchhub-python: the torchhub command with list, help and load run
// in-process through embedded Python, and the verbs that need libtorch
// (load-state-dict). `torchhub` runs it for them.
#include <iostream>
#include <string>
#include <vector>

#include "hub/cli/checkpoint_verbs.h"
#include "hub/cli/python_verbs.h"
#include "hub/cli/torchhub.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  hub::cli::SetHubconfBackend(&hub::cli::RunHubconfInProcess);
  hub::cli::RegisterCheckpointVerbs();
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = hub::cli::RunTorchhub(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
