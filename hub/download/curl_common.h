// libcurl plumbing shared by the downloader and HttpGet: handle wrappers,
// URL checks, libcurl codes as absl::Status, and the options every request
// gets (protocols, TLS verification and CA bundle, the GitHub token rule).
// Internal to hub/download.

#ifndef HUB_DOWNLOAD_CURL_COMMON_H_
#define HUB_DOWNLOAD_CURL_COMMON_H_

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub::download_internal {

// curl_global_init, once per process.
void CurlGlobalInit();

struct CurlEasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends "Name: value" to `list`.
void AppendHeader(CurlSlist& list, const std::string& header);

struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // lower case
};
std::optional<UrlParts> SplitUrl(const std::string& url);

// OK for an http:// or https:// URL without whitespace or control
// characters; else kInvalidArgument starting with `what`.
absl::Status CheckUrl(const std::string& url, absl::string_view what);

bool IsRetryableCurlCode(CURLcode code);
absl::StatusCode CurlCodeToStatusCode(CURLcode code);

// HTTP(S) only, no redirects followed by libcurl (callers follow them hop
// by hop), no signals.
void ApplyCommonOptions(CURL* curl);

// Verification always on; the CA bundle is `ca_file`, else
// $CURL_CA_BUNDLE, else $SSL_CERT_FILE (plus $SSL_CERT_DIR), else
// libcurl's default.
void ApplyTlsOptions(CURL* curl, const std::string& ca_file);

// `token`, else $GITHUB_TOKEN, else "".
std::string GithubToken(const std::string& token);

// Whether a request to `url` may carry the token: only to a host in
// `token_hosts`, and only while still on `original_host` (never across a
// redirect to another host).
bool ShouldSendToken(const std::string& token, const std::string& url,
                     const std::string& original_host, const std::vector<std::string>& token_hosts);

// The wait before retry number `failures` (1, 2, ...): `initial` doubled
// per earlier failure, capped at `max`, with up to half taken off at random
// so that many clients don't retry in step.
absl::Duration Backoff(absl::Duration initial, absl::Duration max, int failures);

}  // namespace hub::download_internal

#endif  // HUB_DOWNLOAD_CURL_COMMON_H_
