#include "hub/base/cancellation.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace hub {
namespace {

// Set from signal handlers: must stay lock-free.
std::atomic<bool> g_cancelled{false};
std::atomic<bool> g_offline{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

// How often SleepUnlessCancelled looks at the flag.
constexpr absl::Duration kSleepSlice = absl::Milliseconds(10);

}  // namespace

void RequestCancellation() { g_cancelled.store(true, std::memory_order_relaxed); }

void ResetCancellation() { g_cancelled.store(false, std::memory_order_relaxed); }

bool CancellationRequested() { return g_cancelled.load(std::memory_order_relaxed); }

const std::atomic<bool>* CancellationFlag() { return &g_cancelled; }

bool SleepUnlessCancelled(absl::Duration duration) {
  const absl::Time end = absl::Now() + duration;
  for (;;) {
    if (CancellationRequested()) return false;
    const absl::Duration left = end - absl::Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::min(left, kSleepSlice));
  }
}

void SetOffline(bool offline) { g_offline.store(offline, std::memory_order_relaxed); }

bool IsOffline() {
  return g_offline.load(std::memory_order_relaxed) || EnvironmentFlag(kOfflineEnv);
}

bool EnvironmentFlag(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return false;
  const std::string v = absl::AsciiStrToLower(value);
  return !(v.empty() || v == "0" || v == "false" || v == "no");
}

absl::Status CheckNetworkAllowed(absl::string_view what) {
  if (!IsOffline()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "offline: not ", what, " (", kOfflineEnv, " is set, or --offline was given); unset ",
      kOfflineEnv, " and run without --offline to allow the network"));
}

}  // namespace hub
