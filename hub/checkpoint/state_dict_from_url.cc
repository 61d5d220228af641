#include "hub/checkpoint/state_dict_from_url.h"

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/checkpoint/cached_file.h"
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

}  // namespace

absl::StatusOr<StateDictFromUrl> LoadStateDictFromUrl(const std::string& url,
                                                      const LoadStateDictOptions& options) {
  if (const char* zoo = std::getenv("TORCH_MODEL_ZOO"); zoo != nullptr && *zoo != '\0') {
    Warn(WarningCategory::kUserWarning, kModelZooWarning);
  }
  // A map_location that can't work here fails before the download.
  HUB_ASSIGN_OR_RETURN(const MapLocation map, MapLocation::Parse(options.map_location));
  HUB_RETURN_IF_ERROR(map.CheckDevicesAvailable());
  HUB_ASSIGN_OR_RETURN(const CachedFile cached, FetchCachedFile(url, options));

  StateDictFromUrl result;
  result.downloaded = cached.downloaded;
  result.path = cached.path;
  HUB_ASSIGN_OR_RETURN(Format format, DetectFormat(cached.path));
  if (format == Format::kLegacyZip) {
    Warn(WarningCategory::kUserWarning, kLegacyZipWarning);
    HUB_ASSIGN_OR_RETURN(result.path, ExtractLegacyZip(cached.path, DirName(cached.path)));
  }
  LoadOptions load;
  load.map_location = options.map_location;
  load.zero_copy = options.zero_copy;
  HUB_ASSIGN_OR_RETURN(result.checkpoint, LoadCheckpoint(result.path, load));
  return result;
}

}  // namespace hub::checkpoint
