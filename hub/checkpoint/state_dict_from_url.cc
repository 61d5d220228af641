#include "hub/checkpoint/state_dict_from_url.h"

#include <cstdlib>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/json.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/cache/hub_dir.h"
#include "hub/checkpoint/format.h"
#include "hub/checkpoint/map_location.h"
#include "hub/fs/files.h"

namespace hub::checkpoint {
namespace {

// torch.hub's texts.
constexpr char kModelZooWarning[] =
    "TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead";
constexpr char kLegacyZipWarning[] =
    "Falling back to the old format < 1.6. This support will be deprecated in favor of default "
    "zipfile format introduced in 1.6. Please redo torch.save() to save it in the new zipfile "
    "format.";

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

// The URL the record beside a cached file names; nullopt when there is no
// record, or it can't be read as one (treated as no record).
std::optional<std::string> RecordedUrl(const std::string& record_path) {
  if (!PathExists(record_path)) return std::nullopt;
  const absl::StatusOr<std::string> text = ReadFile(record_path);
  if (!text.ok()) return std::nullopt;
  const absl::StatusOr<JsonValue> json = ParseJson(*text);
  if (!json.ok()) return std::nullopt;
  return json->GetString({"url"});
}

absl::Status CheckSource(const std::string& url, const std::string& cached_file,
                         const std::string& record_path) {
  const std::optional<std::string> recorded = RecordedUrl(record_path);
  if (!recorded.has_value() || SameSourceUrl(*recorded, url)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the cached file ", cached_file, " was downloaded from ", *recorded, ", not from ", url,
      " (the two URLs end in the same file name); pass a different file_name (torchhub: "
      "--file-name) to keep both, or delete ",
      cached_file, " and ", record_path, " to replace it"));
}

absl::Status CheckFileName(const std::string& file_name, const std::string& url) {
  if (file_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no file name in the URL ", url, "; pass file_name"));
  }
  if (file_name == "." || file_name == ".." || file_name.find('/') != std::string::npos ||
      file_name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file name \"", file_name, "\" is not a plain file name (no \"/\", not \".\" or \"..\")"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FileNameFromUrl(absl::string_view url) {
  const std::string path = SplitSourceUrl(url).path;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool SameSourceUrl(absl::string_view a, absl::string_view b) {
  const UrlPieces x = SplitSourceUrl(a);
  const UrlPieces y = SplitSourceUrl(b);
  return x.scheme == y.scheme && x.authority == y.authority && x.path == y.path;
}

std::string SourceRecordPath(absl::string_view model_dir, absl::string_view file_name) {
  return absl::StrCat(model_dir, "/.", file_name, ".source");
}

absl::StatusOr<StateDictFromUrl> LoadStateDictFromUrl(const std::string& url,
                                                      const LoadStateDictOptions& options) {
  if (const char* zoo = std::getenv("TORCH_MODEL_ZOO"); zoo != nullptr && *zoo != '\0') {
    Warn(WarningCategory::kUserWarning, kModelZooWarning);
  }
  // A map_location that can't work here fails before the download.
  HUB_ASSIGN_OR_RETURN(const MapLocation map, MapLocation::Parse(options.map_location));
  HUB_RETURN_IF_ERROR(map.CheckDevicesAvailable());
  const std::string model_dir =
      options.model_dir.empty() ? absl::StrCat(GetDir(), "/checkpoints") : options.model_dir;
  HUB_RETURN_IF_ERROR(MakeDirs(model_dir));
  const std::string file_name =
      options.file_name.empty() ? FileNameFromUrl(url) : options.file_name;
  HUB_RETURN_IF_ERROR(CheckFileName(file_name, url));
  const std::string cached_file = absl::StrCat(model_dir, "/", file_name);
  const std::string record_path = SourceRecordPath(model_dir, file_name);

  StateDictFromUrl result;
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
    download.progress = options.progress;
    download.if_exists = DownloadOptions::IfExists::kKeep;
    std::ostream& err = options.err != nullptr ? *options.err : std::cerr;
    err << "Downloading: \"" << url << "\" to " << cached_file << "\n";
    err.flush();
    HUB_ASSIGN_OR_RETURN(DownloadResult downloaded, DownloadUrlToFile(url, cached_file, download));
    if (downloaded.reused) {
      // Another caller installed it while we waited for the lock.
      HUB_RETURN_IF_ERROR(CheckSource(url, cached_file, record_path));
    } else {
      result.downloaded = true;
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
    }
  }

  result.path = cached_file;
  HUB_ASSIGN_OR_RETURN(Format format, DetectFormat(cached_file));
  if (format == Format::kLegacyZip) {
    Warn(WarningCategory::kUserWarning, kLegacyZipWarning);
    HUB_ASSIGN_OR_RETURN(result.path, ExtractLegacyZip(cached_file, model_dir));
  }
  LoadOptions load;
  load.map_location = options.map_location;
  load.zero_copy = options.zero_copy;
  HUB_ASSIGN_OR_RETURN(result.checkpoint, LoadCheckpoint(result.path, load));
  return result;
}

}  // namespace hub::checkpoint
