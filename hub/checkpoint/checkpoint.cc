#include "hub/checkpoint/checkpoint.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/ScalarType.h>
#include <c10/core/Storage.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/archive/extract.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/checkpoint/format.h"
#include "hub/checkpoint/internal/device_transfer.h"
#include "hub/checkpoint/internal/mapped_file.h"
#include "hub/checkpoint/internal/zip_directory.h"
#include "hub/checkpoint/map_location.h"
#include "hub/checkpoint/pickle.h"
#include "hub/checkpoint/safetensors.h"
#include "hub/fs/files.h"

namespace hub::checkpoint {
namespace {

using ::hub::checkpoint_internal::MappedFile;
using ::hub::checkpoint_internal::ZipEntry;
using MappedFilePtr = std::shared_ptr<const MappedFile>;
using ::hub::checkpoint_internal::StorageLocations;

void ReleaseMapping(void* context) { delete static_cast<MappedFilePtr*>(context); }

// `nbytes` bytes at `offset` of `file` as a storage: pointing into the mapping
// when allowed and aligned to `alignment`, else a copy.
at::Storage StorageFromFile(const MappedFilePtr& file, size_t offset, size_t nbytes,
                            size_t alignment, bool zero_copy) {
  void* src = file->mutable_data(offset);
  if (zero_copy && nbytes > 0 && reinterpret_cast<uintptr_t>(src) % alignment == 0) {
    c10::DataPtr ptr(src, new MappedFilePtr(file), &ReleaseMapping,
                     c10::Device(c10::DeviceType::CPU));
    return at::Storage(c10::Storage::use_byte_size_t(), nbytes, std::move(ptr), nullptr,
                       /*resizable=*/false);
  }
  at::Storage storage(c10::Storage::use_byte_size_t(), static_cast<int64_t>(nbytes),
                      c10::GetCPUAllocator(),
                      /*resizable=*/false);
  if (nbytes > 0) std::memcpy(storage.data(), src, nbytes);
  return storage;
}

absl::StatusOr<uint64_t> StorageBytes(const StorageRequest& r) {
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(r.numel), c10::elementSize(r.dtype), &bytes)) {
    return absl::DataLossError(absl::StrCat("storage ", r.key, " claims ", r.numel, " elements"));
  }
  return bytes;
}

// Notes where each storage was saved, for map_location.
class RecordingLoader : public StorageLoader {
 public:
  RecordingLoader(StorageLoader* inner, StorageLocations* locations)
      : inner_(inner), locations_(locations) {}
  absl::StatusOr<StorageRef> Load(const StorageRequest& request) override {
    HUB_ASSIGN_OR_RETURN(StorageRef ref, inner_->Load(request));
    if (request.location != "cpu") {
      locations_->emplace(ref.storage.unsafeGetStorageImpl(), request.location);
    }
    return ref;
  }

 private:
  StorageLoader* inner_;
  StorageLocations* locations_;
};

// ---- torch.save's zip format -------------------------------------------

// The largest element size (complex128).
constexpr size_t kAnyDtypeAlignment = 16;

// Deflate expands at most about 1032:1; a larger claimed size is a lie.
constexpr uint64_t kMaxDeflateRatio = 1032;

// Records of a torch.save zip: stored ones straight from the mapping,
// compressed ones (torch.save never writes them, but a re-zipped file can
// have them) inflated by libtorch's own reader.
class ZipRecords {
 public:
  ZipRecords(std::string path, MappedFilePtr file, std::vector<ZipEntry> entries)
      : path_(std::move(path)), file_(std::move(file)), entries_(std::move(entries)) {
    // Records live under one top directory, named after the file when saved
    // ("archive/" since PyTorch 1.13, older files vary): the first entry's.
    const std::string& first = entries_[0].name;
    const size_t slash = first.find('/');
    prefix_ = slash == std::string::npos ? "" : first.substr(0, slash + 1);
    for (const ZipEntry& e : entries_) by_name_.emplace(e.name, &e);
  }

  bool Has(absl::string_view name) const { return by_name_.contains(absl::StrCat(prefix_, name)); }

  // The size the directory declares for the record `name` (relative to the
  // top directory) once read, inflated or not; nullopt when there is none.
  std::optional<uint64_t> Size(absl::string_view name) const {
    auto it = by_name_.find(absl::StrCat(prefix_, name));
    if (it == by_name_.end()) return std::nullopt;
    return it->second->uncompressed_size;
  }

  // The record `name` (relative to the top directory) as a storage.
  absl::StatusOr<at::Storage> Read(absl::string_view name, size_t alignment, bool zero_copy) {
    full_name_.assign(prefix_).append(name.data(), name.size());
    auto it = by_name_.find(full_name_);
    if (it == by_name_.end()) {
      return absl::DataLossError(
          absl::StrCat("the checkpoint has no record \"", prefix_, name, "\""));
    }
    const ZipEntry& e = *it->second;
    if (e.method == 0) {
      HUB_ASSIGN_OR_RETURN(absl::string_view data,
                           checkpoint_internal::StoredEntryData(file_->data(), e));
      const auto offset = static_cast<size_t>(data.data() - file_->data().data());
      return StorageFromFile(file_, offset, data.size(), alignment, zero_copy);
    }
    if (e.compressed_size > file_->size() ||
        e.uncompressed_size / kMaxDeflateRatio > e.compressed_size + 1) {
      return absl::DataLossError(absl::StrCat("record \"", e.name, "\" claims ",
                                              e.uncompressed_size, " bytes from ",
                                              e.compressed_size, " compressed"));
    }
    try {
      if (reader_ == nullptr) {
        reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path_);
      }
      auto [data, size] = reader_->getRecord(std::string(name));
      return at::Storage(c10::Storage::use_byte_size_t(), static_cast<int64_t>(size),
                         std::move(data), c10::GetCPUAllocator(), /*resizable=*/false);
    } catch (const c10::Error& error) {
      return absl::DataLossError(absl::StrCat("reading compressed record \"", e.name,
                                              "\": ", error.what_without_backtrace()));
    }
  }

 private:
  std::string path_;
  MappedFilePtr file_;
  std::vector<ZipEntry> entries_;
  std::string prefix_;
  absl::flat_hash_map<std::string, const ZipEntry*> by_name_;
  std::string full_name_;  // reused: one record name at a time
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
};

absl::Status SizeMismatch(const StorageRequest& request, uint64_t bytes, uint64_t have) {
  return absl::DataLossError(absl::StrCat("storage ", request.key, " should hold ", request.numel,
                                          " elements of ", c10::toString(request.dtype), " (",
                                          bytes, " bytes) but its record has ", have, " bytes"));
}

class ZipStorages : public StorageLoader {
 public:
  ZipStorages(ZipRecords* records, bool zero_copy) : records_(records), zero_copy_(zero_copy) {}

  absl::StatusOr<StorageRef> Load(const StorageRequest& request) override {
    if (request.is_view) return absl::DataLossError("a zip checkpoint has a legacy storage view");
    HUB_ASSIGN_OR_RETURN(uint64_t bytes, StorageBytes(request));
    auto cached = storages_.find(request.key);
    if (cached == storages_.end()) {
      name_.assign("data/").append(request.key);
      // Aligned for any dtype: later tensors may view the storage as another
      // (PyTorch 2's untyped storages). torch.save aligns records to 64.
      // The record's size is checked against what the pickle declares before
      // it is read: with records that can't overlap (ReadZipDirectory) and
      // each read once, the bytes made are bounded by both the declared
      // tensors and what the file holds (times deflate's ratio).
      if (const std::optional<uint64_t> size = records_->Size(name_);
          size.has_value() && *size != bytes) {
        return SizeMismatch(request, bytes, *size);
      }
      HUB_ASSIGN_OR_RETURN(at::Storage storage,
                           records_->Read(name_, kAnyDtypeAlignment, zero_copy_));
      cached = storages_.emplace(request.key, std::move(storage)).first;
    }
    const size_t have = cached->second.nbytes();
    if (have != bytes) return SizeMismatch(request, bytes, have);
    StorageRef ref;
    ref.storage = cached->second;
    ref.dtype = request.dtype;
    ref.numel = request.numel;
    return ref;
  }

 private:
  ZipRecords* records_;
  bool zero_copy_;
  std::string name_;  // reused: one record name at a time
  absl::flat_hash_map<std::string, at::Storage> storages_;
};

absl::StatusOr<Value> LoadZip(const std::string& path, const MappedFilePtr& file,
                              const LoadOptions& options, StorageLocations* locations) {
  HUB_ASSIGN_OR_RETURN(std::vector<ZipEntry> entries,
                       checkpoint_internal::ReadZipDirectory(file->data()));
  if (entries.empty()) return absl::DataLossError("the checkpoint zip is empty");
  ZipRecords records(path, file, std::move(entries));
  if (records.Has("byteorder")) {
    HUB_ASSIGN_OR_RETURN(at::Storage order, records.Read("byteorder", 1, false));
    if (absl::string_view(static_cast<const char*>(order.data()), order.nbytes()) != "little") {
      return absl::UnimplementedError("the checkpoint was saved on a big-endian machine");
    }
  }
  if (!records.Has("data.pkl")) {
    return absl::DataLossError(
        "the checkpoint zip has no data.pkl record under its top directory (not a torch.save "
        "file?)");
  }
  HUB_ASSIGN_OR_RETURN(at::Storage pickle, records.Read("data.pkl", 1, /*zero_copy=*/true));
  ZipStorages storages(&records, options.zero_copy);
  RecordingLoader recording(&storages, locations);
  HUB_ASSIGN_OR_RETURN(
      UnpickleResult result,
      Unpickle(absl::string_view(static_cast<const char*>(pickle.data()), pickle.nbytes()),
               &recording, options.unpickle));
  return std::move(result.value);
}

// ---- torch.save's legacy format ----------------------------------------

class LegacyStorages : public StorageLoader {
 public:
  explicit LegacyStorages(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  absl::StatusOr<StorageRef> Load(const StorageRequest& request) override {
    HUB_ASSIGN_OR_RETURN(uint64_t bytes, StorageBytes(request));
    auto it = storages_.find(request.key);
    if (it == storages_.end()) {
      // The data comes after this pickle: a storage can't be larger than
      // the rest of the file.
      if (bytes > max_bytes_ - allocated_) {
        return absl::DataLossError(absl::StrCat("storage ", request.key, " claims ", bytes,
                                                " bytes, more than the file holds"));
      }
      allocated_ += bytes;
      Root root{at::Storage(c10::Storage::use_byte_size_t(), static_cast<int64_t>(bytes),
                            c10::GetCPUAllocator(),
                            /*resizable=*/false),
                request.dtype, request.numel, false};
      it = storages_.emplace(request.key, std::move(root)).first;
    }
    const Root& root = it->second;
    if (root.dtype != request.dtype || root.numel != request.numel) {
      return absl::DataLossError(
          absl::StrCat("storage ", request.key, " is named with two different types or sizes"));
    }
    StorageRef ref;
    ref.storage = root.storage;
    ref.dtype = root.dtype;
    ref.numel = root.numel;
    if (request.is_view) {
      if (request.view_offset < 0 || request.view_numel < 0 || request.view_offset > root.numel ||
          request.view_numel > root.numel - request.view_offset) {
        return absl::DataLossError(
            absl::StrCat("storage view ", request.view_key, " lies outside storage ", request.key));
      }
      ref.offset = request.view_offset;
      ref.numel = request.view_numel;
    }
    return ref;
  }

  // Fills the storages from the bytes after the main pickle: a pickled list
  // of keys, then per key an int64 element count and the raw elements.
  absl::Status Fill(absl::string_view rest, const UnpickleOptions& options) {
    HUB_ASSIGN_OR_RETURN(UnpickleResult keys, Unpickle(rest, nullptr, options));
    if (!keys.value.is_list()) return absl::DataLossError("the list of storage keys is not a list");
    size_t at = keys.bytes_read;
    for (const Value& key : keys.value.items()) {
      if (!key.is_string()) return absl::DataLossError("a storage key is not a string");
      auto it = storages_.find(key.string_value());
      if (it == storages_.end()) {
        return absl::DataLossError(
            absl::StrCat("storage ", key.string_value(), " has data but no tensor refers to it"));
      }
      Root& root = it->second;
      if (root.filled) {
        return absl::DataLossError(absl::StrCat("storage ", key.string_value(), " appears twice"));
      }
      if (rest.size() - at < 8) {
        return absl::DataLossError(
            absl::StrCat("the file ends before storage ", key.string_value(), " (truncated?)"));
      }
      uint64_t count = 0;
      for (int k = 0; k < 8; ++k) {
        count |= static_cast<uint64_t>(static_cast<uint8_t>(rest[at + k])) << (8 * k);
      }
      at += 8;
      if (count != static_cast<uint64_t>(root.numel)) {
        return absl::DataLossError(absl::StrCat("storage ", key.string_value(), " has ", count,
                                                " elements in the file but ", root.numel,
                                                " in its persistent id"));
      }
      const size_t bytes = root.storage.nbytes();
      if (rest.size() - at < bytes) {
        return absl::DataLossError(
            absl::StrCat("the file ends inside storage ", key.string_value(), " (truncated?)"));
      }
      if (bytes > 0) std::memcpy(root.storage.data(), rest.data() + at, bytes);
      at += bytes;
      root.filled = true;
    }
    for (const auto& [key, root] : storages_) {
      if (!root.filled) {
        return absl::DataLossError(absl::StrCat("storage ", key, " has no data in the file"));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Root {
    at::Storage storage;
    c10::ScalarType dtype;
    int64_t numel;
    bool filled;
  };
  uint64_t max_bytes_;
  uint64_t allocated_ = 0;
  absl::flat_hash_map<std::string, Root> storages_;
};

constexpr int64_t kLegacyProtocolVersion = 1001;

absl::StatusOr<Value> LoadLegacy(const MappedFilePtr& file, const LoadOptions& options,
                                 StorageLocations* locations) {
  absl::string_view rest = file->data();
  // 1. The magic number, an 80-bit int (beyond the pickle machine's int64):
  // format.cc already matched its bytes; skip to its STOP.
  size_t magic_end = 2;
  if (rest.size() > 2 && static_cast<uint8_t>(rest[2]) == 0x95) magic_end += 9;  // FRAME
  magic_end += 12;
  if (rest.size() <= magic_end || rest[magic_end] != '.' ||
      DetectFormatOfBytes(rest) != Format::kLegacy) {
    return absl::DataLossError("the legacy checkpoint does not start with torch's magic number");
  }
  rest.remove_prefix(magic_end + 1);
  // 2. The protocol version.
  HUB_ASSIGN_OR_RETURN(UnpickleResult version, Unpickle(rest, nullptr, options.unpickle));
  if (!version.value.is_int() || version.value.int_value() != kLegacyProtocolVersion) {
    return absl::DataLossError(
        absl::StrCat("unsupported legacy protocol version ", version.value.DebugString()));
  }
  rest.remove_prefix(version.bytes_read);
  // 3. sys_info: {'protocol_version', 'little_endian', 'type_sizes'}.
  HUB_ASSIGN_OR_RETURN(UnpickleResult sys_info, Unpickle(rest, nullptr, options.unpickle));
  const Value* little = sys_info.value.Find("little_endian");
  if (little != nullptr && little->is_bool() && !little->bool_value()) {
    return absl::UnimplementedError("the checkpoint was saved on a big-endian machine");
  }
  rest.remove_prefix(sys_info.bytes_read);
  // 4. The object, whose storages are filled in from what follows.
  LegacyStorages storages(rest.size());
  RecordingLoader recording(&storages, locations);
  HUB_ASSIGN_OR_RETURN(UnpickleResult main, Unpickle(rest, &recording, options.unpickle));
  rest.remove_prefix(main.bytes_read);
  HUB_RETURN_IF_ERROR(storages.Fill(rest, options.unpickle));
  return std::move(main.value);
}

// ---- safetensors ---------------------------------------------------------

absl::StatusOr<Checkpoint> LoadSafetensors(const MappedFilePtr& file, const LoadOptions& options) {
  HUB_ASSIGN_OR_RETURN(SafetensorsHeader header, ParseSafetensorsHeader(file->data()));
  Checkpoint ckpt;
  ckpt.format = Format::kSafetensors;
  ckpt.metadata = std::move(header.metadata);
  std::vector<Value::Entry> entries;
  entries.reserve(header.tensors.size());
  for (const SafetensorsTensor& t : header.tensors) {
    const size_t itemsize = c10::elementSize(t.dtype);
    StorageRef ref;
    ref.storage = StorageFromFile(file, header.data_start + t.begin, t.end - t.begin, itemsize,
                                  options.zero_copy);
    ref.dtype = t.dtype;
    ref.numel = static_cast<int64_t>((t.end - t.begin) / itemsize);
    // Contiguous strides, as PyTorch makes them: a 0 dimension counts as 1.
    // ParseSafetensorsHeader has bounded their product; checked regardless.
    std::vector<int64_t> strides(t.shape.size());
    int64_t stride = 1;
    bool overflow = false;
    for (size_t k = t.shape.size(); k-- > 0;) {
      strides[k] = stride;
      overflow |= __builtin_mul_overflow(stride, t.shape[k] > 0 ? t.shape[k] : 1, &stride);
    }
    absl::StatusOr<at::Tensor> tensor = overflow ? absl::DataLossError("its strides overflow int64")
                                                 : MakeTensorView(ref, 0, t.shape, strides);
    if (!tensor.ok()) {
      return absl::DataLossError(absl::StrCat("invalid safetensors file: tensor \"", t.name,
                                              "\" of shape [", absl::StrJoin(t.shape, ", "),
                                              "]: ", tensor.status().message()));
    }
    entries.emplace_back(Value::String(t.name), Value::Tensor(*std::move(tensor)));
  }
  ckpt.value = Value::Dict(std::move(entries));
  return ckpt;
}

absl::StatusOr<Checkpoint> LoadOnCpu(const std::string& path, const LoadOptions& options,
                                     StorageLocations* locations) {
  HUB_ASSIGN_OR_RETURN(MappedFilePtr file, MappedFile::Open(path));
  const Format format = DetectFormatOfBytes(file->data());
  Checkpoint ckpt;
  ckpt.format = format;
  switch (format) {
    case Format::kZip: {
      HUB_ASSIGN_OR_RETURN(ckpt.value, LoadZip(path, file, options, locations));
      return ckpt;
    }
    case Format::kLegacy: {
      HUB_ASSIGN_OR_RETURN(ckpt.value, LoadLegacy(file, options, locations));
      return ckpt;
    }
    case Format::kSafetensors:
      return LoadSafetensors(file, options);
    case Format::kLegacyZip:
      return absl::FailedPreconditionError(
          absl::StrCat(path,
                       " is a zip holding one file (a zipped legacy checkpoint): extract it with "
                       "ExtractLegacyZip and load the file inside"));
    case Format::kUnknown:
      break;
  }
  // DetectFormat gives the detailed message.
  HUB_ASSIGN_OR_RETURN(Format again, DetectFormat(path));
  return absl::InternalError(
      absl::StrCat(path, " changed while being read (", FormatName(again), ")"));
}

absl::StatusOr<Checkpoint> Load(const std::string& path, const LoadOptions& options) {
  HUB_ASSIGN_OR_RETURN(const MapLocation map, MapLocation::Parse(options.map_location));
  StorageLocations locations;
  HUB_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadOnCpu(path, options, &locations));
  checkpoint_internal::TransferOptions transfer;
  transfer.batch_cpu = options.batch_cpu_transfers;
  if (options.transfer_chunk_bytes > 0) transfer.chunk_bytes = options.transfer_chunk_bytes;
  HUB_ASSIGN_OR_RETURN(ckpt.value,
                       checkpoint_internal::MapStorages(ckpt.value, locations, map, transfer));
  return ckpt;
}

// ---- state dicts ---------------------------------------------------------

bool IsStateDict(const Value& v) {
  if (!v.is_dict()) return false;
  for (const auto& [key, value] : v.entries()) {
    if (!key.is_string() || !value.is_tensor()) return false;
  }
  return true;
}

constexpr const char* kStateDictKeys[] = {"state_dict", "model_state_dict", "model",  "module",
                                          "net",        "network",          "params", "weights"};
constexpr int kMaxStateDictDepth = 4;

const Value* FindStateDict(const Value& v, int depth) {
  if (IsStateDict(v)) return &v;
  if (!v.is_dict() || depth >= kMaxStateDictDepth) return nullptr;
  for (const char* key : kStateDictKeys) {
    const Value* child = v.Find(key);
    if (child == nullptr) continue;
    if (const Value* found = FindStateDict(*child, depth + 1)) return found;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path, const LoadOptions& options) {
  try {
    absl::StatusOr<Checkpoint> ckpt = Load(path, options);
    if (!ckpt.ok()) {
      return absl::Status(ckpt.status().code(),
                          absl::StrCat("loading checkpoint ", path, ": ", ckpt.status().message()));
    }
    return ckpt;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("loading checkpoint ", path, ": libtorch: ", e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("loading checkpoint ", path, ": out of memory"));
  }
}

absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> ExtractStateDict(
    const Value& value) {
  const Value* sd = FindStateDict(value, 0);
  if (sd == nullptr) {
    std::vector<std::string> keys;
    for (const auto& [key, v] : value.entries()) {
      keys.push_back(absl::StrCat(key.DebugString(), ": ", Value::KindName(v.kind())));
    }
    return absl::NotFoundError(absl::StrCat(
        "no state dict (a dict of name -> tensor) in the checkpoint, nor under 'state_dict', "
        "'model_state_dict', 'model', 'module', 'net', 'network', 'params' or 'weights'; it is a ",
        Value::KindName(value.kind()), keys.empty() ? "" : " with keys {",
        absl::StrJoin(keys, ", "), keys.empty() ? "" : "}"));
  }
  std::vector<std::pair<std::string, at::Tensor>> out;
  out.reserve(sd->entries().size());
  for (const auto& [key, v] : sd->entries()) out.emplace_back(key.string_value(), v.tensor());
  return out;
}

namespace {

// Whether the two regular files hold the same bytes.
absl::StatusOr<bool> SameContents(const std::string& a, const std::string& b) {
  HUB_ASSIGN_OR_RETURN(MappedFilePtr x, MappedFile::Open(a));
  HUB_ASSIGN_OR_RETURN(MappedFilePtr y, MappedFile::Open(b));
  return x->data() == y->data();
}

// The file a legacy zip may hold: one plain, visible name in the directory
// it is extracted to. Hidden names are the hub dir's own (".NAME.source"
// records, locks, temporaries).
absl::Status CheckLegacyZipName(const std::string& zip, absl::string_view name) {
  if (name.empty() || name == "." || name == ".." || absl::StrContains(name, '/') ||
      absl::StrContains(name, '\\') || absl::StrContains(name, '\0') ||
      absl::StartsWith(name, ".")) {
    return absl::InvalidArgumentError(absl::StrCat(
        zip, " holds \"", absl::CHexEscape(name),
        "\", which is not a plain file name; a zipped checkpoint must hold one file at its top "
        "level, named without \"/\" and not starting with \".\". Is it the file you meant?"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ExtractLegacyZip(const std::string& path, const std::string& dest_dir) {
  HUB_ASSIGN_OR_RETURN(MappedFilePtr file, MappedFile::Open(path));
  // The directory is read (and each local header checked against it) before
  // the format: a zip whose names disagree is refused as such.
  absl::StatusOr<std::vector<ZipEntry>> entries =
      checkpoint_internal::ReadZipDirectory(file->data());
  if (!entries.ok()) {
    return absl::Status(entries.status().code(),
                        absl::StrCat(path, ": ", entries.status().message()));
  }
  const Format format = DetectFormatOfBytes(file->data());
  if (format != Format::kLegacyZip) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a ", FormatName(format),
                                                   " checkpoint, not a zip holding one file"));
  }
  const std::string& name = (*entries)[0].name;
  HUB_RETURN_IF_ERROR(CheckLegacyZipName(path, name));
  // Checked and extracted whole into a private directory first, then moved
  // into place: a reader of dest_dir never sees a partial file.
  HUB_RETURN_IF_ERROR(MakeDirs(dest_dir));
  const std::string tmp = absl::StrCat(dest_dir, "/.legacy-zip.", RandomHex128());
  absl::Cleanup remove_tmp = [&tmp] { RemoveTree(tmp).IgnoreError(); };
  HUB_RETURN_IF_ERROR(
      ExtractArchive(path, tmp, {.max_entries = 1, .allow_symlinks = false}).status());
  // What was actually written is the one source of truth for the name: it
  // must be the single regular file the directory promised.
  std::vector<std::string> written;
  bool regular = true;
  HUB_RETURN_IF_ERROR(WalkTree(
      tmp, {}, [&](const std::string& relative, const std::string&, const struct stat& st) {
        written.push_back(relative);
        regular = regular && S_ISREG(st.st_mode);
        return absl::OkStatus();
      }));
  if (written.size() != 1 || !regular || written[0] != name) {
    return absl::DataLossError(absl::StrCat(
        path, ": its central directory names one file, \"", absl::CHexEscape(name),
        "\", but extracting it wrote ", written.empty() ? "nothing" : "\"",
        absl::CHexEscape(absl::StrJoin(written, "\", \"")), written.empty() ? "" : "\"",
        "; the zip is corrupt or made to mislead, and is refused"));
  }
  const std::string target = absl::StrCat(dest_dir, "/", name);
  absl::Status moved = RenameNoReplace(absl::StrCat(tmp, "/", name), target);
  if (absl::IsAlreadyExists(moved)) {
    // Extracted before (by us or by torch.hub): the same bytes are fine;
    // other bytes are never replaced.
    struct stat st;
    absl::StatusOr<bool> same = lstat(target.c_str(), &st) == 0 && S_ISREG(st.st_mode)
                                    ? SameContents(absl::StrCat(tmp, "/", name), target)
                                    : absl::StatusOr<bool>(false);
    if (same.ok() && *same) return target;
    return absl::AlreadyExistsError(
        absl::StrCat("extracting ", path, ": ", target,
                     " already exists and differs from the file in the zip; it is never "
                     "replaced. If it is a stale copy, delete it and load again"));
  }
  HUB_RETURN_IF_ERROR(moved);
  return target;
}

}  // namespace hub::checkpoint
