// The built `torchhub` against a server that accepts connections and never
// answers: Ctrl-C (SIGINT) and SIGTERM stop every network wait, exit 130
// and leave nothing behind; offline, no verb opens a socket.
//
// Each interrupt test waits until the server holds the client's connection,
// then signals the client; the client must end by itself (the server never
// answers or closes) and hang up. No test measures time: a client that
// ignored the signal would wait out its time-outs and fail WaitForExit.
#include <sys/types.h>

#include <csignal>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/silent_server.h"
#include "tests/servers/subprocess.h"

namespace {

using ::hub::testing::ListDirBesidesLocks;
using ::hub::testing::ReadTestFile;
using ::hub::testing::SilentServer;
using ::hub::testing::StartProcess;
using ::hub::testing::TestDir;
using ::hub::testing::WaitForExit;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int kExitInterrupted = 130;

std::string Binary() { return ::hub::testing::RunfilePath("hub/cli/torchhub"); }

// `env` with every GitHub URL base pointed at `server`, then torchhub ARGS.
std::vector<std::string> Torchhub(const SilentServer& server, const std::vector<std::string>& args,
                                  const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {"env",
                                   "-u",
                                   "TORCHHUB_OFFLINE",
                                   "-u",
                                   "GITHUB_TOKEN",
                                   absl::StrCat("TORCHHUB_GITHUB_URL=", server.Url("")),
                                   absl::StrCat("TORCHHUB_GITHUB_API_URL=", server.Url("/api"))};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(Binary());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

struct Interrupted {
  int exit_code = -1;
  std::string output;
};

// Runs `argv`, waits for it to connect to `server`, sends `signal`, and
// returns how it ended. The client must have hung up on the server.
Interrupted RunAndSignal(SilentServer& server, const std::vector<std::string>& argv, int signal) {
  const std::string log = TestDir("log") + "/output";
  Interrupted result;
  absl::StatusOr<pid_t> pid = StartProcess(argv, log);
  EXPECT_TRUE(pid.ok()) << pid.status();
  if (!pid.ok()) return result;
  const absl::Status connected = server.AwaitConnection();
  EXPECT_TRUE(connected.ok()) << connected << "\n" << ReadTestFile(log);
  ::kill(*pid, signal);
  const absl::StatusOr<int> code = WaitForExit(*pid);
  EXPECT_TRUE(code.ok()) << code.status() << "\n" << ReadTestFile(log);
  result.exit_code = code.value_or(-1);
  result.output = ReadTestFile(log);
  if (connected.ok()) {
    EXPECT_TRUE(server.ClientHungUp(0)) << "the client left its connection open";
  }
  return result;
}

TEST(NetworkBinaryTest, SigintStopsTheGithubApiCheck) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  const Interrupted r = RunAndSignal(
      *server,
      Torchhub(*server, {"--hub-dir", hub, "list", "foo/bar:main", "--trust-repo", "true"}),
      SIGINT);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.output;
  EXPECT_THAT(r.output, HasSubstr("interrupted"));
  // torch.hub's trust_repo=True records the repo; nothing else is left.
  EXPECT_THAT(ListDirBesidesLocks(hub), ElementsAre("trusted_list"));
}

TEST(NetworkBinaryTest, SigtermStopsTheDefaultBranchProbe) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  const Interrupted r = RunAndSignal(
      *server, Torchhub(*server, {"--hub-dir", hub, "fetch", "foo/bar", "--trust-repo", "true"}),
      SIGTERM);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.output;
  EXPECT_THAT(ListDirBesidesLocks(hub), IsEmpty());  // torch.hub probes before the trust check
}

TEST(NetworkBinaryTest, SigintStopsAGitFetch) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  const Interrupted r = RunAndSignal(
      *server,
      Torchhub(*server, {"--hub-dir", hub, "fetch", "foo/bar:main", "--trust-repo", "true",
                         "--git-url", server->Url("/foo/bar.git"), "--allow-insecure-remote"}),
      SIGINT);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("Interrupted system call")));
  EXPECT_THAT(ListDirBesidesLocks(hub), ElementsAre("trusted_list"));
}

TEST(NetworkBinaryTest, SigintStopsADownloadAndLeavesNoFile) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string dir = TestDir("out");
  const Interrupted r = RunAndSignal(
      *server, Torchhub(*server, {"download", server->Url("/w.pth"), dir + "/w.pth"}), SIGINT);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.output;
  EXPECT_THAT(ListDirBesidesLocks(dir), IsEmpty());
}

// `lock --help`: "Nothing is written unless every item is pinned".
TEST(NetworkBinaryTest, SigintDuringLockLeavesNoLockFileAndNoPartialDownload) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  const std::string project = TestDir("project");
  const Interrupted r =
      RunAndSignal(*server,
                   Torchhub(*server, {"--hub-dir", hub, "lock", server->Url("/w.pth"), "--lock",
                                      project + "/torchhub.lock"}),
                   SIGINT);
  EXPECT_EQ(r.exit_code, kExitInterrupted) << r.output;
  EXPECT_THAT(ListDirBesidesLocks(project), IsEmpty());
  EXPECT_THAT(ListDirBesidesLocks(hub + "/checkpoints"), IsEmpty());
}

// A server that never answers costs --tries x --stall-timeout, not the
// defaults' minutes.
TEST(NetworkBinaryTest, TriesAndStallTimeoutBoundAServerThatNeverAnswers) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  const std::string log = TestDir("log") + "/output";
  HUB_ASSERT_OK_AND_ASSIGN(
      pid_t pid,
      StartProcess(Torchhub(*server, {"--hub-dir", hub, "list", "foo/bar:main", "--trust-repo",
                                      "true", "--tries", "2", "--stall-timeout", "0.2"}),
                   log));
  HUB_ASSERT_OK_AND_ASSIGN(int code, WaitForExit(pid));
  std::string output = ReadTestFile(log);
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("gave up after 2 attempts"));
  EXPECT_EQ(server->CountConnections(), 2);

  // The same from the environment, for a download.
  const std::string out = TestDir("out");
  HUB_ASSERT_OK_AND_ASSIGN(
      pid, StartProcess(Torchhub(*server, {"download", server->Url("/w.pth"), out + "/w.pth"},
                                 {"TORCHHUB_TRIES=1", "TORCHHUB_STALL_TIMEOUT=200ms"}),
                        log));
  HUB_ASSERT_OK_AND_ASSIGN(code, WaitForExit(pid));
  output = ReadTestFile(log);
  EXPECT_EQ(code, 1) << output;
  EXPECT_EQ(server->CountConnections(), 3);
  EXPECT_THAT(ListDirBesidesLocks(out), IsEmpty());
}

// On a terminal (script(1) gives it one) each retry says who it waits for.
TEST(NetworkBinaryTest, ARetryOnATerminalSaysWhoItWaitsFor) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  std::string shell_command;
  for (const std::string& arg :
       Torchhub(*server, {"--hub-dir", hub, "list", "foo/bar:main", "--trust-repo", "true",
                          "--tries", "2", "--stall-timeout", "0.2"})) {
    absl::StrAppend(&shell_command, "'", arg, "' ");
  }
  const std::string log = TestDir("log") + "/output";
  HUB_ASSERT_OK_AND_ASSIGN(pid_t pid,
                           StartProcess({"script", "-qec", shell_command, "/dev/null"}, log));
  HUB_ASSERT_OK_AND_ASSIGN(int code, WaitForExit(pid));
  const std::string output = ReadTestFile(log);
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr(absl::StrCat("torchhub: waiting for 127.0.0.1:", server->port(),
                                             " (try 2 of 2)")));
}

TEST(NetworkBinaryTest, BadNetworkSettingsAreUsageErrorsNamingTheSetting) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string log = TestDir("log") + "/output";
  HUB_ASSERT_OK_AND_ASSIGN(
      pid_t pid, StartProcess(Torchhub(*server, {"fetch", "foo/bar", "--tries", "0"}), log));
  HUB_ASSERT_OK_AND_ASSIGN(int code, WaitForExit(pid));
  EXPECT_EQ(code, 2);
  EXPECT_THAT(ReadTestFile(log), HasSubstr("--tries: \"0\""));
  HUB_ASSERT_OK_AND_ASSIGN(
      pid, StartProcess(Torchhub(*server, {"download", server->Url("/w"), TestDir("o") + "/w"},
                                 {"TORCHHUB_CONNECT_TIMEOUT=soon"}),
                        log));
  HUB_ASSERT_OK_AND_ASSIGN(code, WaitForExit(pid));
  EXPECT_EQ(code, 2);
  EXPECT_THAT(ReadTestFile(log), HasSubstr("TORCHHUB_CONNECT_TIMEOUT: \"soon\""));
  EXPECT_EQ(server->CountConnections(), 0);
}

// Offline, every verb that would use the network fails saying so, and the
// server sees no connection at all.
TEST(NetworkBinaryTest, OfflineNoVerbOpensASocket) {
  HUB_ASSERT_OK_AND_ASSIGN(auto server, SilentServer::Start());
  const std::string hub = TestDir("hub");
  const std::string out = TestDir("out");
  const std::vector<std::vector<std::string>> commands = {
      {"download", server->Url("/w.pth"), out + "/w.pth"},
      {"fetch", "foo/bar", "--trust-repo", "true"},
      {"fetch", "foo/bar:main", "--trust-repo", "true", "--force-reload"},
      {"list", "foo/bar:main", "--trust-repo", "true"},
      {"fetch", "foo/bar:main", "--trust-repo", "true", "--validate-with-git"},
      {"fetch", "foo/bar:main", "--trust-repo", "true", "--git-url", server->Url("/foo/bar.git"),
       "--allow-insecure-remote"},
      {"lock", server->Url("/w.pth"), "--lock", out + "/torchhub.lock"},
      {"load-state-dict", server->Url("/w.pth")},
  };
  for (const bool by_flag : {false, true}) {
    for (std::vector<std::string> args : commands) {
      args.insert(args.begin(), {"--hub-dir", hub});
      std::vector<std::string> env;
      if (by_flag) {
        args.emplace_back("--offline");
      } else {
        env.emplace_back("TORCHHUB_OFFLINE=1");
      }
      // download and load-state-dict have no --offline
      if (by_flag && (args[2] == "download" || args[2] == "load-state-dict")) continue;
      const std::string log = TestDir("log") + "/output";
      HUB_ASSERT_OK_AND_ASSIGN(pid_t pid, StartProcess(Torchhub(*server, args, env), log));
      HUB_ASSERT_OK_AND_ASSIGN(int code, WaitForExit(pid));
      const std::string output = ReadTestFile(log);
      EXPECT_EQ(code, 1) << absl::StrJoin(args, " ") << "\n" << output;
      EXPECT_THAT(output, HasSubstr("offline")) << absl::StrJoin(args, " ");
      EXPECT_THAT(output, Not(HasSubstr("Downloading"))) << absl::StrJoin(args, " ");
      ASSERT_EQ(server->CountConnections(), 0) << absl::StrJoin(args, " ") << "\n" << output;
    }
  }
  EXPECT_THAT(ListDirBesidesLocks(out), IsEmpty());
}

}  // namespace
