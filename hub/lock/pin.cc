#include "hub/lock/pin.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/cache/hub_dir.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/hash/hash_prefix.h"
#include "hub/ref/repo_ref.h"

namespace hub {

bool IsLockUrl(absl::string_view item) { return absl::StrContains(item, "://"); }

absl::StatusOr<LockedRepo> PinRepo(const std::string& repo, const FetchOptions& fetch_options,
                                   bool update) {
  FetchOptions options = fetch_options;
  options.force_reload = options.force_reload || update;
  HUB_ASSIGN_OR_RETURN(const RepoRef asked, ParseRepoRef(repo));
  // What goes into the lock is what loads will trust: the remote is checked
  // now as it will be then (CheckGitRemote), before anything is fetched.
  if (!options.git_url.empty()) {
    HUB_RETURN_IF_ERROR(CheckGitRemote(asked, options.git_url, options));
  }
  HUB_ASSIGN_OR_RETURN(const FetchResult fetched, GetCacheOrReload(repo, options));
  HUB_ASSIGN_OR_RETURN(const std::string dir_name, CacheLayout::RepoDirName(fetched.repo));
  // The record GetCacheOrReload keeps beside the repo dir.
  const JsonValue record =
      ReadJsonRecord(SourceRecordPath(GetDir(), dir_name)).value_or(JsonValue::Object({}));
  std::string commit = fetched.commit;
  if (fetched.from_cache) commit = record.GetString({"commit"}).value_or("");
  if (!IsCommitHex(commit)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "can't pin ", asked.ToString(), ": ",
        fetched.from_cache
            ? absl::StrCat("its cached copy ", fetched.repo_dir,
                           " has no record of its full commit (Python's torch.hub, or an older "
                           "torchhub, fetched it); --update fetches it again and pins that")
            : absl::StrCat("what was fetched names no full commit (",
                           commit.empty() ? "none" : commit,
                           "); GitHub's zipballs carry it in their comment")));
  }
  LockedRepo pin;
  pin.repo = asked.ToString();
  pin.ref = *fetched.repo.ref;
  pin.commit = commit;
  HUB_ASSIGN_OR_RETURN(pin.content_sha256, ContentDigest(fetched.repo_dir));
  pin.git_url = record.GetString({"git_url"}).value_or("");
  pin.source = record.GetString({"archive_url"})
                   .value_or(pin.git_url.empty() ? fetched.archive_url : pin.git_url);
  // A cached copy may have come from another remote than this run names.
  if (!pin.git_url.empty() && pin.git_url != options.git_url) {
    HUB_RETURN_IF_ERROR(CheckGitRemote(asked, pin.git_url, options));
  }
  // GitHub serves a fork's commits under the repo's name too. A fetch just
  // made validated its ref (unless skip_validation); a cached copy's
  // commit is proven to be the repo's here.
  if (pin.git_url.empty() && fetched.from_cache && !options.skip_validation) {
    HUB_RETURN_IF_ERROR(ValidatePinnedCommit(fetched.repo, pin.commit, options));
  }
  return pin;
}

absl::StatusOr<LockedFile> PinFile(const std::string& url,
                                   const checkpoint::CachedFileOptions& options) {
  HUB_ASSIGN_OR_RETURN(const checkpoint::CachedFile file,
                       checkpoint::FetchCachedFile(url, options));
  LockedFile pin;
  pin.url = url;
  pin.file_name = std::string(absl::string_view(file.path).substr(file.path.rfind('/') + 1));
  pin.sha256 = file.sha256;
  if (pin.sha256.empty()) {
    HUB_ASSIGN_OR_RETURN(
        pin.sha256,
        checkpoint::VerifiedSha256(file.path, SourceRecordPath(DirName(file.path), pin.file_name)));
  }
  pin.bytes = file.bytes;
  return pin;
}

absl::StatusOr<LockUpdate> UpdateLockFile(const std::string& path, std::vector<std::string> items,
                                          const LockUpdateOptions& options) {
  if (options.remove && options.update) {
    return absl::InvalidArgumentError("--remove and --update don't go together");
  }
  if (items.empty() && !options.update) {
    return absl::InvalidArgumentError(
        "name the REPOs and URLs to pin (or --update, to pin every entry again)");
  }
  const bool existed = PathExists(path);
  if (!existed && options.remove) {
    return absl::NotFoundError(absl::StrCat("the lock file ", path, " does not exist"));
  }
  // One update at a time per lock file, so that none loses another's
  // entries: the file itself is the flock. Writing it renames a new version
  // into place, and FileLock checks it holds the file now at the path, so
  // whoever waited then locks (and reads) the new version.
  HUB_ASSIGN_OR_RETURN(FileLock guard, FileLock::Acquire(path));
  bool written = false;
  absl::Cleanup drop_unwritten = [&] {
    // A file this run made (empty, to lock) goes unless it was written.
    if (!existed && !written) (void)guard.RemoveFileAndRelease();
  };
  LockFile lock;
  HUB_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  if (!text.empty()) {
    HUB_ASSIGN_OR_RETURN(lock, ParseLockFile(text, path));
  }
  if (items.empty()) {  // update: everything in the file
    for (const LockedRepo& r : lock.repos) items.push_back(r.repo);
    for (const LockedFile& f : lock.files) items.push_back(f.url);
  }
  LockUpdate result;
  result.path = path;
  auto settle = [&](LockItem item) {
    if (options.on_item) options.on_item(item);
    result.items.push_back(std::move(item));
  };
  for (const std::string& item : items) {
    if (options.remove) {
      if (!lock.Remove(item)) {
        return absl::NotFoundError(absl::StrCat(item, " is not in ", path));
      }
      settle(LockItem{LockItem::Action::kRemoved, item, std::nullopt, std::nullopt});
      continue;
    }
    if (IsLockUrl(item)) {
      if (const LockedFile* kept = lock.FindFile(item); kept != nullptr && !options.update) {
        settle(LockItem{LockItem::Action::kKept, item, std::nullopt, *kept});
        continue;
      }
      HUB_ASSIGN_OR_RETURN(LockedFile pin, PinFile(item, options.files));
      lock.Put(pin);
      settle(LockItem{LockItem::Action::kPinned, item, std::nullopt, std::move(pin)});
      continue;
    }
    if (const LockedRepo* kept = lock.FindRepo(item); kept != nullptr && !options.update) {
      settle(LockItem{LockItem::Action::kKept, item, *kept, std::nullopt});
      continue;
    }
    HUB_ASSIGN_OR_RETURN(LockedRepo pin, PinRepo(item, options.fetch, options.update));
    lock.Put(pin);
    settle(LockItem{LockItem::Action::kPinned, item, std::move(pin), std::nullopt});
  }
  HUB_RETURN_IF_ERROR(WriteLockFile(path, lock));
  written = true;
  return result;
}

}  // namespace hub
