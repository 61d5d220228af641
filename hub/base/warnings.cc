#include "hub/base/warnings.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "hub/base/terminal_text.h"

namespace hub {
namespace {

struct State {
  absl::Mutex mu;
  WarningHandler handler ABSL_GUARDED_BY(mu);
  absl::flat_hash_set<std::string> printed ABSL_GUARDED_BY(mu);
};

State& GetState() {
  static auto* state = new State();
  return *state;
}

}  // namespace

absl::string_view WarningCategoryName(WarningCategory category) {
  switch (category) {
    case WarningCategory::kUserWarning:
      return "UserWarning";
    case WarningCategory::kFutureWarning:
      return "FutureWarning";
    case WarningCategory::kDeprecationWarning:
      return "DeprecationWarning";
  }
  return "Warning";
}

void Warn(WarningCategory category, absl::string_view message) {
  State& state = GetState();
  WarningHandler handler;
  {
    absl::MutexLock lock(&state.mu);
    if (!state.handler) {
      // The default: print each distinct warning once.
      const std::string key =
          std::string(WarningCategoryName(category)) + ":" + std::string(message);
      if (!state.printed.insert(key).second) return;
      // A warning may quote a repo's or a server's text.
      const std::string text = EscapeControls(message);
      std::fprintf(stderr, "torchhub: %s: %s\n", std::string(WarningCategoryName(category)).c_str(),
                   text.c_str());
      return;
    }
    handler = state.handler;
  }
  // Called without the lock, so a handler may itself warn or swap handlers.
  handler(category, message);
}

WarningHandler SetWarningHandler(WarningHandler handler) {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  std::swap(state.handler, handler);
  return handler;
}

}  // namespace hub
