#include "hub/hash/hash_prefix.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "hub/base/warnings.h"
#include "re2/re2.h"

namespace hub {

absl::Status CheckHashPrefix(absl::string_view hex_digest, absl::string_view hash_prefix) {
  if (hex_digest.substr(0, hash_prefix.size()) == hash_prefix) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("invalid hash value (expected \"", hash_prefix,
                                          "\", got \"", hex_digest, "\")"));
}

absl::Status ValidateHashPrefix(absl::string_view hash_prefix) {
  if (hash_prefix.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("hash_prefix \"", hash_prefix, "\" has ", hash_prefix.size(),
                     " characters; a SHA-256 hex digest has 64, so it can never match"));
  }
  if (!IsLowercaseHex(hash_prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hash_prefix \"", hash_prefix,
        "\" is not lowercase hex; give the start of the file's SHA-256 as sha256sum prints "
        "it (0-9, a-f)"));
  }
  return absl::OkStatus();
}

bool IsLowercaseHex(absl::string_view s) {
  for (const char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

std::optional<std::string> HashPrefixFromFileName(absl::string_view file_name) {
  static const RE2* const kPattern = new RE2(kHashInFileNamePattern);
  std::string prefix;
  if (!RE2::PartialMatch(re2::StringPiece(file_name.data(), file_name.size()), *kPattern, &prefix))
    return std::nullopt;
  return prefix;
}

absl::StatusOr<HashFromFileName> HashPrefixForCheckHash(absl::string_view file_name,
                                                        MissingHash missing) {
  HashFromFileName result;
  result.prefix = HashPrefixFromFileName(file_name);
  if (!result.prefix.has_value()) {
    result.problem = absl::StrCat(
        "check_hash was asked for, but the file name \"", file_name,
        "\" carries no hash (torch.hub's rule wants \"<name>-<sha256 prefix>.<ext>\", like "
        "\"resnet18-5c106cde.pth\"), so the download is NOT verified");
  } else if (result.prefix->size() < kMinUsefulHashPrefix) {
    result.problem =
        absl::StrCat("check_hash was asked for, but the file name \"", file_name,
                     "\" carries only ", result.prefix->size(), " hex digits of hash (\"",
                     *result.prefix, "\"); fewer than ", kMinUsefulHashPrefix, " verify little",
                     result.prefix->empty() ? ": the download is NOT verified" : "");
  }
  if (result.problem.empty()) return result;
  if (missing == MissingHash::kError) {
    return absl::FailedPreconditionError(
        absl::StrCat(result.problem,
                     ". Rename the file to carry its SHA-256 prefix, or give the hash "
                     "explicitly."));
  }
  Warn(WarningCategory::kUserWarning, result.problem);
  return result;
}

}  // namespace hub
