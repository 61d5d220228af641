#include "hub/download/http_transport.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hub/base/cancellation.h"
#include "hub/download/curl_common.h"

namespace hub {
namespace {

using download_internal::AppendHeader;
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

// libcurl calls this while it resolves, connects and waits for an answer, at
// least once a second, and at once when a signal interrupts its poll(): so
// Ctrl-C (hub::RequestCancellation) stops any wait within a second.
int OnProgress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  if (CancellationRequested()) return 1;
  return static_cast<HttpResponseHandler*>(p)->KeepGoing() ? 0 : 1;
}

// libcurl takes a long for durations; 0 means no limit.
long Millis(absl::Duration d) {  // NOLINT(google-runtime-int): libcurl takes a long
  if (d == absl::InfiniteDuration()) return 0;
  return static_cast<long>(  // NOLINT(google-runtime-int): libcurl takes a long
      absl::ToInt64Milliseconds(d));
}

// This thread's handle between calls. curl_easy_reset keeps a handle's
// open connections, TLS sessions and DNS cache, so reusing it lets the
// next request to the same origin skip the connect and the handshake.
CurlEasy& IdleHandle() {
  thread_local CurlEasy idle;
  thread_local pid_t owner = ::getpid();
  if (owner != ::getpid()) {
    // A forked child shares the parent's sockets: neither use nor close
    // them (a TLS close would end the parent's connection); start afresh.
    (void)idle.release();
    owner = ::getpid();
  }
  return idle;
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
    CurlEasy curl = std::move(IdleHandle());
    if (curl != nullptr) {
      curl_easy_reset(curl.get());
    } else {
      curl.reset(curl_easy_init());
    }
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
    curl_easy_setopt(c, CURLOPT_USERAGENT, request.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &handler);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &handler);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &handler);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    if (request.receive_buffer_bytes > 0) {
      // NOLINTNEXTLINE(google-runtime-int): libcurl takes a long
      curl_easy_setopt(c, CURLOPT_BUFFERSIZE, static_cast<long>(request.receive_buffer_bytes));
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, Millis(request.connect_timeout));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, Millis(request.timeout));
    const CURLcode rc = curl_easy_perform(c);
    // Pointers into this call's stack must not outlive it in the handle.
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    char* next = nullptr;
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
    if (rc == CURLE_OK && next != nullptr) result.redirect_url = next;
    // A call made from inside a callback took a handle of its own; keep one.
    if (IdleHandle() == nullptr) IdleHandle() = std::move(curl);
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
    return result;
  }
};

}  // namespace

HttpTransport& CurlHttpTransport() {
  static auto* const transport = new CurlTransport();
  return *transport;
}

}  // namespace hub
