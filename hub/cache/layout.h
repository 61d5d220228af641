// Every path inside the hub dir, named as Python's torch.hub names it, so
// that one cache serves both.
//
//   <hub_dir>/
//     trusted_list                       one "owner_name" per line
//     <owner>_<name>_<ref, "/" as "_">/  a fetched repo
//     <ref>.zip                          torch.hub's archive (removed once extracted)
//     checkpoints/                       load_state_dict_from_url's default
//       <basename of the URL's path>
//       <file>.<32 hex>.partial          a download in progress
//
// and torchhub-cpp's own, all hidden (torch.hub never looks at them):
//
//     .<repo dir>.source                 where a repo dir came from (JSON)
//     .<repo dir>.lock                   a fetch's lock
//     .<repo dir>.zip                    a fetch's archive
//     .<repo dir>.<32 hex>.staging/      a fetch being put together (also
//                                        ".old", ".pruning": a repo dir on
//                                        its way out)
//     .trusted_list.lock                 trusted_list's appends
//     .torchhub-cpp/entrypoints/<sha256>.json   list/help answers
//     checkpoints/
//       .<file>.source                   where a checkpoint came from (JSON)
//       .<file>.lock                     its downloads' lock and resume record
//       <file>.<16 hex>.tmp              an atomic write in progress
//
// A lock beside any file or directory is LockPath(path); versions before
// 2026-12 named a download's lock "<dst>.lock" (LegacyLockPath), which
// hub/fs's FileLock::AcquireWithLegacy still takes when it exists.
//
//   hub::CacheLayout cache(hub::GetDir());
//   cache.RepoDir(*hub::ParseRepoRef("pytorch/vision:v0.10.0"));
//       // ".../hub/pytorch_vision_v0.10.0"
//   hub::CheckpointFileName("https://x/resnet18-5c106cde.pth", std::nullopt);
//       // "resnet18-5c106cde.pth"
//
// Pure computation: nothing here touches the file system. CacheLayout is a
// value type.

#ifndef HUB_CACHE_LAYOUT_H_
#define HUB_CACHE_LAYOUT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/ref/repo_ref.h"

namespace hub {

// torch.hub's file and directory names inside the hub dir.
inline constexpr absl::string_view kTrustedListName = "trusted_list";
inline constexpr absl::string_view kCheckpointsDirName = "checkpoints";
inline constexpr absl::string_view kPartialSuffix = ".partial";

// torchhub-cpp's names (see the drawing above).
inline constexpr absl::string_view kEntryCacheDirName = ".torchhub-cpp/entrypoints";
inline constexpr absl::string_view kSourceRecordSuffix = ".source";
inline constexpr absl::string_view kLockSuffix = ".lock";

// The names of the directories torch.hub looks for when it can't reach
// GitHub to learn the default branch ("main", then "master").
inline constexpr absl::string_view kDefaultBranchCandidates[] = {"main", "master"};

class CacheLayout {
 public:
  // `hub_dir` as GetDir() returns it (possibly relative; not created).
  explicit CacheLayout(std::string hub_dir) : hub_dir_(std::move(hub_dir)) {}

  const std::string& hub_dir() const { return hub_dir_; }

  // "<owner>_<name>_<normalised ref>". kFailedPrecondition when `repo` has
  // no ref yet (resolve the default branch first).
  static absl::StatusOr<std::string> RepoDirName(const RepoRef& repo);

  // JoinPath(hub_dir, RepoDirName(repo)).
  absl::StatusOr<std::string> RepoDir(const RepoRef& repo) const;

  // The directories torch.hub's offline fallback checks, in order, for a
  // repo string without a ref: "<hub_dir>/<owner>_<name>_main", then
  // "_master" (joined with "/", as torch.hub does).
  std::vector<std::string> DefaultBranchFallbackDirs(const RepoRef& repo) const;

  // "<hub_dir>/trusted_list".
  std::string TrustedListPath() const;

  // "<hub_dir>/checkpoints": load_state_dict_from_url's default model_dir.
  std::string CheckpointsDir() const;

  // "<hub_dir>/.torchhub-cpp/entrypoints": the entrypoint cache's dir.
  std::string EntryCacheDir() const;

  // Where a fetch of ours downloads the repo dir `dir_name`'s archive:
  // "<hub_dir>/.<dir_name>.zip" (torch.hub's shared "<ref>.zip" would let
  // two repos with one ref collide).
  std::string RepoArchivePath(absl::string_view dir_name) const;

  // A fresh hidden name beside the repo dir `dir_name`:
  // "<hub_dir>/.<dir_name>.<32 hex>.<kind>", where kind is "staging" (a
  // fetch being put together), "old" (a repo dir being replaced) or
  // "pruning" (being removed). RepoScratchOwner reads the names back.
  std::string RepoScratchPath(absl::string_view dir_name, absl::string_view kind) const;

  // Where torch.hub downloads a repo's archive: "<hub_dir>/<normalised
  // ref>.zip". Shared by every repo with that ref, so torchhub-cpp never
  // writes it; cache tools recognise it as Python's leftover.
  std::string PythonArchivePath(absl::string_view ref) const;

 private:
  std::string hub_dir_;
};

// load_state_dict_from_url's file name: `file_name` when given, else the
// basename of the URL's path (query, fragment and ";params" dropped, nothing
// decoded). Beyond torch.hub, a name that isn't a plain file name ("", ".",
// "..", or one with "/" or NUL) is refused, since it would name the model
// dir itself or a path outside it; so is one shaped like the cache's own
// bookkeeping (".NAME.source", "NAME.lock", "NAME.<32 hex>.partial"), which
// a download would overwrite or cache tools mistake.
absl::StatusOr<std::string> CheckpointFileName(absl::string_view url,
                                               std::optional<absl::string_view> file_name);

// JoinPath(model_dir, CheckpointFileName(url, file_name)).
absl::StatusOr<std::string> CheckpointPath(absl::string_view model_dir, absl::string_view url,
                                           std::optional<absl::string_view> file_name);

// torchhub-cpp's record of where a repo dir or a checkpoint came from, beside
// it and hidden (torch.hub never looks): "<dir>/.<name>.source".
std::string SourceRecordPath(absl::string_view dir, absl::string_view name);

// The lock beside `path` (a repo dir, a download's destination, a checkpoint,
// trusted_list): "<dir>/.<name>.lock", hidden, so that no directory a user
// looks into shows it. "/h/checkpoints/w.pth" -> "/h/checkpoints/.w.pth.lock".
std::string LockPath(absl::string_view path);

// The name older versions gave a download's (and trusted_list's) lock:
// "<path>.lock". See FileLock::AcquireWithLegacy for why it is still taken.
std::string LegacyLockPath(absl::string_view path);

// The lock a fetch of the repo dir `dir_name` holds:
// LockPath("<hub_dir>/<dir_name>") = "<hub_dir>/.<dir_name>.lock" (always
// so named; a repo's lock has no legacy name).
std::string RepoLockPath(absl::string_view hub_dir, absl::string_view dir_name);

// What a hidden name in the hub dir or checkpoints/ belongs to, read back:
// ".<x>.source" -> "x" (SourceRecordPath), ".<x>.lock" -> "x" (LockPath);
// nullopt for other names, or when "x" would be empty.
std::optional<std::string> SourceRecordOwner(absl::string_view file_name);
std::optional<std::string> LockOwner(absl::string_view file_name);

// The repo dir a scratch name belongs to: ".<dir>.<32 hex>.staging" (and
// ".old", ".pruning": RepoScratchPath), hub/archive's and hub/git's temp dirs
// beside one, "<that>.<32 hex>.extracting" and "<that>.<32 hex>.fetching",
// and the fetch's ".<dir>.zip"
// (RepoArchivePath). nullopt for anything else.
std::optional<std::string> RepoScratchOwner(absl::string_view file_name);

// A fresh temporary name beside `dst` for a download, as torch.hub 2.x makes
// them: "<dst>.<32 random hex digits>.partial". When `dst`'s file name is so
// long that the result would pass the file system's 255-byte limit, the
// file-name part is shortened (torch.hub would fail instead).
std::string DownloadTempPath(absl::string_view dst);

// Whether `file_name` (no directory) looks like DownloadTempPath's output.
bool IsDownloadTempName(absl::string_view file_name);

// The destination a download temp name is for: "<dst>.<32 hex>.partial" ->
// "<dst>" (the name as is when it is not one).
std::string DownloadTempTarget(absl::string_view file_name);

}  // namespace hub

#endif  // HUB_CACHE_LAYOUT_H_
