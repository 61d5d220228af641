#include "hub/fs/dir.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::IsOkAndHolds;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ListDirectoryTest, SortedWithoutDots) {
  const std::string dir = TestDir("sorted");
  for (const char* name : {"b", "a", ".hidden", "C"}) WriteTestFile(dir + "/" + name, "");
  EXPECT_THAT(ListDirectory(dir), IsOkAndHolds(ElementsAre(".hidden", "C", "a", "b")));
  ListOptions options;
  options.skip_hidden = true;
  options.quiet = true;
  EXPECT_THAT(ListDirectory(dir, options), IsOkAndHolds(ElementsAre("C", "a", "b")));
}

TEST(ListDirectoryTest, EmptyDirectory) {
  EXPECT_THAT(ListDirectory(TestDir("empty")), IsOkAndHolds(IsEmpty()));
}

TEST(ListDirectoryTest, MissingOrNotADirectoryIsAnErrorNamingIt) {
  const std::string dir = TestDir("errors");
  EXPECT_THAT(ListDirectory(dir + "/none"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir + "/none")));
  WriteTestFile(dir + "/file", "x");
  EXPECT_THAT(ListDirectory(dir + "/file"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace hub
