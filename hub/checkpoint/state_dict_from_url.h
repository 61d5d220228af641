// torch.hub.load_state_dict_from_url for C++: a checkpoint downloaded once
// into the hub's checkpoints directory, then loaded without Python.
//
//   HUB_ASSIGN_OR_RETURN(
//       hub::checkpoint::StateDictFromUrl r,
//       hub::checkpoint::LoadStateDictFromUrl(
//           "https://download.pytorch.org/models/resnet18-f37072fd.pth", {.check_hash = true}));
//   HUB_ASSIGN_OR_RETURN(auto state_dict, hub::checkpoint::ExtractStateDict(r.checkpoint.value));
//
// What torch.hub does, we do: TORCH_MODEL_ZOO set -> a warning; model_dir
// defaults to <hub_dir>/checkpoints (made if missing); the file name is the
// basename of the URL's path (query and fragment ignored) unless `file_name`
// is given; an existing file is used as is; otherwise
// `Downloading: "<url>" to <cached_file>` goes to `err` and the URL is
// downloaded (hub/download/downloader.h), checked against the hash in the
// file name ("-<hex>.") when `check_hash`. A zip holding a single file (a
// legacy checkpoint zipped by hand) gives torch.hub's warning, is extracted
// into model_dir, and that file is loaded. Loading is LoadCheckpoint's
// (weights only; nothing pickled runs).
//
// Beyond torch.hub:
//   - A download's source is recorded beside it, in the hidden file
//     "<model_dir>/.<file_name>.source" (JSON: url, sha256, bytes), written
//     atomically after the checkpoint is in place. URLs that end in the same
//     file name (".../v1/weights.pth" and ".../v2/weights.pth") would share
//     one cached file in torch.hub, silently; here a cached file whose
//     record names another URL (scheme, host and path compared; query and
//     fragment ignored, so re-signed URLs still match) is refused with
//     kFailedPrecondition. A cached file with no record (e.g. downloaded by
//     Python) is accepted, as torch.hub would.
//   - check_hash with a file name that carries no usable hash warns (or, with
//     MissingHash::kError, fails before downloading); torch.hub checks
//     nothing silently.
//   - Concurrent callers (threads or processes) make one download
//     (DownloadOptions::IfExists::kKeep under the downloader's lock); a short
//     body is an error, never installed.
//
// Thread-safe.
#ifndef HUB_CHECKPOINT_STATE_DICT_FROM_URL_H_
#define HUB_CHECKPOINT_STATE_DICT_FROM_URL_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// The basename of `url`'s path (no query, no fragment), percent-encoding
// kept, as torch.hub's os.path.basename(urlparse(url).path). "" when the
// path ends in "/".
std::string FileNameFromUrl(absl::string_view url);

// Whether two URLs name the same resource for the source record: the same
// scheme and host (case-insensitive) and the same path; query and fragment
// are ignored.
bool SameSourceUrl(absl::string_view a, absl::string_view b);

// "<model_dir>/.<file_name>.source".
std::string SourceRecordPath(absl::string_view model_dir, absl::string_view file_name);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_STATE_DICT_FROM_URL_H_
