// Verbs that load checkpoints with libtorch: linked into torchhub-python
// only (the light `torchhub` hands them over, see torchhub.h).
//
//   torchhub load-state-dict URL|FILE [--map-location DEV] [--check-hash]
//                            [--file-name NAME] [--model-dir DIR] [--no-progress] [--json]
#ifndef HUB_CLI_CHECKPOINT_VERBS_H_
#define HUB_CLI_CHECKPOINT_VERBS_H_

#include <ostream>
#include <string>

#include <c10/core/ScalarType.h>

#include "hub/cli/torchhub.h"

namespace hub::cli {

// Registers load-state-dict with RegisterVerb.
void RegisterCheckpointVerbs();

// load-state-dict: a URL (http:// or https://) through
// hub::checkpoint::LoadStateDictFromUrl, anything else as a local file
// through LoadCheckpoint; prints the format, each state dict entry (name,
// dtype, shape), the tensor count and total bytes, or the checkpoint's
// Value::DebugString when it holds no state dict.
int RunLoadStateDict(const Invocation& inv, std::ostream& out, std::ostream& err);

// Python's name for a dtype: "torch.float32", "torch.int64", "torch.bool"...
std::string PythonDtypeName(c10::ScalarType type);

}  // namespace hub::cli

#endif  // HUB_CLI_CHECKPOINT_VERBS_H_
