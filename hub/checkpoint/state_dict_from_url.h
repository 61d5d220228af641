// torch.hub.load_state_dict_from_url for C++: a checkpoint downloaded once
// into the hub's checkpoints directory, then loaded without Python.
//
//   hub::checkpoint::LoadStateDictOptions options;
//   options.check_hash = true;
//   HUB_ASSIGN_OR_RETURN(
//       hub::checkpoint::StateDictFromUrl r,
//       hub::checkpoint::LoadStateDictFromUrl(
//           "https://download.pytorch.org/models/resnet18-f37072fd.pth", options));
//   HUB_ASSIGN_OR_RETURN(auto state_dict, hub::checkpoint::ExtractStateDict(r.checkpoint.value));
//
// What torch.hub does, we do, with what goes beyond it: the file is found
// in, or downloaded into, the hub's checkpoints directory by FetchCachedFile
// (hub/checkpoint/cached_file.h: the source record that stops two URLs
// sharing a file, check_hash, a pinned SHA-256, one download for concurrent
// callers). TORCH_MODEL_ZOO set -> torch.hub's warning. A zip holding a
// single file (a legacy checkpoint zipped by hand) gives torch.hub's warning,
// is extracted into model_dir, and that file is loaded. Loading is
// LoadCheckpoint's (weights only; nothing pickled runs).
//
// Thread-safe.
#ifndef HUB_CHECKPOINT_STATE_DICT_FROM_URL_H_
#define HUB_CHECKPOINT_STATE_DICT_FROM_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "hub/checkpoint/cached_file.h"
#include "hub/checkpoint/checkpoint.h"

namespace hub::checkpoint {

// Where and how the file is found or downloaded (model_dir, file_name,
// check_hash, expected_sha256, progress, download, err: CachedFileOptions),
// and how it is loaded.
struct LoadStateDictOptions : CachedFileOptions {
  // torch.load's map_location, passed to LoadOptions.
  std::string map_location = "cpu";
  // LoadOptions::zero_copy.
  bool zero_copy = true;
};

struct StateDictFromUrl {
  // The file loaded: the cached file, or for a legacy zip the file
  // extracted from it.
  std::string path;
  // Whether this call downloaded the file (false: it was in the cache).
  bool downloaded = false;
  Checkpoint checkpoint;
};

// torch.hub.load_state_dict_from_url (see the top of this file). Errors: the
// downloader's (kNotFound for 404, kDataLoss for a hash mismatch or a short
// body, ...), LoadCheckpoint's, kInvalidArgument for a URL or file name that
// gives no usable file name, kFailedPrecondition when the cached file came
// from another URL.
absl::StatusOr<StateDictFromUrl> LoadStateDictFromUrl(const std::string& url,
                                                      const LoadStateDictOptions& options = {});

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_STATE_DICT_FROM_URL_H_
