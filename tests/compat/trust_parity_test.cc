// hub/trust against Python's torch.hub: _check_repo_is_trusted on the same
// hub dirs (trusted_list contents, downloaded repo dirs, owners), the prompt
// and warning texts, and what trusted_list holds after trust_repo=True.

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/base/warnings.h"
#include "hub/fs/files.h"
#include "hub/trust/fake_prompter.h"
#include "hub/trust/trust.h"
#include "tests/compat/oracle.h"

namespace hub {
namespace {

using ::hub::testing::AskTorchHub;
using ::hub::testing::Hex;
using ::hub::testing::IsOk;
using ::hub::testing::Unhex;

struct Scenario {
  std::string repo;
  bool has_list;
  std::string list;
  std::vector<std::string> downloaded;
  // Set where we deliberately differ from torch.hub's trusted_list after
  // trust_repo=True (see hub/trust/trusted_list.h).
  std::string our_list_after;
};

TEST(TrustParityTest, SameVerdictPromptAndTrustedList) {
  const std::vector<Scenario> scenarios = {
      {"a/b:main", false, "", {}},
      {"a/b:main", true, "", {}},
      {"a/b:main", true, "a_b\n", {}},
      {"a/b:main", true, "  a_b  \r\n", {}},
      {"a/b:main", true, "x_y\ra_b\r", {}},
      {"a/b:main", true, "x_y\r\na_b", {}},
      {"a/b:main",
       true,
       "\x1f"
       "a_b\x1f\n",
       {}},
      {"a/b:main", true, "a_b\x0c\n", {}},
      {"a/b:main", true, "a_bc\n", {}},
      {"a/b:main", true, "#a_b\n", {}},
      {"a/b:main", true, "A_B\n", {}},
      {"a/b:main", true, "a_b\na_b\n", {}},
      {"a/b:main", true, "\n\n\n", {}},
      {"a/b:main", true, "", {"a_b_main"}},
      {"a/b:dev", true, "", {"a_b_main"}},
      {"a/b:ci/x", true, "", {"a_b_ci_x"}},
      {"a/b:main", true, "", {"a_b_main_old", "a_b"}},
      {"pytorch/anything:main", true, "", {}},
      {"facebookresearch/x:y", false, "", {}},
      {"facebookincubator/x:y", true, "", {}},
      {"fairinternal/x:y", true, "", {}},
      {"PyTorch/x:main", true, "", {}},
      {"pytorchx/x:main", true, "", {}},
      {"ultralytics/yolov5:v7.0", true, "snakers4_silero-models\n", {"ultralytics_yolov5_v6.0"}},
      // torch.hub glues the new entry onto a last line without a line break
      // ("x_ya_b"); we add the break.
      {"a/b:main", true, "x_y", {}, "x_y\na_b\n"},
  };
  std::vector<std::vector<std::string>> questions;
  for (const Scenario& s : scenarios) {
    std::vector<std::string> dirs;
    for (const std::string& d : s.downloaded) dirs.push_back(Hex(d));
    questions.push_back({Hex(s.repo), s.has_list ? Hex(s.list) : "-", absl::StrJoin(dirs, ",")});
  }
  HUB_ASSERT_OK_AND_ASSIGN(const auto answers, AskTorchHub("trust", questions));

  for (size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& s = scenarios[i];
    SCOPED_TRACE(absl::StrCat("scenario ", i, ": ", s.repo, " trusted_list=\"",
                              absl::CHexEscape(s.list), "\""));
    const std::string hub_dir = ::hub::testing::TestDir(absl::StrCat("hub", i));
    if (s.has_list) {
      ASSERT_THAT(WriteFileAtomically(hub_dir + "/trusted_list", s.list), IsOk());
    }
    for (const std::string& d : s.downloaded)
      ASSERT_THAT(MakeDirs(absl::StrCat(hub_dir, "/", d)), IsOk());
    const CacheLayout cache(hub_dir);
    const RepoRef repo = *ParseRepoRef(s.repo);

    FakePrompter nobody;
    const absl::Status check =
        CheckRepoIsTrusted(cache, repo, {.prompter = &nobody, .use_environment = false});
    const bool asked = !nobody.questions().empty();
    EXPECT_EQ(asked ? "ASKED" : "TRUSTED", answers[i][0]);
    EXPECT_EQ(check.ok(), !asked);
    if (asked && answers[i][1] != "-") {
      EXPECT_EQ(nobody.questions()[0], Unhex(answers[i][1]));
    }

    ASSERT_THAT(
        CheckRepoIsTrusted(cache, repo, {.mode = TrustMode::kTrue, .use_environment = false}),
        IsOk());
    const std::string python_after = answers[i][2] == "-" ? "" : Unhex(answers[i][2]);
    HUB_ASSERT_OK_AND_ASSIGN(const std::string ours_after, ReadFile(hub_dir + "/trusted_list"));
    if (s.our_list_after.empty()) {
      EXPECT_EQ(ours_after, python_after);
    } else {
      EXPECT_EQ(ours_after, s.our_list_after);
      EXPECT_NE(python_after, s.our_list_after) << "torch.hub no longer has the bug";
    }
  }
}

TEST(TrustParityTest, PromptAndWarningTextsAreTorchHubs) {
  const std::vector<std::string> calling_fns = {"load", "list", "help"};
  std::vector<std::vector<std::string>> questions;
  questions.reserve(calling_fns.size());
  for (const std::string& fn : calling_fns) questions.push_back({Hex(fn)});
  HUB_ASSERT_OK_AND_ASSIGN(const auto answers, AskTorchHub("texts", questions));
  for (size_t i = 0; i < calling_fns.size(); ++i) {
    SCOPED_TRACE(calling_fns[i]);
    EXPECT_EQ(TrustPrompt("a_b"), Unhex(answers[i][0]));
    // torch.hub 1.13 forgot the f-string prefix on the first "{calling_fn}"
    // (fixed in later releases); we print the fixed text.
    EXPECT_EQ(UntrustedRepoWarning(calling_fns[i]),
              absl::StrReplaceAll(Unhex(answers[i][1]), {{"{calling_fn}", calling_fns[i]}}));
  }
}

}  // namespace
}  // namespace hub
