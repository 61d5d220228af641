#include "hub/base/json_reader.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json.h"
#include "hub/base/status_matchers.h"

namespace hub {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::Optional;
using Type = JsonValue::Type;

struct Valid {
  std::string text;
  JsonValue expected;
};

class ValidJsonTest : public ::testing::TestWithParam<Valid> {};

TEST_P(ValidJsonTest, Parses) {
  absl::StatusOr<JsonValue> v = ParseJson(GetParam().text);
  ASSERT_THAT(v, IsOk()) << GetParam().text;
  EXPECT_TRUE(*v == GetParam().expected) << GetParam().text;
}

JsonValue Obj(std::vector<JsonValue::Member> members) {
  return JsonValue::Object(std::move(members));
}
JsonValue Arr(std::vector<JsonValue> elements) { return JsonValue::Array(std::move(elements)); }
JsonValue Str(std::string s) { return JsonValue::String(std::move(s)); }
JsonValue Num(double n) { return JsonValue::Number(n); }

INSTANTIATE_TEST_SUITE_P(
    Documents, ValidJsonTest,
    ::testing::Values(
        Valid{"null", JsonValue::Null()}, Valid{"true", JsonValue::Bool(true)},
        Valid{"false", JsonValue::Bool(false)}, Valid{"0", Num(0)}, Valid{"-0", Num(-0.0)},
        Valid{"42", Num(42)}, Valid{"-17", Num(-17)}, Valid{"3.25", Num(3.25)},
        Valid{"1e3", Num(1000)}, Valid{"1E+3", Num(1000)}, Valid{"-2.5e-2", Num(-0.025)},
        Valid{"1e-400", Num(0)}, Valid{"9007199254740993", Num(9007199254740992.0)},
        Valid{R"("")", Str("")}, Valid{R"("abc")", Str("abc")},
        Valid{R"("a\"b\\c\/d\b\f\n\r\t")", Str("a\"b\\c/d\b\f\n\r\t")},
        Valid{R"("\u0041\u00e9\u20AC")", Str("A\xc3\xa9\xe2\x82\xac")},
        Valid{R"("\ud83d\ude00")", Str("\xf0\x9f\x98\x80")},
        Valid{R"("\u0000")", Str(std::string(1, '\0'))},
        Valid{"\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", Str("caf\xc3\xa9 \xf0\x9f\x98\x80")},
        Valid{"[]", Arr({})}, Valid{"{}", Obj({})},
        Valid{" \t\r\n[ 1 , 2 ]\n ", Arr({Num(1), Num(2)})},
        Valid{R"([null,true,"x",[{}]])",
              Arr({JsonValue::Null(), JsonValue::Bool(true), Str("x"), Arr({Obj({})})})},
        Valid{R"({"a":1,"b":{"c":[]},"a":2})",
              Obj({{"a", Num(1)}, {"b", Obj({{"c", Arr({})}})}, {"a", Num(2)}})},
        Valid{R"( { "k" : "v" } )", Obj({{"k", Str("v")}})}));

struct Invalid {
  std::string text;
  std::string message;
};

class InvalidJsonTest : public ::testing::TestWithParam<Invalid> {};

TEST_P(InvalidJsonTest, IsRefusedWithOffset) {
  EXPECT_THAT(ParseJson(GetParam().text),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message))
      << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Documents, InvalidJsonTest,
    ::testing::Values(
        Invalid{"", "JSON: expected a value at byte 0"},
        Invalid{"   ", "JSON: expected a value at byte 3"},
        Invalid{"nul", "JSON: expected a value at byte 0"},
        Invalid{"True", "JSON: expected a value at byte 0"},
        Invalid{"NaN", "JSON: expected a value at byte 0"},
        Invalid{"Infinity", "JSON: expected a value at byte 0"},
        Invalid{"1 2", "JSON: expected end of input at byte 2"},
        Invalid{"{} {}", "JSON: expected end of input at byte 3"},
        Invalid{"[1,]", "JSON: expected a value at byte 3"},
        Invalid{"[1 2]", "JSON: expected ',' or ']' at byte 3"},
        Invalid{"[1", "JSON: expected ',' or ']' at byte 2"},
        Invalid{R"({"a":1,})", "JSON: expected a string key at byte 7"},
        Invalid{R"({"a" 1})", "JSON: expected ':' at byte 5"},
        Invalid{R"({'a':1})", "JSON: expected a string key at byte 1"},
        Invalid{R"({a:1})", "JSON: expected a string key at byte 1"},
        Invalid{R"({"a":1 "b":2})", "JSON: expected ',' or '}' at byte 7"},
        Invalid{"[1] // c", "JSON: expected end of input at byte 4"},
        Invalid{"/* c */ 1", "JSON: expected a value at byte 0"},
        Invalid{"01", "JSON: expected no leading zero at byte 1"},
        Invalid{"-01", "JSON: expected no leading zero at byte 2"},
        Invalid{"+1", "JSON: expected a value at byte 0"},
        Invalid{".5", "JSON: expected a value at byte 0"},
        Invalid{"1.", "JSON: expected a digit after '.' at byte 2"},
        Invalid{"1.e3", "JSON: expected a digit after '.' at byte 2"},
        Invalid{"1e", "JSON: expected a digit in the exponent at byte 2"},
        Invalid{"1e+", "JSON: expected a digit in the exponent at byte 3"},
        Invalid{"-", "JSON: expected a digit at byte 1"},
        Invalid{"-a", "JSON: expected a digit at byte 1"},
        Invalid{"0x10", "JSON: expected end of input at byte 1"},
        Invalid{"1e400", "JSON: expected a number a double can hold at byte 0"},
        Invalid{"[-1e400]", "JSON: expected a number a double can hold at byte 1"},
        Invalid{R"("abc)", "JSON: expected '\"' to end the string at byte 4"},
        Invalid{"\"a\nb\"", "JSON: expected no raw control character in a string at byte 2"},
        Invalid{"\"a\tb\"", "JSON: expected no raw control character in a string at byte 2"},
        Invalid{std::string("\"a\0b\"", 5),
                "JSON: expected no raw control character in a string at byte 2"},
        Invalid{R"("\x41")", "JSON: expected a valid escape at byte 1"},
        Invalid{R"("\')", "JSON: expected a valid escape at byte 1"},
        Invalid{R"("\)", "JSON: expected an escape at byte 2"},
        Invalid{R"("\u12")", "JSON: expected a hex digit at byte 5"},
        Invalid{R"("\u12)", "JSON: expected a hex digit at byte 5"},
        Invalid{R"("\ud83d")", "JSON: expected a low surrogate after a high one at byte 7"},
        Invalid{R"("\ud83dx")", "JSON: expected a low surrogate after a high one at byte 7"},
        Invalid{R"("\ud83d\u0041")", "JSON: expected a low surrogate after a high one at byte 7"},
        Invalid{R"("\ude00")", "JSON: expected no lone low surrogate at byte 1"},
        Invalid{"\"\xff\"", "JSON: expected valid UTF-8 at byte 1"},
        Invalid{"\"\xc3\"", "JSON: expected valid UTF-8 at byte 1"},
        Invalid{"\"\xc0\xaf\"", "JSON: expected valid UTF-8 at byte 1"},          // overlong
        Invalid{"\"\xed\xa0\x80\"", "JSON: expected valid UTF-8 at byte 1"},      // surrogate
        Invalid{"\"\xf4\x90\x80\x80\"", "JSON: expected valid UTF-8 at byte 1"},  // > U+10FFFF
        Invalid{"[1,\xef\xbb\xbf 2]", "JSON: expected a value at byte 3"},
        Invalid{"\xef\xbb\xbf{}", "JSON: expected a value at byte 0"}));

TEST(ParseJsonTest, ErrorMessageForMissingCommaInBranchList) {
  EXPECT_THAT(ParseJson(R"([{"name":"a"} {"name":"b"}])"),
              StatusIs(absl::StatusCode::kInvalidArgument, "JSON: expected ',' or ']' at byte 14"));
}

TEST(ParseJsonTest, GitHubBranchesPage) {
  const std::string page = R"([
  {
    "name": "main",
    "commit": {
      "sha": "0123456789abcdef0123456789abcdef01234567",
      "url": "https://api.github.com/repos/pytorch/vision/commits/0123456789abcdef0123456789abcdef01234567"
    },
    "protected": true
  },
  {
    "name": "release/0.10",
    "commit": {
      "sha": "fedcba9876543210fedcba9876543210fedcba98",
      "url": "https://api.github.com/repos/pytorch/vision/commits/fedcba9876543210fedcba9876543210fedcba98"
    },
    "protected": false
  }
]
)";
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(page));
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.array().size(), 2u);
  const JsonValue& main = v.array()[0];
  EXPECT_THAT(main.GetString({"name"}), Optional(std::string("main")));
  EXPECT_THAT(main.GetString({"commit", "sha"}),
              Optional(std::string("0123456789abcdef0123456789abcdef01234567")));
  EXPECT_THAT(main.GetBool({"protected"}), Optional(true));
  const JsonValue& release = v.array()[1];
  EXPECT_THAT(release.GetString({"name"}), Optional(std::string("release/0.10")));
  EXPECT_THAT(release.GetBool({"protected"}), Optional(false));
  std::vector<std::string> keys;
  for (const auto& [key, value] : release.members()) keys.push_back(key);
  EXPECT_THAT(keys, ElementsAre("name", "commit", "protected"));
}

std::string Nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += (i % 2 == 0) ? "[" : R"({"k":)";
  s += "0";
  for (int i = depth - 1; i >= 0; --i) s += (i % 2 == 0) ? "]" : "}";
  return s;
}

TEST(ParseJsonTest, NestingUpToTheLimitParses) {
  EXPECT_THAT(ParseJson(Nested(kMaxJsonDepth)), IsOk());
  EXPECT_THAT(ParseJson(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')), IsOk());
}

TEST(ParseJsonTest, NestingPastTheLimitIsAnError) {
  EXPECT_THAT(ParseJson(Nested(kMaxJsonDepth + 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nesting at most 64 deep")));
  EXPECT_THAT(ParseJson(std::string(kMaxJsonDepth + 1, '[')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "JSON: expected nesting at most 64 deep at byte 64"));
  // Far too deep does not recurse far.
  EXPECT_THAT(ParseJson(std::string(1000000, '[')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nesting")));
  EXPECT_THAT(ParseJson(std::string(1000000, '{')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a string key at byte 1")));
}

TEST(ParseJsonTest, RoundTripsTheWritersStrings) {
  const std::vector<std::string> strings = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      "\b\f\n\r\t",
      std::string("nul\0byte", 8),
      "\x01\x1f\x7f",
      "caf\xc3\xa9",
      "\xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
      "/home/user/.cache/torch/hub/pytorch_vision_main",
      // Paths are bytes: ones that are not UTF-8 come back as they were.
      "/hub/caf\xe9/\xff\xfe \xc3 \xed\xa0\x80",
  };
  for (const std::string& s : strings) {
    HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(JsonString(s)));
    EXPECT_THAT(v.string_value(), s);
  }
  JsonObject o;
  for (size_t i = 0; i < strings.size(); ++i) o.Add(strings[i], JsonInt(static_cast<int64_t>(i)));
  o.Add("list", JsonStringArray(strings));
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(o.Build()));
  ASSERT_EQ(v.members().size(), strings.size() + 1);
  for (size_t i = 0; i < strings.size(); ++i) {
    EXPECT_EQ(v.members()[i].first, strings[i]);
    EXPECT_EQ(v.members()[i].second.number_value(), static_cast<double>(i));
  }
  const JsonValue* list = v.Find("list");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->array().size(), strings.size());
  for (size_t i = 0; i < strings.size(); ++i)
    EXPECT_EQ(list->array()[i].string_value(), strings[i]);
}

TEST(ParseJsonTest, SurrogateEscapesForBytesParseAsThoseBytes) {
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"("a\udcff\udc80b")"));
  EXPECT_EQ(v.string_value(),
            "a\xff\x80"
            "b");
  // Below \udc80 is not an escaped byte: a lone low surrogate still is an error.
  EXPECT_THAT(ParseJson(R"("\udc7f")"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no lone low surrogate")));
}

TEST(ParseJsonTest, Numbers) {
  struct Case {
    const char* text;
    double value;
  };
  for (const Case& c : std::vector<Case>{{"0", 0},
                                         {"7", 7},
                                         {"-7", -7},
                                         {"123456789", 123456789},
                                         {"0.5", 0.5},
                                         {"-0.125", -0.125},
                                         {"1e2", 100},
                                         {"1e-2", 0.01},
                                         {"2E2", 200},
                                         {"1.5e+1", 15},
                                         {"9007199254740991", 9007199254740991.0},
                                         {"1.7976931348623157e308", 1.7976931348623157e308}}) {
    HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(c.text));
    EXPECT_TRUE(v.is_number()) << c.text;
    EXPECT_THAT(v.number_value(), DoubleEq(c.value)) << c.text;
  }
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue negative_zero, ParseJson("-0"));
  EXPECT_TRUE(std::signbit(negative_zero.number_value()));
  for (const char* bad : {"00", "01", "-00", "012.5", "1.2.3", "--1", "1e1.5", "1ee1", "- 1"}) {
    EXPECT_THAT(ParseJson(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(JsonValueTest, AccessorsOfTheWrongTypeGiveDefaults) {
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"("text")"));
  EXPECT_EQ(v.type(), Type::kString);
  EXPECT_TRUE(v.is_string());
  EXPECT_FALSE(v.is_null() || v.is_bool() || v.is_number() || v.is_array() || v.is_object());
  EXPECT_FALSE(v.bool_value());
  EXPECT_EQ(v.number_value(), 0);
  EXPECT_TRUE(v.array().empty());
  EXPECT_TRUE(v.members().empty());
  EXPECT_THAT(v.Find("x"), IsNull());

  HUB_ASSERT_OK_AND_ASSIGN(JsonValue n, ParseJson("12"));
  EXPECT_EQ(n.type(), Type::kNumber);
  EXPECT_EQ(n.string_value(), "");
  EXPECT_FALSE(n.bool_value());

  HUB_ASSERT_OK_AND_ASSIGN(JsonValue t, ParseJson("true"));
  EXPECT_EQ(t.type(), Type::kBool);
  EXPECT_TRUE(t.bool_value());
  EXPECT_EQ(t.number_value(), 0);

  EXPECT_EQ(JsonValue().type(), Type::kNull);
}

TEST(JsonValueTest, FindAndGetString) {
  HUB_ASSERT_OK_AND_ASSIGN(
      JsonValue v,
      ParseJson(R"({"a":"first","n":1,"o":{"s":"deep","x":null},"l":["s"],"a":"last"})"));
  ASSERT_NE(v.Find("a"), nullptr);
  EXPECT_EQ(v.Find("a")->string_value(), "last");  // duplicates: the last wins
  EXPECT_EQ(v.members().size(), 5u);               // but all are kept in order
  EXPECT_EQ(v.members()[0].second.string_value(), "first");
  EXPECT_THAT(v.Find("missing"), IsNull());
  EXPECT_THAT(v.Find(""), IsNull());

  EXPECT_THAT(v.GetString({"a"}), Optional(std::string("last")));
  EXPECT_THAT(v.GetString({"o", "s"}), Optional(std::string("deep")));
  EXPECT_EQ(v.GetString({"n"}), std::nullopt);             // not a string
  EXPECT_EQ(v.GetString({"o"}), std::nullopt);             // an object
  EXPECT_EQ(v.GetString({"o", "x"}), std::nullopt);        // null
  EXPECT_EQ(v.GetString({"o", "missing"}), std::nullopt);  // absent
  EXPECT_EQ(v.GetString({"a", "b"}), std::nullopt);        // through a string
  EXPECT_EQ(v.GetString({"l", "0"}), std::nullopt);        // arrays are not indexed by key
  EXPECT_EQ(v.GetString({}), std::nullopt);                // the object itself
  EXPECT_EQ(v.GetBool({"n"}), std::nullopt);

  HUB_ASSERT_OK_AND_ASSIGN(JsonValue s, ParseJson(R"("x")"));
  EXPECT_THAT(s.GetString({}), Optional(std::string("x")));
  EXPECT_EQ(s.GetString({"x"}), std::nullopt);

  EXPECT_EQ(v.FindPath({}), &v);
  ASSERT_NE(v.FindPath({"o", "x"}), nullptr);
  EXPECT_TRUE(v.FindPath({"o", "x"})->is_null());
}

TEST(JsonValueTest, KeysWithEscapesAreDecodedBeforeLookup) {
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(R"({"a\u0062":"v","\"q\"":"w"})"));
  EXPECT_THAT(v.GetString({"ab"}), Optional(std::string("v")));
  EXPECT_THAT(v.GetString({"\"q\""}), Optional(std::string("w")));
}

TEST(JsonValueTest, Equality) {
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue a, ParseJson(R"({"x":[1,"2",null]})"));
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue b, ParseJson(R"( { "x" : [ 1.0 , "2" , null ] } )"));
  HUB_ASSERT_OK_AND_ASSIGN(JsonValue c, ParseJson(R"({"x":[1,"2",false]})"));
  EXPECT_TRUE(a == b);
  EXPECT_TRUE(a != c);
  EXPECT_TRUE(JsonValue::Number(0) != JsonValue::Bool(false));
  EXPECT_TRUE(JsonValue::String("") != JsonValue::Null());
}

TEST(RenderJsonTest, ReadsBackEqual) {
  for (const char* text :
       {R"({"a":1,"b":[true,false,null],"c":"x\ny","d":{"e":-2.5,"f":[]},"g":{}})",
        R"([9007199254740992,1e+300,0.10000000000000001,-0])", R"("\u00e9")"}) {
    absl::StatusOr<JsonValue> v = ParseJson(text);
    ASSERT_TRUE(v.ok()) << v.status();
    absl::StatusOr<JsonValue> back = ParseJson(RenderJson(*v));
    ASSERT_TRUE(back.ok()) << back.status() << " " << RenderJson(*v);
    EXPECT_EQ(*back, *v) << RenderJson(*v);
  }
  EXPECT_EQ(RenderJson(*ParseJson(R"({"a" : [1, 2.5] })")), R"({"a":[1,2.5]})");
}

}  // namespace
}  // namespace hub
