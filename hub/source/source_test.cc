// The pure parts of hub/source: which git remotes a lock file may name
// (CheckGitRemote). Fetching is tested end to end in tests/source.
#include "hub/source/source.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/hub_dir.h"
#include "hub/fs/files.h"
#include "hub/trust/fake_prompter.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class CheckGitRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv(kAllowInsecureRemoteEnv);
    hub_dir_ = ::hub::testing::TestDir("hub");
    SetDir(hub_dir_);
    options_.endpoints.web = "https://mirror.example/gh";
    options_.trust.use_environment = false;
    options_.trust.prompter = &prompter_;  // no answers: as without a terminal
  }
  void TearDown() override { ClearDir(); }

  absl::Status Check(const std::string& url) {
    return CheckGitRemote(*ParseRepoRef("pytorch/vision:main"), url, options_);
  }

  std::string hub_dir_;
  FetchOptions options_;
  FakePrompter prompter_;
};

TEST_F(CheckGitRemoteTest, TheReposOwnLocationNeedsNothingMore) {
  options_.git_base = "ssh://git@git.example";
  for (const char* own :
       {"https://github.com/pytorch/vision", "https://github.com/pytorch/vision.git",
        "https://mirror.example/gh/pytorch/vision", "https://mirror.example/gh/pytorch/vision.git",
        "ssh://git@git.example/pytorch/vision.git"}) {
    EXPECT_THAT(Check(own), IsOk()) << own;
  }
  // The configured base's transport is the operator's choice.
  options_.endpoints.web = "http://127.0.0.1:8080";
  EXPECT_THAT(Check("http://127.0.0.1:8080/pytorch/vision.git"), IsOk());
  EXPECT_THAT(prompter_.questions(), IsEmpty());
}

TEST_F(CheckGitRemoteTest, AnyOtherRemoteMustBeTrustedByItself) {
  for (const char* other :
       {"https://github.com/someone/vision.git", "https://github.com/pytorch/vision2",
        "https://github.com/pytorch/vision/", "https://gitlab.example/pytorch/vision.git",
        "ssh://git@github.com/pytorch/vision.git", "git@github.com:pytorch/vision.git"}) {
    EXPECT_THAT(Check(other),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr(absl::StrCat("the git remote ", other)),
                               HasSubstr("pytorch/vision"), HasSubstr("could not be confirmed"))))
        << other;
  }
  EXPECT_THAT(prompter_.questions(), SizeIs(6));
  EXPECT_FALSE(PathExists(hub_dir_ + "/trusted_list"));

  options_.trust.extra_trusted = {"https://gitlab.example/pytorch/vision.git"};
  EXPECT_THAT(Check("https://gitlab.example/pytorch/vision.git"), IsOk());
}

TEST_F(CheckGitRemoteTest, LocalAndPlainTextTransportsNeedTheOptIn) {
  options_.trust.mode = TrustMode::kTrue;
  for (const char* insecure :
       {"file:///srv/git/vision.git", "/srv/git/vision.git", "http://git.example/vision.git",
        "git://git.example/vision.git", "HTTP://git.example/vision.git"}) {
    EXPECT_THAT(Check(insecure),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         AllOf(HasSubstr(insecure), HasSubstr("--allow-insecure-remote"))))
        << insecure;
  }
  EXPECT_FALSE(PathExists(hub_dir_ + "/trusted_list"));
  options_.allow_insecure_remote = true;
  EXPECT_THAT(Check("file:///srv/git/vision.git"), IsOk());
  options_.allow_insecure_remote = false;
  setenv(kAllowInsecureRemoteEnv, "1", 1);
  EXPECT_THAT(Check("git://git.example/vision.git"), IsOk());
  setenv(kAllowInsecureRemoteEnv, "0", 1);
  EXPECT_THAT(Check("http://git.example/vision.git"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  unsetenv(kAllowInsecureRemoteEnv);
}

TEST_F(CheckGitRemoteTest, RelativePathsAndUnknownSchemesAreRefused) {
  options_.trust.mode = TrustMode::kTrue;
  options_.allow_insecure_remote = true;
  EXPECT_THAT(Check("../vision"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("relative path")));
  EXPECT_THAT(Check("ftp://h/vision.git"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"ftp\"")));
  EXPECT_THAT(Check("https://h/a\nb"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hub
