// The torchhub command; see torchhub.h.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "hub/api/hub.h"
#include "hub/base/terminal_text.h"
#include "hub/cli/command.h"
#include "hub/cli/hubconf_verbs.h"
#include "hub/cli/torchhub.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // Whatever a verb prints may hold a repo's or checkpoint's text: control
  // characters are escaped (hub/base/terminal_text.h).
  hub::ControlEscapingOStream out(std::cout);
  const std::vector<std::string> args(argv + 1, argv + argc);
  // What needs Python or libtorch runs in torchhub-python. A hubconf that
  // will run sandboxed gets its worker started first, so that the worker's
  // start-up runs beside torchhub-python's.
  const int code =
      hub::cli::RunTorchhub(args, out, std::cerr, [&out](const std::vector<std::string>& a) {
        out.flush();
        if (const std::optional<std::string> dir = hub::cli::SandboxedRepoDir(a)) {
          (void)hub::StartSandboxWorkerBeforeExec(*dir);
        }
        return hub::cli::ExecTorchhubPython(a, std::cerr);
      });
  out.flush();
  return code;
}
