#include "hub/api/hub.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "hub/about/environment.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/fs/files.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/sandbox/sandbox.h"
#include "hub/trust/trusted_list.h"

namespace hub {

FetchOptions FetchOptionsFor(const HubOptions& options, const char* calling_fn) {
  FetchOptions fetch = options.fetch;
  fetch.force_reload = options.force_reload;
  fetch.skip_validation = options.skip_validation;
  fetch.verbose = options.verbose;
  fetch.trust.mode = options.trust_repo;
  fetch.trust.calling_fn = calling_fn;
  return fetch;
}

absl::StatusOr<FetchResult> Fetch(absl::string_view repo, const HubOptions& options,
                                  const char* calling_fn) {
  return FetchRepo(repo, FetchOptionsFor(options, calling_fn), options.lock_file);
}

absl::StatusOr<std::string> RepoDir(absl::string_view repo_or_dir, const HubOptions& options,
                                    const char* calling_fn) {
  HUB_ASSIGN_OR_RETURN(const Source source, ParseSource(options.source));
  if (source == Source::kLocal) return std::string(repo_or_dir);
  HUB_ASSIGN_OR_RETURN(FetchResult fetched, Fetch(repo_or_dir, options, calling_fn));
  return std::move(fetched.repo_dir);
}

absl::StatusOr<std::string> LocalRepoDir(absl::string_view dir) {
  if (!IsDirectory(dir)) {
    return absl::NotFoundError(absl::StrCat(
        dir, " is not a directory (source \"local\" wants a directory with a hubconf.py)"));
  }
  return RealPath(dir, dir);
}

absl::StatusOr<DownloadResult> DownloadUrlToFile(absl::string_view url, absl::string_view dst,
                                                 std::optional<std::string> hash_prefix,
                                                 bool progress) {
  DownloadOptions download;
  download.hash_prefix = std::move(hash_prefix);
  download.progress = progress;
  return DownloadUrlToFile(url, dst, download);
}

absl::StatusOr<std::optional<HubconfDescription>> CachedDescription(absl::string_view repo_dir) {
  const EntryCache cache(EntryCache::DefaultDir());
  return cache.Lookup(repo_dir, PythonSettingsKey());
}

absl::StatusOr<std::optional<std::vector<std::string>>> ListFromEntryCache(
    absl::string_view github, const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(github, options, "list"));
  HUB_ASSIGN_OR_RETURN(std::optional<HubconfDescription> d, CachedDescription(dir));
  if (!d.has_value()) return std::nullopt;
  return std::move(d->entrypoints);
}

absl::StatusOr<std::optional<std::optional<std::string>>> HelpFromEntryCache(
    absl::string_view github, absl::string_view model, const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(github, options, "help"));
  HUB_ASSIGN_OR_RETURN(const std::optional<HubconfDescription> d, CachedDescription(dir));
  if (!d.has_value()) return std::nullopt;
  HUB_ASSIGN_OR_RETURN(std::optional<std::string> doc, HelpFromDescription(*d, model));
  return std::optional<std::optional<std::string>>(std::move(doc));
}

absl::StatusOr<ParsedRepo> ParseRepo(absl::string_view text) {
  HUB_ASSIGN_OR_RETURN(const RepoRef repo, ParseRepoRef(text));
  const CacheLayout cache(GetDir());
  ParsedRepo parsed;
  parsed.repo = repo;
  parsed.hub_dir = cache.hub_dir();
  if (repo.ref.has_value()) {
    parsed.normalized_ref = NormalizeRef(*repo.ref);
    HUB_ASSIGN_OR_RETURN(parsed.cache_dir, cache.RepoDir(repo));
    parsed.cache_dir_candidates.push_back(*parsed.cache_dir);
  } else {
    for (absl::string_view branch : kDefaultBranchCandidates) {
      HUB_ASSIGN_OR_RETURN(std::string dir, cache.RepoDir(repo.WithRef(std::string(branch))));
      parsed.cache_dir_candidates.push_back(std::move(dir));
    }
  }
  return parsed;
}

absl::StatusOr<TrustedListContents> ReadTrustedList() {
  const TrustedList list{CacheLayout(GetDir())};
  TrustedListContents contents;
  contents.path = list.path();
  HUB_ASSIGN_OR_RETURN(contents.entries, list.Read());
  for (absl::string_view owner : kTrustedRepoOwners) contents.trusted_owners.emplace_back(owner);
  contents.environment = TrustedFromEnvironment();
  return contents;
}

namespace {

absl::StatusOr<TrustChange> ChangeTrusted(absl::string_view repo_or_remote, bool add) {
  const CacheLayout cache(GetDir());
  const TrustedList list(cache);
  TrustChange change;
  change.trusted_list = list.path();
  change.subject = std::string(repo_or_remote);
  std::optional<RepoRef> repo;
  if (IsRemoteEntry(repo_or_remote)) {
    // A git remote, trusted by its exact URL; checked before it is written.
    HUB_RETURN_IF_ERROR(WhyRemoteTrusted(cache, repo_or_remote).status());
    change.remote = true;
    change.entry = std::string(repo_or_remote);
  } else {
    HUB_ASSIGN_OR_RETURN(repo, ParseRepoRef(repo_or_remote));
    change.entry = repo->OwnerName();
  }
  if (add) {
    HUB_RETURN_IF_ERROR(MakeDirs(cache.hub_dir()));
    HUB_ASSIGN_OR_RETURN(change.changed, list.Add(change.entry));
    return change;
  }
  HUB_ASSIGN_OR_RETURN(change.changed, list.Remove(change.entry));
  if (repo.has_value()) {
    change.subject = repo->ToString();
    const absl::StatusOr<TrustReason> still = WhyTrusted(cache, *repo);
    if (still.ok() && *still != TrustReason::kNotTrusted) change.still_trusted_because = *still;
  }
  return change;
}

}  // namespace

absl::StatusOr<TrustChange> AddTrusted(absl::string_view repo_or_remote) {
  return ChangeTrusted(repo_or_remote, /*add=*/true);
}

absl::StatusOr<TrustChange> RemoveTrusted(absl::string_view repo_or_remote) {
  return ChangeTrusted(repo_or_remote, /*add=*/false);
}

absl::StatusOr<TrustVerdict> CheckTrusted(absl::string_view repo_or_remote) {
  const CacheLayout cache(GetDir());
  TrustVerdict verdict;
  if (IsRemoteEntry(repo_or_remote)) {
    verdict.remote = true;
    verdict.subject = std::string(repo_or_remote);
    HUB_ASSIGN_OR_RETURN(verdict.reason, WhyRemoteTrusted(cache, repo_or_remote));
    return verdict;
  }
  HUB_ASSIGN_OR_RETURN(const RepoRef repo, ParseRepoRef(repo_or_remote));
  verdict.subject = repo.ToString();
  HUB_ASSIGN_OR_RETURN(verdict.reason, WhyTrusted(cache, repo));
  return verdict;
}

// The cache verbs, on hub/inventory's scan of the hub dir.
absl::StatusOr<CacheListing> CacheList() { return ListCache(GetDir()); }

absl::StatusOr<std::vector<CheckpointCheck>> CacheVerify() { return VerifyCheckpoints(GetDir()); }

absl::StatusOr<std::vector<PinCheck>> CacheVerifyLock(
    const std::string& lock_path, const std::map<std::string, std::string>& hashed) {
  return VerifyAgainstLock(lock_path, GetDir(), hashed);
}

absl::StatusOr<PruneReport> CachePrune(PruneOptions options, absl::string_view lock_file) {
  // What a lock file pins stays: loads under it would fetch it again.
  if (const std::optional<std::string> lock_path = LockPathFor(lock_file)) {
    HUB_ASSIGN_OR_RETURN(const LockFile lock, ReadLockFile(*lock_path));
    HUB_ASSIGN_OR_RETURN(std::vector<std::string> keep, PinnedCacheNames(lock));
    options.keep.insert(options.keep.end(), keep.begin(), keep.end());
  }
  return PruneCache(GetDir(), options);
}

absl::StatusOr<RemoveResult> CacheRemove(absl::string_view what, const RemoveOptions& options) {
  return RemoveItem(GetDir(), what, options);
}

std::string Version() { return TorchhubVersion(); }

bool StartSandboxWorkerBeforeExec(absl::string_view repo_dir) {
  // The load would make it too (as torch.hub does); the worker mounts it.
  const std::string hub_dir = GetDir();
  if (!MakeDirs(hub_dir).ok()) return false;
  std::vector<std::string> dirs = {hub_dir};
  if (!repo_dir.empty() && IsDirectory(std::string(repo_dir))) dirs.emplace_back(repo_dir);
  return sandbox::StartWorkerBeforeExec(dirs).ok();
}

int64_t SandboxWorkersTakenOver() { return sandbox::EarlyWorkersAdopted(); }

}  // namespace hub
