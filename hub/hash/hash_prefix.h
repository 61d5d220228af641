// torch.hub's hash checks: `hash_prefix` for download_url_to_file, and the
// hash that load_state_dict_from_url(check_hash=True) takes from the file
// name ("resnet18-5c106cde.pth" -> "5c106cde").
//
//   HUB_RETURN_IF_ERROR(hub::ValidateHashPrefix(prefix));      // before downloading
//   ...
//   HUB_RETURN_IF_ERROR(hub::CheckHashPrefix(hex_digest, prefix));  // after
//
//   // check_hash=True: where the name carries no usable hash, say so.
//   HUB_ASSIGN_OR_RETURN(hub::HashFromFileName h,
//                        hub::HashPrefixForCheckHash("weights.pth", MissingHash::kWarn));
//   h.prefix;   // nullopt: nothing to check against
//   h.problem;  // why, in a sentence (also given to hub::Warn)

#ifndef HUB_HASH_HASH_PREFIX_H_
#define HUB_HASH_HASH_PREFIX_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

// torch.hub's HASH_REGEX: the first "-<lowercase hex>." in the name.
inline constexpr char kHashInFileNamePattern[] = R"(-([a-f0-9]*)\.)";

// Fewer hex digits than this still "pass" in torch.hub but verify little;
// torchvision's names carry 8.
inline constexpr size_t kMinUsefulHashPrefix = 8;

// Exactly torch.hub's check: the digest's first len(prefix) characters equal
// `prefix` (an empty prefix always passes). On mismatch, kDataLoss with
// torch.hub's text: invalid hash value (expected "<prefix>", got "<digest>").
absl::Status CheckHashPrefix(absl::string_view hex_digest, absl::string_view hash_prefix);

// Refuses, before anything is downloaded, a prefix that could never match a
// SHA-256 hex digest: not lowercase hex, or longer than 64 digits. (torch.hub
// would download the whole file and then fail the comparison.)
absl::Status ValidateHashPrefix(absl::string_view hash_prefix);

// Whether `s` is only lowercase hex digits (0-9, a-f): "" is.
bool IsLowercaseHex(absl::string_view s);
// A whole SHA-256 hex digest: 64 lowercase hex digits. A git commit id: 40.
inline bool IsSha256Hex(absl::string_view s) { return s.size() == 64 && IsLowercaseHex(s); }
inline bool IsCommitHex(absl::string_view s) { return s.size() == 40 && IsLowercaseHex(s); }

// torch.hub's rule: the first match of kHashInFileNamePattern in
// `file_name`, or nullopt. Note that "" is a match ("weights-.pth").
std::optional<std::string> HashPrefixFromFileName(absl::string_view file_name);

// What to do when check_hash is asked for and the file name has no usable
// hash. torch.hub silently checks nothing (pytorch/pytorch#191194).
enum class MissingHash {
  kWarn,   // check what there is, and warn through hub::Warn
  kError,  // refuse: kFailedPrecondition, before any download
};

struct HashFromFileName {
  // The prefix to check the download against, as torch.hub would take it;
  // nullopt when the name has none.
  std::optional<std::string> prefix;
  // Empty when the prefix is usable; else why it is not, in a sentence.
  std::string problem;
};

// The hash that check_hash=True verifies for `file_name`. A name with no
// hash, an empty one or one shorter than kMinUsefulHashPrefix is a problem:
// warned about or refused as `missing` says.
absl::StatusOr<HashFromFileName> HashPrefixForCheckHash(absl::string_view file_name,
                                                        MissingHash missing = MissingHash::kWarn);

}  // namespace hub

#endif  // HUB_HASH_HASH_PREFIX_H_
