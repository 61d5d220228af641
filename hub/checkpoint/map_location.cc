#include "hub/checkpoint/map_location.h"

#include <ATen/Context.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <c10/util/Exception.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hub/base/status_macros.h"

namespace hub::checkpoint {
namespace {

absl::StatusOr<c10::Device> ParseDevice(absl::string_view text) {
  const std::string s(absl::StripAsciiWhitespace(text));
  try {
    return c10::Device(s);
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(absl::StrCat(
        "map_location: \"", s, "\" is not a device (try \"cpu\", \"cuda\" or \"cuda:1\")"));
  }
}

}  // namespace

absl::Status CheckDeviceAvailable(const c10::Device& device) {
  if (device.is_cpu()) return absl::OkStatus();
  if (device.is_cuda()) {
    if (!at::hasCUDA()) {
      return absl::FailedPreconditionError(
          absl::StrCat("map_location: ", device.str(),
                       " asked for, but this libtorch has no CUDA (or no GPU is visible); map the "
                       "storages to the CPU with map_location=\"cpu\""));
    }
    const c10::impl::VirtualGuardImpl cuda(c10::DeviceType::CUDA);
    if (device.has_index() && device.index() >= cuda.deviceCount()) {
      return absl::FailedPreconditionError(
          absl::StrCat("map_location: ", device.str(), " asked for, but this machine has ",
                       cuda.deviceCount(), " GPU(s); map it to one that exists, e.g. \"cuda:0\""));
    }
    return absl::OkStatus();
  }
  return absl::UnimplementedError(absl::StrCat("map_location: ", device.str(),
                                               " is not supported; use \"cpu\" or \"cuda[:N]\""));
}

MapLocation MapLocation::To(c10::Device device) {
  MapLocation m;
  m.all_ = device;
  return m;
}

absl::StatusOr<MapLocation> MapLocation::Parse(absl::string_view text) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  MapLocation m;
  if (t.empty() || absl::AsciiStrToLower(t) == "none") return m;
  if (t.find('=') == absl::string_view::npos) {
    HUB_ASSIGN_OR_RETURN(c10::Device d, ParseDevice(t));
    m.all_ = d;
    return m;
  }
  for (absl::string_view pair : absl::StrSplit(t, ',', absl::SkipWhitespace())) {
    const std::vector<absl::string_view> sides = absl::StrSplit(pair, '=');
    if (sides.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("map_location: \"", pair, "\" is not SAVED=DEVICE (e.g. \"cuda:0=cpu\")"));
    }
    HUB_ASSIGN_OR_RETURN(c10::Device from, ParseDevice(sides[0]));
    HUB_ASSIGN_OR_RETURN(c10::Device to, ParseDevice(sides[1]));
    m.remap_.emplace_back(from.str(), to);
  }
  return m;
}

absl::StatusOr<c10::Device> MapLocation::Target(absl::string_view saved) const {
  c10::Device target(c10::DeviceType::CPU);
  if (all_) {
    target = *all_;
  } else {
    HUB_ASSIGN_OR_RETURN(c10::Device where, ParseDevice(saved));
    target = where;
    for (const auto& [from, to] : remap_) {
      if (from == where.str()) {
        target = to;
        break;
      }
    }
  }
  if (absl::Status s = CheckDeviceAvailable(target); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("a storage saved on ", saved, ": ", s.message()));
  }
  return target;
}

absl::Status MapLocation::CheckDevicesAvailable() const {
  if (all_) return CheckDeviceAvailable(*all_);
  for (const auto& [from, to] : remap_) HUB_RETURN_IF_ERROR(CheckDeviceAvailable(to));
  return absl::OkStatus();
}

std::string MapLocation::ToString() const {
  if (all_) return all_->str();
  std::vector<std::string> parts;
  parts.reserve(remap_.size());
  for (const auto& [from, to] : remap_) parts.push_back(absl::StrCat(from, "=", to.str()));
  return absl::StrJoin(parts, ",");
}

}  // namespace hub::checkpoint
