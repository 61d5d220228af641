#include "hub/ref/repo_ref.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct Valid {
  std::string input;
  std::string owner;
  std::string name;
  std::optional<std::string> ref;
};

class ValidRepoTest : public ::testing::TestWithParam<Valid> {};

TEST_P(ValidRepoTest, SplitsLikeTorchHub) {
  const Valid& v = GetParam();
  HUB_ASSERT_OK_AND_ASSIGN(const RepoRef r, ParseRepoRef(v.input));
  EXPECT_EQ(r.owner, v.owner);
  EXPECT_EQ(r.name, v.name);
  EXPECT_EQ(r.ref, v.ref);
  EXPECT_EQ(r.ToString(), v.input);
  EXPECT_THAT(ParseRepoRef(r.ToString()), IsOkAndHolds(r));
  EXPECT_THAT(ValidateRepoRef(r), IsOk());
}

INSTANTIATE_TEST_SUITE_P(
    RealAndEdgeRepos, ValidRepoTest,
    ::testing::Values(
        Valid{"pytorch/vision:v0.10.0", "pytorch", "vision", "v0.10.0"},
        Valid{"pytorch/vision", "pytorch", "vision", std::nullopt},
        Valid{"NVIDIA/DeepLearningExamples:torchhub", "NVIDIA", "DeepLearningExamples", "torchhub"},
        Valid{"facebookresearch/pytorch_GAN_zoo:hub", "facebookresearch", "pytorch_GAN_zoo", "hub"},
        Valid{"huggingface/pytorch-transformers", "huggingface", "pytorch-transformers",
              std::nullopt},
        Valid{"ailzhang/torchhub_example:ci/test_slash", "ailzhang", "torchhub_example",
              "ci/test_slash"},
        Valid{"ultralytics/yolov5:v7.0", "ultralytics", "yolov5", "v7.0"},
        Valid{"o/n:refs/heads/main", "o", "n", "refs/heads/main"},
        Valid{"o/n:4e2c216", "o", "n", "4e2c216"}, Valid{"o/n:a@b", "o", "n", "a@b"},
        Valid{"o.x/n.y:v1", "o.x", "n.y", "v1"}, Valid{"o/n:caf\xc3\xa9", "o", "n", "caf\xc3\xa9"},
        Valid{"O-1/N_2:R-3_4.5", "O-1", "N_2", "R-3_4.5"}));

struct Invalid {
  std::string input;
  std::string message;  // a substring the error must contain
};

void PrintTo(const Valid& v, std::ostream* os) { *os << ::testing::PrintToString(v.input); }
void PrintTo(const Invalid& v, std::ostream* os) { *os << ::testing::PrintToString(v.input); }

class InvalidRepoTest : public ::testing::TestWithParam<Invalid> {};

TEST_P(InvalidRepoTest, IsRefusedWithAClearMessage) {
  const Invalid& v = GetParam();
  EXPECT_THAT(ParseRepoRef(v.input), StatusIs(absl::StatusCode::kInvalidArgument,
                                              AllOf(HasSubstr("invalid repo"), HasSubstr(v.message),
                                                    HasSubstr("e.g. \"pytorch/vision:v0.10.0\""))));
}

INSTANTIATE_TEST_SUITE_P(
    MalformedAndHostile, InvalidRepoTest,
    ::testing::Values(
        // torch.hub refuses these too (ValueError from unpacking).
        Invalid{"pytorch", "no \"/\" between owner and name"},
        Invalid{"a/b/c", "\"a/b/c\" has 2 \"/\""}, Invalid{"a/b:c:d", "has 2 \":\""},
        Invalid{"a:b/c", "no \"/\" between owner and name"}, Invalid{"", "it is empty"},
        // Empty parts.
        Invalid{"/vision", "the owner is empty"}, Invalid{"pytorch/", "the name is empty"},
        Invalid{"/", "the owner is empty"},
        Invalid{"pytorch/vision:", "the ref after \":\" is empty"},
        // Whitespace, NUL and control characters.
        Invalid{" pytorch/vision", "a space at offset 0"},
        Invalid{"pytorch/vision ", "a space at offset 14"}, Invalid{"pytorch/vi sion", "a space"},
        Invalid{"pytorch/vision:v1\n", "a line break"}, Invalid{"pytorch/vision:\tv1", "a tab"},
        Invalid{std::string("pytorch/vi\0sion", 15), "a NUL byte at offset 10"},
        Invalid{"pytorch/vision:\x7f", "control character"},
        // Escaping the hub dir or a URL.
        Invalid{"../x:y", "the owner \"..\" starts with \".\""},
        Invalid{"../vision", "starts with \".\""}, Invalid{"pytorch/..", "starts with \".\""},
        Invalid{"pytorch/a..b", "contains \"..\""}, Invalid{".hidden/vision", "starts with \".\""},
        Invalid{"pytorch/.git", "starts with \".\""},
        Invalid{"pytorch\\x/vision", "contains a backslash at offset 7"},
        Invalid{"pytorch/vision:..", "contains \"..\""},
        Invalid{"pytorch/vision:../../etc", "contains \"..\""},
        // ".." inside a component: the fast path's own rule, not the
        // component-start one.
        Invalid{"pytorch/vision:a..b", "contains \"..\""},
        Invalid{"pytorch/vision:v1/a..b/c", "contains \"..\""},
        Invalid{"pytorch/vision:a\\b", "contains a backslash at offset 1"},
        Invalid{"pytorch/vision:/abs", "starts or ends with \"/\""},
        Invalid{"pytorch/vision:a/", "starts or ends with \"/\""},
        Invalid{"pytorch/vision:a//b", "\"//\""},
        Invalid{"pytorch/vision:a/.b", "component starting with \".\""},
        Invalid{"pytorch/vision:.b", "component starting with \".\""},
        Invalid{"-x/vision", "starts with \"-\""},
        Invalid{"pytorch/vision:--upload-pack=x", "starts with \"-\""},
        // Outside the alphabets.
        Invalid{"py%74orch/vision", "contains \"%\""}, Invalid{"pytorch/vis~ion", "contains \"~\""},
        Invalid{"pyt\xc3\xb6rch/vision", "non-ASCII byte"},
        Invalid{"pytorch/vision:a~1", "contains \"~\""},
        Invalid{"pytorch/vision:a^", "contains \"^\""},
        Invalid{"pytorch/vision:a?", "contains \"?\""},
        Invalid{"pytorch/vision:a*", "contains \"*\""},
        Invalid{"pytorch/vision:a[0]", "contains \"[\""},
        Invalid{"pytorch/vision:\xc3(", "not valid UTF-8"},
        Invalid{"pytorch/vision:\xed\xa0\x80", "not valid UTF-8"},
        Invalid{"pytorch/vision:\xc0\xaf", "not valid UTF-8"},
        // Refs git refuses.
        Invalid{"pytorch/vision:@", "is \"@\""}, Invalid{"pytorch/vision:a@{1}", "\"@{\""},
        Invalid{"pytorch/vision:main.lock", "\".lock\""},
        Invalid{"pytorch/vision:v1.", "ends with \".\""},
        // Overlong.
        Invalid{std::string(513, 'a'), "513 bytes long"},
        Invalid{std::string(101, 'a') + "/b", "the owner is 101 bytes long"},
        Invalid{"a/" + std::string(101, 'b'), "the name is 101 bytes long"},
        Invalid{"a/b:" + std::string(256, 'c'), "256 bytes long"},
        Invalid{std::string(100, 'a') + "/" + std::string(100, 'b') + ":" + std::string(30, 'c'),
                "cache directory name would be 232 bytes"}));

TEST(RepoRefTest, LongInputIsShownCutShort) {
  const absl::Status s = ParseRepoRef(std::string(600, 'x')).status();
  EXPECT_LT(s.message().size(), 300u);
  EXPECT_THAT(std::string(s.message()), HasSubstr("..."));
}

TEST(RepoRefTest, OwnerNameIsTheTrustedListForm) {
  HUB_ASSERT_OK_AND_ASSIGN(const RepoRef r, ParseRepoRef("ailzhang/torchhub_example:x"));
  EXPECT_EQ(r.OwnerName(), "ailzhang_torchhub_example");
}

TEST(RepoRefTest, WithRefSetsTheRef) {
  HUB_ASSERT_OK_AND_ASSIGN(const RepoRef r, ParseRepoRef("pytorch/vision"));
  EXPECT_EQ(r.WithRef("main").ToString(), "pytorch/vision:main");
  EXPECT_EQ(r.ref, std::nullopt);
}

TEST(RepoRefTest, ValidateRepoRefAppliesTheSameRules) {
  EXPECT_THAT(ValidateRepoRef({"pytorch", "vision", "main"}), IsOk());
  EXPECT_THAT(ValidateRepoRef({"..", "vision", "main"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("starts with \".\"")));
  EXPECT_THAT(ValidateRepoRef({"a/b", "vision", std::nullopt}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("contains \"/\"")));
  EXPECT_THAT(ValidateRef("release/1.0"), IsOk());
  EXPECT_THAT(ValidateRef("a b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a space")));
}

TEST(RepoRefTest, NormalizeRefReplacesEverySlash) {
  EXPECT_EQ(NormalizeRef("ci/test_slash"), "ci_test_slash");
  EXPECT_EQ(NormalizeRef("refs/heads/a/b"), "refs_heads_a_b");
  EXPECT_EQ(NormalizeRef("main"), "main");
  EXPECT_EQ(NormalizeRef(""), "");
}

TEST(RepoRefTest, ParseSourceFollowsTorchHub) {
  EXPECT_THAT(ParseSource("github"), IsOkAndHolds(Source::kGithub));
  EXPECT_THAT(ParseSource("GitHub"), IsOkAndHolds(Source::kGithub));
  EXPECT_THAT(ParseSource("LOCAL"), IsOkAndHolds(Source::kLocal));
  EXPECT_THAT(ParseSource("GitLab"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Unknown source: \"gitlab\". Allowed values: \"github\" | \"local\"."));
}

TEST(RepoRefTest, GuessSourceTellsPathsFromRepos) {
  EXPECT_EQ(GuessSource("pytorch/vision"), Source::kGithub);
  EXPECT_EQ(GuessSource("pytorch/vision:v0.10.0"), Source::kGithub);
  EXPECT_EQ(GuessSource("/abs/dir"), Source::kLocal);
  EXPECT_EQ(GuessSource("./pytorch/vision"), Source::kLocal);
  EXPECT_EQ(GuessSource("../x"), Source::kLocal);
  EXPECT_EQ(GuessSource("~/x"), Source::kLocal);
  EXPECT_EQ(GuessSource("."), Source::kLocal);
  // Not a repo string, and an existing directory.
  EXPECT_EQ(GuessSource(::hub::testing::TestDir("dir")), Source::kLocal);
  EXPECT_EQ(GuessSource("no_such_dir_and_no_slash"), Source::kGithub);
}

}  // namespace
}  // namespace hub
