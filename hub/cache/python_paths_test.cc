#include "hub/cache/python_paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

class ExpandUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* home = std::getenv("HOME");
    saved_home_ = home != nullptr ? std::optional<std::string>(home) : std::nullopt;
  }
  void TearDown() override {
    if (saved_home_) {
      setenv("HOME", saved_home_->c_str(), 1);
    } else {
      unsetenv("HOME");
    }
  }
  std::optional<std::string> saved_home_;
};

TEST_F(ExpandUserTest, TildeUsesHome) {
  setenv("HOME", "/home/me", 1);
  EXPECT_EQ(ExpandUser("~"), "/home/me");
  EXPECT_EQ(ExpandUser("~/.cache"), "/home/me/.cache");
  EXPECT_EQ(ExpandUser("~/"), "/home/me/");
  EXPECT_EQ(ExpandUser("~//x"), "/home/me//x");
}

TEST_F(ExpandUserTest, TrailingSlashesOfHomeAreDropped) {
  setenv("HOME", "/home/me///", 1);
  EXPECT_EQ(ExpandUser("~/x"), "/home/me/x");
  setenv("HOME", "/", 1);
  EXPECT_EQ(ExpandUser("~"), "/");
  EXPECT_EQ(ExpandUser("~/x"), "/x");
  setenv("HOME", "", 1);
  EXPECT_EQ(ExpandUser("~"), "/");
}

TEST_F(ExpandUserTest, OtherPathsAreUnchanged) {
  setenv("HOME", "/home/me", 1);
  EXPECT_EQ(ExpandUser(""), "");
  EXPECT_EQ(ExpandUser("/abs/~"), "/abs/~");
  EXPECT_EQ(ExpandUser("rel/path"), "rel/path");
  EXPECT_EQ(ExpandUser("x~"), "x~");
}

TEST_F(ExpandUserTest, NamedUserUsesPasswordDatabase) {
  const passwd* root = getpwnam("root");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(ExpandUser("~root/x"), std::string(root->pw_dir) + "/x");
  EXPECT_EQ(ExpandUser("~no_such_user_hub/x"), "~no_such_user_hub/x");
}

TEST_F(ExpandUserTest, WithoutHomeUsesPasswordDatabase) {
  unsetenv("HOME");
  const passwd* me = getpwuid(getuid());
  ASSERT_NE(me, nullptr);
  std::string expected = me->pw_dir;
  while (!expected.empty() && expected.back() == '/') expected.pop_back();
  EXPECT_EQ(ExpandUser("~/x"), expected + "/x");
}

TEST(JoinPathTest, FollowsPosixpathJoin) {
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a/", "b"), "/a/b");
  EXPECT_EQ(JoinPath("", "hub"), "hub");
  EXPECT_EQ(JoinPath("/a", "/b"), "/b");
  EXPECT_EQ(JoinPath("/a", ""), "/a/");
  EXPECT_EQ(JoinPath("a//", "b"), "a//b");
}

struct UrlCase {
  std::string url;
  std::string basename;
};

class UrlPathBasenameTest : public ::testing::TestWithParam<UrlCase> {};

TEST_P(UrlPathBasenameTest, MatchesPython) {
  EXPECT_THAT(UrlPathBasename(GetParam().url), IsOkAndHolds(GetParam().basename));
}

INSTANTIATE_TEST_SUITE_P(
    Urls, UrlPathBasenameTest,
    ::testing::Values(
        UrlCase{"https://download.pytorch.org/models/resnet18-5c106cde.pth",
                "resnet18-5c106cde.pth"},
        UrlCase{"https://x/a/b.pth?download=1#frag", "b.pth"},
        UrlCase{"https://x/a/b.pth#frag?x", "b.pth"}, UrlCase{"https://x/a/b.pth;v=1", "b.pth"},
        UrlCase{"https://x/a;p/b.pth", "b.pth"}, UrlCase{"ftp://x/a;type=i", "a"},
        UrlCase{"s3://bucket/a;b", "a;b"}, UrlCase{"https://x/dir/", ""}, UrlCase{"https://x", ""},
        UrlCase{"https://x?q=/y", ""}, UrlCase{"https://x/w%20v.pth", "w%20v.pth"},
        UrlCase{"  https://x/a.pth", "a.pth"}, UrlCase{"https://x/a\t.p\nth", "a.pth"},
        UrlCase{"HTTPS://X/A.PTH;x", "A.PTH"}, UrlCase{"weights.pth", "weights.pth"},
        UrlCase{"/local/file.pt", "file.pt"}, UrlCase{"1http://x/a;b", "a"},
        UrlCase{"http://[::1]:8080/m.pt", "m.pt"},
        UrlCase{"https://huggingface.co/o/r/resolve/main/weights.pth", "weights.pth"}));

TEST(UrlPathBasenameTest, UnbalancedBracketsAreRefusedAsPythonDoes) {
  EXPECT_THAT(UrlPathBasename("http://[::1/x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Invalid IPv6 URL")));
}

}  // namespace
}  // namespace hub
