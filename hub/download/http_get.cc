#include "hub/download/http_get.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/cancellation.h"
#include "hub/base/status_macros.h"
#include "hub/download/curl_common.h"
#include "hub/download/http_error.h"
#include "hub/download/http_transport.h"

namespace hub {
namespace {

using download_internal::CheckRedirect;
using download_internal::CheckUrl;
using download_internal::GithubToken;
using download_internal::ShouldSendToken;

// One hop's answer, kept in memory.
class Exchange : public HttpResponseHandler {
 public:
  explicit Exchange(int64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  void OnHeaderLine(absl::string_view line) override {
    if (!absl::StripAsciiWhitespace(line).empty()) head.AddLine(line);
  }
  bool OnBody(absl::string_view chunk) override {
    if (static_cast<int64_t>(body.size() + chunk.size()) > max_body_bytes_) {
      too_big = true;
      return false;
    }
    body.append(chunk.data(), chunk.size());
    return true;
  }

  HttpResponseHead head;
  std::string body;
  bool too_big = false;

 private:
  int64_t max_body_bytes_;
};

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

absl::StatusOr<HttpGetResponse> HttpGet(const std::string& url, const HttpGetOptions& options) {
  HUB_RETURN_IF_ERROR(CheckUrl(url, "URL"));
  HttpTransport& transport =
      options.transport != nullptr ? *options.transport : CurlHttpTransport();
  const std::string token = options.send_token ? GithubToken(options.github_token) : "";

  HttpGetResponse response;
  absl::Status last_error;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    response.attempts = attempt;
    std::string hop = url;
    Exchange exchange(options.max_body_bytes);
    bool sent_token = false;
    absl::Status error;
    bool retryable = false;
    for (int hops = 0;; ++hops) {
      exchange = Exchange(options.max_body_bytes);
      HttpRequest request;
      request.url = hop;
      const bool with_token = ShouldSendToken(token, hop, url, options.token_hosts);
      if (with_token) request.headers.push_back(absl::StrCat("Authorization: token ", token));
      sent_token = sent_token || with_token;
      request.headers.insert(request.headers.end(), options.headers.begin(), options.headers.end());
      request.user_agent = options.user_agent;
      request.ca_file = options.ca_file;
      request.connect_timeout = options.connect_timeout;
      request.timeout = options.timeout;
      const HttpTransferResult result = transport.Perform(request, exchange);
      if (exchange.too_big) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "GET ", hop, ": the answer is longer than ", options.max_body_bytes, " bytes"));
      }
      if (!result.status.ok()) {
        error = result.status;
        retryable = result.retryable;
        break;
      }
      if (!IsRedirect(exchange.head.status)) break;
      if (result.redirect_url.empty()) break;  // a 3xx without Location is the answer
      const std::string& next = result.redirect_url;
      if (hops >= options.max_redirects) {
        return absl::FailedPreconditionError(absl::StrCat("too many redirects (more than ",
                                                          options.max_redirects, ") starting at ",
                                                          url, "; the last led to ", next));
      }
      HUB_RETURN_IF_ERROR(CheckRedirect(hop, next));
      hop = next;
    }
    std::optional<absl::Duration> delay;
    if (error.ok()) {
      const int status = exchange.head.status;
      if (!IsRetryableHttpStatus(status) || attempt == options.max_attempts) {
        response.status = status;
        response.head = std::move(exchange.head);
        response.body = std::move(exchange.body);
        response.final_url = hop;
        response.sent_token = sent_token;
        return response;
      }
      if (!exchange.head.retry_after.empty()) {
        delay = ParseRetryAfter(exchange.head.retry_after, absl::Now());
      }
      last_error = HttpError(status, exchange.head.reason, hop, exchange.body);
    } else {
      if (!retryable) return error;
      last_error = error;
    }
    if (attempt == options.max_attempts) break;
    if (!delay.has_value()) {
      delay =
          download_internal::Backoff(options.initial_backoff, absl::InfiniteDuration(), attempt);
    }
    if (*delay > options.max_retry_after) break;
    if (options.on_retry) options.on_retry(url, attempt + 1, options.max_attempts, last_error);
    options.sleep(*delay);
    if (CancellationRequested()) {
      return absl::CancelledError(absl::StrCat(
          "GET ", url, ": interrupted while waiting to retry (", last_error.message(), ")"));
    }
  }
  return absl::Status(last_error.code(), absl::StrCat(last_error.message(), " (gave up after ",
                                                      response.attempts, " attempts)"));
}

}  // namespace hub
