// list, help and load run in this process through embedded Python
// (hub/api/torch.h): what torchhub-python does with the requests `torchhub`
// hands it.
#ifndef HUB_CLI_PYTHON_VERBS_H_
#define HUB_CLI_PYTHON_VERBS_H_

#include <vector>

#include "hub/cli/command.h"
#include "hub/cli/hubconf_verbs.h"

namespace hub::cli {

// list and help: runs the hubconf (the entrypoint cache stores the answer),
// prints it. load: calls the entry and reports what came back, with
// --save-torchscript, --input, --forward and --python-object (see
// `torchhub load --help`).
int RunHubconfInProcess(const HubconfRequest& request, const Command& command);

// list, help and load with RunHubconfInProcess as their Python half.
std::vector<Verb> PythonVerbs();

}  // namespace hub::cli

#endif  // HUB_CLI_PYTHON_VERBS_H_
