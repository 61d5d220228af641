#include "hub/base/units.h"

#include <cstdint>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseAgeTest, AcceptsDaysWeeksAndAbseilForms) {
  EXPECT_EQ(*ParseAge("30d"), absl::Hours(24 * 30));
  EXPECT_EQ(*ParseAge("1w"), absl::Hours(24 * 7));
  EXPECT_EQ(*ParseAge("1.5d"), absl::Hours(36));
  EXPECT_EQ(*ParseAge("12h"), absl::Hours(12));
  EXPECT_EQ(*ParseAge("90m"), absl::Minutes(90));
  EXPECT_EQ(*ParseAge("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseAge("0s"), absl::ZeroDuration());
  for (const char* bad : {"", "30", "0", "abc", "-1d", "-5h", "inf", "d", "3x", "1dd"}) {
    EXPECT_THAT(ParseAge(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("age")))
        << bad;
  }
}

TEST(ParseByteSizeTest, AcceptsBytesAndUnits) {
  EXPECT_EQ(*ParseByteSize("0"), 0);
  EXPECT_EQ(*ParseByteSize("1234"), 1234);
  EXPECT_EQ(*ParseByteSize("12B"), 12);
  EXPECT_EQ(*ParseByteSize("500M"), int64_t{500} << 20);
  EXPECT_EQ(*ParseByteSize("10G"), int64_t{10} << 30);
  EXPECT_EQ(*ParseByteSize("10g"), int64_t{10} << 30);
  EXPECT_EQ(*ParseByteSize("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("2KiB"), 2048);
  EXPECT_EQ(*ParseByteSize("500MB"), 500000000);
  EXPECT_EQ(*ParseByteSize("1T"), int64_t{1} << 40);
  for (const char* bad : {"", "M", "-1", "10Q", "1e3", "10 GiBs", "1.2.3G", "99999999P"}) {
    EXPECT_THAT(ParseByteSize(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(FormatBytesTest, BinaryUnitsInThreeDigits) {
  EXPECT_EQ(FormatBytes(0), "0B");
  EXPECT_EQ(FormatBytes(999), "999B");
  EXPECT_EQ(FormatBytes(1000), "0.98KiB");
  EXPECT_EQ(FormatBytes(1536), "1.50KiB");
  EXPECT_EQ(FormatBytes(-1), "?B");
  EXPECT_EQ(FormatBinaryScaled(10.5 * 1024 * 1024, "B/s"), "10.5MiB/s");
}

}  // namespace
}  // namespace hub
