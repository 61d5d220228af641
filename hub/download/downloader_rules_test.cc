// DownloadUrlToFile's rules (resume, restarts, length checks, retries,
// redirects, the token's scope) through FakeHttpTransport: exact, fast, no
// sockets. downloader_test.cc proves the same behaviour over curl against
// loopback servers.
#include <atomic>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/download_record.h"
#include "hub/download/downloader.h"
#include "hub/download/fake_http_transport.h"
#include "hub/hash/sha256.h"

namespace hub {
namespace {

using ::hub::testing::ListDir;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kUrl[] = "https://files.example/f.bin";

using Response = FakeHttpTransport::Response;

// The first try: "hello" of "helloworld", then the connection resets.
Response ResetAfterHello(const std::string& etag = "\"v1\"") {
  return {.status = 200,
          .headers = {"Content-Length: 10", absl::StrCat("ETag: ", etag)},
          .body = {"hello", "world"},
          .reset_after_chunks = 1};
}

class DownloaderRulesTest : public ::testing::Test {
 protected:
  DownloaderRulesTest() {
    dir_ = TestDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    dst_ = dir_ + "/f.bin";
    options_.transport = &fake_;
    options_.progress = false;
    options_.sleep = [this](absl::Duration d) {
      const std::lock_guard<std::mutex> lock(sleeps_mu_);  // ranges sleep in parallel
      sleeps_.push_back(d);
    };
  }

  absl::StatusOr<DownloadResult> Download(const std::string& url = kUrl) {
    return DownloadUrlToFile(url, dst_, options_);
  }

  // The headers each request carried, in order.
  std::vector<std::vector<std::string>> Headers() const {
    std::vector<std::vector<std::string>> headers;
    for (const HttpRequest& r : fake_.requests()) headers.push_back(r.headers);
    return headers;
  }

  // Everything in the directory but the lock file.
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const std::string& n : ListDir(dir_)) {
      if (n != ".f.bin.lock") names.push_back(n);
    }
    return names;
  }

  std::string dir_;
  std::string dst_;
  FakeHttpTransport fake_;
  DownloadOptions options_;
  std::mutex sleeps_mu_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(DownloaderRulesTest, ResumesAfterResetWithRangeAndAppends) {
  fake_.Add(kUrl, ResetAfterHello());
  fake_.Add(kUrl, {.status = 206,
                   .headers = {"Content-Range: bytes 5-9/10", "Content-Length: 5", "ETag: \"v1\""},
                   .body = {"world"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), "helloworld");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.resumed_bytes, 5);
  EXPECT_EQ(r.bytes, 10);
  const auto headers = Headers();
  ASSERT_THAT(headers, SizeIs(2));
  EXPECT_THAT(headers[0], Not(Contains(StartsWith("Range:"))));
  EXPECT_THAT(headers[1], Contains("Range: bytes=5-"));
  EXPECT_THAT(headers[1], Contains("If-Range: \"v1\""));
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
}

TEST_F(DownloaderRulesTest, AFullAnswerToARangeRequestStartsOver) {
  fake_.Add(kUrl, ResetAfterHello());
  fake_.Add(kUrl, {.status = 200,
                   .headers = {"Content-Length: 10", "ETag: \"v1\""},
                   .body = {"hel", "lowo", "rld"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), "helloworld");
  EXPECT_EQ(r.resumed_bytes, 0);
  EXPECT_THAT(Headers()[1], Contains("Range: bytes=5-"));
}

// Content-Range promises bytes 5-9 of 10, and only three of them come.
Response ShortRangeAnswer() {
  return {
      .status = 206, .headers = {"Content-Range: bytes 5-9/10", "ETag: \"v1\""}, .body = {"wor"}};
}

TEST_F(DownloaderRulesTest, AShortRangeAnswerIsNeverInstalled) {
  std::ofstream(dst_) << "the old file";
  options_.max_attempts = 2;
  fake_.Add(kUrl, ResetAfterHello());
  fake_.Add(kUrl, ShortRangeAnswer());
  EXPECT_THAT(Download(), StatusIs(absl::StatusCode::kDataLoss,
                                   AllOf(HasSubstr("the server sent 8 of 10 bytes"),
                                         HasSubstr("gave up after 2 attempts"))));
  EXPECT_EQ(ReadTestFile(dst_), "the old file");
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
}

TEST_F(DownloaderRulesTest, AShortRangeAnswerIsRetriedFromWhereItEnded) {
  fake_.Add(kUrl, ResetAfterHello());
  fake_.Add(kUrl, ShortRangeAnswer());
  fake_.Add(
      kUrl,
      {.status = 206, .headers = {"Content-Range: bytes 8-9/10", "ETag: \"v1\""}, .body = {"ld"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), "helloworld");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_THAT(Headers()[2], Contains("Range: bytes=8-"));
}

TEST_F(DownloaderRulesTest, ARangeAnswerForOtherBytesStartsOver) {
  fake_.Add(kUrl, ResetAfterHello());
  fake_.Add(kUrl, {.status = 206,
                   .headers = {"Content-Range: bytes 0-9/10", "ETag: \"v1\""},
                   .body = {"helloworld"}});
  fake_.Add(kUrl, {.status = 200, .headers = {"ETag: \"v1\""}, .body = {"helloworld"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), "helloworld");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_THAT(Headers()[2], Not(Contains(StartsWith("Range:"))));
}

TEST_F(DownloaderRulesTest, AChangedETagOnResumeStartsOver) {
  fake_.Add(kUrl, ResetAfterHello("\"v1\""));
  fake_.Add(kUrl, {.status = 206,
                   .headers = {"Content-Range: bytes 5-9/10", "ETag: \"v2\""},
                   .body = {"WORLD"}});
  fake_.Add(kUrl, {.status = 200, .headers = {"ETag: \"v2\""}, .body = {"HELLOWORLD"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), "HELLOWORLD");
  EXPECT_EQ(r.resumed_bytes, 0);
  const auto headers = Headers();
  ASSERT_THAT(headers, SizeIs(3));
  EXPECT_THAT(headers[1], Contains("If-Range: \"v1\""));
  EXPECT_THAT(headers[2], Not(Contains(StartsWith("Range:"))));
}

TEST_F(DownloaderRulesTest, WithoutAValidatorAResetStartsOver) {
  fake_.Add(kUrl, {.status = 200,
                   .headers = {"Content-Length: 10"},
                   .body = {"hello", "world"},
                   .reset_after_chunks = 1});
  fake_.Add(kUrl, {.status = 200, .headers = {"Content-Length: 10"}, .body = {"helloworld"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), "helloworld");
  EXPECT_EQ(r.resumed_bytes, 0);
  EXPECT_THAT(Headers()[1], Not(Contains(StartsWith("Range:"))));
}

TEST_F(DownloaderRulesTest, RetriesStopAfterMaxAttemptsWithAClearError) {
  options_.max_attempts = 3;
  fake_.Add(kUrl, {.status = 503, .reason = "Service Unavailable"});
  EXPECT_THAT(Download(),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("HTTP Error 503"), HasSubstr("gave up after 3 attempts"))));
  EXPECT_THAT(fake_.requests(), SizeIs(3));
  EXPECT_THAT(sleeps_, SizeIs(2));
  EXPECT_THAT(Files(), ElementsAre());
}

TEST_F(DownloaderRulesTest, ServerErrorsAndResetsAreRetried) {
  fake_.Add(kUrl, {.status = 500, .reason = "Internal Server Error"});
  fake_.Add(kUrl, {.status = 502, .reason = "Bad Gateway"});
  fake_.Add(kUrl, {.status = 200, .body = {"abc"}, .reset_after_chunks = 0});
  fake_.Add(kUrl, {.status = 200, .body = {"abc"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(ReadTestFile(dst_), "abc");
}

TEST_F(DownloaderRulesTest, ClientErrorsAreNotRetried) {
  for (const auto& [status, code] : std::vector<std::pair<int, absl::StatusCode>>{
           {404, absl::StatusCode::kNotFound},
           {403, absl::StatusCode::kPermissionDenied},
           {400, absl::StatusCode::kFailedPrecondition}}) {
    FakeHttpTransport fake;
    fake.Add(kUrl, {.status = status, .reason = "No"});
    fake.Add(kUrl, {.status = 200, .body = {"abc"}});
    options_.transport = &fake;
    EXPECT_THAT(Download(), StatusIs(code, HasSubstr(absl::StrCat("HTTP Error ", status))))
        << status;
    EXPECT_THAT(fake.requests(), SizeIs(1)) << status;
  }
  EXPECT_THAT(sleeps_, ElementsAre());
  EXPECT_THAT(Files(), ElementsAre());
}

TEST_F(DownloaderRulesTest, ARedirectToAnotherOriginDropsTheToken) {
  options_.github_token = "secret";
  options_.token_hosts = {"https://api.github.com"};
  const std::string url = "https://api.github.com/repos/o/r/zipball/main";
  const std::string same_origin = "https://api.github.com/o/r/main.zip";
  const std::string other_origin = "https://codeload.github.com/o/r/main.zip";
  fake_.Add(url, {.status = 302, .reason = "Found", .location = same_origin});
  fake_.Add(same_origin, {.status = 302, .reason = "Found", .location = other_origin});
  fake_.Add(other_origin, {.status = 200, .body = {"zip"}});
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download(url));
  EXPECT_EQ(r.final_url, other_origin);
  EXPECT_EQ(ReadTestFile(dst_), "zip");
  const auto headers = Headers();
  ASSERT_THAT(headers, SizeIs(3));
  EXPECT_THAT(headers[0], Contains("Authorization: token secret"));
  EXPECT_THAT(headers[1], Contains("Authorization: token secret"));
  EXPECT_THAT(headers[2], Not(Contains(StartsWith("Authorization:"))));
}

TEST_F(DownloaderRulesTest, ARedirectFromHttpsToHttpIsRefused) {
  const std::string plain = "http://files.example/f.bin";
  fake_.Add(kUrl, {.status = 301, .reason = "Moved", .location = plain});
  fake_.Add(plain, {.status = 200, .body = {"abc"}});
  EXPECT_THAT(Download(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("redirect from ", kUrl, " to ", plain)),
                             Not(HasSubstr("attempts")))));
  ASSERT_THAT(fake_.requests(), SizeIs(1));
  EXPECT_EQ(fake_.requests()[0].url, kUrl);
  EXPECT_THAT(Files(), ElementsAre());
}

TEST_F(DownloaderRulesTest, ARedirectWithoutLocationIsAnError) {
  fake_.Add(kUrl, {.status = 302, .reason = "Found"});
  EXPECT_THAT(Download(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("redirect without a Location header")));
  EXPECT_THAT(fake_.requests(), SizeIs(1));
}

TEST_F(DownloaderRulesTest, CancellingStopsTheTransferAndLeavesNoFile) {
  std::atomic<bool> cancel{false};
  options_.cancel = &cancel;
  fake_.Add(kUrl, {.status = 200, .body = {"hello", "world"}, .reset_after_chunks = 1});
  fake_.Add(kUrl, {.status = 200, .body = {"hello", "world"}});
  // Cancelled while waiting to retry: the next attempt, which would succeed,
  // stops at its first chunk.
  options_.sleep = [&cancel](absl::Duration) { cancel = true; };
  options_.max_attempts = 5;
  EXPECT_THAT(Download(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("not touched")));
  EXPECT_THAT(fake_.requests(), SizeIs(2));
  EXPECT_THAT(Files(), ElementsAre());
}

TEST_F(DownloaderRulesTest, ABodyLongerThanMaxBytesStopsTheTransfer) {
  options_.max_bytes = 4;
  fake_.Add(kUrl, {.status = 200, .body = {"abc", "def"}});
  EXPECT_THAT(Download(), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_bytes")));
  EXPECT_THAT(fake_.requests(), SizeIs(1));
  EXPECT_THAT(Files(), ElementsAre());
}

// ---------------------------------------------------------------------------
// Parallel ranges: the first answer decides; ranges are checked against it.

// 64 KiB that differ everywhere, so a byte in the wrong place shows.
std::string Content(char salt = 0) {
  std::string s(size_t{64} * 1024, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 7 + (i >> 8)) ^ salt);
  return s;
}

std::string RangeOf(const HttpRequest& r) {
  for (const std::string& h : r.headers) {
    if (absl::StartsWith(h, "Range: ")) return h;
  }
  return "";
}

// How a file server holding `content` (ETag `etag`) that honours Range and
// If-Range answers `r`.
FakeHttpTransport::Response ServeFile(const std::string& content, const std::string& etag,
                                      const HttpRequest& r) {
  HttpRequest request = r;
  for (const std::string& h : r.headers) {
    if (absl::StartsWith(h, "If-Range: ") && h != absl::StrCat("If-Range: ", etag)) {
      request.headers.clear();  // another file: the whole of this one
    }
  }
  return FakeHttpTransport::RangeAnswer(content, request, {absl::StrCat("ETag: ", etag)});
}

FakeHttpTransport::Responder Serve(std::string content, std::string etag = "\"v1\"") {
  return [content = std::move(content), etag = std::move(etag)](const HttpRequest& r) {
    return ServeFile(content, etag, r);
  };
}

class ParallelRulesTest : public DownloaderRulesTest {
 protected:
  ParallelRulesTest() {
    options_.connections = 4;
    options_.range_bytes = int64_t{8} * 1024;
  }

  std::vector<std::string> Ranges() const {
    std::vector<std::string> ranges;
    for (const HttpRequest& r : fake_.requests()) ranges.push_back(RangeOf(r));
    return ranges;
  }
};

TEST_F(ParallelRulesTest, ALargeFileFromARangeServerComesOverSeveralConnections) {
  const std::string content = Content();
  fake_.SetResponder(kUrl, Serve(content));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.sha256, Sha256Hex(content));
  EXPECT_EQ(r.bytes, 65536);
  EXPECT_EQ(r.connections, 4);
  EXPECT_EQ(r.attempts, 9);  // the first GET, then 8 ranges
  const std::vector<std::string> ranges = Ranges();
  ASSERT_THAT(ranges, SizeIs(9));
  EXPECT_EQ(ranges[0], "");
  EXPECT_THAT(ranges, Contains("Range: bytes=0-8191"));
  EXPECT_THAT(ranges, Contains("Range: bytes=57344-65535"));
  for (size_t i = 1; i < ranges.size(); ++i) {
    EXPECT_THAT(fake_.requests()[i].headers, Contains("If-Range: \"v1\""));
  }
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
  EXPECT_EQ(ReadTestFile(dir_ + "/.f.bin.lock"), "");
}

TEST_F(ParallelRulesTest, ProgressShowsTheTotalAndTheConnections) {
  std::ostringstream progress;
  options_.progress = true;
  options_.progress_stream = &progress;
  options_.progress_is_terminal = false;
  fake_.SetResponder(kUrl, Serve(Content()));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_THAT(progress.str(), HasSubstr("f.bin (4 connections): done, 64.0KiB"));
}

TEST_F(ParallelRulesTest, OneConnectionIsOneStream) {
  options_.connections = 1;
  fake_.SetResponder(kUrl, Serve(Content()));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), Content());
  EXPECT_EQ(r.connections, 1);
  EXPECT_THAT(Ranges(), ElementsAre(""));
}

TEST_F(ParallelRulesTest, ASmallFileIsOneStreamUnlessConnectionsAreAskedFor) {
  options_.connections = 0;  // chosen from the size: one below 16 MiB
  options_.range_bytes = 0;
  fake_.SetResponder(kUrl, Serve(Content()));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(r.connections, 1);
  EXPECT_THAT(Ranges(), ElementsAre(""));
}

TEST_F(ParallelRulesTest, WithoutAcceptRangesOrAValidatorItIsOneStream) {
  const std::string content = Content();
  fake_.Add(
      kUrl,
      {.status = 200, .headers = {"Content-Length: 65536", "ETag: \"v1\""}, .body = {content}});
  HUB_ASSERT_OK_AND_ASSIGN(DownloadResult r, Download());
  EXPECT_EQ(r.connections, 1);
  EXPECT_EQ(ReadTestFile(dst_), content);

  FakeHttpTransport no_validator;
  options_.transport = &no_validator;
  no_validator.Add(kUrl, {.status = 200,
                          .headers = {"Content-Length: 65536", "Accept-Ranges: bytes"},
                          .body = {content}});
  HUB_ASSERT_OK_AND_ASSIGN(r, Download());
  EXPECT_EQ(r.connections, 1);
  EXPECT_THAT(no_validator.requests(), SizeIs(1));
}

TEST_F(ParallelRulesTest, AServerThatStopsHonouringRangesGetsOneStreamFromTheStart) {
  const std::string content = Content();
  int served = 0;
  fake_.SetResponder(kUrl, [&](const HttpRequest& r) {
    HttpRequest request = r;
    if (++served > 3) request.headers.clear();  // from the third range on: 200
    return ServeFile(content, "\"v1\"", request);
  });
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.sha256, Sha256Hex(content));
  EXPECT_EQ(r.connections, 1);
  EXPECT_EQ(Ranges().back(), "");  // one stream, from byte 0
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
}

TEST_F(ParallelRulesTest, ARangeForOtherBytesGetsOneStreamFromTheStart) {
  const std::string content = Content();
  int served = 0;
  fake_.SetResponder(kUrl, [&](const HttpRequest& r) {
    FakeHttpTransport::Response response = ServeFile(content, "\"v1\"", r);
    if (++served == 3) {
      for (std::string& h : response.headers) {
        if (absl::StartsWith(h, "Content-Range:")) h = "Content-Range: bytes 0-8191/65536";
      }
    }
    return response;
  });
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.connections, 1);
}

TEST_F(ParallelRulesTest, AFileThatChangesBetweenRangesStartsOver) {
  const std::string v1 = Content(1);
  const std::string v2 = Content(2);
  int served = 0;
  fake_.SetResponder(kUrl, [&](const HttpRequest& r) {
    return ++served <= 4 ? ServeFile(v1, "\"v1\"", r) : ServeFile(v2, "\"v2\"", r);
  });
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), v2);
  EXPECT_EQ(r.sha256, Sha256Hex(v2));
  EXPECT_THAT(sleeps_, SizeIs(1));  // one back-off before starting over
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
}

TEST_F(ParallelRulesTest, AResetRangeIsRetriedFromWhereItStopped) {
  const std::string content = Content();
  bool reset = false;
  fake_.SetResponder(kUrl, [&](const HttpRequest& r) {
    FakeHttpTransport::Response response = ServeFile(content, "\"v1\"", r);
    if (RangeOf(r) == "Range: bytes=16384-24575" && !reset) {
      reset = true;
      response.reset_after_chunks = 1;  // 4 KiB, then a reset
    }
    return response;
  });
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.connections, 4);
  EXPECT_THAT(Ranges(), Contains("Range: bytes=20480-24575"));
  EXPECT_THAT(sleeps_, SizeIs(1));
}

TEST_F(ParallelRulesTest, ARangeThatKeepsFailingFailsTheDownloadAndLeavesNothing) {
  const std::string content = Content();
  options_.max_attempts = 2;
  fake_.SetResponder(kUrl, [&](const HttpRequest& r) {
    if (RangeOf(r) == "Range: bytes=16384-24575") {
      return FakeHttpTransport::Response{.status = 503, .reason = "Service Unavailable"};
    }
    return ServeFile(content, "\"v1\"", r);
  });
  EXPECT_THAT(Download(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("503")));
  EXPECT_THAT(Files(), ElementsAre());
}

TEST_F(ParallelRulesTest, RangesGoToWhereTheRedirectLed) {
  const std::string content = Content();
  const std::string there = "https://cdn.example/f.bin";
  fake_.Add(kUrl, {.status = 302, .location = there});
  fake_.SetResponder(there, Serve(content));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.final_url, there);
  const std::vector<HttpRequest> requests = fake_.requests();
  ASSERT_THAT(requests, SizeIs(10));
  EXPECT_EQ(requests[0].url, kUrl);
  for (size_t i = 1; i < requests.size(); ++i) EXPECT_EQ(requests[i].url, there);
}

TEST_F(ParallelRulesTest, TheTokenGoesWithRangesOnlyWhereItMay) {
  const std::string content = Content();
  options_.github_token = "secret";
  options_.token_hosts = {"https://files.example"};
  fake_.SetResponder(kUrl, Serve(content));
  HUB_ASSERT_OK_AND_ASSIGN(DownloadResult r, Download());
  for (const HttpRequest& request : fake_.requests()) {
    EXPECT_THAT(request.headers, Contains("Authorization: token secret")) << RangeOf(request);
  }

  // Redirected to another origin: the ranges go there, without it.
  FakeHttpTransport redirected;
  options_.transport = &redirected;
  const std::string there = "https://cdn.example/f.bin";
  redirected.Add(kUrl, {.status = 302, .location = there});
  redirected.SetResponder(there, Serve(content));
  HUB_ASSERT_OK_AND_ASSIGN(r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  const std::vector<HttpRequest> requests = redirected.requests();
  ASSERT_THAT(requests, SizeIs(10));
  EXPECT_THAT(requests[0].headers, Contains("Authorization: token secret"));
  for (size_t i = 1; i < requests.size(); ++i) {
    EXPECT_THAT(requests[i].headers, Not(Contains(StartsWith("Authorization:"))));
  }
}

TEST_F(ParallelRulesTest, CancellingStopsEveryRangeAndLeavesNothing) {
  std::atomic<bool> cancel{false};
  options_.cancel = &cancel;
  const std::string content = Content();
  int served = 0;
  fake_.SetResponder(kUrl, [&](const HttpRequest& r) {
    if (++served == 4) cancel = true;  // while the third range is asked for
    return ServeFile(content, "\"v1\"", r);
  });
  EXPECT_THAT(Download(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("not touched")));
  EXPECT_THAT(fake_.requests().size(), ::testing::Lt(9u));  // not every range
  EXPECT_THAT(Files(), ElementsAre());
  EXPECT_EQ(ReadTestFile(dir_ + "/.f.bin.lock"), "");
}

// What a killed parallel transfer leaves: its temp file with two spans
// written (and junk between them), and the record that lists them.
class ParallelResumeTest : public ParallelRulesTest {
 protected:
  void LeaveKilledTransfer(const std::string& content) {
    const std::string partial = "f.bin.0123456789abcdef0123456789abcdef.partial";
    std::string file = content.substr(0, 40960);
    for (size_t i = 16384; i < 32768; ++i) file[i] = 'x';  // never written
    WriteTestFile(dir_ + "/" + partial, file);
    DownloadRecord record;
    record.partial = partial;
    record.url = kUrl;
    record.etag = "\"v1\"";
    record.total = static_cast<int64_t>(content.size());
    record.ranged = true;
    record.ranges = {{0, 16384}, {32768, 40960}};
    WriteTestFile(dir_ + "/.f.bin.lock", SerializeDownloadRecord(record));
  }
};

TEST_F(ParallelResumeTest, OnlyTheMissingRangesAreFetched) {
  const std::string content = Content();
  LeaveKilledTransfer(content);
  fake_.SetResponder(kUrl, Serve(content));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.sha256, Sha256Hex(content));
  EXPECT_EQ(r.resumed_bytes, 16384 + 8192);
  const std::vector<std::string> ranges = Ranges();
  EXPECT_EQ(ranges[0], "Range: bytes=16384-");  // the first request resumes the prefix
  EXPECT_THAT(ranges, Not(Contains(StartsWith("Range: bytes=0-"))));
  EXPECT_THAT(ranges, Not(Contains("Range: bytes=32768-40959")));
  EXPECT_THAT(ranges, Contains("Range: bytes=16384-24575"));
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
}

TEST_F(ParallelResumeTest, OneStreamResumesAtTheFirstGap) {
  const std::string content = Content();
  LeaveKilledTransfer(content);
  options_.connections = 1;
  fake_.SetResponder(kUrl, Serve(content));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), content);
  EXPECT_EQ(r.resumed_bytes, 16384);
  EXPECT_THAT(Ranges(), ElementsAre("Range: bytes=16384-"));
}

TEST_F(ParallelResumeTest, AChangedFileKeepsNothing) {
  LeaveKilledTransfer(Content(1));
  const std::string v2 = Content(2);
  fake_.SetResponder(kUrl, Serve(v2, "\"v2\""));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, Download());
  EXPECT_EQ(ReadTestFile(dst_), v2);
  EXPECT_EQ(r.resumed_bytes, 0);
  EXPECT_THAT(Files(), ElementsAre("f.bin"));
}

}  // namespace
}  // namespace hub
