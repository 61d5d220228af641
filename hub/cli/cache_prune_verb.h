// `torchhub cache prune`: the command line over hub/source/cache_prune.h.

#ifndef HUB_CLI_CACHE_PRUNE_VERB_H_
#define HUB_CLI_CACHE_PRUNE_VERB_H_

#include <ostream>

#include "absl/strings/string_view.h"
#include "hub/cli/torchhub.h"

namespace hub::cli {

// The options `cache` takes for prune.
inline constexpr const char* kPruneFlags[] = {"--dry-run"};
inline constexpr const char* kPruneValued[] = {"--older-than", "--max-size", "--lock"};

// Runs `cache prune [--older-than DURATION] [--max-size SIZE] [--lock FILE]
// [--dry-run] [--json]` (what FILE, else TORCHHUB_LOCK, pins is kept); `usage` goes with usage
// errors (kExitUsage). kExitFailure when a removal failed; items in use are reported but are no
// failure.
int RunCachePrune(const Invocation& inv, absl::string_view usage, std::ostream& out,
                  std::ostream& err);

}  // namespace hub::cli

#endif  // HUB_CLI_CACHE_PRUNE_VERB_H_
