#include "hub/trust/trusted_list.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/files.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class TrustedListTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::hub::testing::TestDir("hub"); }
  CacheLayout cache() const { return CacheLayout(dir_); }
  std::string dir_;
};

TEST(ParseTrustedListLinesTest, UniversalNewlinesAndStrip) {
  EXPECT_THAT(ParseTrustedListLines("a_b\nc_d\r\ne_f\rg_h"),
              ElementsAre("a_b", "c_d", "e_f", "g_h"));
  EXPECT_THAT(ParseTrustedListLines("  a_b \t\n\x0b\x0c c_d\x1f\n\n"),
              ElementsAre("a_b", "c_d", ""));
  EXPECT_THAT(ParseTrustedListLines(""), IsEmpty());
  EXPECT_THAT(ParseTrustedListLines("\n"), ElementsAre(""));
}

TEST_F(TrustedListTest, LockIsHidden) {
  const TrustedList list(cache());
  ASSERT_THAT(list.Add("a_b"), IsOkAndHolds(true));
  EXPECT_THAT(::hub::testing::ListDir(dir_), ElementsAre(".trusted_list.lock", "trusted_list"));
  // An older version's lock file, when there is one, is taken too (free
  // here), and never made where there is none.
  ::hub::testing::WriteTestFile(dir_ + "/trusted_list.lock", "");
  EXPECT_THAT(list.Add("c_d"), IsOkAndHolds(true));
  EXPECT_THAT(list.Read(), IsOkAndHolds(ElementsAre("a_b", "c_d")));
}

TEST_F(TrustedListTest, MissingFileReadsEmpty) {
  const TrustedList list(cache());
  EXPECT_THAT(list.Read(), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(list.Contains("a_b"), IsOkAndHolds(false));
  EXPECT_FALSE(PathExists(list.path()));
}

TEST(TrustedListNoDirTest, RemoveFromAMissingHubDirChangesNothing) {
  const std::string dir = ::hub::testing::TestDir() + "/never_created";
  EXPECT_THAT(TrustedList(CacheLayout(dir)).Remove("a_b"), IsOkAndHolds(false));
  EXPECT_FALSE(PathExists(dir));
}

TEST_F(TrustedListTest, EnsureExistsTouches) {
  const TrustedList list(cache());
  ASSERT_THAT(list.EnsureExists(), IsOk());
  EXPECT_THAT(ReadFile(list.path()), IsOkAndHolds(""));
  ASSERT_THAT(WriteFileAtomically(list.path(), "x_y\n"), IsOk());
  ASSERT_THAT(list.EnsureExists(), IsOk());
  EXPECT_THAT(ReadFile(list.path()), IsOkAndHolds("x_y\n"));
}

TEST_F(TrustedListTest, AddAppendsOnceInPythonsFormat) {
  const TrustedList list(cache());
  EXPECT_THAT(list.Add("ailzhang_torchhub_example"), IsOkAndHolds(true));
  EXPECT_THAT(list.Add("ailzhang_torchhub_example"), IsOkAndHolds(false));
  EXPECT_THAT(list.Add("a_b"), IsOkAndHolds(true));
  EXPECT_THAT(ReadFile(list.path()), IsOkAndHolds("ailzhang_torchhub_example\na_b\n"));
  EXPECT_THAT(list.Contains("a_b"), IsOkAndHolds(true));
}

TEST_F(TrustedListTest, AddRecognisesEntriesWrittenByHand) {
  const TrustedList list(cache());
  ASSERT_THAT(WriteFileAtomically(list.path(), "  a_b \r\n"), IsOk());
  EXPECT_THAT(list.Add("a_b"), IsOkAndHolds(false));
}

TEST_F(TrustedListTest, AddNeverGluesOntoALastLineWithoutBreak) {
  const TrustedList list(cache());
  ASSERT_THAT(WriteFileAtomically(list.path(), "x_y"), IsOk());
  EXPECT_THAT(list.Add("a_b"), IsOkAndHolds(true));
  EXPECT_THAT(ReadFile(list.path()), IsOkAndHolds("x_y\na_b\n"));
  EXPECT_THAT(list.Read(), IsOkAndHolds(ElementsAre("x_y", "a_b")));
}

TEST_F(TrustedListTest, RemoveRewritesWithoutTheEntry) {
  const TrustedList list(cache());
  ASSERT_THAT(WriteFileAtomically(list.path(), "a_b\nc_d\n a_b\n\ne_f"), IsOk());
  EXPECT_THAT(list.Remove("a_b"), IsOkAndHolds(true));
  EXPECT_THAT(ReadFile(list.path()), IsOkAndHolds("c_d\ne_f\n"));
  EXPECT_THAT(list.Remove("a_b"), IsOkAndHolds(false));
  EXPECT_THAT(list.Remove("zz"), IsOkAndHolds(false));
}

TEST_F(TrustedListTest, ConcurrentProcessesNeitherLoseNorDuplicate) {
  const TrustedList list(cache());
  constexpr int kProcesses = 8;
  constexpr int kNames = 20;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Every process adds every name, in its own order.
      for (int i = 0; i < kNames; ++i) {
        const int n = (i * 7 + p) % kNames;
        if (!list.Add(absl::StrCat("owner_repo", n)).ok()) _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  HUB_ASSERT_OK_AND_ASSIGN(const std::vector<std::string> entries, list.Read());
  std::map<std::string, int> counts;
  for (const std::string& e : entries) ++counts[e];
  EXPECT_EQ(counts.size(), static_cast<size_t>(kNames));
  for (const auto& [name, count] : counts) EXPECT_EQ(count, 1) << name;
}

}  // namespace
}  // namespace hub
