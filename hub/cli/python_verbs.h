// list, help and load run in this process through embedded Python: what
// `torchhub-python` does with the requests `torchhub` hands it.
#ifndef HUB_CLI_PYTHON_VERBS_H_
#define HUB_CLI_PYTHON_VERBS_H_

#include <ostream>

#include "hub/cli/torchhub.h"

namespace hub::cli {

// list and help: runs the hubconf, stores the answer in the entrypoint
// cache, prints it. load: calls the entry and reports what came back, with
// --save-torchscript, --input, --forward and --python-object (see
// `torchhub load --help`).
int RunHubconfInProcess(const HubconfRequest& request, std::ostream& out, std::ostream& err);

}  // namespace hub::cli

#endif  // HUB_CLI_PYTHON_VERBS_H_
