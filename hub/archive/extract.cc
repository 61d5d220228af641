#include "hub/archive/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/fs/files.h"
#include "hub/fs/tree_links.h"

namespace hub {
namespace {

// Symbolic links followed while resolving one target, as Linux's limit.

constexpr size_t kReadBlockBytes = size_t{64} << 10;

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ReadDeleter>;
using WriteArchive = std::unique_ptr<archive, WriteDeleter>;

enum class Kind { kRoot, kFile, kDirectory, kSymlink, kHardlink };

// One entry as pass 1 saw it; pass 2 must see the same.
struct Entry {
  std::string path;  // normalised, relative, never empty unless kRoot
  Kind kind = Kind::kFile;
  std::string target;  // symlink text, or the hard link's normalised path
};

std::string Quote(absl::string_view s) { return absl::StrCat("\"", absl::CHexEscape(s), "\""); }

// Newest torch.hub's words for the three escapes (_safe_extract_zip), so
// that a message reads the same from either side; then ours, in detail.
absl::string_view UpstreamWords(absl::string_view reason) {
  if (absl::StartsWith(reason, "has an absolute path")) return "Archive entry has absolute path";
  if (absl::StartsWith(reason, "would be written outside")) {
    return "Archive entry contains directory traversal";
  }
  if (absl::StartsWith(reason, "is a symbolic link to") ||
      absl::StartsWith(reason, "is a hard link to")) {
    return "Archive entry escapes target directory";
  }
  return "";
}

absl::Status Refuse(const std::string& archive_path, absl::string_view entry,
                    absl::string_view reason) {
  const absl::string_view upstream = UpstreamWords(reason);
  return absl::InvalidArgumentError(
      absl::StrCat(upstream.empty() ? "" : absl::StrCat(upstream, ": ", entry, " ("),
                   "refusing to extract ", Quote(archive_path), ": entry ", Quote(entry), " ",
                   reason, upstream.empty() ? "" : ")", "; nothing was extracted"));
}

absl::Status ReadError(archive* a, const std::string& archive_path) {
  const char* message = archive_error_string(a);
  return absl::DataLossError(absl::StrCat("reading ", Quote(archive_path), ": ",
                                          message != nullptr ? message : "unknown error"));
}

// Splits an entry name into its components, or says why it can't be one.
// Empty result: the root ("." or "./").
absl::StatusOr<std::vector<std::string>> Components(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("has an empty name");
  if (name[0] == '/') return absl::InvalidArgumentError("has an absolute path");
  if (absl::StrContains(name, '\\')) {
    return absl::InvalidArgumentError(
        "contains a backslash, which Windows tools read as a path separator");
  }
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError("would be written outside the destination (\"..\")");
    }
    parts.emplace_back(part);
  }
  return parts;
}

using Index = std::map<std::string, size_t>;

const Entry* Find(const std::vector<Entry>& entries, const Index& index, const std::string& path) {
  auto it = index.find(path);
  return it == index.end() ? nullptr : &entries[it->second];
}

// Resolves symlink `link` against the archive's own entries (following the
// links among them); OK when it stays inside the root.
absl::Status CheckSymlinkTarget(const std::vector<Entry>& entries, const Index& index,
                                const Entry& link) {
  const LinkEscape escape =
      ResolveTreeLink(link.path, link.target, [&](const std::string& path) -> const std::string* {
        const Entry* found = Find(entries, index, path);
        return found != nullptr && found->kind == Kind::kSymlink ? &found->target : nullptr;
      });
  switch (escape) {
    case LinkEscape::kNone:
      return absl::OkStatus();
    case LinkEscape::kNoTarget:
      return absl::InvalidArgumentError("is a symbolic link with no target");
    case LinkEscape::kAbsolute:
      return absl::InvalidArgumentError(
          absl::StrCat("is a symbolic link to an absolute path (", Quote(link.target), ")"));
    case LinkEscape::kOutside:
      return absl::InvalidArgumentError(absl::StrCat("is a symbolic link to ", Quote(link.target),
                                                     ", which resolves outside the destination"));
    case LinkEscape::kLoop:
      return absl::InvalidArgumentError("is a symbolic link in a loop or too long a chain");
  }
  return absl::InternalError("unknown LinkEscape");
}

ReadArchive OpenReader() {
  ReadArchive a(archive_read_new());
  if (a == nullptr) return a;
  archive_read_support_format_zip(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  archive_read_support_filter_gzip(a.get());
  return a;
}

absl::Status Rewind(int fd, const std::string& archive_path) {
  if (lseek(fd, 0, SEEK_SET) != 0)
    return ErrnoToStatus(errno, absl::StrCat("seeking in ", archive_path));
  return absl::OkStatus();
}

// Reads `a`'s next header into `entry`; false at the end.
absl::StatusOr<bool> NextHeader(archive* a, archive_entry** entry,
                                const std::string& archive_path) {
  const int r = archive_read_next_header(a, entry);
  if (r == ARCHIVE_EOF) return false;
  // ARCHIVE_WARN: a name that can't be converted to the locale's charset, say.
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return ReadError(a, archive_path);
  return true;
}

// Pass 1: every header, checked against every rule; nothing is written.
absl::Status Check(int fd, const std::string& archive_path, const ExtractOptions& options,
                   std::vector<Entry>* entries) {
  HUB_RETURN_IF_ERROR(Rewind(fd, archive_path));
  ReadArchive a = OpenReader();
  if (a == nullptr) return absl::ResourceExhaustedError("archive_read_new failed");
  if (archive_read_open_fd(a.get(), fd, kReadBlockBytes) != ARCHIVE_OK) {
    return ReadError(a.get(), archive_path);
  }
  Index index;
  int64_t total_bytes = 0;
  entries->clear();
  std::vector<std::string> names;  // as the archive spells them, for messages
  while (true) {
    archive_entry* e = nullptr;
    HUB_ASSIGN_OR_RETURN(const bool more, NextHeader(a.get(), &e, archive_path));
    if (!more) break;
    const char* raw = archive_entry_pathname(e);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(e);
    const std::string name = raw != nullptr ? raw : "";
    if (static_cast<int64_t>(entries->size()) >= options.max_entries) {
      return Refuse(archive_path, name,
                    absl::StrCat("is past the limit of ", options.max_entries, " entries"));
    }
    absl::StatusOr<std::vector<std::string>> parts = Components(name);
    if (!parts.ok()) return Refuse(archive_path, name, parts.status().message());
    Entry entry;
    entry.path = absl::StrJoin(*parts, "/");
    const char* hardlink = archive_entry_hardlink(e);
    const mode_t type = archive_entry_filetype(e);
    if (hardlink != nullptr) {
      entry.kind = Kind::kHardlink;
      absl::StatusOr<std::vector<std::string>> target = Components(hardlink);
      if (!target.ok()) {
        return Refuse(archive_path, name,
                      absl::StrCat("is a hard link to ", Quote(hardlink), ", whose name ",
                                   target.status().message()));
      }
      entry.target = absl::StrJoin(*target, "/");
      const Entry* found = Find(*entries, index, entry.target);
      if (found == nullptr || found->kind != Kind::kFile) {
        return Refuse(archive_path, name,
                      absl::StrCat("is a hard link to ", Quote(hardlink),
                                   ", which is not an earlier file in the archive"));
      }
    } else if (type == AE_IFREG) {
      entry.kind = Kind::kFile;
    } else if (type == AE_IFDIR) {
      entry.kind = Kind::kDirectory;
    } else if (type == AE_IFLNK) {
      if (!options.allow_symlinks) {
        return Refuse(archive_path, name, "is a symbolic link, and links are not allowed");
      }
      entry.kind = Kind::kSymlink;
      const char* target = archive_entry_symlink(e);
      if (target == nullptr) target = archive_entry_symlink_utf8(e);
      entry.target = target != nullptr ? target : "";
    } else {
      return Refuse(archive_path, name,
                    "is a device, FIFO or socket; only files, directories and links are allowed");
    }
    if (entry.path.empty()) {
      if (entry.kind != Kind::kDirectory) return Refuse(archive_path, name, "has an empty name");
      entry.kind = Kind::kRoot;
    }
    if (entry.kind == Kind::kFile || entry.kind == Kind::kHardlink) {
      const int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
      if (size < 0 || size > options.max_total_bytes - total_bytes) {
        return Refuse(archive_path, name,
                      absl::StrCat("takes the archive past the limit of ", options.max_total_bytes,
                                   " bytes"));
      }
      total_bytes += size;
    }
    if (entry.kind != Kind::kRoot) {
      // Every parent must be a directory (or not an entry at all): nothing is
      // written through a link or under a file.
      std::string parent;
      for (size_t i = 0; i + 1 < parts->size(); ++i) {
        if (i > 0) parent += '/';
        parent += (*parts)[i];
        const Entry* found = Find(*entries, index, parent);
        if (found != nullptr && found->kind != Kind::kDirectory) {
          return Refuse(
              archive_path, name,
              absl::StrCat("would be written under ", Quote(parent), ", which is not a directory"));
        }
      }
      const Entry* earlier = Find(*entries, index, entry.path);
      if (earlier != nullptr &&
          (entry.kind != Kind::kDirectory || earlier->kind != Kind::kDirectory)) {
        return Refuse(archive_path, name, "appears more than once");
      }
      if (earlier == nullptr) index[entry.path] = entries->size();
    }
    entries->push_back(std::move(entry));
    names.push_back(name);
    if (archive_read_data_skip(a.get()) != ARCHIVE_OK) return ReadError(a.get(), archive_path);
  }
  // Links are checked once every entry is known: a link's target may be a
  // later entry, or a path through other links.
  for (size_t i = 0; i < entries->size(); ++i) {
    const Entry& entry = (*entries)[i];
    if (entry.kind != Kind::kSymlink) continue;
    absl::Status status = CheckSymlinkTarget(*entries, index, entry);
    if (!status.ok()) return Refuse(archive_path, names[i], status.message());
  }
  return absl::OkStatus();
}

// The single top-level directory of `entries`, or "".
std::string TopDir(const std::vector<Entry>& entries) {
  std::string top;
  for (const Entry& entry : entries) {
    if (entry.kind == Kind::kRoot) continue;
    const size_t slash = entry.path.find('/');
    const std::string first = entry.path.substr(0, slash);
    // A top-level entry that is not a directory: no single top directory.
    if (slash == std::string::npos && entry.kind != Kind::kDirectory) return "";
    if (top.empty()) {
      top = first;
    } else if (top != first) {
      return "";
    }
  }
  return top;
}

absl::Status WriteError(archive* w, absl::string_view what) {
  const char* message = archive_error_string(w);
  const int error_number = archive_errno(w);
  const absl::StatusCode code =
      error_number > 0 ? ErrnoToCode(error_number) : absl::StatusCode::kInternal;
  return absl::Status(code,
                      absl::StrCat(what, ": ", message != nullptr ? message : "unknown error"));
}

// Pass 2: the same entries again, written under `root`.
absl::Status Write(int fd, const std::string& archive_path, const ExtractOptions& options,
                   const std::vector<Entry>& entries, const std::string& root, int64_t* bytes) {
  HUB_RETURN_IF_ERROR(Rewind(fd, archive_path));
  ReadArchive a = OpenReader();
  WriteArchive w(archive_write_disk_new());
  if (a == nullptr || w == nullptr) return absl::ResourceExhaustedError("archive_*_new failed");
  if (archive_read_open_fd(a.get(), fd, kReadBlockBytes) != ARCHIVE_OK) {
    return ReadError(a.get(), archive_path);
  }
  // Entry paths are absolute (under `root`, which has no links or ".." in
  // it), so ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS can't be set (libarchive
  // would refuse every entry: "Path is absolute"); pass 1 has already
  // refused absolute names.
  archive_write_disk_set_options(w.get(), ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                              ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                              ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM);
  auto changed = [&archive_path] {
    return absl::DataLossError(absl::StrCat(Quote(archive_path), " changed while being extracted"));
  };
  *bytes = 0;
  for (const Entry& entry : entries) {
    archive_entry* e = nullptr;
    HUB_ASSIGN_OR_RETURN(const bool more, NextHeader(a.get(), &e, archive_path));
    if (!more) return changed();
    const char* raw = archive_entry_pathname(e);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(e);
    absl::StatusOr<std::vector<std::string>> parts = Components(raw != nullptr ? raw : "");
    if (!parts.ok() || absl::StrJoin(*parts, "/") != entry.path) return changed();
    if (entry.kind == Kind::kRoot) continue;
    const mode_t type = archive_entry_filetype(e);
    const mode_t perm = archive_entry_perm(e) & 0777;
    switch (entry.kind) {
      case Kind::kFile:
        if (type != AE_IFREG || archive_entry_hardlink(e) != nullptr) return changed();
        archive_entry_set_perm(e, perm | 0600);
        break;
      case Kind::kDirectory:
        if (type != AE_IFDIR) return changed();
        archive_entry_set_perm(e, perm | 0700);
        break;
      case Kind::kSymlink: {
        const char* target = archive_entry_symlink(e);
        if (target == nullptr) target = archive_entry_symlink_utf8(e);
        if (type != AE_IFLNK || target == nullptr || entry.target != target) return changed();
        break;
      }
      case Kind::kHardlink:
        if (archive_entry_hardlink(e) == nullptr) return changed();
        archive_entry_copy_hardlink(e, absl::StrCat(root, "/", entry.target).c_str());
        archive_entry_set_perm(e, perm | 0600);
        break;
      case Kind::kRoot:
        break;
    }
    const std::string path = absl::StrCat(root, "/", entry.path);
    archive_entry_copy_pathname(e, path.c_str());
    if (archive_write_header(w.get(), e) < ARCHIVE_WARN) {
      return WriteError(w.get(), absl::StrCat("extracting ", Quote(entry.path)));
    }
    if (entry.kind == Kind::kFile || entry.kind == Kind::kHardlink) {
      while (true) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        const int r = archive_read_data_block(a.get(), &block, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        // ARCHIVE_WARN here is a bad checksum: corrupt data.
        if (r != ARCHIVE_OK) return ReadError(a.get(), archive_path);
        if (static_cast<int64_t>(size) > options.max_total_bytes - *bytes) {
          return Refuse(archive_path, entry.path,
                        absl::StrCat("takes the archive past the limit of ",
                                     options.max_total_bytes, " bytes"));
        }
        *bytes += static_cast<int64_t>(size);
        if (archive_write_data_block(w.get(), block, size, offset) < ARCHIVE_WARN) {
          return WriteError(w.get(), absl::StrCat("writing ", Quote(entry.path)));
        }
      }
    }
    if (archive_write_finish_entry(w.get()) < ARCHIVE_WARN) {
      return WriteError(w.get(), absl::StrCat("finishing ", Quote(entry.path)));
    }
  }
  archive_entry* e = nullptr;
  HUB_ASSIGN_OR_RETURN(const bool more, NextHeader(a.get(), &e, archive_path));
  if (more) return changed();
  // Directory permissions and times are set here.
  if (archive_write_close(w.get()) < ARCHIVE_WARN) {
    return WriteError(w.get(), "setting directory permissions");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExtractResult> ExtractArchive(const std::string& archive_path,
                                             const std::string& dest_dir,
                                             const ExtractOptions& options) {
  std::string dest = dest_dir;
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  const size_t slash = dest.rfind('/');
  const std::string base = slash == std::string::npos ? dest : dest.substr(slash + 1);
  if (base.empty() || base == "." || base == ".." || dest == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat("extracting into ", Quote(dest_dir), ": not a usable directory name"));
  }
  struct stat st;
  if (lstat(dest.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("extracting into ", Quote(dest_dir), ": it already exists"));
  }
  // The parent with no links in it, which ARCHIVE_EXTRACT_SECURE_SYMLINKS
  // would otherwise refuse to write through.
  const std::string parent = DirName(dest);
  HUB_ASSIGN_OR_RETURN(
      const std::string real_parent,
      RealPath(parent, absl::StrCat("extracting into ", Quote(dest_dir), ": its parent")));
  const std::string prefix = real_parent == "/" ? "" : real_parent;
  const std::string final_dest = absl::StrCat(prefix, "/", base);

  int fd;
  do {
    fd = open(archive_path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", archive_path));
  absl::Cleanup closer = [fd] { close(fd); };

  std::vector<Entry> entries;
  HUB_RETURN_IF_ERROR(Check(fd, archive_path, options, &entries));

  std::string temp;
  for (int attempt = 0;; ++attempt) {
    temp = absl::StrCat(prefix, "/", base, ".", RandomHex128(), ".extracting");
    if (mkdir(temp.c_str(), 0777) == 0) break;
    if (errno != EEXIST || attempt == 16) {
      return ErrnoToStatus(errno, absl::StrCat("creating ", temp));
    }
  }
  bool done = false;
  absl::Cleanup remove_temp = [&temp, &done] {
    if (!done) (void)RemoveTree(temp);
  };

  ExtractResult result;
  result.entries = static_cast<int64_t>(entries.size());
  result.top_dir = TopDir(entries);
  HUB_RETURN_IF_ERROR(Write(fd, archive_path, options, entries, temp, &result.bytes));

  if (absl::Status moved = RenameNoReplace(temp, final_dest); !moved.ok()) {
    if (absl::IsAlreadyExists(moved)) {
      return absl::AlreadyExistsError(
          absl::StrCat("extracting into ", Quote(dest_dir), ": it appeared meanwhile"));
    }
    return moved;
  }
  done = true;
  HUB_RETURN_IF_ERROR(SyncDirectory(real_parent));
  return result;
}

absl::StatusOr<std::string> ZipComment(const std::string& path) {
  // The end-of-central-directory record: 22 bytes, then a comment of up to
  // 65535, at the very end of the file.
  constexpr size_t kRecordBytes = 22;
  constexpr size_t kMaxComment = 65535;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", path));
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, absl::StrCat("reading ", path));
  const auto size = static_cast<size_t>(st.st_size);
  const size_t tail_bytes = std::min(size, kRecordBytes + kMaxComment);
  std::string tail(tail_bytes, '\0');
  HUB_ASSIGN_OR_RETURN(const size_t got, ReadAllAt(fd, tail.data(), tail_bytes,
                                                   static_cast<int64_t>(size - tail_bytes),
                                                   absl::StrCat("reading ", path)));
  if (got != tail_bytes) {
    return absl::DataLossError(absl::StrCat(path, " shrank while it was being read"));
  }
  // Search backwards for the signature whose comment length reaches exactly
  // the end of the file.
  for (size_t at = tail_bytes >= kRecordBytes ? tail_bytes - kRecordBytes + 1 : 0; at-- > 0;) {
    const auto* p = reinterpret_cast<const unsigned char*>(tail.data() + at);
    if (p[0] != 0x50 || p[1] != 0x4b || p[2] != 0x05 || p[3] != 0x06) continue;
    const size_t comment_bytes = static_cast<size_t>(p[20]) | (static_cast<size_t>(p[21]) << 8);
    if (at + kRecordBytes + comment_bytes != tail_bytes) continue;
    return tail.substr(at + kRecordBytes, comment_bytes);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, " is not a zip archive (no end-of-central-directory record)"));
}

}  // namespace hub
