#include "hub/api/hub.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hub/base/status_macros.h"
#include "hub/checkpoint/state_dict_from_url.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/hubconf/hubconf.h"
#include "hub/lock/pinned.h"
#include "hub/ref/repo_ref.h"

namespace hub {
namespace {

// The repo dir for `repo`: fetched (or found in the cache) as torch.hub's
// _get_cache_or_reload does, or the local directory itself.
absl::StatusOr<std::string> RepoDir(absl::string_view repo, const char* calling_fn,
                                    const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const Source source, ParseSource(options.source));
  if (source == Source::kLocal) return std::string(repo);
  FetchOptions fetch = options.fetch;
  fetch.force_reload = options.force_reload;
  fetch.skip_validation = options.skip_validation;
  fetch.verbose = options.verbose;
  fetch.trust.mode = options.trust_repo;
  fetch.trust.calling_fn = calling_fn;
  HUB_ASSIGN_OR_RETURN(FetchResult fetched, FetchRepo(repo, fetch, options.lock_file));
  return fetched.repo_dir;
}

absl::StatusOr<HubconfDescription> Describe(const std::string& dir, const HubOptions& options) {
  if (!options.use_entry_cache) return DescribeHubconf(dir);
  return DescribeHubconfCached(dir);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> List(absl::string_view github, const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(github, "list", options));
  HUB_ASSIGN_OR_RETURN(HubconfDescription d, Describe(dir, options));
  return std::move(d.entrypoints);
}

absl::StatusOr<std::optional<std::string>> Help(absl::string_view github, absl::string_view model,
                                                const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(github, "help", options));
  HUB_ASSIGN_OR_RETURN(const HubconfDescription d, Describe(dir, options));
  return HelpFromDescription(d, model);
}

absl::StatusOr<LoadedEntry> Load(absl::string_view repo_or_dir, absl::string_view model,
                                 const HubArgs& args, const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(repo_or_dir, "load", options));
  return LoadEntrypoint(dir, model, args, options.load);
}

absl::StatusOr<DownloadResult> DownloadUrlToFile(absl::string_view url, absl::string_view dst,
                                                 std::optional<std::string> hash_prefix,
                                                 bool progress) {
  DownloadOptions download;
  download.hash_prefix = std::move(hash_prefix);
  download.progress = progress;
  return DownloadUrlToFile(url, dst, download);
}

absl::StatusOr<StateDictResult> LoadStateDictFromUrl(const std::string& url,
                                                     const HubOptions& options) {
  checkpoint::LoadStateDictOptions load;
  load.model_dir = options.model_dir;
  load.file_name = options.file_name;
  load.check_hash = options.check_hash;
  load.missing_hash = options.missing_hash;
  load.progress = options.progress;
  load.map_location = options.map_location;
  load.download = options.fetch.download;
  load.err = options.fetch.err;
  HUB_ASSIGN_OR_RETURN(const std::optional<LockedFile> pin,
                       FilePin(url, options.file_name, options.lock_file));
  if (pin.has_value()) {
    load.file_name = pin->file_name;
    load.expected_sha256 = pin->sha256;
  }
  HUB_ASSIGN_OR_RETURN(checkpoint::StateDictFromUrl loaded,
                       checkpoint::LoadStateDictFromUrl(url, load));
  StateDictResult result;
  result.path = std::move(loaded.path);
  result.downloaded = loaded.downloaded;
  result.checkpoint = std::move(loaded.checkpoint);
  absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd =
      checkpoint::ExtractStateDict(result.checkpoint.value);
  if (sd.ok()) {
    result.state_dict = *std::move(sd);
  } else {
    result.state_dict_status = sd.status();
  }
  return result;
}

}  // namespace hub
