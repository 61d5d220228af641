#include "hub/download/network_settings.h"

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "hub/base/status_macros.h"

namespace hub {
namespace {

absl::StatusOr<absl::Duration> ParseTime(absl::string_view name, absl::string_view value) {
  double seconds = 0;
  absl::Duration duration;
  if (absl::SimpleAtod(value, &seconds)) {
    duration = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(value, &duration)) {
    duration = absl::ZeroDuration();
  }
  if (duration <= absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": \"", value, "\" is not a time > 0 (seconds, e.g. 20 or 0.5, or 500ms, 2m)"));
  }
  return duration;
}

}  // namespace

void NetworkSettings::ApplyTo(DownloadOptions& options) const {
  if (connect_timeout.has_value()) options.connect_timeout = *connect_timeout;
  if (stall_timeout.has_value()) options.stall_timeout = *stall_timeout;
  if (tries.has_value()) options.max_attempts = *tries;
}

void NetworkSettings::ApplyTo(HttpGetOptions& options) const {
  if (connect_timeout.has_value()) options.connect_timeout = *connect_timeout;
  if (stall_timeout.has_value()) options.timeout = *stall_timeout;
  if (tries.has_value()) options.max_attempts = *tries;
}

absl::Status SetNetworkSetting(absl::string_view name, absl::string_view value,
                               NetworkSettings* settings) {
  const std::string key = absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
  if (absl::EndsWith(key, "connect-timeout")) {
    HUB_ASSIGN_OR_RETURN(settings->connect_timeout, ParseTime(name, value));
  } else if (absl::EndsWith(key, "stall-timeout")) {
    HUB_ASSIGN_OR_RETURN(settings->stall_timeout, ParseTime(name, value));
  } else if (absl::EndsWith(key, "tries")) {
    int tries = 0;
    if (!absl::SimpleAtoi(value, &tries) || tries < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": \"", value, "\" is not a whole number >= 1 (1: no retries)"));
    }
    settings->tries = tries;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("no network setting is called ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<NetworkSettings> NetworkSettingsFromEnvironment() {
  NetworkSettings settings;
  for (const char* name : {kConnectTimeoutEnv, kStallTimeoutEnv, kTriesEnv}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    HUB_RETURN_IF_ERROR(SetNetworkSetting(name, value, &settings));
  }
  return settings;
}

}  // namespace hub
