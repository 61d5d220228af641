// torchhub-cpp's facade for what needs libtorch and libpython: torch.hub's
// load, load_state_dict_from_url, list and help (through embedded Python).
// Everything else is in the light hub/api/hub.h, which this includes.
//
//   #include "hub/api/torch.h"   // @torchhub_cpp//hub/api (or //hub/api:torch)
//
//   hub::HubOptions o;
//   o.trust_repo = hub::TrustMode::kTrue;
//   HUB_ASSIGN_OR_RETURN(std::vector<std::string> names, hub::List("pytorch/vision:v0.14.1", o));
//   HUB_ASSIGN_OR_RETURN(std::optional<std::string> doc,
//                        hub::Help("pytorch/vision:v0.14.1", "resnet18", o));
//   hub::HubArgs args;
//   args.kwargs = {{"weights", hub::HubValue("ResNet18_Weights.DEFAULT")}};
//   HUB_ASSIGN_OR_RETURN(hub::LoadedEntry m, hub::Load("pytorch/vision:v0.14.1", "resnet18",
//                                                      args, o));
//   m.module->forward({torch::rand({1, 3, 224, 224})});          // TorchScript, no Python
//
//   HUB_ASSIGN_OR_RETURN(hub::StateDictResult w, hub::LoadStateDictFromUrl(
//       "https://download.pytorch.org/models/resnet18-f37072fd.pth", o));
//   w.state_dict;  // name -> at::Tensor, in order
//
// | torch.hub                        | here                                    |
// | -------------------------------- | --------------------------------------- |
// | list(github, ...)                | List(github, options)                   |
// | help(github, model, ...)         | Help(github, model, options)            |
// | load(repo_or_dir, model, *args,  | Load(repo_or_dir, model, args, options, |
// |      source=, **kwargs)          |   load) (HubArgs: *args and **kwargs)   |
// | load_state_dict_from_url(url,..) | LoadStateDictFromUrl(url, options)      |
// | torch.load(f, weights_only=True) | LoadStateDictFromFile(path, options)    |
//
// hub/hubconf/hubconf.h says what comes back from an entrypoint (LoadedEntry,
// HubValue); hub/checkpoint/checkpoint.h and state_dict_from_url.h, weights.
//
// Thread-safe: every function may be called from any thread.
#ifndef HUB_API_TORCH_H_
#define HUB_API_TORCH_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/api/hub.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/hubconf/hubconf.h"

namespace hub {

// torch.hub.list: the entrypoints of a GitHub repo's hubconf ("owner/name"
// or "owner/name:ref"); with source "local", of a directory.
absl::StatusOr<std::vector<std::string>> List(absl::string_view github,
                                              const HubOptions& options = {});

// torch.hub.help: the entrypoint's docstring; nullopt when it has none.
absl::StatusOr<std::optional<std::string>> Help(absl::string_view github, absl::string_view model,
                                                const HubOptions& options = {});

// What list and help answer for a repo dir (hub/hubconf/entry_cache.h):
// from the entrypoint cache when it is current and options.use_entry_cache,
// else by running the hubconf (and stored for next time); with
// options.sandbox, run in the sandbox (hub/sandbox/sandbox.h).
struct RepoDescription {
  HubconfDescription description;
  bool from_cache = false;
};
absl::StatusOr<RepoDescription> DescribeRepo(absl::string_view repo_dir,
                                             const HubOptions& options = {});

// torch.hub.load(repo_or_dir, model, *args, source=, **kwargs); `load` says
// how an nn.Module comes back (TorchScript; example inputs for tracing).
absl::StatusOr<LoadedEntry> Load(absl::string_view repo_or_dir, absl::string_view model,
                                 const HubArgs& args = {}, const HubOptions& options = {},
                                 const LoadOptions& load = {});

struct StateDictResult {
  std::string path;                   // the file loaded (cached, or as given)
  bool downloaded = false;            // false: it was in the cache (or local)
  checkpoint::Checkpoint checkpoint;  // what torch.load returns
  // The state dict in it (checkpoint::ExtractStateDict); empty, with
  // state_dict_status saying why, when it holds none.
  std::vector<std::pair<std::string, at::Tensor>> state_dict;
  absl::Status state_dict_status;
};

// The format `result` was read in, for printing: "zip", "legacy",
// "legacy-zip", "safetensors" (checkpoint::FormatName).
const char* CheckpointFormatName(const StateDictResult& result);

// Whether `text` is a map_location this library accepts ("cpu", "cuda",
// "cuda:N", "none", or "SAVED=DEV,..."), for checking a command line
// before anything is fetched.
bool ValidMapLocation(absl::string_view text);

// torch.hub.load_state_dict_from_url(url, model_dir, map_location, progress,
// check_hash, file_name, weights_only).
absl::StatusOr<StateDictResult> LoadStateDictFromUrl(const std::string& url,
                                                     const HubOptions& options = {});

// torch.load(path, map_location, weights_only=True) of a local checkpoint in
// any format hub/checkpoint reads (a legacy zipped one is extracted to a
// scratch directory under $TMPDIR, removed afterwards), with its state dict.
// Of `options` only map_location counts.
absl::StatusOr<StateDictResult> LoadStateDictFromFile(const std::string& path,
                                                      const HubOptions& options = {});

}  // namespace hub

#endif  // HUB_API_TORCH_H_
