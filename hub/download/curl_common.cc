#include "hub/download/curl_common.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "hub/base/status_macros.h"

namespace hub::download_internal {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

}  // namespace

void CurlGlobalInit() {
  static const CURLcode kInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)kInit;
}

std::optional<UrlParts> SplitUrl(const std::string& url) {
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (u == nullptr || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  // Only the scheme is sure to be there (not so a file: URL's host and port).
  auto get = [&u](CURLUPart part) -> std::optional<std::string> {
    char* value = nullptr;
    // CURLU_DEFAULT_PORT: the scheme's port when the URL names none.
    if (curl_url_get(u.get(), part, &value, CURLU_DEFAULT_PORT) != CURLUE_OK) return std::nullopt;
    std::string text = absl::AsciiStrToLower(value);
    curl_free(value);
    return text;
  };
  std::optional<std::string> scheme = get(CURLUPART_SCHEME);
  if (!scheme.has_value()) return std::nullopt;
  UrlParts parts;
  parts.scheme = *std::move(scheme);
  parts.host = get(CURLUPART_HOST).value_or("");
  if (!absl::SimpleAtoi(get(CURLUPART_PORT).value_or("0"), &parts.port)) parts.port = 0;
  return parts;
}

absl::Status CheckUrl(const std::string& url, absl::string_view what) {
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " \"", absl::CEscape(url), "\" contains whitespace or control characters"));
    }
  }
  const std::optional<UrlParts> parts = SplitUrl(url);
  if (!parts.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", url, "\" is not a valid URL"));
  }
  if (parts->scheme != "http" && parts->scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat(what, " \"", url,
                                                   "\" is not http:// or https:// (", parts->scheme,
                                                   "://); only HTTP(S) downloads are supported"));
  }
  return absl::OkStatus();
}

absl::Status CheckRedirect(const std::string& from, const std::string& to) {
  HUB_RETURN_IF_ERROR(CheckUrl(to, absl::StrCat("the redirect from ", from, " to")));
  const std::optional<UrlParts> old_parts = SplitUrl(from);
  const std::optional<UrlParts> new_parts = SplitUrl(to);
  if (old_parts.has_value() && old_parts->scheme == "https" && new_parts->scheme != "https") {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing the redirect from ", from, " to ", to,
        ": it leaves HTTPS for plain HTTP, where anyone on the network could read or change "
        "the answer. Ask the server's owner to redirect to an https:// URL; if you trust the "
        "network, request the http:// URL yourself"));
  }
  return absl::OkStatus();
}

bool IsRetryableCurlCode(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

absl::StatusCode CurlCodeToStatusCode(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case CURLE_PARTIAL_FILE:
      return absl::StatusCode::kDataLoss;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return absl::StatusCode::kUnavailable;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return absl::StatusCode::kUnauthenticated;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kUnknown;
  }
}

void AppendHeader(CurlSlist& list, const std::string& header) {
  curl_slist* grown = curl_slist_append(list.get(), header.c_str());
  if (grown != nullptr) {
    (void)list.release();
    list.reset(grown);
  }
}

void ApplyCommonOptions(CURL* curl) {
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects are ours to follow (CheckRedirect, the token rule); should
  // libcurl ever follow one, it may only go to HTTP(S), and not far.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
}

void ApplyTlsOptions(CURL* curl, const std::string& ca_file) {
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  std::string bundle = ca_file;
  for (const char* name : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
    const char* env = std::getenv(name);
    if (bundle.empty() && env != nullptr) bundle = env;
  }
  if (!bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, bundle.c_str());
  if (const char* dir = std::getenv("SSL_CERT_DIR"); dir != nullptr && *dir != '\0') {
    curl_easy_setopt(curl, CURLOPT_CAPATH, dir);
  }
}

std::string GithubToken(const std::string& token) {
  if (!token.empty()) return token;
  const char* env = std::getenv("GITHUB_TOKEN");
  return env != nullptr ? env : "";
}

bool ShouldSendToken(const std::string& token, const std::string& url,
                     const std::string& original_url, const std::vector<std::string>& token_hosts) {
  if (token.empty()) return false;
  const std::optional<UrlParts> parts = SplitUrl(url);
  const std::optional<UrlParts> original = SplitUrl(original_url);
  if (!parts.has_value() || !original.has_value() || *parts != *original) return false;
  return std::any_of(token_hosts.begin(), token_hosts.end(), [&](const std::string& entry) {
    const std::optional<UrlParts> allowed =
        SplitUrl(absl::StrContains(entry, "://") ? entry : absl::StrCat("https://", entry));
    return allowed.has_value() && !allowed->host.empty() && *allowed == *parts;
  });
}

absl::Duration Backoff(absl::Duration initial, absl::Duration max, int failures) {
  absl::Duration delay = initial;
  for (int i = 1; i < failures && delay < max; ++i) delay *= 2;
  delay = std::min(delay, max);
  thread_local std::mt19937 rng{std::random_device{}()};
  return delay * std::uniform_real_distribution<double>(0.5, 1.0)(rng);
}

}  // namespace hub::download_internal
