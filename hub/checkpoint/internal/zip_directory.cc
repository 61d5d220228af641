#include "hub/checkpoint/internal/zip_directory.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/status_macros.h"

namespace hub::checkpoint_internal {
namespace {

constexpr size_t kEocdSize = 22;
constexpr size_t kMaxComment = 0xFFFF;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EocdSize = 56;
constexpr uint32_t kMax32 = 0xFFFFFFFF;

uint64_t Le(absl::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int k = 0; k < bytes; ++k) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + k])) << (8 * k);
  }
  return v;
}

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt zip: ", what));
}

// Offset of the end-of-central-directory record, or npos.
size_t FindEocd(absl::string_view file) {
  if (file.size() < kEocdSize) return absl::string_view::npos;
  const size_t last = file.size() - kEocdSize;
  const size_t first = last > kMaxComment ? last - kMaxComment : 0;
  for (size_t at = last + 1; at-- > first;) {
    if (file.compare(at, 4, "PK\x05\x06") == 0 &&
        at + kEocdSize + Le(file, at + 20, 2) == file.size()) {
      return at;
    }
  }
  return absl::string_view::npos;
}

// Each entry's local header: present, naming the entry as the central
// directory does (an extractor that reads local headers, as libarchive's
// streaming reader does, must see the same name we checked), and followed by
// data that lies inside the file, before the central directory, overlapping
// no other entry's. Aliased records would let a small file stand for many
// large ones. Fills in each entry's data_offset.
absl::Status CheckLocalHeaders(absl::string_view file, uint64_t cd_offset,
                               std::vector<ZipEntry>& entries) {
  absl::flat_hash_set<absl::string_view> names;
  names.reserve(entries.size());
  std::vector<std::pair<uint64_t, uint64_t>> spans;  // [begin, end) of header + data
  spans.reserve(entries.size());
  for (ZipEntry& e : entries) {
    if (!names.insert(e.name).second) {
      return Corrupt(absl::StrCat("the name \"", absl::CHexEscape(e.name),
                                  "\" appears twice in the central directory"));
    }
    const uint64_t at = e.local_header_offset;
    if (at > file.size() || file.size() - at < kLocalHeaderSize ||
        file.compare(at, 4, "PK\x03\x04") != 0) {
      return Corrupt(absl::StrCat("entry \"", absl::CHexEscape(e.name), "\" has no local header"));
    }
    const size_t name_len = Le(file, at + 26, 2);
    const size_t extra_len = Le(file, at + 28, 2);
    const uint64_t data = at + kLocalHeaderSize + name_len + extra_len;
    if (data > file.size()) {
      return Corrupt(absl::StrCat("entry \"", absl::CHexEscape(e.name),
                                  "\"'s local header reaches past the end of the file"));
    }
    const absl::string_view local_name = file.substr(at + kLocalHeaderSize, name_len);
    if (local_name != e.name) {
      return Corrupt(absl::StrCat("an entry is named \"", absl::CHexEscape(e.name),
                                  "\" in the central directory but \"",
                                  absl::CHexEscape(local_name),
                                  "\" in its local header; a zip whose names disagree is refused"));
    }
    if (file.size() - data < e.compressed_size || data + e.compressed_size > cd_offset) {
      return Corrupt(absl::StrCat("entry \"", absl::CHexEscape(e.name), "\" (", e.compressed_size,
                                  " bytes) reaches past the end of its data"));
    }
    e.data_offset = data;
    spans.emplace_back(at, data + e.compressed_size);
  }
  // torch.save writes the directory in file order: sorting is then a check.
  if (!std::is_sorted(spans.begin(), spans.end())) std::sort(spans.begin(), spans.end());
  for (size_t k = 1; k < spans.size(); ++k) {
    if (spans[k].first < spans[k - 1].second) {
      return Corrupt(absl::StrCat("two entries share bytes (at offsets ", spans[k - 1].first,
                                  " and ", spans[k].first,
                                  "); a zip whose records overlap is refused"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool LooksLikeZip(absl::string_view file) { return FindEocd(file) != absl::string_view::npos; }

absl::StatusOr<ZipEnd> ReadZipEnd(absl::string_view file) {
  const size_t eocd = FindEocd(file);
  if (eocd == absl::string_view::npos) return Corrupt("no end-of-central-directory record");
  ZipEnd end;
  end.count = Le(file, eocd + 10, 2);
  end.cd_size = Le(file, eocd + 12, 4);
  end.cd_offset = Le(file, eocd + 16, 4);
  if (end.count == 0xFFFF || end.cd_size == kMax32 || end.cd_offset == kMax32) {
    if (eocd < kZip64LocatorSize || file.compare(eocd - kZip64LocatorSize, 4, "PK\x06\x07") != 0) {
      return Corrupt("zip64 sizes without a zip64 locator");
    }
    const uint64_t z64 = Le(file, eocd - kZip64LocatorSize + 8, 8);
    if (z64 > file.size() || file.size() - z64 < kZip64EocdSize ||
        file.compare(z64, 4, "PK\x06\x06") != 0) {
      return Corrupt("bad zip64 end-of-central-directory record");
    }
    end.count = Le(file, z64 + 32, 8);
    end.cd_size = Le(file, z64 + 40, 8);
    end.cd_offset = Le(file, z64 + 48, 8);
  }
  if (end.cd_offset > file.size() || end.cd_size > file.size() - end.cd_offset) {
    return Corrupt("the central directory lies outside the file");
  }
  return end;
}

absl::StatusOr<std::vector<ZipEntry>> ReadZipDirectory(absl::string_view file) {
  HUB_ASSIGN_OR_RETURN(const ZipEnd end, ReadZipEnd(file));
  const uint64_t count = end.count;
  const uint64_t cd_size = end.cd_size;
  const uint64_t cd_offset = end.cd_offset;
  if (count > cd_size / kCentralHeaderSize) {
    return Corrupt(
        absl::StrCat(count, " entries can't fit in a central directory of ", cd_size, " bytes"));
  }
  std::vector<ZipEntry> entries;
  entries.reserve(count);
  absl::string_view cd = file.substr(cd_offset, cd_size);
  size_t at = 0;
  for (uint64_t k = 0; k < count; ++k) {
    if (cd.size() - at < kCentralHeaderSize || cd.compare(at, 4, "PK\x01\x02") != 0) {
      return Corrupt(absl::StrCat("central directory entry ", k, " is malformed"));
    }
    ZipEntry e;
    e.method = static_cast<uint16_t>(Le(cd, at + 10, 2));
    e.compressed_size = Le(cd, at + 20, 4);
    e.uncompressed_size = Le(cd, at + 24, 4);
    const size_t name_len = Le(cd, at + 28, 2);
    const size_t extra_len = Le(cd, at + 30, 2);
    const size_t comment_len = Le(cd, at + 32, 2);
    e.local_header_offset = Le(cd, at + 42, 4);
    if (cd.size() - at - kCentralHeaderSize < name_len + extra_len + comment_len) {
      return Corrupt(absl::StrCat("central directory entry ", k, " is truncated"));
    }
    e.name = std::string(cd.substr(at + kCentralHeaderSize, name_len));
    absl::string_view extra = cd.substr(at + kCentralHeaderSize + name_len, extra_len);
    // The zip64 extra field holds, in this order, those of the three values
    // whose 32-bit field is saturated.
    for (size_t x = 0; x + 4 <= extra.size();) {
      const uint64_t id = Le(extra, x, 2);
      const size_t len = Le(extra, x + 2, 2);
      if (extra.size() - x - 4 < len) break;
      if (id == 1) {
        size_t f = x + 4;
        uint64_t* fields[] = {&e.uncompressed_size, &e.compressed_size, &e.local_header_offset};
        for (uint64_t* field : fields) {
          if (*field != kMax32) continue;
          if (f + 8 > x + 4 + len) return Corrupt("short zip64 extra field");
          *field = Le(extra, f, 8);
          f += 8;
        }
      }
      x += 4 + len;
    }
    if (e.local_header_offset >= file.size()) {
      return Corrupt(absl::StrCat("entry \"", e.name, "\" starts outside the file"));
    }
    entries.push_back(std::move(e));
    at += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  HUB_RETURN_IF_ERROR(CheckLocalHeaders(file, cd_offset, entries));
  return entries;
}

absl::StatusOr<absl::string_view> StoredEntryData(absl::string_view file, const ZipEntry& entry) {
  if (entry.method != 0) {
    return absl::UnimplementedError(absl::StrCat("zip entry \"", entry.name,
                                                 "\" is compressed (method ", entry.method,
                                                 "); torch.save writes stored entries"));
  }
  if (entry.compressed_size != entry.uncompressed_size) {
    return Corrupt(absl::StrCat("stored entry \"", entry.name, "\" has different sizes"));
  }
  // ReadZipDirectory checked that the data lies inside the file.
  if (entry.data_offset > file.size() || file.size() - entry.data_offset < entry.compressed_size) {
    return Corrupt(absl::StrCat("entry \"", entry.name, "\" (", entry.uncompressed_size,
                                " bytes) reaches past the end of the file"));
  }
  return file.substr(entry.data_offset, entry.compressed_size);
}

}  // namespace hub::checkpoint_internal
