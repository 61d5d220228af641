#include "hub/lock/pinned.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/fs/files.h"
#include "hub/ref/repo_ref.h"

namespace hub {

std::optional<std::string> LockPathFor(absl::string_view explicit_path) {
  if (!explicit_path.empty()) return std::string(explicit_path);
  const char* env = std::getenv(kLockEnv);
  if (env != nullptr && *env != '\0') return std::string(env);
  return std::nullopt;
}

absl::StatusOr<FetchResult> FetchPinnedRepo(absl::string_view repo, const FetchOptions& options,
                                            const LockFile& lock, absl::string_view lock_path) {
  HUB_ASSIGN_OR_RETURN(const RepoRef asked, ParseRepoRef(repo));
  const LockedRepo* found = lock.FindRepo(repo);
  if (found == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(asked.ToString(), " is not in the lock file ", lock_path,
                     ", and loads must take what it pins: add it with `torchhub lock --lock ",
                     lock_path, " ", asked.ToString(), "`"));
  }
  const LockedRepo pin = *found;
  const std::string lock_name(lock_path);
  FetchOptions fetch = options;
  fetch.pinned_commit = pin.commit;
  // Where it was pinned from, unless the caller names another remote.
  if (fetch.git_url.empty()) fetch.git_url = pin.git_url;
  // Whose code that remote serves is what a changed lock file would change:
  // it is checked before anything is fetched or written.
  if (!fetch.git_url.empty()) {
    if (absl::Status s = CheckGitRemote(asked, fetch.git_url, fetch); !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat(lock_path, " pins ", pin.repo, " to the git remote ",
                                       fetch.git_url, ": ", s.message()));
    }
  }
  fetch.check_before_install = [pin, lock_name](const std::string& tree,
                                                const std::string& /*commit*/) -> absl::Status {
    HUB_ASSIGN_OR_RETURN(const std::string digest, ContentDigest(tree));
    if (digest == pin.content_sha256) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat(
        "the fetched commit ", pin.commit, " of ", pin.repo, " has content digest ", digest,
        ", not the ", pin.content_sha256, " that ", lock_name,
        " pins; nothing was installed. The commit's files differ from when it was locked "
        "(a different server or archive?)"));
  };
  absl::StatusOr<FetchResult> fetched = GetCacheOrReload(asked.WithRef(pin.ref).ToString(), fetch);
  if (absl::IsNotFound(fetched.status()) &&
      absl::StartsWith(fetched.status().message(), "Cannot find ")) {
    // torch.hub's words: the pinned commit, or its ref, is not (or no
    // longer) the repo's.
    return absl::NotFoundError(absl::StrCat(fetched.status().message(), " [", lock_path, " pins ",
                                            pin.repo, " at ", pin.commit,
                                            "; `torchhub lock --lock ", lock_path, " --update ",
                                            pin.repo, "` pins what ", pin.ref, " is now]"));
  }
  HUB_ASSIGN_OR_RETURN(FetchResult result, std::move(fetched));
  if (result.from_cache) {
    // Beside the repo dir: its record (where the digest is kept) and the
    // fetch's lock.
    const std::string hub_dir = DirName(result.repo_dir);
    HUB_ASSIGN_OR_RETURN(const std::string name, CacheLayout::RepoDirName(result.repo));
    HUB_ASSIGN_OR_RETURN(const std::string digest,
                         VerifiedContentDigest(result.repo_dir, SourceRecordPath(hub_dir, name),
                                               RepoLockPath(hub_dir, name)));
    if (digest != pin.content_sha256) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the cached ", result.repo_dir, " is not ", pin.repo, " as ", lock_path,
          " pins it (commit ", pin.commit, "): its content digest is ", digest, ", the lock's is ",
          pin.content_sha256,
          ". It was changed, or fetched at another commit. Fetch the pinned commit with "
          "force_reload (torchhub: --force-reload), or pin what is there with `torchhub lock "
          "--update ",
          pin.repo, "`"));
    }
  }
  result.commit = pin.commit;
  return result;
}

absl::StatusOr<LockedFile> PinnedFile(absl::string_view url, absl::string_view file_name,
                                      const LockFile& lock, absl::string_view lock_path) {
  const LockedFile* found = lock.FindFile(url);
  if (found == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(url, " is not in the lock file ", lock_path,
                     ", and loads must take what it pins: add it with `torchhub lock --lock ",
                     lock_path, " ", url, "`"));
  }
  if (!file_name.empty() && file_name != found->file_name) {
    return absl::FailedPreconditionError(
        absl::StrCat(lock_path, " pins ", url, " as the file ", found->file_name, ", not ",
                     file_name, "; load it without file_name (--file-name), or pin it again"));
  }
  return *found;
}

absl::StatusOr<FetchResult> FetchRepo(absl::string_view repo, const FetchOptions& options,
                                      absl::string_view lock_file) {
  const std::optional<std::string> lock_path = LockPathFor(lock_file);
  if (!lock_path.has_value()) return GetCacheOrReload(repo, options);
  HUB_ASSIGN_OR_RETURN(const LockFile lock, ReadLockFile(*lock_path));
  return FetchPinnedRepo(repo, options, lock, *lock_path);
}

absl::StatusOr<std::optional<LockedFile>> FilePin(absl::string_view url,
                                                  absl::string_view file_name,
                                                  absl::string_view lock_file) {
  const std::optional<std::string> lock_path = LockPathFor(lock_file);
  if (!lock_path.has_value()) return std::nullopt;
  HUB_ASSIGN_OR_RETURN(const LockFile lock, ReadLockFile(*lock_path));
  return PinnedFile(url, file_name, lock, *lock_path);
}

}  // namespace hub
