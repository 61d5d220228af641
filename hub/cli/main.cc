// The torchhub command; see torchhub.h.
#include <iostream>
#include <string>
#include <vector>

#include "hub/cli/torchhub.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = hub::cli::RunTorchhub(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
