// Runs the built `torchhub` binary: what a shell script sees.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::RunCommand;
using ::testing::HasSubstr;

std::string Binary() { return ::hub::testing::RunfilePath("hub/cli/torchhub"); }

TEST(TorchhubBinaryTest, ExitCodesAndStreams) {
  const std::string hub = ::hub::testing::TestDir("hub");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult ok, RunCommand({Binary(), "--hub-dir", hub, "dir"}));
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.output, hub + "\n");

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult bad, RunCommand({Binary(), "parse", "a/b:c:d"}));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("torchhub: error: invalid repo \"a/b:c:d\""));

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult usage, RunCommand({Binary(), "nope"}));
  EXPECT_EQ(usage.exit_code, 2);

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult help, RunCommand({Binary(), "--help"}));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: torchhub"));
}

TEST(TorchhubBinaryTest, TrustCheckExitsOneWhenNotTrusted) {
  const std::string hub = ::hub::testing::TestDir("hub");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult r,
                           RunCommand({Binary(), "--hub-dir", hub, "trust", "check", "x/y"}));
  EXPECT_EQ(r.exit_code, 1);
  HUB_ASSERT_OK_AND_ASSIGN(r, RunCommand({Binary(), "--hub-dir", hub, "trust", "add", "x/y"}));
  EXPECT_EQ(r.exit_code, 0);
  HUB_ASSERT_OK_AND_ASSIGN(r, RunCommand({Binary(), "--hub-dir", hub, "trust", "check", "x/y"}));
  EXPECT_EQ(r.exit_code, 0);
}

TEST(TorchhubBinaryTest, CachePruneExitCodes) {
  const std::string hub = ::hub::testing::TestDir("hub_prune");
  ::hub::testing::WriteTestFile(hub + "/checkpoints/w.pth", std::string(2000, 'w'));
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult r,
                           RunCommand({Binary(), "--hub-dir", hub, "cache", "prune"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("cache prune needs a limit"));
  HUB_ASSERT_OK_AND_ASSIGN(
      r, RunCommand({Binary(), "--hub-dir", hub, "cache", "prune", "--max-size", "lots"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--max-size: \"lots\" is not a size"));
  HUB_ASSERT_OK_AND_ASSIGN(r, RunCommand({Binary(), "--hub-dir", hub, "cache", "prune",
                                          "--older-than", "12h", "--max-size", "1.5GiB", "--json"},
                                         {.separate_stderr = true}));
  EXPECT_EQ(r.exit_code, 0) << r.error_output;
  EXPECT_THAT(r.output, HasSubstr("\"removed\":0"));
  EXPECT_THAT(r.output, HasSubstr("\"older_than_seconds\":43200"));
  EXPECT_THAT(r.output, HasSubstr("\"max_bytes\":1610612736"));
  EXPECT_EQ(r.error_output, "");
  HUB_ASSERT_OK_AND_ASSIGN(
      r, RunCommand({Binary(), "--hub-dir", hub, "cache", "prune", "--max-size", "1K"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("removed       checkpoint checkpoints/w.pth"));
  EXPECT_THAT(::hub::testing::ListDir(hub + "/checkpoints"), ::testing::IsEmpty());
}

// Downloads, fetches, the cache and cached list/help never load Python or
// libtorch: the binary that does them doesn't link either.
TEST(TorchhubBinaryTest, LinksNeitherLibtorchNorLibpython) {
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult ldd, RunCommand({"ldd", Binary()}));
  ASSERT_EQ(ldd.exit_code, 0) << ldd.output;
  EXPECT_THAT(ldd.output, HasSubstr("libcurl"));  // the check sees real dependencies
  EXPECT_THAT(ldd.output, ::testing::Not(HasSubstr("libpython")));
  EXPECT_THAT(ldd.output, ::testing::Not(HasSubstr("libtorch")));
  EXPECT_THAT(ldd.output, ::testing::Not(HasSubstr("libc10")));
}

// Without torchhub-python, what needs Python fails saying what is missing.
TEST(TorchhubBinaryTest, ListWithoutThePythonHelperSaysSo) {
  const std::string hub = ::hub::testing::TestDir("hub_nopy");
  const std::string repo = ::hub::testing::TestDir("repo_nopy");
  ::hub::testing::WriteTestFile(repo + "/hubconf.py", "def a():\n    pass\n");
  HUB_ASSERT_OK_AND_ASSIGN(
      CommandResult r, RunCommand({"env", "TORCHHUB_PYTHON_CLI=/nonexistent/torchhub-python",
                                   Binary(), "--hub-dir", hub, "list", repo, "--source", "local"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("cannot run /nonexistent/torchhub-python"));
  EXPECT_THAT(r.output, HasSubstr("TORCHHUB_PYTHON_CLI"));
}

// A repo's docstrings and Python errors reach the terminal with their
// control characters escaped: they can't clear the screen, move the cursor
// or set the window title.
TEST(TorchhubBinaryTest, RepoTextCannotDriveTheTerminal) {
  const std::string hub = ::hub::testing::TestDir("hub");
  const std::string repo = ::hub::testing::TestDir("repo");
  ::hub::testing::WriteTestFile(repo + "/hubconf.py",
                                "def model():\n"
                                "    '\\x1b[2J\\x1b[Hcleared\\x1b]0;title\\x07 \\u009b31m\\rover'\n"
                                "    return 1\n");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult help, RunCommand({Binary(), "--hub-dir", hub, "help", repo,
                                                           "model", "--source", "local"}));
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_EQ(help.output, "\\x1b[2J\\x1b[Hcleared\\x1b]0;title\\x07 \\u009b31m\\x0dover\n");

  const std::string bad = ::hub::testing::TestDir("bad");
  ::hub::testing::WriteTestFile(bad + "/hubconf.py",
                                "raise RuntimeError('boom\\x1b[1A\\rrewritten')\n");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult list, RunCommand({Binary(), "--hub-dir", hub, "list", bad,
                                                           "--source", "local"}));
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.output, HasSubstr("boom\\x1b[1A\\x0drewritten"));
  EXPECT_EQ(list.output.find('\x1b'), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find('\r'), std::string::npos) << list.output;
}

}  // namespace

// Paths are bytes. A repo directory whose name is not UTF-8 loads as in
// torch.hub, and --json writes such bytes as reversible "\udcXX" escapes.
TEST(TorchhubBinaryTest, PathsThatAreNotUtf8RoundTrip) {
  const std::string repo = ::hub::testing::TestDir("repo") + "/caf\xe9-\xff";
  ::hub::testing::WriteTestFile(repo + "/hubconf.py", "def model():\n    return 1\n");
  const std::string hub = ::hub::testing::TestDir("hub") + "/h\xff";
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult list, RunCommand({Binary(), "--hub-dir", hub, "list", repo,
                                                           "--source", "local", "--no-cache"}));
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output, "model\n");

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult dir,
                           RunCommand({Binary(), "--hub-dir", hub, "dir", "--json"}));
  EXPECT_EQ(dir.exit_code, 0) << dir.output;
  EXPECT_THAT(dir.output, HasSubstr("/h\\udcff"));
}
