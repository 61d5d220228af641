// torch.load's map_location, for C++: where each storage of a checkpoint goes.
//
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::MapLocation m,
//                        hub::checkpoint::MapLocation::Parse("cuda:1"));
//
// Spellings (Parse): "" or "none" keep each storage where it was saved
// (torch.load's None: a tensor saved from "cuda:0" goes to cuda:0); a device
// ("cpu", "cuda", "cuda:1") puts everything there; "cuda:1=cpu,cuda:0=cuda:1"
// maps saved locations, as a dict map_location does (others stay as saved).
#ifndef HUB_CHECKPOINT_MAP_LOCATION_H_
#define HUB_CHECKPOINT_MAP_LOCATION_H_

#include <c10/core/Device.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub::checkpoint {

class MapLocation {
 public:
  // As saved.
  MapLocation() = default;
  static MapLocation To(c10::Device device);
  static absl::StatusOr<MapLocation> Parse(absl::string_view text);

  // Where a storage saved at `saved` ("cpu", "cuda:0", ...) goes; an error
  // when that device is not in this process (no CUDA in this libtorch, or
  // no such GPU), saying how to map it elsewhere.
  absl::StatusOr<c10::Device> Target(absl::string_view saved) const;

  // An error when a device this names explicitly (not a saved location it
  // keeps) is not in this process; see Target.
  absl::Status CheckDevicesAvailable() const;

  // The spelling Parse reads back.
  std::string ToString() const;

 private:
  std::optional<c10::Device> all_;
  std::vector<std::pair<std::string, c10::Device>> remap_;
};

// Whether `device` can hold tensors in this process, and if not, why.
absl::Status CheckDeviceAvailable(const c10::Device& device);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_MAP_LOCATION_H_
