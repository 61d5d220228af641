// torchhub-sandbox-worker: only the sandbox's worker (hub/sandbox/worker.h),
// for programs that want it apart from torchhub-python, and for tests.
#include <iostream>

#include "hub/sandbox/worker.h"

int main(int argc, char** argv) {
  if (!hub::sandbox::IsSandboxWorkerCommand(argc, argv)) {
    std::cerr << "usage: torchhub-sandbox-worker --sandbox-worker --fd=N [limits]\n"
                 "(started by hub::sandbox::DescribeHubconfInSandbox, not by hand)\n";
    return 2;
  }
  return hub::sandbox::SandboxWorkerMain(argc, argv);
}
