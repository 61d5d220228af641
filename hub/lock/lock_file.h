// torchhub.lock: what a project's hub repos and weight files are, exactly.
//
//   HUB_ASSIGN_OR_RETURN(hub::LockFile lock, hub::ReadLockFile("torchhub.lock"));
//   const hub::LockedRepo* r = lock.FindRepo("pytorch/vision:v0.14.1");
//   r->commit;          // the 40-hex commit it was when locked
//   r->content_sha256;  // ContentDigest of its directory
//   const hub::LockedFile* f = lock.FindFile("https://download.pytorch.org/models/...");
//   f->sha256;          // the whole file's SHA-256
//
// `torchhub lock` writes it; loads given it (hub/lock/pinned.h, HubOptions::
// lock_file, `--lock`, TORCHHUB_LOCK) take only what it pins. The file is
// JSON, one entry per line, sorted, so that it diffs well under review:
//
//   {
//     "torchhub_lock": 1,
//     "repos": [
//       {"repo":"acme/models:v1.0","ref":"v1.0","commit":"<40 hex>",
//        "content_sha256":"<64 hex>","source":"https://github.com/..."}
//       (and "git_url":"..." for a repo fetched from a git remote)
//     ],
//     "files": [
//       {"url":"https://host/w-0123abcd.pth","file_name":"w-0123abcd.pth",
//        "sha256":"<64 hex>","bytes":1234}
//     ]
//   }
//
// A repo is keyed by the string a load names ("owner/name" or
// "owner/name:ref", as RepoRef::ToString gives it); `ref` is what that
// resolved to (the default branch filled in), which names the cache
// directory "<owner>_<name>_<ref>" as torch.hub names it.

#ifndef HUB_LOCK_LOCK_FILE_H_
#define HUB_LOCK_LOCK_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

inline constexpr int kLockFileVersion = 1;
inline constexpr char kDefaultLockFileName[] = "torchhub.lock";

struct LockedRepo {
  std::string repo;            // the key: "owner/name" or "owner/name:ref"
  std::string ref;             // what it resolved to
  std::string commit;          // 40 lowercase hex digits
  std::string content_sha256;  // ContentDigest of the repo dir
  std::string source;          // where it was fetched from (for people)
  // The git remote it was fetched from (FetchOptions::git_url), which
  // pinned loads then fetch from too, once it passes CheckGitRemote
  // (hub/lock/pinned.h); "" for GitHub's archives.
  std::string git_url;
};

struct LockedFile {
  std::string url;
  std::string file_name;  // in the checkpoints directory
  std::string sha256;     // 64 lowercase hex digits
  int64_t bytes = 0;
};

struct LockFile {
  std::vector<LockedRepo> repos;  // sorted by repo
  std::vector<LockedFile> files;  // sorted by url

  // The entry for `repo` ("owner/name[:ref]", compared after parsing), or
  // nullptr.
  const LockedRepo* FindRepo(absl::string_view repo) const;
  // The entry for exactly `url`, or nullptr.
  const LockedFile* FindFile(absl::string_view url) const;
  // Adds or replaces (by key), keeping the order.
  void Put(LockedRepo repo);
  void Put(LockedFile file);
  // Removes the entry for `repo_or_url`; whether there was one.
  bool Remove(absl::string_view repo_or_url);
};

// Checks and reads a lock file's text; `path` names it in errors
// (kInvalidArgument, saying which entry and field is wrong; kFailedPrecondition
// for a version this build doesn't know).
absl::StatusOr<LockFile> ParseLockFile(absl::string_view text, absl::string_view path);
std::string SerializeLockFile(const LockFile& lock);

// kNotFound (saying how to make one) when `path` doesn't exist.
absl::StatusOr<LockFile> ReadLockFile(const std::string& path);
// Atomically: readers see the old file or the new.
absl::Status WriteLockFile(const std::string& path, const LockFile& lock);

// A digest of a repo directory's content that a fetch by Python's torch.hub
// and one by torchhub-cpp agree on: SHA-256 over every entry, in WalkTree's
// order (hub/fs/files.h: depth first, names in byte order), of "d\0PATH\0"
// for a directory and "f\0PATH\0SHA256\0" for a file, PATH relative and
// '/'-separated, where a symbolic link counts as a file holding its target
// (Python's zipfile writes links so). Permissions and times are left out
// (Python's zipfile drops them); so are "__pycache__" directories, which
// importing the hubconf writes, and ".git".
absl::StatusOr<std::string> ContentDigest(const std::string& dir);

// ContentDigest, reused while nothing under `dir` has changed: the record at
// `record_path` (a repo dir's "<hub_dir>/.<dir>.source") keeps it, with a
// signature of every entry's name, mode, inode, size, mtime and ctime, and
// is amended under `lock_path` (the fetch's "<hub_dir>/.<dir>.lock"). A
// digest taken within a second of an entry's last change is not reused (a
// write in the same timestamp tick would keep the stat). kAborted if the
// tree changes while it is hashed.
absl::StatusOr<std::string> VerifiedContentDigest(const std::string& dir,
                                                  const std::string& record_path,
                                                  const std::string& lock_path);

}  // namespace hub

#endif  // HUB_LOCK_LOCK_FILE_H_
