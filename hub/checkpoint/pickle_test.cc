#include "hub/checkpoint/pickle.h"

#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/CPUAllocator.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

std::string B(const char* s, size_t n) { return std::string(s, n); }
#define BYTES(literal) B(literal, sizeof(literal) - 1)

absl::StatusOr<Value> Load(const std::string& pickle, const UnpickleOptions& options = {}) {
  absl::StatusOr<UnpickleResult> r = Unpickle(pickle, nullptr, options);
  if (!r.ok()) return r.status();
  return std::move(r->value);
}

TEST(UnpickleTest, Scalars) {
  EXPECT_EQ(Load(BYTES("\x80\x02K\x05."))->int_value(), 5);
  EXPECT_EQ(Load(BYTES("J\xff\xff\xff\xff."))->int_value(), -1);
  EXPECT_EQ(Load(BYTES("M\x00\x01."))->int_value(), 256);
  EXPECT_EQ(Load(BYTES("\x8a\x00."))->int_value(), 0);
  EXPECT_EQ(Load(BYTES("\x8a\x01\xff."))->int_value(), -1);
  EXPECT_EQ(Load(BYTES("\x8a\x02\xff\x7f."))->int_value(), 32767);
  EXPECT_EQ(Load(BYTES("\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80."))->int_value(), INT64_MIN);
  EXPECT_EQ(Load(BYTES("\x8b\x01\x00\x00\x00\x07."))->int_value(), 7);
  EXPECT_EQ(Load(BYTES("G\x3f\xf8\x00\x00\x00\x00\x00\x00."))->double_value(), 1.5);
  EXPECT_EQ(Load(BYTES("X\x03\x00\x00\x00"
                       "abc."))
                ->string_value(),
            "abc");
  EXPECT_EQ(Load(BYTES("\x8c\x02hi."))->string_value(), "hi");
  EXPECT_EQ(Load(BYTES("\x8d\x01\x00\x00\x00\x00\x00\x00\x00z."))->string_value(), "z");
  EXPECT_EQ(Load(BYTES("U\x02py."))->string_value(), "py");
  absl::StatusOr<Value> bytes = Load(BYTES("C\x02\x00\x01."));
  ASSERT_THAT(bytes, IsOk());
  EXPECT_TRUE(bytes->is_bytes());
  EXPECT_EQ(bytes->string_value(), BYTES("\x00\x01"));
  EXPECT_TRUE(Load(BYTES("N."))->is_none());
  EXPECT_TRUE(Load(BYTES("\x88."))->bool_value());
  EXPECT_TRUE(Load(BYTES("\x89."))->is_bool());
  // Protocol 0 text forms.
  EXPECT_TRUE(Load(BYTES("I01\n."))->bool_value());
  EXPECT_EQ(Load(BYTES("I42\n."))->int_value(), 42);
  EXPECT_EQ(Load(BYTES("L5L\n."))->int_value(), 5);
  EXPECT_EQ(Load(BYTES("F1.5\n."))->double_value(), 1.5);
  // Protocol 2's bytes: _codecs.encode(str, 'latin1').
  absl::StatusOr<Value> latin1 =
      Load(BYTES("c_codecs\nencode\nX\x03\x00\x00\x00\xc3\xbf"
                 "aX\x06\x00\x00\x00latin1\x86R."));
  ASSERT_THAT(latin1, IsOk());
  EXPECT_EQ(latin1->string_value(), BYTES("\xff"
                                          "a"));
}

TEST(UnpickleTest, Containers) {
  absl::StatusOr<Value> tuple = Load(BYTES("(K\x01K\x02K\x03K\x04t."));
  ASSERT_THAT(tuple, IsOk());
  ASSERT_TRUE(tuple->is_tuple());
  EXPECT_EQ(tuple->items().size(), 4U);
  absl::StatusOr<Value> list =
      Load(BYTES("]q\x00(K\x01K\x02"
                 "eK\x03"
                 "a."));
  ASSERT_THAT(list, IsOk());
  ASSERT_TRUE(list->is_list());
  EXPECT_EQ(list->items().size(), 3U);
  EXPECT_EQ(list->items()[2].int_value(), 3);
  // A later SETITEM of the same key replaces the value and keeps the order.
  absl::StatusOr<Value> dict =
      Load(BYTES("}(X\x01\x00\x00\x00"
                 "aK\x01X\x01\x00\x00\x00"
                 "bK\x02X\x01\x00\x00\x00"
                 "aK\x03u."));
  ASSERT_THAT(dict, IsOk());
  ASSERT_EQ(dict->entries().size(), 2U);
  EXPECT_EQ(dict->entries()[0].first.string_value(), "a");
  EXPECT_EQ(dict->entries()[0].second.int_value(), 3);
  EXPECT_EQ(dict->Find("b")->int_value(), 2);
  // A memoized list mutated after it was shared: both references see it.
  absl::StatusOr<Value> shared =
      Load(BYTES("]q\x00h\x00\x86q\x01h\x00K\x07"
                 "a0."));
  ASSERT_THAT(shared, IsOk());
  ASSERT_EQ(shared->items().size(), 2U);
  EXPECT_EQ(shared->items()[0].items().size(), 1U);
  EXPECT_EQ(shared->items()[1].items().size(), 1U);
  // Protocol 4: FRAME, MEMOIZE.
  EXPECT_EQ(Load(BYTES("\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x07\x94."))->int_value(), 7);
  // Bytes after STOP are not read.
  absl::StatusOr<UnpickleResult> r = Unpickle(BYTES("K\x01.garbage"), nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->bytes_read, 3U);
}

struct BadCase {
  std::string pickle;
  absl::StatusCode code;
  const char* message;
};

TEST(UnpickleTest, MalformedPicklesAreClearErrors) {
  const BadCase cases[] = {
      {"", absl::StatusCode::kDataLoss, "ends before its STOP"},
      {BYTES("\xff."), absl::StatusCode::kDataLoss, "unknown opcode 0xff"},
      {BYTES("a."), absl::StatusCode::kDataLoss, "stack underflow"},
      {BYTES("0."), absl::StatusCode::kDataLoss, "stack underflow"},
      {BYTES("K\x01(\x85."), absl::StatusCode::kDataLoss, "stack underflow"},
      {BYTES("(K\x01\x85."), absl::StatusCode::kDataLoss, "unclosed MARK"},
      {BYTES("h\x05."), absl::StatusCode::kDataLoss, "memo entry 5 is not defined"},
      {BYTES("j\xff\xff\xff\xff."), absl::StatusCode::kDataLoss, "memo entry 4294967295"},
      {BYTES("K\x01K\x02."), absl::StatusCode::kDataLoss, "STOP with 2 objects"},
      {BYTES("(."), absl::StatusCode::kDataLoss, "unclosed MARK"},
      {BYTES("K\x01K\x02"
             "0"
             "0."),
       absl::StatusCode::kDataLoss, "STOP with 0 objects"},
      {BYTES("X\xff\xff\xff\xff"), absl::StatusCode::kDataLoss, "needs 4294967295 more bytes"},
      {BYTES("\x8d\xff\xff\xff\xff\xff\xff\xff\x7f"), absl::StatusCode::kDataLoss, "more bytes"},
      {BYTES("\x8e\xff\xff\xff\xff\xff\xff\xff\xff"), absl::StatusCode::kDataLoss, "more bytes"},
      {BYTES("J\x01\x00"), absl::StatusCode::kDataLoss, "truncated"},
      {BYTES("\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01."), absl::StatusCode::kDataLoss,
       "does not fit in 64 bits"},
      {BYTES("\x80\x06."), absl::StatusCode::kDataLoss, "unsupported pickle protocol 6"},
      {BYTES("}(K\x01u."), absl::StatusCode::kDataLoss, "odd number"},
      {BYTES("K\x00K\x01K\x02s."), absl::StatusCode::kDataLoss, "SETITEM on a int"},
      {BYTES("K\x00K\x01"
             "a."),
       absl::StatusCode::kDataLoss, "APPEND on a int"},
      {BYTES("}]K\x01s."), absl::StatusCode::kDataLoss, "a dict key is a list"},
      {BYTES("K\x01K\x02"
             "b."),
       absl::StatusCode::kDataLoss, "BUILD on a int"},
      {BYTES("K\x01)R."), absl::StatusCode::kDataLoss, "REDUCE calls a int"},
      {BYTES("ccollections\nOrderedDict\nK\x01R."), absl::StatusCode::kDataLoss,
       "arguments are a int"},
      {BYTES("ccollections\nOrderedDict\n."), absl::StatusCode::kDataLoss,
       "reference to collections.OrderedDict, which is not data"},
      {BYTES("ctorch\nFloatStorage\n)R."), absl::StatusCode::kDataLoss,
       "calling torch.FloatStorage is not supported"},
      {BYTES("P1\n."), absl::StatusCode::kDataLoss, "PERSID"},
      // _rebuild_from_type_v2 rebuilding through itself.
      {BYTES("ctorch._tensor\n_rebuild_from_type_v2\nq\x00(h\x00"
             "ctorch\nTensor\n)NtR."),
       absl::StatusCode::kDataLoss, "only supported for torch.Tensor and Parameter"},
      {BYTES("N\x85Q."), absl::StatusCode::kDataLoss, "not a ('storage', ...) tuple"},
      {BYTES("K\x01Q."), absl::StatusCode::kDataLoss, "persistent id is not a tuple"},
      {BYTES("(i__main__\nNet\n."), absl::StatusCode::kDataLoss, "not supported"},
      {BYTES("S'a'\n."), absl::StatusCode::kDataLoss, "not supported"},
      {BYTES("c_codecs\nencode\nX\x03\x00\x00\x00\xe2\x82\xacX\x06\x00\x00\x00latin1\x86R."),
       absl::StatusCode::kDataLoss, "beyond Latin-1"},
      {BYTES("cposix\nsystem\n."), absl::StatusCode::kInvalidArgument,
       "forbidden global \"posix.system\""},
      {BYTES("c__builtin__\neval\n."), absl::StatusCode::kInvalidArgument,
       "forbidden global \"__builtin__.eval\""},
      {BYTES("\x8c\x02os\x8c\x06system\x93."), absl::StatusCode::kInvalidArgument,
       "forbidden global \"os.system\""},
      {BYTES("ctorch._utils\n_rebuild_qtensor\n."), absl::StatusCode::kInvalidArgument,
       "forbidden global \"torch._utils._rebuild_qtensor\""},
      {BYTES("ctorch\nload\n."), absl::StatusCode::kInvalidArgument,
       "forbidden global \"torch.load\""},
  };
  for (const BadCase& c : cases) {
    EXPECT_THAT(Load(c.pickle), StatusIs(c.code, HasSubstr(c.message)))
        << absl::CHexEscape(c.pickle);
  }
}

TEST(UnpickleTest, SharedReferencesCannotExplode) {
  // Level i is [level i-1, level i-1]: 2^41 nodes if expanded.
  std::string p = BYTES(
      "](K\x00K\x00"
      "eq\x00"
      "0");
  for (int i = 1; i <= 40; ++i) {
    absl::StrAppend(&p, "](h", std::string(1, static_cast<char>(i - 1)), "h",
                    std::string(1, static_cast<char>(i - 1)), "eq",
                    std::string(1, static_cast<char>(i)), "0");
  }
  absl::StrAppend(&p, "h", std::string(1, static_cast<char>(40)), ".");
  // The work budget scales with the pickle's size (pickle_growth_test has
  // more of these).
  EXPECT_THAT(Load(p), StatusIs(absl::StatusCode::kResourceExhausted,
                                HasSubstr("does too much work for its size")));
  EXPECT_THAT(Load(p, {.max_values = 1000}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("more than 1000 values")));
}

TEST(UnpickleTest, DeepAndCyclicContainersAreRefused) {
  const std::string deep = std::string(100000, ']') + std::string(99999, 'a') + ".";
  EXPECT_THAT(Load(deep), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("deeper than 200")));
  const std::string ok_depth = std::string(50, ']') + std::string(49, 'a') + ".";
  EXPECT_THAT(Load(ok_depth), IsOk());
  // A list that contains itself.
  EXPECT_THAT(Load(BYTES("]q\x00h\x00"
                         "a.")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("refer to themselves")));
}

class OneStorage : public StorageLoader {
 public:
  explicit OneStorage(int64_t numel) : numel_(numel) {}
  absl::StatusOr<StorageRef> Load(const StorageRequest& r) override {
    requests_.push_back(r);
    StorageRef ref;
    ref.storage = at::Storage(c10::Storage::use_byte_size_t(),
                              numel_ * static_cast<int64_t>(c10::elementSize(r.dtype)),
                              c10::GetCPUAllocator(), false);
    ref.dtype = r.dtype;
    ref.numel = numel_;
    return ref;
  }
  std::vector<StorageRequest> requests_;

 private:
  int64_t numel_;
};

TEST(UnpickleTest, PersistentIdsReachTheLoader) {
  // _rebuild_tensor_v2(pid('storage', torch.HalfStorage, 'k', 'cuda:0', 6), 1, (2, 2), (2, 1))
  const std::string p = BYTES(
      "ctorch._utils\n_rebuild_tensor_v2\n"
      "((X\x07\x00\x00\x00storagectorch\nHalfStorage\nX\x01\x00\x00\x00kX\x06\x00\x00\x00"
      "cuda:0K\x06tQ"
      "K\x01K\x02K\x02\x86K\x02K\x01\x86\x89"
      "ccollections\nOrderedDict\n)RtR.");
  OneStorage storages(6);
  absl::StatusOr<UnpickleResult> r = Unpickle(p, &storages);
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(storages.requests_.size(), 1U);
  EXPECT_EQ(storages.requests_[0].key, "k");
  EXPECT_EQ(storages.requests_[0].location, "cuda:0");
  EXPECT_EQ(storages.requests_[0].numel, 6);
  EXPECT_EQ(storages.requests_[0].dtype, c10::ScalarType::Half);
  ASSERT_TRUE(r->value.is_tensor());
  const at::Tensor& t = r->value.tensor();
  EXPECT_EQ(t.scalar_type(), c10::ScalarType::Half);
  EXPECT_EQ(t.sizes().vec(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t.storage_offset(), 1);
  EXPECT_TRUE(t.device().is_cpu());
  // The same with a storage too small for the view.
  OneStorage small(4);
  EXPECT_THAT(Unpickle(p, &small),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("reaches past the end")));
  // And without a loader.
  EXPECT_THAT(Unpickle(p, nullptr),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("persistent id")));
}

TEST(MakeTensorViewTest, ChecksTheViewAgainstTheStorage) {
  StorageRef s;
  s.storage = at::Storage(c10::Storage::use_byte_size_t(), 40, c10::GetCPUAllocator(), false);
  s.dtype = c10::ScalarType::Float;
  s.numel = 10;
  EXPECT_THAT(MakeTensorView(s, 9, {}, {}), IsOk());  // 0-dim, last element
  EXPECT_THAT(MakeTensorView(s, 10, {}, {}), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(MakeTensorView(s, 10, {0}, {1}), IsOk());  // empty, at the end
  EXPECT_THAT(MakeTensorView(s, 11, {0}, {1}), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(MakeTensorView(s, 0, {5, 2}, {2, 1}), IsOk());
  EXPECT_THAT(MakeTensorView(s, 1, {5, 2}, {2, 1}), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(MakeTensorView(s, 0, {3, 4}, {0, 0}), IsOk());  // expanded
  EXPECT_THAT(MakeTensorView(s, 0, {INT64_MAX, 2}, {1, 1}), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(MakeTensorView(s, 0, {2, 2}, {INT64_MAX, 1}), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(MakeTensorView(s, 0, std::vector<int64_t>(65, 1), std::vector<int64_t>(65, 1)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("65 dimensions")));
  // A zero size empties a tensor, but the other sizes must not multiply
  // past int64 (PyTorch's numel and contiguous strides still compute them).
  constexpr int64_t k40 = int64_t{1} << 40;
  EXPECT_THAT(MakeTensorView(s, 0, {0, k40, 4096}, {0, 0, 0}), IsOk());
  EXPECT_THAT(MakeTensorView(s, 10, {k40, 0}, {1, 1}), IsOk());
  EXPECT_THAT(MakeTensorView(s, 0, {0, k40, k40}, {0, 0, 0}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("shape [0, 1099511627776, 1099511627776] and strides [0, 0, 0]")));
  EXPECT_THAT(MakeTensorView(s, 0, {k40, k40, 0}, {1, 1, 1}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("overflow")));
  // Stride 0: a huge tensor over one element.
  absl::StatusOr<at::Tensor> expanded = MakeTensorView(s, 0, {int64_t{1} << 62}, {0});
  ASSERT_THAT(expanded, IsOk());
  EXPECT_EQ(expanded->numel(), int64_t{1} << 62);
  // The loader's offset plus the tensor's must fit too.
  StorageRef far = s;
  far.offset = INT64_MAX - 1;
  EXPECT_THAT(MakeTensorView(far, 5, {1}, {1}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("overflow")));
  s.offset = 2;  // a legacy view starting at element 2
  s.numel = 8;
  absl::StatusOr<at::Tensor> t = MakeTensorView(s, 1, {7}, {1});
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->storage_offset(), 3);
  EXPECT_THAT(MakeTensorView(s, 1, {8}, {1}), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace hub::checkpoint
