#include "hub/fs/file_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;

TEST(FileIdentityTest, SignatureSpellsDevInodeSizeAndTimes) {
  const std::string path = TestDir("sig") + "/f";
  WriteTestFile(path, "four");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  HUB_ASSERT_OK_AND_ASSIGN(const FileIdentity id, FileIdentity::Of(path));
  // The records written before this type existed spelled it so.
  EXPECT_EQ(id.Signature(),
            absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                         st.st_mtim.tv_nsec, ":", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec));
  EXPECT_EQ(id.size, 4);
  EXPECT_EQ(id.LastChange(), absl::TimeFromTimespec(st.st_ctim));
}

TEST(FileIdentityTest, ReplacementIsAnotherFileAndAWriteChangesTheSignature) {
  const std::string dir = TestDir("replace");
  WriteTestFile(dir + "/f", "one");
  HUB_ASSERT_OK_AND_ASSIGN(const FileIdentity before, FileIdentity::Of(dir + "/f"));
  WriteTestFile(dir + "/g", "two");
  ASSERT_EQ(std::rename((dir + "/g").c_str(), (dir + "/f").c_str()), 0);
  HUB_ASSERT_OK_AND_ASSIGN(const FileIdentity after, FileIdentity::Of(dir + "/f"));
  EXPECT_FALSE(before.SameFile(after));
  EXPECT_NE(before, after);
  const timespec times[2] = {{1, 0}, {1, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir + "/f").c_str(), times, 0), 0);
  HUB_ASSERT_OK_AND_ASSIGN(const FileIdentity touched, FileIdentity::Of(dir + "/f"));
  EXPECT_TRUE(after.SameFile(touched));
  EXPECT_NE(after.Signature(), touched.Signature());
}

TEST(FileIdentityTest, LinksFollowedOrNot) {
  const std::string dir = TestDir("links");
  WriteTestFile(dir + "/f", "x");
  ASSERT_EQ(::symlink("f", (dir + "/l").c_str()), 0);
  HUB_ASSERT_OK_AND_ASSIGN(const FileIdentity followed, FileIdentity::Of(dir + "/l"));
  HUB_ASSERT_OK_AND_ASSIGN(const FileIdentity link, FileIdentity::Of(dir + "/l", false));
  EXPECT_TRUE(S_ISREG(followed.mode));
  EXPECT_TRUE(S_ISLNK(link.mode));
  EXPECT_THAT(FileIdentity::Of(dir + "/none"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace hub
