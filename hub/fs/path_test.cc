#include "hub/fs/path.h"

#include "gtest/gtest.h"

namespace hub {
namespace {

TEST(PathTest, JoinPathIsPosixpathJoin) {
  EXPECT_EQ(JoinPath("/h", "checkpoints"), "/h/checkpoints");
  EXPECT_EQ(JoinPath("/h/", "x"), "/h/x");
  EXPECT_EQ(JoinPath("", "x"), "x");
  EXPECT_EQ(JoinPath("/h", "/abs"), "/abs");
  EXPECT_EQ(JoinPath("/h", ""), "/h/");
}

TEST(PathTest, DirNameIsNeverEmpty) {
  EXPECT_EQ(DirName("/a/b"), "/a");
  EXPECT_EQ(DirName("b"), ".");
  EXPECT_EQ(DirName("/b"), "/");
  EXPECT_EQ(DirName("a/b/"), "a/b");
}

TEST(PathTest, BaseNameIsWhatFollowsTheLastSlash) {
  EXPECT_EQ(BaseName("/a/b.pth"), "b.pth");
  EXPECT_EQ(BaseName("b.pth"), "b.pth");
  EXPECT_EQ(BaseName("a/"), "");
  EXPECT_EQ(BaseName(""), "");
}

}  // namespace
}  // namespace hub
