// The torchhub command; see torchhub.h.
#include <iostream>
#include <string>
#include <vector>

#include "hub/cli/torchhub.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // list, help and load answered from the entrypoint cache stay here;
  // anything that needs Python runs in torchhub-python.
  hub::cli::SetHubconfBackend(
      [](const hub::cli::HubconfRequest& request, std::ostream&, std::ostream& err) {
        std::cout.flush();
        return hub::cli::ExecPythonCli(request, err);
      });
  // Verbs that need libtorch (hub::cli::kLibtorchVerbs) run there too.
  hub::cli::SetVerbHandOff([](const std::vector<std::string>& args, std::ostream& err) {
    std::cout.flush();
    return hub::cli::ExecPythonCliWithArgs(args, err);
  });
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = hub::cli::RunTorchhub(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
