#include "hub/fs/json_record.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/fs/file_lock.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;

TEST(JsonRecordTest, ReadsObjectsOnlyAndTreatsTheRestAsNone) {
  const std::string dir = TestDir();
  EXPECT_EQ(ReadJsonRecord(dir + "/missing"), std::nullopt);
  WriteTestFile(dir + "/bad", "{");
  EXPECT_EQ(ReadJsonRecord(dir + "/bad"), std::nullopt);
  WriteTestFile(dir + "/list", "[1]");
  EXPECT_EQ(ReadJsonRecord(dir + "/list"), std::nullopt);
  WriteTestFile(dir + "/ok", R"({"url":"u"})");
  ASSERT_NE(ReadJsonRecord(dir + "/ok"), std::nullopt);
  EXPECT_EQ(ReadJsonRecord(dir + "/ok")->GetString({"url"}), "u");
}

TEST(JsonRecordTest, AmendsOneMemberKeepingTheOthers) {
  const std::string dir = TestDir();
  const std::string record = dir + "/.w.source";
  WriteTestFile(record, R"({"url":"u","verified":{"old":1},"bytes":3})");
  EXPECT_TRUE(AmendJsonRecord(record, dir + "/w.lock", "verified",
                              JsonValue::Object({{"sha256", JsonValue::String("abc")}}),
                              [] { return true; }));
  EXPECT_EQ(ReadTestFile(record),
            "{\"url\":\"u\",\"bytes\":3,\"verified\":{\"sha256\":\"abc\"}}\n");
  // No record yet: one is made.
  EXPECT_TRUE(AmendJsonRecord(dir + "/.new.source", dir + "/new.lock", "k", JsonValue::Bool(true),
                              [] { return true; }));
  EXPECT_EQ(ReadTestFile(dir + "/.new.source"), "{\"k\":true}\n");
}

TEST(JsonRecordTest, DoesNothingWhileTheWriterHoldsTheLockOrWhenNoLongerValid) {
  const std::string dir = TestDir();
  const std::string record = dir + "/.w.source";
  WriteTestFile(record, R"({"url":"u"})");
  {
    absl::StatusOr<FileLock> writer = FileLock::Acquire(dir + "/w.lock");
    ASSERT_THAT(writer.status(), IsOk());
    EXPECT_FALSE(
        AmendJsonRecord(record, dir + "/w.lock", "k", JsonValue::Bool(true), [] { return true; }));
  }
  EXPECT_FALSE(
      AmendJsonRecord(record, dir + "/w.lock", "k", JsonValue::Bool(true), [] { return false; }));
  EXPECT_EQ(ReadTestFile(record), R"({"url":"u"})");
}

}  // namespace
}  // namespace hub
