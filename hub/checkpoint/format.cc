#include "hub/checkpoint/format.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hub/base/status_macros.h"
#include "hub/checkpoint/internal/mapped_file.h"
#include "hub/checkpoint/internal/zip_directory.h"

namespace hub::checkpoint {
namespace {

// pickle.dumps(0x1950a86a20f9469cfc6c) after the PROTO (and FRAME) opcodes:
// LONG1, 10 bytes, little-endian.
constexpr absl::string_view kLegacyMagic("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 12);
// The largest header the safetensors library accepts.
constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

bool IsLegacy(absl::string_view file) {
  if (file.size() < 2 || static_cast<uint8_t>(file[0]) != 0x80) return false;
  absl::string_view rest = file.substr(2);
  if (!rest.empty() && static_cast<uint8_t>(rest[0]) == 0x95) {  // FRAME, protocol 4+
    if (rest.size() < 9) return false;
    rest.remove_prefix(9);
  }
  return absl::StartsWith(rest, kLegacyMagic);
}

bool IsSafetensors(absl::string_view file) {
  if (file.size() < 10) return false;
  uint64_t n = 0;
  for (int k = 0; k < 8; ++k) n |= static_cast<uint64_t>(static_cast<uint8_t>(file[k])) << (8 * k);
  return n >= 2 && n <= kMaxSafetensorsHeader && n <= file.size() - 8 && file[8] == '{';
}

}  // namespace

const char* FormatName(Format format) {
  switch (format) {
    case Format::kUnknown:
      return "unknown";
    case Format::kZip:
      return "zip";
    case Format::kLegacy:
      return "legacy";
    case Format::kLegacyZip:
      return "legacy-zip";
    case Format::kSafetensors:
      return "safetensors";
  }
  return "unknown";
}

Format DetectFormatOfBytes(absl::string_view file) {
  if (absl::StartsWith(file, "PK") && checkpoint_internal::LooksLikeZip(file)) {
    // A one-entry zip is the legacy format zipped; anything else is
    // torch.save's, which the loader reads the directory of anyway.
    const absl::StatusOr<checkpoint_internal::ZipEnd> end = checkpoint_internal::ReadZipEnd(file);
    if (!end.ok() || end->count != 1) return Format::kZip;  // a broken one: the loader says
    absl::StatusOr<std::vector<checkpoint_internal::ZipEntry>> entries =
        checkpoint_internal::ReadZipDirectory(file);
    if (entries.ok() && entries->size() == 1 && !absl::EndsWith((*entries)[0].name, "/")) {
      return Format::kLegacyZip;
    }
    return Format::kZip;  // a broken directory is reported by the loader
  }
  if (IsLegacy(file)) return Format::kLegacy;
  if (IsSafetensors(file)) return Format::kSafetensors;
  return Format::kUnknown;
}

absl::StatusOr<Format> DetectFormat(const std::string& path) {
  HUB_ASSIGN_OR_RETURN(std::shared_ptr<const checkpoint_internal::MappedFile> file,
                       checkpoint_internal::MappedFile::Open(path));
  const Format format = DetectFormatOfBytes(file->data());
  if (format == Format::kUnknown) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a checkpoint this loader knows (", file->size(), " bytes starting with \"",
        absl::CHexEscape(file->data().substr(0, 16)),
        "\"): expected a torch.save file (zip or legacy), a zipped legacy checkpoint or "
        "safetensors"));
  }
  return format;
}

}  // namespace hub::checkpoint
