#include "hub/api/torch.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
#include "hub/checkpoint/cached_file.h"
#include "hub/checkpoint/format.h"
#include "hub/checkpoint/map_location.h"
#include "hub/checkpoint/state_dict_from_url.h"
#include "hub/fs/files.h"
#include "hub/hubconf/entry_cache.h"
#include "hub/hubconf/hubconf.h"
#include "hub/sandbox/load.h"
#include "hub/sandbox/sandbox.h"

namespace hub {
namespace {

void ExtractInto(StateDictResult& result) {
  absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd =
      checkpoint::ExtractStateDict(result.checkpoint.value);
  if (sd.ok()) {
    result.state_dict = *std::move(sd);
  } else {
    result.state_dict_status = sd.status();
  }
}

// A cache hit runs no hubconf code, so only a miss starts the sandbox; its
// answer is stored like any other.
absl::StatusOr<RepoDescription> DescribeRepoInSandbox(absl::string_view repo_dir,
                                                      const HubOptions& options) {
  RepoDescription d;
  const EntryCache cache(EntryCache::DefaultDir());
  const std::string python = PythonSettingsKey();
  if (options.use_entry_cache) {
    absl::StatusOr<std::optional<HubconfDescription>> hit = cache.Lookup(repo_dir, python);
    if (hit.ok() && hit->has_value()) {
      d.description = **std::move(hit);
      d.from_cache = true;
      return d;
    }
  }
  sandbox::SandboxOptions sandbox_options;
  sandbox_options.read_only_dirs = {GetDir()};
  HUB_ASSIGN_OR_RETURN(d.description, sandbox::DescribeHubconfInSandbox(repo_dir, sandbox_options));
  if (options.use_entry_cache) {
    if (absl::Status stored = cache.Store(repo_dir, python, d.description); !stored.ok()) {
      Warn(WarningCategory::kUserWarning,
           absl::StrCat("the entrypoint cache was not updated: ", stored.message()));
    }
  }
  return d;
}

// A URL the sandbox may have the parent fetch: http or https only (no
// file://, nothing that reads this machine).
absl::Status CheckForwardedUrl(absl::string_view url) {
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  if (absl::StartsWith(lower, "http://") || absl::StartsWith(lower, "https://")) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the sandboxed hubconf asked for \"", url,
                   "\"; only http:// and https:// URLs are fetched for it"));
}

// How load_state_dict_from_url's file is fetched, whoever asks (the caller,
// or a sandboxed hubconf through DoForWorker): the caller's hub settings, the
// requested file name and hash check, then the lock file's pin for `url`
// (its file name and SHA-256) over both.
absl::Status SetCachedFileOptions(const std::string& url, const std::string& file_name,
                                  bool check_hash, const HubOptions& options,
                                  checkpoint::CachedFileOptions& out) {
  out.model_dir = options.model_dir;
  out.file_name = file_name;
  out.check_hash = check_hash;
  out.missing_hash = options.missing_hash;
  out.progress = options.progress;
  out.download = options.fetch.download;
  out.err = options.fetch.err;
  HUB_ASSIGN_OR_RETURN(const std::optional<LockedFile> pin,
                       FilePin(url, file_name, options.lock_file));
  if (pin.has_value()) {
    out.file_name = pin->file_name;
    out.expected_sha256 = pin->sha256;
  }
  return absl::OkStatus();
}

// What a sandboxed hubconf asks the parent for, done with this process's
// rules: load_state_dict_from_url into the checkpoints dir (hash check, lock
// pins, the download lock, as LoadStateDictFromUrl), download_url_to_file
// into the run's staging dir, torch.hub.load's repo fetched (and trusted or
// not) as Load would. The worker names no path: where things land is ours.
absl::StatusOr<std::string> DoForWorker(const sandbox::WorkerRequest& request,
                                        const HubOptions& options, const std::string& staging) {
  switch (request.kind) {
    case sandbox::WorkerRequest::Kind::kLoadStateDictFromUrl: {
      HUB_RETURN_IF_ERROR(CheckForwardedUrl(request.url));
      checkpoint::CachedFileOptions c;
      HUB_RETURN_IF_ERROR(
          SetCachedFileOptions(request.url, request.file_name, request.check_hash, options, c));
      HUB_ASSIGN_OR_RETURN(checkpoint::CachedFile file,
                           checkpoint::FetchCachedFile(request.url, c));
      return file.path;
    }
    case sandbox::WorkerRequest::Kind::kDownloadUrlToFile: {
      HUB_RETURN_IF_ERROR(CheckForwardedUrl(request.url));
      const std::string dst = absl::StrCat(staging, "/", RandomHex128());
      std::optional<std::string> hash_prefix;
      if (!request.hash_prefix.empty()) hash_prefix = request.hash_prefix;
      HUB_RETURN_IF_ERROR(
          DownloadUrlToFile(request.url, dst, hash_prefix, options.progress).status());
      return dst;
    }
    case sandbox::WorkerRequest::Kind::kHubLoad: {
      if (request.source != "github") {
        return absl::PermissionDeniedError(absl::StrCat(
            "the sandboxed hubconf asked to load ", request.url, " with source '", request.source,
            "'; only GitHub repos are fetched for it (a local dir it can load itself)"));
      }
      HubOptions nested = options;
      nested.source = "github";
      absl::StatusOr<std::string> dir = RepoDir(request.url, nested, "load");
      // The hubconf's own trust_repo never reaches here: say whose counts.
      if (dir.status().code() == absl::StatusCode::kPermissionDenied) {
        return absl::PermissionDeniedError(absl::StrCat(
            dir.status().message(),
            " (a nested load from a sandboxed hubconf is trusted by this process's trust_repo "
            "and trusted list, never by the trust_repo the hubconf passes)"));
      }
      return dir;
    }
  }
  return absl::InvalidArgumentError("an unknown request from the sandbox");
}

absl::StatusOr<LoadedEntry> LoadInSandbox(const std::string& dir, absl::string_view model,
                                          const HubArgs& args, const HubOptions& options,
                                          const LoadOptions& load) {
  // The worker sees the hub dir (cached weights, fetched repos), the
  // checkpoints dir and a staging dir for download_url_to_file, read-only.
  const std::string model_dir =
      options.model_dir.empty() ? absl::StrCat(GetDir(), "/checkpoints") : options.model_dir;
  HUB_RETURN_IF_ERROR(MakeDirs(model_dir));
  // Inside the hub dir, which the worker sees anyway (so a worker started
  // early, before the staging dir existed, sees it too).
  const std::string private_dir = absl::StrCat(GetDir(), "/.torchhub-cpp");
  HUB_RETURN_IF_ERROR(MakeDirs(private_dir));
  std::string staging = absl::StrCat(private_dir, "/sandbox-staging.XXXXXX");
  if (::mkdtemp(staging.data()) == nullptr) {
    return ErrnoToStatus(errno, "making the sandbox's staging directory");
  }
  sandbox::SandboxOptions sandbox_options;
  sandbox_options.read_only_dirs = {GetDir(), model_dir, staging};
  sandbox_options.on_request = [&options, &staging](const sandbox::WorkerRequest& request) {
    return DoForWorker(request, options, staging);
  };
  absl::StatusOr<LoadedEntry> loaded =
      sandbox::LoadEntrypointInSandbox(dir, model, args, load, sandbox_options);
  (void)RemoveTree(staging);
  return loaded;
}

}  // namespace

absl::StatusOr<RepoDescription> DescribeRepo(absl::string_view repo_dir,
                                             const HubOptions& options) {
  RepoDescription d;
  if (options.sandbox) return DescribeRepoInSandbox(repo_dir, options);
  if (!options.use_entry_cache) {
    HUB_ASSIGN_OR_RETURN(d.description, DescribeHubconf(repo_dir));
    return d;
  }
  HUB_ASSIGN_OR_RETURN(d.description, DescribeHubconfCached(repo_dir, &d.from_cache));
  return d;
}

absl::StatusOr<std::vector<std::string>> List(absl::string_view github, const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(github, options, "list"));
  HUB_ASSIGN_OR_RETURN(RepoDescription d, DescribeRepo(dir, options));
  return std::move(d.description.entrypoints);
}

absl::StatusOr<std::optional<std::string>> Help(absl::string_view github, absl::string_view model,
                                                const HubOptions& options) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(github, options, "help"));
  HUB_ASSIGN_OR_RETURN(const RepoDescription d, DescribeRepo(dir, options));
  return HelpFromDescription(d.description, model);
}

absl::StatusOr<LoadedEntry> Load(absl::string_view repo_or_dir, absl::string_view model,
                                 const HubArgs& args, const HubOptions& options,
                                 const LoadOptions& load) {
  HUB_ASSIGN_OR_RETURN(const std::string dir, RepoDir(repo_or_dir, options, "load"));
  if (options.sandbox) return LoadInSandbox(dir, model, args, options, load);
  return LoadEntrypoint(dir, model, args, load);
}

const char* CheckpointFormatName(const StateDictResult& result) {
  return checkpoint::FormatName(result.checkpoint.format);
}

bool ValidMapLocation(absl::string_view text) { return checkpoint::MapLocation::Parse(text).ok(); }

absl::StatusOr<StateDictResult> LoadStateDictFromUrl(const std::string& url,
                                                     const HubOptions& options) {
  checkpoint::LoadStateDictOptions load;
  HUB_RETURN_IF_ERROR(
      SetCachedFileOptions(url, options.file_name, options.check_hash, options, load));
  load.map_location = options.map_location;
  HUB_ASSIGN_OR_RETURN(checkpoint::StateDictFromUrl loaded,
                       checkpoint::LoadStateDictFromUrl(url, load));
  StateDictResult result;
  result.path = std::move(loaded.path);
  result.downloaded = loaded.downloaded;
  result.checkpoint = std::move(loaded.checkpoint);
  ExtractInto(result);
  return result;
}

absl::StatusOr<StateDictResult> LoadStateDictFromFile(const std::string& path,
                                                      const HubOptions& options) {
  checkpoint::LoadOptions load;
  load.map_location = options.map_location;
  std::string file = path;
  std::string scratch;
  // A zipped legacy checkpoint: its one file, extracted to a scratch dir
  // (legacy checkpoints load by copying, so it can go right after).
  if (const absl::StatusOr<checkpoint::Format> format = checkpoint::DetectFormat(path);
      format.ok() && *format == checkpoint::Format::kLegacyZip) {
    const char* tmp = std::getenv("TMPDIR");
    std::string scratch_template =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/torchhub-legacy-zip.XXXXXX");
    if (::mkdtemp(scratch_template.data()) == nullptr) {
      return ErrnoToStatus(errno, "making a scratch directory");
    }
    scratch = scratch_template;
    absl::StatusOr<std::string> extracted = checkpoint::ExtractLegacyZip(path, scratch);
    if (!extracted.ok()) {
      (void)RemoveTree(scratch);
      return extracted.status();
    }
    file = *extracted;
  }
  absl::StatusOr<checkpoint::Checkpoint> loaded = checkpoint::LoadCheckpoint(file, load);
  if (!scratch.empty()) (void)RemoveTree(scratch);
  HUB_RETURN_IF_ERROR(loaded.status());
  StateDictResult result;
  result.path = path;
  result.checkpoint = *std::move(loaded);
  ExtractInto(result);
  return result;
}

}  // namespace hub
