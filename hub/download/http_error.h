// HTTP errors as absl::Status, the way every torchhub download reports them:
// "HTTP Error 404: Not Found (GET <url>)" (urllib's HTTPError text, then
// where), with a canonical code and the status number attached.
//
//   absl::Status s = hub::HttpError(404, "Not Found", url, body);
//   hub::HttpStatusOf(s);  // 404

#ifndef HUB_DOWNLOAD_HTTP_ERROR_H_
#define HUB_DOWNLOAD_HTTP_ERROR_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hub {

// 404/410 -> kNotFound, 401 -> kUnauthenticated, 403 -> kPermissionDenied,
// 429 -> kResourceExhausted, 5xx -> kUnavailable, others kFailedPrecondition.
// `reason` may be empty (the standard phrase is used). Of `body`, only a
// JSON object's "message" string is quoted (its first 300 characters); any
// other body (an HTML error page) is left out.
absl::Status HttpError(int code, absl::string_view reason, absl::string_view url,
                       absl::string_view body);

// The HTTP status an error came from, if it came from one.
std::optional<int> HttpStatusOf(const absl::Status& status);

// Whether a request that got `code` is worth repeating: 408, 429, 500,
// 502, 503, 504.
bool IsRetryableHttpStatus(int code);

}  // namespace hub

#endif  // HUB_DOWNLOAD_HTTP_ERROR_H_
