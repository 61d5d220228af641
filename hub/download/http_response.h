// The parts of an HTTP response head the downloader acts on, parsed from the
// header lines libcurl hands over one at a time. Outside bytes: every parser
// here is fuzzed (http_response_fuzzer).
//
//   hub::HttpResponseHead head;
//   for (line : lines) head.AddLine(line);   // "HTTP/1.1 206 Partial Content", "ETag: ..."
//   head.status;                             // 206
//   hub::ParseContentRange(head.content_range);  // {start, end, total}

#ifndef HUB_DOWNLOAD_HTTP_RESPONSE_H_
#define HUB_DOWNLOAD_HTTP_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub {

struct HttpResponseHead {
  int status = 0;               // 0 until a status line is seen
  std::string reason;           // "Partial Content"
  int64_t content_length = -1;  // -1 when absent or unusable
  std::string etag;             // as sent, quotes included
  std::string last_modified;    // as sent
  std::string content_range;    // as sent
  std::string location;         // as sent
  std::string retry_after;      // as sent
  bool accept_ranges = false;   // "Accept-Ranges: bytes"
  bool chunked = false;         // "Transfer-Encoding: chunked"

  // Feeds one header line (with or without its CRLF). A status line
  // ("HTTP/1.1 200 OK", "HTTP/2 200") starts a new head, so that interim
  // (1xx) and redirect responses don't leak fields into the final one.
  void AddLine(absl::string_view line);
};

struct ContentRange {
  int64_t start = 0;
  int64_t end = 0;     // inclusive
  int64_t total = -1;  // -1 for "*"
};

// "bytes 100-199/1000" or "bytes 100-199/*"; nullopt for anything else
// (including "bytes */1000", which only a 416 carries: see
// ParseUnsatisfiedRange).
std::optional<ContentRange> ParseContentRange(absl::string_view value);

// The total from a 416's "bytes */1000".
std::optional<int64_t> ParseUnsatisfiedRange(absl::string_view value);

// Retry-After: delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT", relative to `now`; a date in the past is zero). nullopt when
// unparseable.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

// A weak ETag (W/"...") can't validate a byte range (RFC 9110 13.1.5).
inline bool IsStrongEtag(absl::string_view etag) {
  return !etag.empty() && etag.substr(0, 2) != "W/";
}

}  // namespace hub

#endif  // HUB_DOWNLOAD_HTTP_RESPONSE_H_
