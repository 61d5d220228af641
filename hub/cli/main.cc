// The torchhub command; see torchhub.h.
#include <iostream>
#include <string>
#include <vector>

#include "hub/base/terminal_text.h"
#include "hub/cli/torchhub.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // Whatever a verb prints may hold a repo's or checkpoint's text: control
  // characters are escaped (hub/base/terminal_text.h).
  hub::ControlEscapingOStream out(std::cout);
  // list, help and load answered from the entrypoint cache stay here;
  // anything that needs Python runs in torchhub-python.
  hub::cli::SetHubconfBackend(
      [&out](const hub::cli::HubconfRequest& request, std::ostream&, std::ostream& err) {
        out.flush();
        return hub::cli::ExecPythonCli(request, err);
      });
  // Verbs that need libtorch (hub::cli::kLibtorchVerbs) run there too.
  hub::cli::SetVerbHandOff([&out](const std::vector<std::string>& args, std::ostream& err) {
    out.flush();
    return hub::cli::ExecPythonCliWithArgs(args, err);
  });
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = hub::cli::RunTorchhub(args, out, std::cerr);
  out.flush();
  return code;
}
