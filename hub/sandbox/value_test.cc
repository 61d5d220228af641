#include "hub/sandbox/value.h"

#include <cstdint>
#include <string>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub::sandbox {
namespace {

using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ValueTest, PlainDataRoundTrips) {
  const HubValue v(HubValue::Dict{
      {"labels", HubValue(HubValue::List{HubValue("cat"), HubValue(std::string("a\0b", 3))})},
      {"n", HubValue(int64_t{-7})},
      {"p", HubValue(0.25)},
      {"ok", HubValue(true)},
      {"none", HubValue()}});
  const absl::StatusOr<std::string> bytes = EncodeValue(v);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const absl::StatusOr<HubValue> back = ParseValue(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->DebugString(), v.DebugString());
}

TEST(ValueTest, ArgumentsRoundTrip) {
  HubArgs args;
  args.args = {HubValue(int64_t{3})};
  args.kwargs = {{"weights", HubValue("DEFAULT")}};
  const absl::StatusOr<std::string> bytes = EncodeArgs(args);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const absl::StatusOr<HubArgs> back = ParseArgs(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->args.size(), 1u);
  EXPECT_EQ(back->args[0].DebugString(), "3");
  ASSERT_EQ(back->kwargs.size(), 1u);
  EXPECT_EQ(back->kwargs[0].first, "weights");
}

TEST(ValueTest, ATensorHasNoPlainForm) {
  EXPECT_THAT(EncodeValue(HubValue(HubValue::List{HubValue(at::zeros({2}))})),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cannot cross")));
}

TEST(ValueTest, MalformedBytesAreDataLoss) {
  for (const std::string& bad : {
           std::string(""),                        // nothing
           std::string("X"),                       // unknown tag
           std::string("I\0\0", 3),                // short number
           std::string("S\0\0\0\5ab", 7),          // string past the end
           std::string("L\xff\xff\xff\xff", 5),    // count past the end
           std::string("M\0\0\0\1\0\0\0\1k", 10),  // dict value missing
           std::string("NN"),                      // left over
       }) {
    EXPECT_THAT(ParseValue(bad), StatusIs(absl::StatusCode::kDataLoss)) << bad.size();
  }
  EXPECT_THAT(ParseValue(std::string(100, 'L')), StatusIs(absl::StatusCode::kDataLoss));
  // Deep nesting is refused, not a stack overflow.
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += std::string("L\0\0\0\1", 5);
  deep += "N";
  EXPECT_THAT(ParseValue(deep), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("deep")));
}

}  // namespace
}  // namespace hub::sandbox
