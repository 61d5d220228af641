#include "hub/cli/torchhub.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/run_as_unprivileged.h"
#include "hub/base/test_dirs.h"
#include "hub/cache/hub_dir.h"
#include "hub/fs/file_lock.h"
#include "hub/fs/files.h"
#include "hub/hash/sha256.h"
#include "hub/trust/trust.h"

namespace hub::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code;
  std::string out;
  std::string err;
};

class TorchhubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv(kTrustEnvVar);
    hub_dir_ = ::hub::testing::TestDir("hub");
  }
  void TearDown() override { ClearDir(); }

  Result Run(std::vector<std::string> args, bool with_hub_dir = true) {
    if (with_hub_dir) args.insert(args.begin(), {"--hub-dir", hub_dir_});
    std::ostringstream out, err;
    const int code = RunTorchhub(args, out, err);
    return {code, out.str(), err.str()};
  }

  std::string hub_dir_;
};

TEST_F(TorchhubTest, DirPrintsTheHubDir) {
  Result r = Run({"dir"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, hub_dir_ + "\n");
  r = Run({"dir", "--json"});
  EXPECT_EQ(r.out, absl::StrCat("{\"hub_dir\":\"", hub_dir_, "\"}\n"));
}

TEST_F(TorchhubTest, DirFollowsTheEnvironmentWithoutHubDir) {
  setenv("TORCH_HOME", "/th", 1);
  const Result r = Run({"dir"}, /*with_hub_dir=*/false);
  unsetenv("TORCH_HOME");
  EXPECT_EQ(r.out, "/th/hub\n");
}

TEST_F(TorchhubTest, ParseShowsPartsAndCacheDir) {
  Result r = Run({"parse", "ailzhang/torchhub_example:ci/test_slash"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("owner:          ailzhang\n"));
  EXPECT_THAT(r.out, HasSubstr("ref:            ci/test_slash\n"));
  EXPECT_THAT(r.out, HasSubstr("normalized ref: ci_test_slash\n"));
  EXPECT_THAT(r.out, HasSubstr(hub_dir_ + "/ailzhang_torchhub_example_ci_test_slash\n"));

  r = Run({"parse", "--json", "pytorch/vision"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("\"ref\":null"));
  EXPECT_THAT(r.out, HasSubstr("\"cache_dir\":null"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("\"cache_dir_candidates\":[\"", hub_dir_,
                                            "/pytorch_vision_main\",\"", hub_dir_,
                                            "/pytorch_vision_master\"]")));
}

TEST_F(TorchhubTest, ParseRefusesBadReposAsUsageErrors) {
  const Result r = Run({"parse", "pytorch/vision:../../etc"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("torchhub: parse: invalid repo"));
}

TEST_F(TorchhubTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({}).code, kExitUsage);
  EXPECT_EQ(Run({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(Run({"parse"}).code, kExitUsage);
  EXPECT_EQ(Run({"parse", "a/b", "c/d"}).code, kExitUsage);
  EXPECT_EQ(Run({"parse", "a/b", "--bogus"}).code, kExitUsage);
  EXPECT_EQ(Run({"dir", "extra"}).code, kExitUsage);
  EXPECT_EQ(Run({"trust"}).code, kExitUsage);
  EXPECT_EQ(Run({"trust", "add"}).code, kExitUsage);
  EXPECT_EQ(Run({"trust", "sideways", "a/b"}).code, kExitUsage);
  EXPECT_EQ(Run({"--hub-dir"}, false).code, kExitUsage);
  EXPECT_EQ(Run({"--hub-dir="}, false).code, kExitUsage);
  const Result r = Run({"frobnicate"});
  EXPECT_THAT(r.err, HasSubstr("unknown verb \"frobnicate\""));
  EXPECT_THAT(r.err, HasSubstr("usage: torchhub"));
}

// A near miss of a verb is one line naming the verb meant.
TEST_F(TorchhubTest, UnknownVerbSuggestsACloseOne) {
  const Result r = Run({"lsit", "a/b"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err,
            "torchhub: unknown verb \"lsit\" (did you mean list?); `torchhub --help` lists the "
            "verbs\n");
  EXPECT_EQ(r.out, "");
}

// A missing argument is named after the verb's synopsis.
TEST_F(TorchhubTest, MissingArgumentsAreNamed) {
  Result r = Run({"download", "http://x/y"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, StartsWith("torchhub: missing DST\n\nusage: torchhub download URL DST"));
  r = Run({"help", "a/b"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, StartsWith("torchhub: missing ENTRY\n"));
  // Only the synopsis follows, not the verb's whole help.
  EXPECT_THAT(r.err, Not(HasSubstr("torch.hub.help")));
  r = Run({"help", "list"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("missing ENTRY"));
  EXPECT_THAT(r.err, HasSubstr("run `torchhub list --help`"));
}

TEST(MissingArgumentsTest, NamesTheSynopsisArgumentsFromTheFirstMissing) {
  EXPECT_EQ(MissingArguments("usage: torchhub download URL DST [--keep]\n", 0),
            "missing URL and DST");
  EXPECT_EQ(MissingArguments("usage: torchhub download URL DST [--keep]\n", 1), "missing DST");
  EXPECT_EQ(MissingArguments("usage: torchhub help REPO|DIR ENTRY --x\n", 1), "missing ENTRY");
  EXPECT_EQ(MissingArguments("usage: torchhub cache ls [--json]\n", 1), "missing argument");
}

TEST(InCommandWordsTest, NamesOptionsForParameters) {
  EXPECT_EQ(InCommandWords(absl::NotFoundError(
                "Cannot find v9 in https://github.com/a/b. If it's a commit from a forked "
                "repo, please call hub.load() with forked repo directly.")),
            "Cannot find v9 in https://github.com/a/b. If it's a commit from a forked repo, name "
            "the fork itself as REPO (torchhub fetch FORK_OWNER/NAME:REF).");
  // Only a failure to connect gets the offline advice.
  EXPECT_EQ(InCommandWords(absl::UnavailableError("lock held")), "lock held");
  EXPECT_THAT(InCommandWords(absl::UnavailableError("GET x: Could not resolve host: x")),
              HasSubstr("--offline uses only what the hub dir holds"));
}

TEST(OneOfTest, AcceptsAnyCaseAndListsTheFormsOtherwise) {
  const OptionTable::ValueCheck check = OneOf({"check", "true", "false", "none"});
  EXPECT_TRUE(check("TRUE").ok());
  EXPECT_EQ(check("maybe").message(), "wants check, true, false or none, not \"maybe\"");
  EXPECT_EQ(WholeNumberAtLeast(1)("0").message(), "wants a whole number >= 1, not \"0\"");
  EXPECT_TRUE(WholeNumberAtLeast(1)("3").ok());
}

TEST_F(TorchhubTest, HelpEverywhere) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"help"},
                                             {"dir", "--help"},
                                             {"parse", "--help"},
                                             {"trust", "--help"},
                                             {"trust", "add", "-h"}}) {
    const Result r = Run(args);
    EXPECT_EQ(r.code, kExitOk) << args[0];
    EXPECT_THAT(r.out, HasSubstr("usage: torchhub")) << args[0];
    EXPECT_EQ(r.err, "");
  }
}

TEST_F(TorchhubTest, LibtorchVerbsAreHandedOver) {
  // Not in this binary's table and no hand-off: it says where the verb lives.
  Result r = Run({"load-state-dict", "x.pth"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.err, HasSubstr("needs libtorch"));

  // With a hand-off, it gets the whole command line.
  std::vector<std::string> seen;
  const std::vector<std::string> args = {"--hub-dir", hub_dir_, "load-state-dict", "x.pth",
                                         "--json"};
  std::ostringstream out, err;
  EXPECT_EQ(RunTorchhub(args, out, err,
                        [&](const std::vector<std::string>& a) {
                          seen = a;
                          return 42;
                        }),
            42);
  EXPECT_EQ(seen, args);

  // In the table (as torchhub-python has it), it runs here.
  struct TestFlags {
    bool check_hash = false;
    void Declare(OptionTable& table) { table.Flag("--check-hash", &check_hash); }
  };
  const std::vector<Verb> verbs =
      ReplaceVerbs(TorchhubVerbs(), {MakeVerb<TestFlags>(
                                        "load-state-dict", "usage: test\n",
                                        [](const Call<TestFlags>& call) {
                                          call.out() << call.positional.at(0)
                                                     << (call.flags.check_hash ? " checked" : "");
                                          return 0;
                                        },
                                        Needs::kLibtorch)});
  auto run_here = [&](std::vector<std::string> a) {
    a.insert(a.begin(), {"--hub-dir", hub_dir_});
    std::ostringstream o, e;
    const int code = RunTorchhub(verbs, a, o, e);
    return Result{code, o.str(), e.str()};
  };
  r = run_here({"load-state-dict", "x.pth", "--check-hash"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "x.pth checked");
  r = run_here({"load-state-dict", "--help"});
  EXPECT_EQ(r.out, "usage: test\n");
  r = run_here({"load-state-dict", "--nope"});
  EXPECT_EQ(r.code, kExitUsage);
}

// An unknown option names itself, and a close one is suggested.
TEST_F(TorchhubTest, UnknownOptionsSuggestACloseOne) {
  Result r = Run({"download", "http://x/y", "/tmp/y", "--hash-prefx", "ab"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown option --hash-prefx (did you mean --hash-prefix?)"));
  EXPECT_THAT(r.err, HasSubstr("usage: torchhub download"));
  r = Run({"fetch", "a/b", "--frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown option --frobnicate\n"));
  r = Run({"list", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith("usage: torchhub list"));
}

TEST_F(TorchhubTest, TrustAddListCheckRemove) {
  Result r = Run({"trust", "check", "ailzhang/torchhub_example"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out, "ailzhang/torchhub_example: not trusted\n");

  r = Run({"trust", "add", "ailzhang/torchhub_example"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith("added ailzhang_torchhub_example"));
  r = Run({"trust", "add", "ailzhang/torchhub_example:v1"});
  EXPECT_THAT(r.out, StartsWith("already listed: ailzhang_torchhub_example"));
  EXPECT_EQ(*ReadFile(hub_dir_ + "/trusted_list"), "ailzhang_torchhub_example\n");

  r = Run({"trust", "list"});
  EXPECT_EQ(r.out, "ailzhang_torchhub_example\n");
  r = Run({"trust", "list", "--json"});
  EXPECT_THAT(r.out, HasSubstr("\"entries\":[\"ailzhang_torchhub_example\"]"));
  EXPECT_THAT(r.out, HasSubstr("\"trusted_owners\":[\"facebookresearch\""));

  r = Run({"trust", "check", "ailzhang/torchhub_example", "--json"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr("\"trusted\":true,\"reason\":\"in trusted_list\""));

  r = Run({"trust", "remove", "ailzhang/torchhub_example"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith("removed ailzhang_torchhub_example"));
  EXPECT_EQ(Run({"trust", "check", "ailzhang/torchhub_example"}).code, kExitFailure);

  // The same as data.
  r = Run({"trust", "add", "ailzhang/torchhub_example", "--json"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith(R"({"entry":"ailzhang_torchhub_example","added":true,)"));
  r = Run({"trust", "remove", "pytorch/vision", "--json"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, HasSubstr(R"("removed":false,)"));
  EXPECT_THAT(r.out, HasSubstr(R"("still_trusted_because":"trusted owner")"));
}

TEST_F(TorchhubTest, TrustCheckGivesTheReason) {
  Result r = Run({"trust", "check", "pytorch/vision"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "pytorch/vision: trusted (trusted owner)\n");
  ASSERT_TRUE(MakeDirs(hub_dir_ + "/acme_models_v1").ok());
  r = Run({"trust", "check", "acme/models:v1"});
  EXPECT_EQ(r.out, "acme/models:v1: trusted (already downloaded)\n");
  EXPECT_EQ(Run({"trust", "check", "acme/models:v2"}).code, kExitFailure);
  setenv(kTrustEnvVar, "acme", 1);
  EXPECT_EQ(Run({"trust", "check", "acme/models:v2"}).code, kExitOk);
  unsetenv(kTrustEnvVar);
}

TEST_F(TorchhubTest, RemoveNotesOtherReasonsToTrust) {
  const Result r = Run({"trust", "remove", "pytorch/vision"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith("not listed: pytorch_vision"));
  EXPECT_THAT(r.err, HasSubstr("still trusted (trusted owner)"));
}

TEST_F(TorchhubTest, TrustTakesAGitRemoteByItsUrl) {
  const std::string url = "https://gitlab.example/acme/models.git";
  Result r = Run({"trust", "check", url});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_EQ(r.out, url + ": not trusted\n");
  r = Run({"trust", "add", url, "--json"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith(absl::StrCat(R"({"entry":")", url, R"(","added":true,)")));
  EXPECT_EQ(*ReadFile(hub_dir_ + "/trusted_list"), url + "\n");
  r = Run({"trust", "add", url});
  EXPECT_THAT(r.out, StartsWith("already listed: " + url));
  r = Run({"trust", "check", url});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, url + ": trusted (in trusted_list)\n");
  // The owner's repos are not trusted by it.
  EXPECT_EQ(Run({"trust", "check", "acme/models"}).code, kExitFailure);
  r = Run({"trust", "remove", url});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, StartsWith("removed " + url));
  r = Run({"trust", "add", "file:///srv/x.git"});
  EXPECT_THAT(r.out, StartsWith("added file:///srv/x.git"));
  ASSERT_EQ(Run({"trust", "remove", "file:///srv/x.git"}).code, kExitOk);
  EXPECT_EQ(Run({"trust", "check", "git@host.example:acme/models.git"}).code, kExitFailure);
  EXPECT_EQ(Run({"trust", "add", "https://a/b\nacme_models"}).code, kExitFailure);
  EXPECT_EQ(*ReadFile(hub_dir_ + "/trusted_list"), "");
}

TEST_F(TorchhubTest, TrustRefusesBadRepos) {
  const Result r = Run({"trust", "add", "../etc"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.err, HasSubstr("invalid repo"));
  EXPECT_FALSE(PathExists(hub_dir_ + "/trusted_list"));
}

}  // namespace
TEST_F(TorchhubTest, CacheVerifyRehashesAgainstRecordsAndNames) {
  const std::string dir = hub_dir_ + "/checkpoints";
  const std::string data = "weights!";
  ::hub::Sha256 hasher;
  hasher.Update(data);
  const std::string digest = hasher.HexDigest();
  ::hub::testing::WriteTestFile(dir + "/good-" + digest.substr(0, 8) + ".pth", data);
  ::hub::testing::WriteTestFile(dir + "/bad-00000000.pth", data);
  ::hub::testing::WriteTestFile(dir + "/recorded.pth", data);
  ::hub::testing::WriteTestFile(
      dir + "/.recorded.pth.source",
      absl::StrCat("{\"url\":\"http://x/recorded.pth\",\"sha256\":\"", digest, "\",\"bytes\":8}"));
  ::hub::testing::WriteTestFile(dir + "/plain.pth", data);
  ::hub::testing::WriteTestFile(dir + "/plain.pth.lock", "");
  ::hub::testing::WriteTestFile(dir + "/x.pth.0123456789abcdef0123456789abcdef.partial", "");

  Result r = Run({"cache", "verify"});
  EXPECT_EQ(r.code, kExitFailure) << r.err;
  EXPECT_THAT(r.out, HasSubstr("MISMATCH   bad-00000000.pth (against its file name: expected "
                               "00000000, got " +
                               digest + ")"));
  EXPECT_THAT(r.out,
              HasSubstr("ok         good-" + digest.substr(0, 8) + ".pth (against its file name"));
  EXPECT_THAT(r.out, HasSubstr("ok         recorded.pth (against its record"));
  EXPECT_THAT(r.out, HasSubstr("unchecked  plain.pth (no record and no hash in its name)"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("partial")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(".lock")));

  // A recorded file changed on disk is caught even though its name has no hash.
  ::hub::testing::WriteTestFile(dir + "/recorded.pth", "tampered");
  ASSERT_EQ(::unlink((dir + "/bad-00000000.pth").c_str()), 0);
  r = Run({"cache", "verify", "--json"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.out, StartsWith("{\"ok\":false,"));
  EXPECT_THAT(r.out, HasSubstr("\"file\":\"recorded.pth\""));
  EXPECT_THAT(r.out, HasSubstr("\"verdict\":\"mismatch\",\"against\":\"record\""));
  ASSERT_EQ(::unlink((dir + "/recorded.pth").c_str()), 0);
  r = Run({"cache", "verify"});
  EXPECT_EQ(r.code, kExitOk) << r.out;
  EXPECT_EQ(Run({"cache", "verify", "extra"}).code, kExitUsage);
}

namespace {

// A file or directory last used `age` ago.
void Age(const std::string& path, absl::Duration age) {
  const timespec ts = absl::ToTimespec(absl::Now() - age);
  const timespec times[2] = {ts, ts};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

class CachePruneCliTest : public TorchhubTest {
 protected:
  void SetUp() override {
    TorchhubTest::SetUp();
    ::hub::testing::WriteTestFile(hub_dir_ + "/o_old_main/hubconf.py", std::string(100, 'h'));
    Age(hub_dir_ + "/o_old_main/hubconf.py", absl::Hours(24 * 40));
    Age(hub_dir_ + "/o_old_main", absl::Hours(24 * 40));
    ::hub::testing::WriteTestFile(hub_dir_ + "/checkpoints/new.pth", std::string(50, 'c'));
  }
};

TEST_F(CachePruneCliTest, RmRemovesOneItemWithWhatBelongsToIt) {
  ::hub::testing::WriteTestFile(hub_dir_ + "/checkpoints/.new.pth.source", "{}");
  ::hub::testing::WriteTestFile(hub_dir_ + "/checkpoints/.new.pth.lock", "");
  Result r = Run({"cache", "rm", "new.pth", "--dry-run"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("would remove checkpoints/new.pth\n"));
  EXPECT_THAT(r.out, HasSubstr("would remove checkpoints/.new.pth.source\n"));
  EXPECT_TRUE(PathExists(hub_dir_ + "/checkpoints/new.pth"));

  r = Run({"cache", "rm", "new.pth", "--json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  absl::StatusOr<JsonValue> json = ParseJson(r.out);
  ASSERT_TRUE(json.ok()) << json.status() << r.out;
  EXPECT_EQ(json->GetString({"kind"}), "checkpoint");
  EXPECT_EQ(json->GetString({"name"}), "checkpoints/new.pth");
  EXPECT_FALSE(json->Find("dry_run")->bool_value());
  EXPECT_FALSE(PathExists(hub_dir_ + "/checkpoints/new.pth"));
  EXPECT_FALSE(PathExists(hub_dir_ + "/checkpoints/.new.pth.source"));
  EXPECT_FALSE(PathExists(hub_dir_ + "/checkpoints/.new.pth.lock"));
  EXPECT_TRUE(PathExists(hub_dir_ + "/o_old_main"));

  r = Run({"cache", "rm", "o/old:main"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("removed o_old_main\n"));
  EXPECT_FALSE(PathExists(hub_dir_ + "/o_old_main"));
}

TEST_F(CachePruneCliTest, RmSaysWhatIsWrong) {
  Result r = Run({"cache", "rm", "nothing.pth"});
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_THAT(r.err, HasSubstr("cache ls"));
  r = Run({"cache", "rm"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("missing argument"));
  r = Run({"cache", "rm", "new.pth", "--max-size", "1G"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(PathExists(hub_dir_ + "/checkpoints/new.pth"));
}

TEST_F(CachePruneCliTest, RemovesWhatIsOlderAndSaysSo) {
  const Result r = Run({"cache", "prune", "--older-than", "30d"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("removed       repo       o_old_main  (100B; last used 40d ago"));
  EXPECT_THAT(r.out, HasSubstr("removed 1 item, 100B: 150B became 50B; 1 kept"));
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(PathExists(hub_dir_ + "/o_old_main"));
  EXPECT_TRUE(PathExists(hub_dir_ + "/checkpoints/new.pth"));
}

TEST_F(CachePruneCliTest, DryRunJsonShowsEverythingAndChangesNothing) {
  const Result r = Run({"cache", "prune", "--max-size=0", "--dry-run", "--json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  absl::StatusOr<JsonValue> json = ParseJson(r.out);
  ASSERT_TRUE(json.ok()) << json.status() << r.out;
  EXPECT_EQ(json->GetString({"hub_dir"}), hub_dir_);
  EXPECT_TRUE(json->Find("dry_run")->bool_value());
  EXPECT_TRUE(json->Find("older_than_seconds")->is_null());
  EXPECT_EQ(json->Find("max_bytes")->number_value(), 0);
  EXPECT_EQ(json->Find("bytes_before")->number_value(), 150);
  EXPECT_EQ(json->Find("bytes_after")->number_value(), 0);
  EXPECT_EQ(json->Find("removed")->number_value(), 2);
  EXPECT_EQ(json->Find("in_use")->number_value(), 0);
  EXPECT_EQ(json->Find("failed")->number_value(), 0);
  EXPECT_TRUE(json->Find("ok")->bool_value());
  EXPECT_TRUE(json->Find("error")->is_null());
  const std::vector<JsonValue>& items = json->Find("items")->array();
  ASSERT_EQ(items.size(), 2);
  EXPECT_EQ(items[0].GetString({"kind"}), "checkpoint");
  EXPECT_EQ(items[0].GetString({"name"}), "checkpoints/new.pth");
  EXPECT_EQ(items[0].GetString({"action"}), "would_remove");
  EXPECT_EQ(items[0].Find("bytes")->number_value(), 50);
  EXPECT_TRUE(items[0].Find("last_used")->is_string());
  EXPECT_THAT(*items[0].GetString({"reason"}), HasSubstr("least recently used"));
  EXPECT_EQ(items[1].GetString({"kind"}), "repo");
  EXPECT_TRUE(PathExists(hub_dir_ + "/o_old_main/hubconf.py"));
  EXPECT_TRUE(PathExists(hub_dir_ + "/checkpoints/new.pth"));
}

TEST_F(CachePruneCliTest, InUseIsReportedButIsNoFailure) {
  absl::StatusOr<FileLock> held = FileLock::Acquire(hub_dir_ + "/checkpoints/new.pth.lock");
  ASSERT_TRUE(held.ok()) << held.status();
  Result r = Run({"cache", "prune", "--max-size", "0"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("in use        checkpoint checkpoints/new.pth  (50B; "));
  EXPECT_THAT(r.out, HasSubstr("new.pth.lock is held by another process"));
  EXPECT_THAT(r.out, HasSubstr("1 in use (skipped)"));
  EXPECT_TRUE(PathExists(hub_dir_ + "/checkpoints/new.pth"));
  r = Run({"cache", "prune", "--max-size", "0", "--json"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"in_use\":1"));
  EXPECT_THAT(r.out, HasSubstr("\"action\":\"in_use\""));
}

TEST_F(CachePruneCliTest, FailedRemovalExitsOne) {
  ::hub::testing::WriteTestFile(hub_dir_ + "/o_old_main/sub/f", "x");
  ASSERT_EQ(::chmod((hub_dir_ + "/o_old_main/sub").c_str(), 0555), 0);
  Age(hub_dir_ + "/o_old_main", absl::Hours(24 * 40));
  // Root may remove anything: prune as a user who can't.
  const absl::Status unprivileged = ::hub::testing::RunAsUnprivileged([&] {
    const Result r = Run({"cache", "prune", "--older-than", "1w", "--json"});
    EXPECT_EQ(r.code, kExitFailure);
    EXPECT_THAT(r.out, HasSubstr("\"action\":\"failed\""));
    EXPECT_THAT(r.out, HasSubstr("\"ok\":false"));
    EXPECT_THAT(r.err, HasSubstr("torchhub: error: could not remove 1 of the items chosen"));
  });
  EXPECT_TRUE(unprivileged.ok()) << unprivileged;
  EXPECT_FALSE(PathExists(hub_dir_ + "/o_old_main"));
  for (const std::string& name : ::hub::testing::ListDir(hub_dir_)) {
    if (absl::EndsWith(name, ".pruning")) {
      ::chmod(absl::StrCat(hub_dir_, "/", name, "/sub").c_str(), 0755);
    }
  }
}

TEST_F(CachePruneCliTest, BadValuesAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"cache", "prune"}, "cache prune needs a limit: say --older-than"},
           {{"cache", "prune", "--max-size"}, "--max-size needs a value"},
           {{"cache", "prune", "extra", "--max-size", "1G"}, "unexpected argument \"extra\""},
           {{"cache", "prune", "--keep", "x"}, "unknown option --keep"},
           {{"cache", "ls", "--max-size", "1G"}, "--max-size is for cache prune only"},
           {{"cache", "verify", "--dry-run"}, "--dry-run is for cache prune and rm only"},
       }) {
    const Result r = Run(c.args);
    EXPECT_EQ(r.code, kExitUsage) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(r.err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(r.err, HasSubstr("torchhub cache prune [--older-than DURATION]"))
        << absl::StrJoin(c.args, " ");
    EXPECT_EQ(r.out, "");
  }
  // A malformed value: one line naming the option, no usage.
  for (const Case& c : std::vector<Case>{
           {{"cache", "prune", "--older-than", "3x"}, "--older-than: \"3x\" is not an age"},
           {{"cache", "prune", "--older-than", "30"}, "is not an age"},
           {{"cache", "prune", "--older-than", "-1d"}, "negative age"},
           {{"cache", "prune", "--max-size", "10Q"}, "--max-size: \"10Q\" is not a size"},
           {{"cache", "prune", "--max-size", "-5"}, "is not a size"},
       }) {
    const Result r = Run(c.args);
    EXPECT_EQ(r.code, kExitUsage) << absl::StrJoin(c.args, " ");
    EXPECT_THAT(r.err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_TRUE(PathExists(hub_dir_ + "/o_old_main"));
  EXPECT_THAT(Run({"cache", "--help"}).out, HasSubstr("--older-than DURATION"));
  EXPECT_THAT(Run({"--help"}).out, HasSubstr("cache prune [--older-than DURATION]"));
}

}  // namespace

}  // namespace hub::cli
