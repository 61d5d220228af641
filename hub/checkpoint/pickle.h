// A restricted unpickler for the pickles torch.save writes.
//
// It runs the pickle machine (protocols 0-5; what torch.save writes is
// protocol 2) but never imports or calls anything: the only globals it
// accepts are those `torch.load(weights_only=True)` accepts for tensors and
// containers (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
// _rebuild_parameter, the torch.*Storage types, torch.Size, torch.device,
// builtins.set/frozenset), and each is interpreted by C++ code here. Any other
// global (os.system, builtins.eval, a model class, ...) is an error naming it;
// it is refused when the pickle names it, before anything could call it.
//
//   class MyStorages : public hub::checkpoint::StorageLoader { ... };
//   MyStorages storages;
//   HUB_ASSIGN_OR_RETURN(hub::checkpoint::UnpickleResult r,
//                        hub::checkpoint::Unpickle(bytes, &storages));
//   // r.value: the tree; r.bytes_read: where the pickle's STOP was.
//
// Outside bytes are expected: malformed pickles give kDataLoss errors (bad
// opcode, truncation, stack underflow, missing memo entry), forbidden globals
// kInvalidArgument, and pickles that would build too much kResourceExhausted.
//
// The work budget. A pickle can make the machine do far more than its
// length: DUP and memo GET share one object many times, set(), torch.Size()
// or OrderedDict() copy their argument on every call, and the result tree
// copies each shared object once per reference. So the machine counts, as
// it runs and before doing it, every byte of work it does: each object it
// makes (sizeof, with its string bytes), each reference it pushes or stores
// in a container or the memo (8 bytes; a dict entry 64 plus its key's
// bytes, which are hashed), each element or byte an opcode copies (REDUCE's
// arguments, _codecs.encode's text, ...) and each node and string byte of
// the result. After reading n bytes of the pickle it may have done
//
//   UnpickleOptions::work_per_input_byte * n + UnpickleOptions::work_floor
//
// (512 * n + 16 MiB by default); more is kResourceExhausted, at once. Memory
// therefore stays within a small multiple of that plus the tensor data the
// StorageLoader provides: the budget is 68 MB for a 100 KB pickle. The
// pickles torch.save writes do 20 to 90 bytes of work per byte (resnet50's
// state dict 27, with its optimizer state 33); the densest pickles without
// sharing (a list of a million None, or of distinct empty dicts) 240.

#ifndef HUB_CHECKPOINT_PICKLE_H_
#define HUB_CHECKPOINT_PICKLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>
#include <c10/core/Storage.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/checkpoint/value.h"

namespace hub::checkpoint {

// A storage named by one of torch.save's persistent ids:
//   ('storage', torch.<T>Storage, key, location, numel[, view_metadata])
// (the sixth element only in the legacy format).
struct StorageRequest {
  c10::ScalarType dtype = c10::ScalarType::Float;
  std::string key;
  std::string location;  // "cpu", "cuda:0", ...
  int64_t numel = 0;     // elements of `dtype`
  // Legacy format only: this storage is a view of elements
  // [view_offset, view_offset + view_numel) of storage `key`.
  bool is_view = false;
  std::string view_key;
  int64_t view_offset = 0;
  int64_t view_numel = 0;
};

// What a StorageLoader hands back.
struct StorageRef {
  // Holds at least (offset + numel) elements of `dtype`.
  at::Storage storage;
  c10::ScalarType dtype = c10::ScalarType::Float;
  // Elements before the first one this reference covers (views), and how
  // many it covers.
  int64_t offset = 0;
  int64_t numel = 0;
};

// Resolves persistent ids to storages. Tensors that name the same key must
// get the same at::Storage, so that tied weights stay tied.
class StorageLoader {
 public:
  virtual ~StorageLoader() = default;
  virtual absl::StatusOr<StorageRef> Load(const StorageRequest& request) = 0;
};

struct UnpickleOptions {
  // Most nodes (scalars, containers, tensors) the result may have
  // (kResourceExhausted beyond); a pickle can reference one object many
  // times, and each reference becomes a copy in the owned tree. The work
  // budget below bounds this too, in proportion to the pickle's length.
  size_t max_values = size_t{1} << 22;
  // Deepest nesting of containers in the result.
  int max_depth = 200;
  // The work budget (see the top of this file): bytes of work allowed per
  // byte of pickle read, and for any pickle.
  size_t work_per_input_byte = 512;
  size_t work_floor = size_t{16} << 20;
};

struct UnpickleResult {
  Value value;
  // Bytes of `data` up to and including the STOP opcode.
  size_t bytes_read = 0;
};

// Runs the pickle at the start of `data` (bytes after its STOP are not
// read). `storages` resolves persistent ids; it may be null when the pickle
// must not have any (then one is an error).
absl::StatusOr<UnpickleResult> Unpickle(absl::string_view data, StorageLoader* storages,
                                        const UnpickleOptions& options = {});

// The tensor torch._utils._rebuild_tensor_v2 makes: a view of `storage`
// with the given offset (in elements, relative to storage.offset), sizes and
// strides. kDataLoss, naming the shape, strides and offset, when the view
// reaches outside the storage or the geometry is invalid: negative, or
// overflowing int64 in the product of the non-zero sizes (also when a 0 size
// makes the tensor empty: PyTorch still multiplies the others), in the last
// element's index or in offset + storage.offset.
absl::StatusOr<at::Tensor> MakeTensorView(const StorageRef& storage, int64_t offset,
                                          const std::vector<int64_t>& sizes,
                                          const std::vector<int64_t>& strides);

}  // namespace hub::checkpoint

#endif  // HUB_CHECKPOINT_PICKLE_H_
