// `torchhub cache prune` while `torchhub download` writes into the same
// checkpoints directory: the download must finish intact, and prune must say
// it skipped the file being written.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::ListDir;
using ::hub::testing::RandomBytes;
using ::hub::testing::ReadTestFile;
using ::hub::testing::RunCommand;
using ::hub::testing::StartProcess;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;

std::string Binary() { return ::hub::testing::RunfilePath("hub/cli/torchhub"); }

int Wait(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The name of a download temp file in `dir` once it holds `bytes`, else "".
std::string WaitForPartial(const std::string& dir, int64_t bytes) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    for (const std::string& name : ListDir(dir)) {
      if (!absl::EndsWith(name, ".partial")) continue;
      std::ifstream f(absl::StrCat(dir, "/", name), std::ios::binary | std::ios::ate);
      if (f && static_cast<int64_t>(f.tellg()) >= bytes) return name;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return "";
}

TEST(PruneDuringDownloadTest, DownloadCompletesAndPruneReportsItInUse) {
  const std::string root = TestDir("root");
  const std::string hub = TestDir("hub");
  const std::string checkpoints = hub + "/checkpoints";
  const std::string data = RandomBytes(4 * 1024 * 1024 + 7, 11);
  std::ofstream(root + "/w.pth", std::ios::binary) << data;
  ::hub::testing::WriteTestFile(checkpoints + "/other.pth", std::string(1000, 'o'));
  absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root});
  ASSERT_THAT(server.status(), IsOk());

  // About 4 s at 1 MB/s: prune runs well inside it.
  absl::StatusOr<pid_t> download =
      StartProcess({Binary(), "download", (*server)->Url("/w.pth?rate=1000000"),
                    checkpoints + "/w.pth", "--no-progress", "--json"},
                   hub + "/../download.log");
  ASSERT_THAT(download.status(), IsOk());
  const std::string partial = WaitForPartial(checkpoints, int64_t{64} * 1024);
  ASSERT_NE(partial, "") << ReadTestFile(hub + "/../download.log");

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult prune, RunCommand({Binary(), "--hub-dir", hub, "cache",
                                                            "prune", "--max-size", "0", "--json"},
                                                           {.separate_stderr = true}));
  EXPECT_EQ(prune.exit_code, 0) << prune.output << prune.error_output;
  absl::StatusOr<hub::JsonValue> report = hub::ParseJson(prune.output);
  ASSERT_TRUE(report.ok()) << prune.output;
  EXPECT_EQ(report->Find("in_use")->number_value(), 1) << prune.output;
  bool saw_partial = false;
  for (const hub::JsonValue& item : report->Find("items")->array()) {
    if (item.GetString({"name"}) == "checkpoints/" + partial) {
      saw_partial = true;
      EXPECT_EQ(item.GetString({"action"}), "in_use");
      EXPECT_THAT(*item.GetString({"reason"}), HasSubstr("/.w.pth.lock is held"));
    } else if (item.GetString({"name"}) == "checkpoints/other.pth") {
      EXPECT_EQ(item.GetString({"action"}), "removed");
    }
  }
  EXPECT_TRUE(saw_partial) << prune.output;
  // The text form says so too.
  HUB_ASSERT_OK_AND_ASSIGN(
      prune, RunCommand({Binary(), "--hub-dir", hub, "cache", "prune", "--max-size", "0"}));
  EXPECT_EQ(prune.exit_code, 0) << prune.output;
  EXPECT_THAT(prune.output,
              HasSubstr(absl::StrCat("in use        temp       checkpoints/", partial)));

  EXPECT_EQ(Wait(*download), 0) << ReadTestFile(hub + "/../download.log");
  EXPECT_THAT(ReadTestFile(hub + "/../download.log"), HasSubstr("\"bytes\":4194311"));
  EXPECT_EQ(ReadTestFile(checkpoints + "/w.pth"), data);
  EXPECT_THAT(ListDir(checkpoints), ::testing::ElementsAre(".w.pth.lock", "w.pth"));
}

}  // namespace
