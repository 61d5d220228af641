// DownloadUrlToFile's rules (resume, restarts, length checks, retries,
// redirects, the token's scope) through FakeHttpTransport: exact, fast, no
// sockets. downloader_test.cc proves the same behaviour over curl against
// loopback servers.
#include <atomic>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/download/downloader.h"
#include "hub/download/fake_http_transport.h"

namespace hub {
namespace {

using ::hub::testing::ListDir;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
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
    options_.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };
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

}  // namespace
}  // namespace hub
