// How long to wait for a server and how often to try, set once for every
// request a command makes (the API check, the default-branch probe, archive
// and weight downloads), from the environment and the command line:
//
//   TORCHHUB_CONNECT_TIMEOUT   --connect-timeout   time to open a connection
//   TORCHHUB_STALL_TIMEOUT     --stall-timeout     silence (no byte) before a
//                                                  try is given up
//   TORCHHUB_TRIES             --tries             tries in all (1: no retries)
//
// A time is seconds ("20", "0.5") or a duration ("500ms", "2m", "1m30s").
//
//   HUB_ASSIGN_OR_RETURN(hub::NetworkSettings s, hub::NetworkSettingsFromEnvironment());
//   HUB_RETURN_IF_ERROR(hub::SetNetworkSetting("--tries", "2", &s));   // a flag wins
//   s.ApplyTo(download_options);
//   s.ApplyTo(http_get_options);
//
// A setting left unset keeps each option's own default. Pure computation
// apart from reading the environment.

#ifndef HUB_DOWNLOAD_NETWORK_SETTINGS_H_
#define HUB_DOWNLOAD_NETWORK_SETTINGS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hub/download/downloader.h"
#include "hub/download/http_get.h"

namespace hub {

inline constexpr char kConnectTimeoutEnv[] = "TORCHHUB_CONNECT_TIMEOUT";
inline constexpr char kStallTimeoutEnv[] = "TORCHHUB_STALL_TIMEOUT";
inline constexpr char kTriesEnv[] = "TORCHHUB_TRIES";

struct NetworkSettings {
  std::optional<absl::Duration> connect_timeout;
  // DownloadOptions::stall_timeout; for HttpGet's small answers, the time
  // one try may take (HttpGetOptions::timeout).
  std::optional<absl::Duration> stall_timeout;
  std::optional<int> tries;  // max_attempts

  void ApplyTo(DownloadOptions& options) const;
  void ApplyTo(HttpGetOptions& options) const;
};

// The three variables above; kInvalidArgument naming the variable and its
// value when one is set but not a time > 0 or a whole number >= 1.
absl::StatusOr<NetworkSettings> NetworkSettingsFromEnvironment();

// Sets the setting `name` (the flag or variable name, used in the error)
// from `value`. `name` ends in "connect-timeout", "stall-timeout" or
// "tries" (any case, '_' or '-'); kInvalidArgument for a bad value.
absl::Status SetNetworkSetting(absl::string_view name, absl::string_view value,
                               NetworkSettings* settings);

}  // namespace hub

#endif  // HUB_DOWNLOAD_NETWORK_SETTINGS_H_
