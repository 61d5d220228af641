#include "hub/checkpoint/state_dict_from_url.h"

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ATen/Context.h>
#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/base/warnings.h"
#include "hub/cache/hub_dir.h"
#include "hub/checkpoint/checkpoint.h"
#include "hub/fs/files.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::FaultServer;
using ::hub::testing::IsOk;
using ::hub::testing::ListDirBesidesLocks;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kScript[] = "hub/checkpoint/testdata/make_state_dict_fixtures.py";

// make_state_dict_fixtures.py's output, made once per test binary.
const std::string& Fixtures() {
  static const std::string* const dir = [] {
    auto* d = new std::string(absl::StrCat(::hub::testing::TestTempDir(), "/sd_fixtures"));
    absl::StatusOr<::hub::testing::CommandResult> r =
        ::hub::testing::RunCommand({"/usr/bin/python3", kScript, *d});
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      EXPECT_EQ(r->exit_code, 0) << r->output;
    }
    return d;
  }();
  return *dir;
}

JsonValue Manifest() {
  absl::StatusOr<JsonValue> json = ParseJson(ReadTestFile(Fixtures() + "/manifest.json"));
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *json : JsonValue();
}

// Sets an environment variable for its lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_.has_value()) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class StateDictFromUrlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = Fixtures()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    model_dir_ = ::hub::testing::TestDir("checkpoints");
    options_.model_dir = model_dir_;
    options_.progress = false;
    options_.err = &err_;
    options_.download.max_attempts = 1;
  }

  size_t Gets() {
    absl::StatusOr<std::vector<FaultServer::Request>> log = server_->ReadLog();
    EXPECT_TRUE(log.ok()) << log.status();
    size_t n = 0;
    for (const FaultServer::Request& r : log.value_or(std::vector<FaultServer::Request>())) {
      if (r.method == "GET") ++n;
    }
    return n;
  }

  std::unique_ptr<FaultServer> server_;
  std::string model_dir_;
  std::ostringstream err_;
  LoadStateDictOptions options_;
};

at::ScalarType DtypeOf(const std::string& python_name) {
  static const auto* const kTypes =
      new std::map<std::string, at::ScalarType>{{"torch.float32", at::kFloat},
                                                {"torch.float16", at::kHalf},
                                                {"torch.int64", at::kLong},
                                                {"torch.bool", at::kBool},
                                                {"torch.float64", at::kDouble}};
  const auto it = kTypes->find(python_name);
  return it == kTypes->end() ? at::ScalarType::Undefined : it->second;
}

// The state dict equals what Python's torch.load gave, tensor by tensor.
void ExpectSameAsPython(const Checkpoint& checkpoint) {
  absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd =
      ExtractStateDict(checkpoint.value);
  ASSERT_TRUE(sd.ok()) << sd.status();
  const JsonValue manifest = Manifest();
  const JsonValue* tensors = manifest.Find("tensors");
  ASSERT_NE(tensors, nullptr);
  ASSERT_EQ(sd->size(), tensors->array().size());
  for (size_t i = 0; i < sd->size(); ++i) {
    const JsonValue& want = tensors->array()[i];
    const auto& [name, tensor] = (*sd)[i];
    SCOPED_TRACE(name);
    EXPECT_EQ(name, want.Find("name")->string_value());
    EXPECT_EQ(tensor.scalar_type(), DtypeOf(want.Find("dtype")->string_value()));
    std::vector<int64_t> shape;
    for (const JsonValue& d : want.Find("shape")->array()) {
      shape.push_back(static_cast<int64_t>(d.number_value()));
    }
    EXPECT_EQ(tensor.sizes().vec(), shape);
    const at::Tensor flat = tensor.to(at::kDouble).contiguous().reshape({-1});
    const std::vector<JsonValue>& values = want.Find("values")->array();
    ASSERT_EQ(static_cast<size_t>(flat.numel()), values.size());
    const double* data = flat.data_ptr<double>();
    for (size_t j = 0; j < values.size(); ++j) {
      EXPECT_EQ(data[j], values[j].number_value()) << "element " << j;
    }
  }
}

TEST(FileNameFromUrlTest, BasenameOfThePath) {
  EXPECT_EQ(FileNameFromUrl("https://h/models/resnet18-f37072fd.pth"), "resnet18-f37072fd.pth");
  EXPECT_EQ(FileNameFromUrl("https://h/a/w.pth?X-Amz-Signature=ab/c#frag"), "w.pth");
  EXPECT_EQ(FileNameFromUrl("https://h/a/w.pth#x/y"), "w.pth");
  EXPECT_EQ(FileNameFromUrl("https://h/a/"), "");
  EXPECT_EQ(FileNameFromUrl("https://h"), "");
  EXPECT_EQ(FileNameFromUrl("https://h/a%20b.pth"), "a%20b.pth");
}

TEST(SameSourceUrlTest, ComparesSchemeHostAndPath) {
  EXPECT_TRUE(SameSourceUrl("https://h/a/w.pth", "https://h/a/w.pth?sig=1"));
  EXPECT_TRUE(SameSourceUrl("https://H/a/w.pth#f", "HTTPS://h/a/w.pth"));
  EXPECT_FALSE(SameSourceUrl("https://h/v1/w.pth", "https://h/v2/w.pth"));
  EXPECT_FALSE(SameSourceUrl("https://h/a/w.pth", "http://h/a/w.pth"));
  EXPECT_FALSE(SameSourceUrl("https://h/a/w.pth", "https://g/a/w.pth"));
  EXPECT_FALSE(SameSourceUrl("https://h/a/w.pth", "https://h/a/W.pth"));
}

TEST_F(StateDictFromUrlTest, DownloadsAndLoadsLikePython) {
  const std::string url = server_->Url("/sd.pth");
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r, LoadStateDictFromUrl(url, options_));
  EXPECT_TRUE(r.downloaded);
  EXPECT_EQ(r.path, model_dir_ + "/sd.pth");
  EXPECT_EQ(r.checkpoint.format, Format::kZip);
  EXPECT_EQ(err_.str(), absl::StrCat("Downloading: \"", url, "\" to ", model_dir_, "/sd.pth\n"));
  EXPECT_EQ(ReadTestFile(r.path), ReadTestFile(Fixtures() + "/sd.pth"));
  ExpectSameAsPython(r.checkpoint);

  // The source record.
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), ElementsAre(".sd.pth.source", "sd.pth"));
  absl::StatusOr<JsonValue> record =
      ParseJson(ReadTestFile(SourceRecordPath(model_dir_, "sd.pth")));
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->GetString({"url"}), url);
  EXPECT_EQ(record->GetString({"sha256"})->size(), 64U);
  EXPECT_EQ(record->Find("bytes")->number_value(),
            static_cast<double>(ReadTestFile(r.path).size()));
}

TEST_F(StateDictFromUrlTest, SecondCallUsesTheCachedFile) {
  const std::string url = server_->Url("/sd.pth");
  HUB_ASSERT_OK(LoadStateDictFromUrl(url, options_).status());
  HUB_ASSERT_OK(server_->WaitForRequests(1).status());
  err_.str("");
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r, LoadStateDictFromUrl(url, options_));
  EXPECT_FALSE(r.downloaded);
  EXPECT_EQ(err_.str(), "");
  ExpectSameAsPython(r.checkpoint);
  EXPECT_EQ(Gets(), 1U);
}

TEST_F(StateDictFromUrlTest, FileName) {
  options_.file_name = "mine.pth";
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r,
                           LoadStateDictFromUrl(server_->Url("/sd.pth"), options_));
  EXPECT_EQ(r.path, model_dir_ + "/mine.pth");
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), ElementsAre(".mine.pth.source", "mine.pth"));
}

TEST_F(StateDictFromUrlTest, BadFileNames) {
  options_.file_name = "../x.pth";
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("plain file name")));
  options_.file_name = "";
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/"), options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pass file_name")));
  EXPECT_EQ(Gets(), 0U);
}

TEST_F(StateDictFromUrlTest, DefaultModelDirUnderSetDir) {
  const std::string hub_dir = ::hub::testing::TestDir("hub");
  SetDir(hub_dir);
  options_.model_dir = "";
  absl::StatusOr<StateDictFromUrl> r = LoadStateDictFromUrl(server_->Url("/sd.pth"), options_);
  ClearDir();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->path, hub_dir + "/checkpoints/sd.pth");
  EXPECT_TRUE(PathExists(r->path));
}

TEST_F(StateDictFromUrlTest, DefaultModelDirUnderTorchHome) {
  const std::string home = ::hub::testing::TestDir("torch_home");
  ScopedEnv env("TORCH_HOME", home.c_str());
  options_.model_dir = "";
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r,
                           LoadStateDictFromUrl(server_->Url("/sd.pth"), options_));
  EXPECT_EQ(r.path, home + "/hub/checkpoints/sd.pth");
  EXPECT_TRUE(PathExists(r.path));
}

TEST_F(StateDictFromUrlTest, CheckHashGood) {
  const std::string name = *Manifest().GetString({"good_hash_name"});
  options_.check_hash = true;
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r,
                           LoadStateDictFromUrl(server_->Url("/" + name), options_));
  EXPECT_EQ(r.path, model_dir_ + "/" + name);
  ExpectSameAsPython(r.checkpoint);
}

TEST_F(StateDictFromUrlTest, CheckHashBadLeavesNothing) {
  options_.check_hash = true;
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd-00000000.pth"), options_),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("invalid hash value (expected \"00000000\", got \"")));
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), IsEmpty());
}

TEST_F(StateDictFromUrlTest, CheckHashWithoutHashInTheNameWarns) {
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  options_.check_hash = true;
  HUB_ASSERT_OK(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_).status());
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_THAT(warnings[0], HasSubstr("sd.pth"));
}

TEST_F(StateDictFromUrlTest, CheckHashWithoutHashInTheNameCanBeAnError) {
  options_.check_hash = true;
  options_.missing_hash = MissingHash::kError;
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Gets(), 0U);
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), IsEmpty());
}

TEST_F(StateDictFromUrlTest, AnImpossibleMapLocationFailsBeforeDownloading) {
  if (at::hasCUDA()) GTEST_SKIP() << "this libtorch has CUDA";
  options_.map_location = "cuda:0";
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no CUDA")));
  options_.map_location = "tpu:0";
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Gets(), 0U);
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), IsEmpty());
  // A map of saved locations to the CPU is fine.
  options_.map_location = "cuda:0=cpu";
  HUB_ASSERT_OK(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_).status());
}

TEST_F(StateDictFromUrlTest, SameFileNameFromAnotherUrlIsRefused) {
  const std::string v1 = server_->Url("/v1/weights.pth");
  HUB_ASSERT_OK(LoadStateDictFromUrl(v1, options_).status());
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/v2/weights.pth"), options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("was downloaded from ", v1)),
                             HasSubstr("file_name"), HasSubstr("delete"))));
  EXPECT_EQ(ReadTestFile(model_dir_ + "/weights.pth"),
            ReadTestFile(Fixtures() + "/v1/weights.pth"));
  HUB_ASSERT_OK(server_->WaitForRequests(1).status());
  EXPECT_EQ(Gets(), 1U);

  // Under another name both are kept.
  options_.file_name = "weights-v2.pth";
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r,
                           LoadStateDictFromUrl(server_->Url("/v2/weights.pth"), options_));
  EXPECT_EQ(ReadTestFile(r.path), ReadTestFile(Fixtures() + "/v2/weights.pth"));
}

TEST_F(StateDictFromUrlTest, SameUrlWithAnotherQueryIsAccepted) {
  HUB_ASSERT_OK(LoadStateDictFromUrl(server_->Url("/v1/weights.pth?sig=1"), options_).status());
  HUB_ASSERT_OK_AND_ASSIGN(
      StateDictFromUrl r,
      LoadStateDictFromUrl(server_->Url("/v1/weights.pth?sig=2#frag"), options_));
  EXPECT_FALSE(r.downloaded);
}

TEST_F(StateDictFromUrlTest, CachedFileWithoutRecordIsAccepted) {
  // As Python's torch.hub leaves it.
  WriteTestFile(model_dir_ + "/weights.pth", ReadTestFile(Fixtures() + "/v2/weights.pth"));
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r,
                           LoadStateDictFromUrl(server_->Url("/v1/weights.pth"), options_));
  EXPECT_FALSE(r.downloaded);
  EXPECT_EQ(Gets(), 0U);
}

TEST_F(StateDictFromUrlTest, TorchModelZooWarns) {
  ScopedEnv env("TORCH_MODEL_ZOO", "/somewhere");
  std::vector<std::pair<WarningCategory, std::string>> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory c, absl::string_view m) { warnings.emplace_back(c, m); });
  HUB_ASSERT_OK(LoadStateDictFromUrl(server_->Url("/sd.pth"), options_).status());
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0].first, WarningCategory::kUserWarning);
  EXPECT_EQ(warnings[0].second, "TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead");
}

TEST_F(StateDictFromUrlTest, LegacyZip) {
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl r,
                           LoadStateDictFromUrl(server_->Url("/legacy.zip"), options_));
  EXPECT_EQ(r.path, model_dir_ + "/inner.pth");
  EXPECT_EQ(r.checkpoint.format, Format::kLegacy);
  ExpectSameAsPython(r.checkpoint);
  EXPECT_THAT(warnings,
              ElementsAre("Falling back to the old format < 1.6. This support will be deprecated "
                          "in favor of default zipfile format introduced in 1.6. Please redo "
                          "torch.save() to save it in the new zipfile format."));
  // Loading it again uses the zip in the cache.
  HUB_ASSERT_OK_AND_ASSIGN(StateDictFromUrl again,
                           LoadStateDictFromUrl(server_->Url("/legacy.zip"), options_));
  EXPECT_FALSE(again.downloaded);
  EXPECT_EQ(again.path, model_dir_ + "/inner.pth");
}

TEST_F(StateDictFromUrlTest, ConcurrentCallersMakeOneDownload) {
  const std::string url = server_->Url("/sd.pth?rate=4000");
  constexpr int kThreads = 4;
  std::vector<absl::StatusOr<StateDictFromUrl>> results(kThreads);
  std::vector<std::ostringstream> errs(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      LoadStateDictOptions options = options_;
      options.err = &errs[i];
      results[i] = LoadStateDictFromUrl(url, options);
    });
  }
  for (std::thread& t : threads) t.join();
  int downloaded = 0;
  for (const absl::StatusOr<StateDictFromUrl>& r : results) {
    ASSERT_THAT(r, IsOk());
    downloaded += r->downloaded ? 1 : 0;
    ExpectSameAsPython(r->checkpoint);
  }
  EXPECT_EQ(downloaded, 1);
  HUB_ASSERT_OK(server_->WaitForRequests(1).status());
  EXPECT_EQ(Gets(), 1U);
}

TEST_F(StateDictFromUrlTest, NotFound) {
  const absl::StatusOr<StateDictFromUrl> r =
      LoadStateDictFromUrl(server_->Url("/missing.pth"), options_);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kNotFound, HasSubstr("404")));
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), IsEmpty());
}

TEST_F(StateDictFromUrlTest, ShortBodyIsNotInstalled) {
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd.pth?short_by=100"), options_),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), IsEmpty());
}

TEST_F(StateDictFromUrlTest, ResetIsNotInstalled) {
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/sd.pth?reset_after=100"), options_),
              ::testing::Not(IsOk()));
  EXPECT_THAT(ListDirBesidesLocks(model_dir_), IsEmpty());
}

TEST_F(StateDictFromUrlTest, NotACheckpoint) {
  WriteTestFile(model_dir_ + "/junk.pth", "not a checkpoint");
  EXPECT_THAT(LoadStateDictFromUrl(server_->Url("/junk.pth"), options_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hub::checkpoint
