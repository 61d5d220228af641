#include "hub/hash/hash_prefix.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/warnings.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kDigest[] = "5c106cde386e87d4033832f2996f5493238eda96ccf559d1d62760c4de0613f8";

TEST(CheckHashPrefixTest, PrefixesOfTheDigestPass) {
  EXPECT_THAT(CheckHashPrefix(kDigest, ""), IsOk());
  EXPECT_THAT(CheckHashPrefix(kDigest, "5"), IsOk());
  EXPECT_THAT(CheckHashPrefix(kDigest, "5c106cde"), IsOk());
  EXPECT_THAT(CheckHashPrefix(kDigest, kDigest), IsOk());
}

TEST(CheckHashPrefixTest, MismatchHasTorchHubsText) {
  EXPECT_THAT(
      CheckHashPrefix(kDigest, "deadbeef"),
      StatusIs(absl::StatusCode::kDataLoss,
               absl::StrCat("invalid hash value (expected \"deadbeef\", got \"", kDigest, "\")")));
  // Every character counts, not only the first few.
  for (size_t at : {size_t{4}, size_t{7}, size_t{8}, size_t{63}}) {
    std::string prefix(kDigest);
    prefix[at] = prefix[at] == '0' ? '1' : '0';
    EXPECT_THAT(CheckHashPrefix(kDigest, prefix.substr(0, at + 1)),
                StatusIs(absl::StatusCode::kDataLoss))
        << at;
  }
  // Case-sensitive, as in Python.
  EXPECT_THAT(CheckHashPrefix(kDigest, "5C106CDE"), StatusIs(absl::StatusCode::kDataLoss));
  // Longer than the digest never matches.
  EXPECT_THAT(CheckHashPrefix(kDigest, std::string(kDigest) + "0"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ValidateHashPrefixTest, AcceptsLowercaseHexUpTo64) {
  EXPECT_THAT(ValidateHashPrefix(""), IsOk());
  EXPECT_THAT(ValidateHashPrefix("0123456789abcdef"), IsOk());
  EXPECT_THAT(ValidateHashPrefix(kDigest), IsOk());
}

TEST(ValidateHashPrefixTest, RefusesWhatCouldNeverMatch) {
  EXPECT_THAT(ValidateHashPrefix("5C106CDE"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lowercase hex")));
  EXPECT_THAT(ValidateHashPrefix("xyz"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateHashPrefix(" 5c"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateHashPrefix(std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("65 characters")));
}

// The cases SPEC.md records from torch.hub's HASH_REGEX.
TEST(HashPrefixFromFileNameTest, TorchHubsRule) {
  struct Case {
    const char* name;
    std::optional<std::string> prefix;
  };
  const std::vector<Case> cases = {
      {"resnet18-5c106cde.pth", "5c106cde"},
      {"efficientnet-b0-355c32eb.pth", "355c32eb"},
      {"weights.pth", std::nullopt},
      {"weights-.pth", ""},
      {"x-ABCDEF12.pth", std::nullopt},
      {"a-1.2-ff.tar.gz", "1"},
      {"resnet50-0676ba61.pth", "0676ba61"},
      {"model-f00d", std::nullopt},
      {"", std::nullopt},
      {"vgg16_bn-6c64b313.pth", "6c64b313"},
      {"deeplabv3_resnet50_coco-cd0a2569.pth", "cd0a2569"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HashPrefixFromFileName(c.name), c.prefix) << c.name;
  }
}

class HashPrefixForCheckHashTest : public ::testing::Test {
 protected:
  std::vector<std::string> warnings_;
  ScopedWarningHandler capture_{
      [this](WarningCategory, absl::string_view m) { warnings_.emplace_back(m); }};
};

TEST_F(HashPrefixForCheckHashTest, UsableHashIsQuiet) {
  HUB_ASSERT_OK_AND_ASSIGN(const HashFromFileName h,
                           HashPrefixForCheckHash("resnet18-5c106cde.pth"));
  EXPECT_EQ(h.prefix, "5c106cde");
  EXPECT_THAT(h.problem, IsEmpty());
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(HashPrefixForCheckHashTest, NoHashWarnsLoudly) {
  HUB_ASSERT_OK_AND_ASSIGN(const HashFromFileName h, HashPrefixForCheckHash("weights.pth"));
  EXPECT_EQ(h.prefix, std::nullopt);
  EXPECT_THAT(h.problem, HasSubstr("NOT verified"));
  EXPECT_THAT(warnings_, ElementsAre(HasSubstr("\"weights.pth\" carries no hash")));
}

TEST_F(HashPrefixForCheckHashTest, EmptyAndShortHashesWarn) {
  HUB_ASSERT_OK_AND_ASSIGN(const HashFromFileName empty, HashPrefixForCheckHash("w-.pth"));
  EXPECT_EQ(empty.prefix, "");
  EXPECT_THAT(empty.problem, HasSubstr("NOT verified"));
  HUB_ASSERT_OK_AND_ASSIGN(const HashFromFileName short_one,
                           HashPrefixForCheckHash("a-1.2-ff.tar.gz"));
  EXPECT_EQ(short_one.prefix, "1");
  EXPECT_THAT(short_one.problem, HasSubstr("only 1 hex digits"));
  EXPECT_EQ(warnings_.size(), 2u);
}

TEST_F(HashPrefixForCheckHashTest, StrictModeRefuses) {
  EXPECT_THAT(HashPrefixForCheckHash("weights.pth", MissingHash::kError),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("carries no hash")));
  EXPECT_THAT(HashPrefixForCheckHash("resnet18-5c106cde.pth", MissingHash::kError), IsOk());
  EXPECT_THAT(warnings_, IsEmpty());
}

}  // namespace
}  // namespace hub
