// The replay driver names the input that crashed a fuzz target, and shows
// its bytes, before the process dies.

#include <csignal>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::ReadTestFile;
using ::hub::testing::RunCommand;
using ::hub::testing::RunfilePath;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;
using ::testing::Not;

class ReplayMainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    outputs_ = TestDir("outputs");
    setenv("TEST_UNDECLARED_OUTPUTS_DIR", outputs_.c_str(), 1);
    setenv("HUB_FUZZ_ITERATIONS", "2000", 1);
  }

  CommandResult Replay(const std::string& corpus_file) {
    absl::StatusOr<CommandResult> r =
        RunCommand({RunfilePath("tools/fuzzing/crashing_fuzz_target"), corpus_file},
                   {.separate_stderr = true});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  std::string outputs_;
};

TEST_F(ReplayMainTest, ACrashingCorpusFileIsNamedAndShownInHex) {
  const std::string corpus = RunfilePath("tools/fuzzing/testdata/crash_me");
  const CommandResult r = Replay(corpus);
  EXPECT_EQ(r.exit_code, 128 + SIGABRT) << r.error_output;
  EXPECT_THAT(r.error_output, HasSubstr("fuzz replay: this input crashed the target: " + corpus +
                                        ", 8 bytes:\n"
                                        "78 43 52 41 53 48 00 ff\n"));
  EXPECT_THAT(r.error_output, HasSubstr("saved as " + outputs_ + "/crash-input\n"));
  EXPECT_EQ(ReadTestFile(outputs_ + "/crash-input"), std::string("xCRASH\0\xff", 8));
  EXPECT_THAT(r.output, Not(HasSubstr("replayed")));
}

TEST_F(ReplayMainTest, ACrashingMutationSaysWhichMutationOfWhichFile) {
  const std::string corpus = RunfilePath("tools/fuzzing/testdata/harmless");
  const CommandResult r = Replay(corpus);
  EXPECT_EQ(r.exit_code, 128 + SIGABRT) << r.error_output;
  // The target aborts on the empty input, which some mutation reaches.
  EXPECT_THAT(r.error_output, HasSubstr("fuzz replay: this input crashed the target: mutation "));
  EXPECT_THAT(r.error_output, HasSubstr(" of " + corpus + ", 0 bytes:\n"));
  EXPECT_EQ(ReadTestFile(outputs_ + "/crash-input"), "");
}

TEST_F(ReplayMainTest, AHarmlessRunPrintsNoReport) {
  setenv("HUB_FUZZ_ITERATIONS", "0", 1);
  const CommandResult r = Replay(RunfilePath("tools/fuzzing/testdata/harmless"));
  EXPECT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_EQ(r.output, "replayed 1 inputs and 0 mutations\n");
  EXPECT_THAT(r.error_output, Not(HasSubstr("fuzz replay")));
}

}  // namespace
