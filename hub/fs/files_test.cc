#include "hub/fs/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::hub::testing::TestTempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Tmp(const std::string& name) { return TestTempDir() + "/" + name; }

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FilesTest, WriteAtomicallyThenRead) {
  const std::string dir = Tmp("atomic");
  ASSERT_THAT(MakeDirs(dir), IsOk());
  EXPECT_THAT(WriteFileAtomically(dir + "/f", "one"), IsOk());
  EXPECT_THAT(ReadFile(dir + "/f"), IsOkAndHolds("one"));
  EXPECT_THAT(WriteFileAtomically(dir + "/f", std::string(100000, 'x')), IsOk());
  EXPECT_THAT(ReadFile(dir + "/f"), IsOkAndHolds(std::string(100000, 'x')));
  // No temporary file is left behind.
  EXPECT_THAT(List(dir), ElementsAre("f"));
}

TEST(FilesTest, NewFilesRespectTheUmask) {
  const std::string dir = Tmp("umask");
  ASSERT_THAT(MakeDirs(dir), IsOk());
  const mode_t old = umask(027);
  ASSERT_THAT(WriteFileAtomically(dir + "/f", "x"), IsOk());
  umask(old);
  struct stat st;
  ASSERT_EQ(stat((dir + "/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(FilesTest, FailedWriteLeavesNothing) {
  EXPECT_THAT(WriteFileAtomically(Tmp("no/such/dir/f"), "x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("temporary file beside")));
  const std::string dir = Tmp("ro");
  ASSERT_THAT(MakeDirs(dir), IsOk());
  ASSERT_THAT(MakeDirs(dir + "/target"), IsOk());  // rename onto a directory fails
  EXPECT_THAT(WriteFileAtomically(dir + "/target", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("renaming")));
  EXPECT_THAT(List(dir), ElementsAre("target"));
}

TEST(FilesTest, RenameNoReplaceMovesButNeverReplaces) {
  const std::string dir = Tmp("rename");
  ASSERT_THAT(MakeDirs(dir), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/new", "new"), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/old", "old"), IsOk());
  // Onto an existing file: refused, both left as they were.
  EXPECT_THAT(RenameNoReplace(dir + "/new", dir + "/old"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(dir + "/old already exists")));
  EXPECT_THAT(ReadFile(dir + "/old"), IsOkAndHolds("old"));
  EXPECT_THAT(ReadFile(dir + "/new"), IsOkAndHolds("new"));
  // Onto an empty directory, which rename(2) would replace: refused too.
  ASSERT_THAT(MakeDirs(dir + "/d_new/x"), IsOk());
  ASSERT_THAT(MakeDirs(dir + "/d_old"), IsOk());
  EXPECT_THAT(RenameNoReplace(dir + "/d_new", dir + "/d_old"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(List(dir + "/d_new"), ElementsAre("x"));
  EXPECT_THAT(List(dir + "/d_old"), ElementsAre());
  // To a free name: moved.
  EXPECT_THAT(RenameNoReplace(dir + "/new", dir + "/moved"), IsOk());
  EXPECT_THAT(ReadFile(dir + "/moved"), IsOkAndHolds("new"));
  EXPECT_THAT(List(dir), ElementsAre("d_new", "d_old", "moved", "old"));
}

TEST(FilesTest, WriteAllAtWritesAtTheOffsetAndLeavesThePosition) {
  const std::string dir = Tmp("write_at");
  ASSERT_THAT(MakeDirs(dir), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/f", "0123456789"), IsOk());
  const int fd = ::open((dir + "/f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_THAT(WriteAllAt(fd, "abc", 4, "writing f"), IsOk());
  EXPECT_THAT(WriteAllAt(fd, "XY", 12, "writing f"), IsOk());  // past the end: a hole
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 0);
  ::close(fd);
  EXPECT_THAT(ReadFile(dir + "/f"), IsOkAndHolds(std::string("0123abc789\0\0XY", 14)));
  EXPECT_THAT(WriteAllAt(-1, "abc", 0, "writing f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("writing f")));
}

TEST(FilesTest, ReadAllAtReadsFromTheOffsetUpToTheEnd) {
  const std::string dir = Tmp("read_at");
  ASSERT_THAT(MakeDirs(dir), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/f", "0123456789"), IsOk());
  const int fd = ::open((dir + "/f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string buffer(8, '.');
  EXPECT_THAT(ReadAllAt(fd, buffer.data(), 3, 4, "reading f"), IsOkAndHolds(3U));
  EXPECT_EQ(buffer, "456.....");
  EXPECT_THAT(ReadAllAt(fd, buffer.data(), 8, 6, "reading f"), IsOkAndHolds(4U));  // the end
  EXPECT_EQ(buffer.substr(0, 4), "6789");
  EXPECT_THAT(ReadAllAt(fd, buffer.data(), 8, 10, "reading f"), IsOkAndHolds(0U));
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 0);
  ::close(fd);
  EXPECT_THAT(ReadAllAt(-1, buffer.data(), 1, 0, "reading f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reading f")));
}

TEST(FilesTest, ReadMissingFileIsNotFound) {
  EXPECT_THAT(ReadFile(Tmp("missing")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("opening " + Tmp("missing"))));
}

TEST(FilesTest, MakeDirsCreatesParentsAndToleratesExisting) {
  const std::string dir = Tmp("a/b/c");
  EXPECT_THAT(MakeDirs(dir), IsOk());
  EXPECT_TRUE(IsDirectory(dir));
  EXPECT_THAT(MakeDirs(dir), IsOk());
  EXPECT_THAT(MakeDirs(dir + "/"), IsOk());
  ASSERT_THAT(WriteFileAtomically(Tmp("a/file"), ""), IsOk());
  EXPECT_THAT(MakeDirs(Tmp("a/file")),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("a file of that name")));
  EXPECT_THAT(MakeDirs(Tmp("a/file/x")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("a/file/x")));
}

TEST(FilesTest, DirName) {
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("b"), ".");
  EXPECT_EQ(DirName("/b"), "/");
  EXPECT_EQ(DirName("a/b/"), "a/b");
}

TEST(FilesTest, ExistenceChecks) {
  EXPECT_TRUE(PathExists(Tmp("")));
  EXPECT_TRUE(IsDirectory(Tmp("")));
  EXPECT_FALSE(PathExists(Tmp("nothing")));
  ASSERT_THAT(WriteFileAtomically(Tmp("plain"), "x"), IsOk());
  EXPECT_TRUE(PathExists(Tmp("plain")));
  EXPECT_FALSE(IsDirectory(Tmp("plain")));
}

TEST(FilesTest, RemoveTreeRemovesEverythingButFollowsNoLinks) {
  const std::string dir = Tmp("rmtree");
  const std::string outside = Tmp("rmtree_outside");
  ASSERT_THAT(MakeDirs(dir + "/a/b"), IsOk());
  ASSERT_THAT(MakeDirs(outside), IsOk());
  ASSERT_THAT(WriteFileAtomically(dir + "/a/b/f", "x"), IsOk());
  ASSERT_THAT(WriteFileAtomically(outside + "/keep", "x"), IsOk());
  ASSERT_EQ(::symlink(outside.c_str(), (dir + "/a/link").c_str()), 0);
  ASSERT_EQ(::chmod((dir + "/a/b").c_str(), 0555), 0);  // read-only dirs go too
  EXPECT_THAT(RemoveTree(dir), IsOk());
  EXPECT_FALSE(PathExists(dir));
  EXPECT_TRUE(PathExists(outside + "/keep"));
  EXPECT_THAT(RemoveTree(dir), IsOk());  // missing is fine
  ASSERT_THAT(WriteFileAtomically(Tmp("rmtree_file"), "x"), IsOk());
  EXPECT_THAT(RemoveTree(Tmp("rmtree_file")), IsOk());
  EXPECT_FALSE(PathExists(Tmp("rmtree_file")));
}

TEST(FilesTest, RandomHex128IsFreshLowercaseHex) {
  const std::string a = RandomHex128();
  const std::string b = RandomHex128();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  for (const char c : a) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << a;
}

}  // namespace
}  // namespace hub
