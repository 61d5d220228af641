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

TEST(JsonTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(JsonString("a\xff"
                       "b"),
            "\"a\xef\xbf\xbd"
            "b\"");
  EXPECT_EQ(JsonString("\xc3"), "\"\xef\xbf\xbd\"");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(JsonString("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
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
