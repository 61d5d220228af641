// Runs the built `torchhub` binary: what a shell script sees.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("torchhub: parse: invalid repo \"a/b:c:d\""));

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult usage, RunCommand({Binary(), "nope"}));
  EXPECT_EQ(usage.exit_code, 2);

  HUB_ASSERT_OK_AND_ASSIGN(CommandResult help, RunCommand({Binary(), "--help"}));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("usage: torchhub"));
}

// Every malformed value is a usage error (exit 2) of exactly one line that
// names the option or argument and what it accepts, said before anything
// is fetched or downloaded (nothing here reaches a network: the repos and
// URLs are refused first).
TEST(TorchhubBinaryTest, MalformedValuesExitTwoWithOneLine) {
  const std::string hub = ::hub::testing::TestDir("hub_malformed");
  const std::string local = ::hub::testing::TestDir("localrepo");
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  for (const Case& c : std::vector<Case>{
           {{"fetch", "a/b", "--trust-repo", "maybe"},
            "torchhub: --trust-repo wants check, true, false or none, not \"maybe\""},
           {{"list", "a/b", "--trust-repo=maybe"},
            "torchhub: --trust-repo wants check, true, false or none, not \"maybe\""},
           {{"download", "http://127.0.0.1:9/x", "x", "--hash-prefix", "XYZ"},
            "torchhub: --hash-prefix wants the start of the file's SHA-256: 1 to 64 lowercase "
            "hex digits (0-9, a-f), not \"XYZ\""},
           {{"download", "http://127.0.0.1:9/x", "x", "--max-attempts", "0"},
            "torchhub: --max-attempts wants a whole number >= 1, not \"0\""},
           {{"load", "a/b", "m", "--input", "1xq"},
            "torchhub: --input wants a shape like 1x3x224x224, not \"1xq\""},
           {{"load", "a/b", "m", "--forward"},
            "torchhub: --forward needs --input SHAPE (e.g. --input 1x3x224x224)"},
           {{"load", "a/b", "m", "--source", "gitlab"},
            "torchhub: --source wants github or local, not \"gitlab\""},
           {{"download", "notaurl", "D"},
            "torchhub: download: URL wants http://... or https://..., not \"notaurl\" (the "
            "order is URL DST)"},
           {{"load-state-dict", "x.pth", "--map-location", "gpu"},
            "torchhub: --map-location wants cpu, cuda, cuda:N, none (where each tensor was "
            "saved) or SAVED=DEV,... (e.g. cuda:1=cpu), not \"gpu\""},
           {{"parse", "noslash"},
            "torchhub: parse: invalid repo \"noslash\": there is no \"/\" between owner and "
            "name in \"noslash\"; repo strings look like \"owner/name\" or "
            "\"owner/name:ref\", e.g. \"pytorch/vision:v0.10.0\""},
           {{"fetch", "https://github.com/pytorch/vision"},
            "torchhub: fetch: REPO is \"owner/name[:ref]\", not a URL: torchhub fetch "
            "pytorch/vision"},
           {{"list", "https://github.com/pytorch/vision/tree/v0.14.1"},
            "torchhub: list: REPO is \"owner/name[:ref]\", not a URL: torchhub list "
            "pytorch/vision:v0.14.1"},
           {{"fetch", "https://example.com/x.git"},
            "torchhub: fetch: REPO is \"owner/name[:ref]\", not a URL; for any git remote, "
            "name the cache dir and give the remote: torchhub fetch owner/name:ref --git-url "
            "https://example.com/x.git"},
           {{"list", local},
            absl::StrCat("torchhub: list: \"", local,
                         "\" is a directory, not \"owner/name[:ref]\": add --source local")},
       }) {
    std::vector<std::string> argv = {Binary(), "--hub-dir", hub};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    HUB_ASSERT_OK_AND_ASSIGN(CommandResult r, RunCommand(argv, {.separate_stderr = true}));
    const std::string what = absl::StrJoin(c.args, " ");
    EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.error_output;
    EXPECT_EQ(r.error_output, c.line + "\n") << what;
    EXPECT_EQ(r.output, "") << what;
  }
  // Nothing was fetched, trusted or downloaded.
  EXPECT_THAT(::hub::testing::ListDir(hub), ::testing::IsEmpty());
}

// Unknown verbs and options get "did you mean", from the verb table and
// the verb's own options.
TEST(TorchhubBinaryTest, NearMissesAreSuggested) {
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult verb,
                           RunCommand({Binary(), "fecth", "a/b"}, {.separate_stderr = true}));
  EXPECT_EQ(verb.exit_code, 2);
  EXPECT_THAT(verb.error_output, HasSubstr("unknown verb \"fecth\" (did you mean fetch?)"));
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult option, RunCommand({Binary(), "fetch", "a/b", "--ofline"},
                                                            {.separate_stderr = true}));
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_THAT(option.error_output, HasSubstr("unknown option --ofline (did you mean --offline?)"));
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult cache,
                           RunCommand({Binary(), "cache", "prnue"}, {.separate_stderr = true}));
  EXPECT_EQ(cache.exit_code, 2);
  EXPECT_THAT(cache.error_output,
              HasSubstr("unknown cache action \"prnue\" (did you mean prune?)"));
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult trust,
                           RunCommand({Binary(), "trust", "ad", "a/b"}, {.separate_stderr = true}));
  EXPECT_EQ(trust.exit_code, 2);
  EXPECT_THAT(trust.error_output, HasSubstr("unknown trust action \"ad\" (did you mean add?)"));
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult help,
                           RunCommand({Binary(), "help", "list"}, {.separate_stderr = true}));
  EXPECT_EQ(help.exit_code, 2);
  EXPECT_THAT(help.error_output,
              HasSubstr("help: missing ENTRY (help takes REPO|DIR ENTRY; for the list verb's "
                        "usage, run `torchhub list --help`)"));
}

// The library's advice names C++/Python parameters; the command names its
// options instead.
TEST(TorchhubBinaryTest, ErrorsSayTheCommandsWords) {
  const std::string hub = ::hub::testing::TestDir("hub_words");
  HUB_ASSERT_OK_AND_ASSIGN(
      CommandResult untrusted,
      RunCommand({"sh", "-c", absl::StrCat("exec \"$0\" --hub-dir \"$1\" fetch x/y:v1 </dev/null"),
                  Binary(), hub},
                 {.separate_stderr = true}));
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_THAT(untrusted.error_output, HasSubstr("is not trusted (--trust-repo check)"));
  EXPECT_THAT(untrusted.error_output, HasSubstr("pass --trust-repo true"));
  EXPECT_THAT(untrusted.error_output, ::testing::Not(HasSubstr("trust_repo")));
}

// Offline and not cached: the error names the switch that was used.
TEST(TorchhubBinaryTest, OfflineSaysWhichSwitch) {
  const std::string hub = ::hub::testing::TestDir("hub_offline_switch");
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult flag,
                           RunCommand({"env", "-u", "TORCHHUB_OFFLINE", Binary(), "--hub-dir", hub,
                                       "fetch", "x/y:v1", "--trust-repo", "true", "--offline"},
                                      {.separate_stderr = true}));
  EXPECT_EQ(flag.exit_code, 1);
  EXPECT_THAT(flag.error_output, HasSubstr("offline (--offline) and x/y:v1 is not in the cache"));
  EXPECT_THAT(flag.error_output, ::testing::Not(HasSubstr("TORCHHUB_OFFLINE")));
  HUB_ASSERT_OK_AND_ASSIGN(CommandResult variable,
                           RunCommand({"env", "TORCHHUB_OFFLINE=1", Binary(), "--hub-dir", hub,
                                       "fetch", "x/y:v1", "--trust-repo", "true"},
                                      {.separate_stderr = true}));
  EXPECT_EQ(variable.exit_code, 1);
  EXPECT_THAT(variable.error_output, HasSubstr("offline (TORCHHUB_OFFLINE is set) and x/y:v1"));
}

// A host that can't be reached at all (here: nothing listens on loopback
// port 1) says what to do without a network.
TEST(TorchhubBinaryTest, NoConnectionSaysWhatToDoOffline) {
  const std::string hub = ::hub::testing::TestDir("hub_offline");
  HUB_ASSERT_OK_AND_ASSIGN(
      CommandResult r, RunCommand({"env", "TORCHHUB_GITHUB_API_URL=http://127.0.0.1:1",
                                   "TORCHHUB_GITHUB_URL=http://127.0.0.1:1", Binary(), "--hub-dir",
                                   hub, "fetch", "x/y:v1", "--trust-repo", "true"},
                                  {.separate_stderr = true}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.error_output, HasSubstr("Couldn't connect to server"));
  EXPECT_THAT(r.error_output, HasSubstr("this machine looks offline (or can't reach that host): "
                                        "--offline uses only what the hub dir holds, https_proxy "
                                        "names a proxy, and TORCHHUB_GITHUB_API_URL and "
                                        "TORCHHUB_GITHUB_URL point at a mirror"));
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
