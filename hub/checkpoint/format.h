// Which kind of checkpoint a file is, told by its bytes (never its name).
//
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::Format f, hub::checkpoint::DetectFormat(path));
//   if (f == hub::checkpoint::Format::kLegacyZip) { ...extract, then load the one file... }

#ifndef HUB_CHECKPOINT_FORMAT_H_
#define HUB_CHECKPOINT_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub::checkpoint {

enum class Format {
  kUnknown,
  // torch.save since PyTorch 1.6: a zip of data.pkl, data/<key>, version.
  kZip,
  // torch.save(..., _use_new_zipfile_serialization=False) and PyTorch < 1.6:
  // pickles and raw storages back to back, starting with torch's magic number.
  kLegacy,
  // A zip whose only entry is a file (a legacy checkpoint zipped by hand):
  // torch.hub's _is_legacy_zip_format. Extract it, then load the entry.
  kLegacyZip,
  // safetensors: u64 header length, JSON header, tensor bytes.
  kSafetensors,
};

// "zip", "legacy", "legacy-zip", "safetensors", "unknown".
const char* FormatName(Format format);

// The format of a whole file's bytes; kUnknown when none matches.
Format DetectFormatOfBytes(absl::string_view file);

// The format of the file at `path`. Errors: the file can't be read, or
// kInvalidArgument naming the formats looked for when it is none of them.
absl::StatusOr<Format> DetectFormat(const std::string& path);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_FORMAT_H_
