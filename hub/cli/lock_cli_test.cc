// `torchhub lock` and `--lock` end to end: a GitHub-shaped loopback server
// serves a repo made here and a checkpoint saved by Python's torch; the lock
// pins both; then, with the server gone, fetch, list and load-state-dict
// work from the cache alone, and every kind of drift is a clear error.
#include <sys/wait.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/files.h"
#include "tests/servers/fake_github.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/git_cli.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::FakeGithub;
using ::hub::testing::FaultServer;
using ::hub::testing::Git;
using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::RunCommand;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class LockCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TestDir("root");
    hub_ = TestDir("hub");
    lock_ = TestDir("project") + "/torchhub.lock";
    work_ = TestDir("work");
    const std::string& work = work_;
    WriteTestFile(
        work + "/hubconf.py",
        "dependencies = []\n\ndef answer():\n    \"\"\"The answer.\"\"\"\n    return 42\n");
    Git(work, {"init", "-q", "-b", "main"});
    Git(work, {"add", "."});
    Git(work, {"commit", "-q", "-m", "one"});
    commit_ = Git(work, {"rev-parse", "HEAD"});
    for (const std::string& ref : {std::string("v1"), commit_}) {
      FakeGithub(root_).PublishArchive(work, "acme/models", "HEAD", ref);
    }
    absl::StatusOr<CommandResult> saved = RunCommand(
        {"/usr/bin/python3", "-c",
         "import sys, torch; torch.save({'w': torch.arange(4.0)}, sys.argv[1])", root_ + "/w.pth"});
    ASSERT_THAT(saved.status(), IsOk());
    ASSERT_EQ(saved->exit_code, 0) << saved->output;
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    web_ = server_->base_url();
    url_ = server_->Url("/w.pth");
  }

  // torchhub --hub-dir HUB ARGS..., with GitHub at the loopback server.
  CommandResult Run(std::vector<std::string> args, const std::string& env = "TORCHHUB_NONE=") {
    args.insert(args.begin(), {"/usr/bin/env", absl::StrCat("TORCHHUB_GITHUB_URL=", web_),
                               absl::StrCat("TORCHHUB_GITHUB_API_URL=", web_, "/api"), env,
                               ::hub::testing::RunfilePath("hub/cli/torchhub"), "--hub-dir", hub_});
    absl::StatusOr<CommandResult> r = RunCommand(args, {.separate_stderr = true});
    EXPECT_THAT(r.status(), IsOk());
    return r.value_or(CommandResult());
  }

  // `cache verify --lock` passes, and says so for the repo and the file.
  void ExpectVerified() {
    const CommandResult verify = Run({"cache", "verify", "--lock", lock_});
    EXPECT_EQ(verify.exit_code, 0) << verify.output << verify.error_output;
    EXPECT_THAT(verify.output, AllOf(HasSubstr("ok         acme/models:v1 (against the lock)\n"),
                                     HasSubstr("ok         w.pth (against the lock)\n")));
    EXPECT_THAT(verify.output, AllOf(Not(HasSubstr("MISSING")), Not(HasSubstr("MISMATCH"))));
  }

  // A usage error: exit 2, `message` on stderr, then the verb's usage.
  void ExpectUsageError(const std::vector<std::string>& args, const std::string& message,
                        const std::string& usage) {
    const CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << r.error_output;
    EXPECT_THAT(r.error_output, HasSubstr("torchhub: " + message + "\n\nusage: torchhub " + usage));
    EXPECT_EQ(r.output, "");
  }

  CommandResult Lock() {
    return Run({"lock", "--lock", lock_, "acme/models:v1", url_, "--trust-repo", "true",
                "--skip-validation", "--no-progress"});
  }

  std::string root_, hub_, lock_, commit_, web_, url_, work_;
  std::unique_ptr<FaultServer> server_;
};

TEST_F(LockCliTest, PinsThenLoadsWithNoNetworkAndRefusesDrift) {
  const CommandResult locked = Lock();
  ASSERT_EQ(locked.exit_code, 0) << locked.output << locked.error_output;
  EXPECT_THAT(locked.output, HasSubstr(absl::StrCat("pinned  acme/models:v1 at ", commit_)));
  EXPECT_THAT(locked.output, HasSubstr(absl::StrCat("wrote ", lock_)));
  absl::StatusOr<JsonValue> lock = ParseJson(ReadTestFile(lock_));
  ASSERT_THAT(lock.status(), IsOk());
  EXPECT_EQ(lock->Find("repos")->array().at(0).GetString({"commit"}), commit_);
  EXPECT_EQ(lock->Find("files")->array().at(0).GetString({"file_name"}), "w.pth");

  // Locking again keeps what is pinned, with no request.
  const CommandResult again = Lock();
  ASSERT_EQ(again.exit_code, 0) << again.error_output;
  EXPECT_THAT(again.output, HasSubstr("kept    acme/models:v1"));

  // The server goes away: pinned items load from the cache alone.
  server_.reset();
  const std::string env = absl::StrCat("TORCHHUB_LOCK=", lock_);
  CommandResult fetched = Run({"fetch", "acme/models:v1", "--json"}, env);
  ASSERT_EQ(fetched.exit_code, 0) << fetched.error_output;
  EXPECT_THAT(fetched.output, HasSubstr(absl::StrCat("\"commit\":\"", commit_, "\"")));
  const CommandResult listed = Run({"list", "acme/models:v1"}, env);
  ASSERT_EQ(listed.exit_code, 0) << listed.error_output;
  EXPECT_EQ(listed.output, "answer\n");
  const CommandResult weights = Run({"load-state-dict", url_, "--no-progress"}, env);
  ASSERT_EQ(weights.exit_code, 0) << weights.error_output;
  EXPECT_THAT(weights.output, HasSubstr("w\ttorch.float32\t[4]"));
  ExpectVerified();

  // What the lock doesn't name is refused.
  const CommandResult other = Run({"fetch", "acme/models:v2"}, env);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.error_output,
              HasSubstr(absl::StrCat("acme/models:v2 is not in the lock file ", lock_)));
  const CommandResult renamed =
      Run({"load-state-dict", url_, "--file-name", "x.pth", "--no-progress"}, env);
  EXPECT_EQ(renamed.exit_code, 1);
  EXPECT_THAT(renamed.error_output, HasSubstr("as the file w.pth, not x.pth"));

  // A changed repo dir and a changed checkpoint: clear errors, and verify
  // names both.
  WriteTestFile(hub_ + "/acme_models_v1/hubconf.py", "def answer():\n    return 0\n");
  const CommandResult drifted = Run({"list", "acme/models:v1", "--no-cache"}, env);
  EXPECT_EQ(drifted.exit_code, 1);
  EXPECT_THAT(drifted.error_output,
              AllOf(HasSubstr("is not acme/models:v1 as"), HasSubstr("--force-reload")));
  std::string weights_bytes = ReadTestFile(hub_ + "/checkpoints/w.pth");
  weights_bytes[weights_bytes.size() / 2] ^= 1;
  WriteTestFile(hub_ + "/checkpoints/w.pth", weights_bytes);
  const CommandResult bad_weights = Run({"load-state-dict", url_, "--no-progress"}, env);
  EXPECT_EQ(bad_weights.exit_code, 1);
  EXPECT_THAT(bad_weights.error_output, HasSubstr("not the pinned"));
  const CommandResult verify = Run({"cache", "verify", "--lock", lock_, "--json"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.output, AllOf(HasSubstr(R"("repo":"acme/models:v1","verdict":"mismatch")"),
                                   HasSubstr(R"("file":"w.pth","verdict":"mismatch")")));
}

TEST_F(LockCliTest, ACopyWithoutAKnownCommitIsPinnedOnlyWithUpdate) {
  // As Python's torch.hub leaves it: the directory, no record.
  WriteTestFile(hub_ + "/acme_models_v1/hubconf.py", "def answer():\n    return 42\n");
  const CommandResult refused =
      Run({"lock", "--lock", lock_, "acme/models:v1", "--trust-repo", "true", "--skip-validation"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.error_output,
              AllOf(HasSubstr("has no record of its full commit"), HasSubstr("--update")));
  EXPECT_FALSE(PathExists(lock_));  // nothing written

  const CommandResult updated = Run({"lock", "--lock", lock_, "acme/models:v1", "--update",
                                     "--trust-repo", "true", "--skip-validation"});
  ASSERT_EQ(updated.exit_code, 0) << updated.error_output;
  EXPECT_THAT(ReadTestFile(lock_), HasSubstr(commit_));
  EXPECT_THAT(ReadTestFile(hub_ + "/acme_models_v1/hubconf.py"), HasSubstr("The answer."));
}

TEST_F(LockCliTest, UsageErrorsAndRemoval) {
  ExpectUsageError({"lock", "--lock", lock_},
                   "name the REPOs and URLs to pin (or --update, to pin every entry again)",
                   "lock [REPO|URL...]");
  ExpectUsageError({"lock", "--lock", lock_, "--remove", "--update", "x/y"},
                   "--remove and --update don't go together", "lock [REPO|URL...]");
  // A malformed value: exit 2 with one line, not the verb's usage.
  const CommandResult maybe = Run({"lock", "--lock", lock_, "--trust-repo", "maybe", "x/y"});
  EXPECT_EQ(maybe.exit_code, 2) << maybe.error_output;
  EXPECT_EQ(maybe.error_output,
            "torchhub: --trust-repo wants check, true, false or none, not \"maybe\"\n");
  EXPECT_EQ(maybe.output, "");
  EXPECT_FALSE(PathExists(lock_));
  const CommandResult no_file = Run({"lock", "--lock", lock_, "--remove", "x/y"});
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_THAT(no_file.error_output, HasSubstr("the lock file " + lock_ + " does not exist"));
  EXPECT_EQ(no_file.output, "");

  const CommandResult locked = Lock();
  ASSERT_EQ(locked.exit_code, 0) << locked.error_output;
  const CommandResult removed = Run({"lock", "--lock", lock_, "--remove", url_});
  ASSERT_EQ(removed.exit_code, 0) << removed.error_output;
  EXPECT_THAT(removed.output, HasSubstr("removed " + url_ + "\n"));
  EXPECT_THAT(ReadTestFile(lock_), Not(HasSubstr("w.pth")));
  EXPECT_THAT(ReadTestFile(lock_), HasSubstr("acme/models:v1"));
  const std::string after_removal = ReadTestFile(lock_);
  const CommandResult removed_again = Run({"lock", "--lock", lock_, "--remove", url_});
  EXPECT_EQ(removed_again.exit_code, 1);
  EXPECT_THAT(removed_again.error_output, HasSubstr(url_ + " is not in " + lock_));
  EXPECT_EQ(ReadTestFile(lock_), after_removal);

  WriteTestFile(lock_, "{\"torchhub_lock\": 7}");
  const CommandResult future = Run({"fetch", "acme/models:v1", "--lock", lock_});
  EXPECT_EQ(future.exit_code, 1);
  EXPECT_THAT(future.error_output, HasSubstr("version 7 lock file"));
}

TEST_F(LockCliTest, PruneKeepsWhatTheLockPins) {
  const CommandResult locked = Lock();
  ASSERT_EQ(locked.exit_code, 0) << locked.error_output;
  const CommandResult kept = Run({"cache", "prune", "--max-size", "0", "--lock", lock_});
  ASSERT_EQ(kept.exit_code, 0) << kept.error_output;
  EXPECT_TRUE(PathExists(hub_ + "/acme_models_v1/hubconf.py"));
  EXPECT_TRUE(PathExists(hub_ + "/checkpoints/w.pth"));
  ExpectVerified();
  ExpectUsageError({"cache", "ls", "--lock", lock_}, "--lock is for cache prune and verify only",
                   "cache ls [--json]");

  const CommandResult pruned = Run({"cache", "prune", "--max-size", "0"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.error_output;
  EXPECT_FALSE(PathExists(hub_ + "/acme_models_v1"));
  EXPECT_FALSE(PathExists(hub_ + "/checkpoints/w.pth"));
  const CommandResult missing = Run({"cache", "verify", "--lock", lock_});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("MISSING    acme/models:v1"));
}

// Four `torchhub lock` runs on one lock file at once, each pinning another
// URL (slow to answer): they take turns, and no entry is lost.
TEST_F(LockCliTest, ConcurrentLocksOfOneFileLoseNoEntry) {
  std::vector<pid_t> pids;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<pid_t> pid = ::hub::testing::StartProcess(
        {::hub::testing::RunfilePath("hub/cli/torchhub"), "--hub-dir", hub_, "lock", "--lock",
         lock_, absl::StrCat(url_, "?delay_ms=400&n=", i), "--no-progress"},
        absl::StrCat(TestDir("logs"), "/lock", i, ".log"));
    ASSERT_THAT(pid.status(), IsOk());
    pids.push_back(*pid);
  }
  for (const pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  absl::StatusOr<JsonValue> lock = ParseJson(ReadTestFile(lock_));
  ASSERT_THAT(lock.status(), IsOk());
  EXPECT_EQ(lock->Find("files")->array().size(), 4u) << ReadTestFile(lock_);
}

TEST_F(LockCliTest, AFailedFirstLockLeavesNoFile) {
  const CommandResult failed =
      Run({"lock", "--lock", lock_, server_->Url("/missing.pth"), "--no-progress"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.error_output,
              AllOf(HasSubstr("torchhub: error: "), HasSubstr(server_->Url("/missing.pth")),
                    HasSubstr("404")));
  EXPECT_THAT(failed.output, Not(HasSubstr("wrote")));
  EXPECT_FALSE(PathExists(lock_));
}

// A branch moves on: --update with no REPO|URL pins every entry again, and
// loads under the lock then take the new commit.
TEST_F(LockCliTest, UpdateRepinsEveryEntry) {
  const CommandResult locked = Lock();
  ASSERT_EQ(locked.exit_code, 0) << locked.error_output;
  WriteTestFile(work_ + "/hubconf.py", "def answer():\n    return 43\n");
  Git(work_, {"commit", "-q", "-am", "two"});
  const std::string second = Git(work_, {"rev-parse", "HEAD"});
  FakeGithub(root_).PublishArchive(work_, "acme/models", "HEAD", "v1");

  const CommandResult kept = Lock();  // without --update: as pinned
  ASSERT_EQ(kept.exit_code, 0) << kept.error_output;
  EXPECT_THAT(ReadTestFile(lock_), HasSubstr(commit_));

  const CommandResult updated = Run({"lock", "--lock", lock_, "--update", "--trust-repo", "true",
                                     "--skip-validation", "--no-progress"});
  ASSERT_EQ(updated.exit_code, 0) << updated.error_output;
  EXPECT_THAT(updated.output, HasSubstr(absl::StrCat("pinned  acme/models:v1 at ", second)));
  EXPECT_THAT(updated.output, HasSubstr(absl::StrCat("pinned  ", url_)));
  EXPECT_THAT(ReadTestFile(lock_), AllOf(HasSubstr(second), Not(HasSubstr(commit_))));
  EXPECT_EQ(ReadTestFile(hub_ + "/acme_models_v1/hubconf.py"), "def answer():\n    return 43\n");
  ExpectVerified();
}

// A repo pinned from a git remote is fetched from it again by a pinned load
// that names no remote (a fresh machine, a pruned cache).
TEST_F(LockCliTest, APinFromAGitRemoteFetchesFromItAgain) {
  const std::string remote = absl::StrCat("file://", work_);
  // A file:// remote only with the opt-in, when pinning and when loading.
  const CommandResult refused = Run(
      {"lock", "--lock", lock_, "acme/models:main", "--git-url", remote, "--trust-repo", "true"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.error_output, AllOf(HasSubstr(remote), HasSubstr("--allow-insecure-remote")));
  EXPECT_FALSE(PathExists(lock_));
  const CommandResult locked = Run({"lock", "--lock", lock_, "acme/models:main", "--git-url",
                                    remote, "--trust-repo", "true", "--allow-insecure-remote"});
  ASSERT_EQ(locked.exit_code, 0) << locked.error_output;
  EXPECT_THAT(locked.output,
              HasSubstr(absl::StrCat("pinned  acme/models:main at ", commit_, " from ", remote)));
  EXPECT_THAT(ReadTestFile(lock_), HasSubstr(absl::StrCat(R"("git_url":")", remote, R"(")")));
  const CommandResult pruned = Run({"cache", "prune", "--max-size", "0"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.error_output;
  ASSERT_FALSE(PathExists(hub_ + "/acme_models_main"));

  const CommandResult not_allowed =
      Run({"fetch", "acme/models:main", "--lock", lock_, "--trust-repo", "true"});
  EXPECT_EQ(not_allowed.exit_code, 1);
  EXPECT_THAT(not_allowed.error_output, HasSubstr("--allow-insecure-remote"));
  const CommandResult fetched = Run({"fetch", "acme/models:main", "--lock", lock_, "--trust-repo",
                                     "true", "--allow-insecure-remote", "--json"});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.error_output;
  EXPECT_THAT(fetched.error_output, HasSubstr(absl::StrCat("from ", remote)));
  EXPECT_THAT(fetched.output, HasSubstr(absl::StrCat(R"("commit":")", commit_, R"(")")));
  const CommandResult verify = Run({"cache", "verify", "--lock", lock_});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("ok         acme/models:main (against the lock)\n"));
}

// A pull request that points a trusted name at another remote in the lock
// file: loads refuse it, naming the remote, before any request or write.
TEST_F(LockCliTest, AForeignRemoteInALockIsRefusedBeforeAnyRequest) {
  const std::string remote = web_ + "/evil/models.git";
  WriteTestFile(lock_, absl::StrCat(R"({"torchhub_lock": 1, "repos": [
    {"repo":"pytorch/models:main","ref":"main","commit":")",
                                    commit_, R"(","content_sha256":")", std::string(64, 'a'),
                                    R"(","source":"x","git_url":")", remote, R"("}]})"));
  const std::vector<std::string> args = {"fetch", "pytorch/models:main", "--lock", lock_};
  const CommandResult plain_text = Run(args);
  EXPECT_EQ(plain_text.exit_code, 1);
  EXPECT_THAT(plain_text.error_output, AllOf(HasSubstr(remote), HasSubstr("plain text"),
                                             HasSubstr("--allow-insecure-remote")));
  std::vector<std::string> allowed = args;
  allowed.emplace_back("--allow-insecure-remote");
  const CommandResult untrusted = Run(allowed);  // no terminal to ask on
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_THAT(untrusted.error_output,
              AllOf(HasSubstr(absl::StrCat("pins pytorch/models:main to the git remote ", remote)),
                    HasSubstr("not trusted"), HasSubstr("torchhub trust add " + remote)));
  absl::StatusOr<std::vector<FaultServer::Request>> requests = server_->ReadLog();
  ASSERT_THAT(requests.status(), IsOk());
  EXPECT_THAT(*requests, IsEmpty());
  EXPECT_FALSE(PathExists(hub_ + "/trusted_list"));
  EXPECT_FALSE(PathExists(hub_ + "/pytorch_models_main"));

  // Trusted by its URL, it is used (and fails here: the server speaks no git).
  const CommandResult added = Run({"trust", "add", remote});
  ASSERT_EQ(added.exit_code, 0) << added.error_output;
  EXPECT_THAT(added.output, HasSubstr(remote + " (" + hub_ + "/trusted_list)\n"));
  const CommandResult checked = Run({"trust", "check", remote});
  EXPECT_EQ(checked.exit_code, 0) << checked.error_output;
  EXPECT_THAT(checked.output, HasSubstr(remote + ": trusted ("));
  const CommandResult tried = Run(allowed);
  EXPECT_EQ(tried.exit_code, 1);
  EXPECT_THAT(tried.error_output, Not(HasSubstr("not trusted")));
  EXPECT_THAT(tried.error_output, AllOf(HasSubstr("torchhub: error: "), HasSubstr(remote)));
}

TEST_F(LockCliTest, LockPrintsWhereEachRepoComesFrom) {
  const CommandResult locked = Run({"lock", "--lock", lock_, "acme/models:v1", "--trust-repo",
                                    "true", "--skip-validation", "--json"});
  ASSERT_EQ(locked.exit_code, 0) << locked.error_output;
  const std::string archive = web_ + "/acme/models/zipball/v1";
  EXPECT_THAT(locked.output,
              HasSubstr(absl::StrCat(R"("source":")", archive, R"(","git_url":null)")));
  const CommandResult kept = Run({"lock", "--lock", lock_, "acme/models:v1"});
  ASSERT_EQ(kept.exit_code, 0) << kept.error_output;
  EXPECT_THAT(kept.output,
              HasSubstr(absl::StrCat("kept    acme/models:v1 at ", commit_, " from ", archive)));
}

}  // namespace
}  // namespace hub
