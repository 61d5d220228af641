#include "hub/checkpoint/cached_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hub/base/cancellation.h"
#include "hub/base/errno_status.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/file_identity.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/hash/sha256.h"

namespace hub::checkpoint {
namespace {

struct UrlPieces {
  std::string scheme;     // lower case
  std::string authority;  // lower case
  std::string path;       // "/" when empty
};

UrlPieces SplitSourceUrl(absl::string_view url) {
  // Query and fragment go first: neither is part of the resource's name.
  url = url.substr(0, url.find_first_of("?#"));
  UrlPieces pieces;
  const size_t colon = url.find("://");
  if (colon == absl::string_view::npos) {
    pieces.path = std::string(url);
    return pieces;
  }
  pieces.scheme = absl::AsciiStrToLower(url.substr(0, colon));
  absl::string_view rest = url.substr(colon + 3);
  const size_t slash = rest.find('/');
  pieces.authority = absl::AsciiStrToLower(rest.substr(0, slash));
  pieces.path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  return pieces;
}

absl::Status CheckSource(const std::string& url, const std::string& cached_file,
                         const std::string& record_path) {
  const std::optional<JsonValue> record = ReadJsonRecord(record_path);
  const std::optional<std::string> recorded =
      record.has_value() ? record->GetString({"url"}) : std::nullopt;
  if (!recorded.has_value() || SameSourceUrl(*recorded, url)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the cached file ", cached_file, " was downloaded from ", *recorded, ", not from ", url,
      " (the two URLs end in the same file name); pass a different file_name (torchhub: "
      "--file-name) to keep both, or delete ",
      cached_file, " and ", record_path, " to replace it"));
}

absl::Status CheckSha256Syntax(const std::string& sha256) {
  if (IsSha256Hex(sha256)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("expected SHA-256 \"", sha256, "\" is not 64 lowercase hex digits"));
}

}  // namespace

std::string FileNameFromUrl(absl::string_view url) { return UrlPathBasename(url).value_or(""); }

bool SameSourceUrl(absl::string_view a, absl::string_view b) {
  const UrlPieces x = SplitSourceUrl(a);
  const UrlPieces y = SplitSourceUrl(b);
  return x.scheme == y.scheme && x.authority == y.authority && x.path == y.path;
}

absl::StatusOr<std::string> VerifiedSha256(const std::string& path,
                                           const std::string& record_path) {
  // Under the downloader's lock.
  return RecordedDigest(
      record_path, LockPath(path), path,
      [&path]() -> absl::StatusOr<Fingerprint> {
        // One version of the file: any write changes its ctime.
        HUB_ASSIGN_OR_RETURN(const FileIdentity id, FileIdentity::Of(path));
        return Fingerprint{id.Signature(), id.LastChange()};
      },
      [&path] { return Sha256FileHex(path); }, LegacyLockPath(path));
}

absl::StatusOr<CachedFile> FetchCachedFile(const std::string& url,
                                           const CachedFileOptions& options) {
  if (options.expected_sha256.has_value()) {
    HUB_RETURN_IF_ERROR(CheckSha256Syntax(*options.expected_sha256));
  }
  const std::string model_dir =
      options.model_dir.empty() ? CacheLayout(GetDir()).CheckpointsDir() : options.model_dir;
  HUB_RETURN_IF_ERROR(MakeDirs(model_dir));
  HUB_ASSIGN_OR_RETURN(
      const std::string file_name,
      CheckpointFileName(url, options.file_name.empty()
                                  ? std::nullopt
                                  : std::optional<absl::string_view>(options.file_name)));
  const std::string cached_file = absl::StrCat(model_dir, "/", file_name);
  const std::string record_path = SourceRecordPath(model_dir, file_name);

  CachedFile result;
  result.path = cached_file;
  if (PathExists(cached_file)) {
    HUB_RETURN_IF_ERROR(CheckSource(url, cached_file, record_path));
  } else {
    DownloadOptions download = options.download;
    download.hash_prefix = std::nullopt;
    if (options.check_hash) {
      HUB_ASSIGN_OR_RETURN(HashFromFileName hash,
                           HashPrefixForCheckHash(file_name, options.missing_hash));
      download.hash_prefix = hash.prefix;
    }
    if (options.expected_sha256.has_value()) {
      // The whole digest decides; a name's prefix of another file can't
      // pass a file the pin refuses.
      download.hash_prefix = *options.expected_sha256;
    }
    download.progress = options.progress;
    download.if_exists = DownloadOptions::IfExists::kKeep;
    HUB_RETURN_IF_ERROR(CheckNetworkAllowed(
        absl::StrCat("downloading ", url, ": ", cached_file, " is not in the cache")));
    std::ostream& err = options.err != nullptr ? *options.err : std::cerr;
    err << "Downloading: \"" << url << "\" to " << cached_file << "\n";
    err.flush();
    HUB_ASSIGN_OR_RETURN(DownloadResult downloaded, DownloadUrlToFile(url, cached_file, download));
    if (downloaded.reused) {
      // Another caller installed it while we waited for the lock.
      HUB_RETURN_IF_ERROR(CheckSource(url, cached_file, record_path));
    } else {
      result.downloaded = true;
      result.sha256 = downloaded.sha256;
      result.bytes = downloaded.bytes;
      const std::string record = JsonObject()
                                     .Add("url", JsonString(url))
                                     .Add("sha256", JsonString(downloaded.sha256))
                                     .Add("bytes", JsonInt(downloaded.bytes))
                                     .Build();
      if (absl::Status s = WriteFileAtomically(record_path, absl::StrCat(record, "\n")); !s.ok()) {
        // The checkpoint is fine; only the collision check loses its record.
        Warn(WarningCategory::kUserWarning,
             absl::StrCat("could not record where ", cached_file, " came from: ", s.message()));
      }
      return result;
    }
  }
  if (options.expected_sha256.has_value()) {
    HUB_ASSIGN_OR_RETURN(result.sha256, VerifiedSha256(cached_file, record_path));
    if (result.sha256 != *options.expected_sha256) {
      return absl::DataLossError(absl::StrCat(
          "the cached file ", cached_file, " has SHA-256 ", result.sha256, ", not the pinned ",
          *options.expected_sha256, ": it was changed, or came from elsewhere. Delete it (and ",
          record_path, ") to download the pinned file again"));
    }
  }
  struct stat st {};
  if (::stat(cached_file.c_str(), &st) == 0) result.bytes = st.st_size;
  return result;
}

}  // namespace hub::checkpoint
