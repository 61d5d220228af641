#include "hub/checkpoint/checkpoint.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/ScalarType.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/checkpoint/format.h"
#include "hub/checkpoint/internal/zip_directory.h"
#include "hub/checkpoint/pickle.h"
#include "hub/fs/files.h"
#include "tests/servers/subprocess.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::WriteTestFile;
using ::testing::HasSubstr;

constexpr char kScript[] = "hub/checkpoint/testdata/make_checkpoints.py";

// Runs make_checkpoints.py CASE once per test binary; returns its directory.
const std::string& Fixtures(const std::string& fixture_case) {
  static auto* dirs = new std::map<std::string, std::string>();
  auto it = dirs->find(fixture_case);
  if (it != dirs->end()) return it->second;
  const std::string dir = absl::StrCat(::hub::testing::TestTempDir(), "/fixtures/", fixture_case);
  std::vector<std::string> argv = {"/usr/bin/python3", kScript, fixture_case, dir};
  if (fixture_case == "evil") argv.push_back(dir + "/markers");
  absl::StatusOr<::hub::testing::CommandResult> r = ::hub::testing::RunCommand(argv);
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok()) {
    EXPECT_EQ(r->exit_code, 0) << r->output;
  }
  return dirs->emplace(fixture_case, dir).first->second;
}

struct Expected {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
  int64_t offset = 0;
  int64_t storage = 0;
  size_t begin = 0;
  size_t nbytes = 0;
};

std::vector<int64_t> Ints(const JsonValue& v) {
  std::vector<int64_t> out;
  for (const JsonValue& e : v.array()) out.push_back(static_cast<int64_t>(e.number_value()));
  return out;
}

std::vector<Expected> ReadManifest(const std::string& path) {
  absl::StatusOr<JsonValue> json = ParseJson(ReadTestFile(path));
  EXPECT_TRUE(json.ok()) << json.status();
  std::vector<Expected> out;
  if (!json.ok()) return out;
  for (const JsonValue& e : json->array()) {
    Expected x;
    x.name = e.Find("name")->string_value();
    x.dtype = e.Find("dtype")->string_value();
    x.shape = Ints(*e.Find("shape"));
    x.stride = Ints(*e.Find("stride"));
    x.offset = static_cast<int64_t>(e.Find("offset")->number_value());
    x.storage = static_cast<int64_t>(e.Find("storage")->number_value());
    x.begin = static_cast<size_t>(e.Find("begin")->number_value());
    x.nbytes = static_cast<size_t>(e.Find("nbytes")->number_value());
    out.push_back(std::move(x));
  }
  return out;
}

// Compares a loaded state dict with what Python wrote for `manifest`:
// names and order, dtype, shape, values, and (when `layout`) strides, storage
// offsets and which tensors share a storage.
void ExpectMatchesPython(const std::vector<std::pair<std::string, at::Tensor>>& sd,
                         const std::string& dir, const std::string& manifest, bool layout) {
  const std::vector<Expected> expected = ReadManifest(absl::StrCat(dir, "/", manifest, ".json"));
  const std::string blob = ReadTestFile(absl::StrCat(dir, "/", manifest, ".bin"));
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(sd.size(), expected.size());
  std::map<int64_t, const c10::StorageImpl*> storage_of;
  std::map<const c10::StorageImpl*, int64_t> index_of;
  for (size_t k = 0; k < sd.size(); ++k) {
    const Expected& x = expected[k];
    const at::Tensor& t = sd[k].second;
    SCOPED_TRACE(x.name);
    EXPECT_EQ(sd[k].first, x.name);
    ASSERT_TRUE(t.defined());
    EXPECT_EQ(c10::toString(t.scalar_type()), x.dtype);
    EXPECT_EQ(t.sizes().vec(), x.shape);
    EXPECT_TRUE(t.device().is_cpu());
    const at::Tensor c = t.contiguous();
    ASSERT_EQ(static_cast<size_t>(c.numel()) * c.element_size(), x.nbytes);
    if (x.nbytes > 0) {
      EXPECT_EQ(std::memcmp(c.data_ptr(), blob.data() + x.begin, x.nbytes), 0) << "values differ";
    }
    if (!layout) continue;
    EXPECT_EQ(t.strides().vec(), x.stride);
    EXPECT_EQ(t.storage_offset(), x.offset);
    if (x.nbytes > 0) {
      EXPECT_EQ(static_cast<const char*>(t.data_ptr()),
                static_cast<const char*>(t.storage().data()) + x.offset * t.element_size());
      EXPECT_LE(x.offset * t.element_size() + t.element_size(), t.storage().nbytes());
    }
    if (x.storage < 0) continue;  // an empty storage: nothing to share
    const c10::StorageImpl* impl = t.storage().unsafeGetStorageImpl();
    auto [s, new_index] = storage_of.emplace(x.storage, impl);
    auto [i, new_impl] = index_of.emplace(impl, x.storage);
    EXPECT_EQ(s->second, impl) << "should share a storage with an earlier tensor";
    EXPECT_EQ(i->second, x.storage) << "shares a storage it should not";
    EXPECT_EQ(new_index, new_impl);
  }
}

absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> LoadStateDict(
    const std::string& path, const LoadOptions& options = {}) {
  absl::StatusOr<Checkpoint> ckpt = LoadCheckpoint(path, options);
  if (!ckpt.ok()) return ckpt.status();
  return ExtractStateDict(ckpt->value);
}

// ---- Loading what torch.save wrote ---------------------------------------

struct TorchCase {
  std::string file;
  Format format;
  bool zero_copy;
  // Whether tensors should point into the mapped file (no allocator).
  bool mapped;
};

class TorchFormatTest : public ::testing::TestWithParam<TorchCase> {};

TEST_P(TorchFormatTest, EveryTensorMatchesPython) {
  const std::string& dir = Fixtures("tensors");
  const std::string path = absl::StrCat(dir, "/", GetParam().file);
  EXPECT_THAT(DetectFormat(path), ::hub::testing::IsOkAndHolds(GetParam().format));
  absl::StatusOr<Checkpoint> ckpt = LoadCheckpoint(path, {.zero_copy = GetParam().zero_copy});
  ASSERT_THAT(ckpt, IsOk());
  EXPECT_EQ(ckpt->format, GetParam().format);
  auto sd = ExtractStateDict(ckpt->value);
  ASSERT_THAT(sd, IsOk());
  ExpectMatchesPython(*sd, dir, "tensors", /*layout=*/true);
  // The Parameter keeps requires_grad; plain tensors don't have it.
  for (const auto& [name, t] : *sd) {
    EXPECT_EQ(t.requires_grad(), name == "param") << name;
    if (t.numel() > 0) {
      EXPECT_EQ(t.storage().allocator() == nullptr, GetParam().mapped) << name;
    }
  }
}

TEST_P(TorchFormatTest, TensorsOutliveTheCheckpointAndAreWritable) {
  const std::string path = absl::StrCat(Fixtures("tensors"), "/", GetParam().file);
  at::Tensor base;
  at::Tensor transposed;
  {
    auto sd = LoadStateDict(path, {.zero_copy = GetParam().zero_copy});
    ASSERT_THAT(sd, IsOk());
    for (const auto& [name, t] : *sd) {
      if (name == "base") base = t;
      if (name == "transposed") transposed = t;
    }
  }
  ASSERT_TRUE(base.defined() && transposed.defined());
  // Writing through one view shows in the other (shared storage), and the
  // file is left alone.
  const std::string before = ReadTestFile(path);
  static_cast<float*>(base.data_ptr())[1] = 100.0F;
  EXPECT_EQ(static_cast<const float*>(transposed.data_ptr())[transposed.stride(0)], 100.0F);
  EXPECT_EQ(ReadTestFile(path), before);
}

INSTANTIATE_TEST_SUITE_P(
    Files, TorchFormatTest,
    ::testing::Values(TorchCase{"tensors_zip.pt", Format::kZip, true, true},
                      TorchCase{"tensors_zip.pt", Format::kZip, false, false},
                      TorchCase{"tensors_zip_p4.pt", Format::kZip, true, true},
                      TorchCase{"tensors_deflated.pt", Format::kZip, true, false},
                      TorchCase{"tensors_legacy.pt", Format::kLegacy, true, false},
                      TorchCase{"tensors_legacy_p4.pt", Format::kLegacy, true, false}),
    [](const ::testing::TestParamInfo<TorchCase>& param_info) {
      const TorchCase& c = param_info.param;
      return absl::StrCat(c.file.substr(0, c.file.find('.')), c.zero_copy ? "" : "_copy");
    });

TEST(ConcurrencyTest, LoadsFromManyThreadsAtOnceAgree) {
  const std::string& dir = Fixtures("tensors");
  const char* files[] = {"tensors_zip.pt", "tensors_legacy.pt", "tensors.safetensors",
                         "tensors_deflated.pt"};
  std::vector<absl::StatusOr<Checkpoint>> results(8);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < results.size(); ++k) {
    threads.emplace_back(
        [&, k] { results[k] = LoadCheckpoint(absl::StrCat(dir, "/", files[k % 4])); });
  }
  for (std::thread& t : threads) t.join();
  for (size_t k = 0; k < results.size(); ++k) {
    ASSERT_THAT(results[k], IsOk()) << files[k % 4];
    auto sd = ExtractStateDict(results[k]->value);
    ASSERT_THAT(sd, IsOk());
    ExpectMatchesPython(*sd, dir, k % 4 == 2 ? "tensors_st" : "tensors", /*layout=*/true);
  }
}

TEST(SafetensorsTest, EveryTensorMatchesPython) {
  const std::string& dir = Fixtures("tensors");
  for (bool zero_copy : {true, false}) {
    absl::StatusOr<Checkpoint> ckpt =
        LoadCheckpoint(dir + "/tensors.safetensors", {.zero_copy = zero_copy});
    ASSERT_THAT(ckpt, IsOk());
    EXPECT_EQ(ckpt->format, Format::kSafetensors);
    EXPECT_THAT(ckpt->metadata,
                ::testing::ElementsAre(std::pair<std::string, std::string>("format", "pt"),
                                       std::pair<std::string, std::string>("note", "x")));
    auto sd = ExtractStateDict(ckpt->value);
    ASSERT_THAT(sd, IsOk());
    ExpectMatchesPython(*sd, dir, "tensors_st", /*layout=*/true);
  }
}

TEST(Resnet18Test, StateDictMatchesPythonInEveryFormat) {
  const std::string& dir = Fixtures("resnet");
  for (const char* file : {"resnet_zip.pt", "resnet_legacy.pt"}) {
    SCOPED_TRACE(file);
    auto sd = LoadStateDict(absl::StrCat(dir, "/", file));
    ASSERT_THAT(sd, IsOk());
    EXPECT_EQ(sd->size(), 122U);  // resnet18: 62 parameters, 60 buffers
    ExpectMatchesPython(*sd, dir, "resnet", /*layout=*/true);
  }
  auto sd = LoadStateDict(dir + "/resnet.safetensors");
  ASSERT_THAT(sd, IsOk());
  ExpectMatchesPython(*sd, dir, "resnet_st", /*layout=*/true);
}

TEST(NestedTest, NonTensorValuesComeBackAsPythonHadThem) {
  const std::string& dir = Fixtures("tensors");
  for (const char* file : {"nested_zip.pt", "nested_legacy.pt"}) {
    SCOPED_TRACE(file);
    absl::StatusOr<Checkpoint> ckpt = LoadCheckpoint(absl::StrCat(dir, "/", file));
    ASSERT_THAT(ckpt, IsOk());
    const Value& v = ckpt->value;
    ASSERT_TRUE(v.is_dict());
    ASSERT_NE(v.Find("epoch"), nullptr);
    EXPECT_EQ(v.Find("epoch")->int_value(), 3);
    EXPECT_EQ(v.Find("lr")->double_value(), 0.125);
    EXPECT_EQ(v.Find("name")->string_value(), "resnet");
    EXPECT_TRUE(v.Find("blob")->is_bytes());
    EXPECT_EQ(v.Find("blob")->string_value(), std::string("\x00\x01", 2));
    EXPECT_EQ(v.Find("big_int")->int_value(), int64_t{1} << 40);
    EXPECT_EQ(v.Find("neg")->int_value(), -5);
    const Value* flags = v.Find("flags");
    ASSERT_TRUE(flags->is_list());
    ASSERT_EQ(flags->items().size(), 3U);
    EXPECT_TRUE(flags->items()[0].bool_value());
    EXPECT_TRUE(flags->items()[1].is_bool());
    EXPECT_FALSE(flags->items()[1].bool_value());
    EXPECT_TRUE(flags->items()[2].is_none());
    const Value* size = v.Find("size");
    ASSERT_TRUE(size->is_tuple());
    ASSERT_EQ(size->items().size(), 2U);
    EXPECT_EQ(size->items()[1].int_value(), 3);
    EXPECT_EQ(v.Find("device")->string_value(), "cpu");
    const Value* tuple = v.Find("tuple");
    ASSERT_EQ(tuple->items().size(), 3U);
    EXPECT_EQ(tuple->items()[1].string_value(), "a");
    EXPECT_EQ(tuple->items()[2].double_value(), 2.5);
    const Value* int_keys = v.Find("int_keys");
    ASSERT_EQ(int_keys->entries().size(), 2U);
    EXPECT_EQ(int_keys->entries()[1].first.int_value(), 7);
    EXPECT_EQ(int_keys->entries()[1].second.string_value(), "b");
    // One dict referenced twice: both copies complete, same tensor storage.
    const Value* a = v.Find("a");
    const Value* b = v.Find("b");
    ASSERT_TRUE(a->Find("w") != nullptr && b->Find("w") != nullptr);
    EXPECT_TRUE(a->Find("w")->tensor().is_same(b->Find("w")->tensor()));
    EXPECT_EQ(v.Find("set")->items().size(), 1U);
    EXPECT_THAT(v.DebugString(), HasSubstr("'epoch': 3"));
    // The state dict is found under 'model'.
    auto sd = ExtractStateDict(v);
    ASSERT_THAT(sd, IsOk());
    ExpectMatchesPython(*sd, dir, "tensors", /*layout=*/true);
  }
}

TEST(ExtractStateDictTest, FindsItUnderStateDictAndSaysWhenThereIsNone) {
  const std::string& dir = Fixtures("tensors");
  auto sd = LoadStateDict(dir + "/under_state_dict_zip.pt");
  ASSERT_THAT(sd, IsOk());
  ASSERT_EQ(sd->size(), 1U);
  EXPECT_EQ((*sd)[0].first, "w");
  EXPECT_THAT(LoadStateDict(dir + "/no_state_dict_legacy.pt"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("'epoch': int")));
  EXPECT_THAT(ExtractStateDict(Value::Int(3)), StatusIs(absl::StatusCode::kNotFound));
  auto empty = ExtractStateDict(Value::Dict({}));
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->empty());
}

// ---- Formats ---------------------------------------------------------------

TEST(DetectFormatTest, TellsFormatsByTheirBytes) {
  const std::string& dir = Fixtures("tensors");
  const std::string copies = ::hub::testing::TestDir();
  // Names say nothing: copy each file to a name without a suffix.
  const std::pair<const char*, Format> cases[] = {
      {"tensors_zip.pt", Format::kZip},           {"tensors_legacy.pt", Format::kLegacy},
      {"tensors_legacy_p4.pt", Format::kLegacy},  {"tensors.safetensors", Format::kSafetensors},
      {"tensors_legacy.zip", Format::kLegacyZip},
  };
  int n = 0;
  for (const auto& [file, format] : cases) {
    const std::string copy = absl::StrCat(copies, "/", n++);
    WriteTestFile(copy, ReadTestFile(absl::StrCat(dir, "/", file)));
    EXPECT_THAT(DetectFormat(copy), ::hub::testing::IsOkAndHolds(format)) << file;
  }
  WriteTestFile(copies + "/text", "hello, this is not a checkpoint");
  EXPECT_THAT(DetectFormat(copies + "/text"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a checkpoint")));
  EXPECT_THAT(LoadCheckpoint(copies + "/text"), StatusIs(absl::StatusCode::kInvalidArgument));
  WriteTestFile(copies + "/empty", "");
  EXPECT_THAT(LoadCheckpoint(copies + "/empty"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadCheckpoint(copies + "/missing"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LoadCheckpoint(copies), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Debian's libtorch has no CUDA (map_location_test covers the rest).
  EXPECT_THAT(LoadCheckpoint(dir + "/tensors_zip.pt", {.map_location = "cuda:0"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no CUDA")));
}

TEST(LegacyZipTest, IsRefusedUntilExtractedThenLoads) {
  const std::string& dir = Fixtures("tensors");
  const std::string zip = dir + "/tensors_legacy.zip";
  EXPECT_THAT(LoadCheckpoint(zip),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ExtractLegacyZip")));
  const std::string dest = ::hub::testing::TestDir("checkpoints");
  // A file of that name with other bytes is never replaced (torch.hub would
  // overwrite it); once it is gone, the zip's file is extracted, and then
  // found again with the same bytes.
  WriteTestFile(dest + "/tensors_legacy.pt", "an older copy, kept");
  EXPECT_THAT(ExtractLegacyZip(zip, dest),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("delete it")));
  EXPECT_EQ(ReadTestFile(dest + "/tensors_legacy.pt"), "an older copy, kept");
  ASSERT_EQ(std::remove((dest + "/tensors_legacy.pt").c_str()), 0);
  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<std::string> file = ExtractLegacyZip(zip, dest);
    ASSERT_THAT(file, IsOk());
    EXPECT_EQ(*file, dest + "/tensors_legacy.pt");
    auto sd = LoadStateDict(*file);
    ASSERT_THAT(sd, IsOk());
    ExpectMatchesPython(*sd, dir, "tensors", /*layout=*/true);
    // Nothing else is left in the directory.
    EXPECT_EQ(::hub::testing::ListDir(dest), std::vector<std::string>{"tensors_legacy.pt"});
  }
  EXPECT_THAT(ExtractLegacyZip(zip, dest + "/new/dir"), IsOk());
  EXPECT_THAT(ExtractLegacyZip(dir + "/tensors_zip.pt", dest),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ZipTest, TopDirectoryNameVaries) {
  const std::string& dir = Fixtures("lies");
  for (const char* file : {"zip_good.pt", "zip_other_top.pt", "zip_from_type_v2.pt"}) {
    auto sd = LoadStateDict(absl::StrCat(dir, "/", file));
    ASSERT_THAT(sd, IsOk()) << file;
    ASSERT_EQ(sd->size(), 1U);
    const at::Tensor& t = (*sd)[0].second;
    ASSERT_EQ(t.numel(), 4);
    EXPECT_EQ(static_cast<const float*>(t.data_ptr())[3], 4.0F);
  }
}

TEST(ZipTest, Zip64EndRecordsOfMoreThan65535Records) {
  const std::string& dir = Fixtures("many");
  const std::string file = ReadTestFile(dir + "/many_zip.pt");
  ASSERT_NE(file.find(std::string("PK\x06\x06", 4)), std::string::npos) << "no zip64 record";
  auto sd = LoadStateDict(dir + "/many_zip.pt");
  ASSERT_THAT(sd, IsOk());
  ExpectMatchesPython(*sd, dir, "many", /*layout=*/true);
}

TEST(LegacyTest, StorageViewsOfOldFiles) {
  auto sd = LoadStateDict(Fixtures("lies") + "/legacy_view.pt");
  ASSERT_THAT(sd, IsOk());
  ASSERT_EQ(sd->size(), 1U);
  const at::Tensor& t = (*sd)[0].second;
  ASSERT_EQ(t.numel(), 2);
  // Elements [2, 5) of the root are the view; the tensor starts at 1 in it.
  EXPECT_EQ(static_cast<const float*>(t.data_ptr())[0], 13.0F);
  EXPECT_EQ(static_cast<const float*>(t.data_ptr())[1], 14.0F);
  EXPECT_EQ(t.storage_offset(), 3);
}

// ---- Hostile files -----------------------------------------------------------

struct EvilCase {
  const char* name;
  // As the file names it: Python 3's pickler writes Python 2's names for
  // protocols < 3.
  const char* global_p2;
  const char* global_p4;
};

constexpr EvilCase kEvil[] = {
    {"os_system", "posix.system", "posix.system"},
    {"eval", "__builtin__.eval", "builtins.eval"},
    {"exec", "__builtin__.exec", "builtins.exec"},
    {"popen", "commands.Popen", "subprocess.Popen"},
    {"custom_class", "__main__.Net", "__main__.Net"},
};

TEST(HostileTest, ForbiddenGlobalsAreNamedAndNeverRun) {
  const std::string& dir = Fixtures("evil");
  const std::string markers = dir + "/markers";
  ASSERT_THAT(MakeDirs(markers), IsOk());
  for (const EvilCase& evil : kEvil) {
    for (const char* suffix : {"", "_p4"}) {
      SCOPED_TRACE(absl::StrCat(evil.name, suffix));
      const char* global = *suffix == '\0' ? evil.global_p2 : evil.global_p4;
      const std::string bytes =
          ReadTestFile(absl::StrCat(dir, "/evil_", evil.name, suffix, ".pkl"));
      ASSERT_FALSE(bytes.empty());
      EXPECT_THAT(Unpickle(bytes, nullptr),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr(absl::StrCat("forbidden global \"", global, "\""))));
      EXPECT_FALSE(PathExists(absl::StrCat(markers, "/", evil.name)));
    }
  }
  // The payloads are real: Python's own unpickler runs them.
  for (const char* name : {"os_system", "eval", "exec", "popen"}) {
    const std::string control = absl::StrCat(dir, "/control_", name, ".pkl");
    absl::StatusOr<::hub::testing::CommandResult> r = ::hub::testing::RunCommand(
        {"/usr/bin/python3", "-c",
         "import pickle, sys, time\np = pickle.load(open(sys.argv[1], 'rb'))\n"
         "getattr(p, 'wait', lambda: None)()",
         control});
    ASSERT_THAT(r, IsOk());
    EXPECT_TRUE(PathExists(absl::StrCat(markers, "/control_", name))) << name << r->output;
  }
}

TEST(HostileTest, CheckpointsWithAPayloadAfterTensorsAreRefused) {
  const std::string& dir = Fixtures("evil");
  for (const char* file : {"evil_zip.pt", "evil_legacy.pt"}) {
    EXPECT_THAT(LoadCheckpoint(absl::StrCat(dir, "/", file)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("forbidden global \"posix.system\"; only tensors")))
        << file;
  }
  EXPECT_FALSE(PathExists(dir + "/markers/ckpt_os_system"));
}

TEST(HostileTest, PickledModulesAreRefusedWithAHint) {
  const std::string bytes = ReadTestFile(Fixtures("lies") + "/module_pid.pkl");
  class NoStorages : public StorageLoader {
   public:
    absl::StatusOr<StorageRef> Load(const StorageRequest&) override {
      return absl::InternalError("unreachable");
    }
  } storages;
  EXPECT_THAT(Unpickle(bytes, &storages),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state_dict()")));
}

struct LieCase {
  const char* file;
  absl::StatusCode code;
  const char* message;
};

TEST(HostileTest, FilesThatLieAboutTheirContents) {
  const std::string& dir = Fixtures("lies");
  const LieCase cases[] = {
      {"zip_storage_short.pt", absl::StatusCode::kDataLoss, "(16 bytes) but its record has 12"},
      {"zip_storage_long.pt", absl::StatusCode::kDataLoss, "but its record has 20 bytes"},
      {"zip_past_storage.pt", absl::StatusCode::kDataLoss, "reaches past the end of its storage"},
      {"zip_offset_past.pt", absl::StatusCode::kDataLoss, "reaches past the end of its storage"},
      {"zip_stride_past.pt", absl::StatusCode::kDataLoss, "reaches past the end of its storage"},
      {"zip_negative_stride.pt", absl::StatusCode::kDataLoss, "negative size or stride"},
      {"zip_negative_offset.pt", absl::StatusCode::kDataLoss, "negative storage offset"},
      {"zip_overflow.pt", absl::StatusCode::kDataLoss, "overflows"},
      {"zip_huge_numel.pt", absl::StatusCode::kDataLoss, "but its record has 16 bytes"},
      {"zip_rank_mismatch.pt", absl::StatusCode::kDataLoss, "2 sizes but 1 strides"},
      {"zip_missing_record.pt", absl::StatusCode::kDataLoss, "no record \"archive/data/0\""},
      {"zip_missing_pkl.pt", absl::StatusCode::kDataLoss, "no data.pkl record"},
      {"legacy_count_lies.pt", absl::StatusCode::kDataLoss, "has 5 elements in the file but 4"},
      {"legacy_short_data.pt", absl::StatusCode::kDataLoss, "ends inside storage 0"},
      {"legacy_no_data.pt", absl::StatusCode::kDataLoss, "storage 0 has no data"},
      {"legacy_unknown_key.pt", absl::StatusCode::kDataLoss, "storage 9 has data but no tensor"},
      {"legacy_huge_numel.pt", absl::StatusCode::kDataLoss, "more than the file holds"},
      {"legacy_bad_view.pt", absl::StatusCode::kDataLoss, "lies outside storage root"},
  };
  for (const LieCase& c : cases) {
    EXPECT_THAT(LoadCheckpoint(absl::StrCat(dir, "/", c.file)),
                StatusIs(c.code, HasSubstr(c.message)))
        << c.file;
  }
  EXPECT_THAT(LoadCheckpoint(dir + "/zip_good.pt"), IsOk());
  EXPECT_THAT(LoadCheckpoint(dir + "/legacy_good.pt"), IsOk());
}

// Every prefix of a file (a sample of cut points) fails cleanly.
void ExpectEveryTruncationFails(const std::string& path) {
  const std::string bytes = ReadTestFile(path);
  ASSERT_GT(bytes.size(), 100U);
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 64; ++n) cuts.push_back(n);
  for (size_t n = 1; n <= 64; ++n) cuts.push_back(bytes.size() - n);
  for (size_t n = 1; n < 128; ++n) cuts.push_back(bytes.size() * n / 128);
  const std::string cut = ::hub::testing::TestDir("cut") + "/file";
  for (size_t n : cuts) {
    WriteTestFile(cut, bytes.substr(0, n));
    absl::StatusOr<Checkpoint> ckpt = LoadCheckpoint(cut);
    EXPECT_FALSE(ckpt.ok()) << path << " cut at " << n << " of " << bytes.size();
    if (!ckpt.ok()) {
      EXPECT_FALSE(ckpt.status().message().empty());
    }
  }
}

TEST(HostileTest, TruncatedFilesFail) {
  const std::string& dir = Fixtures("tensors");
  ExpectEveryTruncationFails(dir + "/tensors_zip.pt");
  ExpectEveryTruncationFails(dir + "/tensors_legacy.pt");
  ExpectEveryTruncationFails(dir + "/tensors.safetensors");
}

TEST(HostileTest, EveryPrefixOfARealPickleFails) {
  const std::string file = ReadTestFile(Fixtures("tensors") + "/nested_zip.pt");
  auto entries = checkpoint_internal::ReadZipDirectory(file);
  ASSERT_THAT(entries, IsOk());
  std::string pickle;
  for (const auto& e : *entries) {
    if (e.name == "nested_zip/data.pkl" || e.name == "archive/data.pkl") {
      auto data = checkpoint_internal::StoredEntryData(file, e);
      ASSERT_THAT(data, IsOk());
      pickle = std::string(*data);
    }
  }
  ASSERT_FALSE(pickle.empty());
  // Storages of any size, so only the pickle itself is under test.
  class AnyStorage : public StorageLoader {
   public:
    absl::StatusOr<StorageRef> Load(const StorageRequest& r) override {
      StorageRef ref;
      ref.storage = at::Storage(c10::Storage::use_byte_size_t(),
                                r.numel * static_cast<int64_t>(c10::elementSize(r.dtype)),
                                c10::GetCPUAllocator(), false);
      ref.dtype = r.dtype;
      ref.numel = r.numel;
      return ref;
    }
  } storages;
  EXPECT_THAT(Unpickle(pickle, &storages), IsOk());
  for (size_t n = 0; n < pickle.size(); ++n) {
    absl::StatusOr<UnpickleResult> r = Unpickle(absl::string_view(pickle).substr(0, n), &storages);
    ASSERT_FALSE(r.ok()) << "prefix of " << n;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  }
}

}  // namespace
}  // namespace hub::checkpoint
