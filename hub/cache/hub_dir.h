// The hub dir: where torch.hub and torchhub-cpp keep repos, weights and the
// trusted list. Resolved exactly as torch.hub's get_dir()/set_dir():
//
//   1. a directory given to SetDir ("~" expanded);
//   2. $TORCH_HOME/hub;
//   3. $XDG_CACHE_HOME/torch/hub;
//   4. ~/.cache/torch/hub.
//
// As in Python, a variable that is set but empty counts (TORCH_HOME="" gives
// the relative "hub"), and nothing is made absolute or created. Setting
// TORCH_HUB only warns: "TORCH_HUB is deprecated, please use env TORCH_HOME
// instead".
//
//   hub::SetDir("~/models/hub");
//   std::string dir = hub::GetDir();   // "/home/me/models/hub"
//
// Thread-safe. The environment is read on every GetDir(), as Python does.

#ifndef HUB_CACHE_HUB_DIR_H_
#define HUB_CACHE_HUB_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hub {

// torch.hub.set_dir: use `dir` ("~" expanded) from now on, in this process.
void SetDir(absl::string_view dir);

// Forgets SetDir's directory: GetDir() follows the environment again.
void ClearDir();

// torch.hub.get_dir.
std::string GetDir();

// torch.hub's _get_torch_home(): $TORCH_HOME, else $XDG_CACHE_HOME/torch,
// else ~/.cache/torch, "~" expanded.
std::string GetTorchHome();

}  // namespace hub

#endif  // HUB_CACHE_HUB_DIR_H_
