// torchhub-cpp's facade: torch.hub's functions for C++, one header.
//
//   #include "hub/api/hub.h"   // @torchhub_cpp//hub/api
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
// | load(repo_or_dir, model, *args,  | Load(repo_or_dir, model, args, options) |
// |      source=, **kwargs)          |   (HubArgs holds *args and **kwargs)    |
// | download_url_to_file(url, dst,   | DownloadUrlToFile(url, dst,             |
// |      hash_prefix, progress)      |   hash_prefix, progress)                |
// | load_state_dict_from_url(url,..) | LoadStateDictFromUrl(url, options)      |
// | get_dir(), set_dir(d)            | GetDir(), SetDir(d)                     |
//
// Every torch.hub parameter is a field of HubOptions, with torch.hub's
// default. What each returns, and where it goes beyond torch.hub, is in
// the headers of the libraries underneath: hub/source/source.h (fetching),
// hub/hubconf/hubconf.h (running hubconf.py; LoadedEntry, HubValue),
// hub/download/downloader.h, hub/checkpoint/checkpoint.h and
// state_dict_from_url.h (weights), hub/cache/hub_dir.h.
//
// Thread-safe: every function may be called from any thread.
#ifndef HUB_API_HUB_H_
#define HUB_API_HUB_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/cache/hub_dir.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/download/downloader.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hubconf/hubconf.h"
#include "hub/source/source.h"
#include "hub/trust/trust.h"

namespace hub {

struct HubOptions {
  // --- torch.hub's parameters, with its defaults ---
  bool force_reload = false;
  bool skip_validation = false;
  // trust_repo: None (warn and go on), True, False (ask unless trusted), or
  // "check" (only trusted_list and the owner allowlist).
  TrustMode trust_repo = TrustMode::kNone;
  bool verbose = true;
  std::string source = "github";  // load's source: "github" or "local"
  bool progress = true;
  bool check_hash = false;
  std::string file_name;     // "" -> the URL's base name
  std::string map_location;  // "" -> torch.load's None: where each storage was saved
  std::string model_dir;     // "" -> <hub dir>/checkpoints
  // Checkpoints are always read weights-only (hub/checkpoint never runs
  // pickled code); false is accepted for torch.hub's signature and changes
  // nothing.
  bool weights_only = true;

  // --- beyond torch.hub ---
  // How an nn.Module comes back (TorchScript; example inputs for tracing).
  LoadOptions load;
  // Fetching: offline mode, GitHub endpoints, any git remote, download
  // retries and CA, messages' streams. Its force_reload, skip_validation,
  // trust mode and verbose are taken from the fields above.
  FetchOptions fetch;
  // A file name without a hash under check_hash: warn (torch.hub checks
  // nothing silently) or refuse.
  MissingHash missing_hash = MissingHash::kWarn;
  // Answer list and help from the entrypoint cache when it is current.
  bool use_entry_cache = true;
  // A lock file (`torchhub lock`, hub/lock/lock_file.h) that loads must
  // satisfy; "" -> $TORCHHUB_LOCK if set, else none. With one, List, Help
  // and Load (source "github") take a repo only as it pins it (its commit,
  // its content, checked; no network when cached), and LoadStateDictFromUrl
  // a URL only with the file and whole SHA-256 it pins. Anything else is
  // kFailedPrecondition, a mismatch kFailedPrecondition or kDataLoss. A git
  // remote the lock names that is not the repo's own GitHub location must be
  // trusted by itself (asked as trust_repo says, kPermissionDenied when
  // refused), and a file://, http:// or git:// one needs
  // fetch.allow_insecure_remote (or TORCHHUB_ALLOW_INSECURE_REMOTE=1); a
  // pinned commit that is not in its ref's history is refused as a fork's
  // (kNotFound) unless skip_validation (hub/lock/pinned.h).
  std::string lock_file;
};

// torch.hub.list: the entrypoints of a GitHub repo's hubconf ("owner/name"
// or "owner/name:ref"); with source "local", of a directory.
absl::StatusOr<std::vector<std::string>> List(absl::string_view github,
                                              const HubOptions& options = {});

// torch.hub.help: the entrypoint's docstring; nullopt when it has none.
absl::StatusOr<std::optional<std::string>> Help(absl::string_view github, absl::string_view model,
                                                const HubOptions& options = {});

// torch.hub.load(repo_or_dir, model, *args, source=, **kwargs).
absl::StatusOr<LoadedEntry> Load(absl::string_view repo_or_dir, absl::string_view model,
                                 const HubArgs& args = {}, const HubOptions& options = {});

// torch.hub.download_url_to_file (hub/download/downloader.h has the full
// options: retries, resume, time-outs, cancellation).
absl::StatusOr<DownloadResult> DownloadUrlToFile(absl::string_view url, absl::string_view dst,
                                                 std::optional<std::string> hash_prefix,
                                                 bool progress = true);

struct StateDictResult {
  std::string path;                   // the cached file loaded
  bool downloaded = false;            // false: it was in the cache
  checkpoint::Checkpoint checkpoint;  // what torch.load returns
  // The state dict in it (checkpoint::ExtractStateDict); empty, with
  // state_dict_status saying why, when it holds none.
  std::vector<std::pair<std::string, at::Tensor>> state_dict;
  absl::Status state_dict_status;
};

// torch.hub.load_state_dict_from_url(url, model_dir, map_location, progress,
// check_hash, file_name, weights_only).
absl::StatusOr<StateDictResult> LoadStateDictFromUrl(const std::string& url,
                                                     const HubOptions& options = {});

}  // namespace hub

#endif  // HUB_API_HUB_H_
