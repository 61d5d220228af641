// `torchhub load-state-dict` end to end: the light binary hands the verb to
// torchhub-python, which downloads (from a loopback server) or reads the
// checkpoint and lists its state dict.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/json_reader.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::FaultServer;
using ::hub::testing::ReadTestFile;
using ::hub::testing::RunCommand;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kScript[] = "hub/checkpoint/testdata/make_state_dict_fixtures.py";
// sd.pth: float32 [2,3,2] and [2], int64 [], bool [3], float16 [2,2].
constexpr int kSdBytes = 12 * 4 + 2 * 4 + 8 + 3 + 4 * 2;

std::string Binary() { return ::hub::testing::RunfilePath("hub/cli/torchhub"); }

const std::string& Fixtures() {
  static const std::string* const dir = [] {
    auto* d = new std::string(absl::StrCat(::hub::testing::TestTempDir(), "/sd_fixtures"));
    absl::StatusOr<CommandResult> r = RunCommand({"/usr/bin/python3", kScript, *d});
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      EXPECT_EQ(r->exit_code, 0) << r->output;
    }
    return d;
  }();
  return *dir;
}

class LoadStateDictCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = Fixtures()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    hub_ = TestDir("hub");
  }

  // torchhub --hub-dir HUB ARGS...
  CommandResult Run(std::vector<std::string> args, bool separate_stderr = false) {
    args.insert(args.begin(), {Binary(), "--hub-dir", hub_});
    absl::StatusOr<CommandResult> r = RunCommand(args, {.separate_stderr = separate_stderr});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(CommandResult());
  }

  std::unique_ptr<FaultServer> server_;
  std::string hub_;
};

TEST_F(LoadStateDictCliTest, Url) {
  const std::string url = server_->Url("/sd.pth");
  const CommandResult r = Run({"load-state-dict", url, "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string cached = hub_ + "/checkpoints/sd.pth";
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("Downloading: \"", url, "\" to ", cached, "\n")));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("path: ", cached, "\n")));
  EXPECT_THAT(r.output, HasSubstr("format: zip\ndownloaded: yes\n"));
  EXPECT_THAT(r.output, HasSubstr("conv.weight\ttorch.float32\t[2, 3, 2]\n"));
  EXPECT_THAT(r.output, HasSubstr("bn.num_batches_tracked\ttorch.int64\t[]\n"));
  EXPECT_THAT(r.output, HasSubstr("mask\ttorch.bool\t[3]\n"));
  EXPECT_THAT(r.output, HasSubstr("half\ttorch.float16\t[2, 2]\n"));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("5 tensors, ", kSdBytes, " bytes\n")));
  EXPECT_EQ(ReadTestFile(cached), ReadTestFile(Fixtures() + "/sd.pth"));

  // Again: from the cache.
  const CommandResult again = Run({"load-state-dict", url});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, Not(HasSubstr("Downloading")));
  EXPECT_THAT(again.output, HasSubstr("downloaded: no (cached)\n"));
}

TEST_F(LoadStateDictCliTest, UrlOptions) {
  const std::string models = TestDir("models");
  // --check-hash with a name that has no hash: a warning, and it loads.
  CommandResult r = Run({"load-state-dict", server_->Url("/sd.pth"), "--check-hash", "--model-dir",
                         models, "--file-name", "mine.pth", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("UserWarning"));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("path: ", models, "/mine.pth\n")));
  // A wrong hash: exit 1 with torch.hub's message.
  r = Run({"load-state-dict", server_->Url("/sd-00000000.pth"), "--check-hash", "--model-dir",
           models, "--no-progress"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("invalid hash value (expected \"00000000\", got \""));
}

TEST_F(LoadStateDictCliTest, SameFileNameFromAnotherUrl) {
  CommandResult r = Run({"load-state-dict", server_->Url("/v1/weights.pth"), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = Run({"load-state-dict", server_->Url("/v2/weights.pth"), "--no-progress"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("was downloaded from " + server_->Url("/v1/weights.pth")));
  EXPECT_THAT(r.output, HasSubstr("--file-name"));
}

TEST_F(LoadStateDictCliTest, UrlNotFound) {
  const CommandResult r = Run({"load-state-dict", server_->Url("/missing.pth"), "--no-progress"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("torchhub: error: "));
  EXPECT_THAT(r.output, HasSubstr("404"));
}

TEST_F(LoadStateDictCliTest, LocalFile) {
  // A state dict under "model".
  const CommandResult r = Run({"load-state-dict", Fixtures() + "/nested.pth"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("format: zip\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("downloaded")));
  EXPECT_THAT(r.output, HasSubstr("conv.bias\ttorch.float32\t[2]\n"));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("5 tensors, ", kSdBytes, " bytes\n")));
}

TEST_F(LoadStateDictCliTest, LocalLegacyZip) {
  const CommandResult r = Run({"load-state-dict", Fixtures() + "/legacy.zip"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("format: legacy\n"));
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat("5 tensors, ", kSdBytes, " bytes\n")));
}

TEST_F(LoadStateDictCliTest, Json) {
  const CommandResult r =
      Run({"load-state-dict", Fixtures() + "/sd.pth", "--json"}, /*separate_stderr=*/true);
  ASSERT_EQ(r.exit_code, 0) << r.output << r.error_output;
  absl::StatusOr<JsonValue> json = ParseJson(r.output);
  ASSERT_TRUE(json.ok()) << json.status() << "\n" << r.output;
  EXPECT_EQ(json->GetString({"format"}), "zip");
  EXPECT_EQ(json->Find("tensors")->number_value(), 5);
  EXPECT_EQ(json->Find("bytes")->number_value(), kSdBytes);
  const JsonValue* sd = json->Find("state_dict");
  ASSERT_NE(sd, nullptr);
  ASSERT_EQ(sd->array().size(), 5U);
  const JsonValue& first = sd->array()[0];
  EXPECT_EQ(first.GetString({"name"}), "conv.weight");
  EXPECT_EQ(first.GetString({"dtype"}), "torch.float32");
  ASSERT_EQ(first.Find("shape")->array().size(), 3U);
  EXPECT_EQ(first.Find("shape")->array()[1].number_value(), 3);
  EXPECT_EQ(first.Find("bytes")->number_value(), 48);
}

// An expanded tensor (stride 0) over one stored float64 claims 2^65 bytes:
// counted exactly, as Python's numel() * element_size() is, not overflowed.
TEST_F(LoadStateDictCliTest, ExpandedTensorsCountBytesBeyondInt64) {
  const std::string path = TestDir("expanded") + "/expanded.pth";
  absl::StatusOr<CommandResult> made =
      RunCommand({"/usr/bin/python3", "-c",
                  "import sys, torch\n"
                  "torch.save({'big': torch.zeros(1, dtype=torch.float64).expand(2 ** 62),\n"
                  "            'w': torch.zeros(2)}, sys.argv[1])",
                  path});
  ASSERT_TRUE(made.ok()) << made.status();
  ASSERT_EQ(made->exit_code, 0) << made->output;
  CommandResult r = Run({"load-state-dict", path});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("big\ttorch.float64\t[4611686018427387904]\n"));
  EXPECT_THAT(r.output, HasSubstr("2 tensors, 36893488147419103240 bytes\n"));
  r = Run({"load-state-dict", path, "--json"}, /*separate_stderr=*/true);
  ASSERT_EQ(r.exit_code, 0) << r.output << r.error_output;
  EXPECT_THAT(r.output, HasSubstr("36893488147419103232"));
  EXPECT_THAT(r.output, HasSubstr("36893488147419103240"));
  absl::StatusOr<JsonValue> json = ParseJson(r.output);
  ASSERT_TRUE(json.ok()) << json.status() << "\n" << r.output;
  EXPECT_EQ(json->Find("bytes")->number_value(), 36893488147419103240.0);
}

TEST_F(LoadStateDictCliTest, NotAStateDict) {
  CommandResult r = Run({"load-state-dict", Fixtures() + "/not_a_state_dict.pth"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no state dict"));
  EXPECT_THAT(r.output, HasSubstr("epoch"));
  r = Run({"load-state-dict", Fixtures() + "/not_a_state_dict.pth", "--json"}, true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  absl::StatusOr<JsonValue> json = ParseJson(r.output);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE(json->Find("state_dict")->is_null());
  EXPECT_THAT(*json->GetString({"value"}), HasSubstr("epoch"));
}

TEST_F(LoadStateDictCliTest, BadFile) {
  const std::string junk = TestDir("junk") + "/junk.pth";
  ::hub::testing::WriteTestFile(junk, "definitely not a checkpoint");
  CommandResult r = Run({"load-state-dict", junk});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("torchhub: error: "));
  r = Run({"load-state-dict", TestDir("none") + "/missing.pth"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("torchhub: error: "));
}

// A cached checkpoint that can't be read says how to check it and how to
// get it again.
TEST_F(LoadStateDictCliTest, DamagedCachedCheckpointSaysHowToFixIt) {
  const std::string url = server_->Url("/sd.pth");
  ASSERT_EQ(Run({"load-state-dict", url, "--no-progress"}).exit_code, 0);
  ::hub::testing::WriteTestFile(hub_ + "/checkpoints/sd.pth", "not a checkpoint at all");
  const CommandResult r = Run({"load-state-dict", url, "--no-progress"}, true);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.error_output, HasSubstr("is not a checkpoint this loader knows"));
  EXPECT_THAT(r.error_output,
              HasSubstr(absl::StrCat("; if the cached file is damaged, `torchhub cache verify` "
                                     "re-hashes it against its download record, and `torchhub "
                                     "cache rm NAME` (or deleting it from ",
                                     hub_, "/checkpoints) makes the next run download it again")));
}

TEST_F(LoadStateDictCliTest, UsageErrors) {
  CommandResult r = Run({"load-state-dict"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("missing URL or FILE"));
  EXPECT_THAT(r.output, HasSubstr("usage: torchhub load-state-dict"));
  r = Run({"load-state-dict", "a.pth", "b.pth"});
  EXPECT_EQ(r.exit_code, 2);
  r = Run({"load-state-dict", "a.pth", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown option --bogus"));
  r = Run({"load-state-dict", "a.pth", "--file-name", "x.pth"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--file-name is for a URL"));
}

TEST_F(LoadStateDictCliTest, Help) {
  const CommandResult r = Run({"load-state-dict", "--help"}, true);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("usage: torchhub load-state-dict URL|FILE"));
  const CommandResult main_help = Run({"--help"});
  EXPECT_THAT(main_help.output, HasSubstr("load-state-dict URL|FILE"));
}

TEST_F(LoadStateDictCliTest, WithoutThePythonHelperSaysSo) {
  absl::StatusOr<CommandResult> r =
      RunCommand({"env", "TORCHHUB_PYTHON_CLI=/nonexistent/torchhub-python", Binary(),
                  "load-state-dict", Fixtures() + "/sd.pth"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_THAT(r->output, HasSubstr("cannot run /nonexistent/torchhub-python"));
}

}  // namespace
}  // namespace hub
