// GetCacheOrReload from git remotes through libgit2: file:// and `git daemon`
// on 127.0.0.1, with repositories this test makes with the git CLI; and ref
// validation with ls-remote instead of the GitHub API.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/hub_dir.h"
#include "hub/fs/files.h"
#include "hub/source/source.h"
#include "tests/servers/fake_github.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/git_cli.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::FakeGithub;
using ::hub::testing::FaultServer;
using ::hub::testing::Git;
using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::HasSubstr;

class GitSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    hub_dir_ = TestDir("hub_" + name);
    work_ = TestDir("work_" + name);
    SetDir(hub_dir_);
    options_.out = &out_;
    options_.err = &err_;
    options_.trust.mode = TrustMode::kTrue;
    options_.trust.use_environment = false;
  }
  void TearDown() override { ClearDir(); }

  // A bare repository "<work>/remotes/<owner>/<name>.git" whose default
  // branch is `head`, with a tag v1 and a second commit on `dev`.
  std::string MakeRemote(const std::string& owner, const std::string& name,
                         const std::string& head) {
    const std::string src = absl::StrCat(work_, "/src_", owner, "_", name);
    WriteTestFile(src + "/hubconf.py", "def answer():\n    return 42\n");
    WriteTestFile(src + "/run.sh", "#!/bin/sh\n");
    ::chmod((src + "/run.sh").c_str(), 0755);
    Git(src, {"init", "-q", "-b", head});
    Git(src, {"add", "."});
    Git(src, {"commit", "-q", "-m", "one"});
    Git(src, {"tag", "-a", "v1", "-m", "v1"});
    Git(src, {"checkout", "-q", "-b", "dev"});
    WriteTestFile(src + "/dev.txt", "dev\n");
    Git(src, {"add", "."});
    Git(src, {"commit", "-q", "-m", "two"});
    Git(src, {"checkout", "-q", head});
    std::string bare = absl::StrCat(work_, "/remotes/", owner, "/", name, ".git");
    EXPECT_THAT(MakeDirs(DirName(bare)), IsOk());
    Git(work_, {"clone", "-q", "--bare", src, bare});
    return bare;
  }

  std::string hub_dir_, work_;
  FetchOptions options_;
  std::ostringstream out_, err_;
};

TEST_F(GitSourceTest, FetchesARefFromAFileRemote) {
  const std::string bare = MakeRemote("acme", "models", "main");
  options_.git_url = "file://" + bare;
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models:dev", options_));
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_dev");
  EXPECT_EQ(ReadTestFile(r.repo_dir + "/dev.txt"), "dev\n");
  EXPECT_FALSE(PathExists(r.repo_dir + "/.git"));
  EXPECT_EQ(r.commit, Git(bare, {"rev-parse", "dev"}));
  EXPECT_THAT(ReadTestFile(hub_dir_ + "/.acme_models_dev.source"),
              HasSubstr(absl::StrCat("\"commit\":\"", r.commit, "\"")));
  EXPECT_THAT(out_.str(), HasSubstr("Fetching: refs/heads/dev"));

  // An annotated tag: its commit, not the tag object.
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult tag, GetCacheOrReload("acme/models:v1", options_));
  EXPECT_EQ(tag.commit, Git(bare, {"rev-parse", "v1^{commit}"}));
  EXPECT_FALSE(PathExists(tag.repo_dir + "/dev.txt"));
  struct stat st {};
  ASSERT_EQ(::stat((tag.repo_dir + "/run.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);

  // Cached the second time.
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult again, GetCacheOrReload("acme/models:v1", options_));
  EXPECT_TRUE(again.from_cache);
}

TEST_F(GitSourceTest, DefaultBranchIsTheRemotesHead) {
  options_.git_url = "file://" + MakeRemote("acme", "models", "trunk");
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models", options_));
  EXPECT_EQ(*r.repo.ref, "trunk");
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_trunk");
}

TEST_F(GitSourceTest, UnknownRefLeavesNothing) {
  options_.git_url = "file://" + MakeRemote("acme", "models", "main");
  EXPECT_THAT(GetCacheOrReload("acme/models:nope", options_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find nope in file://")));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_nope"));
}

TEST_F(GitSourceTest, FetchesOverGitDaemon) {
  if (!PathExists("/usr/lib/git-core/git-daemon")) GTEST_SKIP() << "git-daemon is not installed";
  MakeRemote("acme", "models", "main");
  HUB_ASSERT_OK_AND_ASSIGN(const int port, hub::testing::PickFreePort());
  absl::StatusOr<pid_t> daemon = hub::testing::StartProcess(
      {"git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
       absl::StrCat("--port=", port), absl::StrCat("--base-path=", work_, "/remotes"),
       work_ + "/remotes"},
      work_ + "/daemon.log");
  ASSERT_THAT(daemon.status(), IsOk());
  options_.git_url = absl::StrCat("git://127.0.0.1:", port, "/acme/models.git");
  // Fetch once the daemon listens (no deadline: a slow machine waits
  // longer; a daemon that exits instead fails the test).
  while (!hub::testing::CanConnectToLoopback(port)) {
    ASSERT_NE(::waitpid(*daemon, nullptr, WNOHANG), *daemon) << "git daemon exited:\n"
                                                             << ReadTestFile(work_ + "/daemon.log");
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::StatusOr<FetchResult> r = GetCacheOrReload("acme/models:main", options_);
  ::kill(*daemon, SIGTERM);
  ::waitpid(*daemon, nullptr, 0);
  ASSERT_THAT(r.status(), IsOk()) << ReadTestFile(work_ + "/daemon.log");
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 42\n");
}

// The GitHub path, validated with ls-remote instead of the API: archives
// from the GitHub-shaped server, refs from a file:// remote.
TEST_F(GitSourceTest, ValidateWithGitInsteadOfTheApi) {
  const std::string bare = MakeRemote("acme", "models", "main");
  const std::string root = TestDir("root_validate");
  const std::string sha = Git(bare, {"rev-parse", "dev"});
  FakeGithub(root).PublishArchive(bare, "acme/models", "dev");
  absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root});
  ASSERT_THAT(server.status(), IsOk());
  // The API serves nothing: it must not be asked.
  options_.endpoints = FakeGithub::Endpoints((*server)->base_url());
  options_.validate_with_git = true;
  options_.git_base = "file://" + work_ + "/remotes";
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models:dev", options_));
  EXPECT_EQ(r.commit, sha);
  EXPECT_EQ(ReadTestFile(r.repo_dir + "/dev.txt"), "dev\n");
  HUB_ASSERT_OK_AND_ASSIGN(const auto log, (*server)->ReadLog());
  for (const auto& request : log) EXPECT_FALSE(absl::StrContains(request.path, "/api/"));
  EXPECT_THAT(ReadTestFile(hub_dir_ + "/.acme_models_dev.source"), HasSubstr(sha));

  EXPECT_THAT(GetCacheOrReload("acme/models:missing", options_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find missing")));
}

}  // namespace
}  // namespace hub
