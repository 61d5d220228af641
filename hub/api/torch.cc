#include "hub/api/torch.h"

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/errno_status.h"
#include "hub/base/status_macros.h"
#include "hub/base/warnings.h"
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
  if (options.sandbox) {
    sandbox::SandboxOptions sandbox_options;
    sandbox_options.read_only_dirs = {GetDir()};
    return sandbox::LoadEntrypointInSandbox(dir, model, args, load, sandbox_options);
  }
  return LoadEntrypoint(dir, model, args, load);
}

const char* CheckpointFormatName(const StateDictResult& result) {
  return checkpoint::FormatName(result.checkpoint.format);
}

bool ValidMapLocation(absl::string_view text) { return checkpoint::MapLocation::Parse(text).ok(); }

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
