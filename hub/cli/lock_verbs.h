// `torchhub lock` and the lock half of `torchhub cache verify --lock`: in
// the light binary (no libtorch, no libpython).

#ifndef HUB_CLI_LOCK_VERBS_H_
#define HUB_CLI_LOCK_VERBS_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "hub/cli/torchhub.h"

namespace hub::cli {

extern const char kLockUsage[];

// torchhub lock [REPO|URL...] [--lock FILE] [--update] [--remove] ...
int RunLock(const Invocation& inv, std::ostream& out, std::ostream& err);

// Checks every item `lock_path` pins against the hub dir: each repo's
// directory against its content digest, each file against its SHA-256
// (taken from `hashed`, checkpoint name -> SHA-256 computed just now, else
// computed here). Prints a line (or, with json, collects an object) per
// item; returns whether all are present and match, or an error reading the
// lock.
absl::StatusOr<bool> VerifyAgainstLock(const std::string& lock_path,
                                       const std::map<std::string, std::string>& hashed, bool json,
                                       std::vector<std::string>* json_rows, std::ostream& out);

}  // namespace hub::cli

#endif  // HUB_CLI_LOCK_VERBS_H_
