// One process-wide "stop now" flag, and the offline switch: the two things
// every network wait in torchhub must obey.
//
//   // A signal handler (hub/cli's ScopedInterruptHandler) on Ctrl-C:
//   hub::RequestCancellation();                      // async-signal-safe
//
//   // Any code that waits:
//   if (hub::CancellationRequested()) return absl::CancelledError("...");
//   if (!hub::SleepUnlessCancelled(backoff)) return absl::CancelledError("...");
//
//   // Before opening a socket:
//   HUB_RETURN_IF_ERROR(hub::CheckNetworkAllowed("GET " + url));
//
// Who checks the flag: libcurl's progress callback in every transfer
// (hub/download: the HTTP transport and the downloader), retry back-off
// sleeps, and libgit2's callbacks (hub/git). A check sees a request made
// from a signal handler at once; libcurl calls its progress callback at
// least once a second while it waits, and sooner when a signal interrupts
// its poll().
//
// Offline (SetOffline(true), or TORCHHUB_OFFLINE set to anything but "",
// "0", "false" or "no"): CheckNetworkAllowed refuses. The libraries answer
// from the cache first and say what is missing; the transports' own check is
// the last line of defence, so that no verb opens a socket offline.
//
// Thread-safe; the flags are lock-free atomics.

#ifndef HUB_BASE_CANCELLATION_H_
#define HUB_BASE_CANCELLATION_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

// Asks every wait in the process to stop. Async-signal-safe.
void RequestCancellation();
// Clears the request (a new command starts; tests).
void ResetCancellation();
bool CancellationRequested();
// The flag itself, for APIs that take one (DownloadOptions::cancel).
const std::atomic<bool>* CancellationFlag();

// Sleeps for `duration`, or less when cancellation is requested meanwhile
// (noticed within a few milliseconds). Returns false when cancelled.
bool SleepUnlessCancelled(absl::Duration duration);

inline constexpr char kOfflineEnv[] = "TORCHHUB_OFFLINE";

// Turns offline mode on (or back off) for this process, whatever the
// environment says when on.
void SetOffline(bool offline);
// SetOffline(true) was called, or EnvironmentFlag(kOfflineEnv).
bool IsOffline();

// How a boolean TORCHHUB_* switch reads: on when the variable is set to
// anything but "", "0", "false" or "no" (any case).
bool EnvironmentFlag(const char* name);

// OK unless IsOffline(); then kFailedPrecondition: "offline: not <what>
// (...); unset TORCHHUB_OFFLINE and run without --offline to allow the
// network".
absl::Status CheckNetworkAllowed(absl::string_view what);

}  // namespace hub

#endif  // HUB_BASE_CANCELLATION_H_
