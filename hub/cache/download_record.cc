#include "hub/cache/download_record.h"

#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"

namespace hub {

std::string SerializeDownloadRecord(const DownloadRecord& r) {
  return absl::StrCat(kDownloadRecordMagic, "\npartial ", r.partial, "\nurl ", r.url, "\netag ",
                      r.etag, "\nlast-modified ", r.last_modified, "\ntotal ", r.total, "\nend\n");
}

std::optional<DownloadRecord> ParseDownloadRecord(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 8 || lines[0] != kDownloadRecordMagic || lines[6] != "end") {
    return std::nullopt;
  }
  DownloadRecord r;
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
  if (::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::ftruncate(fd, static_cast<off_t>(text.size())) != 0) {
    return ErrnoToStatus(errno, "recording the transfer in its lock file");
  }
  return absl::OkStatus();
}

}  // namespace hub
