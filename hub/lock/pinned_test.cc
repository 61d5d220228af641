// FetchPinnedRepo against a GitHub-shaped server on 127.0.0.1 serving
// zipballs that `git archive` makes from a repository made here.
#include "hub/lock/pinned.h"

#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
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
#include "tests/servers/fault_server.h"
#include "tests/servers/git_cli.h"

namespace hub {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::Git;
using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

class PinnedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = TestDir("root_" + name);
    hub_dir_ = TestDir("hub_" + name);
    work_ = TestDir("work_" + name);
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    SetDir(hub_dir_);
    options_.endpoints.web = server_->base_url();
    options_.endpoints.api = server_->base_url() + "/api";
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
  }
  void TearDown() override { ClearDir(); }

  // Serves commit `commit`'s zipball (with its id as the zip comment, as
  // GitHub's) at ".../zipball/<url_ref>".
  void Publish(const std::string& url_ref, const std::string& commit) {
    const std::string zip = absl::StrCat(root_, "/acme/models/zipball/", url_ref);
    ASSERT_THAT(MakeDirs(DirName(zip)), IsOk());
    Git(work_,
        {"archive", "--format=zip", absl::StrCat("--prefix=acme-models-", commit.substr(0, 7), "/"),
         "-o", zip, commit});
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
  EXPECT_EQ(fetched, 1u);  // the zipball of the commit: no probe, no API

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
