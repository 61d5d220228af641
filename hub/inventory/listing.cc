#include "hub/inventory/listing.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_macros.h"
#include "hub/cache/layout.h"
#include "hub/fs/files.h"
#include "hub/fs/json_record.h"
#include "hub/fs/path.h"
#include "hub/hash/hash_prefix.h"
#include "hub/hash/sha256.h"
#include "hub/inventory/inventory.h"

namespace hub {

absl::StatusOr<CacheListing> ListCache(const std::string& hub_dir) {
  HUB_ASSIGN_OR_RETURN(const Inventory inventory, ScanHubDir(hub_dir));
  CacheListing listing;
  for (const InventoryEntry& e : inventory.entries) {
    if (e.kind == EntryKind::kRepo) {
      CachedRepo repo;
      repo.dir = e.name;
      if (absl::StatusOr<std::string> record = ReadFile(SourceRecordPath(hub_dir, e.name));
          record.ok()) {
        repo.source_json = std::string(absl::StripAsciiWhitespace(*record));
      }
      listing.repos.push_back(std::move(repo));
    } else if (e.kind == EntryKind::kCheckpoint) {
      listing.checkpoints.push_back({BaseName(e.name), e.bytes});
    }
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
