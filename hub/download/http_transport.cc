#include "hub/download/http_transport.h"

#include <curl/curl.h>

#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "hub/base/cancellation.h"
#include "hub/download/curl_common.h"

namespace hub {
namespace {

using download_internal::AppendHeader;
using download_internal::ApplyCancellation;
using download_internal::ApplyCommonOptions;
using download_internal::ApplyTlsOptions;
using download_internal::CurlCodeToStatusCode;
using download_internal::CurlEasy;
using download_internal::CurlGlobalInit;
using download_internal::CurlSlist;
using download_internal::IsRetryableCurlCode;

size_t OnHeader(char* data, size_t size, size_t n, void* p) {
  static_cast<HttpResponseHandler*>(p)->OnHeaderLine(absl::string_view(data, size * n));
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* p) {
  return static_cast<HttpResponseHandler*>(p)->OnBody(absl::string_view(data, size * n)) ? size * n
                                                                                         : 0;
}

absl::Status Interrupted(const std::string& url) {
  return absl::CancelledError(absl::StrCat("GET ", url, ": interrupted"));
}

class CurlTransport : public HttpTransport {
 public:
  HttpTransferResult Perform(const HttpRequest& request, HttpResponseHandler& handler) override {
    HttpTransferResult result;
    // The last line of defence: callers answer from the cache first and
    // say what is missing.
    result.status = CheckNetworkAllowed(absl::StrCat("requesting ", request.url));
    if (!result.status.ok()) return result;
    if (CancellationRequested()) {
      result.status = Interrupted(request.url);
      return result;
    }
    CurlGlobalInit();
    CurlEasy curl(curl_easy_init());
    if (curl == nullptr) {
      result.status = absl::ResourceExhaustedError("curl_easy_init failed");
      return result;
    }
    CURL* c = curl.get();
    CurlSlist headers;
    for (const std::string& h : request.headers) AppendHeader(headers, h);
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    ApplyCommonOptions(c);
    ApplyTlsOptions(c, request.ca_file);
    ApplyCancellation(c);
    curl_easy_setopt(c, CURLOPT_USERAGENT, request.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &handler);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &handler);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    // NOLINTNEXTLINE(google-runtime-int): libcurl takes a long
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(request.connect_timeout)));
    // NOLINTNEXTLINE(google-runtime-int): libcurl takes a long
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_ABORTED_BY_CALLBACK && CancellationRequested()) {
      result.status = Interrupted(request.url);
      return result;
    }
    if (rc != CURLE_OK) {
      result.status = absl::Status(
          CurlCodeToStatusCode(rc),
          absl::StrCat("GET ", request.url, ": ",
                       error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc)));
      result.retryable = IsRetryableCurlCode(rc);
      return result;
    }
    char* next = nullptr;
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
    if (next != nullptr) result.redirect_url = next;
    return result;
  }
};

}  // namespace

HttpTransport& CurlHttpTransport() {
  static auto* const transport = new CurlTransport();
  return *transport;
}

}  // namespace hub
