// Warnings: what torch.hub reports with Python's `warnings.warn`.
//
// Libraries call hub::Warn; by default each distinct message is printed once
// per process to stderr as "torchhub: UserWarning: <message>" (Python, too,
// shows a warning once per place it is raised). A program or a test can
// install its own handler to collect, log or silence them:
//
//   hub::ScopedWarningHandler capture(
//       [&](hub::WarningCategory c, absl::string_view m) { seen.emplace_back(m); });
//
// Thread-safe.

#ifndef HUB_BASE_WARNINGS_H_
#define HUB_BASE_WARNINGS_H_

#include <functional>

#include "absl/strings/string_view.h"

namespace hub {

// Python's warning categories that torch.hub uses.
enum class WarningCategory { kUserWarning, kFutureWarning, kDeprecationWarning };

// "UserWarning", "FutureWarning", "DeprecationWarning".
absl::string_view WarningCategoryName(WarningCategory category);

using WarningHandler = std::function<void(WarningCategory, absl::string_view message)>;

// Reports a warning to the current handler.
void Warn(WarningCategory category, absl::string_view message);

// Installs `handler` (an empty one restores the default) and returns the
// previous one (empty when it was the default).
WarningHandler SetWarningHandler(WarningHandler handler);

// Installs a handler for its lifetime, then restores the previous one.
class ScopedWarningHandler {
 public:
  explicit ScopedWarningHandler(WarningHandler handler)
      : previous_(SetWarningHandler(std::move(handler))) {}
  ScopedWarningHandler(const ScopedWarningHandler&) = delete;
  ScopedWarningHandler& operator=(const ScopedWarningHandler&) = delete;
  ~ScopedWarningHandler() { SetWarningHandler(std::move(previous_)); }

 private:
  WarningHandler previous_;
};

}  // namespace hub

#endif  // HUB_BASE_WARNINGS_H_
