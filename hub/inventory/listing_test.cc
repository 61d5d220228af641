#include "hub/inventory/listing.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

TEST(ListCacheTest, ReposAndCheckpointsOnly) {
  const std::string hub = TestDir("list");
  WriteTestFile(hub + "/o_n_main/hubconf.py", "x");
  WriteTestFile(hub + "/.o_n_main.source", "{\"repo\":\"o/n:main\"}\n");
  WriteTestFile(hub + "/o_p_v1/hubconf.py", "x");  // fetched by Python: no record
  WriteTestFile(hub + "/trusted_list", "");
  WriteTestFile(hub + "/checkpoints/w.pth", "weights");
  WriteTestFile(hub + "/checkpoints/.w.pth.lock", "");
  WriteTestFile(hub + "/checkpoints/w.pth.lock", "");
  WriteTestFile(hub + "/checkpoints/w.pth.0123456789abcdef0123456789abcdef.partial", "w");
  WriteTestFile(hub + "/checkpoints/w.pth.0123456789abcdef.tmp", "w");
  HUB_ASSERT_OK_AND_ASSIGN(const CacheListing listing, ListCache(hub));
  EXPECT_THAT(listing.repos,
              ElementsAre(Field(&CachedRepo::dir, "o_n_main"), Field(&CachedRepo::dir, "o_p_v1")));
  EXPECT_EQ(listing.repos[0].source_json, "{\"repo\":\"o/n:main\"}");
  EXPECT_EQ(listing.repos[1].source_json, "");
  ASSERT_THAT(listing.checkpoints, ElementsAre(Field(&CachedFile::name, "w.pth")));
  EXPECT_EQ(listing.checkpoints[0].bytes, 7);
}

TEST(ListCacheTest, MissingHubDirIsEmpty) {
  HUB_ASSERT_OK_AND_ASSIGN(const CacheListing listing, ListCache(TestDir("none") + "/hub"));
  EXPECT_THAT(listing.repos, IsEmpty());
  EXPECT_THAT(listing.checkpoints, IsEmpty());
}

TEST(VerifyCheckpointsTest, AgainstRecordThenFileName) {
  const std::string hub = TestDir("verify");
  // sha256("weights") starts 9dd3...
  WriteTestFile(hub + "/checkpoints/a-00000000.pth", "weights");
  WriteTestFile(hub + "/checkpoints/plain.pth", "weights");
  HUB_ASSERT_OK_AND_ASSIGN(const std::vector<CheckpointCheck> checks, VerifyCheckpoints(hub));
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "a-00000000.pth");
  EXPECT_EQ(checks[0].verdict, CheckpointCheck::Verdict::kMismatch);
  EXPECT_EQ(checks[0].against, "file name");
  EXPECT_EQ(checks[1].verdict, CheckpointCheck::Verdict::kUnchecked);
  WriteTestFile(hub + "/checkpoints/.plain.pth.source",
                absl::StrCat("{\"sha256\":\"", checks[1].sha256, "\"}\n"));
  HUB_ASSERT_OK_AND_ASSIGN(const std::vector<CheckpointCheck> again, VerifyCheckpoints(hub));
  EXPECT_EQ(again[1].verdict, CheckpointCheck::Verdict::kOk);
  EXPECT_EQ(again[1].against, "record");
}

}  // namespace
}  // namespace hub
