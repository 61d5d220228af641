// torch.hub.load_state_dict_from_url for C++: a checkpoint downloaded once
// into the hub's checkpoints directory, then loaded without Python.
//
//   HUB_ASSIGN_OR_RETURN(
//       hub::checkpoint::StateDictFromUrl r,
//       hub::checkpoint::LoadStateDictFromUrl(
//           "https://download.pytorch.org/models/resnet18-f37072fd.pth", {.check_hash = true}));
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

#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/checkpoint/cached_file.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/download/downloader.h"
#include "hub/hash/hash_prefix.h"

namespace hub::checkpoint {

struct LoadStateDictOptions {
  // Where checkpoints are kept; empty: <GetDir()>/checkpoints. Made if
  // missing. Not "~"-expanded (as in torch.hub).
  std::string model_dir;
  // The cached file's name; empty: the basename of the URL's path. A plain
  // name: no "/", not "." or "..".
  std::string file_name;
  // Verify the download against the hash in the file name (torch.hub's
  // HASH_REGEX, "-([a-f0-9]*)\."). A cached file is not re-checked.
  bool check_hash = false;
  // What check_hash does when the name has no usable hash.
  MissingHash missing_hash = MissingHash::kWarn;
  // The file's whole SHA-256, e.g. from a lock file (see CachedFileOptions).
  std::optional<std::string> expected_sha256;
  // Show download progress (on download.progress_stream, default stderr).
  bool progress = true;
  // torch.load's map_location, passed to LoadOptions.
  std::string map_location = "cpu";
  // LoadOptions::zero_copy.
  bool zero_copy = true;
  // Base options for the download: retries, time-outs, CA file, cancel,
  // progress_stream... hash_prefix, progress and if_exists are set from the
  // fields above.
  DownloadOptions download;
  // Where the "Downloading: ..." message goes; nullptr: std::cerr.
  std::ostream* err = nullptr;
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
