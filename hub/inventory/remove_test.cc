#include "hub/inventory/remove.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/download_record.h"
#include "hub/fs/file_lock.h"

namespace hub {
namespace {

using ::hub::testing::ListDir;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kHex32[] = "0123456789abcdef0123456789abcdef";
const std::string kYoung(32, 'a');
const std::string kOld(32, 'b');

class RemoveItemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = TestDir("hub");
    WriteTestFile(hub_ + "/trusted_list", "o_n\n");
    WriteTestFile(hub_ + "/o_n_main/hubconf.py", "12345");
    WriteTestFile(hub_ + "/.o_n_main.source", "{}");
    WriteTestFile(hub_ + "/.o_n_main.lock", "");
    WriteTestFile(absl::StrCat(hub_, "/.o_n_main.", kHex32, ".staging/f"), "x");
    WriteTestFile(hub_ + "/o_n_v1/hubconf.py", "other ref");
    WriteTestFile(hub_ + "/checkpoints/w.pth", "weights");
    WriteTestFile(hub_ + "/checkpoints/.w.pth.source", "{}");
    WriteTestFile(hub_ + "/checkpoints/w.pth.lock", "");  // an older version's
    // A download of ours that was killed: its lock's record names its temp.
    DownloadRecord record;
    record.partial = absl::StrCat("w.pth.", kHex32, ".partial");
    record.url = "https://h/w.pth";
    WriteTestFile(hub_ + "/checkpoints/.w.pth.lock", SerializeDownloadRecord(record));
    WriteTestFile(hub_ + "/checkpoints/" + record.partial, "wei");
    // No record: Python's, maybe being written now (young), or dead (old).
    WriteTestFile(hub_ + "/checkpoints/w.pth." + kYoung + ".partial", "w");
    WriteTestFile(hub_ + "/checkpoints/w.pth." + kOld + ".partial", "w");
    const timespec times[2] = {absl::ToTimespec(absl::Now() - absl::Hours(2)),
                               absl::ToTimespec(absl::Now() - absl::Hours(2))};
    ASSERT_EQ(
        ::utimensat(AT_FDCWD, (hub_ + "/checkpoints/w.pth." + kOld + ".partial").c_str(), times, 0),
        0);
    WriteTestFile(hub_ + "/checkpoints/v.pth", "other");
  }

  std::string hub_;
};

TEST_F(RemoveItemTest, RepoByRefGoesWithItsRecordScratchAndLock) {
  HUB_ASSERT_OK_AND_ASSIGN(const RemoveResult r, RemoveItem(hub_, "o/n:main"));
  EXPECT_EQ(r.kind, EntryKind::kRepo);
  EXPECT_EQ(r.name, "o_n_main");
  EXPECT_THAT(r.removed, ElementsAre("o_n_main", absl::StrCat(".o_n_main.", kHex32, ".staging"),
                                     ".o_n_main.source", ".o_n_main.lock"));
  EXPECT_EQ(r.bytes, 6 + 2);  // hubconf.py, the staging file and the record
  EXPECT_THAT(ListDir(hub_), ElementsAre("checkpoints", "o_n_v1", "trusted_list"));
}

TEST_F(RemoveItemTest, CheckpointGoesWithItsRecordTempAndBothLockNames) {
  HUB_ASSERT_OK_AND_ASSIGN(const RemoveResult r, RemoveItem(hub_, "w.pth"));
  EXPECT_EQ(r.kind, EntryKind::kCheckpoint);
  EXPECT_EQ(r.name, "checkpoints/w.pth");
  EXPECT_THAT(r.removed,
              UnorderedElementsAre("checkpoints/w.pth", "checkpoints/.w.pth.source",
                                   absl::StrCat("checkpoints/w.pth.", kHex32, ".partial"),
                                   "checkpoints/w.pth." + kOld + ".partial",
                                   "checkpoints/.w.pth.lock", "checkpoints/w.pth.lock"));
  // The young unrecorded one may be Python's download in progress.
  EXPECT_THAT(ListDir(hub_ + "/checkpoints"), ElementsAre("v.pth", "w.pth." + kYoung + ".partial"));
}

TEST_F(RemoveItemTest, RepoDirNameAsCacheLsPrintsIt) {
  HUB_ASSERT_OK_AND_ASSIGN(const RemoveResult r, RemoveItem(hub_, "o_n_v1"));
  EXPECT_EQ(r.kind, EntryKind::kRepo);
  EXPECT_THAT(ListDir(hub_),
              ElementsAre(absl::StrCat(".o_n_main.", kHex32, ".staging"), ".o_n_main.lock",
                          ".o_n_main.source", "checkpoints", "o_n_main", "trusted_list"));
}

TEST_F(RemoveItemTest, OnlyReposAndCheckpointsCanBeNamed) {
  EXPECT_THAT(RemoveItem(hub_, "o/n:nope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("torchhub cache ls")));
  EXPECT_THAT(RemoveItem(hub_, "nope.pth"), StatusIs(absl::StatusCode::kNotFound));
  for (const char* ours : {"trusted_list", ".o_n_main.source", ".w.pth.lock", "checkpoints"}) {
    EXPECT_THAT(RemoveItem(hub_, ours), StatusIs(absl::StatusCode::kNotFound)) << ours;
  }
  EXPECT_THAT(RemoveItem(hub_, "o/n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("owner/name:ref")));
  for (const char* bad : {"", ".", "..", "../x", "a/b:../../x"}) {
    EXPECT_THAT(RemoveItem(hub_, bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_EQ(ListDir(hub_ + "/checkpoints").size(), 8u);
}

TEST_F(RemoveItemTest, NothingGoesWhileItsLockIsHeld) {
  const auto before_hub = ListDir(hub_);
  const auto before_checkpoints = ListDir(hub_ + "/checkpoints");
  {
    HUB_ASSERT_OK_AND_ASSIGN(FileLock fetch, FileLock::Acquire(hub_ + "/.o_n_main.lock"));
    EXPECT_THAT(RemoveItem(hub_, "o/n:main"),
                StatusIs(absl::StatusCode::kUnavailable,
                         AllOf(HasSubstr(".o_n_main.lock"), HasSubstr("try again"))));
    RemoveOptions dry;
    dry.dry_run = true;
    EXPECT_THAT(RemoveItem(hub_, "o/n:main", dry), StatusIs(absl::StatusCode::kUnavailable));
  }
  // An older version downloading w.pth holds only "w.pth.lock".
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t old_version = fork();
  ASSERT_GE(old_version, 0);
  if (old_version == 0) {
    absl::StatusOr<FileLock> lock = FileLock::Acquire(hub_ + "/checkpoints/w.pth.lock");
    const char c = lock.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_THAT(RemoveItem(hub_, "w.pth"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("w.pth.lock")));
  kill(old_version, SIGKILL);
  waitpid(old_version, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_EQ(ListDir(hub_), before_hub);
  EXPECT_EQ(ListDir(hub_ + "/checkpoints"), before_checkpoints);
  // Free now.
  HUB_ASSERT_OK_AND_ASSIGN(const RemoveResult r, RemoveItem(hub_, "w.pth"));
  EXPECT_EQ(r.name, "checkpoints/w.pth");
}

TEST_F(RemoveItemTest, DryRunChangesNothing) {
  const auto before_hub = ListDir(hub_);
  const auto before_checkpoints = ListDir(hub_ + "/checkpoints");
  RemoveOptions dry;
  dry.dry_run = true;
  HUB_ASSERT_OK_AND_ASSIGN(const RemoveResult r, RemoveItem(hub_, "w.pth", dry));
  EXPECT_TRUE(r.dry_run);
  EXPECT_EQ(r.removed.size(), 6u);
  EXPECT_EQ(ListDir(hub_), before_hub);
  EXPECT_EQ(ListDir(hub_ + "/checkpoints"), before_checkpoints);
}

TEST_F(RemoveItemTest, MissingHubDirIsNotFound) {
  EXPECT_THAT(RemoveItem(hub_ + "/none", "w.pth"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ListDir(hub_ + "/none"), IsEmpty());
}

}  // namespace
}  // namespace hub
