#include "hub/checkpoint/safetensors.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/checkpoint/checkpoint.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

std::string Le64(uint64_t n) {
  std::string s(8, '\0');
  for (int k = 0; k < 8; ++k) s[k] = static_cast<char>(n >> (8 * k));
  return s;
}

// A safetensors file: the header (padded to 8 bytes, as writers do) and data.
std::string File(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  return Le64(header.size()) + header + data;
}

TEST(ParseSafetensorsHeaderTest, ReadsAWellFormedHeader) {
  const std::string file = File(
      R"({"__metadata__": {"format": "pt"}, "b": {"dtype": "BF16", "shape": [2, 0], "data_offsets": [8, 8]},
          "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
          "s": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]}})",
      std::string(16, '\1'));
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(file);
  ASSERT_THAT(h, IsOk());
  ASSERT_EQ(h->tensors.size(), 3U);
  EXPECT_EQ(h->tensors[0].name, "b");
  EXPECT_EQ(h->tensors[0].dtype, c10::ScalarType::BFloat16);
  EXPECT_EQ(h->tensors[0].shape, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(h->tensors[1].end, 8U);
  EXPECT_TRUE(h->tensors[2].shape.empty());
  EXPECT_EQ(h->data_start, file.size() - 16);
  ASSERT_EQ(h->metadata.size(), 1U);
  EXPECT_EQ(h->metadata[0].second, "pt");
}

struct BadCase {
  std::string file;
  const char* message;
};

TEST(ParseSafetensorsHeaderTest, HeadersThatLie) {
  const std::string f32 = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
  const BadCase cases[] = {
      {"", "shorter than its 8-byte header length"},
      {Le64(uint64_t{1} << 40) + "{}", "exceeds the limit of 100000000 bytes"},
      {Le64(100) + "{}", "header length 100 but the file has only 2 bytes"},
      {File("{", ""), "header: JSON"},
      {File("[]", ""), "not a JSON object"},
      {File(f32, "1234"), "[0, 8] outside the 4 bytes"},
      {File(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})",
            std::string(8, 'x')),
       "outside"},
      {File(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})",
            std::string(8, 'x')),
       "has 8 bytes but its dtype and shape need 12"},
      {File(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
            std::string(12, 'x')),
       "\"a\" and \"b\" overlap"},
      {File(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
            std::string(16, 'x')),
       "\"a\" appears twice"},
      {File(R"({"a": {"dtype": "F8", "shape": [2], "data_offsets": [0, 2]}})", "xx"),
       "unsupported dtype F8"},
      {File(R"({"a": {"dtype": 3, "shape": [2], "data_offsets": [0, 2]}})", "xx"),
       "unsupported dtype (not a string)"},
      {File(R"({"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 2]}})", "xx"),
       "not a non-negative integer"},
      {File(R"({"a": {"dtype": "U8", "shape": [1.5], "data_offsets": [0, 2]}})", "xx"),
       "not a non-negative integer"},
      {File(
           R"({"a": {"dtype": "U8", "shape": [4503599627370496, 4503599627370496], "data_offsets": [0, 2]}})",
           "xx"),
       "shape too large"},
      {File(R"({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 1e300]}})", "xx"),
       "not a non-negative integer"},
      {File(R"({"a": {"dtype": "U8", "shape": [2]}})", "xx"), "lacks dtype, shape or data_offsets"},
      {File(R"({"a": {"dtype": "U8", "shape": [2], "data_offsets": [0]}})", "xx"),
       "data_offsets is not [begin, end]"},
      {File(R"({"a": 1})", ""), "\"a\" is not an object"},
      {File(R"({"__metadata__": {"k": 1}})", ""), "__metadata__ \"k\" is not a string"},
  };
  for (const BadCase& c : cases) {
    EXPECT_THAT(ParseSafetensorsHeader(c.file),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c.message)))
        << c.file;
  }
}

// A zero dimension makes a tensor empty, but the other dimensions still
// multiply into its strides: their product must fit in int64.
TEST(ParseSafetensorsHeaderTest, EmptyTensorsWithHugeDimensions) {
  const std::string empty_ok =
      File(R"({"a": {"dtype": "F32", "shape": [0, 1099511627776, 4096], "data_offsets": [0, 0]},
               "b": {"dtype": "U8", "shape": [4096, 0], "data_offsets": [0, 0]}})",
           "");
  absl::StatusOr<SafetensorsHeader> h = ParseSafetensorsHeader(empty_ok);
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->tensors[0].shape, (std::vector<int64_t>{0, int64_t{1} << 40, 4096}));
  for (const char* shape :
       {"[0, 1099511627776, 1099511627776]", "[1099511627776, 1099511627776, 0]",
        "[3, 0, 4503599627370496, 4503599627370496]"}) {
    const std::string file = File(
        absl::StrCat(R"({"a": {"dtype": "F32", "shape": )", shape, R"(, "data_offsets": [0, 0]}})"),
        "");
    EXPECT_THAT(ParseSafetensorsHeader(file),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr(absl::StrCat("\"a\" has a shape too large: ", shape))));
  }
}

TEST(LoadSafetensorsTest, EmptyTensorsWithHugeDimensions) {
  const std::string dir = ::hub::testing::TestDir();
  ::hub::testing::WriteTestFile(
      dir + "/huge.safetensors",
      File(
          R"({"t": {"dtype": "F32", "shape": [0, 1099511627776, 1099511627776], "data_offsets": [0, 0]}})",
          ""));
  EXPECT_THAT(
      LoadCheckpoint(dir + "/huge.safetensors"),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("\"t\" has a shape too large: [0, 1099511627776, 1099511627776]")));
  ::hub::testing::WriteTestFile(
      dir + "/empty.safetensors",
      File(R"({"t": {"dtype": "F32", "shape": [0, 1099511627776, 4096], "data_offsets": [0, 0]}})",
           ""));
  absl::StatusOr<Checkpoint> ckpt = LoadCheckpoint(dir + "/empty.safetensors");
  ASSERT_THAT(ckpt, IsOk());
  const at::Tensor& t = ckpt->value.Find("t")->tensor();
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.strides().vec(), (std::vector<int64_t>{int64_t{1} << 52, 4096, 1}));
}

TEST(LoadSafetensorsTest, MisalignedTensorsAreCopied) {
  // A 1-byte tensor first puts the float at an odd address in the mapping.
  std::string data = "\x07";
  const float values[] = {1.5F, -2.0F};
  data.append(reinterpret_cast<const char*>(values), sizeof values);
  const std::string path = ::hub::testing::TestDir() + "/odd.safetensors";
  ::hub::testing::WriteTestFile(path,
                                File(R"({"u": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
                     "f": {"dtype": "F32", "shape": [2, 1], "data_offsets": [1, 9]}})",
                                     data));
  absl::StatusOr<Checkpoint> ckpt = LoadCheckpoint(path);
  ASSERT_THAT(ckpt, IsOk());
  const Value* f = ckpt->value.Find("f");
  ASSERT_NE(f, nullptr);
  const at::Tensor& t = f->tensor();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % alignof(float), 0U);
  EXPECT_EQ(static_cast<const float*>(t.data_ptr())[1], -2.0F);
  EXPECT_EQ(t.strides().vec(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(*static_cast<const uint8_t*>(ckpt->value.Find("u")->tensor().data_ptr()), 7);
}

}  // namespace
}  // namespace hub::checkpoint
