// Proves Debian's Abseil links and runs: status, strings, containers, sync.
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError(absl::StrCat(n, " is odd"));
  return n / 2;
}

TEST(AbslTest, StatusOrCarriesValueOrError) {
  ASSERT_TRUE(Half(4).ok());
  EXPECT_EQ(*Half(4), 2);
  EXPECT_EQ(Half(3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Half(3).status().message(), "3 is odd");
}

TEST(AbslTest, StringsAndContainers) {
  absl::flat_hash_map<std::string, int> counts;
  for (absl::string_view word : absl::StrSplit("a/b/a", '/')) {
    ++counts[std::string(word)];
  }
  EXPECT_EQ(counts["a"], 2);
  EXPECT_EQ(counts["b"], 1);
}

TEST(AbslTest, MutexAndClock) {
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  EXPECT_GT(absl::ToUnixSeconds(absl::Now()), 1600000000);
}

}  // namespace
