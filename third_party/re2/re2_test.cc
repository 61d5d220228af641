// Proves Debian's RE2 links and runs.
#include <string>

#include "gtest/gtest.h"
#include "re2/re2.h"

namespace {

TEST(Re2Test, PartialMatchExtractsGroup) {
  // torch.hub's HASH_REGEX on its own example.
  static const RE2 kHash(R"(-([a-f0-9]*)\.)");
  std::string hash;
  ASSERT_TRUE(RE2::PartialMatch("resnet18-5c106cde.pth", kHash, &hash));
  EXPECT_EQ(hash, "5c106cde");
  EXPECT_FALSE(RE2::PartialMatch("weights.pth", kHash));
}

}  // namespace
