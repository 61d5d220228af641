#include "hub/trust/trusted_list.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"

namespace hub {
namespace {

// Python's str.isspace() over ASCII: \t \n \v \f \r, \x1c-\x1f and space.
bool IsPythonSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

absl::string_view PythonStrip(absl::string_view s) {
  while (!s.empty() && IsPythonSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPythonSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The file's text, or "" when it doesn't exist.
absl::StatusOr<std::string> ReadIfExists(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (absl::IsNotFound(text.status())) return std::string();
  return text;
}

absl::Status AppendBytes(const std::string& path, absl::string_view bytes) {
  int fd;
  do {
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", path, " to add a repo"));
  absl::Cleanup closer = [fd] { close(fd); };
  // One write: O_APPEND makes it land whole at the end, even beside Python.
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("writing ", path));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (fsync(fd) != 0) return ErrnoToStatus(errno, absl::StrCat("flushing ", path));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> ParseTrustedListLines(absl::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.emplace_back(PythonStrip(text.substr(start, i - start)));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.emplace_back(PythonStrip(text.substr(start)));
  return lines;
}

absl::StatusOr<std::vector<std::string>> TrustedList::Read() const {
  HUB_ASSIGN_OR_RETURN(const std::string text, ReadIfExists(path_));
  std::vector<std::string> entries = ParseTrustedListLines(text);
  entries.erase(std::remove(entries.begin(), entries.end(), std::string()), entries.end());
  return entries;
}

absl::StatusOr<bool> TrustedList::Contains(absl::string_view owner_name) const {
  HUB_ASSIGN_OR_RETURN(const std::vector<std::string> entries, Read());
  return std::find(entries.begin(), entries.end(), owner_name) != entries.end();
}

absl::Status TrustedList::EnsureExists() const {
  if (PathExists(path_)) return absl::OkStatus();
  const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("creating ", path_));
  close(fd);
  return absl::OkStatus();
}

absl::StatusOr<bool> TrustedList::Add(absl::string_view owner_name) const {
  HUB_ASSIGN_OR_RETURN(FileLock lock, FileLock::AcquireWithLegacy(lock_path_, legacy_lock_path_));
  HUB_ASSIGN_OR_RETURN(const std::string text, ReadIfExists(path_));
  const std::vector<std::string> lines = ParseTrustedListLines(text);
  if (std::find(lines.begin(), lines.end(), owner_name) != lines.end()) return false;
  const bool needs_break = !text.empty() && text.back() != '\n' && text.back() != '\r';
  HUB_RETURN_IF_ERROR(AppendBytes(path_, absl::StrCat(needs_break ? "\n" : "", owner_name, "\n")));
  return true;
}

absl::StatusOr<bool> TrustedList::Remove(absl::string_view owner_name) const {
  // Nothing to remove, and no reason to create a lock file (or the hub dir).
  if (!PathExists(path_)) return false;
  HUB_ASSIGN_OR_RETURN(FileLock lock, FileLock::AcquireWithLegacy(lock_path_, legacy_lock_path_));
  HUB_ASSIGN_OR_RETURN(const std::string text, ReadIfExists(path_));
  std::string kept;
  bool removed = false;
  for (const std::string& line : ParseTrustedListLines(text)) {
    if (line == owner_name) {
      removed = true;
    } else if (!line.empty()) {
      absl::StrAppend(&kept, line, "\n");
    }
  }
  if (removed) HUB_RETURN_IF_ERROR(WriteFileAtomically(path_, kept));
  return removed;
}

}  // namespace hub
