#include "hub/cache/hub_dir.h"

#include <cstdlib>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "hub/base/warnings.h"
#include "hub/cache/python_paths.h"

namespace hub {
namespace {

absl::Mutex dir_mu(absl::kConstInit);
// The directory given to SetDir (already expanded), if any.
std::optional<std::string>* set_dir ABSL_GUARDED_BY(dir_mu) = nullptr;

// os.getenv(name, default): a set-but-empty variable counts.
std::string GetEnvOr(const char* name, absl::string_view fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string(fallback);
}

}  // namespace

void SetDir(absl::string_view dir) {
  std::string expanded = ExpandUser(dir);
  absl::MutexLock lock(&dir_mu);
  if (set_dir == nullptr) set_dir = new std::optional<std::string>();
  *set_dir = std::move(expanded);
}

void ClearDir() {
  absl::MutexLock lock(&dir_mu);
  if (set_dir != nullptr) set_dir->reset();
}

std::string GetTorchHome() {
  return ExpandUser(
      GetEnvOr("TORCH_HOME", JoinPath(GetEnvOr("XDG_CACHE_HOME", "~/.cache"), "torch")));
}

std::string GetDir() {
  // `if os.getenv("TORCH_HUB")`: only a non-empty value warns.
  if (const char* torch_hub = std::getenv("TORCH_HUB");
      torch_hub != nullptr && *torch_hub != '\0') {
    Warn(WarningCategory::kUserWarning,
         "TORCH_HUB is deprecated, please use env TORCH_HOME instead");
  }
  {
    absl::MutexLock lock(&dir_mu);
    if (set_dir != nullptr && set_dir->has_value()) return **set_dir;
  }
  return JoinPath(GetTorchHome(), "hub");
}

}  // namespace hub
