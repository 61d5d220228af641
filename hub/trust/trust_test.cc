#include "hub/trust/trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/run_as_unprivileged.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/base/warnings.h"
#include "hub/fs/files.h"
#include "hub/trust/fake_prompter.h"
#include "hub/trust/trusted_list.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kPrompt[] =
    "The repository ailzhang_torchhub_example does not belong to the list of trusted "
    "repositories and as such cannot be downloaded. Do you trust this repository and wish to "
    "add it to the trusted list of repositories (y/N)?";

class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv(kTrustEnvVar);
    hub_dir_ = ::hub::testing::TestDir("hub");
  }

  CacheLayout cache() const { return CacheLayout(hub_dir_); }
  std::vector<std::string> Listed() const { return *TrustedList(cache()).Read(); }

  absl::Status Check(const std::string& repo, TrustMode mode, FakePrompter* prompter,
                     const std::string& calling_fn = "load") {
    return CheckRepoIsTrusted(cache(), *ParseRepoRef(repo),
                              {.mode = mode, .calling_fn = calling_fn, .prompter = prompter});
  }

  std::string hub_dir_;
  const std::string repo_ = "ailzhang/torchhub_example:master";
};

// torch.hub's test_trust_repo_false_emptystring and _false_no.
TEST_F(TrustTest, FalseAndNoAnswerRaisesAndRecordsNothing) {
  for (const char* answer : {"", "no", "N", "No"}) {
    FakePrompter prompter({answer});
    EXPECT_THAT(Check(repo_, TrustMode::kFalse, &prompter),
                StatusIs(absl::StatusCode::kPermissionDenied, StartsWith("Untrusted repository.")))
        << answer;
    EXPECT_THAT(prompter.questions(), ElementsAre(kPrompt));
    EXPECT_THAT(Listed(), IsEmpty());
  }
  // trusted_list was created all the same.
  EXPECT_TRUE(PathExists(hub_dir_ + "/trusted_list"));
}

// test_trust_repo_false_yes: recorded, then "check" is silent, "false" asks.
TEST_F(TrustTest, FalseAndYesRecordsThenCheckIsSilent) {
  FakePrompter yes({"y"});
  ASSERT_THAT(Check(repo_, TrustMode::kFalse, &yes), IsOk());
  EXPECT_THAT(Listed(), ElementsAre("ailzhang_torchhub_example"));
  EXPECT_THAT(yes.messages(), IsEmpty());

  FakePrompter none;
  ASSERT_THAT(Check(repo_, TrustMode::kCheck, &none), IsOk());
  EXPECT_THAT(none.questions(), IsEmpty());

  FakePrompter again({"YES"});
  ASSERT_THAT(Check(repo_, TrustMode::kFalse, &again), IsOk());
  EXPECT_THAT(again.questions(), ElementsAre(kPrompt));
  EXPECT_THAT(again.messages(), ElementsAre("The repository is already trusted."));
  EXPECT_THAT(Listed(), ElementsAre("ailzhang_torchhub_example"));
}

// test_trust_repo_check_no and _check_yes.
TEST_F(TrustTest, CheckAsksOnlyWhileUntrusted) {
  FakePrompter no({"no"});
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &no),
              StatusIs(absl::StatusCode::kPermissionDenied, StartsWith("Untrusted repository.")));
  EXPECT_THAT(Listed(), IsEmpty());
  FakePrompter no_again({"no"});
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &no_again), Not(IsOk()));
  EXPECT_EQ(no_again.questions().size(), 1u);

  FakePrompter yes({"yes"});
  ASSERT_THAT(Check(repo_, TrustMode::kCheck, &yes), IsOk());
  EXPECT_THAT(Listed(), ElementsAre("ailzhang_torchhub_example"));
  FakePrompter silent;
  ASSERT_THAT(Check(repo_, TrustMode::kCheck, &silent), IsOk());
  EXPECT_THAT(silent.questions(), IsEmpty());
}

TEST_F(TrustTest, UnrecognisedAnswerIsAnErrorWithTheOriginalText) {
  FakePrompter maybe({"Maybe"});
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &maybe),
              StatusIs(absl::StatusCode::kInvalidArgument, "Unrecognized response Maybe."));
  FakePrompter spaced({"yes "});
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &spaced),
              StatusIs(absl::StatusCode::kInvalidArgument, "Unrecognized response yes ."));
  EXPECT_THAT(Listed(), IsEmpty());
}

// test_trust_repo_true.
TEST_F(TrustTest, TrueRecordsWithoutAsking) {
  FakePrompter prompter;
  ASSERT_THAT(Check(repo_, TrustMode::kTrue, &prompter), IsOk());
  EXPECT_THAT(prompter.questions(), IsEmpty());
  EXPECT_THAT(Listed(), ElementsAre("ailzhang_torchhub_example"));
  ASSERT_THAT(Check(repo_, TrustMode::kTrue, &prompter), IsOk());
  EXPECT_THAT(Listed(), ElementsAre("ailzhang_torchhub_example"));
}

// test_trust_repo_builtin_trusted_owners.
TEST_F(TrustTest, BuiltinOwnersAreTrustedAndNotRecorded) {
  for (const char* repo : {"pytorch/vision:main", "facebookresearch/dino:main",
                           "facebookincubator/x:y", "fairinternal/x:y"}) {
    FakePrompter prompter;
    EXPECT_THAT(Check(repo, TrustMode::kCheck, &prompter), IsOk()) << repo;
    EXPECT_THAT(prompter.questions(), IsEmpty());
  }
  EXPECT_THAT(Listed(), IsEmpty());
  // Owners match exactly, case included.
  FakePrompter prompter;
  EXPECT_THAT(Check("PyTorch/vision:main", TrustMode::kCheck, &prompter), Not(IsOk()));
}

// test_trust_repo_legacy: a downloaded repo dir counts, for that ref only.
TEST_F(TrustTest, AlreadyDownloadedRefIsTrusted) {
  ASSERT_THAT(MakeDirs(hub_dir_ + "/ailzhang_torchhub_example_master"), IsOk());
  FakePrompter prompter;
  ASSERT_THAT(Check(repo_, TrustMode::kCheck, &prompter), IsOk());
  EXPECT_THAT(prompter.questions(), IsEmpty());
  EXPECT_THAT(Listed(), IsEmpty());
  EXPECT_THAT(WhyTrusted(cache(), *ParseRepoRef(repo_)),
              IsOkAndHolds(TrustReason::kAlreadyDownloaded));
  // Another ref of the same repo is not covered.
  FakePrompter other({"n"});
  EXPECT_THAT(Check("ailzhang/torchhub_example:main", TrustMode::kCheck, &other), Not(IsOk()));
  EXPECT_EQ(other.questions().size(), 1u);
  // A file of that name is not a downloaded repo.
  ASSERT_THAT(WriteFileAtomically(hub_dir_ + "/ailzhang_torchhub_example_v2", ""), IsOk());
  EXPECT_THAT(WhyTrusted(cache(), *ParseRepoRef("ailzhang/torchhub_example:v2")),
              IsOkAndHolds(TrustReason::kNotTrusted));
}

// test_trust_repo_none (the older default).
TEST_F(TrustTest, NoneWarnsOnceAndRecordsNothing) {
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  FakePrompter prompter;
  ASSERT_THAT(Check(repo_, TrustMode::kNone, &prompter, "list"), IsOk());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], StartsWith("You are about to download and run code from an "
                                      "untrusted repository."));
  EXPECT_THAT(warnings[0], HasSubstr("change the command to list(..., trust_repo=False)"));
  EXPECT_THAT(warnings[0], HasSubstr("You can also use list(..., trust_repo='check')"));
  EXPECT_THAT(prompter.questions(), IsEmpty());
  EXPECT_THAT(Listed(), IsEmpty());
  // A trusted repo gets no warning.
  ASSERT_THAT(Check("pytorch/vision:main", TrustMode::kNone, &prompter), IsOk());
  EXPECT_EQ(warnings.size(), 1u);
}

TEST_F(TrustTest, NoTerminalFailsFastWithAWayOut) {
  FakePrompter nobody;
  nobody.set_exhausted_status(
      absl::FailedPreconditionError("standard input is not a terminal, so nobody can be asked"));
  const absl::Status s = Check(repo_, TrustMode::kCheck, &nobody);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("standard input is not a terminal")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("torchhub trust add ailzhang/torchhub_example"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("TORCHHUB_TRUST=ailzhang/torchhub_example"));
  EXPECT_THAT(Listed(), IsEmpty());
}

TEST_F(TrustTest, EnvironmentTrustsOwnersReposOrEverything) {
  FakePrompter prompter;
  setenv(kTrustEnvVar, "someone, ailzhang/torchhub_example", 1);
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &prompter), IsOk());
  setenv(kTrustEnvVar, "ailzhang", 1);
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &prompter), IsOk());
  setenv(kTrustEnvVar, "*", 1);
  EXPECT_THAT(Check("anyone/anything:x", TrustMode::kCheck, &prompter), IsOk());
  EXPECT_THAT(prompter.questions(), IsEmpty());
  // Trusted by configuration is not written down.
  EXPECT_THAT(Listed(), IsEmpty());
  setenv(kTrustEnvVar, "ailzhang/other", 1);
  EXPECT_THAT(Check(repo_, TrustMode::kCheck, &prompter), Not(IsOk()));
  unsetenv(kTrustEnvVar);
}

TEST_F(TrustTest, ExtraTrustedOption) {
  FakePrompter prompter;
  EXPECT_THAT(CheckRepoIsTrusted(cache(), *ParseRepoRef(repo_),
                                 {.prompter = &prompter, .extra_trusted = {"ailzhang"}}),
              IsOk());
  setenv(kTrustEnvVar, "ailzhang", 1);
  EXPECT_THAT(CheckRepoIsTrusted(cache(), *ParseRepoRef(repo_),
                                 {.prompter = &prompter, .use_environment = false}),
              Not(IsOk()));
  unsetenv(kTrustEnvVar);
}

TEST_F(TrustTest, UnwritableTrustedListIsFineUntilSomethingMustBeWritten) {
  // trusted_list can't be created: it is a link into a directory that
  // doesn't exist (what a read-only hub dir looks like, even to root).
  ASSERT_EQ(symlink("/nonexistent-hub-dir/trusted_list", (hub_dir_ + "/trusted_list").c_str()), 0);
  FakePrompter prompter;
  EXPECT_THAT(Check("pytorch/vision:main", TrustMode::kCheck, &prompter), IsOk());
  EXPECT_THAT(Check(repo_, TrustMode::kTrue, &prompter),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot record that ailzhang_torchhub_example is trusted")));
}

TEST_F(TrustTest, ReadOnlyHubDirIsFineUntilSomethingMustBeWritten) {
  ASSERT_EQ(chmod(hub_dir_.c_str(), 0555), 0);
  // Root writes to read-only directories: run the checks as a user who can't.
  const absl::Status unprivileged = ::hub::testing::RunAsUnprivileged([&] {
    FakePrompter prompter;
    EXPECT_THAT(Check("pytorch/vision:main", TrustMode::kCheck, &prompter), IsOk());
    EXPECT_THAT(Check(repo_, TrustMode::kTrue, &prompter),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("cannot record that ailzhang_torchhub_example is trusted")));
  });
  EXPECT_TRUE(unprivileged.ok()) << unprivileged;
  EXPECT_FALSE(PathExists(hub_dir_ + "/trusted_list"));
  chmod(hub_dir_.c_str(), 0755);
}

TEST_F(TrustTest, UnresolvedRefIsRefused) {
  EXPECT_THAT(Check("ailzhang/torchhub_example", TrustMode::kTrue, nullptr),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("before its ref")));
}

// A git remote is trusted by itself: the owner allowlist, trusted_list's
// repos and already-downloaded dirs say nothing about it.
class RemoteTrustTest : public TrustTest {
 protected:
  absl::Status CheckRemote(const std::string& url, TrustMode mode, FakePrompter* prompter) {
    return CheckRemoteIsTrusted(cache(), url, *ParseRepoRef("pytorch/vision:main"),
                                {.mode = mode, .prompter = prompter, .use_environment = false});
  }
  const std::string url_ = "https://gitlab.example/someone/vision.git";
};

TEST_F(RemoteTrustTest, ATrustedRepoNameDoesNotTrustItsRemote) {
  ASSERT_THAT(MakeDirs(hub_dir_ + "/pytorch_vision_main"), IsOk());
  ASSERT_THAT(TrustedList(cache()).Add("pytorch_vision"), IsOk());
  EXPECT_THAT(WhyRemoteTrusted(cache(), url_), IsOkAndHolds(TrustReason::kNotTrusted));

  FakePrompter no({"n"});
  const absl::Status refused = CheckRemote(url_, TrustMode::kCheck, &no);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kPermissionDenied,
                                AllOf(StartsWith("Untrusted git remote."), HasSubstr(url_),
                                      HasSubstr(absl::StrCat("torchhub trust add ", url_)))));
  EXPECT_THAT(no.questions(), ElementsAre(RemoteTrustPrompt(url_, "pytorch/vision")));
  EXPECT_THAT(no.questions()[0],
              AllOf(HasSubstr(url_), HasSubstr("pytorch/vision"), HasSubstr("(y/N)?")));
  EXPECT_THAT(Listed(), ElementsAre("pytorch_vision"));
}

TEST_F(RemoteTrustTest, NoTerminalNamesTheRemoteAndWritesNothing) {
  ASSERT_THAT(RemoveTree(hub_dir_), IsOk());
  FakePrompter nobody;
  EXPECT_THAT(CheckRemote(url_, TrustMode::kCheck, &nobody),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("the git remote ", url_)),
                             HasSubstr("could not be confirmed"),
                             HasSubstr(absl::StrCat(kTrustEnvVar, "=", url_)))));
  EXPECT_FALSE(PathExists(hub_dir_));  // not even the hub dir or trusted_list
}

TEST_F(RemoteTrustTest, YesOrTrueRecordsTheUrlThenCheckIsSilent) {
  ASSERT_THAT(RemoveTree(hub_dir_), IsOk());
  FakePrompter yes({"y"});
  ASSERT_THAT(CheckRemote(url_, TrustMode::kCheck, &yes), IsOk());
  EXPECT_THAT(Listed(), ElementsAre(url_));
  EXPECT_THAT(WhyRemoteTrusted(cache(), url_), IsOkAndHolds(TrustReason::kTrustedList));
  FakePrompter silent;
  ASSERT_THAT(CheckRemote(url_, TrustMode::kCheck, &silent), IsOk());
  EXPECT_THAT(silent.questions(), IsEmpty());
  // The line matches no repo.
  EXPECT_THAT(WhyTrusted(cache(), *ParseRepoRef("gitlab.example/vision:x")),
              IsOkAndHolds(TrustReason::kNotTrusted));

  FakePrompter again({"yes"});
  ASSERT_THAT(CheckRemote(url_, TrustMode::kFalse, &again), IsOk());
  EXPECT_THAT(again.messages(), ElementsAre("The git remote is already trusted."));

  const std::string other = "ssh://git@host.example/x.git";
  ASSERT_THAT(CheckRemote(other, TrustMode::kTrue, &silent), IsOk());
  EXPECT_THAT(silent.questions(), IsEmpty());
  EXPECT_THAT(Listed(), ElementsAre(url_, other));
}

TEST_F(RemoteTrustTest, NoneWarnsNamingTheRemote) {
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  FakePrompter prompter;
  ASSERT_THAT(CheckRemote(url_, TrustMode::kNone, &prompter), IsOk());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], AllOf(HasSubstr(url_), HasSubstr("pytorch/vision")));
  EXPECT_THAT(Listed(), IsEmpty());
}

TEST_F(RemoteTrustTest, ConfigurationTrustsTheExactUrlOrEverything) {
  TrustOptions options{.use_environment = false};
  options.extra_trusted = {"pytorch", "pytorch/vision", "https://gitlab.example/someone"};
  EXPECT_THAT(WhyRemoteTrusted(cache(), url_, options), IsOkAndHolds(TrustReason::kNotTrusted));
  options.extra_trusted.push_back(url_);
  EXPECT_THAT(WhyRemoteTrusted(cache(), url_, options), IsOkAndHolds(TrustReason::kExtraTrusted));
  setenv(kTrustEnvVar, "*", 1);
  EXPECT_THAT(WhyRemoteTrusted(cache(), "file:///srv/x.git"),
              IsOkAndHolds(TrustReason::kExtraTrusted));
  unsetenv(kTrustEnvVar);
}

TEST_F(RemoteTrustTest, AUrlThatCouldNotBeOneLineIsRefused) {
  FakePrompter prompter;
  for (const std::string& bad : {std::string(""), std::string("https://a/b\npytorch_vision"),
                                 std::string("https://a/b c"), std::string("https://a/b,c")}) {
    EXPECT_THAT(CheckRemote(bad, TrustMode::kTrue, &prompter),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(Listed(), IsEmpty());
}

TEST(IsRemoteEntryTest, TellsRemotesFromRepos) {
  for (const char* remote : {"https://h/o/n.git", "file:///srv/x", "/srv/x.git",
                             "git@github.com:o/n.git", "host:path/x"}) {
    EXPECT_TRUE(IsRemoteEntry(remote)) << remote;
  }
  for (const char* repo : {"o/n", "o/n:main", "o/n:feature/x", "owner", "o_n", "*"}) {
    EXPECT_FALSE(IsRemoteEntry(repo)) << repo;
  }
}

TEST(TrustModeTest, ParsesNames) {
  EXPECT_THAT(ParseTrustMode("check"), IsOkAndHolds(TrustMode::kCheck));
  EXPECT_THAT(ParseTrustMode("True"), IsOkAndHolds(TrustMode::kTrue));
  EXPECT_THAT(ParseTrustMode("FALSE"), IsOkAndHolds(TrustMode::kFalse));
  EXPECT_THAT(ParseTrustMode("none"), IsOkAndHolds(TrustMode::kNone));
  EXPECT_THAT(ParseTrustMode("yes"), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("check, true, false or none")));
  for (TrustMode m : {TrustMode::kCheck, TrustMode::kTrue, TrustMode::kFalse, TrustMode::kNone}) {
    EXPECT_THAT(ParseTrustMode(TrustModeName(m)), IsOkAndHolds(m));
  }
}

}  // namespace
}  // namespace hub
