// A fault-injecting HTTP(S) server on 127.0.0.1 for tests
// (tests/servers/fault_server.py under /usr/bin/python3).
//
//   HUB_ASSERT_OK_AND_ASSIGN(auto server, FaultServer::Start({.root = docroot}));
//   // Served normally:
//   std::string url = server->Url("/weights.pth");
//   // 503 twice, then the file:
//   std::string flaky = server->Url("/weights.pth?fail_first=2");
//   // Headers and 1000 bytes, then a connection reset (once; then served):
//   std::string cut = server->Url("/weights.pth?reset_after=1000");
//   ...
//   HUB_ASSERT_OK_AND_ASSIGN(auto requests, server->WaitForRequests(3));
//   EXPECT_EQ(requests[0].bytes_sent, 1000);
//
// Each response's behaviour is chosen by query parameters, which combine
// (fault_server.py's docstring has the full list):
//
//   status=N [retry_after=S]      answer N (short text body)
//   fail_first=K                  the first K requests get `status` (503)
//   redirect=URL                  302 to URL (percent-encode it: QueryEscape)
//   redirect_status=301|...|308   the code for redirect= / redirect_loop=
//   redirect_loop=1               302 to the same URL, forever
//   reset_after=B                 B body bytes, then RST         } only the first
//   stall_after=B [stall_s=S]     B body bytes, then S s silence } `fault_times`
//   short_by=B                    B bytes fewer than promised    } requests (1)
//   no_length=1 | chunked=1       no Content-Length (close) | chunked encoding
//   ranges=0|1                    honour Range / If-Range (default 1)
//   ranges_for=K                  requests after the K-th ignore Range (200)
//   fault_range=S                 reset/stall/short hit only ranges from byte S
//   range_short_by=B              206 answers cover B bytes fewer than asked
//   change_after=K                requests after the K-th get PATH.v2
//   delay_ms=M | rate=B           delay the headers | B bytes per second
//   echo_headers=1                200 with the request's headers as JSON
//
// Requests are counted per exact path and query (HEAD included), so an
// unused parameter such as "&case=2" starts a fresh count. File responses
// carry a strong ETag and Last-Modified.
//
// Each server gets its own directory under $TEST_TMPDIR (port file, request
// log, stderr, certificate). The destructor stops it.

#ifndef TESTS_SERVERS_FAULT_SERVER_H_
#define TESTS_SERVERS_FAULT_SERVER_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hub::testing {

class FaultServer {
 public:
  struct Options {
    // The directory served at "/".
    std::string root;
    // HTTPS with a certificate for 127.0.0.1 and localhost, else plain HTTP.
    bool tls = false;
  };

  // One logged request. Headers the request did not have are empty.
  struct Request {
    int64_t seq = 0;  // the request's number in order of arrival, from 1
    std::string method;
    std::string path;   // without the query, as sent (percent-encoded)
    std::string query;  // without the "?"
    std::string range;  // the Range header
    std::string host;   // the Host header
    std::string authorization;
    std::string user_agent;
    int status = 0;          // 0 when no status line was sent
    int64_t bytes_sent = 0;  // body bytes written before the response ended
    // The server's own clock (monotonic), from when it had read the request:
    // until the status line and headers were written (zero when none were),
    // and until the response ended or was cut off. delay_ms=, rate= and
    // stall_s= show here, not in how long the client waited.
    absl::Duration sent;
    absl::Duration duration;
  };

  static absl::StatusOr<std::unique_ptr<FaultServer>> Start(const Options& options);

  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;
  // Stops the server: SIGTERM, then SIGKILL after about 2 s.
  ~FaultServer();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" (or https://), no trailing slash.
  std::string base_url() const;
  // base_url() + path_and_query; it starts with "/".
  std::string Url(const std::string& path_and_query) const;
  // The same server under another host name, e.g. "localhost" (the
  // certificate covers 127.0.0.1 and localhost).
  std::string UrlOnHost(const std::string& host, const std::string& path_and_query) const;
  // The certificate to trust (PEM); empty for plain HTTP.
  const std::string& ca_file() const { return ca_file_; }

  // Every request logged so far, in order of arrival. A request is logged
  // once its response has ended, which can be a moment after the client saw
  // the end (and after later requests were logged): WaitForRequests waits.
  absl::StatusOr<std::vector<Request>> ReadLog() const;
  // ReadLog() once it has at least `count` requests, or DeadlineExceeded.
  absl::StatusOr<std::vector<Request>> WaitForRequests(
      size_t count, absl::Duration timeout = absl::Seconds(10)) const;
  std::string log_path() const { return dir_ + "/requests.jsonl"; }

  // Every request that has arrived, in order of arrival, recorded before its
  // answer starts: only seq, method, path and query are set. Read after a
  // client's call returns, this is exact (no waiting): every request the
  // client sent and saw answered is in it.
  absl::StatusOr<std::vector<Request>> ReadArrivals() const;
  std::string arrivals_path() const { return dir_ + "/arrivals.jsonl"; }

  // fault_server.py in the test's runfiles.
  static std::string FaultServerPath();

 private:
  FaultServer() = default;

  std::string dir_;
  std::string ca_file_;
  bool tls_ = false;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Percent-encodes `value` for use as a query parameter's value, e.g.
// "?redirect=" + QueryEscape(server->UrlOnHost("localhost", "/a")).
std::string QueryEscape(absl::string_view value);

// Parses one line of the server's log (a flat JSON object of strings,
// integers and nulls). Exposed for tests.
absl::StatusOr<FaultServer::Request> ParseRequestLogLine(absl::string_view line);

}  // namespace hub::testing

#endif  // TESTS_SERVERS_FAULT_SERVER_H_
