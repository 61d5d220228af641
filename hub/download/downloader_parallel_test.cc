// Parallel ranges against real servers on 127.0.0.1, one fault at a time:
// a range reset, a range stalled, a server that stops honouring ranges
// half-way, a file that changes between ranges, a process killed (-9) and
// its download resumed, eight processes on one destination. Each ends in
// the right bytes or a clear error, never a wrong file, never a leftover.
// The rules themselves are in downloader_rules_test.cc (FakeHttpTransport).
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/download_record.h"
#include "hub/download/downloader.h"
#include "hub/hash/sha256.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/nginx_server.h"

namespace hub {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::ListDirBesidesLocks;
using ::hub::testing::NginxServer;
using ::hub::testing::RandomBytes;
using ::hub::testing::ReadTestFile;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr int64_t kRangeBytes = int64_t{256} * 1024;

class ParallelDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = TestDir(absl::StrCat("root_", name));
    out_ = TestDir(absl::StrCat("out_", name));
    dst_ = out_ + "/f.bin";
    data_ = RandomBytes(3 * 1024 * 1024 + 4321, 1);  // 13 ranges, the last short
    WriteTestFile(root_ + "/f.bin", data_);
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    options_.progress = false;
    options_.connections = 4;
    options_.range_bytes = kRangeBytes;
    options_.sleep = [this](absl::Duration) {
      const std::lock_guard<std::mutex> lock(mu_);
      ++sleeps_;
    };
  }

  // The server's log of every request answered, in order of arrival.
  std::vector<FaultServer::Request> Log() {
    absl::StatusOr<std::vector<FaultServer::Request>> arrived = server_->ReadArrivals();
    EXPECT_THAT(arrived.status(), IsOk());
    if (!arrived.ok()) return {};
    absl::StatusOr<std::vector<FaultServer::Request>> log =
        server_->WaitForRequests(arrived->size());
    EXPECT_THAT(log.status(), IsOk());
    return log.ok() ? *std::move(log) : std::vector<FaultServer::Request>();
  }

  // The Range header of every request the server answered.
  std::vector<std::string> Ranges() {
    std::vector<std::string> ranges;
    for (const FaultServer::Request& r : Log()) ranges.push_back(r.range);
    return ranges;
  }

  std::string root_;
  std::string out_;
  std::string dst_;
  std::string data_;
  std::unique_ptr<FaultServer> server_;
  DownloadOptions options_;
  std::mutex mu_;
  int sleeps_ = 0;
};

TEST_F(ParallelDownloadTest, RangesMakeTheRightFile) {
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin"), dst_, options_));
  EXPECT_EQ(r.connections, 4);
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_TRUE(ReadTestFile(dst_) == data_);
  const std::vector<std::string> ranges = Ranges();
  EXPECT_THAT(ranges, SizeIs(14));  // the first GET, then 13 ranges
  EXPECT_THAT(ranges, Contains("bytes=0-262143"));
  EXPECT_THAT(ranges, Contains("bytes=3145728-3150048"));
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
  EXPECT_EQ(ReadTestFile(out_ + "/.f.bin.lock"), "");
}

TEST_F(ParallelDownloadTest, OneRangeResetIsResumedAlone) {
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?reset_after=1000&fault_range=524288"), dst_,
                        options_));
  EXPECT_EQ(r.connections, 4);
  EXPECT_TRUE(ReadTestFile(dst_) == data_);
  // The reset range asked again from where it broke off, no other twice.
  const std::vector<std::string> ranges = Ranges();
  EXPECT_THAT(ranges, SizeIs(15));
  EXPECT_THAT(ranges, Contains(::testing::StartsWith("bytes=5")));
  EXPECT_THAT(ranges, Contains("bytes=524288-786431"));
  EXPECT_EQ(sleeps_, 1);
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(ParallelDownloadTest, OneRangeStalledTimesOutAndIsRetried) {
  options_.stall_timeout = absl::Seconds(1);
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?stall_after=1000&stall_s=60&fault_range=262144"), dst_,
                        options_));
  EXPECT_TRUE(ReadTestFile(dst_) == data_);
  EXPECT_EQ(sleeps_, 1);
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(ParallelDownloadTest, AStallOnEveryTryIsAClearErrorAndLeavesNothing) {
  options_.stall_timeout = absl::Seconds(1);
  options_.max_attempts = 2;
  EXPECT_THAT(DownloadUrlToFile(
                  server_->Url("/f.bin?stall_after=0&stall_s=60&fault_range=262144&fault_times=9"),
                  dst_, options_),
              ::hub::testing::StatusIs(absl::StatusCode::kDeadlineExceeded,
                                       ::testing::HasSubstr("bytes 262144-524287")));
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre());
}

TEST_F(ParallelDownloadTest, AServerThatStopsHonouringRangesHalfWayGetsOneStream) {
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server_->Url("/f.bin?ranges_for=5"), dst_, options_));
  EXPECT_EQ(r.connections, 1);
  EXPECT_EQ(r.sha256, Sha256Hex(data_));
  EXPECT_TRUE(ReadTestFile(dst_) == data_);
  EXPECT_EQ(Ranges().back(), "");  // one stream from byte 0
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(ParallelDownloadTest, AFileThatChangesBetweenRangesStartsOver) {
  const std::string v2 = RandomBytes(data_.size() + 100, 2);
  WriteTestFile(root_ + "/f.bin.v2", v2);
  HUB_ASSERT_OK_AND_ASSIGN(
      const DownloadResult r,
      DownloadUrlToFile(server_->Url("/f.bin?change_after=4"), dst_, options_));
  EXPECT_EQ(r.sha256, Sha256Hex(v2));
  EXPECT_TRUE(ReadTestFile(dst_) == v2);
  EXPECT_EQ(r.resumed_bytes, 0);
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

TEST_F(ParallelDownloadTest, AWrongHashLeavesNothing) {
  options_.hash_prefix = "00000000";
  if (absl::StartsWith(Sha256Hex(data_), "00000000")) GTEST_SKIP();
  EXPECT_THAT(DownloadUrlToFile(server_->Url("/f.bin"), dst_, options_),
              ::hub::testing::StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre());
}

// The ranges the record in the lock file lists, once it lists at least one
// finished range; empty if that never happens within `timeout`.
std::vector<std::pair<int64_t, int64_t>> WaitForFinishedRange(const std::string& lock_path,
                                                              absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    const std::optional<DownloadRecord> record = ParseDownloadRecord(ReadTestFile(lock_path));
    if (record.has_value()) {
      for (const auto& [start, stop] : record->ranges) {
        if (stop - start >= kRangeBytes) return record->ranges;
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return {};
}

// A child process downloads `url` and is killed (-9) once the record lists
// a finished range; then this process downloads it and must keep that range.
void KillThenResume(const std::string& url, const std::string& out, const std::string& dst,
                    const std::string& data, const DownloadOptions& options) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const absl::StatusOr<DownloadResult> r = DownloadUrlToFile(url, dst, options);
    ::_exit(r.ok() ? 0 : 1);
  }
  const std::vector<std::pair<int64_t, int64_t>> kept =
      WaitForFinishedRange(out + "/.f.bin.lock", absl::Seconds(30));
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_FALSE(kept.empty()) << "the child never recorded a finished range";
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it was killed";
  EXPECT_THAT(ListDirBesidesLocks(out), SizeIs(1));  // its temp file

  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r, DownloadUrlToFile(url, dst, options));
  EXPECT_EQ(r.sha256, Sha256Hex(data));
  EXPECT_TRUE(ReadTestFile(dst) == data);
  EXPECT_GE(r.resumed_bytes, kRangeBytes);
  EXPECT_THAT(ListDirBesidesLocks(out), ElementsAre("f.bin"));
}

TEST_F(ParallelDownloadTest, KilledThenResumedKeepsTheFinishedRanges) {
  // 1 MB/s per connection: the child is killed with most ranges to go.
  KillThenResume(server_->Url("/f.bin?rate=1000000"), out_, dst_, data_, options_);
}

TEST_F(ParallelDownloadTest, EightProcessesOnOneDestinationMakeOneTransfer) {
  const std::string url = server_->Url("/f.bin?rate=4000000");
  std::vector<pid_t> children;
  for (int i = 0; i < 8; ++i) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const absl::StatusOr<DownloadResult> r = DownloadUrlToFile(url, dst_, options_);
      ::_exit(r.ok() ? 0 : 1);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(ReadTestFile(dst_) == data_);  // the waiters took it as it is
  const std::vector<std::string> ranges = Ranges();
  EXPECT_THAT(ranges, SizeIs(14));  // one transfer: one first GET, 13 ranges
  EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
}

// Connections chosen from the size: one stream goes first and keeps the
// file while it is fast; a watchdog hands the rest to ranges once the
// stream proves slow (here: the server's rate= cap per response).
class StreamFirstTest : public ParallelDownloadTest {
 protected:
  void SetUp() override {
    ParallelDownloadTest::SetUp();
    options_.connections = 0;
    data_ = RandomBytes(20 * 1024 * 1024 + 777, 3);  // two connections' worth and more
    WriteTestFile(root_ + "/f.bin", data_);
  }

  // Downloads "/f.bin?<query>" and checks that it is `want` (data_ when
  // empty), whole, with nothing left beside it.
  DownloadResult Fetch(const std::string& query, const std::string& want = "") {
    const std::string& expected = want.empty() ? data_ : want;
    absl::StatusOr<DownloadResult> r =
        DownloadUrlToFile(server_->Url(absl::StrCat("/f.bin?", query)), dst_, options_);
    EXPECT_THAT(r.status(), IsOk());
    if (!r.ok()) return DownloadResult();
    EXPECT_EQ(r->sha256, Sha256Hex(expected));
    EXPECT_TRUE(ReadTestFile(dst_) == expected);
    EXPECT_THAT(ListDirBesidesLocks(out_), ElementsAre("f.bin"));
    EXPECT_EQ(ReadTestFile(out_ + "/.f.bin.lock"), "");
    return *std::move(r);
  }
};

// 8 MiB/s: alone the stream would need 2.5 s, more than the 2 s it may keep.
constexpr char kSlow[] = "rate=8388608";

TEST_F(StreamFirstTest, AStreamThatProvesSlowHandsTheRestToRanges) {
  EXPECT_GE(Fetch(kSlow).connections, 2);
  const std::vector<FaultServer::Request> log = Log();
  ASSERT_GE(log.size(), 2u);
  // The stream asked for the whole file and stopped early; ranges did the rest.
  EXPECT_EQ(log[0].range, "");
  EXPECT_GT(log[0].bytes_sent, 0);
  EXPECT_LT(log[0].bytes_sent, static_cast<int64_t>(data_.size()) / 2);
  for (size_t i = 1; i < log.size(); ++i)
    EXPECT_THAT(log[i].range, ::testing::StartsWith("bytes="));
}

TEST_F(StreamFirstTest, AStreamWithTooLittleLeftToShareKeepsTheFile) {
  // Past 16 MiB by 256 KiB: once the stream has 256 KiB, the rest is one
  // connection's worth, and the watchdog leaves it be however slow it is.
  data_ = RandomBytes(16 * 1024 * 1024 + 256 * 1024, 4);
  WriteTestFile(root_ + "/f.bin", data_);
  EXPECT_EQ(Fetch("").connections, 1);
  const std::vector<FaultServer::Request> log = Log();
  ASSERT_THAT(log, SizeIs(1));
  EXPECT_EQ(log[0].range, "");
  EXPECT_EQ(log[0].bytes_sent, static_cast<int64_t>(data_.size()));
}

TEST_F(StreamFirstTest, RangesAnsweredWithTheWholeFileGetOneStreamFromTheStart) {
  EXPECT_EQ(Fetch(absl::StrCat("ranges_for=1&", kSlow)).connections, 1);
  const std::vector<FaultServer::Request> log = Log();
  ASSERT_GE(log.size(), 3u);  // the stream, at least one range, the stream again
  EXPECT_EQ(log.back().range, "");
  EXPECT_EQ(log.back().bytes_sent, static_cast<int64_t>(data_.size()));
}

TEST_F(StreamFirstTest, AFileThatChangesUnderTheSplitStartsOver) {
  const std::string v2 = RandomBytes(data_.size() + 100, 5);
  WriteTestFile(root_ + "/f.bin.v2", v2);
  EXPECT_EQ(Fetch(absl::StrCat("change_after=1&", kSlow), v2).resumed_bytes, 0);
}

TEST_F(StreamFirstTest, AStreamResetAroundTheSplitLosesNothing) {
  // The reset comes at 300,000 bytes: after the split (about 20 ms, some
  // 170 KB in) and before the stream's share ends (256 KiB past that), its
  // rest is a range of its own; on a slow machine before the split, a
  // retry of the stream. Either way, the right file.
  Fetch(absl::StrCat("reset_after=300000&", kSlow));
  EXPECT_EQ(Log()[0].bytes_sent, 300000);
}

TEST_F(StreamFirstTest, KilledAfterTheSplitThenResumedKeepsTheFinishedRanges) {
  KillThenResume(server_->Url("/f.bin?rate=4000000"), out_, dst_, data_, options_);
}

TEST(ParallelNginxTest, RangesOverHttpsFromNginx) {
  const std::string root = TestDir("nginx_root");
  const std::string out = TestDir("nginx_out");
  const std::string data = RandomBytes(5 * 1024 * 1024 + 17, 3);
  WriteTestFile(root + "/w.pth", data);
  HUB_ASSERT_OK_AND_ASSIGN(auto server, NginxServer::Start({.root = root}));
  DownloadOptions options;
  options.progress = false;
  options.ca_file = server->ca_file();
  options.connections = 8;
  options.range_bytes = int64_t{512} * 1024;
  options.hash_prefix = Sha256Hex(data).substr(0, 10);
  HUB_ASSERT_OK_AND_ASSIGN(const DownloadResult r,
                           DownloadUrlToFile(server->Url("/w.pth"), out + "/w.pth", options));
  EXPECT_EQ(r.connections, 8);
  EXPECT_TRUE(ReadTestFile(out + "/w.pth") == data);
  EXPECT_THAT(ListDirBesidesLocks(out), ElementsAre("w.pth"));
  EXPECT_THAT(server->ReadAccessLog(), ::testing::HasSubstr(" 206 "));
}

}  // namespace
}  // namespace hub
