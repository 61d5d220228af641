// Copying a state dict into a module by name, as Python's
// Module.load_state_dict does: parameters and buffers, strict or not.
//
//   HUB_ASSIGN_OR_RETURN(auto sd, hub::checkpoint::ExtractStateDict(ckpt.value));
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::LoadReport r,
//                        hub::checkpoint::LoadStateDictInto(*my_resnet, sd));
//
// Works on a C++ frontend module (torch::nn::Module) and on a TorchScript
// module (torch::jit::Module, e.g. one torchhub's hubconf runner returned).
// Values are copied into the module's own tensors (with its dtype and
// device), under no_grad.
//
// Errors are Python's: kInvalidArgument with "Error(s) in loading
// state_dict for <Module>:" then "Missing key(s) in state_dict: ...",
// "Unexpected key(s) in state_dict: ..." (when strict) and "size mismatch
// for <name>: copying a param with shape torch.Size([..]) from checkpoint,
// the shape in current model is torch.Size([..])." (always). Nothing is
// copied unless every check passes.
#ifndef HUB_CHECKPOINT_MODULE_STATE_H_
#define HUB_CHECKPOINT_MODULE_STATE_H_

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace torch::nn {
class Module;
}  // namespace torch::nn
namespace torch::jit {
struct Module;
}  // namespace torch::jit

namespace hub::checkpoint {

using StateDict = std::vector<std::pair<std::string, at::Tensor>>;

// Python's _IncompatibleKeys.
struct LoadReport {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

absl::StatusOr<LoadReport> LoadStateDictInto(torch::nn::Module& module, const StateDict& state_dict,
                                             bool strict = true);
absl::StatusOr<LoadReport> LoadStateDictInto(torch::jit::Module& module,
                                             const StateDict& state_dict, bool strict = true);

// The module's parameters and buffers by dotted name, as state_dict() gives
// them (sharing memory with the module).
StateDict ModuleStateDict(const torch::nn::Module& module);
StateDict ModuleStateDict(const torch::jit::Module& module);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_MODULE_STATE_H_
