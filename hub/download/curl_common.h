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

// A URL's origin: scheme, host and port (RFC 6454), what a GitHub token is
// bound to.
struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // lower case; an IPv6 address in brackets; "" if none
  int port = 0;        // as written, else the scheme's default (80, 443); 0 if none

  friend bool operator==(const UrlParts& a, const UrlParts& b) {
    return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
  }
  friend bool operator!=(const UrlParts& a, const UrlParts& b) { return !(a == b); }
};
// nullopt when libcurl can't parse `url`.
std::optional<UrlParts> SplitUrl(const std::string& url);

// OK for an http:// or https:// URL without whitespace or control
// characters; else kInvalidArgument starting with `what`.
absl::Status CheckUrl(const std::string& url, absl::string_view what);

bool IsRetryableCurlCode(CURLcode code);
absl::StatusCode CurlCodeToStatusCode(CURLcode code);

// OK when a response from `from` may be followed to `to` (both absolute;
// `to` as CURLINFO_REDIRECT_URL resolves it): `to` passes CheckUrl, and an
// https:// URL never leads to a plain http:// one, where anyone on the path
// could read or change the answer. A downgrade is kFailedPrecondition naming
// both URLs; callers check every hop, so no chain of redirects leaves HTTPS.
absl::Status CheckRedirect(const std::string& from, const std::string& to);

// HTTP(S) only, no redirects followed by libcurl (callers follow them hop
// by hop, through CheckRedirect), no signals.
void ApplyCommonOptions(CURL* curl);

// Verification always on; the CA bundle is `ca_file`, else
// $CURL_CA_BUNDLE, else $SSL_CERT_FILE (plus $SSL_CERT_DIR), else
// libcurl's default.
void ApplyTlsOptions(CURL* curl, const std::string& ca_file);

// `token`, else $GITHUB_TOKEN, else "".
std::string GithubToken(const std::string& token);

// Whether a request to `url`, reached by redirects from `original_url` (the
// URL the caller asked for; `url` itself on the first hop), may carry
// `token`: only when `url` has the same scheme, host and port as
// `original_url`, and that origin is in `token_hosts`. So the token never
// crosses a redirect to another host, another port on the same host, or
// from https:// to http://.
//
// A `token_hosts` entry is an origin, "http://127.0.0.1:8080", or a bare
// "host" or "host:port", which means https:// (port 443 unless given):
// "api.github.com" allows https://api.github.com only. Host names compare
// without case; paths in an entry are ignored.
bool ShouldSendToken(const std::string& token, const std::string& url,
                     const std::string& original_url, const std::vector<std::string>& token_hosts);

// The wait before retry number `failures` (1, 2, ...): `initial` doubled
// per earlier failure, capped at `max`, with up to half taken off at random
// so that many clients don't retry in step.
absl::Duration Backoff(absl::Duration initial, absl::Duration max, int failures);

}  // namespace hub::download_internal

#endif  // HUB_DOWNLOAD_CURL_COMMON_H_
