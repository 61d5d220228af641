// One HTTP(S) GET whose answer is small enough to keep in memory: GitHub API
// pages, the default-branch probe, metadata. Any HTTP status is an answer
// (the caller decides what a 404 means); only transport failures, after
// retries, are errors.
//
//   hub::HttpGetOptions options;
//   options.headers = {"Accept: application/vnd.github.v3+json"};
//   HUB_ASSIGN_OR_RETURN(hub::HttpGetResponse r, hub::HttpGet(url, options));
//   if (r.status == 404) ...
//
// Shares the downloader's rules: TLS always verified with the same CA
// bundle lookup; redirects followed hop by hop and never from https:// to
// http:// (kFailedPrecondition naming both URLs, the http:// URL never
// requested); the GitHub token sent only to an origin (scheme, host and
// port) in `token_hosts` and never across a redirect to another origin;
// retries with back-off on connection errors, 429 and 5xx. Too many
// redirects are kFailedPrecondition too.
//
// Thread-safe.

#ifndef HUB_DOWNLOAD_HTTP_GET_H_
#define HUB_DOWNLOAD_HTTP_GET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/cancellation.h"
#include "hub/download/http_response.h"
#include "hub/download/http_transport.h"

namespace hub {

struct HttpGetOptions {
  std::string user_agent = "torch.hub";
  // Extra request headers ("Name: value").
  std::vector<std::string> headers;
  // Sent as "Authorization: token <github_token>" to `token_hosts` only.
  // Empty: $GITHUB_TOKEN, unless `send_token` is false.
  std::string github_token;
  bool send_token = true;
  // Origins that may get the token, as in DownloadOptions::token_hosts: a
  // bare "host" means https://host (port 443).
  std::vector<std::string> token_hosts = {"api.github.com"};
  std::string ca_file;
  absl::Duration connect_timeout = absl::Seconds(30);
  // The whole exchange, per attempt.
  absl::Duration timeout = absl::Seconds(60);
  // A longer body is an error (kResourceExhausted).
  int64_t max_body_bytes = int64_t{32} << 20;
  int max_redirects = 10;
  // Attempts in all for connection errors, 429 and 5xx.
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_retry_after = absl::Minutes(2);
  // Waits between attempts; the default wakes early on cancellation.
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { SleepUnlessCancelled(d); };
  // Told before each retry: the URL, the attempt about to start (2, 3, ...)
  // and max_attempts, and why the last one failed. For a "waiting for HOST
  // (try 2 of 5)" line.
  std::function<void(const std::string& url, int attempt, int max_attempts,
                     const absl::Status& why)>
      on_retry;
  // The wire; null means CurlHttpTransport(). Tests pass a FakeHttpTransport
  // (hub/download/fake_http_transport.h). Not owned; outlives the call.
  HttpTransport* transport = nullptr;
};

struct HttpGetResponse {
  int status = 0;
  HttpResponseHead head;  // of the final response
  std::string body;
  std::string final_url;  // after redirects
  int attempts = 0;
  // Whether a request of the last attempt (any hop) carried the GitHub token.
  bool sent_token = false;
};

absl::StatusOr<HttpGetResponse> HttpGet(const std::string& url, const HttpGetOptions& options = {});

}  // namespace hub

#endif  // HUB_DOWNLOAD_HTTP_GET_H_
