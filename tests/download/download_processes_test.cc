// `torchhub download` as separate processes: what several CI shards or DDP
// ranks fetching one file see, and what a killed or interrupted download
// leaves behind.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/hash/sha256.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::Sha256Hex;
using ::hub::testing::CommandResult;
using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::RandomBytes;
using ::hub::testing::ReadTestFile;
using ::hub::testing::RunCommand;
using ::hub::testing::StartProcess;
using ::hub::testing::TestDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

std::string Binary() { return ::hub::testing::RunfilePath("hub/cli/torchhub"); }

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  while (d != nullptr) {
    dirent* e = ::readdir(d);
    if (e == nullptr) break;
    const std::string name = e->d_name;
    if (name != "." && name != ".." && !absl::EndsWith(name, ".lock")) names.push_back(name);
  }
  if (d != nullptr) ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

int64_t PartialBytes(const std::string& dir) {
  for (const std::string& name : ListDir(dir)) {
    if (absl::EndsWith(name, ".partial")) {
      struct stat st {};
      if (::stat(absl::StrCat(dir, "/", name).c_str(), &st) == 0) return st.st_size;
    }
  }
  return -1;
}

int Wait(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class DownloadProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = TestDir("root_" + name);
    out_ = TestDir("out_" + name);
    data_ = RandomBytes(4 * 1024 * 1024 + 99, 5);
    std::ofstream(root_ + "/w.pth", std::ios::binary) << data_;
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
  }

  // Starts `torchhub download` in the background; its output goes to `log`.
  pid_t Start(const std::string& url, const std::string& log,
              const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {Binary(),        "download",      url,
                                     out_ + "/w.pth", "--no-progress", "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    absl::StatusOr<pid_t> pid = StartProcess(argv, log);
    EXPECT_THAT(pid.status(), IsOk());
    return pid.ok() ? *pid : -1;
  }

  // Waits until a temp file holds at least `bytes`.
  bool WaitForPartial(int64_t bytes) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (PartialBytes(out_) >= bytes) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::string root_, out_, data_;
  std::unique_ptr<FaultServer> server_;
};

TEST_F(DownloadProcessesTest, EightProcessesMakeOneTransfer) {
  // Slow enough (about 2 s) that all eight are running before it ends.
  const std::string url = server_->Url("/w.pth?rate=2000000");
  std::vector<pid_t> pids;
  pids.reserve(8);
  for (int i = 0; i < 8; ++i) pids.push_back(Start(url, absl::StrCat(out_, "/../log", i)));
  int reused = 0;
  for (size_t i = 0; i < pids.size(); ++i) {
    EXPECT_EQ(Wait(pids[i]), 0);
    const std::string log = ReadTestFile(absl::StrCat(out_, "/../log", i));
    EXPECT_THAT(log, HasSubstr("\"bytes\":4194403"));
    if (absl::StrContains(log, "\"reused\":true")) ++reused;
  }
  EXPECT_EQ(reused, 7);
  EXPECT_EQ(ReadTestFile(out_ + "/w.pth"), data_);
  HUB_ASSERT_OK_AND_ASSIGN(const auto requests, server_->WaitForRequests(1));
  ASSERT_THAT(requests, SizeIs(1));
  EXPECT_EQ(requests[0].bytes_sent, static_cast<int64_t>(data_.size()));
  EXPECT_THAT(ListDir(out_), ElementsAre("w.pth"));
}

TEST_F(DownloadProcessesTest, KilledMidTransferThenRunAgainGivesTheRightFile) {
  const std::string url = server_->Url("/w.pth?rate=2000000");
  const pid_t pid = Start(url, out_ + "/../first.log");
  ASSERT_TRUE(WaitForPartial(int64_t{1} << 20));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(Wait(pid), 128 + SIGKILL);
  // Nothing that could pass for the finished file.
  EXPECT_FALSE(absl::c_linear_search(ListDir(out_), "w.pth"));
  EXPECT_GT(PartialBytes(out_), 0);

  HUB_ASSERT_OK_AND_ASSIGN(const CommandResult again,
                           RunCommand({Binary(), "download", url, out_ + "/w.pth", "--no-progress",
                                       "--json", "--hash-prefix", Sha256Hex(data_).substr(0, 12)}));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr(absl::StrCat("\"sha256\":\"", Sha256Hex(data_), "\"")));
  EXPECT_THAT(again.output, Not(HasSubstr("\"resumed_bytes\":0,")));
  EXPECT_EQ(ReadTestFile(out_ + "/w.pth"), data_);
  EXPECT_THAT(ListDir(out_), ElementsAre("w.pth"));
  // The second process asked only for what the first didn't get.
  HUB_ASSERT_OK_AND_ASSIGN(const auto requests, server_->WaitForRequests(2));
  ASSERT_THAT(requests, SizeIs(2));
  EXPECT_THAT(requests[1].range, HasSubstr("bytes="));
  EXPECT_EQ(requests[1].status, 206);
}

TEST_F(DownloadProcessesTest, InterruptedDownloadCleansUpAndExits130) {
  std::ofstream(out_ + "/w.pth") << "the old file";
  const pid_t pid = Start(server_->Url("/w.pth?rate=1000000"), out_ + "/../int.log");
  ASSERT_TRUE(WaitForPartial(100000));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  EXPECT_EQ(Wait(pid), 130);
  EXPECT_THAT(ReadTestFile(out_ + "/../int.log"), HasSubstr("cancelled"));
  EXPECT_EQ(ReadTestFile(out_ + "/w.pth"), "the old file");
  EXPECT_THAT(ListDir(out_), ElementsAre("w.pth"));
}

TEST_F(DownloadProcessesTest, WrongHashExitsOneWithTorchHubsText) {
  HUB_ASSERT_OK_AND_ASSIGN(const CommandResult r,
                           RunCommand({Binary(), "download", server_->Url("/w.pth"),
                                       out_ + "/w.pth", "--no-progress", "--hash-prefix", "0000"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("torchhub: error: invalid hash value (expected \"0000\""));
  EXPECT_THAT(ListDir(out_), ElementsAre());
}

TEST_F(DownloadProcessesTest, UsageErrorsExitTwo) {
  HUB_ASSERT_OK_AND_ASSIGN(const CommandResult missing, RunCommand({Binary(), "download", "x"}));
  EXPECT_EQ(missing.exit_code, 2);
  HUB_ASSERT_OK_AND_ASSIGN(const CommandResult bad, RunCommand({Binary(), "download", "http://x/y",
                                                                "z", "--max-attempts", "0"}));
  EXPECT_EQ(bad.exit_code, 2);
  HUB_ASSERT_OK_AND_ASSIGN(const CommandResult help, RunCommand({Binary(), "download", "--help"}));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("--hash-prefix"));
}

}  // namespace
