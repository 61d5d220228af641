#include "hub/download/http_get.h"

#include <curl/curl.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/base/status_macros.h"
#include "hub/download/curl_common.h"
#include "hub/download/http_error.h"

namespace hub {
namespace {

using download_internal::AppendHeader;
using download_internal::ApplyCommonOptions;
using download_internal::ApplyTlsOptions;
using download_internal::CheckRedirect;
using download_internal::CheckUrl;
using download_internal::CurlCodeToStatusCode;
using download_internal::CurlEasy;
using download_internal::CurlGlobalInit;
using download_internal::CurlSlist;
using download_internal::GithubToken;
using download_internal::IsRetryableCurlCode;
using download_internal::ShouldSendToken;

struct Exchange {
  HttpResponseHead head;
  bool sent_token = false;
  std::string body;
  int64_t max_body_bytes = 0;
  bool too_big = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* p) {
  auto* exchange = static_cast<Exchange*>(p);
  const absl::string_view line(data, size * n);
  if (!absl::StripAsciiWhitespace(line).empty()) exchange->head.AddLine(line);
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* p) {
  auto* exchange = static_cast<Exchange*>(p);
  if (static_cast<int64_t>(exchange->body.size() + size * n) > exchange->max_body_bytes) {
    exchange->too_big = true;
    return 0;
  }
  exchange->body.append(data, size * n);
  return size * n;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

absl::StatusOr<HttpGetResponse> HttpGet(const std::string& url, const HttpGetOptions& options) {
  HUB_RETURN_IF_ERROR(CheckUrl(url, "URL"));
  CurlGlobalInit();
  CurlEasy curl(curl_easy_init());
  if (curl == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  const std::string token = options.send_token ? GithubToken(options.github_token) : "";

  HttpGetResponse response;
  absl::Status last_error;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    response.attempts = attempt;
    std::string hop = url;
    Exchange exchange;
    exchange.max_body_bytes = options.max_body_bytes;
    absl::Status error;
    bool retryable = false;
    for (int hops = 0;; ++hops) {
      const bool sent_token = exchange.sent_token;
      exchange = Exchange();
      exchange.sent_token = sent_token;
      exchange.max_body_bytes = options.max_body_bytes;
      CURL* c = curl.get();
      curl_easy_reset(c);
      CurlSlist headers;
      const bool with_token = ShouldSendToken(token, hop, url, options.token_hosts);
      if (with_token) AppendHeader(headers, absl::StrCat("Authorization: token ", token));
      exchange.sent_token = exchange.sent_token || with_token;
      for (const std::string& h : options.headers) AppendHeader(headers, h);
      char error_buffer[CURL_ERROR_SIZE] = {};
      curl_easy_setopt(c, CURLOPT_URL, hop.c_str());
      ApplyCommonOptions(c);
      ApplyTlsOptions(c, options.ca_file);
      curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str());
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &exchange);
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &exchange);
      curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
      // NOLINTNEXTLINE(google-runtime-int): libcurl takes a long
      curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
      // NOLINTNEXTLINE(google-runtime-int): libcurl takes a long
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                       static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
      const CURLcode rc = curl_easy_perform(c);
      if (exchange.too_big) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "GET ", hop, ": the answer is longer than ", options.max_body_bytes, " bytes"));
      }
      if (rc != CURLE_OK) {
        error = absl::Status(
            CurlCodeToStatusCode(rc),
            absl::StrCat("GET ", hop, ": ",
                         error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc)));
        retryable = IsRetryableCurlCode(rc);
        break;
      }
      if (!IsRedirect(exchange.head.status)) break;
      char* next = nullptr;
      curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
      if (next == nullptr) break;  // a 3xx without Location is the answer
      if (hops >= options.max_redirects) {
        return absl::FailedPreconditionError(absl::StrCat("too many redirects (more than ",
                                                          options.max_redirects, ") starting at ",
                                                          url, "; the last led to ", next));
      }
      const std::string next_url = next;
      HUB_RETURN_IF_ERROR(CheckRedirect(hop, next_url));
      hop = next_url;
    }
    std::optional<absl::Duration> delay;
    if (error.ok()) {
      const int status = exchange.head.status;
      if (!IsRetryableHttpStatus(status) || attempt == options.max_attempts) {
        response.status = status;
        response.head = std::move(exchange.head);
        response.body = std::move(exchange.body);
        response.final_url = hop;
        response.sent_token = exchange.sent_token;
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
    options.sleep(*delay);
  }
  return absl::Status(last_error.code(), absl::StrCat(last_error.message(), " (gave up after ",
                                                      response.attempts, " attempts)"));
}

}  // namespace hub
