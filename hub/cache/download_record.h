// The record a download keeps in its lock file (LockPath(dst)) while it
// runs: which temp file beside dst is being written, from where, and with
// which validators. A process that takes the lock and finds a record knows
// its writer is gone (the kernel released its lock), and may resume the
// temp file; `torchhub cache prune` knows that temp file is a dead
// download's and not one Python is writing. One format, written by
// hub/download and read by hub/download and hub/inventory:
//
//   torchhub-download 1
//   partial resnet18.pth.0123456789abcdef0123456789abcdef.partial
//   url https://download.pytorch.org/models/resnet18.pth
//   etag "abc"
//   last-modified Tue, 01 Dec 2026 00:00:00 GMT
//   total 46830571
//   end
//
// A transfer over several connections (hub/download's parallel ranges) adds
// the spans of the temp file already written, first and last byte
// inclusive, before "end":
//
//   total 46830571
//   ranges 0-16777215 33554432-41943039
//   end
//
// Older readers reject such a record (line 7 is not "end"), so they never
// resume a file with holes as if it were a prefix. An empty lock file means
// no transfer to resume. Pure computation, plus
// two helpers that read and write it through the lock's descriptor.

#ifndef HUB_CACHE_DOWNLOAD_RECORD_H_
#define HUB_CACHE_DOWNLOAD_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hub {

inline constexpr absl::string_view kDownloadRecordMagic = "torchhub-download 1";

struct DownloadRecord {
  std::string partial;  // file name only, beside dst
  std::string url;
  std::string etag;
  std::string last_modified;
  int64_t total = -1;  // bytes, -1 when unknown
  // A parallel transfer: its temp file holds `ranges` ([start, end) spans,
  // sorted, apart) and nothing else is known good; may be empty.
  bool ranged = false;
  std::vector<std::pair<int64_t, int64_t>> ranges;
};

std::string SerializeDownloadRecord(const DownloadRecord& record);

// nullopt unless `text` is a whole record (magic, every field, "end").
std::optional<DownloadRecord> ParseDownloadRecord(absl::string_view text);

// The record text in the open lock file `fd` (its first 4 KiB); "" when
// unreadable.
std::string ReadDownloadRecordText(int fd);

// Replaces the lock file's contents with `text` ("" clears it).
absl::Status WriteDownloadRecordText(int fd, absl::string_view text);

}  // namespace hub

#endif  // HUB_CACHE_DOWNLOAD_RECORD_H_
