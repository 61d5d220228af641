// The central directory of a zip file, read from bytes in memory: what
// torch.save's zip format and torch.hub's legacy zipped checkpoints need
// (names, sizes, where each entry's data is), with zip64. Bounds are checked
// against the bytes given, so lying sizes and offsets are errors, not reads
// past the end or huge allocations.

#ifndef HUB_CHECKPOINT_INTERNAL_ZIP_DIRECTORY_H_
#define HUB_CHECKPOINT_INTERNAL_ZIP_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub::checkpoint_internal {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  // Where the entry's (possibly compressed) data starts, past its local
  // header.
  uint64_t data_offset = 0;
};

// Whether `file` ends with a zip end-of-central-directory record (cheap; no
// entry is read).
bool LooksLikeZip(absl::string_view file);

// What the end-of-central-directory record (zip64's where it defers to it)
// says: how many entries, and where the central directory lies (checked to
// be inside `file`). Reads a few dozen bytes, whatever the entry count.
struct ZipEnd {
  uint64_t count = 0;
  uint64_t cd_size = 0;
  uint64_t cd_offset = 0;
};
absl::StatusOr<ZipEnd> ReadZipEnd(absl::string_view file);

// Every entry of the zip `file`, in central-directory order. kDataLoss when
// the directory is malformed or points outside `file`, when a name appears
// twice, when an entry's local header names it otherwise than the central
// directory does (extractors that read local headers would write another
// name than the one checked), or when two entries' headers and data overlap
// (many names for one record would multiply memory).
absl::StatusOr<std::vector<ZipEntry>> ReadZipDirectory(absl::string_view file);

// The bytes of a stored (uncompressed) entry of ReadZipDirectory's.
// kDataLoss when its sizes disagree or the data lies outside `file`,
// kUnimplemented when the entry is compressed.
absl::StatusOr<absl::string_view> StoredEntryData(absl::string_view file, const ZipEntry& entry);

}  // namespace hub::checkpoint_internal

#endif  // HUB_CHECKPOINT_INTERNAL_ZIP_DIRECTORY_H_
