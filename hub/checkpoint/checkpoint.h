// Loading PyTorch checkpoints into libtorch, without Python and without
// running pickled code.
//
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::Checkpoint ckpt,
//                        hub::checkpoint::LoadCheckpoint("/cache/resnet18-f37072fd.pth"));
//   HUB_ASSIGN_OR_RETURN(auto state_dict, hub::checkpoint::ExtractStateDict(ckpt.value));
//   for (const auto& [name, tensor] : state_dict) { ... }
//
// Formats (told by the bytes, see format.h): torch.save's zip format
// (PyTorch >= 1.6), its legacy format (older, or
// _use_new_zipfile_serialization=False) and safetensors. A legacy checkpoint
// zipped by hand (Format::kLegacyZip) must be extracted first:
// ExtractLegacyZip gives the path of the file inside.
//
// What loads is what torch.load(weights_only=True) loads: tensors (float16,
// bfloat16, float32, float64, int8, uint8, int16, int32, int64, bool,
// complex), numbers, strings, None and containers. Tensors that shared a
// storage when saved share one at::Storage after loading (tied weights stay
// tied), with their offsets, sizes and strides. Any other pickled object --
// a model class, os.system -- is refused with kInvalidArgument naming it,
// and nothing of it runs. Malformed files give kDataLoss saying what is
// wrong; nothing a file claims (lengths, sizes, offsets) is trusted before it
// is checked against the file's size.
//
// Tensors are on the CPU. With LoadOptions::zero_copy (the default) tensor
// data of zip and safetensors files that is suitably aligned (torch.save
// aligns records to 64 bytes) is not copied: the tensor points into a
// private, copy-on-write mapping of the file, which stays mapped while any
// such tensor lives. Writing to a tensor never changes the file; the file
// must not be truncated or rewritten in place meanwhile (the hub cache
// replaces files by rename, which is safe). Legacy files are always copied.
// Thread-safe: loads share no state.

#ifndef HUB_CHECKPOINT_CHECKPOINT_H_
#define HUB_CHECKPOINT_CHECKPOINT_H_

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"
#include "hub/checkpoint/format.h"
#include "hub/checkpoint/pickle.h"
#include "hub/checkpoint/value.h"

namespace hub::checkpoint {

struct LoadOptions {
  // torch.load's map_location, spelled as MapLocation::Parse reads it
  // (map_location.h): "cpu", "cuda", "cuda:1", "cuda:1=cpu,...", or "" for
  // torch.load's None (each storage where it was saved; a storage saved on a
  // GPU then needs one). Storages bound for a GPU are packed into one
  // allocation per device and copied through pinned buffers, overlapped.
  std::string map_location = "cpu";
  // The staging buffer size for those copies (0: 64 MiB), and, for tests
  // without a GPU, running CPU -> CPU moves through the same packing.
  size_t transfer_chunk_bytes = 0;
  bool batch_cpu_transfers = false;
  // Let tensors point into the mapped file instead of copying (see above).
  bool zero_copy = true;
  // Bounds on what a pickle may build.
  UnpickleOptions unpickle;
};

struct Checkpoint {
  Format format = Format::kUnknown;
  // What torch.load returns; for safetensors, a dict of name -> tensor in
  // the file's order.
  Value value;
  // safetensors' "__metadata__"; empty for other formats.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Loads the checkpoint at `path` (see the top of this file). kFailedPrecondition
// for a kLegacyZip file (extract it first), kInvalidArgument for an unknown
// format or a forbidden global.
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path, const LoadOptions& options = {});

// The state dict in a loaded checkpoint, as (name, tensor) pairs in order.
// The rule:
//   1. `value` itself when it is a dict of str -> tensor (an empty dict too);
//   2. otherwise, when it is a dict, the first of its entries "state_dict",
//      "model_state_dict", "model", "module", "net", "network", "params",
//      "weights" whose value the rule (from 1) finds a state dict in,
//      looking at most 4 dicts deep. So {'model': sd, 'epoch': 3} and
//      {'state_dict': sd, 'optimizer': ...} give sd.
// kNotFound, listing the keys seen, when there is none.
absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> ExtractStateDict(
    const Value& value);

// For a Format::kLegacyZip file (torch.hub's _is_legacy_zip_format), what
// torch.hub's _legacy_zip_load does: extracts the single entry into
// `dest_dir` (made if missing; torch.hub uses the checkpoints directory) and
// returns its path, to pass to LoadCheckpoint. The entry is checked and
// extracted into a temporary directory beside it first (see hub/archive),
// then renamed into place. Unlike torch.hub, with a zip's bytes as data,
// never as instructions:
//   - the name must be one plain path component not starting with "."
//     (kInvalidArgument): nothing lands outside `dest_dir` or on the hub
//     dir's own hidden records and locks;
//   - a zip whose local header names its entry otherwise than its central
//     directory, or whose extraction wrote anything but that one regular
//     file, is refused (kDataLoss, naming both);
//   - an existing file is never replaced: one with the same bytes is used
//     (extracted before, by us or torch.hub), one with other bytes gives
//     kAlreadyExists, saying to delete it if it is stale.
absl::StatusOr<std::string> ExtractLegacyZip(const std::string& path, const std::string& dest_dir);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_CHECKPOINT_H_
