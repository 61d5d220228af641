#include "hub/download/http_error.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/json_reader.h"

namespace hub {
namespace {

constexpr char kHttpStatusPayload[] = "type.torchhub/http_status";

std::string ReasonPhrase(int code) {
  switch (code) {
    case 300:
      return "Multiple Choices";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

absl::StatusCode HttpStatusToCode(int code) {
  if (code == 404 || code == 410) return absl::StatusCode::kNotFound;
  if (code == 401) return absl::StatusCode::kUnauthenticated;
  if (code == 403) return absl::StatusCode::kPermissionDenied;
  if (code == 429) return absl::StatusCode::kResourceExhausted;
  if (code >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kFailedPrecondition;
}

}  // namespace

bool IsRetryableHttpStatus(int code) {
  return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}

// "HTTP Error 404: Not Found", as urllib's HTTPError reads, then where.
absl::Status HttpError(int code, absl::string_view reason, absl::string_view url,
                       absl::string_view body) {
  std::string text = std::string(absl::StripAsciiWhitespace(reason));
  if (text.empty()) text = ReasonPhrase(code);
  std::string message = absl::StrCat("HTTP Error ", code, ": ", text, " (GET ", url, ")");
  // Of the body, only an API's JSON "message" (GitHub's "Not Found", "API
  // rate limit exceeded ..."): an error page's HTML says nothing the status
  // line doesn't, at great length.
  if (const absl::StatusOr<JsonValue> json = ParseJson(body); json.ok()) {
    if (const std::optional<std::string> said = json->GetString({"message"});
        said.has_value() && !said->empty()) {
      constexpr size_t kShown = 300;
      std::string shown = absl::CHexEscape(absl::string_view(*said).substr(0, kShown));
      if (said->size() > kShown) absl::StrAppend(&shown, "...");
      absl::StrAppend(&message, "; the server said: ", shown);
    }
  }
  absl::Status status(HttpStatusToCode(code), message);
  status.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(code)));
  return status;
}

std::optional<int> HttpStatusOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kHttpStatusPayload);
  int code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) {
    return std::nullopt;
  }
  return code;
}

}  // namespace hub
