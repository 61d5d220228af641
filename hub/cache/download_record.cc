#include "hub/cache/download_record.h"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/fs/files.h"

namespace hub {

std::string SerializeDownloadRecord(const DownloadRecord& r) {
  std::string text =
      absl::StrCat(kDownloadRecordMagic, "\npartial ", r.partial, "\nurl ", r.url, "\netag ",
                   r.etag, "\nlast-modified ", r.last_modified, "\ntotal ", r.total, "\n");
  if (r.ranged) {
    absl::StrAppend(&text, "ranges");
    for (const auto& [start, end] : r.ranges) absl::StrAppend(&text, " ", start, "-", end - 1);
    absl::StrAppend(&text, "\n");
  }
  absl::StrAppend(&text, "end\n");
  return text;
}

namespace {

// "ranges 0-9 20-29" into [start, end) spans; false unless sorted, apart
// and non-empty.
bool ParseRanges(absl::string_view line, std::vector<std::pair<int64_t, int64_t>>* out) {
  if (!absl::ConsumePrefix(&line, "ranges")) return false;
  int64_t previous_end = -1;
  for (absl::string_view span : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(span, '-');
    int64_t first = 0;
    int64_t last = 0;
    if (!absl::SimpleAtoi(parts.first, &first) || !absl::SimpleAtoi(parts.second, &last) ||
        first < 0 || last < first || first < previous_end) {
      return false;
    }
    out->emplace_back(first, last + 1);
    previous_end = last + 1;
  }
  return true;
}

}  // namespace

std::optional<DownloadRecord> ParseDownloadRecord(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 8 || lines[0] != kDownloadRecordMagic) return std::nullopt;
  DownloadRecord r;
  if (lines[6] != "end") {
    if (lines.size() < 9 || lines[7] != "end" || !ParseRanges(lines[6], &r.ranges)) {
      return std::nullopt;
    }
    r.ranged = true;
  }
  auto field = [&](size_t i, absl::string_view key, std::string* out) {
    absl::string_view line = lines[i];
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, " ")) return false;
    *out = std::string(line);
    return true;
  };
  std::string total;
  if (!field(1, "partial", &r.partial) || !field(2, "url", &r.url) || !field(3, "etag", &r.etag) ||
      !field(4, "last-modified", &r.last_modified) || !field(5, "total", &total) ||
      !absl::SimpleAtoi(total, &r.total)) {
    return std::nullopt;
  }
  return r;
}

std::string ReadDownloadRecordText(int fd) {
  std::string text(4096, '\0');
  const ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

absl::Status WriteDownloadRecordText(int fd, absl::string_view text) {
  constexpr absl::string_view kWhat = "recording the transfer in its lock file";
  HUB_RETURN_IF_ERROR(WriteAllAt(fd, text, 0, kWhat));
  if (::ftruncate(fd, static_cast<off_t>(text.size())) != 0)
    return hub::ErrnoToStatus(errno, kWhat);
  return absl::OkStatus();
}

}  // namespace hub
