// FetchPinnedRepo against a GitHub-shaped server on 127.0.0.1 serving
// zipballs that `git archive` makes from a repository made here.
#include "hub/lock/pinned.h"

#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/archive/extract.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/hub_dir.h"
#include "hub/fs/files.h"
#include "hub/lock/lock_file.h"
#include "hub/trust/fake_prompter.h"
#include "tests/servers/fake_github.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/git_cli.h"

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
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class PinnedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = TestDir("root_" + name);
    hub_dir_ = TestDir("hub_" + name);
    work_ = TestDir("work_" + name);
    github_ = FakeGithub(root_);
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    SetDir(hub_dir_);
    options_.endpoints = FakeGithub::Endpoints(server_->base_url());
    options_.out = &out_;
    options_.err = &err_;
    options_.trust.mode = TrustMode::kTrue;
    options_.trust.use_environment = false;
    options_.download.max_attempts = 1;

    // Two commits of acme/models; v1 is the first, main has moved on.
    WriteTestFile(work_ + "/hubconf.py", "def answer():\n    return 41\n");
    Git(work_, {"init", "-q", "-b", "main"});
    Git(work_, {"add", "."});
    Git(work_, {"commit", "-q", "-m", "one"});
    Git(work_, {"tag", "v1"});
    first_ = Git(work_, {"rev-parse", "HEAD"});
    WriteTestFile(work_ + "/hubconf.py", "def answer():\n    return 42\n");
    Git(work_, {"commit", "-q", "-am", "two"});
    second_ = Git(work_, {"rev-parse", "HEAD"});
    Publish(first_, first_);
    Publish(second_, second_);
    Publish("main", second_);
    first_digest_ = DigestOf(first_);
    second_digest_ = DigestOf(second_);
    // The GitHub API's view: main and v1, and that main has v1 in its history.
    github_.PublishBranches("acme/models", {{"main", second_}});
    github_.PublishTags("acme/models", {{"v1", first_}});
    ServeComparison(first_, second_, "ahead");
  }
  void TearDown() override {
    ClearDir();
    unsetenv(kAllowInsecureRemoteEnv);
  }

  // GitHub's "compare/{base}...{head}" answer.
  void ServeComparison(const std::string& base, const std::string& head,
                       const std::string& status) {
    github_.PublishComparison("acme/models", base, head, status);
  }

  // A commit of a fork of acme/models (made on a side branch of the work
  // repo, which is then deleted): GitHub serves it under acme/models's
  // archive URL too, but no branch or tag of acme/models has it.
  std::string MakeForkCommit() {
    Git(work_, {"checkout", "-q", "-b", "fork", first_});
    WriteTestFile(work_ + "/hubconf.py", "import os\ndef answer():\n    return os.getuid()\n");
    Git(work_, {"commit", "-q", "-am", "fork"});
    std::string fork = Git(work_, {"rev-parse", "HEAD"});
    Git(work_, {"checkout", "-q", "main"});
    Git(work_, {"branch", "-q", "-D", "fork"});
    Publish(fork, fork);
    ServeComparison(fork, second_, "diverged");
    return fork;
  }

  // Every path under `dir`, for "nothing was written".
  static std::vector<std::string> Listing(const std::string& dir) {
    std::vector<std::string> paths;
    EXPECT_THAT(WalkTree(dir, {},
                         [&](const std::string& rel, const std::string&, const struct stat&) {
                           paths.push_back(rel);
                           return absl::OkStatus();
                         }),
                IsOk());
    return paths;
  }

  std::vector<std::string> RequestPaths() {
    absl::StatusOr<std::vector<FaultServer::Request>> log = server_->ReadLog();
    EXPECT_THAT(log.status(), IsOk());
    std::vector<std::string> paths;
    for (const FaultServer::Request& r : log.value_or(std::vector<FaultServer::Request>())) {
      paths.push_back(r.path);
    }
    return paths;
  }

  // Serves commit `commit`'s zipball (with its id as the zip comment, as
  // GitHub's) at ".../zipball/<url_ref>".
  void Publish(const std::string& url_ref, const std::string& commit) {
    github_.PublishArchive(work_, "acme/models", commit, url_ref);
  }

  std::string DigestOf(const std::string& commit) {
    const std::string zip = absl::StrCat(root_, "/acme/models/zipball/", commit);
    const std::string dest = TestDir("digest_" + commit);
    absl::StatusOr<ExtractResult> x = ExtractArchive(zip, dest + "/x");
    EXPECT_THAT(x.status(), IsOk());
    if (!x.ok()) return "";
    absl::StatusOr<std::string> d = ContentDigest(dest + "/x/" + x->top_dir);
    EXPECT_THAT(d.status(), IsOk());
    return d.value_or("");
  }

  size_t Requests() {
    absl::StatusOr<std::vector<FaultServer::Request>> log = server_->ReadLog();
    EXPECT_THAT(log.status(), IsOk());
    return log.ok() ? log->size() : 0;
  }

  LockFile LockAt(const std::string& key, const std::string& ref, const std::string& commit,
                  const std::string& digest) {
    LockFile lock;
    lock.Put(LockedRepo{key, ref, commit, digest, ""});
    return lock;
  }

  std::string root_, hub_dir_, work_, first_, second_, first_digest_, second_digest_;
  std::unique_ptr<FaultServer> server_;
  FakeGithub github_{""};
  FetchOptions options_;
  std::ostringstream out_, err_;
};

TEST_F(PinnedTest, FetchesThePinnedCommitThenLoadsWithNoNetwork) {
  // "acme/models" was main when locked, at the first commit; main has moved.
  const LockFile lock = LockAt("acme/models", "main", first_, first_digest_);
  absl::StatusOr<FetchResult> r = FetchPinnedRepo("acme/models", options_, lock, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(r->repo_dir, hub_dir_ + "/acme_models_main");
  EXPECT_EQ(r->commit, first_);
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 41\n");
  EXPECT_THAT(ReadTestFile(hub_dir_ + "/.acme_models_main.source"), HasSubstr(first_));
  const size_t fetched = Requests();
  // No probe: main's head, that the commit is in main's history, its zipball.
  EXPECT_THAT(RequestPaths(),
              ElementsAre("/api/repos/acme/models/branches",
                          absl::StrCat("/api/repos/acme/models/compare/", first_, "...", second_),
                          absl::StrCat("/acme/models/zipball/", first_)));

  options_.offline = true;
  r = FetchPinnedRepo("acme/models", options_, lock, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_TRUE(r->from_cache);
  EXPECT_EQ(r->commit, first_);
  EXPECT_EQ(Requests(), fetched);
}

TEST_F(PinnedTest, AChangedCacheIsAClearErrorUntilTheCommitIsFetchedAgain) {
  const LockFile lock = LockAt("acme/models:v1", "v1", first_, first_digest_);
  ASSERT_THAT(FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock").status(), IsOk());
  WriteTestFile(hub_dir_ + "/acme_models_v1/hubconf.py", "def answer():\n    return 0\n");
  EXPECT_THAT(FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("is not acme/models:v1 as t.lock pins it"),
                             HasSubstr(first_digest_), HasSubstr("--force-reload"))));
  options_.force_reload = true;
  absl::StatusOr<FetchResult> r = FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 41\n");
}

TEST_F(PinnedTest, AnArchiveOfAnotherCommitIsNeverInstalled) {
  // The server answers for the first commit with the second's archive.
  Publish(first_, second_);
  const LockFile lock = LockAt("acme/models:v1", "v1", first_, first_digest_);
  EXPECT_THAT(FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(absl::StrCat("is commit ", second_)),
                             HasSubstr(absl::StrCat("not the pinned commit ", first_)),
                             HasSubstr("nothing was installed"))));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_v1"));
}

TEST_F(PinnedTest, ContentThatDiffersFromTheLockIsNeverInstalled) {
  const LockFile lock = LockAt("acme/models:v1", "v1", first_, second_digest_);
  EXPECT_THAT(FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(first_digest_), HasSubstr(second_digest_),
                             HasSubstr("nothing was installed"))));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_v1"));
}

TEST_F(PinnedTest, WhatTheLockDoesNotNameIsRefused) {
  const LockFile lock = LockAt("acme/models:v1", "v1", first_, first_digest_);
  EXPECT_THAT(FetchPinnedRepo("acme/models:v2", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("acme/models:v2 is not in the lock file t.lock"),
                             HasSubstr("torchhub lock --lock t.lock acme/models:v2"))));
  EXPECT_THAT(FetchPinnedRepo("acme/models", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(FetchPinnedRepo("../x", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Requests(), 0u);
}

// GitHub serves a fork's commit under the parent's archive URL: a lock
// pinning acme/models at one must not install it.
TEST_F(PinnedTest, AForksCommitServedUnderTheRepoIsRefused) {
  const std::string fork = MakeForkCommit();
  const LockFile lock = LockAt("acme/models", "main", fork, DigestOf(fork));
  EXPECT_THAT(FetchPinnedRepo("acme/models", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(absl::StrCat("Cannot find commit ", fork,
                                                    " of acme/models "
                                                    "in main of ")),
                             HasSubstr("If it's a commit from a forked repo, please call "
                                       "hub.load() with forked repo directly"),
                             HasSubstr("torchhub lock --lock t.lock --update acme/models"))));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_main"));
  EXPECT_THAT(RequestPaths(), Not(Contains(HasSubstr("/zipball/"))));

  // A commit ref: no head is the fork's commit, and the default branch
  // doesn't have it.
  github_.PublishMainBranchProbe("acme/models");
  const std::string short_ref = fork.substr(0, 10);
  const LockFile by_commit = LockAt("acme/models:" + short_ref, short_ref, fork, DigestOf(fork));
  EXPECT_THAT(
      FetchPinnedRepo("acme/models:" + short_ref, options_, by_commit, "t.lock"),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr("default branch main does not have it"), HasSubstr("forked repo"))));
  EXPECT_THAT(RequestPaths(), Not(Contains(HasSubstr("/zipball/"))));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_" + short_ref));

  // --skip-validation skips the check, as it skips torch.hub's.
  options_.skip_validation = true;
  EXPECT_THAT(FetchPinnedRepo("acme/models", options_, lock, "t.lock").status(), IsOk());
}

TEST_F(PinnedTest, ACommitRefInTheDefaultBranchOrATagsHeadFetches) {
  // v1's head.
  const std::string at_tag = first_.substr(0, 8);
  const LockFile lock = LockAt("acme/models:" + at_tag, at_tag, first_, first_digest_);
  ASSERT_THAT(FetchPinnedRepo("acme/models:" + at_tag, options_, lock, "t.lock").status(), IsOk());
  // main's, once main has moved on: in the default branch's history.
  WriteTestFile(work_ + "/hubconf.py", "def answer():\n    return 43\n");
  Git(work_, {"commit", "-q", "-am", "three"});
  const std::string third = Git(work_, {"rev-parse", "HEAD"});
  github_.PublishBranches("acme/models", {{"main", third}});
  github_.PublishTags("acme/models", {{"v1", first_}});
  ServeComparison(second_, third, "ahead");
  github_.PublishMainBranchProbe("acme/models");
  const std::string old_main = second_.substr(0, 8);
  const LockFile moved = LockAt("acme/models:" + old_main, old_main, second_, second_digest_);
  absl::StatusOr<FetchResult> r =
      FetchPinnedRepo("acme/models:" + old_main, options_, moved, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 42\n");
}

// validate_with_git: the ref's head from ls-remote, and for a ref that has
// moved on, a fetch of its history; no API request.
TEST_F(PinnedTest, ValidateWithGitProvesThePinWithTheRefsHistory) {
  const std::string fork = MakeForkCommit();
  const std::string remotes = TestDir("remotes_git");
  Git(remotes, {"clone", "-q", "--bare", work_, remotes + "/acme/models.git"});
  options_.validate_with_git = true;
  options_.git_base = "file://" + remotes;
  const LockFile lock = LockAt("acme/models", "main", first_, first_digest_);
  absl::StatusOr<FetchResult> r = FetchPinnedRepo("acme/models", options_, lock, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 41\n");
  EXPECT_THAT(RequestPaths(), ElementsAre(absl::StrCat("/acme/models/zipball/", first_)));

  options_.force_reload = true;
  const LockFile forked = LockAt("acme/models", "main", fork, DigestOf(fork));
  EXPECT_THAT(FetchPinnedRepo("acme/models", options_, forked, "t.lock"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(absl::StrCat("Cannot find commit ", fork)),
                             HasSubstr("nor in its history"), HasSubstr("forked repo"))));
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 41\n");
  // A commit ref: v1's head is; the fork's commit is not in main's history.
  const std::string at_tag = first_.substr(0, 8);
  EXPECT_THAT(
      FetchPinnedRepo("acme/models:" + at_tag, options_,
                      LockAt("acme/models:" + at_tag, at_tag, first_, first_digest_), "t.lock")
          .status(),
      IsOk());
  const std::string fork_ref = fork.substr(0, 8);
  EXPECT_THAT(
      FetchPinnedRepo("acme/models:" + fork_ref, options_,
                      LockAt("acme/models:" + fork_ref, fork_ref, fork, DigestOf(fork)), "t.lock"),
      StatusIs(absl::StatusCode::kNotFound,
               AllOf(HasSubstr("refs/heads/main"), HasSubstr("forked repo"))));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_" + fork_ref));
  EXPECT_THAT(RequestPaths(), ElementsAre(absl::StrCat("/acme/models/zipball/", first_),
                                          absl::StrCat("/acme/models/zipball/", first_)));
}

// A lock is outside input: a pull request that points a trusted name at
// another remote must not make CI run that remote's code.
TEST_F(PinnedTest, AForeignRemoteUnderATrustedNameIsRefusedBeforeAnyRequest) {
  const std::string remote = server_->Url("/evil/models.git");
  LockFile lock;
  lock.Put(LockedRepo{"pytorch/models:main", "main", first_, first_digest_, remote, remote});
  const std::vector<std::string> before = Listing(hub_dir_);
  options_.trust.mode = TrustMode::kCheck;
  options_.allow_insecure_remote = true;  // the remote's trust is what is refused

  FakePrompter no({"no"});
  options_.trust.prompter = &no;
  EXPECT_THAT(
      FetchPinnedRepo("pytorch/models:main", options_, lock, "t.lock"),
      StatusIs(
          absl::StatusCode::kPermissionDenied,
          AllOf(HasSubstr("t.lock pins pytorch/models:main to the git remote " + remote),
                HasSubstr("Untrusted git remote."), HasSubstr("torchhub trust add " + remote))));
  EXPECT_THAT(no.questions(), ElementsAre(AllOf(HasSubstr("The git remote " + remote),
                                                HasSubstr("pytorch/models"))));

  FakePrompter nobody;  // no terminal
  options_.trust.prompter = &nobody;
  EXPECT_THAT(FetchPinnedRepo("pytorch/models:main", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("the git remote " + remote), HasSubstr("not trusted"))));

  EXPECT_EQ(Requests(), 0u);
  EXPECT_EQ(Listing(hub_dir_), before);  // not even trusted_list
}

TEST_F(PinnedTest, AFileRemoteNeedsTheOptIn) {
  const std::string remote = "file://" + work_;
  LockFile lock;
  lock.Put(LockedRepo{"acme/models:v1", "v1", first_, first_digest_, remote, remote});
  EXPECT_THAT(
      FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock"),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr(remote), HasSubstr("this machine's files"),
                     HasSubstr("--allow-insecure-remote"), HasSubstr(kAllowInsecureRemoteEnv))));
  EXPECT_THAT(Listing(hub_dir_), IsEmpty());

  options_.allow_insecure_remote = true;
  absl::StatusOr<FetchResult> r = FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 41\n");
  // trust_repo=true trusted the remote by its URL.
  EXPECT_THAT(ReadTestFile(hub_dir_ + "/trusted_list"), HasSubstr(remote + "\n"));

  options_.allow_insecure_remote = false;
  options_.force_reload = true;
  setenv(kAllowInsecureRemoteEnv, "1", 1);
  EXPECT_THAT(FetchPinnedRepo("acme/models:v1", options_, lock, "t.lock").status(), IsOk());
  EXPECT_EQ(Requests(), 0u);
}

// From a git remote, a pinned commit that its ref has moved on from is
// fetched with the ref's history, which must hold it.
TEST_F(PinnedTest, AGitRemoteServesAPinInItsRefsHistoryOnly) {
  const std::string remote = "file://" + work_;
  options_.allow_insecure_remote = true;
  WriteTestFile(work_ + "/hubconf.py", "def answer():\n    return 43\n");
  Git(work_, {"commit", "-q", "-am", "three"});  // second_ is no head any more
  LockFile lock;
  lock.Put(LockedRepo{"acme/models:main", "main", second_, second_digest_, remote, remote});
  absl::StatusOr<FetchResult> r = FetchPinnedRepo("acme/models:main", options_, lock, "t.lock");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 42\n");

  const std::string fork = MakeForkCommit();
  options_.force_reload = true;
  lock.Put(LockedRepo{"acme/models:main", "main", fork, DigestOf(fork), remote, remote});
  EXPECT_THAT(FetchPinnedRepo("acme/models:main", options_, lock, "t.lock"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(absl::StrCat("Cannot find commit ", fork)),
                             HasSubstr("nor in its history"), HasSubstr("forked repo"))));
  EXPECT_EQ(ReadTestFile(r->repo_dir + "/hubconf.py"), "def answer():\n    return 42\n");
}

TEST(PinnedFileTest, FindsTheUrlOrSaysHowToAddIt) {
  LockFile lock;
  lock.Put(LockedFile{"https://h/w.pth", "w.pth", std::string(64, 'a'), 3});
  absl::StatusOr<LockedFile> f = PinnedFile("https://h/w.pth", "", lock, "t.lock");
  ASSERT_THAT(f.status(), IsOk());
  EXPECT_EQ(f->sha256, std::string(64, 'a'));
  EXPECT_THAT(PinnedFile("https://h/w.pth", "w.pth", lock, "t.lock").status(), IsOk());
  EXPECT_THAT(PinnedFile("https://h/w.pth", "other.pth", lock, "t.lock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("pins https://h/w.pth as the file w.pth, not other.pth")));
  EXPECT_THAT(PinnedFile("https://h/v.pth", "", lock, "t.lock"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("torchhub lock --lock t.lock https://h/v.pth")));
}

TEST(LockPathForTest, ExplicitThenEnvironment) {
  unsetenv(kLockEnv);
  EXPECT_EQ(LockPathFor(""), std::nullopt);
  EXPECT_EQ(LockPathFor("a.lock"), "a.lock");
  setenv(kLockEnv, "env.lock", 1);
  EXPECT_EQ(LockPathFor(""), "env.lock");
  EXPECT_EQ(LockPathFor("a.lock"), "a.lock");
  setenv(kLockEnv, "", 1);
  EXPECT_EQ(LockPathFor(""), std::nullopt);
  unsetenv(kLockEnv);
}

}  // namespace
}  // namespace hub
