#include "hub/inventory/prune.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/run_as_unprivileged.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/file_lock.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::ListDir;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using Action = PruneItem::Action;
using Kind = PruneItem::Kind;

constexpr char kHex32[] = "0123456789abcdef0123456789abcdef";

void SetTimes(const std::string& path, absl::Time t) {
  const timespec ts = absl::ToTimespec(t);
  const timespec times[2] = {ts, ts};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class CachePruneTest : public ::testing::Test {
 protected:
  void SetUp() override { hub_ = TestDir("hub"); }

  // A repo dir of `bytes` bytes in two files, last used `age` ago.
  void Repo(const std::string& name, int64_t bytes, absl::Duration age) {
    const std::string dir = absl::StrCat(hub_, "/", name);
    WriteTestFile(dir + "/hubconf.py", std::string(bytes / 2, 'h'));
    WriteTestFile(dir + "/models/m.py", std::string(bytes - bytes / 2, 'm'));
    WriteTestFile(absl::StrCat(hub_, "/.", name, ".source"), "{\"repo\":\"o/n\"}\n");
    SetTimes(dir + "/hubconf.py", now_ - age);
    SetTimes(dir + "/models/m.py", now_ - age);
    SetTimes(dir + "/models", now_ - age);
    SetTimes(dir, now_ - age);
  }

  void Checkpoint(const std::string& name, int64_t bytes, absl::Duration age) {
    const std::string path = absl::StrCat(hub_, "/checkpoints/", name);
    WriteTestFile(path, std::string(bytes, 'c'));
    WriteTestFile(absl::StrCat(hub_, "/checkpoints/.", name, ".source"), "{}\n");
    SetTimes(path, now_ - age);
  }

  void Entry(const std::string& name, int64_t bytes, absl::Duration age) {
    const std::string path = absl::StrCat(hub_, "/.torchhub-cpp/entrypoints/", name);
    WriteTestFile(path, std::string(bytes, 'e'));
    SetTimes(path, now_ - age);
  }

  PruneOptions Options() const {
    PruneOptions o;
    o.now = now_;
    return o;
  }

  static const PruneItem* Find(const PruneReport& r, const std::string& name) {
    for (const PruneItem& item : r.items) {
      if (item.name == name) return &item;
    }
    return nullptr;
  }

  static Action ActionOf(const PruneReport& r, const std::string& name) {
    const PruneItem* item = Find(r, name);
    EXPECT_NE(item, nullptr) << name << " is not in the report";
    return item == nullptr ? Action::kGone : item->action;
  }

  std::string hub_;
  absl::Time now_ = absl::Now();
};

TEST_F(CachePruneTest, MissingHubDirIsAnEmptyReport) {
  PruneOptions o = Options();
  o.older_than = absl::Hours(1);
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_ + "/nope", o));
  EXPECT_TRUE(r.items.empty());
  EXPECT_EQ(r.bytes_before, 0);
  EXPECT_THAT(r.status, IsOk());
}

TEST_F(CachePruneTest, NeedsALimit) {
  EXPECT_THAT(PruneCache(hub_, Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--older-than")));
  PruneOptions o = Options();
  o.max_bytes = -1;
  EXPECT_THAT(PruneCache(hub_, o), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(CachePruneTest, AgeModeRemovesWhatWasNotUsedForThatLong) {
  Repo("o_old_main", 100, absl::Hours(24 * 40));
  Repo("o_new_main", 100, absl::Hours(24));
  Checkpoint("old.pth", 50, absl::Hours(24 * 40));
  Checkpoint("new.pth", 50, absl::Hours(1));
  Entry("aa.json", 10, absl::Hours(24 * 40));
  Entry("bb.json", 10, absl::Minutes(5));
  WriteTestFile(hub_ + "/trusted_list", "o_old\n");
  SetTimes(hub_ + "/trusted_list", now_ - absl::Hours(24 * 400));

  PruneOptions o = Options();
  o.older_than = absl::Hours(24 * 30);
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(ActionOf(r, "o_old_main"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "o_new_main"), Action::kKept);
  EXPECT_EQ(ActionOf(r, "checkpoints/old.pth"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/new.pth"), Action::kKept);
  EXPECT_EQ(ActionOf(r, ".torchhub-cpp/entrypoints/aa.json"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, ".torchhub-cpp/entrypoints/bb.json"), Action::kKept);
  EXPECT_EQ(Find(r, "trusted_list"), nullptr);
  EXPECT_EQ(Find(r, "o_old_main")->kind, Kind::kRepo);
  EXPECT_EQ(Find(r, "o_old_main")->bytes, 100);
  EXPECT_THAT(Find(r, "o_old_main")->reason, HasSubstr("40d ago"));
  EXPECT_THAT(Find(r, "o_new_main")->reason, HasSubstr("used within 30d"));
  EXPECT_EQ(r.removed, 3);
  EXPECT_EQ(r.bytes_before, 320);
  EXPECT_EQ(r.bytes_after, 160);

  // Gone with their records and the lock files taken to remove them.
  EXPECT_THAT(ListDir(hub_), ::testing::ElementsAre(".o_new_main.source", ".torchhub-cpp",
                                                    "checkpoints", "o_new_main", "trusted_list"));
  EXPECT_THAT(ListDir(hub_ + "/checkpoints"), ::testing::ElementsAre(".new.pth.source", "new.pth"));
  EXPECT_TRUE(Exists(hub_ + "/o_new_main/hubconf.py"));
}

TEST_F(CachePruneTest, RepoLastUseIsItsHubconfsToo) {
  Repo("o_loaded_main", 10, absl::Hours(24 * 40));
  // Loaded yesterday: hubconf.py was read.
  SetTimes(hub_ + "/o_loaded_main/hubconf.py", now_ - absl::Hours(24));
  SetTimes(hub_ + "/o_loaded_main", now_ - absl::Hours(24 * 40));
  PruneOptions o = Options();
  o.older_than = absl::Hours(24 * 30);
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "o_loaded_main"), Action::kKept);
  // And a prune's own scan doesn't count as a use.
  o.older_than = absl::Hours(12);
  HUB_ASSERT_OK_AND_ASSIGN(r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "o_loaded_main"), Action::kRemoved);
}

TEST_F(CachePruneTest, SizeModeRemovesLeastRecentlyUsedUntilUnderTheLimit) {
  Repo("o_a_main", 100, absl::Hours(4));
  Checkpoint("b.pth", 100, absl::Hours(3));
  Repo("o_c_main", 100, absl::Hours(2));
  Checkpoint("d.pth", 100, absl::Hours(1));
  PruneOptions o = Options();
  o.max_bytes = 250;
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "o_a_main"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/b.pth"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "o_c_main"), Action::kKept);
  EXPECT_EQ(ActionOf(r, "checkpoints/d.pth"), Action::kKept);
  EXPECT_THAT(Find(r, "o_a_main")->reason, HasSubstr("least recently used"));
  EXPECT_EQ(r.bytes_before, 400);
  EXPECT_EQ(r.bytes_after, 200);
  EXPECT_FALSE(Exists(hub_ + "/o_a_main"));
  EXPECT_TRUE(Exists(hub_ + "/o_c_main"));

  o.max_bytes = 0;
  HUB_ASSERT_OK_AND_ASSIGN(r, PruneCache(hub_, o));
  EXPECT_EQ(r.removed, 2);
  EXPECT_EQ(r.bytes_after, 0);
  EXPECT_FALSE(Exists(hub_ + "/checkpoints/d.pth"));
}

TEST_F(CachePruneTest, BothLimitsRemoveTheOldThenTheLeastRecentlyUsed) {
  Checkpoint("ancient.pth", 10, absl::Hours(24 * 90));
  Checkpoint("b.pth", 100, absl::Hours(3));
  Checkpoint("c.pth", 100, absl::Hours(2));
  Checkpoint("d.pth", 100, absl::Hours(1));
  PruneOptions o = Options();
  o.older_than = absl::Hours(24 * 30);
  o.max_bytes = 200;
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/ancient.pth"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/b.pth"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/c.pth"), Action::kKept);
  EXPECT_EQ(ActionOf(r, "checkpoints/d.pth"), Action::kKept);
  EXPECT_EQ(r.bytes_after, 200);
}

std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const std::string& name : ListDir(dir)) {
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st {};
    ::lstat(path.c_str(), &st);
    files[path] =
        absl::StrCat(st.st_ino, " ", st.st_size, " ", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
    // Listing a directory here marks it read; a file's atime is the test's.
    if (!S_ISDIR(st.st_mode)) absl::StrAppend(&files[path], " ", st.st_atim.tv_sec);
    if (S_ISDIR(st.st_mode)) files.merge(Snapshot(path));
  }
  return files;
}

TEST_F(CachePruneTest, DryRunChangesNothing) {
  Repo("o_a_main", 100, absl::Hours(24 * 40));
  Checkpoint("b.pth", 100, absl::Hours(24 * 40));
  Entry("e.json", 10, absl::Hours(24 * 40));
  WriteTestFile(absl::StrCat(hub_, "/.o_x_main.", kHex32, ".staging/f"), "x");
  WriteTestFile(absl::StrCat(hub_, "/checkpoints/gone.pth.lock"), "");
  const auto before = Snapshot(hub_);
  SetTimes(hub_ + "/o_a_main", now_ - absl::Hours(24 * 40));
  PruneOptions o = Options();
  o.older_than = absl::Hours(1);
  o.max_bytes = 0;
  o.dry_run = true;
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "o_a_main"), Action::kWouldRemove);
  EXPECT_EQ(ActionOf(r, "checkpoints/b.pth"), Action::kWouldRemove);
  EXPECT_EQ(ActionOf(r, ".torchhub-cpp/entrypoints/e.json"), Action::kWouldRemove);
  EXPECT_EQ(ActionOf(r, absl::StrCat(".o_x_main.", kHex32, ".staging")), Action::kWouldRemove);
  EXPECT_EQ(ActionOf(r, "checkpoints/gone.pth.lock"), Action::kWouldRemove);
  EXPECT_EQ(r.bytes_after, 0);
  struct stat st {};
  ASSERT_EQ(::stat((hub_ + "/o_a_main").c_str(), &st), 0);
  EXPECT_EQ(absl::TimeFromTimespec(st.st_atim),
            absl::FromUnixNanos(absl::ToUnixNanos(now_ - absl::Hours(24 * 40))));
  EXPECT_EQ(Snapshot(hub_), before);  // no lock file made, nothing touched
}

TEST_F(CachePruneTest, KeepListIsHonoured) {
  Repo("o_pinned_main", 100, absl::Hours(24 * 40));
  Checkpoint("pinned.pth", 100, absl::Hours(24 * 40));
  Checkpoint("other.pth", 100, absl::Hours(24 * 40));
  PruneOptions o = Options();
  o.older_than = absl::Hours(1);
  o.max_bytes = 0;
  o.keep = {"o_pinned_main", "pinned.pth"};
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "o_pinned_main"), Action::kKept);
  EXPECT_EQ(ActionOf(r, "checkpoints/pinned.pth"), Action::kKept);
  EXPECT_THAT(Find(r, "checkpoints/pinned.pth")->reason, HasSubstr("keep list"));
  EXPECT_EQ(ActionOf(r, "checkpoints/other.pth"), Action::kRemoved);
  EXPECT_TRUE(Exists(hub_ + "/o_pinned_main/hubconf.py"));
  EXPECT_TRUE(Exists(hub_ + "/checkpoints/pinned.pth"));
}

TEST_F(CachePruneTest, ScratchGoesWhenItsLockIsFree) {
  Repo("o_busy_main", 10, absl::Minutes(1));
  const std::string staging = absl::StrCat(".o_dead_main.", kHex32, ".staging");
  const std::string extracting =
      absl::StrCat(".o_dead_main.", kHex32, ".staging.", kHex32, ".extracting");
  const std::string old = absl::StrCat(".o_busy_main.", kHex32, ".old");
  WriteTestFile(absl::StrCat(hub_, "/", staging, "/hubconf.py"), "x");
  WriteTestFile(absl::StrCat(hub_, "/", extracting, "/a/b"), "x");
  WriteTestFile(hub_ + "/.o_dead_main.zip", "zip");
  WriteTestFile(absl::StrCat(hub_, "/", old, "/hubconf.py"), "x");
  WriteTestFile(hub_ + "/.o_dead_main.source", "{}");  // its repo is gone
  // A fetch of o_busy_main is running.
  HUB_ASSERT_OK_AND_ASSIGN(FileLock fetch, FileLock::Acquire(hub_ + "/.o_busy_main.lock"));

  PruneOptions o = Options();
  o.older_than = absl::Hours(24);  // none of it is that old
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, staging), Action::kRemoved);
  EXPECT_EQ(Find(r, staging)->kind, Kind::kScratch);
  EXPECT_EQ(ActionOf(r, extracting), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, ".o_dead_main.zip"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, ".o_dead_main.source"), Action::kRemoved);
  EXPECT_EQ(Find(r, ".o_dead_main.source")->kind, Kind::kRecord);
  EXPECT_EQ(ActionOf(r, old), Action::kInUse);
  EXPECT_THAT(Find(r, old)->reason, HasSubstr(".o_busy_main.lock is held"));
  EXPECT_EQ(r.in_use, 1);
  EXPECT_THAT(r.status, IsOk());  // in use is not a failure
  EXPECT_THAT(ListDir(hub_), ::testing::ElementsAre(old, ".o_busy_main.lock", ".o_busy_main.source",
                                                    "o_busy_main"));
}

TEST_F(CachePruneTest, DownloadTempRules) {
  const std::string dir = hub_ + "/checkpoints";
  // A download of ours that was killed: its record names it, its lock is free.
  const std::string recorded = absl::StrCat("r.pth.", kHex32, ".partial");
  WriteTestFile(absl::StrCat(dir, "/", recorded), "partial");
  WriteTestFile(dir + "/r.pth.lock", absl::StrCat("torchhub-download 1\npartial ", recorded,
                                                  "\nurl http://x/r.pth\netag \n"
                                                  "last-modified \ntotal -1\nend\n"));
  // No record (Python's): young ones may be being written.
  const std::string young = absl::StrCat("p.pth.", kHex32, ".partial");
  const std::string aged = absl::StrCat("q.pth.", kHex32, ".partial");
  WriteTestFile(absl::StrCat(dir, "/", young), "p");
  WriteTestFile(absl::StrCat(dir, "/", aged), "q");
  SetTimes(absl::StrCat(dir, "/", young), now_ - absl::Minutes(10));
  SetTimes(absl::StrCat(dir, "/", aged), now_ - absl::Hours(2));
  // One being written by us right now.
  const std::string live = absl::StrCat("l.pth.", kHex32, ".partial");
  WriteTestFile(absl::StrCat(dir, "/", live), "l");
  SetTimes(absl::StrCat(dir, "/", live), now_ - absl::Hours(5));
  HUB_ASSERT_OK_AND_ASSIGN(FileLock writer, FileLock::Acquire(dir + "/l.pth.lock"));

  PruneOptions o = Options();
  o.max_bytes = int64_t{1} << 30;  // removes no cached item
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/" + recorded), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/" + young), Action::kKept);
  EXPECT_THAT(Find(r, "checkpoints/" + young)->reason, HasSubstr("no download record"));
  EXPECT_EQ(ActionOf(r, "checkpoints/" + aged), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/" + live), Action::kInUse);
  EXPECT_THAT(ListDir(dir), ::testing::ElementsAre(live, "l.pth.lock", young));

  // With an age limit, that is the threshold for unrecorded ones.
  SetTimes(absl::StrCat(dir, "/", young), now_ - absl::Hours(3));
  o.older_than = absl::Hours(4);
  HUB_ASSERT_OK_AND_ASSIGN(r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/" + young), Action::kKept);
  o.older_than = absl::Hours(2);
  HUB_ASSERT_OK_AND_ASSIGN(r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/" + young), Action::kRemoved);
}

TEST_F(CachePruneTest, LockedRepoAndCheckpointAreSkipped) {
  Repo("o_r_main", 100, absl::Hours(24 * 40));
  Checkpoint("c.pth", 100, absl::Hours(24 * 40));
  HUB_ASSERT_OK_AND_ASSIGN(FileLock repo_lock, FileLock::Acquire(hub_ + "/.o_r_main.lock"));
  HUB_ASSERT_OK_AND_ASSIGN(FileLock file_lock, FileLock::Acquire(hub_ + "/checkpoints/c.pth.lock"));
  PruneOptions o = Options();
  o.max_bytes = 0;
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "o_r_main"), Action::kInUse);
  EXPECT_EQ(ActionOf(r, "checkpoints/c.pth"), Action::kInUse);
  EXPECT_EQ(r.in_use, 2);
  EXPECT_EQ(r.bytes_after, 200);
  EXPECT_THAT(r.status, IsOk());
  EXPECT_TRUE(Exists(hub_ + "/o_r_main/hubconf.py"));
  EXPECT_TRUE(Exists(hub_ + "/checkpoints/c.pth"));
  EXPECT_TRUE(Exists(hub_ + "/checkpoints/.c.pth.source"));
  // Still theirs: the lock files weren't touched.
  EXPECT_THAT(FileLock::TryAcquire(hub_ + "/.o_r_main.lock"),
              StatusIs(absl::StatusCode::kUnavailable));

  repo_lock.Release();
  file_lock.Release();
  HUB_ASSERT_OK_AND_ASSIGN(r, PruneCache(hub_, o));
  EXPECT_EQ(r.removed, 2);
  EXPECT_THAT(ListDir(hub_), ::testing::ElementsAre("checkpoints"));
  EXPECT_THAT(ListDir(hub_ + "/checkpoints"), ::testing::IsEmpty());
}

// The lock is ".<name>.lock" now; an older version's "<name>.lock" (above)
// still counts while it is there, and both go with the checkpoint.
TEST_F(CachePruneTest, HiddenLocksAreHonouredAndGoWithWhatTheyGuard) {
  Checkpoint("c.pth", 100, absl::Hours(24 * 40));
  Checkpoint("d.pth", 100, absl::Hours(24 * 40));
  WriteTestFile(hub_ + "/checkpoints/d.pth.lock", "");  // an older version's, free
  WriteTestFile(hub_ + "/checkpoints/.gone.pth.lock", "");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock writer, FileLock::Acquire(hub_ + "/checkpoints/.c.pth.lock"));
  PruneOptions o = Options();
  o.max_bytes = 0;
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/c.pth"), Action::kInUse);
  EXPECT_THAT(Find(r, "checkpoints/c.pth")->reason, HasSubstr("/checkpoints/.c.pth.lock is held"));
  EXPECT_EQ(ActionOf(r, "checkpoints/d.pth"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/.gone.pth.lock"), Action::kRemoved);
  EXPECT_THAT(ListDir(hub_ + "/checkpoints"),
              ::testing::ElementsAre(".c.pth.lock", ".c.pth.source", "c.pth"));
  writer.Release();
  HUB_ASSERT_OK_AND_ASSIGN(r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/c.pth"), Action::kRemoved);
  EXPECT_THAT(ListDir(hub_ + "/checkpoints"), ::testing::IsEmpty());
}

TEST_F(CachePruneTest, OrphanLockFilesGoOnlyWhenFree) {
  Checkpoint("kept.pth", 10, absl::Minutes(1));
  WriteTestFile(hub_ + "/checkpoints/kept.pth.lock", "");
  WriteTestFile(hub_ + "/checkpoints/gone.pth.lock", "");
  WriteTestFile(hub_ + "/checkpoints/held.pth.lock", "");
  WriteTestFile(hub_ + "/.o_gone_main.lock", "");
  WriteTestFile(hub_ + "/trusted_list.lock", "");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock held, FileLock::Acquire(hub_ + "/checkpoints/held.pth.lock"));
  PruneOptions o = Options();
  o.older_than = absl::Hours(1);
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/gone.pth.lock"), Action::kRemoved);
  EXPECT_EQ(Find(r, "checkpoints/gone.pth.lock")->kind, Kind::kLockFile);
  EXPECT_EQ(ActionOf(r, ".o_gone_main.lock"), Action::kRemoved);
  EXPECT_EQ(ActionOf(r, "checkpoints/held.pth.lock"), Action::kInUse);
  EXPECT_EQ(Find(r, "checkpoints/kept.pth.lock"), nullptr);
  EXPECT_EQ(Find(r, "trusted_list.lock"), nullptr);
  EXPECT_THAT(
      ListDir(hub_ + "/checkpoints"),
      ::testing::ElementsAre(".kept.pth.source", "held.pth.lock", "kept.pth", "kept.pth.lock"));
  EXPECT_TRUE(Exists(hub_ + "/trusted_list.lock"));
  // The holder still holds the file at the path.
  EXPECT_THAT(FileLock::TryAcquire(hub_ + "/checkpoints/held.pth.lock"),
              StatusIs(absl::StatusCode::kUnavailable));
}

// A reader that looks at the repo dir while it is pruned sees it whole or
// not at all.
TEST_F(CachePruneTest, RepoIsRemovedAtomically) {
  const std::string dir = hub_ + "/o_big_main";
  constexpr int kFiles = 400;
  for (int i = 0; i < kFiles; ++i) WriteTestFile(absl::StrCat(dir, "/f", i), "x");
  WriteTestFile(dir + "/hubconf.py", "");
  SetTimes(dir + "/hubconf.py", now_ - absl::Hours(48));
  SetTimes(dir, now_ - absl::Hours(48));
  std::atomic<bool> done{false};
  std::atomic<int> partial_views{0};
  std::atomic<int> whole_views{0};
  // Looks files up by path (which, unlike listing, isn't a use): whenever
  // the path names the same directory before and after, every file is there.
  std::thread reader([&] {
    struct stat before {};
    struct stat after {};
    while (!done.load()) {
      if (::stat(dir.c_str(), &before) != 0) continue;
      int found = 0;
      for (int i = 0; i < kFiles; i += 7) found += Exists(absl::StrCat(dir, "/f", i)) ? 1 : 0;
      if (::stat(dir.c_str(), &after) != 0 || after.st_ino != before.st_ino) continue;
      if (found == (kFiles + 6) / 7) {
        whole_views.fetch_add(1);
      } else {
        partial_views.fetch_add(1);
      }
    }
  });
  // Prune only once the reader is looking (no sleep standing in for that).
  while (whole_views.load() == 0) std::this_thread::yield();
  PruneOptions o = Options();
  o.older_than = absl::Hours(24);
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  done = true;
  reader.join();
  EXPECT_EQ(ActionOf(r, "o_big_main"), Action::kRemoved);
  EXPECT_EQ(partial_views.load(), 0);
  EXPECT_GT(whole_views.load(), 0);
  EXPECT_THAT(ListDir(hub_), ::testing::IsEmpty());  // no .pruning, no lock left
}

TEST_F(CachePruneTest, FailedRemovalIsReportedAndTheRestGoesOn) {
  Repo("o_stuck_main", 10, absl::Hours(48));
  Checkpoint("c.pth", 10, absl::Hours(48));
  const std::string models = hub_ + "/o_stuck_main/models";
  ASSERT_EQ(::chmod(models.c_str(), 0555), 0);
  PruneOptions o = Options();
  o.older_than = absl::Hours(24);
  // Root may remove anything: prune as a user who can't.
  const absl::Status unprivileged = ::hub::testing::RunAsUnprivileged([&] {
    HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
    EXPECT_EQ(ActionOf(r, "o_stuck_main"), Action::kFailed);
    ASSERT_NE(Find(r, "o_stuck_main"), nullptr);
    EXPECT_THAT(Find(r, "o_stuck_main")->reason, HasSubstr(".pruning, which the next prune"));
    EXPECT_EQ(ActionOf(r, "checkpoints/c.pth"), Action::kRemoved);
    EXPECT_EQ(r.failed, 1);
    EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInternal, HasSubstr("o_stuck_main")));
  });
  EXPECT_TRUE(unprivileged.ok()) << unprivileged;
  EXPECT_FALSE(Exists(hub_ + "/o_stuck_main"));  // never seen half-removed
  EXPECT_FALSE(Exists(hub_ + "/checkpoints/c.pth"));
  EXPECT_THAT(ListDir(hub_), Contains(::testing::EndsWith(".pruning")));

  // Once it can be removed, the next prune finishes the job.
  for (const std::string& name : ListDir(hub_)) {
    if (absl::EndsWith(name, ".pruning")) {
      ASSERT_EQ(::chmod(absl::StrCat(hub_, "/", name, "/models").c_str(), 0755), 0);
    }
  }
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_THAT(r.status, IsOk());
  EXPECT_THAT(ListDir(hub_), Not(Contains(::testing::EndsWith(".pruning"))));
}

// checkpoints/ moved to a bigger disk and linked back is pruned; a linked
// repo dir is the user's and is left alone.
TEST_F(CachePruneTest, FollowsALinkedCheckpointsDirButNotLinkedRepos) {
  const std::string elsewhere = TestDir("elsewhere");
  WriteTestFile(elsewhere + "/old.pth", "w");
  SetTimes(elsewhere + "/old.pth", now_ - absl::Hours(48));
  ASSERT_EQ(::symlink(elsewhere.c_str(), (hub_ + "/checkpoints").c_str()), 0);
  const std::string mine = TestDir("mine");
  WriteTestFile(mine + "/hubconf.py", "");
  ASSERT_EQ(::symlink(mine.c_str(), (hub_ + "/o_mine_main").c_str()), 0);
  PruneOptions o = Options();
  o.max_bytes = 0;
  HUB_ASSERT_OK_AND_ASSIGN(PruneReport r, PruneCache(hub_, o));
  EXPECT_EQ(ActionOf(r, "checkpoints/old.pth"), Action::kRemoved);
  EXPECT_EQ(Find(r, "o_mine_main"), nullptr);
  EXPECT_THAT(ListDir(elsewhere), ::testing::IsEmpty());
  EXPECT_TRUE(Exists(mine + "/hubconf.py"));
  EXPECT_TRUE(Exists(hub_ + "/checkpoints"));
}

}  // namespace
}  // namespace hub
