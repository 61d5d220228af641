// Moving a loaded checkpoint's storages where map_location says, on the
// fast path: every storage bound for one device is packed into one device
// allocation and copied through a few pinned staging buffers, each copy
// asynchronous and overlapped with filling the next buffer (by several
// threads), so 20,000 small tensors cost one transfer, not 20,000.
#ifndef HUB_CHECKPOINT_INTERNAL_DEVICE_TRANSFER_H_
#define HUB_CHECKPOINT_INTERNAL_DEVICE_TRANSFER_H_

#include <c10/core/StorageImpl.h>

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "hub/checkpoint/map_location.h"
#include "hub/checkpoint/value.h"

namespace hub::checkpoint_internal {

struct TransferOptions {
  size_t chunk_bytes = size_t{64} << 20;  // per staging buffer
  int buffers = 3;
  // Run CPU -> CPU moves through the same packing (tests of it without a GPU).
  bool batch_cpu = false;
};

// Each storage's saved location ("cpu", "cuda:0"); storages not listed were
// saved on the CPU.
using StorageLocations = absl::flat_hash_map<const c10::StorageImpl*, std::string>;

// `value` with every tensor moved to map.Target(its storage's location).
// Tensors that shared a storage share one afterwards (a region of the
// device allocation), with their offsets, sizes and strides.
absl::StatusOr<checkpoint::Value> MapStorages(const checkpoint::Value& value,
                                              const StorageLocations& saved,
                                              const checkpoint::MapLocation& map,
                                              const TransferOptions& options = {});

}  // namespace hub::checkpoint_internal

#endif  // HUB_CHECKPOINT_INTERNAL_DEVICE_TRANSFER_H_
