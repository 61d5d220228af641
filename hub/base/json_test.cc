#include "hub/base/json.h"

#include "gtest/gtest.h"

namespace hub {
namespace {

TEST(JsonTest, EscapesStrings) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
  EXPECT_EQ(JsonString("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(JsonString(std::string("\0\x1f", 2)), "\"\\u0000\\u001f\"");
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
}

TEST(JsonTest, BytesThatAreNotUtf8AreEscapedReversibly) {
  EXPECT_EQ(JsonString("a\xff"
                       "b"),
            "\"a\\udcffb\"");
  EXPECT_EQ(JsonString("\xc3"), "\"\\udcc3\"");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
  EXPECT_EQ(JsonString("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
  // Valid UTF-8 around them is kept as it is.
  EXPECT_EQ(JsonString("caf\xc3\xa9\xe9"), "\"caf\xc3\xa9\\udce9\"");
}

TEST(JsonTest, BuildsNestedValues) {
  JsonObject inner;
  inner.Add("n", JsonInt(-3)).Add("ok", JsonBool(true));
  JsonObject outer;
  outer.Add("a", JsonStringArray({"x", "y"}))
      .Add("b", JsonNull())
      .Add("c", inner.Build())
      .Add("d", JsonArray({}));
  EXPECT_EQ(outer.Build(),
            "{\"a\":[\"x\",\"y\"],\"b\":null,\"c\":{\"n\":-3,\"ok\":true},\"d\":[]}");
  EXPECT_EQ(JsonObject().Build(), "{}");
}

}  // namespace
}  // namespace hub
