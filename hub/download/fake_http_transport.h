// A scripted HttpTransport for unit tests of HTTP rules (redirects, token
// scoping, retries): each URL answers from a queue of canned responses, and
// every request is recorded.
//
//   hub::FakeHttpTransport fake;
//   fake.Add("https://api.github.com/x", {.status = 503});
//   fake.Add("https://api.github.com/x", {.status = 200, .body = {"[", "]"}});
//   options.transport = &fake;
//   ... HttpGet("https://api.github.com/x", options) ...
//   EXPECT_EQ(fake.requests().size(), 2);
//
// A URL's last response repeats once its queue is down to one. A URL with
// no response is a connection refused (kUnavailable, retryable). For
// answers that depend on the request (ranges), SetResponder instead; and
// RangeAnswer serves a byte string the way a file server does. The
// handler's KeepGoing is asked before each body chunk.
// Thread-safe.

#ifndef HUB_DOWNLOAD_FAKE_HTTP_TRANSPORT_H_
#define HUB_DOWNLOAD_FAKE_HTTP_TRANSPORT_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hub/download/http_transport.h"

namespace hub {

class FakeHttpTransport : public HttpTransport {
 public:
  struct Response {
    int status = 200;
    std::string reason = "OK";
    // "Name: value" lines after the status line.
    std::vector<std::string> headers;
    // Delivered to the handler one chunk at a time.
    std::vector<std::string> body;
    // After the headers and this many body chunks, the connection resets
    // (kUnavailable, retryable). -1: no reset.
    int reset_after_chunks = -1;
    // For a 3xx: the absolute URL it leads to, also sent as Location.
    std::string location;
  };

  // Queues `response` for GETs of `url` (exact match).
  void Add(const std::string& url, Response response);

  // Answers GETs of `url` with what `responder` returns for each request
  // (called under the fake's lock, one request at a time, in order of
  // arrival); takes precedence over Add.
  using Responder = std::function<Response(const HttpRequest&)>;
  void SetResponder(const std::string& url, Responder responder);

  // `content` as a file server with ranges answers `request`: 206 and the
  // slice for "Range: bytes=A-" or "bytes=A-B", else 200; `headers` (ETag,
  // Last-Modified...) go with either, and "Accept-Ranges: bytes" and the
  // lengths are added. The body comes in chunks of `chunk_bytes`.
  static Response RangeAnswer(const std::string& content, const HttpRequest& request,
                              std::vector<std::string> headers, size_t chunk_bytes = 4096);

  // Every request, in order.
  std::vector<HttpRequest> requests() const;

  HttpTransferResult Perform(const HttpRequest& request, HttpResponseHandler& handler) override;

 private:
  // std::mutex rather than absl::Mutex: Debian's Abseil is built without
  // ThreadSanitizer, which then can't see its synchronisation (and parallel
  // ranges call Perform from several threads). Guards the members below.
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Response>> responses_;
  std::map<std::string, Responder> responders_;
  std::vector<HttpRequest> requests_;
};

}  // namespace hub

#endif  // HUB_DOWNLOAD_FAKE_HTTP_TRANSPORT_H_
