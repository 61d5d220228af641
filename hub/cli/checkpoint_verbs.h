// Verbs that load checkpoints with libtorch: in torchhub-python only (the
// light `torchhub` hands them over, see hub/cli/command.h).
//
//   torchhub load-state-dict URL|FILE [--map-location DEV] [--check-hash]
//                            [--file-name NAME] [--model-dir DIR] [--no-progress] [--json]
//
// load-state-dict: a URL (http:// or https://) through
// hub::LoadStateDictFromUrl, anything else as a local file through
// hub::LoadStateDictFromFile (hub/api/torch.h); prints the format, each state
// dict entry (name, dtype, shape), the tensor count and total bytes, or the
// checkpoint's Value::DebugString when it holds no state dict.
#ifndef HUB_CLI_CHECKPOINT_VERBS_H_
#define HUB_CLI_CHECKPOINT_VERBS_H_

#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

#include "hub/cli/command.h"

namespace hub::cli {

// load-state-dict's row of the dispatch table.
std::vector<Verb> CheckpointVerbs();

// Python's name for a dtype: "torch.float32", "torch.int64", "torch.bool"...
std::string PythonDtypeName(c10::ScalarType type);

}  // namespace hub::cli

#endif  // HUB_CLI_CHECKPOINT_VERBS_H_
