// DownloadUrlToFile against real servers on 127.0.0.1: nginx over HTTPS with
// a certificate made here, and the fault-injecting server for everything
// that goes wrong.
#include "hub/download/downloader.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/download_record.h"
#include "hub/hash/sha256.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/nginx_server.h"

namespace hub {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::ListDir;
using ::hub::testing::ListDirBesidesLocks;
using ::hub::testing::NginxServer;
using ::hub::testing::RandomBytes;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class DownloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TestDir(absl::StrCat("root_", Name()));
    out_ = TestDir(absl::StrCat("out_", Name()));
    data_ = RandomBytes(3 * 1024 * 1024 + 4321, 1);
    WriteTestFile(root_ + "/f.bin", data_);
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    options_.progress = false;
    options_.sleep = [this](absl::Duration d) {
      absl::MutexLock lock(&mu_);
      sleeps_.push_back(d);
    };
  }

  static std::string Name() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::vector<FaultServer::Request> Requests(size_t at_least) {
    absl::StatusOr<std::vector<FaultServer::Request>> r = server_->WaitForRequests(at_least);
    EXPECT_THAT(r.status(), IsOk());
    return r.ok() ? *r : std::vector<FaultServer::Request>();
  }

  std::string root_;
  std::string out_;
  std::string data_;
  std::unique_ptr<FaultServer> server_;
  DownloadOptions options_;
  absl::Mutex mu_;
  std::vector<absl::Duration> sleeps_;
};

TEST_F(DownloaderTest, DownloadsVerifiesAndLeavesOnlyTheFile) {
  options_.hash_prefix = Sha256Hex(data_).substr(0, 10);
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_EQ(r.bytes, static_cast<int64_t>(data_.size()));
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.path, out_ + "/f.bin");
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
  const auto requests = Requests(1);
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].user_agent, "torch.hub");
  EXPECT_EQ(requests[0].authorization, "");
}

TEST_F(DownloaderTest, RespectsTheUmask) {
  for (const mode_t mask : {022, 077}) {
    const mode_t old = ::umask(mask);
    const std::string dst = absl::StrCat(out_, "/f", mask);
    const absl::StatusOr<DownloadResult> r =
        DownloadUrlToFile(server_->Url("/f.bin"), dst, options_);
    ::umask(old);
    ASSERT_THAT(r.status(), IsOk());
    struct stat st {};
    ASSERT_EQ(::stat(dst.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
  }
}

TEST_F(DownloaderTest, ExpandsTildeInDst) {
  const char* old_home = std::getenv("HOME");
  const std::string saved = old_home != nullptr ? old_home : "";
  ::setenv("HOME", out_.c_str(), 1);
  const absl::StatusOr<DownloadResult> r =
      DownloadUrlToFile(server_->Url("/f.bin"), "~/tilde.bin", options_);
  ::setenv("HOME", saved.c_str(), 1);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->path, out_ + "/tilde.bin");
  EXPECT_EQ(ReadTestFile(out_ + "/tilde.bin"), data_);
}

TEST_F(DownloaderTest, WrongHashIsTorchHubsErrorAndDstIsUntouched) {
  WriteTestFile(out_ + "/f.bin", "the old file");
  options_.hash_prefix = "deadbeef";
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_),
              StatusIs(absl::StatusCode::kDataLoss,
                       absl::StrCat("invalid hash value (expected \"deadbeef\", got \"",
                                    Sha256Hex(data_), "\")")));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), "the old file");
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(DownloaderTest, ImpossibleHashIsRefusedBeforeAnyRequest) {
  options_.hash_prefix = "DEADBEEF";
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lowercase hex")));
  HUB_ASSERT_OK_AND_ASSIGN(const auto log, server_->ReadLog());
  EXPECT_THAT(log, IsEmpty());
}

TEST_F(DownloaderTest, BadArgumentsAreClearErrors) {
  EXPECT_THAT(DownloadUrlToFile("ftp://127.0.0.1/f.bin", out_ + "/x", options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not http:// or https://")));
  EXPECT_THAT(DownloadUrlToFile("not a url", out_ + "/x", options_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/missing/x", options_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not exist")));
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_, options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a directory")));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, NotFoundIsNotRetried) {
  WriteTestFile(out_ + "/f.bin", "the old file");
  const absl::StatusOr<DownloadResult> r =
      DownloadUrlToFile(server_->Url("/missing.bin"), out_ + "/f.bin", options_);
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("HTTP Error 404")));
  EXPECT_EQ(HttpStatusOf(r.status()), 404);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), "the old file");
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
  EXPECT_THAT(Requests(1), SizeIs(1));
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(DownloaderTest, ForbiddenAndMultipleChoicesAreNotRetried) {
  const absl::StatusOr<DownloadResult> forbidden =
      DownloadUrlToFile(server_->Url("/f.bin?status=403"), out_ + "/f.bin", options_);
  EXPECT_THAT(forbidden.status(), StatusIs(absl::StatusCode::kPermissionDenied));
  const absl::StatusOr<DownloadResult> ambiguous =
      DownloadUrlToFile(server_->Url("/f.bin?status=300"), out_ + "/f.bin", options_);
  EXPECT_THAT(ambiguous.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("HTTP Error 300")));
  EXPECT_EQ(HttpStatusOf(ambiguous.status()), 300);
  EXPECT_THAT(Requests(2), SizeIs(2));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, ServerErrorsAreRetriedWithGrowingBackoff) {
  options_.initial_backoff = absl::Milliseconds(100);
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?fail_first=3&status=500"), out_ + "/f.bin", options_));
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  ASSERT_THAT(sleeps_, SizeIs(3));
  // 100, 200, 400 ms, each with up to half taken off at random.
  EXPECT_GE(sleeps_[0], absl::Milliseconds(50));
  EXPECT_LE(sleeps_[0], absl::Milliseconds(100));
  EXPECT_GE(sleeps_[2], absl::Milliseconds(200));
  EXPECT_LE(sleeps_[2], absl::Milliseconds(400));
}

TEST_F(DownloaderTest, GivesUpAfterMaxAttempts) {
  options_.max_attempts = 3;
  const absl::StatusOr<DownloadResult> r =
      DownloadUrlToFile(server_->Url("/f.bin?status=503"), out_ + "/f.bin", options_);
  EXPECT_THAT(r.status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("gave up after 3 attempts")));
  EXPECT_EQ(HttpStatusOf(r.status()), 503);
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, TooManyRequestsHonoursRetryAfter) {
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?fail_first=1&status=429&retry_after=7"),
                        out_ + "/f.bin", options_));
  EXPECT_EQ(r.attempts, 2);
  EXPECT_THAT(sleeps_, ElementsAre(absl::Seconds(7)));
}

TEST_F(DownloaderTest, RetryAfterBeyondTheCapIsAnError) {
  options_.max_retry_after = absl::Seconds(10);
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin?status=429&retry_after=3600"), out_ + "/f.bin",
                                options_),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_retry_after")));
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(DownloaderTest, ResetMidBodyResumesWithRange) {
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?reset_after=1000000"), out_ + "/f.bin", options_));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_EQ(r.attempts, 2);
  EXPECT_GT(r.resumed_bytes, 0);
  const auto requests = Requests(2);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[1].range, absl::StrCat("bytes=", r.resumed_bytes, "-"));
  EXPECT_EQ(requests[1].status, 206);
  EXPECT_EQ(requests[0].bytes_sent + requests[1].bytes_sent, static_cast<int64_t>(data_.size()));
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(DownloaderTest, ServerWithoutRangesStartsOver) {
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin?reset_after=1000000&ranges=0"),
                                             out_ + "/f.bin", options_));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_EQ(r.resumed_bytes, 0);
  const auto requests = Requests(2);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[1].status, 200);
}

TEST_F(DownloaderTest, FileChangedBetweenAttemptsStartsOver) {
  const std::string v2 = RandomBytes(size_t{2} << 20, 2);
  WriteTestFile(root_ + "/f.bin.v2", v2);
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?reset_after=1000000&change_after=1"), out_ + "/f.bin",
                        options_));
  // If-Range with the first ETag: the server sends all of the new file.
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), v2);
  EXPECT_EQ(r.sha256, Sha256Hex(v2));
  EXPECT_EQ(r.resumed_bytes, 0);
  const auto requests = Requests(2);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[1].status, 200);
}

TEST_F(DownloaderTest, LockIsHiddenBesideTheFile) {
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_));
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_THAT(ListDir(out_), ElementsAre(".f.bin.lock", "f.bin"));
}

// A transfer killed under an older version, which kept its record in
// "<dst>.lock": resumed, and the old lock file left without a record.
TEST_F(DownloaderTest, ResumesATransferAnOlderVersionLeft) {
  const std::string partial = out_ + "/f.bin.0123456789abcdef0123456789abcdef.partial";
  WriteTestFile(partial, data_.substr(0, 1000000));
  DownloadRecord old;
  old.partial = "f.bin.0123456789abcdef0123456789abcdef.partial";
  old.url = server_->Url("/f.bin");
  old.etag = absl::StrCat("\"", Sha256Hex(data_).substr(0, 16), "\"");
  old.total = static_cast<int64_t>(data_.size());
  WriteTestFile(out_ + "/f.bin.lock", SerializeDownloadRecord(old));
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(old.url, out_ + "/f.bin", options_));
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_EQ(r.resumed_bytes, 1000000);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin.lock"), "");
  EXPECT_THAT(ListDir(out_), ElementsAre(".f.bin.lock", "f.bin", "f.bin.lock"));
}

TEST_F(DownloaderTest, ShortBodyIsNeverInstalled) {
  WriteTestFile(out_ + "/f.bin", "the old file");
  options_.max_attempts = 1;
  const absl::StatusOr<DownloadResult> r =
      DownloadUrlToFile(server_->Url("/f.bin?short_by=1000"), out_ + "/f.bin", options_);
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), "the old file");
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(DownloaderTest, ShortBodyIsCompletedByResuming) {
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?short_by=1000"), out_ + "/f.bin", options_));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  EXPECT_EQ(r.resumed_bytes, static_cast<int64_t>(data_.size()) - 1000);
}

// Resumes answered with well-formed but short 206s (Content-Range and
// Content-Length agree on less than was asked): curl sees complete bodies,
// so only the downloader's own length check keeps a truncated file out.
TEST_F(DownloaderTest, ShortRangeAnswersAreNeverInstalled) {
  WriteTestFile(out_ + "/f.bin", "the old file");
  options_.max_attempts = 3;
  const absl::StatusOr<DownloadResult> r = DownloadUrlToFile(
      server_->Url("/f.bin?reset_after=1000000&range_short_by=500000"), out_ + "/f.bin", options_);
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kDataLoss,
                                   HasSubstr(absl::StrCat(" of ", data_.size(), " bytes"))));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), "the old file");
  const auto requests = Requests(3);
  ASSERT_THAT(requests, SizeIs(3));
  EXPECT_EQ(requests[1].status, 206);
}

TEST_F(DownloaderTest, NoContentLengthAndChunkedBodies) {
  for (const char* query : {"?no_length=1", "?chunked=1"}) {
    HUB_ASSERT_OK_AND_ASSIGN(
        const DownloadResult r,
        DownloadUrlToFile(server_->Url(absl::StrCat("/f.bin", query)), out_ + "/f.bin", options_));
    EXPECT_EQ(r.sha256, Sha256Hex(data_)) << query;
    EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_) << query;
  }
}

TEST_F(DownloaderTest, StalledTransferTimesOutAndIsRetried) {
  options_.stall_timeout = absl::Seconds(1);
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin?stall_after=100000&stall_s=5"),
                                             out_ + "/f.bin", options_));
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
}

TEST_F(DownloaderTest, StalledTransferWithoutRetriesIsDeadlineExceeded) {
  options_.stall_timeout = absl::Seconds(1);
  options_.max_attempts = 1;
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin?stall_after=100000&stall_s=5"),
                                out_ + "/f.bin", options_),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, RedirectsAreFollowedAndTheTokenStaysOnItsHost) {
  options_.github_token = "secret-token";
  options_.token_hosts = {server_->base_url()};
  const std::string target = server_->UrlOnHost("localhost", "/f.bin");
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(
          server_->Url(absl::StrCat("/r?redirect=", hub::testing::QueryEscape(target))),
          out_ + "/f.bin", options_));
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  EXPECT_EQ(r.final_url, target);
  const auto requests = Requests(2);
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_EQ(requests[0].authorization, "token secret-token");
  EXPECT_THAT(requests[1].host, HasSubstr("localhost"));
  EXPECT_EQ(requests[1].authorization, "");
}

TEST_F(DownloaderTest, TokenIsNotSentToOtherHosts) {
  options_.github_token = "secret-token";  // token_hosts: api.github.com only
  ASSERT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_).status(),
              IsOk());
  const auto requests = Requests(1);
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].authorization, "");
}

TEST_F(DownloaderTest, BareTokenHostMeansHttpsOnly) {
  options_.github_token = "secret-token";
  options_.token_hosts = {"127.0.0.1"};  // https://127.0.0.1:443, not this http:// server
  ASSERT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_).status(),
              IsOk());
  const auto requests = Requests(1);
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].authorization, "");
}

// Another server on 127.0.0.1 (another port), over HTTP or HTTPS, that
// `server_` redirects to: even with both origins in token_hosts, the token
// stays on the origin the download started at.
TEST_F(DownloaderTest, TokenIsNotSentAcrossARedirectToAnotherPortOrScheme) {
  for (const int tls : {0, 1}) {
    SCOPED_TRACE(tls == 1 ? "to https://" : "to http://");
    const std::string other_root = TestDir(absl::StrCat("other_", Name(), tls));
    WriteTestFile(other_root + "/f.bin", data_);
    HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<FaultServer> other,
                             FaultServer::Start({.root = other_root, .tls = tls == 1}));
    DownloadOptions options = options_;
    options.ca_file = other->ca_file();
    options.github_token = "secret-token";
    options.token_hosts = {server_->base_url(), other->base_url(), "127.0.0.1"};
    const std::string start = server_->Url(absl::StrCat(
        "/r?tls=", tls, "&redirect=", hub::testing::QueryEscape(other->Url("/f.bin"))));
    HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                             DownloadUrlToFile(start, absl::StrCat(out_, "/f", tls), options));
    EXPECT_EQ(r.final_url, other->Url("/f.bin"));
    EXPECT_EQ(ReadTestFile(absl::StrCat(out_, "/f", tls)), data_);
    bool saw_start = false;
    for (const FaultServer::Request& request : Requests(static_cast<size_t>(tls) + 1)) {
      if (request.query == absl::StrCat("tls=", tls, "&redirect=",
                                        hub::testing::QueryEscape(other->Url("/f.bin")))) {
        saw_start = true;
        EXPECT_EQ(request.authorization, "token secret-token");
      }
    }
    EXPECT_TRUE(saw_start);
    HUB_ASSERT_OK_AND_ASSIGN(const auto at_other, other->WaitForRequests(1));
    ASSERT_THAT(at_other, SizeIs(1));
    EXPECT_EQ(at_other[0].authorization, "");
  }
}

TEST_F(DownloaderTest, RedirectLoopIsAnError) {
  options_.max_redirects = 5;
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin?redirect_loop=1"), out_ + "/f.bin", options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("too many redirects (more than 5)")));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, SizeLimit) {
  options_.max_bytes = 1000;
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_bytes")));
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin?no_length=1"), out_ + "/f.bin", options_),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_bytes")));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, KeepReturnsAnExistingFileWithoutARequest) {
  WriteTestFile(out_ + "/f.bin", "cached");
  options_.if_exists = DownloadOptions::IfExists::kKeep;
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_));
  EXPECT_TRUE(r.reused);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), "cached");
  HUB_ASSERT_OK_AND_ASSIGN(const auto log, server_->ReadLog());
  EXPECT_THAT(log, IsEmpty());
}

TEST_F(DownloaderTest, KeepReplacesAnExistingFileThatFailsTheHash) {
  WriteTestFile(out_ + "/f.bin", "corrupt");
  options_.if_exists = DownloadOptions::IfExists::kKeep;
  options_.hash_prefix = Sha256Hex(data_).substr(0, 8);
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_));
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
}

TEST_F(DownloaderTest, CancelStopsAndCleansUp) {
  std::atomic<bool> cancel{false};
  options_.cancel = &cancel;
  // The server sends 1000 bytes and then stalls for a minute: the transfer
  // is cancelled once the server has the request, so mid-transfer for
  // certain, however fast or slow this machine is. (Not "once the bytes are
  // in the partial file": the sink writes in 1 MiB pieces.)
  std::thread canceller([&] {
    while (true) {
      absl::StatusOr<std::vector<FaultServer::Request>> arrived = server_->ReadArrivals();
      if (arrived.ok() && !arrived->empty()) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
    cancel = true;
  });
  const absl::StatusOr<DownloadResult> r = DownloadUrlToFile(
      server_->Url("/f.bin?stall_after=1000&stall_s=60"), out_ + "/f.bin", options_);
  canceller.join();
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("not touched")));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

TEST_F(DownloaderTest, ConcurrentDownloadsOfOneDstMakeOneTransfer) {
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<DownloadResult>> results(kThreads);
  std::vector<std::thread> threads;
  const std::string url = server_->Url("/f.bin?rate=4000000");
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = DownloadUrlToFile(url, out_ + "/f.bin", options_); });
  }
  for (std::thread& t : threads) t.join();
  int transfers = 0;
  for (const auto& r : results) {
    ASSERT_THAT(r.status(), IsOk());
    if (!r->reused) ++transfers;
  }
  EXPECT_EQ(transfers, 1);
  EXPECT_EQ(ReadTestFile(out_ + "/f.bin"), data_);
  HUB_ASSERT_OK_AND_ASSIGN(const auto log, server_->WaitForRequests(1));
  EXPECT_THAT(log, SizeIs(1));
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(DownloaderTest, ProgressLinesWhenNotATerminal) {
  std::ostringstream progress;
  options_.progress = true;
  options_.progress_stream = &progress;
  options_.progress_is_terminal = false;
  ASSERT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_).status(),
              IsOk());
  EXPECT_THAT(progress.str(), HasSubstr("f.bin"));
  EXPECT_THAT(progress.str(), Not(HasSubstr("\r")));
}

TEST_F(DownloaderTest, ProgressBarOnATerminal) {
  std::ostringstream progress;
  options_.progress = true;
  options_.progress_stream = &progress;
  options_.progress_is_terminal = true;
  ASSERT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), out_ + "/f.bin", options_).status(),
              IsOk());
  EXPECT_THAT(progress.str(), HasSubstr("\r"));
  EXPECT_THAT(progress.str(), HasSubstr("100%"));
}

// nginx over HTTPS, with a certificate made for this test.
class DownloaderTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TestDir("tls_root");
    out_ = TestDir("tls_out");
    data_ = RandomBytes(1024 * 1024 + 7, 3);
    WriteTestFile(root_ + "/w.pth", data_);
    absl::StatusOr<std::unique_ptr<NginxServer>> server = NginxServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    options_.progress = false;
  }
  std::string root_, out_, data_;
  std::unique_ptr<NginxServer> server_;
  DownloadOptions options_;
};

TEST_F(DownloaderTlsTest, VerifiesTheServerWithTheGivenCa) {
  options_.ca_file = server_->ca_file();
  options_.hash_prefix = Sha256Hex(data_).substr(0, 8);
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/w.pth"), out_ + "/w.pth", options_));
  EXPECT_EQ(ReadTestFile(out_ + "/w.pth"), data_);
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
}

TEST_F(DownloaderTlsTest, HonoursSslCertFile) {
  ::setenv("SSL_CERT_FILE", server_->ca_file().c_str(), 1);
  const absl::StatusOr<DownloadResult> r =
      DownloadUrlToFile(server_->Url("/w.pth"), out_ + "/w.pth", options_);
  ::unsetenv("SSL_CERT_FILE");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadTestFile(out_ + "/w.pth"), data_);
}

// nginx over HTTPS answering 301, 302, 307 and 308 with a plain http://
// URL on loopback that would serve the file: refused before the http://
// server is asked for anything, and nothing is written.
TEST_F(DownloaderTlsTest, RedirectFromHttpsToHttpIsRefusedAndWritesNothing) {
  HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<FaultServer> plain, FaultServer::Start({.root = root_}));
  const std::string target = plain->Url("/w.pth");
  std::string locations;
  for (const int code : {301, 302, 307, 308}) {
    absl::StrAppend(&locations, "location = /moved", code, ".pth { return ", code, " ", target,
                    "; } ");
  }
  HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<NginxServer> redirecting,
                           NginxServer::Start({.root = root_, .extra_server_config = locations}));
  options_.ca_file = redirecting->ca_file();
  for (const int code : {301, 302, 307, 308}) {
    const std::string url = redirecting->Url(absl::StrCat("/moved", code, ".pth"));
    const absl::StatusOr<DownloadResult> r = DownloadUrlToFile(url, out_ + "/w.pth", options_);
    EXPECT_THAT(r.status(),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr(absl::StrCat("redirect from ", url, " to ", target)),
                               HasSubstr("plain HTTP"))))
        << code;
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("attempts")));
    EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
  }
  HUB_ASSERT_OK_AND_ASSIGN(const auto at_plain, plain->ReadLog());
  EXPECT_THAT(at_plain, IsEmpty());
}

TEST_F(DownloaderTlsTest, UntrustedCertificateIsRefusedAndNotRetried) {
  const absl::StatusOr<DownloadResult> r =
      DownloadUrlToFile(server_->Url("/w.pth"), out_ + "/w.pth", options_);
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("attempts")));
  EXPECT_THAT(ListDirBesidesLocks(out_), IsEmpty());
}

}  // namespace
}  // namespace hub
