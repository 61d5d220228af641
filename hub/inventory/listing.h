// What the hub dir holds, for `torchhub cache ls` and `cache verify`: repo
// directories (with the record GetCacheOrReload writes beside each) and
// checkpoint files, as the inventory (hub/inventory/inventory.h) tells them
// from locks, temp files, records and scratch.

#ifndef HUB_INVENTORY_LISTING_H_
#define HUB_INVENTORY_LISTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hub {

struct CachedRepo {
  std::string dir;          // name in the hub dir, e.g. "pytorch_vision_v0.10.0"
  std::string source_json;  // the ".<dir>.source" record, or "" (fetched by Python)
};

struct CachedFile {
  std::string name;
  int64_t bytes = 0;
};

struct CacheListing {
  std::vector<CachedRepo> repos;        // sorted by name
  std::vector<CachedFile> checkpoints;  // sorted by name
};

// A missing hub dir is an empty listing.
absl::StatusOr<CacheListing> ListCache(const std::string& hub_dir);

// One checkpoint re-hashed, against what is known of it.
struct CheckpointCheck {
  enum class Verdict { kOk, kMismatch, kUnchecked };
  std::string name;
  int64_t bytes = 0;
  std::string sha256;  // of the file as it is now
  Verdict verdict = Verdict::kUnchecked;
  std::string against;   // "record" or "file name"; "" when unchecked
  std::string expected;  // the recorded digest or the name's hash prefix
};

// Re-hashes every file in <hub_dir>/checkpoints and compares it with the
// SHA-256 in its ".<name>.source" record (LoadStateDictFromUrl writes one),
// else with the hash prefix in its name (torch.hub's check_hash rule, when
// it has 8 or more hex digits), else leaves it unchecked. Files being
// downloaded (temp names) and locks are skipped.
absl::StatusOr<std::vector<CheckpointCheck>> VerifyCheckpoints(const std::string& hub_dir);

}  // namespace hub

#endif  // HUB_INVENTORY_LISTING_H_
