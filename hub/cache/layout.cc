#include "hub/cache/layout.h"
#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/files.h"

namespace hub {
namespace {

constexpr size_t kNameMax = 255;
constexpr size_t kRandomHexDigits = 32;

}  // namespace

absl::StatusOr<std::string> CacheLayout::RepoDirName(const RepoRef& repo) {
  if (!repo.ref.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the repo \"", repo.ToString(),
                     "\" has no ref, so its cache directory is not known yet; resolve the "
                     "default branch first (or write \"",
                     repo.ToString(), ":main\")"));
  }
  std::string name;
  name.reserve(repo.owner.size() + repo.name.size() + repo.ref->size() + 2);
  absl::StrAppend(&name, repo.owner, "_", repo.name, "_", NormalizeRef(*repo.ref));
  return name;
}

absl::StatusOr<std::string> CacheLayout::RepoDir(const RepoRef& repo) const {
  absl::StatusOr<std::string> name = RepoDirName(repo);
  if (!name.ok()) return name.status();
  // JoinPath(hub_dir_, *name), in place: the name never starts with "/".
  if (hub_dir_.empty()) return name;
  std::string dir;
  dir.reserve(hub_dir_.size() + 1 + name->size());
  dir.append(hub_dir_);
  if (hub_dir_.back() != '/') dir.push_back('/');
  dir.append(*name);
  return dir;
}

std::vector<std::string> CacheLayout::DefaultBranchFallbackDirs(const RepoRef& repo) const {
  std::vector<std::string> dirs;
  for (absl::string_view branch : kDefaultBranchCandidates) {
    // torch.hub: f"{get_dir()}/{repo_owner}_{repo_name}_{possible_ref}".
    dirs.push_back(absl::StrCat(hub_dir_, "/", repo.owner, "_", repo.name, "_", branch));
  }
  return dirs;
}

std::string CacheLayout::TrustedListPath() const { return JoinPath(hub_dir_, kTrustedListName); }

std::string CacheLayout::CheckpointsDir() const { return JoinPath(hub_dir_, kCheckpointsDirName); }

std::string CacheLayout::EntryCacheDir() const { return JoinPath(hub_dir_, kEntryCacheDirName); }

std::string CacheLayout::RepoArchivePath(absl::string_view dir_name) const {
  return JoinPath(hub_dir_, absl::StrCat(".", dir_name, ".zip"));
}

std::string CacheLayout::RepoScratchPath(absl::string_view dir_name, absl::string_view kind) const {
  return JoinPath(hub_dir_, absl::StrCat(".", dir_name, ".", RandomHex128(), ".", kind));
}

std::string CacheLayout::PythonArchivePath(absl::string_view ref) const {
  return JoinPath(hub_dir_, absl::StrCat(NormalizeRef(ref), ".zip"));
}

absl::StatusOr<std::string> CheckpointFileName(absl::string_view url,
                                               std::optional<absl::string_view> file_name) {
  std::string name;
  absl::string_view from;
  if (file_name.has_value()) {
    name = std::string(*file_name);
    from = "file_name";
  } else {
    absl::StatusOr<std::string> base = UrlPathBasename(url);
    if (!base.ok()) return base.status();
    name = *std::move(base);
    from = "the URL's path";
  }
  auto refuse = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot cache \"", absl::CHexEscape(url), "\": the file name from ", from, " (\"",
        absl::CHexEscape(name), "\") ", why, "; pass file_name with a plain file name"));
  };
  if (name.empty()) return refuse("is empty (the URL's path ends with \"/\")");
  if (name == "." || name == "..") return refuse("names a directory, not a file");
  if (absl::StrContains(name, '/')) return refuse("contains \"/\"");
  if (absl::StrContains(name, '\0')) return refuse("contains a NUL byte");
  if (name.size() > kNameMax) return refuse("is longer than 255 bytes");
  // The cache's own bookkeeping beside each file: a download would
  // overwrite another file's record or lock, and cache tools would take the
  // file for one.
  if ((absl::StartsWith(name, ".") && absl::EndsWith(name, ".source")) ||
      absl::EndsWith(name, ".lock") || IsDownloadTempName(name)) {
    return refuse(
        "is shaped like the cache's own records (\".NAME.source\"), locks (\"NAME.lock\") or "
        "partial downloads");
  }
  return name;
}

absl::StatusOr<std::string> CheckpointPath(absl::string_view model_dir, absl::string_view url,
                                           std::optional<absl::string_view> file_name) {
  absl::StatusOr<std::string> name = CheckpointFileName(url, file_name);
  if (!name.ok()) return name.status();
  return JoinPath(model_dir, *name);
}

std::string SourceRecordPath(absl::string_view dir, absl::string_view name) {
  return JoinPath(dir, absl::StrCat(".", name, kSourceRecordSuffix));
}

std::string LockPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  const size_t base = slash == absl::string_view::npos ? 0 : slash + 1;
  return absl::StrCat(path.substr(0, base), ".", path.substr(base), kLockSuffix);
}

std::string LegacyLockPath(absl::string_view path) { return absl::StrCat(path, kLockSuffix); }

std::string RepoLockPath(absl::string_view hub_dir, absl::string_view dir_name) {
  return LockPath(JoinPath(hub_dir, dir_name));
}

namespace {

// ".<x><suffix>" -> "x".
std::optional<std::string> HiddenOwner(absl::string_view name, absl::string_view suffix) {
  if (!absl::ConsumePrefix(&name, ".") || !absl::ConsumeSuffix(&name, suffix) || name.empty()) {
    return std::nullopt;
  }
  return std::string(name);
}

bool IsLowercaseHexDigits(absl::string_view s) {
  for (const char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) ||
        absl::ascii_isupper(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// Strips ".<n lowercase hex>" from the end of `name`.
bool ConsumeHexSuffix(absl::string_view* name, size_t n) {
  if (name->size() < n + 1 || (*name)[name->size() - n - 1] != '.') return false;
  if (!IsLowercaseHexDigits(name->substr(name->size() - n))) return false;
  name->remove_suffix(n + 1);
  return true;
}

}  // namespace

std::optional<std::string> SourceRecordOwner(absl::string_view file_name) {
  return HiddenOwner(file_name, kSourceRecordSuffix);
}

std::optional<std::string> LockOwner(absl::string_view file_name) {
  return HiddenOwner(file_name, kLockSuffix);
}

std::optional<std::string> RepoScratchOwner(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, ".")) return std::nullopt;
  // hub/archive's and hub/git's temp dirs inside a staging name.
  if ((absl::ConsumeSuffix(&name, ".extracting") || absl::ConsumeSuffix(&name, ".fetching")) &&
      !ConsumeHexSuffix(&name, kRandomHexDigits)) {
    return std::nullopt;
  }
  if (absl::ConsumeSuffix(&name, ".staging") || absl::ConsumeSuffix(&name, ".old") ||
      absl::ConsumeSuffix(&name, ".pruning")) {
    if (!ConsumeHexSuffix(&name, kRandomHexDigits)) return std::nullopt;
  } else if (!absl::ConsumeSuffix(&name, ".zip")) {
    return std::nullopt;
  }
  if (name.empty() || absl::StartsWith(name, ".")) return std::nullopt;
  return std::string(name);
}

std::string DownloadTempTarget(absl::string_view name) {
  if (!IsDownloadTempName(name)) return std::string(name);
  name.remove_suffix(kPartialSuffix.size() + kRandomHexDigits + 1);
  return std::string(name);
}

std::string DownloadTempPath(absl::string_view dst) {
  const std::string suffix = absl::StrCat(".", RandomHex128(), kPartialSuffix);
  const size_t slash = dst.rfind('/');
  const size_t base_start = slash == absl::string_view::npos ? 0 : slash + 1;
  absl::string_view dir = dst.substr(0, base_start);
  absl::string_view base = dst.substr(base_start);
  if (base.size() + suffix.size() > kNameMax) base = base.substr(0, kNameMax - suffix.size());
  return absl::StrCat(dir, base, suffix);
}

bool IsDownloadTempName(absl::string_view file_name) {
  if (!absl::ConsumeSuffix(&file_name, kPartialSuffix)) return false;
  if (file_name.size() < kRandomHexDigits + 1) return false;
  if (file_name[file_name.size() - kRandomHexDigits - 1] != '.') return false;
  return IsLowercaseHexDigits(file_name.substr(file_name.size() - kRandomHexDigits));
}

}  // namespace hub
