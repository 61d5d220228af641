// The download half of torch.hub.load_state_dict_from_url: a URL's file in
// the hub's checkpoints directory, downloaded once, with no libtorch (the
// light `torchhub` binary and `torchhub lock` use it; LoadStateDictFromUrl
// loads what it returns).
//
//   hub::checkpoint::CachedFileOptions o;
//   o.expected_sha256 = "f37072fd...";   // a pin (hub/lock), all 64 digits
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::CachedFile f,
//                        hub::checkpoint::FetchCachedFile(url, o));
//   f.path;  // <hub_dir>/checkpoints/resnet18-f37072fd.pth
//
// torch.hub's rules: model_dir defaults to <hub_dir>/checkpoints (made if
// missing); the file name is the basename of the URL's path unless
// `file_name` is given; an existing file is used as is; otherwise
// `Downloading: "<url>" to <file>` goes to `err` and the URL is downloaded
// (hub/download/downloader.h), checked against the hash in the file name
// when `check_hash`.
//
// Beyond torch.hub:
//   - A download's source is recorded beside it, in the hidden file
//     "<model_dir>/.<file_name>.source" (JSON: url, sha256, bytes;
//     SourceRecordPath in hub/cache/layout.h), written
//     atomically after the file is in place. URLs that end in the same file
//     name (".../v1/weights.pth" and ".../v2/weights.pth") would share one
//     cached file in torch.hub, silently; here a cached file whose record
//     names another URL (scheme, host and path compared; query and fragment
//     ignored, so re-signed URLs still match) is refused with
//     kFailedPrecondition. A cached file with no record (e.g. downloaded by
//     Python) is accepted, as torch.hub would.
//   - check_hash with a file name that carries no usable hash warns (or, with
//     MissingHash::kError, fails before downloading).
//   - expected_sha256 pins the whole digest: a download is checked against
//     it as it arrives, and a cached file is checked before it is used (see
//     VerifiedSha256 for what that costs).
//   - Concurrent callers (threads or processes) make one download; a short
//     body is an error, never installed.
//
// Thread-safe.
#ifndef HUB_CHECKPOINT_CACHED_FILE_H_
#define HUB_CHECKPOINT_CACHED_FILE_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/cache/layout.h"  // SourceRecordPath
#include "hub/download/downloader.h"
#include "hub/hash/hash_prefix.h"

namespace hub::checkpoint {

struct CachedFileOptions {
  // Where checkpoints are kept; empty: <GetDir()>/checkpoints. Made if
  // missing. Not "~"-expanded (as in torch.hub).
  std::string model_dir;
  // The cached file's name; empty: the basename of the URL's path. A plain
  // name (hub/cache/layout.h's CheckpointFileName: no "/", not "." or "..",
  // at most 255 bytes).
  std::string file_name;
  // Verify the download against the hash in the file name (torch.hub's
  // HASH_REGEX, "-([a-f0-9]*)\."). A cached file is not re-checked.
  bool check_hash = false;
  // What check_hash does when the name has no usable hash.
  MissingHash missing_hash = MissingHash::kWarn;
  // The file's whole SHA-256 (64 lowercase hex digits), e.g. from a lock
  // file: the download, or the cached file, must have it (kDataLoss
  // otherwise, naming both digests and what to do).
  std::optional<std::string> expected_sha256;
  // Show download progress (on download.progress_stream, default stderr).
  bool progress = true;
  // Base options for the download: retries, time-outs, CA file, cancel,
  // progress_stream... hash_prefix, progress and if_exists are set from the
  // fields above.
  DownloadOptions download;
  // Where the "Downloading: ..." message goes; nullptr: std::cerr.
  std::ostream* err = nullptr;
};

struct CachedFile {
  std::string path;  // <model_dir>/<file_name>
  // Whether this call downloaded the file (false: it was in the cache).
  bool downloaded = false;
  // The file's SHA-256, when this call knows it (downloaded, or checked
  // against expected_sha256); "" otherwise.
  std::string sha256;
  int64_t bytes = 0;
};

// See the top of this file. Errors: the downloader's (kNotFound for 404,
// kDataLoss for a hash mismatch or a short body, ...), kInvalidArgument for
// a URL or file name that gives no usable file name or a malformed
// expected_sha256, kFailedPrecondition when the cached file came from
// another URL, kDataLoss when it doesn't have expected_sha256.
absl::StatusOr<CachedFile> FetchCachedFile(const std::string& url,
                                           const CachedFileOptions& options = {});

// The SHA-256 of `path`, a file in a checkpoints directory. Hashing reads
// the whole file (about 1.6 GiB/s); a file whose record (SourceRecordPath)
// holds a digest taken of this very file (same inode, size, mtime and
// ctime: any write changes ctime, which no user can set back), taken more
// than a second after the file last changed (a write in the same timestamp
// tick would keep the stat), is not read again. A digest computed here is
// added to the record (best effort), so a settled file is read in full
// once. kAborted if the file changes while it is read.
absl::StatusOr<std::string> VerifiedSha256(const std::string& path, const std::string& record_path);

// The basename of `url`'s path (no query, no fragment), percent-encoding
// kept, as torch.hub's os.path.basename(urlparse(url).path)
// (hub/cache/python_paths.h's UrlPathBasename). "" when the path ends in "/"
// or the URL can't be split.
std::string FileNameFromUrl(absl::string_view url);

// Whether two URLs name the same resource for the source record: the same
// scheme and host (case-insensitive) and the same path; query and fragment
// are ignored.
bool SameSourceUrl(absl::string_view a, absl::string_view b);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_CACHED_FILE_H_
