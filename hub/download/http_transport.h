// The seam between HTTP rules and the wire: one request, one hop, no
// redirects followed and no retries. The rules (which hop gets the GitHub
// token, which redirects are followed, when to retry) live in the callers
// (HttpGet today) and get fast, exact unit tests against FakeHttpTransport;
// the curl transport is proved against loopback servers.
//
//   class Collect : public hub::HttpResponseHandler {
//     void OnHeaderLine(absl::string_view line) override { head.AddLine(line); }
//     bool OnBody(absl::string_view chunk) override { body.append(chunk); return true; }
//     hub::HttpResponseHead head;
//     std::string body;
//   };
//   Collect collect;
//   hub::HttpTransferResult r =
//       hub::CurlHttpTransport().Perform({.url = "https://example.com/"}, collect);
//   if (!r.status.ok()) ...            // no answer (r.retryable: worth another try)
//   if (!r.redirect_url.empty()) ...   // a 3xx with Location, resolved
//
// An HTTP status of any kind is an answer, not an error.

#ifndef HUB_DOWNLOAD_HTTP_TRANSPORT_H_
#define HUB_DOWNLOAD_HTTP_TRANSPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

// One GET of one URL.
struct HttpRequest {
  std::string url;
  // "Name: value", the Authorization header included when the caller sends one.
  std::vector<std::string> headers;
  std::string user_agent = "torch.hub";
  std::string ca_file;  // see ApplyTlsOptions: verification is always on
  absl::Duration connect_timeout = absl::Seconds(30);
  // The whole exchange; absl::InfiniteDuration() for no limit (a large
  // download, whose callers watch for stalls through KeepGoing instead).
  absl::Duration timeout = absl::Seconds(60);
  // The transport's receive buffer; 0 for its default. Larger buffers mean
  // fewer, larger OnBody calls.
  int64_t receive_buffer_bytes = 0;
};

// Receives one response as it arrives: the status line and header lines
// (without blank lines), then body chunks.
class HttpResponseHandler {
 public:
  virtual ~HttpResponseHandler() = default;
  virtual void OnHeaderLine(absl::string_view line) = 0;
  // `chunk` points into the transport's buffer, valid during the call only:
  // copy what you keep. false stops the transfer; Perform then returns a
  // non-OK status.
  virtual bool OnBody(absl::string_view chunk) = 0;
  // Called now and then while the exchange runs, about once a second even
  // when nothing arrives, so that a handler can stop a stalled or cancelled
  // transfer; false stops it as OnBody's false does.
  virtual bool KeepGoing() { return true; }
};

struct HttpTransferResult {
  // Not OK when the exchange did not complete (connection refused or reset,
  // timeout, TLS failure, the handler stopped it), with a message naming
  // the URL.
  absl::Status status;
  // Whether another try may succeed (a reset, a timeout; not a bad
  // certificate).
  bool retryable = false;
  // For a 3xx with a Location header: where it leads, absolute.
  std::string redirect_url;
};

// Thread-safe implementations may serve concurrent Perform calls.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpTransferResult Perform(const HttpRequest& request, HttpResponseHandler& handler) = 0;
};

// libcurl: HTTP(S) only, TLS verified, no redirects followed, no signals,
// TCP keep-alive. Offline (hub::IsOffline()) it opens no socket:
// kFailedPrecondition. Once hub::RequestCancellation() is called, a
// transfer stops (also while it connects or waits for an answer) with
// kCancelled, not retryable. Thread-safe: each thread keeps one curl handle
// between calls (a call made while its thread's handle is busy gets its
// own), so the hops and tries of one download, and later requests from the
// same thread, reuse open connections (never a connection inherited across
// fork). Lives for the whole process.
HttpTransport& CurlHttpTransport();

}  // namespace hub

#endif  // HUB_DOWNLOAD_HTTP_TRANSPORT_H_
