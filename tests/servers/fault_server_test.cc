#include "tests/servers/fault_server.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {
namespace {

using ::hub::testing::RandomBytes;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

constexpr size_t kBlobSize = 1 << 20;

struct FetchOptions {
  std::string ca_file;
  std::string range;  // CURLOPT_RANGE, e.g. "1000-"
  std::vector<std::string> headers;
  std::string user_agent = "fault-server-test";
  bool head = false;
  bool follow = false;
  int max_redirects = -1;
  bool path_as_is = false;
  // Give up when less than 100 kB/s arrive for this long (0: never).
  int low_speed_seconds = 0;
  std::string method;  // CURLOPT_CUSTOMREQUEST
};

struct Response {
  CURLcode code = CURLE_OK;
  long status = 0;  // NOLINT(google-runtime-int): curl reports codes as long
  std::string body;
  std::string headers;  // the last response's header lines
  std::string effective_url;

  // The last value of header `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const {
    std::string value;
    for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      if (absl::EqualsIgnoreCase(line.substr(0, colon), name)) {
        value = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      }
    }
    return value;
  }
};

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t AppendHeader(char* data, size_t size, size_t n, void* out) {
  auto* headers = static_cast<std::string*>(out);
  // A new status line (after a redirect or a 100): keep the last response's.
  if (absl::StartsWith(absl::string_view(data, size * n), "HTTP/")) headers->clear();
  headers->append(data, size * n);
  return size * n;
}

Response Fetch(const std::string& url, const FetchOptions& options = {}) {
  Response response;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);  // a safety net only
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.range.empty()) curl_easy_setopt(curl, CURLOPT_RANGE, options.range.c_str());
  if (options.head) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!options.method.empty()) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, options.method.c_str());
  }
  if (options.follow) curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  if (options.max_redirects >= 0) {
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS,
                     static_cast<long>(options.max_redirects));  // NOLINT(google-runtime-int)
  }
  if (options.path_as_is) curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  if (options.low_speed_seconds > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 100000L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(options.low_speed_seconds));  // NOLINT(google-runtime-int)
  }
  curl_slist* headers = nullptr;
  for (const std::string& header : options.headers) {
    headers = curl_slist_append(headers, header.c_str());
  }
  if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  response.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  const char* effective_url = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK &&
      effective_url != nullptr) {
    response.effective_url = effective_url;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

// Fetch(url, options).status, expecting the transfer to succeed.
long StatusOf(  // NOLINT(google-runtime-int)
    const std::string& url, const FetchOptions& options = {}) {
  const Response r = Fetch(url, options);
  EXPECT_EQ(r.code, CURLE_OK) << url << ": " << curl_easy_strerror(r.code);
  return r.status;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  ASSERT_TRUE(out) << "writing " << path;
}

class FaultServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  void SetUp() override {
    HUB_ASSERT_OK_AND_ASSIGN(tree_, MakeTempDir("tree"));
    root_ = tree_ + "/root";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    blob_ = RandomBytes(kBlobSize, 1);
    WriteFile(root_ + "/blob", blob_);
    HUB_ASSERT_OK_AND_ASSIGN(server_, FaultServer::Start({.root = root_}));
  }

  std::vector<FaultServer::Request> Requests(size_t count) {
    // No time limit of its own: a slow machine waits, the test's timeout
    // catches a request that never comes.
    absl::StatusOr<std::vector<FaultServer::Request>> requests =
        server_->WaitForRequests(count, absl::InfiniteDuration());
    EXPECT_THAT(requests, IsOk());
    return requests.ok() ? *requests : std::vector<FaultServer::Request>();
  }

  // The logged request with query `query`, once the server has logged it
  // (others, logged later or never, do not hold it up). No time limit of its
  // own either.
  FaultServer::Request LoggedRequest(const std::string& query) {
    while (true) {
      absl::StatusOr<std::vector<FaultServer::Request>> requests = server_->ReadLog();
      if (!requests.ok()) {
        ADD_FAILURE() << requests.status();
        return {};
      }
      for (const FaultServer::Request& r : *requests) {
        if (r.query == query) return r;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::string tree_;
  std::string root_;
  std::string blob_;
  std::unique_ptr<FaultServer> server_;
};

MATCHER_P2(Logged, status, bytes_sent, "") {
  *result_listener << "status " << arg.status << ", bytes_sent " << arg.bytes_sent;
  return arg.status == status && arg.bytes_sent == bytes_sent;
}

TEST_F(FaultServerTest, ServesFilesWithValidatorsAndLogsThem) {
  const Response r = Fetch(server_->Url("/blob"));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == blob_);
  EXPECT_EQ(r.Header("Content-Length"), absl::StrCat(kBlobSize));
  EXPECT_THAT(r.Header("ETag"), MatchesRegex("\"[0-9a-f]{16}\""));
  EXPECT_THAT(r.Header("Last-Modified"), HasSubstr(" GMT"));
  EXPECT_EQ(r.Header("Accept-Ranges"), "bytes");

  const Response head = Fetch(server_->Url("/blob?x=1"), {.head = true});
  ASSERT_EQ(head.code, CURLE_OK);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Content-Length"), absl::StrCat(kBlobSize));
  EXPECT_EQ(head.Header("ETag"), r.Header("ETag"));

  const std::vector<FaultServer::Request> log = Requests(2);
  ASSERT_THAT(log, SizeIs(2));
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].path, "/blob");
  EXPECT_EQ(log[0].query, "");
  EXPECT_EQ(log[0].range, "");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes_sent, static_cast<int64_t>(kBlobSize));
  EXPECT_EQ(log[0].host, absl::StrCat("127.0.0.1:", server_->port()));
  EXPECT_EQ(log[0].authorization, "");
  EXPECT_EQ(log[0].user_agent, "fault-server-test");
  EXPECT_EQ(log[0].seq, 1);
  EXPECT_EQ(log[1].seq, 2);
  EXPECT_EQ(log[1].method, "HEAD");
  EXPECT_EQ(log[1].query, "x=1");
  EXPECT_THAT(log[1], Logged(200, 0));
}

TEST_F(FaultServerTest, AnswersNotFound) {
  EXPECT_EQ(StatusOf(server_->Url("/missing")), 404);
  const Response r = Fetch(server_->Url("/blob?status=404"));
  EXPECT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 404);
  EXPECT_LT(r.body.size(), 100u);
  EXPECT_EQ(r.Header("Content-Length"), absl::StrCat(r.body.size()));
}

TEST_F(FaultServerTest, RefusesPathsOutsideItsRoot) {
  WriteFile(tree_ + "/secret", "secret");
  ASSERT_EQ(symlink("../secret", (root_ + "/link").c_str()), 0);
  EXPECT_EQ(StatusOf(server_->Url("/../secret"), {.path_as_is = true}), 404);
  EXPECT_EQ(StatusOf(server_->Url("/%2e%2e/secret")), 404);
  EXPECT_EQ(StatusOf(server_->Url("/link")), 404);
  EXPECT_EQ(StatusOf(server_->Url("/")), 404);
}

TEST_F(FaultServerTest, AnswersTooManyRequestsWithRetryAfter) {
  const Response r = Fetch(server_->Url("/blob?status=429&retry_after=7"));
  EXPECT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "7");
  EXPECT_LT(r.body.size(), 100u);
}

TEST_F(FaultServerTest, FailsTheFirstRequestsThenServes) {
  const std::string url = server_->Url("/blob?fail_first=2");
  EXPECT_EQ(StatusOf(url), 503);
  EXPECT_EQ(StatusOf(url), 503);
  const Response ok = Fetch(url);
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(ok.body == blob_);

  // Counted per exact URL; `status` picks the failure.
  const std::string other = server_->Url("/blob?fail_first=1&status=500");
  EXPECT_EQ(StatusOf(other), 500);
  EXPECT_EQ(StatusOf(other), 200);
  EXPECT_EQ(StatusOf(other + "&case=2"), 500);

  const std::vector<FaultServer::Request> log = Requests(6);
  std::vector<int> statuses;
  statuses.reserve(log.size());
  for (const FaultServer::Request& request : log) statuses.push_back(request.status);
  EXPECT_THAT(statuses, ElementsAre(503, 503, 200, 500, 200, 500));
}

TEST_F(FaultServerTest, RedirectsToAnotherHostName) {
  const std::string target = server_->UrlOnHost("localhost", "/blob");
  const std::string url = server_->Url("/blob?redirect=" + QueryEscape(target));
  const Response redirect = Fetch(url);
  EXPECT_EQ(redirect.status, 302);
  EXPECT_EQ(redirect.Header("Location"), target);

  const Response followed = Fetch(url, {.follow = true});
  ASSERT_EQ(followed.code, CURLE_OK);
  EXPECT_EQ(followed.status, 200);
  EXPECT_TRUE(followed.body == blob_);
  EXPECT_EQ(followed.effective_url, target);
  const std::vector<FaultServer::Request> log = Requests(3);
  ASSERT_THAT(log, SizeIs(3));
  EXPECT_EQ(log[1].host, absl::StrCat("127.0.0.1:", server_->port()));
  EXPECT_EQ(log[2].host, absl::StrCat("localhost:", server_->port()));

  for (const int code : {301, 303, 307, 308}) {
    EXPECT_EQ(StatusOf(absl::StrCat(url, "&redirect_status=", code)), code);
  }
}

TEST_F(FaultServerTest, RedirectLoopExhaustsCurlsLimit) {
  const Response r =
      Fetch(server_->Url("/blob?redirect_loop=1"), {.follow = true, .max_redirects = 5});
  EXPECT_EQ(r.code, CURLE_TOO_MANY_REDIRECTS);
  const std::vector<FaultServer::Request> log = Requests(6);
  ASSERT_THAT(log, SizeIs(6));
  for (const FaultServer::Request& request : log) EXPECT_EQ(request.status, 302);
}

TEST_F(FaultServerTest, ResetsTheConnectionOnceThenServes) {
  const std::string url = server_->Url("/blob?reset_after=100000");
  const Response cut = Fetch(url);
  EXPECT_EQ(cut.code, CURLE_RECV_ERROR) << curl_easy_strerror(cut.code);
  EXPECT_EQ(cut.status, 200);
  EXPECT_EQ(cut.Header("Content-Length"), absl::StrCat(kBlobSize));
  ASSERT_LE(cut.body.size(), 100000u);
  EXPECT_TRUE(cut.body == blob_.substr(0, cut.body.size()));

  // Resuming where it stopped gives the rest.
  const Response rest = Fetch(url, {.range = absl::StrCat(cut.body.size(), "-")});
  ASSERT_EQ(rest.code, CURLE_OK);
  EXPECT_EQ(rest.status, 206);
  EXPECT_TRUE(cut.body + rest.body == blob_);

  const std::vector<FaultServer::Request> log = Requests(2);
  ASSERT_THAT(log, SizeIs(2));
  EXPECT_THAT(log[0], Logged(200, 100000));
  EXPECT_THAT(log[1], Logged(206, static_cast<int64_t>(kBlobSize - cut.body.size())));
  EXPECT_EQ(log[1].range, absl::StrCat("bytes=", cut.body.size(), "-"));
}

TEST_F(FaultServerTest, FaultTimesRepeatsTheFault) {
  const std::string url = server_->Url("/blob?reset_after=10&fault_times=2");
  EXPECT_NE(Fetch(url).code, CURLE_OK);
  EXPECT_NE(Fetch(url).code, CURLE_OK);
  const Response ok = Fetch(url);
  EXPECT_EQ(ok.code, CURLE_OK);
  EXPECT_TRUE(ok.body == blob_);
}

TEST_F(FaultServerTest, SendsFewerBytesThanPromised) {
  const std::string url = server_->Url("/blob?short_by=1000");
  const Response cut = Fetch(url);
  EXPECT_EQ(cut.code, CURLE_PARTIAL_FILE) << curl_easy_strerror(cut.code);
  EXPECT_EQ(cut.Header("Content-Length"), absl::StrCat(kBlobSize));
  EXPECT_TRUE(cut.body == blob_.substr(0, kBlobSize - 1000));
  const Response ok = Fetch(url);
  EXPECT_EQ(ok.code, CURLE_OK);
  EXPECT_TRUE(ok.body == blob_);
  const std::vector<FaultServer::Request> log = Requests(2);
  ASSERT_THAT(log, SizeIs(2));
  EXPECT_THAT(log[0], Logged(200, static_cast<int64_t>(kBlobSize - 1000)));
  EXPECT_THAT(log[1], Logged(200, static_cast<int64_t>(kBlobSize)));
}

TEST_F(FaultServerTest, SendsWithoutContentLength) {
  const Response r = Fetch(server_->Url("/blob?no_length=1"));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Length"), "");
  EXPECT_EQ(r.Header("Connection"), "close");
  EXPECT_TRUE(r.body == blob_);
}

TEST_F(FaultServerTest, SendsChunked) {
  const Response r = Fetch(server_->Url("/blob?chunked=1"));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.Header("Content-Length"), "");
  EXPECT_TRUE(r.body == blob_);

  const Response cut = Fetch(server_->Url("/blob?chunked=1&reset_after=70000"));
  EXPECT_NE(cut.code, CURLE_OK);
  EXPECT_LE(cut.body.size(), 70000u);
}

TEST_F(FaultServerTest, ServesRanges) {
  Response r = Fetch(server_->Url("/blob"), {.range = "1000-"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 206);
  EXPECT_TRUE(r.body == blob_.substr(1000));
  EXPECT_EQ(r.Header("Content-Range"), absl::StrCat("bytes 1000-", kBlobSize - 1, "/", kBlobSize));
  EXPECT_EQ(r.Header("Content-Length"), absl::StrCat(kBlobSize - 1000));

  r = Fetch(server_->Url("/blob"), {.range = "10-19"});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, blob_.substr(10, 10));
  EXPECT_EQ(r.Header("Content-Range"), absl::StrCat("bytes 10-19/", kBlobSize));

  r = Fetch(server_->Url("/blob"), {.range = "-100"});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, blob_.substr(kBlobSize - 100));

  r = Fetch(server_->Url("/blob"), {.range = absl::StrCat(kBlobSize, "-")});
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.Header("Content-Range"), absl::StrCat("bytes */", kBlobSize));
}

TEST_F(FaultServerTest, IgnoresRangesWhenToldTo) {
  const Response r = Fetch(server_->Url("/blob?ranges=0"), {.range = "1000-"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Accept-Ranges"), "");
  EXPECT_EQ(r.Header("Content-Range"), "");
  EXPECT_TRUE(r.body == blob_);
}

TEST_F(FaultServerTest, HonoursIfRange) {
  const Response head = Fetch(server_->Url("/blob"), {.head = true});
  const std::string etag = head.Header("ETag");
  const std::string last_modified = head.Header("Last-Modified");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(last_modified.empty());

  Response r = Fetch(server_->Url("/blob"), {.range = "10-19", .headers = {"If-Range: " + etag}});
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, blob_.substr(10, 10));
  r = Fetch(server_->Url("/blob"), {.range = "10-19", .headers = {"If-Range: " + last_modified}});
  EXPECT_EQ(r.status, 206);

  r = Fetch(server_->Url("/blob"),
            {.range = "10-19", .headers = {"If-Range: \"0000000000000000\""}});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == blob_);
  r = Fetch(server_->Url("/blob"),
            {.range = "10-19", .headers = {"If-Range: Thu, 01 Jan 1970 00:00:00 GMT"}});
  EXPECT_EQ(r.status, 200);
}

TEST_F(FaultServerTest, ChangesTheFileAfterSomeRequests) {
  const std::string v2 = RandomBytes(5000, 2);
  WriteFile(root_ + "/blob.v2", v2);
  const std::string url = server_->Url("/blob?change_after=1");
  const Response first = Fetch(url);
  EXPECT_TRUE(first.body == blob_);
  const Response second = Fetch(url);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, v2);
  EXPECT_NE(second.Header("ETag"), first.Header("ETag"));
  EXPECT_THAT(second.Header("ETag"), MatchesRegex("\"[0-9a-f]{16}\""));

  // Resuming against the old ETag gets the new file whole.
  const Response resumed =
      Fetch(url, {.range = "1000-", .headers = {"If-Range: " + first.Header("ETag")}});
  EXPECT_EQ(resumed.status, 200);
  EXPECT_EQ(resumed.body, v2);
}

TEST_F(FaultServerTest, StopsHonouringRangesAfterSomeRequests) {
  const std::string url = server_->Url("/blob?ranges_for=1");
  const Response first = Fetch(url, {.range = "10-19"});
  EXPECT_EQ(first.status, 206);
  EXPECT_EQ(first.body, blob_.substr(10, 10));
  const Response second = Fetch(url, {.range = "10-19"});
  EXPECT_EQ(second.status, 200);
  EXPECT_TRUE(second.body == blob_);
  EXPECT_EQ(second.Header("Accept-Ranges"), "bytes");  // still claimed
}

TEST_F(FaultServerTest, FaultsCanHitOneRangeOnly) {
  const std::string url = server_->Url("/blob?reset_after=100&fault_range=1000");
  // Other ranges, and the whole file, are served.
  EXPECT_EQ(Fetch(url, {.range = "0-999"}).body, blob_.substr(0, 1000));
  EXPECT_TRUE(Fetch(url).body == blob_);
  const Response cut = Fetch(url, {.range = "1000-1999"});
  EXPECT_NE(cut.code, CURLE_OK);
  EXPECT_EQ(cut.body, blob_.substr(1000, 100));
  // Once (fault_times=1).
  EXPECT_EQ(Fetch(url, {.range = "1000-1999"}).body, blob_.substr(1000, 1000));
}

TEST_F(FaultServerTest, StallsMidBody) {
  const std::string url = server_->Url("/blob?stall_after=1000&stall_s=20");
  const Response stalled = Fetch(url, {.low_speed_seconds = 1});
  EXPECT_EQ(stalled.code, CURLE_OPERATION_TIMEDOUT) << curl_easy_strerror(stalled.code);
  ASSERT_LE(stalled.body.size(), 1000u);
  EXPECT_TRUE(stalled.body == blob_.substr(0, stalled.body.size()));
  // curl gave up, not the server: had the server ended the stall, curl would
  // have seen the connection close (CURLE_PARTIAL_FILE), not a time-out.

  const Response ok = Fetch(url);
  EXPECT_EQ(ok.code, CURLE_OK);
  EXPECT_TRUE(ok.body == blob_);

  // A short stall, then the connection closes early.
  const Response closed = Fetch(server_->Url("/blob?stall_after=1000&stall_s=0.2"));
  EXPECT_EQ(closed.code, CURLE_PARTIAL_FILE) << curl_easy_strerror(closed.code);
  EXPECT_TRUE(closed.body == blob_.substr(0, 1000));
  // The server itself held the connection open for the stall before closing
  // it: its own clock, from reading the request to closing, covers stall_s.
  // (The sleep is what is under test, so a lower bound on the server's
  // measured time is the honest check; the client's clock is not asked.)
  const FaultServer::Request logged = LoggedRequest("stall_after=1000&stall_s=0.2");
  EXPECT_EQ(logged.bytes_sent, 1000);
  EXPECT_GE(logged.duration, absl::Milliseconds(200));
}

TEST_F(FaultServerTest, ArrivalsAreRecordedBeforeTheAnswer) {
  // The server stalls this answer for 20 s and logs it only after; curl
  // gives up after a second. The arrival is there at once, with no waiting.
  const Response stalled =
      Fetch(server_->Url("/blob?stall_after=1000&stall_s=20"), {.low_speed_seconds = 1});
  EXPECT_EQ(stalled.code, CURLE_OPERATION_TIMEDOUT) << curl_easy_strerror(stalled.code);
  absl::StatusOr<std::vector<FaultServer::Request>> arrivals = server_->ReadArrivals();
  ASSERT_THAT(arrivals, IsOk());
  ASSERT_THAT(*arrivals, SizeIs(1));
  EXPECT_EQ((*arrivals)[0].seq, 1);
  EXPECT_EQ((*arrivals)[0].method, "GET");
  EXPECT_EQ((*arrivals)[0].path, "/blob");
  EXPECT_EQ((*arrivals)[0].query, "stall_after=1000&stall_s=20");
  EXPECT_EQ(StatusOf(server_->Url("/blob?status=204")), 204);
  arrivals = server_->ReadArrivals();
  ASSERT_THAT(arrivals, IsOk());
  ASSERT_THAT(*arrivals, SizeIs(2));
  EXPECT_EQ((*arrivals)[1].seq, 2);
  EXPECT_EQ((*arrivals)[1].query, "status=204");
}

TEST_F(FaultServerTest, EchoesRequestHeaders) {
  const Response r = Fetch(server_->Url("/?echo_headers=1"),
                           {.headers = {"Authorization: Bearer secret-token", "X-Custom: 1"},
                            .user_agent = "hub-test/1.0"});
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_THAT(r.body, AllOf(HasSubstr("\"user-agent\": \"hub-test/1.0\""),
                            HasSubstr("\"authorization\": \"Bearer secret-token\""),
                            HasSubstr("\"x-custom\": \"1\""),
                            HasSubstr(absl::StrCat("\"host\": \"127.0.0.1:", server_->port()))));
  const std::vector<FaultServer::Request> log = Requests(1);
  ASSERT_THAT(log, SizeIs(1));
  EXPECT_EQ(log[0].authorization, "Bearer secret-token");
  EXPECT_EQ(log[0].user_agent, "hub-test/1.0");
  EXPECT_EQ(log[0].bytes_sent, static_cast<int64_t>(r.body.size()));
}

TEST_F(FaultServerTest, LogsHeadersWithCharactersJsonEscapes) {
  const std::string agent = "agent \"quoted\" \\back\\slash\t/";
  EXPECT_EQ(StatusOf(server_->Url("/blob?status=204"), {.user_agent = agent}), 204);
  const std::vector<FaultServer::Request> log = Requests(1);
  ASSERT_THAT(log, SizeIs(1));
  EXPECT_EQ(log[0].user_agent, agent);
  EXPECT_EQ(log[0].status, 204);
}

TEST_F(FaultServerTest, DelaysAndThrottles) {
  Response r = Fetch(server_->Url("/blob?delay_ms=300"));
  EXPECT_EQ(r.code, CURLE_OK);
  r = Fetch(server_->Url("/blob?rate=2000000"));
  EXPECT_EQ(r.code, CURLE_OK);
  EXPECT_TRUE(r.body == blob_);
  // The server's own record, on its own monotonic clock: what is under test
  // is that it slept, so a lower bound on the time it measured itself is the
  // honest check, and no machine is fast enough to make it pass without
  // the sleep. The delay comes before the headers; the throttle spreads the
  // body, so sending it took at least its size over the rate.
  const std::vector<FaultServer::Request> log = Requests(2);
  ASSERT_THAT(log, SizeIs(2));
  EXPECT_GE(log[0].sent, absl::Milliseconds(300));
  EXPECT_GE(log[0].duration, log[0].sent);
  EXPECT_EQ(log[1].bytes_sent, static_cast<int64_t>(kBlobSize));
  EXPECT_GE(log[1].duration - log[1].sent, absl::Seconds(kBlobSize / 2e6));  // 1 MiB at 2 MB/s
}

TEST_F(FaultServerTest, ServesConcurrentClients) {
  constexpr int kClients = 8;
  std::vector<Response> responses(kClients);
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([this, i, &responses] {
      responses[i] = Fetch(server_->Url(absl::StrCat("/blob?rate=4000000&case=", i)));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Response& r : responses) {
    EXPECT_EQ(r.code, CURLE_OK);
    EXPECT_TRUE(r.body == blob_);
  }
}

TEST_F(FaultServerTest, RefusesOtherMethodsAndBadParameters) {
  Response r = Fetch(server_->Url("/blob"), {.method = "DELETE"});
  EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 405);
  for (const char* query : {"status=abc", "status=100", "reset_after=", "stall_s=x"}) {
    r = Fetch(server_->Url(absl::StrCat("/blob?", query)));
    EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 400) << query;
  }
}

TEST(FaultServerTlsTest, ServesOverVerifiedHttpsAndInjectsFaults) {
  HUB_ASSERT_OK_AND_ASSIGN(const std::string root, MakeTempDir("root"));
  const std::string blob = RandomBytes(kBlobSize, 3);
  WriteFile(root + "/blob", blob);
  HUB_ASSERT_OK_AND_ASSIGN(auto server, FaultServer::Start({.root = root, .tls = true}));
  ASSERT_FALSE(server->ca_file().empty());
  EXPECT_TRUE(absl::StartsWith(server->base_url(), "https://127.0.0.1:"));

  // A client that does not trust the certificate fails; the server goes on.
  EXPECT_NE(Fetch(server->Url("/blob"), {.ca_file = "/dev/null"}).code, CURLE_OK);

  const FetchOptions trusted = {.ca_file = server->ca_file()};
  Response r = Fetch(server->Url("/blob"), trusted);
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_TRUE(r.body == blob);
  r = Fetch(server->UrlOnHost("localhost", "/blob"), trusted);
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);

  r = Fetch(server->Url("/blob?reset_after=5000"), trusted);
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_LE(r.body.size(), 5000u);
  r = Fetch(server->Url("/blob?short_by=10"), trusted);
  EXPECT_NE(r.code, CURLE_OK);
  r = Fetch(server->Url("/blob?no_length=1"), trusted);
  EXPECT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_TRUE(r.body == blob);
  r = Fetch(server->Url("/blob"), {.ca_file = server->ca_file(), .range = "100-"});
  EXPECT_EQ(r.status, 206);
  EXPECT_TRUE(r.body == blob.substr(100));

  HUB_ASSERT_OK_AND_ASSIGN(auto log, server->WaitForRequests(6));
  EXPECT_THAT(log, SizeIs(6));  // the refused handshake made no request
  EXPECT_EQ(log[1].host, absl::StrCat("localhost:", server->port()));
  EXPECT_THAT(log[2], Logged(200, 5000));
}

TEST(FaultServerLogTest, ParsesLogLines) {
  HUB_ASSERT_OK_AND_ASSIGN(
      FaultServer::Request r,
      ParseRequestLogLine(
          R"({"seq": 3, "method": "GET", "path": "/a\"b\\c\/\u00e9\ud83d\ude00", "query": "x=1",)"
          R"( "range": null, "status": 206, "bytes_sent": 12345678901, "new": true,)"
          R"( "host": "h\tx", "authorization": null, "user_agent": "ua", "sent_s": 0.25,)"
          R"( "duration_s": 1.5})"));
  EXPECT_EQ(r.seq, 3);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/a\"b\\c/\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_EQ(r.range, "");
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.bytes_sent, 12345678901);
  EXPECT_EQ(r.host, "h\tx");
  EXPECT_EQ(r.authorization, "");
  EXPECT_EQ(r.user_agent, "ua");
  EXPECT_EQ(r.sent, absl::Milliseconds(250));
  EXPECT_EQ(r.duration, absl::Milliseconds(1500));

  for (const char* bad : {"", "{", R"({"a": })", R"({"a": "b)", R"({"a": 1} x)", R"({"a" 1})",
                          R"({"a": "\q"})", R"({"a": "\u12"})", "[]"}) {
    EXPECT_FALSE(ParseRequestLogLine(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseRequestLogLine("{}").ok());
}

TEST(FaultServerLogTest, EscapesQueryValues) {
  EXPECT_EQ(QueryEscape("http://localhost:8/a?b=c&d"),
            "http%3A%2F%2Flocalhost%3A8%2Fa%3Fb%3Dc%26d");
  EXPECT_EQ(QueryEscape("az-AZ_09.~"), "az-AZ_09.~");
}

TEST(FaultServerStartTest, FindsItsScriptAndNeedsARoot) {
  EXPECT_EQ(access(FaultServer::FaultServerPath().c_str(), R_OK), 0)
      << FaultServer::FaultServerPath();
  EXPECT_FALSE(FaultServer::Start({}).ok());
}

}  // namespace
}  // namespace hub::testing
