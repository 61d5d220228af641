#include "hub/fs/file_lock.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/run_as_unprivileged.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;

std::string LockPath(const std::string& name) { return TestDir() + "/" + name; }

ino_t InodeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Whether /proc/locks shows a flock request blocked ("->") on inode `ino`:
// a waiter that is really asleep in flock, not merely about to call it.
bool FlockWaiterIsBlockedOn(ino_t ino) {
  for (absl::string_view line : absl::StrSplit(::hub::testing::ReadTestFile("/proc/locks"), '\n')) {
    if (!absl::StrContains(line, "-> FLOCK")) continue;
    // "<n>: -> FLOCK  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF"
    for (absl::string_view field : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      const std::vector<absl::string_view> parts = absl::StrSplit(field, ':');
      uint64_t n = 0;
      if (parts.size() == 3 && absl::SimpleAtoi(parts[2], &n) && n == ino) return true;
    }
  }
  return false;
}

// How many descriptors of this process are open on inode `ino`.
int OpenDescriptorsOn(ino_t ino) {
  int count = 0;
  for (const std::string& name : ::hub::testing::ListDir("/proc/self/fd")) {
    struct stat st {};
    if (::stat(absl::StrCat("/proc/self/fd/", name).c_str(), &st) == 0 && st.st_ino == ino) {
      ++count;
    }
  }
  return count;
}

// Polls `condition` until it holds. No time limit of its own: the test's
// timeout is the limit, so a slow machine waits longer instead of failing.
template <typename Condition>
void AwaitCondition(Condition condition) {
  while (!condition()) absl::SleepFor(absl::Milliseconds(1));
}

TEST(FileLockTest, ExclusiveLocksExcludeEachOther) {
  const std::string path = LockPath("excl.lock");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock first, FileLock::Acquire(path));
  EXPECT_THAT(FileLock::TryAcquire(path),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("held elsewhere")));
  first.Release();
  EXPECT_THAT(FileLock::TryAcquire(path), IsOk());
}

TEST(FileLockTest, SharedLocksCoexistButExcludeWriters) {
  const std::string path = LockPath("shared.lock");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock a, FileLock::Acquire(path, FileLock::Mode::kShared));
  HUB_ASSERT_OK_AND_ASSIGN(FileLock b, FileLock::TryAcquire(path, FileLock::Mode::kShared));
  EXPECT_THAT(FileLock::TryAcquire(path, FileLock::Mode::kExclusive),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(path)));
}

TEST(FileLockTest, TimesOutWithAClearMessage) {
  const std::string path = LockPath("timeout.lock");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock held, FileLock::Acquire(path));
  EXPECT_THAT(
      FileLock::Acquire(path, FileLock::Mode::kExclusive, absl::Milliseconds(30)),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("waiting for the lock on " + path)));
}

TEST(FileLockTest, SerialisesThreads) {
  const std::string path = LockPath("threads.lock");
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
        ASSERT_TRUE(lock.ok());
        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        absl::SleepFor(absl::Microseconds(50));
        inside.fetch_sub(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
}

TEST(FileLockTest, LockOfAKilledProcessIsReleased) {
  const std::string path = LockPath("killed.lock");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
    const char c = lock.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();  // hold it until killed
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_THAT(FileLock::TryAcquire(path),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(path)));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_THAT(FileLock::Acquire(path, FileLock::Mode::kExclusive, absl::Seconds(5)), IsOk());
  close(ready[0]);
  close(ready[1]);
}

// A child process that holds `path` the way versions before the rename took
// a download's lock (plain Acquire of "<dst>.lock") until killed.
pid_t HoldInChild(const std::string& path) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    absl::StatusOr<FileLock> lock = FileLock::Acquire(path);
    const char c = lock.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();  // hold it until killed
    _exit(0);
  }
  char c = 0;
  const bool held = read(ready[0], &c, 1) == 1 && c == 'y';
  close(ready[0]);
  close(ready[1]);
  return held ? child : -1;
}

void Reap(pid_t child) {
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

TEST(FileLockTest, LegacyNameHeldByAnOldProcessExcludesANewOne) {
  const std::string dir = TestDir("legacy_old_holds");
  const std::string hidden = dir + "/.w.pth.lock";
  const std::string legacy = dir + "/w.pth.lock";
  const pid_t old_process = HoldInChild(legacy);
  ASSERT_GT(old_process, 0);
  EXPECT_THAT(FileLock::TryAcquireWithLegacy(hidden, legacy),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(legacy)));
  EXPECT_FALSE(Exists(hidden));  // nothing made while the old one holds it
  EXPECT_THAT(FileLock::AcquireWithLegacy(hidden, legacy, FileLock::Mode::kExclusive,
                                          absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr(legacy)));
  // The new name alone is free: only the old one excluded us.
  EXPECT_THAT(FileLock::TryAcquire(hidden), IsOk());
  Reap(old_process);
  HUB_ASSERT_OK_AND_ASSIGN(FileLock both, FileLock::AcquireWithLegacy(hidden, legacy));
  EXPECT_GE(both.legacy_fd(), 0);
  EXPECT_EQ(both.legacy_path(), legacy);
  EXPECT_THAT(both.RemoveFileAndRelease(), IsOk());
  EXPECT_FALSE(Exists(hidden));
  EXPECT_FALSE(Exists(legacy));
}

TEST(FileLockTest, NewHolderOfAnExistingLegacyNameExcludesAnOldProcess) {
  const std::string dir = TestDir("legacy_new_holds");
  const std::string hidden = dir + "/.w.pth.lock";
  const std::string legacy = dir + "/w.pth.lock";
  ASSERT_THAT(FileLock::Acquire(legacy).status(), IsOk());  // an old version's leftover
  HUB_ASSERT_OK_AND_ASSIGN(FileLock lock, FileLock::AcquireWithLegacy(hidden, legacy));
  EXPECT_GE(lock.legacy_fd(), 0);
  // What an old version does: lock "<dst>.lock", in another process.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const absl::StatusOr<FileLock> old = FileLock::TryAcquire(legacy);
    _exit(!old.ok() && absl::IsUnavailable(old.status()) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the old process got the lock";
}

TEST(FileLockTest, NoLegacyFileIsNeverCreated) {
  const std::string dir = TestDir("legacy_none");
  const std::string hidden = dir + "/.w.pth.lock";
  const std::string legacy = dir + "/w.pth.lock";
  {
    HUB_ASSERT_OK_AND_ASSIGN(FileLock lock, FileLock::AcquireWithLegacy(hidden, legacy));
    EXPECT_EQ(lock.legacy_fd(), -1);
    EXPECT_EQ(lock.legacy_path(), "");
  }
  HUB_ASSERT_OK_AND_ASSIGN(FileLock tried, FileLock::TryAcquireWithLegacy(hidden, legacy));
  EXPECT_EQ(tried.legacy_fd(), -1);
  EXPECT_TRUE(Exists(hidden));
  EXPECT_FALSE(Exists(legacy));
  // Another new-version locker is excluded by the hidden name alone.
  EXPECT_THAT(FileLock::TryAcquireWithLegacy(hidden, legacy),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(hidden)));
}

TEST(FileLockTest, MissingDirectoryIsAClearError) {
  EXPECT_THAT(FileLock::Acquire(LockPath("no/such/dir/x.lock")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("opening lock file")));
}

TEST(FileLockTest, UnwritableDirectoryIsPermissionDenied) {
  const std::string dir = TestDir("read_only");
  ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
  // Root may create files anywhere: try it as a user who can't.
  const absl::Status unprivileged = ::hub::testing::RunAsUnprivileged([&] {
    EXPECT_THAT(FileLock::Acquire(dir + "/x.lock"),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("opening lock file " + dir + "/x.lock: Permission denied")));
  });
  EXPECT_TRUE(unprivileged.ok()) << unprivileged;
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
}

TEST(FileLockTest, MovedLockKeepsHolding) {
  const std::string path = LockPath("moved.lock");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock a, FileLock::Acquire(path));
  FileLock b = std::move(a);
  EXPECT_THAT(FileLock::TryAcquire(path),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(path)));
  b.Release();
  EXPECT_THAT(FileLock::TryAcquire(path), IsOk());
}

TEST(FileLockTest, RemoveFileAndReleaseDeletesTheFile) {
  const std::string path = LockPath("removed.lock");
  HUB_ASSERT_OK_AND_ASSIGN(FileLock lock, FileLock::Acquire(path));
  EXPECT_THAT(lock.RemoveFileAndRelease(), IsOk());
  EXPECT_EQ(lock.fd(), -1);
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0);
  EXPECT_THAT(lock.RemoveFileAndRelease(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(FileLock::TryAcquire(path), IsOk());
}

// A waiter blocked on a lock file that its holder deletes must end up
// holding the file now at the path, not the deleted one: otherwise the next
// comer locks the new file too and both think they hold the lock.
TEST(FileLockTest, WaiterOnARemovedLockFileHoldsTheNewFile) {
  for (const bool timed : {false, true}) {
    SCOPED_TRACE(timed ? "Acquire with a time-out" : "Acquire");
    const std::string path = LockPath(timed ? "unlinked_timed.lock" : "unlinked.lock");
    HUB_ASSERT_OK_AND_ASSIGN(FileLock holder, FileLock::Acquire(path));
    std::atomic<bool> waiter_has_it{false};
    std::thread waiter([&] {
      absl::StatusOr<FileLock> lock = FileLock::Acquire(
          path, FileLock::Mode::kExclusive, timed ? absl::Seconds(30) : absl::InfiniteDuration());
      ASSERT_TRUE(lock.ok()) << lock.status();
      struct stat held {};
      struct stat at_path {};
      ASSERT_EQ(::fstat(lock->fd(), &held), 0);
      ASSERT_EQ(::stat(path.c_str(), &at_path), 0);
      EXPECT_EQ(held.st_ino, at_path.st_ino);
      waiter_has_it = true;
      // Someone else arriving now must find it held.
      EXPECT_THAT(FileLock::TryAcquire(path),
                  StatusIs(absl::StatusCode::kUnavailable, HasSubstr("held elsewhere")));
    });
    // Go on only once the waiter holds a descriptor on the file about to be
    // removed: blocked in flock (seen in /proc/locks) for the plain wait, or
    // polling on it (a second descriptor) for the timed one.
    const ino_t old_file = InodeOf(path);
    ASSERT_NE(old_file, 0u);
    if (timed) {
      AwaitCondition([&] { return OpenDescriptorsOn(old_file) >= 2; });
    } else {
      AwaitCondition([&] { return FlockWaiterIsBlockedOn(old_file); });
    }
    EXPECT_FALSE(waiter_has_it.load());
    EXPECT_THAT(holder.RemoveFileAndRelease(), IsOk());
    waiter.join();
    EXPECT_TRUE(waiter_has_it.load());
  }
}

// Threads (each with its own FileLock, so they conflict as processes do)
// that delete the lock file on the way out, every other time, still never
// hold the lock together, whichever way they take it.
TEST(FileLockTest, NeverTwoHoldersWhileHoldersRemoveTheFile) {
  const std::string path = LockPath("churn.lock");
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        absl::StatusOr<FileLock> lock =
            t == 0   ? FileLock::Acquire(path)
            : t == 1 ? FileLock::Acquire(path, FileLock::Mode::kExclusive, absl::Seconds(30))
                     : FileLock::TryAcquire(path);
        if (!lock.ok()) {
          ASSERT_EQ(lock.status().code(), absl::StatusCode::kUnavailable) << lock.status();
          absl::SleepFor(absl::Microseconds(20));
          continue;
        }
        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        absl::SleepFor(absl::Microseconds(100));
        inside.fetch_sub(1);
        if ((i + t) % 2 == 0) {
          ASSERT_THAT(lock->RemoveFileAndRelease(), IsOk());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
}

}  // namespace
}  // namespace hub
