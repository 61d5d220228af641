// The torchhub command; see torchhub.h.
#include <iostream>
#include <string>
#include <vector>

#include "hub/base/terminal_text.h"
#include "hub/cli/command.h"
#include "hub/cli/torchhub.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // Whatever a verb prints may hold a repo's or checkpoint's text: control
  // characters are escaped (hub/base/terminal_text.h).
  hub::ControlEscapingOStream out(std::cout);
  const std::vector<std::string> args(argv + 1, argv + argc);
  // What needs Python or libtorch runs in torchhub-python.
  const int code =
      hub::cli::RunTorchhub(args, out, std::cerr, [&out](const std::vector<std::string>& a) {
        out.flush();
        return hub::cli::ExecTorchhubPython(a, std::cerr);
      });
  out.flush();
  return code;
}
