#include "hub/source/cache_listing.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/errno_status.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/cache/python_paths.h"
#include "hub/fs/dir.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hash/sha256.h"

namespace hub {
namespace {

absl::StatusOr<std::vector<std::string>> Names(const std::string& dir) {
  ListOptions options;
  options.skip_hidden = true;
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(dir, options);
  if (absl::IsNotFound(names.status())) return std::vector<std::string>();
  return names;
}

}  // namespace

absl::StatusOr<CacheListing> ListCache(const std::string& hub_dir) {
  CacheListing listing;
  absl::StatusOr<std::vector<std::string>> names = Names(hub_dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (name == kCheckpointsDirName || !IsDirectory(JoinPath(hub_dir, name))) continue;
    CachedRepo repo;
    repo.dir = name;
    if (absl::StatusOr<std::string> record = ReadFile(SourceRecordPath(hub_dir, name));
        record.ok()) {
      repo.source_json = std::string(absl::StripAsciiWhitespace(*record));
    }
    listing.repos.push_back(std::move(repo));
  }
  const std::string checkpoints = CacheLayout(hub_dir).CheckpointsDir();
  absl::StatusOr<std::vector<std::string>> files = Names(checkpoints);
  if (!files.ok()) return files.status();
  for (const std::string& name : *files) {
    if (absl::EndsWith(name, ".lock") || IsDownloadTempName(name)) continue;
    struct stat st {};
    if (::stat(JoinPath(checkpoints, name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    listing.checkpoints.push_back({name, static_cast<int64_t>(st.st_size)});
  }
  return listing;
}

absl::StatusOr<std::vector<CheckpointCheck>> VerifyCheckpoints(const std::string& hub_dir) {
  HUB_ASSIGN_OR_RETURN(const CacheListing listing, ListCache(hub_dir));
  const std::string checkpoints = CacheLayout(hub_dir).CheckpointsDir();
  std::vector<CheckpointCheck> checks;
  checks.reserve(listing.checkpoints.size());
  for (const CachedFile& file : listing.checkpoints) {
    CheckpointCheck check;
    check.name = file.name;
    check.bytes = file.bytes;
    HUB_ASSIGN_OR_RETURN(check.sha256, Sha256FileHex(JoinPath(checkpoints, file.name)));
    const std::optional<JsonValue> record =
        ReadJsonRecord(SourceRecordPath(checkpoints, file.name));
    const std::optional<std::string> recorded =
        record.has_value() ? record->GetString({"sha256"}) : std::nullopt;
    const std::optional<std::string> prefix = HashPrefixFromFileName(file.name);
    if (recorded && !recorded->empty()) {
      check.against = "record";
      check.expected = *recorded;
      check.verdict = check.sha256 == *recorded ? CheckpointCheck::Verdict::kOk
                                                : CheckpointCheck::Verdict::kMismatch;
    } else if (prefix && prefix->size() >= 8) {
      check.against = "file name";
      check.expected = *prefix;
      check.verdict = absl::StartsWith(check.sha256, *prefix) ? CheckpointCheck::Verdict::kOk
                                                              : CheckpointCheck::Verdict::kMismatch;
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace hub
