#include "hub/checkpoint/internal/device_transfer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/Event.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hub/base/status_macros.h"

namespace hub::checkpoint_internal {
namespace {

using checkpoint::Value;

// Device allocations are aligned for any dtype and for fast DMA.
constexpr size_t kAlignment = 512;

struct Placement {
  at::Storage source;
  size_t offset = 0;  // in the device allocation, bytes
};

struct DevicePlan {
  std::vector<Placement> storages;
  size_t total = 0;
  at::Storage result;
};

void CollectTensors(const Value& v, std::vector<const at::Tensor*>* out) {
  if (v.is_tensor()) {
    if (v.tensor().defined()) out->push_back(&v.tensor());
    return;
  }
  for (const Value& item : v.items()) CollectTensors(item, out);
  for (const auto& [key, item] : v.entries()) {
    CollectTensors(key, out);
    CollectTensors(item, out);
  }
}

// Copies every planned storage into one allocation on `device`.
absl::StatusOr<at::Storage> CopyPacked(const DevicePlan& plan, const c10::Device& device,
                                       const TransferOptions& options) {
  const auto total = static_cast<int64_t>(std::max<size_t>(plan.total, 1));
  at::Tensor dst = at::empty({total}, at::TensorOptions().dtype(at::kByte).device(device));
  const bool cuda = device.is_cuda();
  const size_t chunk = std::max<size_t>(options.chunk_bytes, kAlignment);
  const int buffers = std::max(options.buffers, 1);
  std::vector<at::Tensor> staging;
  std::vector<c10::Event> events;
  c10::Stream stream(c10::Stream::DEFAULT, device);
  if (cuda) stream = c10::impl::VirtualGuardImpl(c10::DeviceType::CUDA).getStream(device);
  for (int i = 0; i < buffers; ++i) {
    staging.push_back(at::empty({static_cast<int64_t>(std::min(chunk, plan.total + 1))},
                                at::TensorOptions().dtype(at::kByte).pinned_memory(cuda)));
    if (cuda) events.emplace_back(c10::DeviceType::CUDA);
  }

  // The storages in allocation order; each window of `chunk` bytes takes the
  // parts of them that fall in it.
  size_t next = 0;
  int n = 0;
  for (size_t window = 0; window < plan.total; window += chunk, ++n) {
    const size_t end = std::min(window + chunk, plan.total);
    const int b = n % buffers;
    if (cuda && n >= buffers) {
      while (!events[static_cast<size_t>(b)].query()) std::this_thread::yield();
    }
    auto* stage = staging[static_cast<size_t>(b)].data_ptr<uint8_t>();
    struct Part {
      const uint8_t* src;
      size_t len;
      size_t at;
    };
    std::vector<Part> parts;
    while (next < plan.storages.size() && plan.storages[next].offset < end) {
      const Placement& p = plan.storages[next];
      const size_t bytes = p.source.nbytes();
      const size_t from = std::max(p.offset, window);
      const size_t to = std::min(p.offset + bytes, end);
      const auto* src = static_cast<const uint8_t*>(p.source.data()) + (from - p.offset);
      // Split big parts so that threads share them.
      constexpr size_t kPiece = size_t{4} << 20;
      for (size_t s = from; s < to; s += kPiece) {
        parts.push_back({src + (s - from), std::min(kPiece, to - s), s - window});
      }
      if (p.offset + bytes > end) break;  // continues in the next window
      ++next;
    }
    at::parallel_for(0, static_cast<int64_t>(parts.size()), 1, [&](int64_t begin, int64_t stop) {
      for (int64_t i = begin; i < stop; ++i) {
        const Part& part = parts[static_cast<size_t>(i)];
        std::memcpy(stage + part.at, part.src, part.len);
      }
    });
    dst.slice(0, static_cast<int64_t>(window), static_cast<int64_t>(end))
        .copy_(staging[static_cast<size_t>(b)].slice(0, 0, static_cast<int64_t>(end - window)),
               /*non_blocking=*/cuda);
    if (cuda) events[static_cast<size_t>(b)].record(stream);
  }
  if (cuda) {
    for (c10::Event& e : events) {
      while (!e.query()) std::this_thread::yield();
    }
  }
  return dst.storage();
}

// The tree again, with tensors rebuilt by `fn`.
template <typename Fn>
Value Rebuild(const Value& v, const Fn& fn) {
  switch (v.kind()) {
    case Value::Kind::kTensor:
      return Value::Tensor(fn(v.tensor()));
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      std::vector<Value> items;
      items.reserve(v.items().size());
      for (const Value& item : v.items()) items.push_back(Rebuild(item, fn));
      return v.is_list() ? Value::List(std::move(items)) : Value::Tuple(std::move(items));
    }
    case Value::Kind::kDict: {
      std::vector<Value::Entry> entries;
      entries.reserve(v.entries().size());
      for (const auto& [key, item] : v.entries()) {
        entries.emplace_back(Rebuild(key, fn), Rebuild(item, fn));
      }
      return Value::Dict(std::move(entries));
    }
    default:
      return v;
  }
}

}  // namespace

absl::StatusOr<Value> MapStorages(const Value& value, const StorageLocations& saved,
                                  const checkpoint::MapLocation& map,
                                  const TransferOptions& options) {
  std::vector<const at::Tensor*> tensors;
  CollectTensors(value, &tensors);

  // Where each distinct storage goes, and the plan for each device.
  absl::flat_hash_map<const c10::StorageImpl*, std::pair<std::string, size_t>> where;
  std::map<std::string, DevicePlan> plans;  // by device string
  absl::flat_hash_map<std::string, c10::Device> devices;
  for (const at::Tensor* t : tensors) {
    const c10::StorageImpl* impl = t->storage().unsafeGetStorageImpl();
    if (where.contains(impl)) continue;
    const auto it = saved.find(impl);
    HUB_ASSIGN_OR_RETURN(c10::Device target,
                         map.Target(it == saved.end() ? "cpu" : absl::string_view(it->second)));
    if (target.is_cpu() && !options.batch_cpu) {
      where[impl] = {"", 0};
      continue;
    }
    const std::string key = target.str();
    devices.emplace(key, target);
    DevicePlan& plan = plans[key];
    const size_t offset = plan.total;
    plan.storages.push_back({t->storage(), offset});
    plan.total += (t->storage().nbytes() + kAlignment - 1) / kAlignment * kAlignment;
    where[impl] = {key, offset};
  }
  if (plans.empty()) return value;

  try {
    for (auto& [key, plan] : plans) {
      HUB_ASSIGN_OR_RETURN(plan.result, CopyPacked(plan, devices.at(key), options));
    }
    return Rebuild(value, [&](const at::Tensor& t) -> at::Tensor {
      const auto& [key, offset] = where.at(t.storage().unsafeGetStorageImpl());
      if (key.empty()) return t;
      const DevicePlan& plan = plans.at(key);
      at::Tensor moved = at::empty({0}, t.options().device(devices.at(key)));
      moved.set_(plan.result, static_cast<int64_t>(offset / t.element_size()) + t.storage_offset(),
                 t.sizes(), t.strides());
      if (t.requires_grad()) moved.set_requires_grad(true);
      return moved;
    });
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("moving the checkpoint's tensors: ", e.what_without_backtrace()));
  }
}

}  // namespace hub::checkpoint_internal
