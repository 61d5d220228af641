#include "hub/fs/file_identity.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"

namespace hub {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;

int64_t Nanos(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * kNanosPerSecond + t.tv_nsec;
}

// "seconds.nanoseconds", as the records have always spelled a time.
std::string SecondsDotNanos(int64_t ns) {
  int64_t seconds = ns / kNanosPerSecond;
  int64_t rest = ns % kNanosPerSecond;
  if (rest < 0) {
    rest += kNanosPerSecond;
    --seconds;
  }
  return absl::StrCat(seconds, ".", rest);
}

}  // namespace

FileIdentity FileIdentity::FromStat(const struct stat& st) {
  FileIdentity id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.mode = st.st_mode;
  id.size = static_cast<int64_t>(st.st_size);
  id.mtime_ns = Nanos(st.st_mtim);
  id.ctime_ns = Nanos(st.st_ctim);
  return id;
}

absl::StatusOr<FileIdentity> FileIdentity::Of(absl::string_view path_view, bool follow_links) {
  const std::string path(path_view);
  struct stat st {};
  const int rc = follow_links ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) return ErrnoToStatus(errno, absl::StrCat("reading ", path));
  return FromStat(st);
}

std::string FileIdentity::Signature() const {
  return absl::StrCat(dev, ":", ino, ":", size, ":", SecondsDotNanos(mtime_ns), ":",
                      SecondsDotNanos(ctime_ns));
}

absl::Time FileIdentity::LastChange() const { return absl::FromUnixNanos(ctime_ns); }

}  // namespace hub
